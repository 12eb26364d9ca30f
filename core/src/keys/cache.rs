//! The key cache: when to fetch, what to keep through an outage, and single-flight.
//!
//! Policy ([`CachePolicy`], defaults in brackets):
//! - a fetched key set is used without refetching for `max_age` [10 min];
//! - a token whose `kid` is not in the set triggers at most one refetch per `cooldown` [30 s] in
//!   total, however many such tokens arrive (an unknown-`kid` spray costs one fetch);
//! - after a failed fetch, no new attempt is made for `cooldown`; meanwhile, and while fetches keep
//!   failing, the last good set stays in use until it is `max_stale` [24 h] old, then
//!   verification fails closed with `key_source_unavailable`;
//! - a refresh replaces the whole set, so removed keys stop verifying;
//! - concurrent callers that need a fetch share one (single-flight): one fetch is in flight at a
//!   time and the others wait for its result instead of fetching again.
//!
//! A warm verification takes only a shared read lock to clone an `Arc`; it never waits for a
//! fetch and never serialises with other verifications.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::{Mutex, RwLock};

use super::set::KeySet;
use super::source::KeySource;
use crate::clock::{age, Clock};
use crate::error::{err, Reason, VerifyError};

/// How keys are cached and refreshed. See the module docs for the exact rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// How long a fetched key set is used before it is refreshed (default 10 minutes).
    pub max_age: Duration,
    /// Minimum time between two fetches caused by unknown `kid`s or after a failed fetch
    /// (default 30 seconds).
    pub cooldown: Duration,
    /// How long the last good key set may keep verifying while fetches fail (default 24 hours).
    pub max_stale: Duration,
    /// Largest number of entries accepted in one JWKS (default 100).
    pub max_keys: usize,
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            max_age: Duration::from_secs(600),
            cooldown: Duration::from_secs(30),
            max_stale: Duration::from_secs(24 * 3600),
            max_keys: 100,
        }
    }
}

/// One fetched key set and when it was fetched.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) keys: KeySet,
    pub(crate) fetched_at: SystemTime,
}

#[derive(Debug, Default)]
struct FetchState {
    last_attempt: Option<SystemTime>,
    last_error: Option<VerifyError>,
}

/// Why a refresh is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// No key set yet, or the set is older than `max_age`.
    Needed,
    /// The set has no key for a token: refetch only if the cooldown allows.
    UnknownKey,
}

/// The cached keys of one trust entry.
pub(crate) struct KeyCache {
    source: Arc<dyn KeySource>,
    policy: CachePolicy,
    clock: Arc<dyn Clock>,
    current: RwLock<Option<Arc<Snapshot>>>,
    fetch: Mutex<FetchState>,
    /// Number of fetch attempts so far; lets a waiter see that another caller fetched.
    attempts: AtomicU64,
    /// Successful and failed fetches, for diagnostics and tests.
    pub(crate) fetches: AtomicU64,
}

impl KeyCache {
    pub(crate) fn new(
        source: Arc<dyn KeySource>,
        policy: CachePolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        KeyCache {
            source,
            policy,
            clock,
            current: RwLock::new(None),
            fetch: Mutex::new(FetchState::default()),
            attempts: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
        }
    }

    pub(crate) fn describe(&self) -> String {
        self.source.describe()
    }

    /// A key set fit for use now: the cached one while younger than `max_age`, else a fresh
    /// one, else (fetch failing) the cached one while younger than `max_stale`.
    pub(crate) fn get(&self) -> Result<Arc<Snapshot>, VerifyError> {
        let observed = self.attempts.load(Ordering::Acquire);
        let snapshot = self.current.read().clone();
        let now = self.clock.now();
        match snapshot {
            Some(s) if age(now, s.fetched_at) < self.policy.max_age => Ok(s),
            Some(s) => match self.refresh(Cause::Needed, observed) {
                Ok(fresh) => Ok(fresh),
                Err(e) if age(now, s.fetched_at) < self.policy.max_stale => {
                    log::warn!(
                        "teleport-jwt: using keys from {} fetched {}s ago: {e}",
                        self.describe(),
                        age(now, s.fetched_at).as_secs()
                    );
                    Ok(s)
                }
                Err(e) => Err(err(
                    Reason::KeySourceUnavailable,
                    format!(
                        "the last good keys from {} are {}s old, past the maximum staleness of {}s, and refreshing failed: {}",
                        self.describe(),
                        age(now, s.fetched_at).as_secs(),
                        self.policy.max_stale.as_secs(),
                        e.message()
                    ),
                )),
            },
            None => self.refresh(Cause::Needed, observed),
        }
    }

    /// Called when `seen` has no key for a token: refetches once per cooldown at most and
    /// returns the newest set (possibly `seen` itself when no refetch was allowed).
    pub(crate) fn refresh_for_unknown_key(
        &self,
        seen: &Arc<Snapshot>,
    ) -> Result<Arc<Snapshot>, VerifyError> {
        let observed = self.attempts.load(Ordering::Acquire);
        if let Some(current) = self.current.read().clone() {
            if !Arc::ptr_eq(&current, seen) {
                return Ok(current);
            }
        }
        match self.refresh(Cause::UnknownKey, observed) {
            Ok(s) => Ok(s),
            // A failed refetch leaves the previous answer standing.
            Err(_) => Ok(self.current.read().clone().unwrap_or_else(|| seen.clone())),
        }
    }

    fn refresh(&self, cause: Cause, observed: u64) -> Result<Arc<Snapshot>, VerifyError> {
        let mut state = self.fetch.lock();
        let current = self.current.read().clone();
        if self.attempts.load(Ordering::Acquire) != observed {
            // Another caller fetched while we waited for the lock: share its result.
            return match (&state.last_error, current) {
                (None, Some(s)) => Ok(s),
                (Some(e), _) => Err(e.clone()),
                (None, None) => Err(err(Reason::KeySourceUnavailable, "no keys fetched yet")),
            };
        }
        let now = self.clock.now();
        if let Some(last) = state.last_attempt {
            let cooling = age(now, last) < self.policy.cooldown;
            if cooling && cause == Cause::UnknownKey {
                return match current {
                    Some(s) => Ok(s),
                    None => Err(state.last_error.clone().unwrap_or_else(|| {
                        err(Reason::KeySourceUnavailable, "no keys fetched yet")
                    })),
                };
            }
            if cooling {
                if let Some(e) = &state.last_error {
                    return Err(e.clone());
                }
            }
        }
        let result = self.source.fetch_jwks().and_then(|bytes| {
            KeySet::from_jwks_json(&bytes, self.policy.max_keys).map_err(|e| {
                err(
                    Reason::KeySourceUnavailable,
                    format!("{}: {e}", self.source.describe()),
                )
            })
        });
        self.fetches.fetch_add(1, Ordering::Relaxed);
        state.last_attempt = Some(now);
        let outcome = match result {
            Ok(keys) => {
                let snapshot = Arc::new(Snapshot {
                    keys,
                    fetched_at: now,
                });
                *self.current.write() = Some(snapshot.clone());
                state.last_error = None;
                Ok(snapshot)
            }
            Err(e) => {
                log::warn!("teleport-jwt: fetching keys failed: {e}");
                state.last_error = Some(e.clone());
                Err(e)
            }
        };
        self.attempts.fetch_add(1, Ordering::Release);
        outcome
    }
}
