//! Where a trust entry's keys come from ([`KeysFrom`]) and the [`KeySource`] plug-in point for
//! foreign code.
//!
//! A foreign key source only produces the JWKS document; the core's cache decides when to call
//! it and which keys are trusted. To report a transient failure (the last good keys stay in
//! use), throw `PluginFailure.Failed("key_source_unavailable", ...)` /
//! `PluginFailure.Failed(code: "key_source_unavailable", ...)`;
//! any other exception is reported as `plugin_error` (the cache treats both as a failed
//! fetch).

use std::sync::Arc;

use teleport_jwt::KeysFrom as CoreKeysFrom;

use crate::error::PluginFailure;

/// A source of JWKS documents implemented in Kotlin or Swift.
#[uniffi::export(foreign)]
pub trait KeySource: Send + Sync {
    /// The current JWKS document (`{"keys": [...]}`) as JSON text.
    fn fetch_jwks(&self) -> Result<String, PluginFailure>;
}

/// Adapts a foreign [`KeySource`] to the core's [`teleport_jwt::KeySource`].
pub(crate) struct ForeignKeySource(pub(crate) Arc<dyn KeySource>);

impl teleport_jwt::KeySource for ForeignKeySource {
    fn fetch_jwks(&self) -> Result<Vec<u8>, teleport_jwt::VerifyError> {
        self.0
            .fetch_jwks()
            .map(String::into_bytes)
            .map_err(Into::into)
    }

    fn describe(&self) -> String {
        "a key source supplied by the application".to_owned()
    }
}

/// Where a trust entry's keys come from (the core's `KeysFrom`).
#[derive(uniffi::Enum)]
pub enum KeysFrom {
    /// A JWKS at this https URL.
    JwksUrl {
        /// The URL, e.g. `https://teleport.example.com/.well-known/jwks.json`.
        url: String,
    },
    /// OpenID Connect discovery at this URL; its `issuer` must be the entry's issuer.
    Discovery {
        /// The discovery URL, usually `<issuer>/.well-known/openid-configuration`.
        url: String,
    },
    /// A fixed JWKS document.
    StaticJwks {
        /// The JWKS as JSON text.
        json: String,
    },
    /// Keys from the application's own [`KeySource`].
    Source {
        /// The source.
        source: Arc<dyn KeySource>,
    },
}

impl From<KeysFrom> for CoreKeysFrom {
    fn from(k: KeysFrom) -> Self {
        match k {
            KeysFrom::JwksUrl { url } => CoreKeysFrom::JwksUrl(url),
            KeysFrom::Discovery { url } => CoreKeysFrom::Discovery(url),
            KeysFrom::StaticJwks { json } => CoreKeysFrom::StaticJwks(json),
            KeysFrom::Source { source } => CoreKeysFrom::Source(Arc::new(ForeignKeySource(source))),
        }
    }
}
