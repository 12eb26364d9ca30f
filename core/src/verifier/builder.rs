//! Building a [`Verifier`]: the [`VerifierBuilder`] (trust entries, options, plug-ins), the
//! checks of the configuration, and each trust entry's key source and key cache.

use std::sync::Arc;

use super::{Inner, Trust, Verifier};
use crate::clock::{Clock, SystemClock};
use crate::config::{KeysFrom, TrustEntry, VerifierOptions};
use crate::error::{err, Reason, VerifyError};
use crate::events::KeyEvents;
use crate::http::HttpFetcher;
use crate::keys::cache::KeyCache;
use crate::keys::{KeySource, OidcDiscovery, RemoteJwks, StaticJwks};
use crate::policy::PermissionMapper;
use crate::token_cache::TokenCacheCell;

/// Builds a [`Verifier`] with several trust entries or custom plug-ins.
///
/// ```no_run
/// use teleport_jwt::{TrustEntry, Verifier};
/// let aud = "mcp+http://127.0.0.1:8000/mcp";
/// let verifier = Verifier::builder()
///     .trust(TrustEntry::teleport_jwt("https://root.example.com", "root.example.com", aud))
///     .trust(TrustEntry::teleport_jwt("https://leaf.example.com", "leaf.example.com", aud))
///     .trust(TrustEntry::teleport_id_token("https://root.example.com", aud))
///     .build()?;
/// # Ok::<(), teleport_jwt::VerifyError>(())
/// ```
#[derive(Default)]
#[must_use]
pub struct VerifierBuilder {
    entries: Vec<TrustEntry>,
    options: VerifierOptions,
    fetcher: Option<Arc<dyn HttpFetcher>>,
    clock: Option<Arc<dyn Clock>>,
    mapper: Option<Arc<dyn PermissionMapper>>,
    events: Option<Arc<dyn KeyEvents>>,
}

impl VerifierBuilder {
    /// Reports key-set changes, fetch failures and recoveries of every trust entry to
    /// `events` (see [`crate::events`]); never called on the request path of a good token.
    pub fn key_events(mut self, events: Arc<dyn KeyEvents>) -> Self {
        self.events = Some(events);
        self
    }

    /// Maps verified identities to permissions for [`Verifier::authorize`]: a
    /// [`crate::policy::Policy`] or your own [`PermissionMapper`].
    pub fn permission_mapper(mut self, mapper: Arc<dyn PermissionMapper>) -> Self {
        self.mapper = Some(mapper);
        self
    }

    /// Adds a trusted issuer.
    pub fn trust(mut self, entry: TrustEntry) -> Self {
        self.entries.push(entry);
        self
    }

    /// Replaces all options.
    pub fn options(mut self, options: VerifierOptions) -> Self {
        self.options = options;
        self
    }

    /// Changes options in place.
    pub fn configure(mut self, f: impl FnOnce(&mut VerifierOptions)) -> Self {
        f(&mut self.options);
        self
    }

    /// Fetches keys with your own HTTP client instead of the built-in one.
    pub fn http_fetcher(mut self, fetcher: Arc<dyn HttpFetcher>) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// Uses this clock instead of the system's (tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Checks the configuration and builds the verifier. Fetches nothing yet (see
    /// [`Verifier::warm_up`]).
    pub fn build(self) -> Result<Verifier, VerifyError> {
        let VerifierBuilder {
            entries,
            options,
            fetcher,
            clock,
            mapper,
            events,
        } = self;
        if entries.is_empty() {
            return Err(err(Reason::InvalidConfig, "no trust entry configured"));
        }
        options.validate()?;
        let clock = clock.unwrap_or_else(|| Arc::new(SystemClock));
        let needs_http = entries
            .iter()
            .any(|e| matches!(e.keys, KeysFrom::JwksUrl(_) | KeysFrom::Discovery(_)));
        let fetcher = match (fetcher, needs_http) {
            (Some(f), _) => Some(f),
            (None, false) => None,
            (None, true) => Some(default_fetcher(&options)?),
        };
        let mut trusts: Vec<Trust> = Vec::with_capacity(entries.len());
        for entry in entries {
            entry.validate()?;
            if trusts.iter().any(|t| t.entry.issuer == entry.issuer) {
                return Err(err(
                    Reason::InvalidConfig,
                    format!("issuer {:?} is configured twice", entry.issuer),
                ));
            }
            let source = key_source(&entry, fetcher.as_ref(), &options)?;
            let sink = events.clone().map(|e| (entry.name.clone(), e));
            let cache = Arc::new(KeyCache::new(
                source,
                options.cache,
                clock.clone(),
                options.fetch.timeout,
                sink,
            ));
            trusts.push(Trust { entry, cache });
        }
        Ok(Verifier {
            inner: Arc::new(Inner {
                entries: trusts,
                tokens: TokenCacheCell::new(
                    options.token_cache_capacity,
                    options.token_cache_max_bytes,
                ),
                mapper,
                options,
                clock,
                counters: Arc::default(),
            }),
        })
    }
}

#[cfg(feature = "http")]
fn default_fetcher(options: &VerifierOptions) -> Result<Arc<dyn HttpFetcher>, VerifyError> {
    let https = crate::http::HttpsOptions {
        ca_pem: options.ca_pem.clone(),
        allow_insecure_http_for_loopback: options.allow_insecure_http_for_loopback,
    };
    Ok(Arc::new(crate::http::HttpsFetcher::new(&https)?))
}

#[cfg(not(feature = "http"))]
fn default_fetcher(_: &VerifierOptions) -> Result<Arc<dyn HttpFetcher>, VerifyError> {
    Err(err(
        Reason::InvalidConfig,
        "built without the `http` feature: supply an HttpFetcher",
    ))
}

fn key_source(
    entry: &TrustEntry,
    fetcher: Option<&Arc<dyn HttpFetcher>>,
    options: &VerifierOptions,
) -> Result<Arc<dyn KeySource>, VerifyError> {
    let fetcher = || {
        fetcher
            .cloned()
            .ok_or_else(|| err(Reason::InvalidConfig, "no HTTP fetcher"))
    };
    let insecure = options.allow_insecure_http_for_loopback;
    Ok(match &entry.keys {
        KeysFrom::JwksUrl(url) => Arc::new(RemoteJwks::new(
            url.clone(),
            fetcher()?,
            options.fetch.clone(),
            insecure,
        )?),
        KeysFrom::Discovery(url) => Arc::new(OidcDiscovery::new(
            entry.issuer.clone(),
            url.clone(),
            fetcher()?,
            options.fetch.clone(),
            insecure,
        )?),
        KeysFrom::StaticJwks(doc) => Arc::new(StaticJwks::from_json(doc.as_bytes())?),
        KeysFrom::Source(s) => s.clone(),
    })
}
