//! The [`HttpFetcher`] plug-in point for foreign code: fetch key documents with the app's own
//! HTTP client (OkHttp, `java.net.http`, `URLSession`, a proxy, pinning).
//!
//! The core still decides what may be fetched (https only) and checks every response again
//! (status 200, size cap). A fetcher that throws makes the fetch fail exactly as a network
//! error does: `key_source_unavailable`, with the foreign message in the core's message, and
//! the last good keys stay in use meanwhile.

use std::sync::Arc;
use std::time::Duration;

use teleport_jwt::FetchLimits;

use crate::error::PluginFailure;

/// A response as the core needs it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// HTTP status code; only 200 is accepted.
    pub status: i32,
    /// The body (at most `maxBodyBytes` long; the core checks again).
    pub body: Vec<u8>,
}

/// An HTTP client implemented in Kotlin or Swift.
#[uniffi::export(foreign)]
pub trait HttpFetcher: Send + Sync {
    /// GET `url` without following redirects, giving up after `timeout` and
    /// reading at most `max_body_bytes` (+1, so the core can see an oversized body). Throw on
    /// any transport failure.
    fn get(
        &self,
        url: String,
        timeout: Duration,
        max_body_bytes: i64,
    ) -> Result<HttpResponse, PluginFailure>;
}

/// Adapts a foreign [`HttpFetcher`] to the core's [`teleport_jwt::HttpFetcher`].
pub(crate) struct ForeignFetcher(pub(crate) Arc<dyn HttpFetcher>);

impl teleport_jwt::HttpFetcher for ForeignFetcher {
    fn get(
        &self,
        url: &str,
        limits: &FetchLimits,
    ) -> Result<teleport_jwt::HttpResponse, teleport_jwt::VerifyError> {
        let max_body = i64::try_from(limits.max_body_bytes).unwrap_or(i64::MAX);
        self.0
            .get(url.to_owned(), limits.timeout, max_body)
            .map(|r| teleport_jwt::HttpResponse {
                // Out of range is no status at all: the core refuses anything but 200.
                status: u16::try_from(r.status).unwrap_or(0),
                body: r.body,
            })
            .map_err(Into::into)
    }
}
