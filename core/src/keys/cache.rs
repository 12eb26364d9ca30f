//! The key cache: when keys are fetched, what is kept through an outage, and who waits.
//!
//! Rules ([`CachePolicy`], defaults in brackets). Every age, cooldown and staleness runs on the
//! clock's monotonic time ([`crate::Clock::monotonic`]), so a wall clock that steps back or
//! forward neither freezes refreshes nor stretches the maximum staleness.
//!
//! - **Fresh.** A fetched key set is used as it is while younger than `max_age` [10 min].
//! - **Refreshed ahead, in the background.** Each key cache has a refresher thread (started on
//!   first use, ended within one fetch timeout after the verifier is dropped) that fetches
//!   again when the set is 3/4 of `max_age` old. While the key endpoint answers, no set is
//!   ever used past `max_age`, and no request waits for a routine refresh.
//! - **Outage.** When a fetch fails, the refresher retries a `cooldown` [30 s] after the failed
//!   attempt ended (so a hanging endpoint gets one connection per timeout plus cooldown); requests
//!   keep verifying with the last good set, without waiting, until it is `max_stale` [24 h]
//!   old; then verification fails closed with `key_source_unavailable`.
//! - **No usable set** (none fetched yet, or the last one is past `max_stale`). Only then does
//!   a request wait, for one fetch and at most the fetch timeout. Fetches are single-flight:
//!   callers that arrive while one is in flight wait for it and share its result. After a
//!   failed attempt such callers are answered at once with its error until a cooldown has
//!   passed.
//! - **Unknown `kid`.** A token whose key is not in the set may cause a refetch, at most one per
//!   `cooldown` from a budget of its own: routine refreshes do not use it, so a key published
//!   right after a refresh verifies on its first token. Only the caller that starts the refetch
//!   waits for it. While any fetch is in flight, other callers with an unknown `kid` are
//!   answered from the current set at once (`unknown_key`) instead of queueing, so a flood of
//!   made-up `kid`s ties up at most one thread per cooldown. No such refetch is tried while the
//!   source is backing off after a failure.
//! - A fetched set replaces the whole set, so removed keys stop verifying.
//!
//! A warm verification takes a shared read lock to clone an `Arc` and reads two atomics; it
//! never waits for a fetch and never serialises with other verifications.
//!
//! A caller that must not block (an async runtime's worker thread) asks through
//! [`crate::Verifier::try_verify`]: wherever the rules above would make it fetch or wait for a
//! fetch in flight, it is told so instead, and nothing is fetched or recorded for it.
//! Everything that does not wait (a usable set, an answer from the last failure during its
//! cooldown, an unknown `kid` outside its refetch budget) is answered exactly as for
//! [`crate::Verifier::verify`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::{Condvar, Mutex, MutexGuard, RwLock};

use super::set::KeySet;
use super::source::KeySource;
use crate::clock::{unix_seconds, Clock};
use crate::error::{err, Reason, VerifyError};
use crate::events::{KeyEvent, KeyEvents};
use crate::stats::{FetchCounters, KeyInfo, KeySourceStats};

/// Where a cache reports [`KeyEvent`]s: the trust entry's name and the receiver.
pub(crate) type EventSink = Option<(String, Arc<dyn KeyEvents>)>;

/// Whether a caller may wait for a key fetch (its own, or one in flight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Fetch, or wait for a fetch, when the rules say so.
    Allowed,
    /// Never: stop with [`Stop::WouldWait`] instead.
    Never,
}

/// Why a key lookup (or a verification) that was not allowed to wait stopped.
#[derive(Debug)]
pub(crate) enum Stop {
    /// Refused with this error.
    Error(VerifyError),
    /// Answering needs a key fetch, or waiting for one in flight ([`Wait::Never`] only).
    WouldWait,
}

impl From<VerifyError> for Stop {
    fn from(e: VerifyError) -> Self {
        Stop::Error(e)
    }
}

impl Stop {
    /// The error of a caller that was allowed to wait, for which `WouldWait` cannot happen.
    pub(crate) fn into_error(self) -> VerifyError {
        match self {
            Stop::Error(e) => e,
            Stop::WouldWait => err(
                Reason::InternalError,
                "a verification that may wait for keys stopped as if it could not",
            ),
        }
    }
}

/// How keys are cached and refreshed. See the [module docs](self) for the exact rules; the
/// bounds are checked when the verifier is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// How long a fetched key set is used before it counts as stale (default 10 minutes,
    /// at least `cooldown`, at most 24 hours). It is refreshed in the background at 3/4 of it.
    pub max_age: Duration,
    /// Minimum time between two refetches caused by unknown `kid`s, and between two attempts
    /// after a failed fetch (default 30 seconds; from 1 second to 1 hour).
    pub cooldown: Duration,
    /// How long the last good key set may keep verifying while fetches fail (default 24
    /// hours; from `max_age` to 7 days).
    pub max_stale: Duration,
    /// Largest number of entries accepted in one JWKS (default 100; from 1 to 1000).
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

impl CachePolicy {
    /// Checks the bounds documented on each field.
    pub(crate) fn validate(&self) -> Result<(), VerifyError> {
        let secs = |d: Duration| d.as_secs_f64();
        let bad = |what: String| Err(err(Reason::InvalidConfig, what));
        if self.cooldown < Duration::from_secs(1) || self.cooldown > Duration::from_secs(3600) {
            return bad(format!(
                "cache cooldown is {}s; it must be from 1s to 3600s (it rate-limits key fetches)",
                secs(self.cooldown)
            ));
        }
        if self.max_age < self.cooldown || self.max_age > Duration::from_secs(24 * 3600) {
            return bad(format!(
                "cache max_age is {}s; it must be at least the cooldown ({}s) and at most 86400s",
                secs(self.max_age),
                secs(self.cooldown)
            ));
        }
        if self.max_stale < self.max_age || self.max_stale > Duration::from_secs(7 * 24 * 3600) {
            return bad(format!(
                "cache max_stale is {}s; it must be at least max_age ({}s) and at most 604800s (7 days)",
                secs(self.max_stale),
                secs(self.max_age)
            ));
        }
        if self.max_keys == 0 || self.max_keys > 1000 {
            return bad(format!(
                "cache max_keys is {}; it must be from 1 to 1000",
                self.max_keys
            ));
        }
        Ok(())
    }

    /// Age at which the background refresher fetches a healthy set again.
    fn refresh_ahead(&self) -> Duration {
        self.max_age * 3 / 4
    }
}

/// One fetched key set and when it was fetched.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) keys: KeySet,
    /// Monotonic time of the fetch ([`Clock::monotonic`]).
    pub(crate) fetched_at: Duration,
}

#[derive(Debug, Default)]
struct FetchState {
    /// Monotonic time the latest attempt ended, successful or not.
    last_attempt: Option<Duration>,
    /// The error of the latest attempt while it failed; `None` after a success.
    last_error: Option<VerifyError>,
    /// Consecutive failed attempts, for the recovery log line.
    failures: u64,
    /// Monotonic time of the latest refetch caused by an unknown `kid` (its own budget).
    last_unknown_kid_refetch: Option<Duration>,
    /// Monotonic time stale keys began serving in the current outage (`None`: they are not).
    stale_since: Option<Duration>,
    /// Whether this outage's [`KeyEvent::MaxStaleExceeded`] was sent.
    max_stale_reported: bool,
}

/// "Nothing planned" in [`KeyCache::refresh_due`].
const NOT_PLANNED: u64 = u64::MAX;
/// How long the refresher sleeps when nothing is planned (a nudge wakes it earlier).
const IDLE: Duration = Duration::from_secs(3600);

/// The cached keys of one trust entry.
pub(crate) struct KeyCache {
    source: Arc<dyn KeySource>,
    policy: CachePolicy,
    clock: Arc<dyn Clock>,
    current: RwLock<Option<Arc<Snapshot>>>,
    /// Held for the whole of a fetch: this is what makes fetches single-flight.
    fetch: Mutex<FetchState>,
    /// Number of completed fetch attempts; lets a waiter see that another caller fetched.
    attempts: AtomicU64,
    /// Successful and failed fetches, for diagnostics and tests.
    pub(crate) fetches: AtomicU64,
    /// Fetch results, latencies and unknown-`kid` refetches, for [`KeyCache::stats`].
    counters: FetchCounters,
    /// The failure streak as [`KeyCache::stats`] shows it: Unix seconds it began and the last
    /// error's text. Its own lock, so that reading it never waits for a fetch in flight.
    failing: Mutex<Option<(i64, String)>>,
    events: EventSink,
    /// Monotonic nanoseconds from which the refresher has work to do ([`NOT_PLANNED`]: none).
    /// A request past it wakes the refresher (see [`KeyCache::nudge`]).
    refresh_due: AtomicU64,
    /// The refresher's wake-up signal; `None` inside when its thread could not be started.
    refresher: OnceLock<Option<Arc<Signal>>>,
}

impl Drop for KeyCache {
    fn drop(&mut self) {
        if let Some(Some(signal)) = self.refresher.get() {
            signal.stop();
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(NOT_PLANNED - 1)
}

impl KeyCache {
    pub(crate) fn new(
        source: Arc<dyn KeySource>,
        policy: CachePolicy,
        clock: Arc<dyn Clock>,
        events: EventSink,
    ) -> Self {
        KeyCache {
            source,
            policy,
            clock,
            current: RwLock::new(None),
            fetch: Mutex::new(FetchState::default()),
            attempts: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
            counters: FetchCounters::default(),
            failing: Mutex::new(None),
            events,
            refresh_due: AtomicU64::new(NOT_PLANNED),
            refresher: OnceLock::new(),
        }
    }

    pub(crate) fn describe(&self) -> String {
        self.source.describe()
    }

    /// Sends `event` (built only when someone listens); a panicking receiver is contained.
    fn emit(&self, event: impl FnOnce(String) -> KeyEvent) {
        if let Some((entry, sink)) = &self.events {
            let event = event(entry.clone());
            if catch_unwind(AssertUnwindSafe(|| sink.on_event(&event))).is_err() {
                log::error!("teleport-jwt: a KeyEvents receiver panicked on {event:?}");
            }
        }
    }

    /// The counters and state of this cache, for [`crate::Verifier::stats`]. Takes no lock a
    /// fetch holds.
    pub(crate) fn stats(&self, trust_entry: &str) -> KeySourceStats {
        let (fetch_duration_buckets, fetch_duration_sum) = self.counters.histogram();
        let failing = self.failing.lock().clone();
        let current = self.current.read().clone();
        let now = self.clock.monotonic();
        let age = current.as_deref().map(|s| self.age(now, s));
        let keys = current
            .as_ref()
            .map(|s| {
                s.keys
                    .keys()
                    .iter()
                    .map(|k| KeyInfo {
                        kid: k.kid().map(str::to_owned),
                        algorithm: k.algorithm(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        KeySourceStats {
            trust_entry: trust_entry.to_owned(),
            source: self.describe(),
            fetches_ok: self.counters.ok.load(Ordering::Relaxed),
            fetches_failed: self.counters.failed.load(Ordering::Relaxed),
            fetch_duration_buckets,
            fetch_duration_sum,
            unknown_kid_refetches: self.counters.unknown_kid_refetches.load(Ordering::Relaxed),
            serving_stale: failing.is_some() && age.is_some_and(|a| a < self.policy.max_stale),
            keys_age_seconds: age.map(|a| a.as_secs_f64()),
            failing_since: failing.as_ref().map(|(since, _)| *since),
            last_fetch_error: failing.map(|(_, e)| e),
            keys,
        }
    }

    fn age(&self, now: Duration, s: &Snapshot) -> Duration {
        now.saturating_sub(s.fetched_at)
    }

    /// A key set fit for use now. A set younger than `max_stale` is returned at once (a refresh
    /// it needs happens in the background); only without one does the caller wait for a fetch.
    pub(crate) fn get(self: &Arc<Self>) -> Result<Arc<Snapshot>, VerifyError> {
        self.get_with(Wait::Allowed).map_err(Stop::into_error)
    }

    /// [`KeyCache::get`], or with [`Wait::Never`] `WouldWait` where it would fetch or wait.
    pub(crate) fn get_with(self: &Arc<Self>, wait: Wait) -> Result<Arc<Snapshot>, Stop> {
        let snapshot = self.current.read().clone();
        let now = self.clock.monotonic();
        if let Some(s) = &snapshot {
            let age = self.age(now, s);
            if age < self.policy.max_stale {
                if nanos(now) >= self.refresh_due.load(Ordering::Acquire) && !self.nudge() {
                    // No refresher thread: refresh here, but only when no fetch is in flight.
                    if age >= self.policy.max_age {
                        if let Some(state) = self.fetch.try_lock() {
                            if wait == Wait::Never {
                                return Err(Stop::WouldWait);
                            }
                            let (fetched, _) = self.routine_refresh(state);
                            return Ok(fetched.unwrap_or_else(|| s.clone()));
                        }
                    }
                }
                return Ok(s.clone());
            }
        }
        match wait {
            Wait::Allowed => Ok(self.fetch_without_usable_keys(snapshot)?),
            Wait::Never => self.without_usable_keys_now(snapshot),
        }
    }

    /// Called when `seen` has no key for a token: refetches at most once per cooldown (see the
    /// module docs) and returns the newest set, `seen` itself when no refetch was made.
    /// With [`Wait::Never`], `WouldWait` where it would refetch (nothing is recorded then).
    pub(crate) fn refresh_for_unknown_key(
        self: &Arc<Self>,
        seen: &Arc<Snapshot>,
        wait: Wait,
    ) -> Result<Arc<Snapshot>, Stop> {
        let newer = |cache: &Self| match cache.current.read().clone() {
            Some(current) if !Arc::ptr_eq(&current, seen) => Some(current),
            _ => None,
        };
        if let Some(current) = newer(self) {
            return Ok(current);
        }
        // A fetch in flight: answer from what we have rather than queue behind it.
        let Some(mut state) = self.fetch.try_lock() else {
            return Ok(seen.clone());
        };
        if let Some(current) = newer(self) {
            return Ok(current);
        }
        let now = self.clock.monotonic();
        let within_cooldown =
            |t: Option<Duration>| t.is_some_and(|t| now.saturating_sub(t) < self.policy.cooldown);
        if (state.last_error.is_some() && within_cooldown(state.last_attempt))
            || within_cooldown(state.last_unknown_kid_refetch)
        {
            return Ok(seen.clone());
        }
        if wait == Wait::Never {
            return Err(Stop::WouldWait);
        }
        state.last_unknown_kid_refetch = Some(now);
        self.counters
            .unknown_kid_refetches
            .fetch_add(1, Ordering::Relaxed);
        let fetched = self.fetch_locked(&mut state, now).ok();
        self.plan(&state);
        drop(state);
        self.nudge();
        Ok(fetched.unwrap_or_else(|| seen.clone()))
    }

    /// The cold path for a caller that may not wait: the answer of the latest failed attempt
    /// while its cooldown lasts (as [`KeyCache::fetch_without_usable_keys`] gives it), a set
    /// fetched meanwhile, or `WouldWait`.
    fn without_usable_keys_now(
        self: &Arc<Self>,
        stale: Option<Arc<Snapshot>>,
    ) -> Result<Arc<Snapshot>, Stop> {
        // A fetch in flight holds the lock: waiting for it is what the caller may not do.
        let Some(state) = self.fetch.try_lock() else {
            return Err(Stop::WouldWait);
        };
        let now = self.clock.monotonic();
        if let Some(s) = self.current.read().clone() {
            if self.age(now, &s) < self.policy.max_stale {
                return Ok(s);
            }
        }
        if !self.backing_off(&state, now) {
            return Err(Stop::WouldWait);
        }
        let e = self.unavailable(&state, stale.as_deref(), now);
        self.plan(&state);
        drop(state);
        self.nudge();
        Err(Stop::Error(e))
    }

    /// Whether the latest attempt failed less than a cooldown ago (callers then get its error
    /// instead of a new attempt).
    fn backing_off(&self, state: &FetchState, now: Duration) -> bool {
        state.last_error.is_some()
            && state
                .last_attempt
                .is_some_and(|t| now.saturating_sub(t) < self.policy.cooldown)
    }

    /// The cold path: no set, or one past `max_stale`. Waits for an in-flight fetch or makes
    /// one, unless the last attempt failed less than a cooldown ago.
    fn fetch_without_usable_keys(
        self: &Arc<Self>,
        stale: Option<Arc<Snapshot>>,
    ) -> Result<Arc<Snapshot>, VerifyError> {
        let observed = self.attempts.load(Ordering::Acquire);
        let mut state = self.fetch.lock();
        let now = self.clock.monotonic();
        if self.attempts.load(Ordering::Acquire) != observed {
            // Another caller fetched while we waited for the lock: share its result.
            if let Some(s) = self.current.read().clone() {
                if self.age(now, &s) < self.policy.max_stale {
                    return Ok(s);
                }
            }
            return Err(self.unavailable(&state, stale.as_deref(), now));
        }
        if !self.backing_off(&state, now) {
            if let Ok(s) = self.fetch_locked(&mut state, now) {
                self.plan(&state);
                drop(state);
                self.nudge();
                return Ok(s);
            }
        }
        let e = self.unavailable(&state, stale.as_deref(), now);
        self.plan(&state);
        drop(state);
        self.nudge();
        Err(e)
    }

    /// The error for a caller left without usable keys.
    fn unavailable(
        &self,
        state: &FetchState,
        stale: Option<&Snapshot>,
        now: Duration,
    ) -> VerifyError {
        let last = state
            .last_error
            .clone()
            .unwrap_or_else(|| err(Reason::KeySourceUnavailable, "no keys fetched yet"));
        match stale {
            None => last,
            Some(s) => err(
                Reason::KeySourceUnavailable,
                format!(
                    "the last good keys from {} are {}s old, past the maximum staleness of {}s, and refreshing failed: {}",
                    self.describe(),
                    self.age(now, s).as_secs(),
                    self.policy.max_stale.as_secs(),
                    last.message()
                ),
            ),
        }
    }

    /// One fetch, with the fetch lock held. Records the outcome.
    fn fetch_locked(
        &self,
        state: &mut MutexGuard<'_, FetchState>,
        now: Duration,
    ) -> Result<Arc<Snapshot>, VerifyError> {
        // Set before the source is called too, so that a source that panics is not retried
        // at once.
        state.last_attempt = Some(now);
        let started = std::time::Instant::now();
        let result = self.source.fetch_jwks().and_then(|bytes| {
            KeySet::from_jwks_json(&bytes, self.policy.max_keys).map_err(|e| {
                err(
                    Reason::KeySourceUnavailable,
                    format!("{}: {}", self.source.describe(), e.message()),
                )
            })
        });
        self.counters.fetched(result.is_ok(), started.elapsed());
        let outcome = match result {
            Ok(keys) => {
                let fetched_at = self.clock.monotonic();
                let snapshot = Arc::new(Snapshot { keys, fetched_at });
                let previous = self.current.write().replace(snapshot.clone());
                if self.events.is_some() {
                    let kids = |s: Option<&Snapshot>| -> std::collections::BTreeSet<String> {
                        s.map(|s| {
                            s.keys
                                .keys()
                                .iter()
                                .map(|k| k.kid().unwrap_or("").to_owned())
                                .collect()
                        })
                        .unwrap_or_default()
                    };
                    let (old, new) = (kids(previous.as_deref()), kids(Some(&snapshot)));
                    if old != new {
                        self.emit(|trust_entry| KeyEvent::KeySetChanged {
                            trust_entry,
                            added: new.difference(&old).cloned().collect(),
                            removed: old.difference(&new).cloned().collect(),
                        });
                    }
                    if let Some(since) = state.stale_since {
                        let stale_for = fetched_at.saturating_sub(since);
                        self.emit(|trust_entry| KeyEvent::ServingStaleEnded {
                            trust_entry,
                            stale_for,
                        });
                    }
                    if state.failures > 0 {
                        let failed_attempts = state.failures;
                        self.emit(|trust_entry| KeyEvent::FetchRecovered {
                            trust_entry,
                            failed_attempts,
                        });
                    }
                }
                if state.failures > 0 {
                    log::info!(
                        "teleport-jwt: keys from {} fetched again after {} failed attempts",
                        self.describe(),
                        state.failures
                    );
                }
                state.last_error = None;
                state.failures = 0;
                state.stale_since = None;
                state.max_stale_reported = false;
                *self.failing.lock() = None;
                Ok(snapshot)
            }
            Err(e) => {
                state.failures += 1;
                match self.current.read().as_deref() {
                    Some(s) => log::warn!(
                        "teleport-jwt: fetching keys failed: {e}; verifying with the last good keys (fetched {}s ago) until they are {}s old",
                        self.age(now, s).as_secs(),
                        self.policy.max_stale.as_secs()
                    ),
                    None => log::warn!("teleport-jwt: fetching keys failed: {e}"),
                }
                state.last_error = Some(e.clone());
                let mut failing = self.failing.lock();
                let since = match failing.as_ref() {
                    Some((since, _)) => *since,
                    #[allow(clippy::cast_possible_truncation)]
                    None => unix_seconds(self.clock.now()).floor() as i64,
                };
                *failing = Some((since, e.to_string()));
                drop(failing);
                let ended = self.clock.monotonic();
                let keys_age = self.current.read().as_deref().map(|s| self.age(ended, s));
                let max_stale = self.policy.max_stale;
                let serving_stale = keys_age.is_some_and(|age| age < max_stale);
                self.emit(|trust_entry| KeyEvent::FetchFailed {
                    trust_entry,
                    error: e.clone(),
                    serving_stale,
                });
                match keys_age {
                    Some(keys_age) if serving_stale && state.stale_since.is_none() => {
                        state.stale_since = Some(ended);
                        self.emit(|trust_entry| KeyEvent::ServingStaleStarted {
                            trust_entry,
                            keys_age,
                            remaining: max_stale.saturating_sub(keys_age),
                        });
                    }
                    Some(keys_age) if !serving_stale && !state.max_stale_reported => {
                        state.max_stale_reported = true;
                        if let Some(since) = state.stale_since.take() {
                            let stale_for = ended.saturating_sub(since);
                            self.emit(|trust_entry| KeyEvent::ServingStaleEnded {
                                trust_entry,
                                stale_for,
                            });
                        }
                        log::error!(
                            "teleport-jwt: the last good keys from {} are {}s old, past max_stale ({}s): refusing its tokens until a fetch succeeds",
                            self.describe(),
                            keys_age.as_secs(),
                            max_stale.as_secs()
                        );
                        self.emit(|trust_entry| KeyEvent::MaxStaleExceeded {
                            trust_entry,
                            keys_age,
                            max_stale,
                        });
                    }
                    _ => {}
                }
                Err(e)
            }
        };
        // Cooldowns count from the end of an attempt: after a fetch that hung for the whole
        // timeout, the next one still waits a full cooldown.
        state.last_attempt = Some(self.clock.monotonic());
        self.plan(state);
        // Counted once the outcome and the next plan are in place, so a reader of the count
        // sees their effect.
        self.fetches.fetch_add(1, Ordering::Release);
        self.attempts.fetch_add(1, Ordering::Release);
        outcome
    }

    /// When the refresher next has work: one cooldown after a failed (or abandoned) attempt,
    /// 3/4 of `max_age` after a successful one; nothing before the first attempt (the first
    /// request fetches). Stores it in `refresh_due` and returns it.
    fn plan(&self, state: &FetchState) -> Option<Duration> {
        let retry = state.last_attempt.map(|t| t + self.policy.cooldown);
        let current = self.current.read().clone();
        let due = match current {
            Some(s) if state.last_error.is_none() => {
                let ahead = s.fetched_at + self.policy.refresh_ahead();
                Some(retry.map_or(ahead, |r| r.max(ahead)))
            }
            _ => retry,
        };
        self.refresh_due
            .store(due.map_or(NOT_PLANNED, nanos), Ordering::Release);
        due
    }

    /// A routine refresh if one is due, with the fetch lock held. Returns the new set, if one
    /// was fetched, and the next plan.
    fn routine_refresh(
        &self,
        mut state: MutexGuard<'_, FetchState>,
    ) -> (Option<Arc<Snapshot>>, Option<Duration>) {
        let now = self.clock.monotonic();
        let fetched = match self.plan(&state) {
            Some(due) if due <= now => self.fetch_locked(&mut state, now).ok(),
            _ => None,
        };
        (fetched, self.plan(&state))
    }

    /// Wakes the refresher (starting it on first use) so it re-reads the plan. Returns false
    /// when no refresher thread could be started.
    fn nudge(self: &Arc<Self>) -> bool {
        let signal = self.refresher.get_or_init(|| self.start_refresher());
        match signal {
            Some(signal) => {
                // Claim this due time so that concurrent requests do not all wake it.
                self.refresh_due.store(NOT_PLANNED, Ordering::Release);
                signal.wake();
                true
            }
            None => false,
        }
    }

    fn start_refresher(self: &Arc<Self>) -> Option<Arc<Signal>> {
        let signal = Arc::new(Signal::default());
        let weak = Arc::downgrade(self);
        let theirs = signal.clone();
        match std::thread::Builder::new()
            .name("teleport-jwt-keys".into())
            .spawn(move || refresher(weak, theirs))
        {
            Ok(_) => Some(signal),
            Err(e) => {
                log::error!(
                    "teleport-jwt: cannot start the key refresher thread ({e}); keys past max_age are refreshed on the request path"
                );
                None
            }
        }
    }

    /// One round of the refresher: a fetch if one is due; returns how long to sleep.
    fn refresher_round(&self) -> Duration {
        match self.routine_refresh(self.fetch.lock()) {
            (_, Some(due)) => due.saturating_sub(self.clock.monotonic()),
            (_, None) => IDLE,
        }
    }
}

/// The refresher thread of one key cache: sleeps until the plan says a fetch is due (or a
/// request nudges it), fetches, and exits once the cache is gone.
fn refresher(cache: Weak<KeyCache>, signal: Arc<Signal>) {
    loop {
        let sleep = {
            let Some(cache) = cache.upgrade() else { return };
            // A panicking key source must not end the refresher: the attempt is recorded before
            // the source is called, so the next one waits a cooldown.
            catch_unwind(AssertUnwindSafe(|| cache.refresher_round())).unwrap_or_else(|_| {
                log::error!("teleport-jwt: the key source panicked during a background refresh");
                cache.policy.cooldown
            })
        };
        // Never spin: even a plan in the past waits a little (the clock may be a test's).
        if !signal.wait(sleep.max(Duration::from_millis(10))) {
            return;
        }
    }
}

#[derive(Default)]
struct Signal {
    state: Mutex<(bool, bool)>, // (woken, stopped)
    cv: Condvar,
}

impl Signal {
    fn wake(&self) {
        self.state.lock().0 = true;
        self.cv.notify_one();
    }

    fn stop(&self) {
        self.state.lock().1 = true;
        self.cv.notify_one();
    }

    /// Sleeps for `timeout` or until woken; false when stopped.
    fn wait(&self, timeout: Duration) -> bool {
        let mut state = self.state.lock();
        if !state.0 && !state.1 {
            let _ = self.cv.wait_for(&mut state, timeout);
        }
        state.0 = false;
        !state.1
    }
}
