//! The verifier object: build it once (a preset, the general form or several trust entries),
//! share it between threads, verify tokens or request headers, or authorize them (verify, then
//! map the identity to permissions with `VerifierOptions.permissionsFrom`).
//!
//! Each operation of the core's table (`teleport_jwt::api::VERIFIER_OPERATIONS`) is a method
//! here calling the core's method of the same name, under `guard::guarded`; a token operation
//! also has its `_at` form, a header operation its `_map` form (headers held in a map). Each
//! operation that may wait for a key fetch also has an async form, `<name>_async` (Kotlin
//! `suspend fun verifyAsync`, Swift `func verifyAsync(token:) async throws`): it answers on the
//! caller's thread when the core can without a fetch (`try_verify`, ...), and otherwise waits
//! for the blocking call on a pool thread (`blocking.rs`). The Kotlin and Swift parity tests
//! check every method against the table.

use std::collections::HashMap;
use std::sync::Arc;

use crate::blocking;
use crate::clock::unix_millis_to_time;
use crate::config::{TrustEntry, VerifierOptions};
use crate::error::VerifyError;
use crate::guard::guarded;
use crate::identity::Identity;
use crate::keys::KeysFrom;
use crate::policy::{Permissions, PermissionsFrom};
use teleport_jwt::api::HeaderPairs;

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

/// Request headers as an operation takes them: a list (repeated names allowed, as on the wire)
/// or a map (one value per name).
trait RequestHeaders {
    fn pairs(&self) -> HeaderPairs<'_>;
}

impl RequestHeaders for Vec<Header> {
    fn pairs(&self) -> HeaderPairs<'_> {
        self.iter().map(|h| (&h.name, &h.value)).collect()
    }
}

impl RequestHeaders for HashMap<String, String> {
    fn pairs(&self) -> HeaderPairs<'_> {
        self.iter().collect()
    }
}

/// The answer the core gives without waiting for a key fetch (its `try_*` form, run under
/// [`guarded`]), converted; `None` when it would have to wait.
fn on_the_spot<C, T: From<C>>(
    what: &str,
    try_now: impl FnOnce() -> Option<Result<C, teleport_jwt::VerifyError>>,
) -> Option<Result<T, VerifyError>> {
    match guarded(what, || Ok(try_now())) {
        Ok(None) => None,
        Ok(Some(answer)) => Some(answer.map(T::from).map_err(VerifyError::from)),
        Err(e) => Some(Err(e)),
    }
}

/// The time of an `_at` form: Unix seconds, as the core's clock type.
fn at(unix_seconds: i64) -> std::time::SystemTime {
    unix_millis_to_time(unix_seconds.saturating_mul(1000))
}

#[uniffi::export]
impl Verifier {
    /// Verifies one token and returns the identity it proves.
    pub fn verify(&self, token: String) -> Result<Identity, VerifyError> {
        guarded("verify", || Ok(self.inner.verify(&token)?.into()))
    }

    /// Verifies one token and returns the identity it proves.
    ///
    /// As if the time were `unix_seconds` for the token's claims (the key cache keeps the
    /// verifier's clock): for replaying recorded tokens and test vectors.
    pub fn verify_at(&self, token: String, unix_seconds: i64) -> Result<Identity, VerifyError> {
        guarded("verify_at", || {
            Ok(self.inner.verify_at(&token, at(unix_seconds))?.into())
        })
    }

    /// `verify` without blocking the caller: answered at once when the keys are cached,
    /// otherwise on a pool thread while the keys are fetched.
    pub async fn verify_async(&self, token: String) -> Result<Identity, VerifyError> {
        if let Some(answer) = on_the_spot("verify_async", || self.inner.try_verify(&token)) {
            return answer;
        }
        let core = self.inner.clone();
        blocking::run("verify_async", move || Ok(core.verify(&token)?.into())).await
    }

    /// Verifies the token found in the request's headers, following the configured header
    /// rules in order (default: `Teleport-Jwt-Assertion`, then `Authorization: Bearer`; the
    /// first rule whose header is present decides). Fails with `missing_token` when no rule's
    /// header is present, `malformed` when it is present but unusable, and otherwise as
    /// `verify`.
    pub fn verify_headers(&self, headers: Vec<Header>) -> Result<Identity, VerifyError> {
        guarded("verify_headers", || {
            Ok(self.inner.verify_headers(&headers.pairs())?.into())
        })
    }

    /// `verify_headers` for headers held in a map (one value per name).
    pub fn verify_header_map(
        &self,
        headers: HashMap<String, String>,
    ) -> Result<Identity, VerifyError> {
        guarded("verify_header_map", || {
            Ok(self.inner.verify_headers(&headers.pairs())?.into())
        })
    }

    /// `verify_headers` without blocking the caller (as `verify_async`).
    pub async fn verify_headers_async(
        &self,
        headers: Vec<Header>,
    ) -> Result<Identity, VerifyError> {
        self.verify_headers_later("verify_headers_async", headers)
            .await
    }

    /// `verify_header_map` without blocking the caller (as `verify_async`).
    pub async fn verify_header_map_async(
        &self,
        headers: HashMap<String, String>,
    ) -> Result<Identity, VerifyError> {
        self.verify_headers_later("verify_header_map_async", headers)
            .await
    }

    /// The token the header rules select from `headers`, without verifying it (for
    /// middleware that hands it on, e.g. as `Authorization: Bearer`). Fails with
    /// `missing_token` or `malformed` exactly as `verify_headers` would. Never waits.
    pub fn token_from_headers(&self, headers: Vec<Header>) -> Result<String, VerifyError> {
        guarded("token_from_headers", || {
            Ok(self.inner.token_from_headers(&headers.pairs())?.to_owned())
        })
    }

    /// `token_from_headers` for headers held in a map (one value per name).
    pub fn token_from_header_map(
        &self,
        headers: HashMap<String, String>,
    ) -> Result<String, VerifyError> {
        guarded("token_from_header_map", || {
            Ok(self.inner.token_from_headers(&headers.pairs())?.to_owned())
        })
    }

    /// Verifies one token and maps its identity to permissions with the verifier's permission
    /// mapper (a `Policy` or a mapper of your own). A repeated token costs neither a signature
    /// check nor a mapping: both are cached together. Fails with `invalid_config` when no
    /// mapper is configured, with the token's reason when it is refused (the mapper is not
    /// called then), and with `plugin_error` when the mapper fails.
    pub fn authorize(&self, token: String) -> Result<Authorized, VerifyError> {
        guarded("authorize", || Ok(self.inner.authorize(&token)?.into()))
    }

    /// `authorize` as if the time were `unix_seconds` for the token's claims (the key cache
    /// keeps the verifier's clock): for replaying recorded tokens and test vectors.
    pub fn authorize_at(
        &self,
        token: String,
        unix_seconds: i64,
    ) -> Result<Authorized, VerifyError> {
        guarded("authorize_at", || {
            Ok(self.inner.authorize_at(&token, at(unix_seconds))?.into())
        })
    }

    /// `authorize` without blocking the caller (as `verify_async`; the permission mapper runs
    /// on the caller's thread when the keys are cached, so it must not block either).
    pub async fn authorize_async(&self, token: String) -> Result<Authorized, VerifyError> {
        if let Some(answer) = on_the_spot("authorize_async", || self.inner.try_authorize(&token)) {
            return answer;
        }
        let core = self.inner.clone();
        blocking::run("authorize_async", move || {
            Ok(core.authorize(&token)?.into())
        })
        .await
    }

    /// `authorize` with the token found by the header rules (fails as `verify_headers` and
    /// `authorize` do).
    pub fn authorize_headers(&self, headers: Vec<Header>) -> Result<Authorized, VerifyError> {
        guarded("authorize_headers", || {
            Ok(self.inner.authorize_headers(&headers.pairs())?.into())
        })
    }

    /// `authorize_headers` for headers held in a map (one value per name).
    pub fn authorize_header_map(
        &self,
        headers: HashMap<String, String>,
    ) -> Result<Authorized, VerifyError> {
        guarded("authorize_header_map", || {
            Ok(self.inner.authorize_headers(&headers.pairs())?.into())
        })
    }

    /// `authorize_headers` without blocking the caller (as `authorize_async`).
    pub async fn authorize_headers_async(
        &self,
        headers: Vec<Header>,
    ) -> Result<Authorized, VerifyError> {
        self.authorize_headers_later("authorize_headers_async", headers)
            .await
    }

    /// `authorize_header_map` without blocking the caller (as `authorize_async`).
    pub async fn authorize_header_map_async(
        &self,
        headers: HashMap<String, String>,
    ) -> Result<Authorized, VerifyError> {
        self.authorize_headers_later("authorize_header_map_async", headers)
            .await
    }

    /// Fetches the keys of every trust entry now (a start-up check) instead of on the first
    /// request. Fails with the fetch's error, usually `key_source_unavailable`.
    pub fn warm_up(&self) -> Result<(), VerifyError> {
        guarded("warm_up", || Ok(self.inner.warm_up()?))
    }

    /// `warm_up` without blocking the caller: always on a pool thread (it exists to fetch).
    pub async fn warm_up_async(&self) -> Result<(), VerifyError> {
        let core = self.inner.clone();
        blocking::run("warm_up_async", move || Ok(core.warm_up()?)).await
    }
}

/// The bodies the list and map forms of the async header operations share.
impl Verifier {
    async fn verify_headers_later<H: RequestHeaders + Send + 'static>(
        &self,
        what: &'static str,
        headers: H,
    ) -> Result<Identity, VerifyError> {
        if let Some(answer) = on_the_spot(what, || self.inner.try_verify_headers(&headers.pairs()))
        {
            return answer;
        }
        let core = self.inner.clone();
        blocking::run(what, move || {
            Ok(core.verify_headers(&headers.pairs())?.into())
        })
        .await
    }

    async fn authorize_headers_later<H: RequestHeaders + Send + 'static>(
        &self,
        what: &'static str,
        headers: H,
    ) -> Result<Authorized, VerifyError> {
        if let Some(answer) =
            on_the_spot(what, || self.inner.try_authorize_headers(&headers.pairs()))
        {
            return answer;
        }
        let core = self.inner.clone();
        blocking::run(what, move || {
            Ok(core.authorize_headers(&headers.pairs())?.into())
        })
        .await
    }
}
