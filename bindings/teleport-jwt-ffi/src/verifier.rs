//! The verifier object: build it once (a preset, the general form or several trust entries),
//! share it between threads, verify tokens or request headers, or authorize them (verify, then
//! map the identity to permissions with `VerifierOptions.permissionsFrom`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::clock::unix_millis_to_time;
use crate::config::{TrustEntry, VerifierOptions};
use crate::error::VerifyError;
use crate::guard::guarded;
use crate::identity::Identity;
use crate::keys::KeysFrom;
use crate::policy::{Permissions, PermissionsFrom};

/// One request header (repeated names are allowed, as on the wire).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Header {
    /// The header name (compared case-insensitively).
    pub name: String,
    /// The header value.
    pub value: String,
}

/// A verified caller and what they may do: the answer of `Verifier.authorize`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Authorized {
    /// Who the token proves the caller is.
    pub identity: Identity,
    /// What the verifier's permission mapper grants that identity.
    pub permissions: Arc<Permissions>,
}

impl From<teleport_jwt::Authorized> for Authorized {
    fn from(a: teleport_jwt::Authorized) -> Self {
        Authorized {
            permissions: Permissions::shared(a.permissions),
            identity: a.identity.into(),
        }
    }
}

/// Verifies Teleport tokens. Thread-safe; share one per process, its key cache is what makes
/// verification fast and resilient.
#[derive(Debug, uniffi::Object)]
pub struct Verifier {
    inner: teleport_jwt::Verifier,
}

impl Verifier {
    fn build(
        entries: Vec<TrustEntry>,
        options: Option<VerifierOptions>,
    ) -> Result<Arc<Self>, VerifyError> {
        guarded("building the verifier", || {
            let mut builder = options.unwrap_or_default().into_builder()?;
            for entry in entries {
                builder = builder.trust(entry.into());
            }
            Ok(Arc::new(Verifier {
                inner: builder.build()?,
            }))
        })
    }

    /// The core verifier (for Rust code linking this crate).
    pub fn core(&self) -> &teleport_jwt::Verifier {
        &self.inner
    }
}

#[uniffi::export]
impl Verifier {
    /// A verifier for classic Teleport JWTs (`Teleport-Jwt-Assertion`) of one cluster.
    #[uniffi::constructor(default(options = None))]
    pub fn teleport_jwt(
        proxy_url: String,
        cluster_name: String,
        audience: String,
        options: Option<VerifierOptions>,
    ) -> Result<Arc<Self>, VerifyError> {
        Self::build(
            vec![TrustEntry::TeleportJwt {
                proxy_url,
                cluster_name,
                audience,
                name: None,
                require_iat: None,
            }],
            options,
        )
    }

    /// A verifier for Teleport OIDC ID tokens (`{{internal.id_token}}`).
    #[uniffi::constructor(default(options = None))]
    pub fn teleport_id_token(
        proxy_url: String,
        audience: String,
        options: Option<VerifierOptions>,
    ) -> Result<Arc<Self>, VerifyError> {
        Self::build(
            vec![TrustEntry::TeleportIdToken {
                proxy_url,
                audience,
                name: None,
                require_iat: None,
            }],
            options,
        )
    }

    /// A verifier for one issuer of any kind: exact `iss`, audiences, and keys.
    #[uniffi::constructor(default(options = None))]
    pub fn general(
        issuer: String,
        audiences: Vec<String>,
        keys: KeysFrom,
        options: Option<VerifierOptions>,
    ) -> Result<Arc<Self>, VerifyError> {
        Self::build(
            vec![TrustEntry::General {
                issuer,
                audiences,
                keys,
                name: None,
                require_iat: None,
            }],
            options,
        )
    }

    /// A verifier for several trusted issuers (root and leaf clusters, classic and ID tokens
    /// side by side); the token's `iss` picks the entry.
    #[uniffi::constructor(default(options = None))]
    pub fn from_entries(
        entries: Vec<TrustEntry>,
        options: Option<VerifierOptions>,
    ) -> Result<Arc<Self>, VerifyError> {
        Self::build(entries, options)
    }

    /// A verifier sharing this one's trust entries, keys and options that maps identities
    /// with `permissions` (for `authorize`); no key is fetched again. Its verified-token cache
    /// is its own.
    pub fn with_permissions(&self, permissions: PermissionsFrom) -> Arc<Verifier> {
        Arc::new(Verifier {
            inner: self.inner.with_permissions(permissions.into_core()),
        })
    }

    /// True when a permission mapper is configured (`authorize` works).
    pub fn has_permissions(&self) -> bool {
        self.inner.has_permissions()
    }

    /// Number of key fetches (successful or not) made so far, over all trust entries.
    ///
    /// A signed 64-bit count (`Long` in Kotlin, callable from Java; `Int64` in Swift): Kotlin's
    /// `ULong` would mangle the JVM method name.
    pub fn key_fetch_count(&self) -> i64 {
        i64::try_from(self.inner.key_fetch_count()).unwrap_or(i64::MAX)
    }

    /// The counters and key-source state now (the core's `Verifier::stats`). Never waits for
    /// a key fetch.
    pub fn stats(&self) -> crate::stats::VerifierStats {
        self.inner.stats().into()
    }

    /// The same in the Prometheus text exposition format, for a `/metrics` endpoint.
    pub fn prometheus_text(&self) -> String {
        self.inner.stats().prometheus_text()
    }
}

/// The `(name, value)` pairs of request headers, in order.
fn pairs(headers: &[Header]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect()
}

/// Exports each operation: the expression, on the core verifier `|v|`, run under [`guarded`]
/// (named after the operation), its error and answer converted to the binding's.
macro_rules! verifier_operations {
    ($(
        $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $out:ty = |$v:ident| $expr:expr;
    )*) => {
        #[uniffi::export]
        impl Verifier {$(
            $(#[$doc])*
            pub fn $name(&self, $($arg: $ty),*) -> Result<$out, VerifyError> {
                let $v = &self.inner;
                guarded(stringify!($name), || Ok($expr?.into()))
            }
        )*}
    };
}

verifier_operations! {
    /// Verifies one token and returns the identity it proves.
    fn verify(token: String) -> Identity = |v| v.verify(&token);

    /// Verifies one token as if the time were `unix_seconds` for its claims (the key cache
    /// keeps the verifier's clock). For replaying recorded tokens and test vectors.
    fn verify_at(token: String, unix_seconds: i64) -> Identity = |v|
        v.verify_at(&token, unix_millis_to_time(unix_seconds.saturating_mul(1000)));

    /// Verifies the token found in the request's headers, following the configured header
    /// rules (default: `Teleport-Jwt-Assertion`, then `Authorization: Bearer`).
    fn verify_headers(headers: Vec<Header>) -> Identity = |v|
        v.verify_headers(pairs(&headers));

    /// [`Verifier::verify_headers`] for headers held in a map (one value per name).
    fn verify_header_map(headers: HashMap<String, String>) -> Identity = |v|
        v.verify_headers(headers.iter());

    /// The token the header rules select from `headers`, without verifying it (for middleware
    /// that hands it on, e.g. as `Authorization: Bearer`). Fails with `missing_token` or
    /// `malformed` exactly as `verifyHeaders` would.
    fn token_from_headers(headers: Vec<Header>) -> String = |v|
        v.token_from_headers(&pairs(&headers));

    /// [`Verifier::token_from_headers`] for headers held in a map (one value per name).
    fn token_from_header_map(headers: HashMap<String, String>) -> String = |v| {
        let pairs: Vec<_> = headers.iter().map(|(n, value)| (n.as_str(), value.as_str())).collect();
        v.token_from_headers(&pairs)
    };

    /// Verifies one token and maps its identity to permissions with the configured
    /// `permissionsFrom` (a `Policy` or a `PermissionMapper`). A repeated token costs neither a
    /// signature check nor a mapping: both are cached together. Fails with `invalid_config`
    /// when no mapper is configured, with the token's reason when it is refused (the mapper is
    /// not called then), and with `plugin_error` when the mapper throws.
    fn authorize(token: String) -> Authorized = |v| v.authorize(&token);

    /// [`Verifier::authorize`] as if the time were `unix_seconds` for the token's claims (see
    /// `verifyAt`).
    fn authorize_at(token: String, unix_seconds: i64) -> Authorized = |v|
        v.authorize_at(&token, unix_millis_to_time(unix_seconds.saturating_mul(1000)));

    /// [`Verifier::authorize`] with the token found by the header rules (see `verifyHeaders`).
    fn authorize_headers(headers: Vec<Header>) -> Authorized = |v|
        v.authorize_headers(pairs(&headers));

    /// [`Verifier::authorize_headers`] for headers held in a map (one value per name).
    fn authorize_header_map(headers: HashMap<String, String>) -> Authorized = |v|
        v.authorize_headers(headers.iter());

    /// Fetches the keys of every trust entry now (a start-up check) instead of on the first
    /// request.
    fn warm_up() -> () = |v| v.warm_up();
}
