//! The verifier: token in, [`Identity`] or a [`VerifyError`] with a reason out.
//!
//! Order of checks, each failing with its own reason: size and structure and header
//! (the strict JWS decoder, [`crate::dangerous::decode_unverified`]), payload JSON, `iss` picks a trust entry (no fetch for an unknown
//! issuer), keys of that entry (cached, see [`crate::keys::cache`]), signature with the key the
//! `kid` names (algorithm taken from the key), then the claims (times, audience, subject,
//! roles and traits).
//!
//! Here: the verifier and its public operations. How it is built, from trust entries, options
//! and plug-ins, is in `builder.rs`; the checks themselves, in that order, with the
//! verified-token cache in front of them, in `check.rs`.

mod builder;
mod check;

use std::fmt;
use std::sync::Arc;

pub use builder::VerifierBuilder;

use crate::clock::{unix_seconds, Clock};
use crate::config::{TeleportIdToken, TeleportJwt, TrustEntry, VerifierOptions};
use crate::error::{err, Reason, VerifyError};
use crate::headers;
use crate::identity::Identity;
use crate::keys::cache::{KeyCache, Stop, Wait};
use crate::policy::{PermissionMapper, Permissions};
use crate::stats::{Counters, Stats};
use crate::token_cache::TokenCacheCell;

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
}

/// The answer of a verification that may not wait, `None` when it would have had to.
fn settled<T>(outcome: Result<T, Stop>) -> Option<Result<T, VerifyError>> {
    match outcome {
        Ok(v) => Some(Ok(v)),
        Err(Stop::Error(e)) => Some(Err(e)),
        Err(Stop::WouldWait) => None,
    }
}
