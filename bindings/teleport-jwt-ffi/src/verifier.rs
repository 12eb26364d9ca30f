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

/// Exports the operations of the core's description, each run under [`guarded`] (named after
/// the method), its error and answer converted to the binding's.
macro_rules! ffi_operations {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($input:ident)?) -> $out:ty $(, at $at:ident)? $(, map $map:ident)?;
    )*) => {$(
        ffi_operation! { [$(#[$doc])*] $name($($input)?) -> $out $(, at $at)? $(, map $map)? }
    )*};
}

/// One operation: a token operation with its `_at` form, a header operation with its `_map`
/// form, or an operation without input.
macro_rules! ffi_operation {
    ([$(#[$doc:meta])*] $name:ident(token) -> $out:ty, at $at:ident) => {
        #[uniffi::export]
        impl Verifier {
            $(#[$doc])*
            pub fn $name(&self, token: String) -> Result<$out, VerifyError> {
                guarded(stringify!($name), || Ok(self.inner.$name(&token)?.into()))
            }

            $(#[$doc])*
            ///
            /// As if the time were `unix_seconds` for the token's claims (the key cache keeps
            /// the verifier's clock): for replaying recorded tokens and test vectors.
            pub fn $at(&self, token: String, unix_seconds: i64) -> Result<$out, VerifyError> {
                guarded(stringify!($at), || {
                    let now = unix_millis_to_time(unix_seconds.saturating_mul(1000));
                    Ok(self.inner.$at(&token, now)?.into())
                })
            }
        }
    };
    ([$(#[$doc:meta])*] $name:ident(headers) -> $out:ty, map $map:ident) => {
        #[uniffi::export]
        impl Verifier {
            $(#[$doc])*
            pub fn $name(&self, headers: Vec<Header>) -> Result<$out, VerifyError> {
                guarded(stringify!($name), || Ok(self.inner.$name(&headers.pairs())?.into()))
            }

            $(#[$doc])*
            ///
            /// For headers held in a map (one value per name).
            pub fn $map(&self, headers: HashMap<String, String>) -> Result<$out, VerifyError> {
                guarded(stringify!($map), || Ok(self.inner.$name(&headers.pairs())?.into()))
            }
        }
    };
    ([$(#[$doc:meta])*] $name:ident() -> $out:ty) => {
        #[uniffi::export]
        impl Verifier {
            $(#[$doc])*
            pub fn $name(&self) -> Result<$out, VerifyError> {
                guarded(stringify!($name), || Ok(self.inner.$name()?.into()))
            }
        }
    };
}

teleport_jwt::describe_verifier_operations!(ffi_operations);
