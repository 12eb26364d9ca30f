//! The verifier: token in, [`Identity`] or a [`VerifyError`] with a reason out.
//!
//! Order of checks, each failing with its own reason: size and structure and header
//! (the strict JWS decoder, [`crate::dangerous::decode_unverified`]), payload JSON, `iss` picks a trust entry (no fetch for an unknown
//! issuer), keys of that entry (cached, see [`crate::keys::cache`]), signature with the key the
//! `kid` names (algorithm taken from the key), then the claims (times, audience, subject,
//! roles and traits).

use std::fmt;
use std::sync::Arc;

use crate::claims::{self, ClaimRules};
use crate::clock::{unix_seconds, Clock, SystemClock};
use crate::config::{KeysFrom, TeleportIdToken, TeleportJwt, TrustEntry, VerifierOptions};
use crate::error::{err, Reason, VerifyError};
use crate::events::KeyEvents;
use crate::headers;
use crate::http::HttpFetcher;
use crate::identity::Claims;
use crate::identity::Identity;
use crate::jws::{self, KeyId, KeyMatch};
use crate::keys::cache::{KeyCache, Snapshot, Stop, Wait};
use crate::keys::{KeySource, OidcDiscovery, RemoteJwks, StaticJwks};
use crate::policy::{PermissionMapper, Permissions};
use crate::stats::{Counters, Stats};
use crate::token_cache::{Entry, TokenCacheCell};

/// Verifies Teleport tokens. Cheap to clone (an `Arc`); share one per process: its key caches
/// are what make verification fast and resilient. `Send + Sync`.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    entries: Vec<Trust>,
    options: VerifierOptions,
    clock: Arc<dyn Clock>,
    tokens: TokenCacheCell,
    mapper: Option<Arc<dyn PermissionMapper>>,
    /// Outcomes and token-cache lookups (shared with the verifiers `with_permissions` makes).
    counters: Arc<Counters>,
}

/// A verified caller and what they may do: the answer of [`Verifier::authorize`].
#[derive(Debug, Clone)]
pub struct Authorized {
    /// Who the token proves the caller is (shared with the verified-token cache).
    pub identity: Arc<Identity>,
    /// What the verifier's permission mapper grants that identity.
    pub permissions: Arc<Permissions>,
}

#[derive(Clone)]
struct Trust {
    entry: TrustEntry,
    cache: Arc<KeyCache>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<&TrustEntry> = self.inner.entries.iter().map(|t| &t.entry).collect();
        f.debug_struct("Verifier")
            .field("entries", &entries)
            .field("options", &self.inner.options)
            .finish()
    }
}

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

impl Verifier {
    /// A verifier that shares this one's trust entries, key caches, options and clock, and
    /// maps identities to permissions with `mapper` (for [`Verifier::authorize`]). Its
    /// verified-token cache is its own, since cached permissions belong to one mapper. Cheap:
    /// no key is fetched or parsed again.
    pub fn with_permissions(&self, mapper: Arc<dyn PermissionMapper>) -> Verifier {
        let inner = &self.inner;
        Verifier {
            inner: Arc::new(Inner {
                entries: inner.entries.clone(),
                tokens: TokenCacheCell::new(
                    inner.options.token_cache_capacity,
                    inner.options.token_cache_max_bytes,
                ),
                mapper: Some(mapper),
                options: inner.options.clone(),
                clock: inner.clock.clone(),
                counters: inner.counters.clone(),
            }),
        }
    }

    /// True when a permission mapper is configured ([`Verifier::authorize`] works).
    pub fn has_permissions(&self) -> bool {
        self.inner.mapper.is_some()
    }

    /// A builder for several trust entries, custom key sources, fetchers or clocks.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// A verifier for classic Teleport JWTs of one cluster. See [`TeleportJwt`].
    pub fn teleport_jwt(preset: TeleportJwt) -> Result<Verifier, VerifyError> {
        Verifier::builder()
            .trust(TrustEntry::teleport_jwt(
                &preset.proxy_url,
                preset.cluster_name,
                preset.audience,
            ))
            .options(preset.options)
            .build()
    }

    /// A verifier for Teleport OIDC ID tokens. See [`TeleportIdToken`].
    pub fn teleport_id_token(preset: TeleportIdToken) -> Result<Verifier, VerifyError> {
        Verifier::builder()
            .trust(TrustEntry::teleport_id_token(
                &preset.proxy_url,
                preset.audience,
            ))
            .options(preset.options)
            .build()
    }

    /// The options in force.
    pub fn options(&self) -> &VerifierOptions {
        &self.inner.options
    }

    /// The trust entries, in configuration order.
    pub fn trust_entries(&self) -> impl Iterator<Item = &TrustEntry> {
        self.inner.entries.iter().map(|t| &t.entry)
    }

    /// Fetches the keys of every trust entry now (for a start-up check), instead of on the
    /// first request.
    pub fn warm_up(&self) -> Result<(), VerifyError> {
        for t in &self.inner.entries {
            t.cache.get()?;
        }
        Ok(())
    }

    /// Number of key fetches (successful or not) made so far, over all trust entries.
    pub fn key_fetch_count(&self) -> u64 {
        self.inner
            .entries
            .iter()
            .map(|t| t.cache.fetches.load(std::sync::atomic::Ordering::Acquire))
            .sum()
    }

    /// How full the verified-token cache is: `(entries, estimated bytes)`; `(0, 0)` when the
    /// cache is off. The bytes stay within [`VerifierOptions::token_cache_max_bytes`].
    pub fn token_cache_usage(&self) -> (usize, usize) {
        self.inner
            .tokens
            .get()
            .as_deref()
            .map_or((0, 0), |c| (c.len(), c.bytes()))
    }

    /// Verifies a token taken from the request's headers, following the configured header
    /// rules (see [`crate::headers`]).
    pub fn verify_headers<I, K, V>(&self, headers: I) -> Result<Arc<Identity>, VerifyError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.with_header_token(headers, |token| self.verify(token))
    }

    /// [`Verifier::verify_headers`] if it can be answered without waiting for a key fetch;
    /// `None` otherwise, exactly as [`Verifier::try_verify`].
    pub fn try_verify_headers<I, K, V>(
        &self,
        headers: I,
    ) -> Option<Result<Arc<Identity>, VerifyError>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.with_header_token(headers, |token| Ok(self.try_verify(token)))
            .unwrap_or_else(|e| Some(Err(e)))
    }

    /// [`Verifier::authorize_headers`] if it can be answered without waiting for a key fetch;
    /// `None` otherwise, exactly as [`Verifier::try_authorize`].
    pub fn try_authorize_headers<I, K, V>(
        &self,
        headers: I,
    ) -> Option<Result<Authorized, VerifyError>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.with_header_token(headers, |token| Ok(self.try_authorize(token)))
            .unwrap_or_else(|e| Some(Err(e)))
    }

    /// Runs `f` on the token the header rules select from any header pairs.
    fn with_header_token<I, K, V, T>(
        &self,
        headers: I,
        f: impl FnOnce(&str) -> Result<T, VerifyError>,
    ) -> Result<T, VerifyError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        // One collection (none for a `Vec` given by value), read in place.
        let pairs: Vec<(K, V)> = headers.into_iter().collect();
        let token = headers::extract(&self.inner.options.headers, &pairs, |(k, v)| {
            (k.as_ref(), v.as_ref())
        })
        .inspect_err(|e| self.inner.counters.refused(e))?;
        f(token)
    }

    /// The token the configured header rules select from `headers`, without verifying it:
    /// for middleware that must hand the token on (e.g. as `Authorization: Bearer`). Fails with
    /// `missing_token` or `malformed` exactly as [`Verifier::verify_headers`] would.
    pub fn token_from_headers<'h>(
        &self,
        headers: &[(&'h str, &'h str)],
    ) -> Result<&'h str, VerifyError> {
        headers::extract(&self.inner.options.headers, headers, |p| *p)
    }

    /// Verifies one token and returns the identity it proves. The identity is shared with the
    /// verified-token cache: a repeated token costs two reference-count increments, not a copy
    /// of its claims.
    pub fn verify(&self, token: &str) -> Result<Arc<Identity>, VerifyError> {
        self.verify_at(token, self.inner.clock.now())
    }

    /// Verifies one token as if the time were `now` for its claims (`exp`, `nbf`, `iat`). The
    /// key cache keeps using the verifier's clock. For replaying recorded tokens and for test
    /// vectors; servers use [`Verifier::verify`].
    pub fn verify_at(
        &self,
        token: &str,
        now: std::time::SystemTime,
    ) -> Result<Arc<Identity>, VerifyError> {
        self.verify_with(token, unix_seconds(now), Wait::Allowed)
            .map_err(Stop::into_error)
    }

    /// [`Verifier::verify`] if it can be answered without waiting for a key fetch; `None` when
    /// it cannot, and nothing was fetched: call [`Verifier::verify`] where blocking is fine
    /// (`tokio::task::spawn_blocking`). For async servers, so that a cache hit, or any token
    /// whose keys are cached, is checked on the worker thread at no thread hop, and only a
    /// start-up fetch, a key rotation or an outage's first attempt moves to a blocking thread.
    ///
    /// `None` exactly where [`Verifier::verify`] would fetch keys or wait for a fetch in flight
    /// (see [`crate::keys::cache`]): no usable key set yet (or past `max_stale`) and no recent
    /// failed attempt to answer from, an unknown `kid` within its refetch budget or while a
    /// fetch of its entry is in flight, or a due refresh when the refresher thread could not
    /// be started. Everything else gets the same
    /// answer as [`Verifier::verify`], errors included: a key endpoint that failed less than a
    /// cooldown ago gives `key_source_unavailable` at once. A new token costs its signature
    /// check (about 17 µs RS256, 55 µs ES256), well within what an async task may spend
    /// between two awaits.
    ///
    /// ```
    /// # use teleport_jwt::mock::{MintSpec, MockTeleport};
    /// # use teleport_jwt::{TrustEntry, Verifier};
    /// # let teleport = MockTeleport::start().unwrap();
    /// # let verifier = Verifier::builder()
    /// #     .trust(TrustEntry::teleport_jwt(&teleport.proxy_url(), teleport.cluster_name(),
    /// #                                     "mcp+http://127.0.0.1:8000/mcp"))
    /// #     .configure(|o| o.ca_pem = Some(teleport.ca_pem()))
    /// #     .build()?;
    /// # let token = teleport.mint(&MintSpec::default()).unwrap();
    /// assert!(verifier.try_verify(&token).is_none());        // no keys yet: it would fetch
    /// let identity = verifier.verify(&token)?;               // fetches (blocking)
    /// let again = verifier.try_verify(&token).expect("keys cached: no waiting")?;
    /// assert_eq!(again.username, identity.username);
    /// # Ok::<(), teleport_jwt::VerifyError>(())
    /// ```
    pub fn try_verify(&self, token: &str) -> Option<Result<Arc<Identity>, VerifyError>> {
        let now = unix_seconds(self.inner.clock.now());
        settled(self.verify_with(token, now, Wait::Never))
    }

    fn verify_with(&self, token: &str, now: f64, wait: Wait) -> Result<Arc<Identity>, Stop> {
        let outcome = if !self.inner.tokens.is_on() {
            // Nothing to share the entry with: skip allocating it.
            self.verify_fully(token, now, wait).map(|e| e.identity)
        } else {
            self.verified_entry(token, now, wait)
                .map(|e| e.identity.clone())
        };
        self.count(outcome)
    }

    /// Counts a finished verification (one that would have waited is not one).
    fn count<T>(&self, outcome: Result<T, Stop>) -> Result<T, Stop> {
        match &outcome {
            Ok(_) => self.inner.counters.accepted(),
            Err(Stop::Error(e)) => self.inner.counters.refused(e),
            Err(Stop::WouldWait) => {}
        }
        outcome
    }

    /// The verifier's counters and its key sources' state now: verifications by outcome,
    /// token-cache hits and misses, and per trust entry its fetches (with their latency
    /// histogram), unknown-`kid` refetches, stale state, last fetch error and current keys.
    /// See [`crate::stats`] for the same as Prometheus metrics. Never waits for a fetch.
    pub fn stats(&self) -> Stats {
        let sources = self
            .inner
            .entries
            .iter()
            .map(|t| t.cache.stats(&t.entry.name))
            .collect();
        self.inner.counters.snapshot(sources)
    }

    /// Verifies `token` (as [`Verifier::verify`]) and maps the identity to permissions with the
    /// builder's [`PermissionMapper`]. The permissions of a repeated token are computed once and
    /// reused for as long as its cached verification is (see
    /// [`VerifierOptions::token_cache_capacity`]); they count against
    /// [`VerifierOptions::token_cache_max_bytes`], and a token whose permissions make its entry
    /// too large to cache is verified and mapped again on each call. Fails with
    /// `invalid_config` when no mapper was configured, and with the mapper's error
    /// (`plugin_error`) when it fails.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use teleport_jwt::mock::{MintSpec, MockTeleport};
    /// use teleport_jwt::policy::Policy;
    /// use teleport_jwt::{TrustEntry, Verifier};
    /// # let teleport = MockTeleport::start().unwrap();
    /// let policy = Policy::from_yaml_str(r#"
    /// version: 1
    /// rules:
    ///   - match: { roles_any: [access] }
    ///     grant: ["tool:read_*"]
    /// "#)?;
    /// let verifier = Verifier::builder()
    ///     .trust(TrustEntry::teleport_jwt(&teleport.proxy_url(), teleport.cluster_name(),
    ///                                     "mcp+http://127.0.0.1:8000/mcp"))
    ///     .configure(|o| o.ca_pem = Some(teleport.ca_pem()))
    ///     .permission_mapper(Arc::new(policy))
    ///     .build()?;
    /// # let token = teleport.mint(&MintSpec::default()).unwrap();
    /// let caller = verifier.authorize(&token)?;
    /// assert!(caller.permissions.can_call_tool("read_file"));
    /// assert!(!caller.permissions.can_call_tool("delete_file"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authorize(&self, token: &str) -> Result<Authorized, VerifyError> {
        self.authorize_at(token, self.inner.clock.now())
    }

    /// [`Verifier::authorize`] with the token found by the header rules.
    pub fn authorize_headers<I, K, V>(&self, headers: I) -> Result<Authorized, VerifyError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.with_header_token(headers, |token| self.authorize(token))
    }

    /// [`Verifier::authorize`] at a given time (see [`Verifier::verify_at`]).
    pub fn authorize_at(
        &self,
        token: &str,
        now: std::time::SystemTime,
    ) -> Result<Authorized, VerifyError> {
        self.authorize_with(token, unix_seconds(now), Wait::Allowed)
            .map_err(Stop::into_error)
    }

    /// [`Verifier::authorize`] if it can be answered without waiting for a key fetch; `None`
    /// otherwise, exactly as [`Verifier::try_verify`]. The permission mapper runs on the
    /// calling thread (once per token, then cached): the built-in
    /// [`crate::policy::Policy`] never blocks, and a mapper of your own must not either.
    pub fn try_authorize(&self, token: &str) -> Option<Result<Authorized, VerifyError>> {
        let now = unix_seconds(self.inner.clock.now());
        settled(self.authorize_with(token, now, Wait::Never))
    }

    fn authorize_with(&self, token: &str, now: f64, wait: Wait) -> Result<Authorized, Stop> {
        let outcome = self.authorize_uncounted(token, now, wait);
        self.count(outcome)
    }

    fn authorize_uncounted(&self, token: &str, now: f64, wait: Wait) -> Result<Authorized, Stop> {
        let mapper = self.inner.mapper.as_ref().ok_or_else(|| {
            err(
                Reason::InvalidConfig,
                "authorize needs a permission mapper (VerifierBuilder::permission_mapper)",
            )
        })?;
        let entry = self.verified_entry(token, now, wait)?;
        let permissions = match entry.permissions.get() {
            Some(p) => p.clone(),
            None => {
                let p = mapper.permissions(&entry.identity)?;
                self.inner.counters.mapped(p.capped_rules().len());
                let p = Arc::new(p.counted_in(self.inner.counters.clone()));
                // A concurrent caller may have set it first; both answers are equal, and the
                // one stored is charged to the cache's byte budget (or drops the entry).
                if entry.permissions.set(p.clone()).is_ok() {
                    if let Some(cache) = self.inner.tokens.get().as_deref() {
                        cache.resize(token, &entry, now);
                    }
                }
                p
            }
        };
        Ok(Authorized {
            identity: entry.identity.clone(),
            permissions,
        })
    }

    /// The cache entry for a verified token: from the cache when still good, else from a full
    /// verification (then cached).
    fn verified_entry(&self, token: &str, now: f64, wait: Wait) -> Result<Arc<Entry>, Stop> {
        let tokens = self.inner.tokens.get();
        if let Some(cache) = tokens.as_deref() {
            let hit = cache.get(token);
            self.inner.counters.cache_lookup(hit.is_some());
            if let Some(hit) = hit {
                match self.recheck(&hit, now, wait) {
                    Ok(true) => return Ok(hit),
                    Ok(false) => cache.remove(token),
                    Err(e) => return Err(e),
                }
            }
        }
        let entry = Arc::new(self.verify_fully(token, now, wait)?);
        if let Some(cache) = tokens.as_deref() {
            cache.insert(token, entry.clone(), now);
        }
        Ok(entry)
    }

    fn rules<'a>(&self, trust: &'a Trust, now: f64) -> ClaimRules<'a> {
        ClaimRules {
            audiences: &trust.entry.audiences,
            require_iat: trust.entry.require_iat,
            leeway_secs: self.inner.options.leeway.as_secs_f64(),
            now,
        }
    }

    /// Whether a cached verification still holds: its key is still trusted (`Ok(false)`:
    /// verify again from scratch) and its times still hold (else the time error).
    fn recheck(&self, hit: &Entry, now: f64, wait: Wait) -> Result<bool, Stop> {
        let Some(trust) = self.inner.entries.get(hit.trust_index) else {
            return Ok(false);
        };
        let snapshot = trust.cache.get_with(wait)?;
        if !snapshot
            .keys
            .keys()
            .iter()
            .any(|k| Arc::ptr_eq(k, &hit.key))
        {
            return Ok(false);
        }
        let times = claims::Times {
            exp: hit.exp,
            nbf: hit.nbf,
            iat: hit.iat,
        };
        claims::check_times(&times, &self.rules(trust, now))?;
        Ok(true)
    }

    fn verify_fully(&self, token: &str, now: f64, wait: Wait) -> Result<Entry, Stop> {
        let options = &self.inner.options;
        let jws = jws::decode(token, options.max_token_bytes)?;
        let payload = claims::Payload::read(&jws.payload)?;
        let claim_set = payload.claims();
        let (trust_index, trust) = self.trust_for(claim_set.iss)?;
        let key = self.find_key(trust, &jws, wait)?;
        let checked = claims::check(&claim_set, &self.rules(trust, now))?;
        let (map, heap) = payload.into_parts();
        let claims = Claims::verified(jws.payload, map, heap);
        let identity = Arc::new(Identity {
            username: checked.username,
            sub: checked.sub,
            roles: checked.roles,
            traits: checked.traits,
            issuer: trust.entry.issuer.clone(),
            audience: checked.audience,
            expires_at: checked.expires_at,
            issued_at: checked.issued_at,
            not_before: checked.not_before,
            jti: checked.jti,
            key_id: key.kid().map(str::to_owned),
            algorithm: key.algorithm(),
            trust_entry: trust.entry.name.clone(),
            kind: trust.entry.kind,
            claims,
        });
        Ok(Entry {
            identity,
            key,
            trust_index,
            exp: checked.times.exp,
            nbf: checked.times.nbf,
            iat: checked.times.iat,
            permissions: Default::default(),
        })
    }

    fn trust_for(&self, iss: Option<claims::Claim<'_>>) -> Result<(usize, &Trust), VerifyError> {
        let iss = match iss {
            Some(c) => c.as_str().ok_or_else(|| {
                err(
                    Reason::InvalidClaim,
                    format!("`iss` is {}, not a string", c.kind()),
                )
            })?,
            None => return Err(err(Reason::MissingClaim, "`iss` is missing")),
        };
        self.inner
            .entries
            .iter()
            .enumerate()
            .find(|(_, t)| t.entry.issuer == *iss)
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .inner
                    .entries
                    .iter()
                    .map(|t| t.entry.issuer.as_str())
                    .collect();
                err(
                    Reason::IssuerMismatch,
                    format!("issuer {iss:?} is not trusted (trusted: {known:?})"),
                )
            })
    }

    /// The key that verifies `jws`, refetching once (rate-limited) when the cached set has no
    /// candidate, or, for a token without `kid`, when no candidate verifies.
    fn find_key(
        &self,
        trust: &Trust,
        jws: &jws::CompactJws<'_>,
        wait: Wait,
    ) -> Result<Arc<crate::keys::VerifyingKey>, Stop> {
        if jws.kid == KeyId::NotAString {
            return Err(err(
                Reason::UnknownKey,
                "the token's `kid` is not a string and matches no key",
            )
            .into());
        }
        let snapshot = trust.cache.get_with(wait)?;
        // Kid-less: the trial after a refetch skips the keys this one tried.
        let mut tried = jws::Tried::default();
        match jws::match_untried(jws, &snapshot.keys, &mut tried) {
            KeyMatch::Verified(k) => return Ok(k),
            KeyMatch::Failed(e)
                if jws.kid != KeyId::Absent || e.reason() != Reason::BadSignature =>
            {
                return Err(e.into())
            }
            KeyMatch::Failed(_) | KeyMatch::NoCandidate => {}
        }
        let newer: Arc<Snapshot> = trust.cache.refresh_for_unknown_key(&snapshot, wait)?;
        match jws::match_untried(jws, &newer.keys, &mut tried) {
            KeyMatch::Verified(k) => Ok(k),
            KeyMatch::Failed(e) => Err(e.into()),
            KeyMatch::NoCandidate => Err(Stop::Error(err(
                Reason::UnknownKey,
                match &jws.kid {
                    KeyId::Id(kid) => format!(
                        "no trusted key has kid {:?} (keys from {})",
                        truncate(kid, 80),
                        trust.cache.describe()
                    ),
                    _ => format!(
                        "no {} key among the trusted keys from {}",
                        jws.alg,
                        trust.cache.describe()
                    ),
                },
            ))),
        }
    }
}

/// The answer of a verification that may not wait, `None` when it would have had to.
fn settled<T>(outcome: Result<T, Stop>) -> Option<Result<T, VerifyError>> {
    match outcome {
        Ok(v) => Some(Ok(v)),
        Err(Stop::Error(e)) => Some(Err(e)),
        Err(Stop::WouldWait) => None,
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use serde_json::{json, Value};

    use super::*;
    use crate::keys::jwk::SIGNATURE_CHECKS;

    const ISSUER: &str = "issuer.example.com";
    const AUDIENCE: &str = "mcp+http://127.0.0.1:8000/mcp";

    /// Publishes its first document on the first fetch, the second afterwards.
    struct Growing {
        jwks: [Vec<u8>; 2],
        fetches: AtomicUsize,
    }

    impl KeySource for Growing {
        fn fetch_jwks(&self) -> Result<Vec<u8>, VerifyError> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            Ok(self.jwks[n.min(1)].clone())
        }
        fn describe(&self) -> String {
            "a growing JWKS".into()
        }
    }

    /// Each key as Teleport publishes it (with its `kid`, and again with `"kid": ""`).
    fn jwks(keys: &[EcdsaKeyPair]) -> Vec<u8> {
        let mut entries: Vec<Value> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let point = k.public_key().as_ref();
            let jwk = |kid: String| {
                json!({"kty": "EC", "crv": "P-256", "kid": kid,
                       "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                       "y": URL_SAFE_NO_PAD.encode(&point[33..65])})
            };
            entries.push(jwk(format!("k{i}")));
            entries.push(jwk(String::new()));
            if i == 0 {
                entries.push(jwk("k0-again".into())); // the same key under a second kid
            }
        }
        json!({ "keys": entries }).to_string().into_bytes()
    }

    /// An ES256 token with this header, signed by `key` or, without one, with a made-up
    /// signature.
    fn token(header: &str, key: Option<&EcdsaKeyPair>) -> String {
        let exp = unix_seconds(std::time::SystemTime::now()) as i64 + 300;
        let header = URL_SAFE_NO_PAD.encode(header);
        let claims = json!({"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "exp": exp});
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = match key {
            Some(k) => k
                .sign(&SystemRandom::new(), input.as_bytes())
                .expect("signs")
                .as_ref()
                .to_vec(),
            None => vec![0x5a; 64],
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn checks(f: impl FnOnce()) -> u64 {
        let before = SIGNATURE_CHECKS.with(std::cell::Cell::get);
        f();
        SIGNATURE_CHECKS.with(std::cell::Cell::get) - before
    }

    /// Finding 7: a kid-less token was checked against every key of the set, then, after the
    /// refetch its failure triggers, against every key again (200 checks with 100 keys, 4.6 ms).
    /// Now each distinct key material is tried once per token: blank-kid twins and a key under
    /// two kids count once, and the trial after a refetch tries only the keys it brought.
    #[test]
    fn finding_07_a_kid_less_token_tries_each_distinct_key_once() {
        let keys: Vec<EcdsaKeyPair> = (0..101)
            .map(|_| EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("key"))
            .collect();
        let source = Arc::new(Growing {
            jwks: [jwks(&keys[..100]), jwks(&keys)],
            fetches: AtomicUsize::new(0),
        });
        let verifier = Verifier::builder()
            .trust(TrustEntry::new(
                ISSUER,
                vec![AUDIENCE.into()],
                KeysFrom::Source(source.clone()),
            ))
            .configure(|o| o.cache.max_keys = 1000)
            .build()
            .expect("builds");
        verifier.warm_up().expect("keys load");

        // Signed by the key only the refetch brings: 100 keys fail, the refetch adds one.
        let kidless = r#"{"alg":"ES256","typ":"JWT"}"#;
        let new_key = token(kidless, Some(&keys[100]));
        let n = checks(|| assert!(verifier.verify(&new_key).is_ok()));
        assert_eq!(n, 101, "100 distinct keys, then only the new one");
        assert_eq!(source.fetches.load(Ordering::SeqCst), 2);

        // Forged: its failure uses the budget's second refetch, which brings the same keys; the
        // set is tried once, not once more.
        let forged = token(kidless, None);
        let mut refused = None;
        let n = checks(|| refused = verifier.verify(&forged).err());
        assert_eq!(n, 101, "101 distinct keys, each once");
        assert_eq!(refused.map(|e| e.reason()), Some(Reason::BadSignature));

        // A token with a kid is checked against that key alone.
        let with_kid = token(r#"{"alg":"ES256","kid":"k7","typ":"JWT"}"#, Some(&keys[7]));
        let n = checks(|| assert!(verifier.verify(&with_kid).is_ok()));
        assert_eq!(n, 1);
    }
}
