//! Where keys come from: the [`KeySource`] plug-in point and the built-in sources.
//!
//! A source only produces the current JWKS document; it does not cache, parse or decide which
//! keys are trusted. The cache in [`super::cache`] decides when to call it, and
//! [`super::KeySet`] decides which keys are eligible, for every source alike.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::error::{err, Reason, VerifyError};
use crate::http::{check_url, fetch_checked, FetchLimits, HttpFetcher};
use crate::json;

/// Produces the current JWKS document (`{"keys": [...]}`) of one issuer.
///
/// Implement it to take keys from your own storage or configuration service. It is called only
/// when the cache needs keys (at most once per [`crate::keys::cache::UNKNOWN_KID_INTERVAL`] on
/// unknown `kid`s, and when the cached set is older than the maximum age), never on a warm
/// verification. Return an error with
/// [`Reason::KeySourceUnavailable`] for a transient failure; the last good keys stay in use.
pub trait KeySource: Send + Sync {
    /// The current JWKS document, as JSON bytes.
    fn fetch_jwks(&self) -> Result<Vec<u8>, VerifyError>;

    /// Where the keys come from, for error messages (e.g. the URL).
    fn describe(&self) -> String;
}

impl fmt::Debug for dyn KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeySource({})", self.describe())
    }
}

/// A fixed JWKS, for air-gapped deployments and tests.
#[derive(Debug, Clone)]
pub struct StaticJwks {
    document: Vec<u8>,
    origin: String,
}

impl StaticJwks {
    /// A key set from a JWKS JSON document. Fails when the document has no usable key.
    pub fn from_json(document: impl Into<Vec<u8>>) -> Result<Self, VerifyError> {
        let document = document.into();
        super::KeySet::from_jwks_json(&document, usize::MAX).map_err(|e| {
            err(
                Reason::InvalidConfig,
                format!("static JWKS: {}", e.message()),
            )
        })?;
        Ok(StaticJwks {
            document,
            origin: "a static JWKS".into(),
        })
    }

    /// A key set from a JWKS file, read once now.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self, VerifyError> {
        let path = path.as_ref();
        let document = std::fs::read(path).map_err(|e| {
            err(
                Reason::InvalidConfig,
                format!("cannot read JWKS file {}: {e}", path.display()),
            )
        })?;
        let mut s = Self::from_json(document)?;
        s.origin = format!("JWKS file {}", path.display());
        Ok(s)
    }
}

impl KeySource for StaticJwks {
    fn fetch_jwks(&self) -> Result<Vec<u8>, VerifyError> {
        Ok(self.document.clone())
    }
    fn describe(&self) -> String {
        self.origin.clone()
    }
}

/// A JWKS served at a URL (Teleport: `https://<proxy>/.well-known/jwks.json`).
#[derive(Clone)]
pub struct RemoteJwks {
    url: String,
    fetcher: Arc<dyn HttpFetcher>,
    limits: FetchLimits,
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("url", &self.url)
            .finish()
    }
}

impl RemoteJwks {
    /// A JWKS at `url`, fetched with `fetcher`. Fails with `insecure_transport` when the URL is
    /// not https (see [`check_url`]).
    pub fn new(
        url: impl Into<String>,
        fetcher: Arc<dyn HttpFetcher>,
        limits: FetchLimits,
        allow_insecure_http_for_loopback: bool,
    ) -> Result<Self, VerifyError> {
        let url = url.into();
        check_url(&url, allow_insecure_http_for_loopback)?;
        Ok(RemoteJwks {
            url,
            fetcher,
            limits,
        })
    }
}

impl KeySource for RemoteJwks {
    fn fetch_jwks(&self) -> Result<Vec<u8>, VerifyError> {
        fetch_checked(self.fetcher.as_ref(), &self.url, &self.limits)
            .map_err(|e| err(Reason::KeySourceUnavailable, e))
    }
    fn describe(&self) -> String {
        self.url.clone()
    }
}

/// Keys found through OpenID Connect discovery: the document at `discovery_url` must name
/// exactly `issuer`, and its `jwks_uri` (https, like every key URL) holds the keys.
///
/// Teleport's discovery document has no `authorization_endpoint` or `token_endpoint`; only
/// `issuer` and `jwks_uri` are read, so it is accepted as it is.
#[derive(Clone)]
pub struct OidcDiscovery {
    issuer: String,
    discovery_url: String,
    fetcher: Arc<dyn HttpFetcher>,
    limits: FetchLimits,
    allow_insecure_http_for_loopback: bool,
}

impl fmt::Debug for OidcDiscovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcDiscovery")
            .field("issuer", &self.issuer)
            .field("discovery_url", &self.discovery_url)
            .finish()
    }
}

impl OidcDiscovery {
    /// Discovery for `issuer` at `discovery_url` (usually
    /// `<issuer>/.well-known/openid-configuration`).
    pub fn new(
        issuer: impl Into<String>,
        discovery_url: impl Into<String>,
        fetcher: Arc<dyn HttpFetcher>,
        limits: FetchLimits,
        allow_insecure_http_for_loopback: bool,
    ) -> Result<Self, VerifyError> {
        let discovery_url = discovery_url.into();
        check_url(&discovery_url, allow_insecure_http_for_loopback)?;
        Ok(OidcDiscovery {
            issuer: issuer.into(),
            discovery_url,
            fetcher,
            limits,
            allow_insecure_http_for_loopback,
        })
    }

    /// Fetches and checks the discovery document (its `issuer` must be the configured one);
    /// returns its `jwks_uri`, checked like every key URL. [`KeySource::fetch_jwks`] then
    /// fetches that URL; tools call this to show where the keys come from.
    pub fn jwks_uri(&self) -> Result<String, VerifyError> {
        let body = fetch_checked(self.fetcher.as_ref(), &self.discovery_url, &self.limits)
            .map_err(|e| err(Reason::KeySourceUnavailable, e))?;
        let doc = json::parse_object(&body).map_err(|e| {
            err(
                Reason::KeySourceUnavailable,
                format!(
                    "discovery document at {} is not valid JSON: {e}",
                    self.discovery_url
                ),
            )
        })?;
        match doc.get("issuer") {
            Some(Value::String(i)) if *i == self.issuer => {}
            Some(Value::String(i)) => {
                return Err(err(
                    Reason::IssuerMismatch,
                    format!(
                        "discovery document at {} names issuer {i:?}, not the configured {:?}; the document is refused",
                        self.discovery_url, self.issuer
                    ),
                ))
            }
            _ => {
                return Err(err(
                    Reason::KeySourceUnavailable,
                    format!("discovery document at {} has no string `issuer`", self.discovery_url),
                ))
            }
        }
        let uri = match doc.get("jwks_uri") {
            Some(Value::String(u)) => u.clone(),
            _ => {
                return Err(err(
                    Reason::KeySourceUnavailable,
                    format!(
                        "discovery document at {} has no string `jwks_uri`",
                        self.discovery_url
                    ),
                ))
            }
        };
        check_url(&uri, self.allow_insecure_http_for_loopback)?;
        Ok(uri)
    }
}

impl KeySource for OidcDiscovery {
    fn fetch_jwks(&self) -> Result<Vec<u8>, VerifyError> {
        let uri = self.jwks_uri()?;
        fetch_checked(self.fetcher.as_ref(), &uri, &self.limits)
            .map_err(|e| err(Reason::KeySourceUnavailable, e))
    }
    fn describe(&self) -> String {
        self.discovery_url.clone()
    }
}
