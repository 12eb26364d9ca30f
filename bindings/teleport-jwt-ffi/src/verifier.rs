//! The verifier object: build it once (a preset, the general form or several trust entries),
//! share it between threads, verify tokens or request headers.

use std::collections::HashMap;
use std::sync::Arc;

use crate::clock::unix_millis_to_time;
use crate::config::{TrustEntry, VerifierOptions};
use crate::error::VerifyError;
use crate::guard::guarded;
use crate::identity::Identity;
use crate::keys::KeysFrom;

/// One request header (repeated names are allowed, as on the wire).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Header {
    /// The header name (compared case-insensitively).
    pub name: String,
    /// The header value.
    pub value: String,
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

    /// Verifies one token and returns the identity it proves.
    pub fn verify(&self, token: String) -> Result<Identity, VerifyError> {
        guarded("verify", || Ok(self.inner.verify(&token)?.into()))
    }

    /// Verifies one token as if the time were `unix_seconds` for its claims (the key cache
    /// keeps the verifier's clock). For replaying recorded tokens and test vectors.
    pub fn verify_at(&self, token: String, unix_seconds: i64) -> Result<Identity, VerifyError> {
        guarded("verify_at", || {
            let now = unix_millis_to_time(unix_seconds.saturating_mul(1000));
            Ok(self.inner.verify_at(&token, now)?.into())
        })
    }

    /// Verifies the token found in the request's headers, following the configured header
    /// rules (default: `Teleport-Jwt-Assertion`, then `Authorization: Bearer`).
    pub fn verify_headers(&self, headers: Vec<Header>) -> Result<Identity, VerifyError> {
        guarded("verify_headers", || {
            let pairs = headers.iter().map(|h| (h.name.as_str(), h.value.as_str()));
            Ok(self.inner.verify_headers(pairs)?.into())
        })
    }

    /// [`Verifier::verify_headers`] for headers held in a map (one value per name).
    pub fn verify_header_map(
        &self,
        headers: HashMap<String, String>,
    ) -> Result<Identity, VerifyError> {
        guarded("verify_header_map", || {
            Ok(self.inner.verify_headers(headers.iter())?.into())
        })
    }

    /// Fetches the keys of every trust entry now (a start-up check) instead of on the first
    /// request.
    pub fn warm_up(&self) -> Result<(), VerifyError> {
        guarded("warm_up", || Ok(self.inner.warm_up()?))
    }

    /// Number of key fetches (successful or not) made so far, over all trust entries.
    pub fn key_fetch_count(&self) -> u64 {
        self.inner.key_fetch_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_verifier_options;

    #[test]
    fn the_shown_defaults_are_the_core_defaults() {
        let v = Verifier::teleport_jwt(
            "https://t.example.com".into(),
            "t.example.com".into(),
            "aud".into(),
            Some(default_verifier_options()),
        )
        .unwrap();
        assert_eq!(
            v.core().options(),
            &teleport_jwt::VerifierOptions::default()
        );
    }

    #[test]
    fn an_empty_audience_is_invalid_config() {
        let e = Verifier::teleport_jwt(
            "https://t.example.com".into(),
            "t.example.com".into(),
            String::new(),
            None,
        )
        .unwrap_err();
        assert_eq!(e.code(), "invalid_config");
    }
}
