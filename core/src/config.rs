//! Configuration: the two Teleport presets, trust entries of the general form, and options.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::alg::TokenKind;
use crate::error::{err, Reason, VerifyError};
use crate::headers::HeaderRule;
use crate::http::FetchLimits;
use crate::jws::DEFAULT_MAX_TOKEN_BYTES;
use crate::keys::{CachePolicy, KeySource};

/// Options shared by every trust entry of a verifier. Defaults are the safe ones; every value is
/// checked against the bounds in its documentation when the verifier is built, and one outside
/// them fails with `invalid_config` naming the bound (a limit can be tuned, never switched off).
///
/// Every setting is an option of every binding, flattened (`cache.max_age` is `cache_max_age`).
/// The first paragraph of a setting's doc is its doc in every language: the option list the
/// bindings read (`describe_verifier_settings!` in `api/settings.rs`) holds the same text, and a
/// test there fails when the two differ. Later paragraphs are for Rust readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierOptions {
    /// Clock-skew allowance for `exp`, `nbf` and `iat` (default 60 s, Teleport's own; at most
    /// 5 min).
    pub leeway: Duration,
    /// Longest token accepted, in bytes (default 16384; from 1 to 1048576); longer ones are
    /// refused before decoding.
    pub max_token_bytes: usize,
    /// Headers `verify_headers` reads, in order, each `"Name"` or `"Name: Scheme"` (default
    /// `["Teleport-Jwt-Assertion", "Authorization: Bearer"]`).
    ///
    /// A name with `_` is refused (see [`crate::headers`]).
    pub headers: Vec<HeaderRule>,
    /// Key caching and refresh policy (see [`CachePolicy`] for its bounds).
    pub cache: CachePolicy,
    /// Time and size limits of every key fetch (see [`FetchLimits`] for its bounds).
    pub fetch: FetchLimits,
    /// Extra trusted CA certificates (PEM) for the built-in HTTPS client, for self-signed
    /// development clusters; the system's roots stay trusted.
    pub ca_pem: Option<String>,
    /// Permit `http://` key URLs on loopback hosts (development and tests only; default
    /// false).
    pub allow_insecure_http_for_loopback: bool,
    /// How many verified tokens to remember (default 1024, at most 1000000; 0 turns the cache
    /// off). A repeated token skips the signature check, never the time checks.
    ///
    /// It skips it only while the key that verified it is still trusted. See
    /// [`crate::verifier`].
    pub token_cache_capacity: usize,
    /// Memory budget of the verified-token cache in bytes (default 4 MiB, at most 1 GiB; 0
    /// turns the cache off). A token whose entry would take over 1/64 of it is not cached.
    ///
    /// The budget is estimated over identities, claims, tokens and the permissions `authorize`
    /// keeps with them; a token too large to cache is verified (and mapped) in full every time.
    pub token_cache_max_bytes: usize,
}

/// The largest leeway accepted: 5 minutes.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

impl VerifierOptions {
    /// Checks every option against its documented bounds.
    pub(crate) fn validate(&self) -> Result<(), VerifyError> {
        let bad = |what: String| Err(err(Reason::InvalidConfig, what));
        if self.leeway > MAX_LEEWAY {
            return bad(format!(
                "leeway is {}s; it must be at most 300s (Teleport itself allows 60s of clock skew)",
                self.leeway.as_secs_f64()
            ));
        }
        if self.max_token_bytes == 0 || self.max_token_bytes > 1024 * 1024 {
            return bad(format!(
                "max_token_bytes is {}; it must be from 1 to 1048576 (1 MiB)",
                self.max_token_bytes
            ));
        }
        if self.headers.is_empty() {
            return bad("no header rule configured".into());
        }
        for rule in &self.headers {
            rule.check()?;
        }
        self.cache.validate()?;
        let timeout = self.fetch.timeout;
        if timeout < Duration::from_millis(1) || timeout > Duration::from_secs(60) {
            return bad(format!(
                "fetch timeout is {}s; it must be from 0.001s to 60s",
                timeout.as_secs_f64()
            ));
        }
        let body = self.fetch.max_body_bytes;
        if !(1024..=16 * 1024 * 1024).contains(&body) {
            return bad(format!(
                "fetch max_body_bytes is {body}; it must be from 1024 to 16777216 (16 MiB)"
            ));
        }
        if self.token_cache_capacity > 1_000_000 {
            return bad(format!(
                "token_cache_capacity is {}; it must be at most 1000000",
                self.token_cache_capacity
            ));
        }
        if self.token_cache_max_bytes > 1 << 30 {
            return bad(format!(
                "token_cache_max_bytes is {}; it must be at most 1073741824 (1 GiB)",
                self.token_cache_max_bytes
            ));
        }
        Ok(())
    }
}

impl Default for VerifierOptions {
    fn default() -> Self {
        VerifierOptions {
            leeway: Duration::from_secs(60),
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            headers: HeaderRule::defaults(),
            cache: CachePolicy::default(),
            fetch: FetchLimits::default(),
            ca_pem: None,
            allow_insecure_http_for_loopback: false,
            token_cache_capacity: 1024,
            token_cache_max_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Where a trust entry's keys come from.
#[derive(Clone)]
pub enum KeysFrom {
    /// A JWKS at this URL (https).
    JwksUrl(String),
    /// OpenID Connect discovery at this URL; its `issuer` must equal the entry's issuer and its
    /// `jwks_uri` holds the keys.
    Discovery(String),
    /// A fixed JWKS document (JSON text).
    StaticJwks(String),
    /// Your own key source.
    Source(Arc<dyn KeySource>),
}

impl fmt::Debug for KeysFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeysFrom::JwksUrl(u) => write!(f, "JwksUrl({u})"),
            KeysFrom::Discovery(u) => write!(f, "Discovery({u})"),
            KeysFrom::StaticJwks(_) => f.write_str("StaticJwks(..)"),
            KeysFrom::Source(s) => write!(f, "Source({})", s.describe()),
        }
    }
}

/// One trusted issuer: which `iss` it accepts, for which audiences, with which keys.
///
/// A token's `iss` picks its trust entry; a token from an issuer no entry names is refused
/// without any fetch.
#[derive(Debug, Clone)]
pub struct TrustEntry {
    /// A name for logs and for [`crate::Identity::trust_entry`] (default: the issuer).
    pub name: String,
    /// The exact `iss` value, compared byte for byte.
    pub issuer: String,
    /// Accepted audiences; a token must name at least one. Never empty.
    pub audiences: Vec<String>,
    /// Where the keys come from.
    pub keys: KeysFrom,
    /// What kind of token this entry accepts.
    pub kind: TokenKind,
    /// Whether `iat` must be present (true for ID tokens).
    pub require_iat: bool,
}

/// `https://host:443/` and `https://host/` are the same issuer to Teleport: it strips `:443`.
fn normalize_proxy_url(proxy_url: &str) -> String {
    let trimmed = proxy_url.trim_end_matches('/');
    match trimmed.strip_suffix(":443") {
        Some(base) if base.starts_with("https://") => base.to_owned(),
        _ => trimmed.to_owned(),
    }
}

impl TrustEntry {
    /// A general entry: any issuer, audiences and key source.
    pub fn new(issuer: impl Into<String>, audiences: Vec<String>, keys: KeysFrom) -> Self {
        let issuer = issuer.into();
        TrustEntry {
            name: issuer.clone(),
            issuer,
            audiences,
            keys,
            kind: TokenKind::Generic,
            require_iat: false,
        }
    }

    /// Classic Teleport JWTs of one cluster: `iss` = `cluster_name`, keys at
    /// `<proxy_url>/.well-known/jwks.json`.
    pub fn teleport_jwt(
        proxy_url: &str,
        cluster_name: impl Into<String>,
        audience: impl Into<String>,
    ) -> Self {
        let cluster_name = cluster_name.into();
        TrustEntry {
            name: cluster_name.clone(),
            issuer: cluster_name,
            audiences: vec![audience.into()],
            keys: KeysFrom::JwksUrl(format!(
                "{}/.well-known/jwks.json",
                normalize_proxy_url(proxy_url)
            )),
            kind: TokenKind::TeleportJwt,
            require_iat: false,
        }
    }

    /// Teleport ID tokens: `iss` = `https://<proxy>` (`:443` stripped), keys through
    /// `<issuer>/.well-known/openid-configuration`, `iat` required.
    pub fn teleport_id_token(proxy_url: &str, audience: impl Into<String>) -> Self {
        let issuer = normalize_proxy_url(proxy_url);
        TrustEntry {
            name: issuer.clone(),
            keys: KeysFrom::Discovery(format!("{issuer}/.well-known/openid-configuration")),
            issuer,
            audiences: vec![audience.into()],
            kind: TokenKind::IdToken,
            require_iat: true,
        }
    }

    /// The same entry under another name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    pub(crate) fn validate(&self) -> Result<(), VerifyError> {
        if self.issuer.is_empty() {
            return Err(err(
                Reason::InvalidConfig,
                "a trust entry has an empty issuer",
            ));
        }
        if self.audiences.is_empty() || self.audiences.iter().any(String::is_empty) {
            return Err(err(
                Reason::InvalidConfig,
                format!(
                    "trust entry {:?} has no audience; the audience is always checked (set it to the app's URI as configured in Teleport)",
                    self.name
                ),
            ));
        }
        Ok(())
    }
}

/// The classic Teleport JWT preset (`Teleport-Jwt-Assertion`, `{{internal.jwt}}`).
///
/// ```
/// use teleport_jwt::{TeleportJwt, Verifier, VerifierOptions};
/// # use teleport_jwt::mock::{MintSpec, MockTeleport};
/// # let teleport = MockTeleport::start().unwrap(); // stands in for your cluster
/// let verifier = Verifier::teleport_jwt(TeleportJwt {
///     proxy_url: teleport.proxy_url(),            // e.g. "https://teleport.example.com"
///     cluster_name: teleport.cluster_name(),      // e.g. "teleport.example.com"
///     audience: "mcp+http://127.0.0.1:8000/mcp".into(),
///     // Only for a self-signed cluster; a real one is trusted through the system roots.
///     options: VerifierOptions { ca_pem: Some(teleport.ca_pem()), ..Default::default() },
/// })?;
/// # let token = teleport.mint(&MintSpec::default()).unwrap();
/// let identity = verifier.verify_headers([("Teleport-Jwt-Assertion", token.as_str())])?;
/// assert_eq!(identity.username, "alice");
/// # Ok::<(), teleport_jwt::VerifyError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TeleportJwt {
    /// The proxy's public address, e.g. `https://teleport.example.com`.
    pub proxy_url: String,
    /// The cluster name: the `iss` of classic tokens.
    pub cluster_name: String,
    /// The app's `uri` exactly as configured in Teleport, e.g. `mcp+http://127.0.0.1:8000/mcp`.
    pub audience: String,
    /// Everything else.
    pub options: VerifierOptions,
}

/// The Teleport ID token preset (`{{internal.id_token}}`).
///
/// ```
/// use teleport_jwt::{TeleportIdToken, TokenKind, Verifier, VerifierOptions};
/// # use teleport_jwt::mock::{MintSpec, MockTeleport};
/// # let teleport = MockTeleport::start().unwrap(); // stands in for your cluster
/// let verifier = Verifier::teleport_id_token(TeleportIdToken {
///     proxy_url: teleport.proxy_url(),            // issuer and discovery base
///     audience: "mcp+http://127.0.0.1:8000/mcp".into(),
///     options: VerifierOptions { ca_pem: Some(teleport.ca_pem()), ..Default::default() },
/// })?;
/// # let token = teleport.mint(&MintSpec { kind: TokenKind::IdToken, ..Default::default() }).unwrap();
/// # let header = format!("Bearer {token}");
/// let identity = verifier.verify_headers([("Authorization", header.as_str())])?;
/// assert_eq!(identity.kind, TokenKind::IdToken);
/// # Ok::<(), teleport_jwt::VerifyError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TeleportIdToken {
    /// The proxy's public address; the issuer is this URL with `:443` stripped.
    pub proxy_url: String,
    /// The app's `uri` exactly as configured in Teleport.
    pub audience: String,
    /// Everything else.
    pub options: VerifierOptions,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_point_at_teleport_endpoints() {
        let e = TrustEntry::teleport_jwt("https://t.example.com:443/", "t.example.com", "aud");
        assert_eq!(e.issuer, "t.example.com");
        assert!(
            matches!(&e.keys, KeysFrom::JwksUrl(u) if u == "https://t.example.com/.well-known/jwks.json")
        );
        let e = TrustEntry::teleport_id_token("https://t.example.com:443", "aud");
        assert_eq!(e.issuer, "https://t.example.com");
        assert!(e.require_iat);
        assert!(
            matches!(&e.keys, KeysFrom::Discovery(u) if u == "https://t.example.com/.well-known/openid-configuration")
        );
        let e = TrustEntry::teleport_id_token("https://t.example.com:3080", "aud");
        assert_eq!(e.issuer, "https://t.example.com:3080");
    }
}
