//! How key documents are fetched: the [`HttpFetcher`] plug-in point and the built-in HTTPS client.
//!
//! The core decides *what* may be fetched (https only, loopback http only behind a loudly named
//! option, see [`check_url`]) and checks every response again (status, size); a fetcher only
//! moves bytes. The built-in [`HttpsFetcher`] uses ureq with rustls on aws-lc-rs, the system's
//! trust store (plus an optional extra CA bundle), a total time limit, a body size cap, and no
//! redirects. Supply your own fetcher to use a platform networking stack, a proxy or pinning.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use crate::error::{err, Reason, VerifyError};

/// Limits every fetch obeys. The defaults are the safe ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchLimits {
    /// Time limit of one key fetch, connect and read (default 5 s; from 1 ms to 60 s).
    pub timeout: Duration,
    /// Largest accepted key document, in bytes (default 262144; from 1024 to 16 MiB).
    pub max_body_bytes: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            timeout: Duration::from_secs(5),
            max_body_bytes: 256 * 1024,
        }
    }
}

/// A response as the core needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code; only 200 is accepted.
    pub status: u16,
    /// The body, at most `max_body_bytes` long.
    pub body: Vec<u8>,
}

/// Fetches a URL with an HTTP GET. Implementations must not follow redirects, must stop reading
/// past `limits.max_body_bytes` and must give up after `limits.timeout`; the core checks the
/// size again. Return `Err` for any transport failure, with the reason that fits
/// (`key_source_unavailable` for the network, `plugin_error` for a fault of the fetcher
/// itself); the core reports every failed fetch as `key_source_unavailable` with the error's
/// message, and keeps using the last good keys.
///
/// The library may run in a host that keeps SIGPIPE's default action (a Swift or C program), so
/// a fetcher must not let a write to a closed connection raise it: send with `MSG_NOSIGNAL` on
/// Linux (std's `TcpStream::write` does; its `write_vectored`, which rustls uses, does not). The
/// built-in [`HttpsFetcher`] writes through ureq, which uses `TcpStream::write_all`.
pub trait HttpFetcher: Send + Sync {
    /// GET `url`, honouring `limits`.
    fn get(&self, url: &str, limits: &FetchLimits) -> Result<HttpResponse, VerifyError>;
}

/// Checks that `url` may be fetched: `https://`, or `http://` to a loopback host (127.0.0.0/8,
/// `[::1]`, `localhost`) when `allow_insecure_http_for_loopback` is set.
pub fn check_url(url: &str, allow_insecure_http_for_loopback: bool) -> Result<(), VerifyError> {
    let lower = url
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if lower == "https://" && url.len() > 8 {
        return Ok(());
    }
    if url.len() > 7 && lower.starts_with("http://") {
        if !allow_insecure_http_for_loopback {
            return Err(err(
                Reason::InsecureTransport,
                format!("refusing to fetch keys over plain http ({url}); use https, or for loopback development set allow_insecure_http_for_loopback"),
            ));
        }
        if is_loopback_host(&url[7..]) {
            return Ok(());
        }
        return Err(err(
            Reason::InsecureTransport,
            format!("plain http is allowed for loopback hosts only, not {url}"),
        ));
    }
    Err(err(
        Reason::InsecureTransport,
        format!("key URL {url:?} is not an https:// URL"),
    ))
}

/// True for `127.x.y.z`, `[::1]` and `localhost`, given `host[:port][/path]`.
fn is_loopback_host(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return false;
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, _)) => h,
            None => return false,
        }
    } else {
        authority.split(':').next().unwrap_or("")
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Options of the built-in HTTPS client.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HttpsOptions {
    /// Extra trusted CA certificates (PEM), added to the system's roots; for self-signed
    /// development clusters.
    pub ca_pem: Option<String>,
    /// Permit `http://` to loopback hosts. For local development and tests only.
    pub allow_insecure_http_for_loopback: bool,
}

impl fmt::Debug for HttpsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsOptions")
            .field("ca_pem", &self.ca_pem.as_ref().map(|p| p.len()))
            .field(
                "allow_insecure_http_for_loopback",
                &self.allow_insecure_http_for_loopback,
            )
            .finish()
    }
}

/// The built-in fetcher: ureq + rustls (aws-lc-rs), no redirects, bounded time and size.
#[cfg(feature = "http")]
pub struct HttpsFetcher {
    agent: ureq::Agent,
}

#[cfg(feature = "http")]
impl fmt::Debug for HttpsFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpsFetcher")
    }
}

#[cfg(feature = "http")]
impl HttpsFetcher {
    /// A client that trusts the system roots plus `options.ca_pem`.
    pub fn new(options: &HttpsOptions) -> Result<Self, VerifyError> {
        use std::sync::Arc;
        use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

        let roots = match &options.ca_pem {
            None => RootCerts::PlatformVerifier,
            Some(pem) => {
                let mut certs: Vec<Certificate<'static>> = Vec::new();
                for item in ureq::tls::parse_pem(pem.as_bytes()) {
                    match item {
                        Ok(PemItem::Certificate(c)) => certs.push(c),
                        Ok(_) => {}
                        Err(e) => {
                            return Err(err(
                                Reason::InvalidConfig,
                                format!("ca_pem is not valid PEM: {e}"),
                            ))
                        }
                    }
                }
                if certs.is_empty() {
                    return Err(err(
                        Reason::InvalidConfig,
                        "ca_pem holds no CERTIFICATE block",
                    ));
                }
                // The system's roots stay trusted next to the extra CA.
                let native = rustls_native_certs::load_native_certs();
                for der in native.certs {
                    certs.push(Certificate::from_der(der.as_ref()).to_owned());
                }
                RootCerts::new_with_certs(&certs)
            }
        };
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = TlsConfig::builder()
            .root_certs(roots)
            .unversioned_rustls_crypto_provider(provider)
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .https_only(!options.allow_insecure_http_for_loopback)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .save_redirect_history(false)
            .user_agent(concat!("teleport-jwt/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(HttpsFetcher {
            agent: ureq::Agent::new_with_config(config),
        })
    }
}

#[cfg(feature = "http")]
impl HttpFetcher for HttpsFetcher {
    fn get(&self, url: &str, limits: &FetchLimits) -> Result<HttpResponse, VerifyError> {
        self.get_text_error(url, limits)
            .map_err(|e| err(Reason::KeySourceUnavailable, e))
    }
}

#[cfg(feature = "http")]
impl HttpsFetcher {
    fn get_text_error(&self, url: &str, limits: &FetchLimits) -> Result<HttpResponse, String> {
        let mut response = self
            .agent
            .get(url)
            .config()
            .timeout_global(Some(limits.timeout))
            .build()
            .call()
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        if status != 200 {
            // Do not read error pages.
            return Ok(HttpResponse {
                status,
                body: Vec::new(),
            });
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(limits.max_body_bytes as u64 + 1)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok(HttpResponse { status, body })
    }
}

/// Fetches `url` with `fetcher` and applies the core's checks: status 200 and the size cap.
pub(crate) fn fetch_checked(
    fetcher: &dyn HttpFetcher,
    url: &str,
    limits: &FetchLimits,
) -> Result<Vec<u8>, String> {
    let response = fetcher
        .get(url, limits)
        .map_err(|e| format!("GET {url} failed: {}", e.message()))?;
    if response.status != 200 {
        let hint = if (300..400).contains(&response.status) {
            " (redirects are not followed)"
        } else {
            ""
        };
        return Err(format!("GET {url} answered HTTP {}{hint}", response.status));
    }
    if response.body.len() > limits.max_body_bytes {
        return Err(format!(
            "GET {url}: body larger than the limit of {} bytes",
            limits.max_body_bytes
        ));
    }
    Ok(response.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_unless_loopback_is_explicitly_allowed() {
        assert!(check_url("https://teleport.example.com/.well-known/jwks.json", false).is_ok());
        let e = check_url("http://127.0.0.1:3080/x", false).unwrap_err();
        assert_eq!(e.reason(), Reason::InsecureTransport);
        assert!(check_url("http://127.0.0.1:3080/x", true).is_ok());
        assert!(check_url("http://127.9.9.9/x", true).is_ok());
        assert!(check_url("http://localhost/x", true).is_ok());
        assert!(check_url("http://[::1]:8080/x", true).is_ok());
        for bad in [
            "http://example.com/x",
            "http://127.0.0.1.evil.com/x",
            "http://localhost.evil.com/",
            "http://127.0.0.1@evil.com/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "file:///etc/passwd",
            "https://",
            "",
        ] {
            assert_eq!(
                check_url(bad, true).unwrap_err().reason(),
                Reason::InsecureTransport,
                "{bad}"
            );
        }
    }
}
