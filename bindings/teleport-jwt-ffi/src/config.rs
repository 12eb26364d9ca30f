//! Configuration: [`VerifierOptions`] (every field optional; unset means the core's default)
//! and [`TrustEntry`] (the two Teleport presets and the general form).
//!
//! Defaults live in the core only: an unset field keeps the value of
//! `teleport_jwt::VerifierOptions::default()`, and [`default_verifier_options`] shows them.

use std::sync::Arc;
use std::time::Duration;

use teleport_jwt::{HeaderRule, TrustEntry as CoreTrustEntry, VerifierBuilder};

use crate::clock::{ForeignClock, VerifierClock};
use crate::error::VerifyError;
use crate::events::{ForeignListener, KeyEventListener};
use crate::http::{ForeignFetcher, HttpFetcher};
use crate::keys::KeysFrom;
use crate::policy::PermissionsFrom;

/// Options shared by every trust entry of a verifier. Leave a field unset (`null`/`nil`) for
/// the core's default, which is the safe one.
#[derive(Default, uniffi::Record)]
pub struct VerifierOptions {
    /// Clock-skew allowance for `exp`, `nbf` and `iat` (default 60 s).
    #[uniffi(default)]
    pub leeway: Option<Duration>,
    /// Longest token accepted, in bytes (default 16384).
    #[uniffi(default)]
    pub max_token_bytes: Option<i64>,
    /// Headers `verifyHeaders` reads, in order, each `"Name"` or `"Name: Scheme"` (default
    /// `["Teleport-Jwt-Assertion", "Authorization: Bearer"]`).
    #[uniffi(default)]
    pub headers: Option<Vec<String>>,
    /// How long fetched keys are used before a refresh (default 10 min).
    #[uniffi(default)]
    pub cache_max_age: Option<Duration>,
    /// Minimum time between refetches on unknown `kid`s or after a failure (default 30 s).
    #[uniffi(default)]
    pub cache_cooldown: Option<Duration>,
    /// How long the last good keys keep verifying while fetches fail (default 24 h).
    #[uniffi(default)]
    pub cache_max_stale: Option<Duration>,
    /// Largest number of entries accepted in one JWKS (default 100).
    #[uniffi(default)]
    pub cache_max_keys: Option<i64>,
    /// Time limit of one key fetch (default 5 s).
    #[uniffi(default)]
    pub fetch_timeout: Option<Duration>,
    /// Largest accepted key document, in bytes (default 262144).
    #[uniffi(default)]
    pub fetch_max_body_bytes: Option<i64>,
    /// Extra trusted CA certificates (PEM) for the built-in HTTPS client.
    #[uniffi(default)]
    pub ca_pem: Option<String>,
    /// Permit `http://` key URLs on loopback hosts (development and tests only; default
    /// false).
    #[uniffi(default)]
    pub allow_insecure_http_for_loopback: Option<bool>,
    /// How many verified tokens to remember (default 1024; 0 turns the cache off). A repeated
    /// token skips the signature check, never the time checks.
    #[uniffi(default)]
    pub token_cache_capacity: Option<i64>,
    /// Memory budget of the verified-token cache in bytes (default 4 MiB, at most 1 GiB; 0
    /// turns the cache off). A token whose entry would take over 1/64 of it is not cached.
    #[uniffi(default)]
    pub token_cache_max_bytes: Option<i64>,
    /// Fetch keys with this client instead of the built-in one.
    #[uniffi(default)]
    pub http_fetcher: Option<Arc<dyn HttpFetcher>>,
    /// Use this clock instead of the system's (tests).
    #[uniffi(default)]
    pub clock: Option<Arc<dyn VerifierClock>>,
    /// Where `authorize` gets permissions from: a `Policy` or the application's own
    /// `PermissionMapper` (unset: `authorize` fails with `invalid_config`; `verify` is
    /// unaffected).
    #[uniffi(default)]
    pub permissions_from: Option<PermissionsFrom>,
    /// Hears key-set changes, fetch failures and recoveries (never on the request path of a
    /// token whose keys are cached).
    #[uniffi(default)]
    pub key_events: Option<Arc<dyn KeyEventListener>>,
}

/// The core's default options, every field filled in (no fetcher, no clock, no permission
/// mapper).
#[uniffi::export]
pub fn default_verifier_options() -> VerifierOptions {
    let d = teleport_jwt::VerifierOptions::default();
    VerifierOptions {
        leeway: Some(d.leeway),
        max_token_bytes: Some(to_i64(d.max_token_bytes)),
        headers: Some(d.headers.iter().map(ToString::to_string).collect()),
        cache_max_age: Some(d.cache.max_age),
        cache_cooldown: Some(d.cache.cooldown),
        cache_max_stale: Some(d.cache.max_stale),
        cache_max_keys: Some(to_i64(d.cache.max_keys)),
        fetch_timeout: Some(d.fetch.timeout),
        fetch_max_body_bytes: Some(to_i64(d.fetch.max_body_bytes)),
        ca_pem: d.ca_pem,
        allow_insecure_http_for_loopback: Some(d.allow_insecure_http_for_loopback),
        token_cache_capacity: Some(to_i64(d.token_cache_capacity)),
        token_cache_max_bytes: Some(to_i64(d.token_cache_max_bytes)),
        http_fetcher: None,
        clock: None,
        permissions_from: None,
        key_events: None,
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A count from Kotlin or Swift (signed there: Java has no unsigned types); negative is a
/// mistake, never "unlimited".
fn to_usize(n: i64, field: &str) -> Result<usize, VerifyError> {
    usize::try_from(n).map_err(|_| VerifyError::InvalidConfig {
        message: format!("{field} = {n} is not a count (0 or more)"),
    })
}

impl VerifierOptions {
    /// A core builder holding these options (fetcher, clock and permission mapper included),
    /// without entries.
    pub(crate) fn into_builder(self) -> Result<VerifierBuilder, VerifyError> {
        let mut o = teleport_jwt::VerifierOptions::default();
        if let Some(d) = self.leeway {
            o.leeway = d;
        }
        if let Some(n) = self.max_token_bytes {
            o.max_token_bytes = to_usize(n, "max_token_bytes")?;
        }
        if let Some(specs) = self.headers {
            o.headers = specs
                .iter()
                .map(|s| HeaderRule::parse(s))
                .collect::<Result<_, _>>()?;
        }
        if let Some(d) = self.cache_max_age {
            o.cache.max_age = d;
        }
        if let Some(d) = self.cache_cooldown {
            o.cache.cooldown = d;
        }
        if let Some(d) = self.cache_max_stale {
            o.cache.max_stale = d;
        }
        if let Some(n) = self.cache_max_keys {
            o.cache.max_keys = to_usize(n, "cache_max_keys")?;
        }
        if let Some(d) = self.fetch_timeout {
            o.fetch.timeout = d;
        }
        if let Some(n) = self.fetch_max_body_bytes {
            o.fetch.max_body_bytes = to_usize(n, "fetch_max_body_bytes")?;
        }
        if self.ca_pem.is_some() {
            o.ca_pem = self.ca_pem;
        }
        if let Some(b) = self.allow_insecure_http_for_loopback {
            o.allow_insecure_http_for_loopback = b;
        }
        if let Some(n) = self.token_cache_capacity {
            o.token_cache_capacity = to_usize(n, "token_cache_capacity")?;
        }
        if let Some(n) = self.token_cache_max_bytes {
            o.token_cache_max_bytes = to_usize(n, "token_cache_max_bytes")?;
        }
        let mut builder = teleport_jwt::Verifier::builder().options(o);
        if let Some(f) = self.http_fetcher {
            builder = builder.http_fetcher(Arc::new(ForeignFetcher(f)));
        }
        if let Some(c) = self.clock {
            builder = builder.clock(Arc::new(ForeignClock(c)));
        }
        if let Some(p) = self.permissions_from {
            builder = builder.permission_mapper(p.into_core());
        }
        if let Some(l) = self.key_events {
            builder = builder.key_events(Arc::new(ForeignListener(l)));
        }
        Ok(builder)
    }
}

/// One trusted issuer: a Teleport preset, or the general form (any issuer, audiences, keys).
/// A token's `iss` picks its entry.
#[derive(uniffi::Enum)]
pub enum TrustEntry {
    /// Classic Teleport JWTs of one cluster: `iss` = `cluster_name`, keys at
    /// `<proxy_url>/.well-known/jwks.json`.
    TeleportJwt {
        /// The proxy's public address, e.g. `https://teleport.example.com`.
        proxy_url: String,
        /// The cluster name: the `iss` of classic tokens.
        cluster_name: String,
        /// The app's `uri` exactly as configured in Teleport.
        audience: String,
        /// A name for logs and `Identity.trustEntry` (default: the issuer).
        #[uniffi(default)]
        name: Option<String>,
        /// Whether `iat` must be present (default: the preset's).
        #[uniffi(default)]
        require_iat: Option<bool>,
    },
    /// Teleport ID tokens: `iss` = the proxy URL (`:443` stripped), keys through OIDC
    /// discovery, `iat` required.
    TeleportIdToken {
        /// The proxy's public address.
        proxy_url: String,
        /// The app's `uri` exactly as configured in Teleport.
        audience: String,
        /// A name for logs and `Identity.trustEntry` (default: the issuer).
        #[uniffi(default)]
        name: Option<String>,
        /// Whether `iat` must be present (default: the preset's).
        #[uniffi(default)]
        require_iat: Option<bool>,
    },
    /// Any issuer: the exact `iss`, accepted audiences and where the keys come from.
    General {
        /// The exact `iss` value, compared byte for byte.
        issuer: String,
        /// Accepted audiences; never empty.
        audiences: Vec<String>,
        /// Where the keys come from.
        keys: KeysFrom,
        /// A name for logs and `Identity.trustEntry` (default: the issuer).
        #[uniffi(default)]
        name: Option<String>,
        /// Whether `iat` must be present (default false).
        #[uniffi(default)]
        require_iat: Option<bool>,
    },
}

impl From<TrustEntry> for CoreTrustEntry {
    fn from(e: TrustEntry) -> Self {
        let (mut entry, name, require_iat) = match e {
            TrustEntry::TeleportJwt {
                proxy_url,
                cluster_name,
                audience,
                name,
                require_iat,
            } => (
                CoreTrustEntry::teleport_jwt(&proxy_url, cluster_name, audience),
                name,
                require_iat,
            ),
            TrustEntry::TeleportIdToken {
                proxy_url,
                audience,
                name,
                require_iat,
            } => (
                CoreTrustEntry::teleport_id_token(&proxy_url, audience),
                name,
                require_iat,
            ),
            TrustEntry::General {
                issuer,
                audiences,
                keys,
                name,
                require_iat,
            } => (
                CoreTrustEntry::new(issuer, audiences, keys.into()),
                name,
                require_iat,
            ),
        };
        if let Some(r) = require_iat {
            entry.require_iat = r;
        }
        match name {
            Some(n) => entry.named(n),
            None => entry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_round_trip_to_the_core_defaults() {
        let builder = default_verifier_options().into_builder();
        assert!(builder.is_ok());
        let shown = default_verifier_options();
        assert_eq!(shown.leeway, Some(Duration::from_secs(60)));
        assert_eq!(
            shown.headers,
            Some(vec![
                "Teleport-Jwt-Assertion".to_owned(),
                "Authorization: Bearer".to_owned()
            ])
        );
    }

    #[test]
    fn a_negative_count_is_invalid_config() {
        let o = VerifierOptions {
            cache_max_keys: Some(-1),
            ..Default::default()
        };
        let e = o.into_builder().err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("invalid_config: cache_max_keys = -1 is not a count (0 or more)")
        );
    }

    #[test]
    fn a_bad_header_rule_is_invalid_config() {
        let o = VerifierOptions {
            headers: Some(vec!["not a header".into()]),
            ..Default::default()
        };
        let e = o.into_builder().err().map(|e| e.code());
        assert_eq!(e, Some("invalid_config"));
    }
}
