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
//!   a request whose key is known wait, for one fetch and at most the fetch timeout. Fetches
//!   are single-flight: callers that arrive while one is in flight wait for it and share its
//!   result. After a failed attempt such callers are answered at once with its error until a
//!   cooldown has passed.
//! - **Unknown `kid`** (a token whose key is not in the set: a rotation, or a forgery). It may
//!   cause a refetch from a budget of its own: two at once, then one per
//!   [`UNKNOWN_KID_INTERVAL`] [5 s, or the cooldown if shorter], counted from the end of each
//!   attempt (a token bucket of two). Routine refreshes do not use it, so a key published right
//!   after a refresh verifies on its first token; one forged `kid` right before a rotation
//!   leaves the second refetch for the real new key, so it is not refused at all; and a flood
//!   of forged `kid`s costs one fetch per interval and delays a real new key by at most that
//!   interval. While a fetch of the entry is in flight, every caller with an unknown `kid`
//!   waits for it (at most the fetch timeout) and gets its answer, so the first tokens of a
//!   new key are not refused while their refetch runs; except while the entry's fetches fail,
//!   when they are answered from the failure at once (an attempt in flight during an outage
//!   most likely hangs too). Tokens whose key is cached never wait.
//!   While the entry's fetches fail, an unknown `kid` is `key_source_unavailable` (the key may
//!   well exist; the source cannot say), and a refetch within the budget notices the source's
//!   recovery on that very request.
//! - A fetched set replaces the whole set, so removed keys stop verifying.
//! - Every `key_source_unavailable` says when the next attempt can be made
//!   ([`crate::VerifyError::retry_after`]), which is what a server's `Retry-After` says.
//!
//! A warm verification loads the current set without a lock and reads three atomics; it never
//! waits for a fetch and never serialises with other verifications.
//!
//! A forked child (see [`crate::fork`]) keeps the keys and rebuilds the rest: the fetch lock,
//! which a fetch in flight at the fork leaves held forever, the failure bookkeeping and the
//! refresher thread, which a child does not inherit.
//!
//! A caller that must not block (an async runtime's worker thread) asks through
//! [`crate::Verifier::try_verify`]: wherever the rules above would make it fetch or wait for a
//! fetch in flight, it is told so instead, and nothing is fetched or recorded for it.
//! Everything that does not wait (a usable set, an answer from the last failure during its
//! cooldown, an unknown `kid` outside its refetch budget) is answered exactly as for
//! [`crate::Verifier::verify`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};

use super::set::KeySet;
use super::source::KeySource;
use crate::clock::{unix_seconds, Clock};
use crate::error::{err, Reason, VerifyError};
use crate::events::{KeyEvent, KeyEvents};
use crate::fork::Owner;
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
    /// Minimum time between two attempts after a failed fetch (default 30 seconds; from 1
    /// second to 1 hour). Unknown-`kid` refetches have a shorter interval of their own
    /// ([`CachePolicy::unknown_kid_interval`]: 5 seconds, or this when shorter).
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

/// The rate of refetches caused by unknown `kid`s once their burst of two is spent (the
/// cooldown, when it is shorter): how long a flood of forged `kid`s can delay a real new key.
pub const UNKNOWN_KID_INTERVAL: Duration = Duration::from_secs(5);

impl CachePolicy {
    /// One unknown-`kid` refetch per this, after a burst of two: [`UNKNOWN_KID_INTERVAL`], or
    /// the cooldown when that is shorter.
    pub fn unknown_kid_interval(&self) -> Duration {
        self.cooldown.min(UNKNOWN_KID_INTERVAL)
    }
}

/// One fetched key set and when it was fetched.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) keys: KeySet,
    /// Monotonic time of the fetch ([`Clock::monotonic`]).
    pub(crate) fetched_at: Duration,
}

#[derive(Debug, Default, Clone)]
struct FetchState {
    /// Monotonic time the latest attempt ended, successful or not.
    last_attempt: Option<Duration>,
    /// The error of the latest attempt while it failed; `None` after a success.
    last_error: Option<VerifyError>,
    /// Consecutive failed attempts, for the recovery log line.
    failures: u64,
    /// The unknown-`kid` budget, a token bucket of two refilled one per interval, as the
    /// monotonic time at which it is full again (GCRA): a refetch may start while this is at
    /// most one interval away.
    unknown_kid_budget_full_at: Option<Duration>,
    /// Monotonic time stale keys began serving in the current outage (`None`: they are not).
    stale_since: Option<Duration>,
    /// Whether this outage's [`KeyEvent::MaxStaleExceeded`] was sent.
    max_stale_reported: bool,
    /// Whether a fetch is in flight (the source is being called, without the lock held).
    in_flight: bool,
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
    /// The longest a caller waits for a fetch in flight: the fetch timeout.
    wait_limit: Duration,
    /// The key set in use. Lock-free to read (the hot path), and so never inherited locked by
    /// a forked child.
    current: ArcSwapOption<Snapshot>,
    /// What belongs to one process: rebuilt in a forked child (see [`crate::fork`]).
    local: ArcSwap<Local>,
    /// The fork generation `local` was built in; one atomic load tells the hot path of a fork.
    generation: AtomicU64,
    /// Successful and failed fetches, for diagnostics and tests.
    pub(crate) fetches: AtomicU64,
    /// Fetch results, latencies and unknown-`kid` refetches, for [`KeyCache::stats`].
    counters: FetchCounters,
    events: EventSink,
    /// Monotonic nanoseconds from which the refresher has work to do ([`NOT_PLANNED`]: none).
    /// A request past it wakes the refresher (see [`KeyCache::nudge`]).
    refresh_due: AtomicU64,
}

/// The part of a key cache that only makes sense in the process that built it.
///
/// Its locks are the standard library's: each waits on a futex in its own memory, where
/// `parking_lot` keeps every waiting thread in one process-wide table, which a fork copies with
/// the parent's waiters in it (a thread parked there at the fork, such as the refresher
/// sleeping, corrupts the child's table once the child reuses that thread's stack).
struct Local {
    owner: Owner,
    /// The fetch bookkeeping; held for moments only, never during a fetch. `in_flight` makes
    /// fetches single-flight, and `fetched` wakes the callers waiting for one.
    fetch: Mutex<FetchState>,
    fetched: Condvar,
    /// The failure streak as [`KeyCache::stats`] shows it: Unix seconds it began and the last
    /// error's text. Its own lock, so that reading it never waits for a fetch in flight.
    failing: Mutex<Option<(i64, String)>>,
    /// The refresher's wake-up signal; `None` inside when its thread could not be started.
    refresher: OnceLock<Option<Arc<Signal>>>,
}

impl Local {
    fn new(owner: Owner, fetch: FetchState, failing: Option<(i64, String)>) -> Local {
        Local {
            owner,
            fetch: Mutex::new(fetch),
            fetched: Condvar::new(),
            failing: Mutex::new(failing),
            refresher: OnceLock::new(),
        }
    }

    /// Stops this process's refresher, if it started one.
    fn stop_refresher(&self) {
        if let Some(Some(signal)) = self.refresher.get() {
            signal.stop();
        }
    }
}

impl Drop for KeyCache {
    fn drop(&mut self) {
        let local = self.local.load();
        // A parent's refresher is not this process's to stop (nor its signal's lock to take).
        if local.owner.is_current() {
            local.stop_refresher();
        }
    }
}

/// Locks a standard mutex, taking over one a panicking thread left (every state it guards is
/// valid at every step).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(NOT_PLANNED - 1)
}

/// At least a second (what `Retry-After` can say), for "try again in".
fn at_least_a_second(d: Duration) -> Duration {
    d.max(Duration::from_secs(1))
}

impl KeyCache {
    pub(crate) fn new(
        source: Arc<dyn KeySource>,
        policy: CachePolicy,
        clock: Arc<dyn Clock>,
        wait_limit: Duration,
        events: EventSink,
    ) -> Self {
        let owner = Owner::current();
        KeyCache {
            source,
            policy,
            clock,
            wait_limit,
            current: ArcSwapOption::empty(),
            local: ArcSwap::from_pointee(Local::new(owner, FetchState::default(), None)),
            generation: AtomicU64::new(owner.generation()),
            fetches: AtomicU64::new(0),
            counters: FetchCounters::default(),
            events,
            refresh_due: AtomicU64::new(NOT_PLANNED),
        }
    }

    pub(crate) fn describe(&self) -> String {
        self.source.describe()
    }

    /// This process's state: rebuilt first when it was built in another process (a fork).
    /// Compares the process id: for the paths that fetch or plan a fetch, not the hot path.
    fn local(&self) -> Arc<Local> {
        let local = self.local.load_full();
        if local.owner.is_current() {
            return local;
        }
        self.rebuild_after_fork(&local)
    }

    /// A forked child's state, from the parent's: the fetch bookkeeping and failure streak are
    /// copied when no thread of the parent held them at the fork, and started afresh when one
    /// did (a fetch in flight, whose thread the child does not have); the keys stay as they
    /// are. The refresh is planned from the keys' age, and the child's own refresher starts on
    /// the next nudge.
    fn rebuild_after_fork(&self, old: &Arc<Local>) -> Arc<Local> {
        let owner = Owner::current();
        log::debug!(
            "teleport-jwt: keys from {}: new process, rebuilding the key cache's locks and refresher",
            self.describe()
        );
        // A fetch in flight at the fork has no thread in this process to finish it.
        let fetch = match old.fetch.try_lock() {
            Ok(state) => FetchState {
                in_flight: false,
                ..state.clone()
            },
            Err(_) => FetchState::default(),
        };
        let failing = old.failing.try_lock().ok().and_then(|f| f.clone());
        let fresh = Arc::new(Local::new(owner, fetch, failing));
        let previous = self.local.compare_and_swap(old, fresh.clone());
        if !Arc::ptr_eq(&previous, old) {
            // Another thread of this process rebuilt first: use theirs.
            return self.local.load_full();
        }
        if old.owner.pid() == owner.pid() {
            // Same process, new generation (`after_fork_in_child` without a fork): the old
            // refresher is alive and would run beside the new one.
            old.stop_refresher();
        }
        self.generation.store(owner.generation(), Ordering::Relaxed);
        let state = lock(&fresh.fetch);
        self.plan(&state);
        drop(state);
        fresh
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
        let failing = lock(&self.local().failing).clone();
        let current = self.current.load_full();
        let now = self.clock.monotonic();
        let age = current.as_deref().map(|s| self.age(now, s));
        let usable = age.is_some_and(|a| a < self.policy.max_stale);
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
            serving_stale: failing.is_some() && usable,
            keys_unavailable: failing.is_some() && !usable,
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
        if self.generation.load(Ordering::Relaxed) != crate::fork::generation() {
            // A forked child's first use: its own locks and refresher before anything else.
            self.local();
            self.nudge();
        }
        let snapshot = self.current.load_full();
        let now = self.clock.monotonic();
        if let Some(s) = &snapshot {
            let age = self.age(now, s);
            if age < self.policy.max_stale {
                if nanos(now) >= self.refresh_due.load(Ordering::Acquire) && !self.nudge() {
                    // No refresher thread: refresh here, but only when no fetch is in flight.
                    if age >= self.policy.max_age {
                        let local = self.local();
                        let state = lock(&local.fetch);
                        if state.in_flight {
                            return Ok(s.clone());
                        }
                        if wait == Wait::Never {
                            return Err(Stop::WouldWait);
                        }
                        let fetched = self.routine_refresh(&local, state).0;
                        return Ok(fetched.unwrap_or_else(|| s.clone()));
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

    /// Called when `seen` has no key for a token: waits for a fetch in flight, or refetches within
    /// the unknown-`kid` budget (see the module docs), and returns
    /// the newest set, `seen` itself when no fetch was made. While the source is failing, the
    /// answer is its error (`key_source_unavailable`), not the old set. With [`Wait::Never`],
    /// `WouldWait` where it would wait or refetch (nothing is recorded then).
    pub(crate) fn refresh_for_unknown_key(
        self: &Arc<Self>,
        seen: &Arc<Snapshot>,
        wait: Wait,
    ) -> Result<Arc<Snapshot>, Stop> {
        let newer = |cache: &Self| match cache.current.load_full() {
            Some(current) if !Arc::ptr_eq(&current, seen) => Some(current),
            _ => None,
        };
        if let Some(current) = newer(self) {
            return Ok(current);
        }
        let local = self.local();
        let mut state = lock(&local.fetch);
        if let Some(current) = newer(self) {
            return Ok(current);
        }
        let now = self.clock.monotonic();
        if state.in_flight {
            // While the source fails, the attempt in flight most likely fails too (an endpoint
            // that hangs hangs every caller): answer from the failure at once, so that a flood
            // of made-up kids during an outage ties up no thread.
            if state.last_error.is_some() {
                return Err(Stop::Error(self.source_failing(&state, now)));
            }
            // Its answer is this caller's answer, so wait for it.
            if wait == Wait::Never {
                return Err(Stop::WouldWait);
            }
            let (after, finished) = self.wait_for_fetch(&local, state);
            state = after;
            if let Some(current) = newer(self) {
                return Ok(current);
            }
            if !finished {
                return Err(Stop::Error(
                    err(
                        Reason::KeySourceUnavailable,
                        format!(
                            "a key fetch from {} is taking longer than {}s",
                            self.describe(),
                            self.wait_limit.as_secs_f64()
                        ),
                    )
                    .retry_after_in(Duration::from_secs(1)),
                ));
            }
            // The fetch we waited for failed (a success would have replaced `seen`).
            return Err(Stop::Error(self.source_failing(&state, now)));
        }
        if self.unknown_kid_budget_wait(&state, now) > Duration::ZERO {
            return match state.last_error {
                Some(_) => Err(Stop::Error(self.source_failing(&state, now))),
                None => Ok(seen.clone()),
            };
        }
        if wait == Wait::Never {
            return Err(Stop::WouldWait);
        }
        self.counters
            .unknown_kid_refetches
            .fetch_add(1, Ordering::Relaxed);
        let (after, fetched) = self.fetch(&local, state, now);
        let mut state = after;
        // The budget counts from the end of the attempt: a hanging endpoint is not asked again
        // the moment it gives up.
        let ended = self.clock.monotonic();
        let interval = self.policy.unknown_kid_interval();
        state.unknown_kid_budget_full_at = Some(
            state
                .unknown_kid_budget_full_at
                .map_or(ended, |t| t.max(ended))
                + interval,
        );
        let answer = match fetched {
            Ok(s) => Ok(s),
            Err(_) => Err(Stop::Error(self.source_failing(&state, now))),
        };
        self.plan(&state);
        drop(state);
        self.nudge();
        answer
    }

    /// The answer to an unknown `kid` while the source fails: `key_source_unavailable` with
    /// the failure, and when an unknown `kid` may next cause an attempt.
    fn source_failing(&self, state: &FetchState, now: Duration) -> VerifyError {
        let last = state
            .last_error
            .as_ref()
            .map_or("no answer yet", |e| e.message());
        let next = self
            .unknown_kid_budget_wait(state, now)
            .min(self.next_attempt_in(state, now));
        err(
            Reason::KeySourceUnavailable,
            format!(
                "the token's key is not among the cached keys, and fetching keys from {} fails: {last}",
                self.describe(),
            ),
        )
        .retry_after_in(at_least_a_second(next))
    }

    /// How long until the unknown-`kid` budget allows a refetch (zero: now).
    fn unknown_kid_budget_wait(&self, state: &FetchState, now: Duration) -> Duration {
        state
            .unknown_kid_budget_full_at
            .map_or(Duration::ZERO, |full| {
                full.saturating_sub(now + self.policy.unknown_kid_interval())
            })
    }

    /// How long until the next routine attempt (a cooldown after a failure).
    fn next_attempt_in(&self, state: &FetchState, now: Duration) -> Duration {
        state.last_attempt.map_or(Duration::ZERO, |t| {
            (t + self.policy.cooldown).saturating_sub(now)
        })
    }

    /// The cold path for a caller that may not wait: the answer of the latest failed attempt
    /// while its cooldown lasts (as [`KeyCache::fetch_without_usable_keys`] gives it), a set
    /// fetched meanwhile, or `WouldWait`.
    fn without_usable_keys_now(
        self: &Arc<Self>,
        stale: Option<Arc<Snapshot>>,
    ) -> Result<Arc<Snapshot>, Stop> {
        let local = self.local();
        let state = lock(&local.fetch);
        // Waiting for a fetch in flight is what the caller may not do.
        if state.in_flight {
            return Err(Stop::WouldWait);
        }
        let now = self.clock.monotonic();
        if let Some(s) = self.current.load_full() {
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
        let local = self.local();
        let mut state = lock(&local.fetch);
        if state.in_flight {
            // Single flight: share the answer of the fetch in flight.
            state = self.wait_for_fetch(&local, state).0;
        }
        let now = self.clock.monotonic();
        // A set fetched meanwhile (by the fetch we waited for, or before we took the lock).
        if let Some(s) = self.current.load_full() {
            if self.age(now, &s) < self.policy.max_stale {
                return Ok(s);
            }
        }
        if !state.in_flight && !self.backing_off(&state, now) {
            let (after, fetched) = self.fetch(&local, state, now);
            state = after;
            if let Ok(s) = fetched {
                self.plan(&state);
                drop(state);
                self.nudge();
                return Ok(s);
            }
        }
        let e = self.unavailable(&state, stale.as_deref(), self.clock.monotonic());
        self.plan(&state);
        drop(state);
        self.nudge();
        Err(e)
    }

    /// The error for a caller left without usable keys, with when the next attempt is due.
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
        let retry = at_least_a_second(self.next_attempt_in(state, now));
        match stale {
            None => last.retry_after_in(retry),
            Some(s) => err(
                Reason::KeySourceUnavailable,
                format!(
                    "the last good keys from {} are {}s old, past the maximum staleness of {}s, and refreshing failed: {}",
                    self.describe(),
                    self.age(now, s).as_secs(),
                    self.policy.max_stale.as_secs(),
                    last.message()
                ),
            )
            .retry_after_in(retry),
        }
    }

    /// Waits, at most the fetch timeout, for the fetch in flight to end; returns the lock again
    /// and whether it ended.
    fn wait_for_fetch<'l>(
        &self,
        local: &'l Local,
        state: MutexGuard<'l, FetchState>,
    ) -> (MutexGuard<'l, FetchState>, bool) {
        let (state, waited) = local
            .fetched
            .wait_timeout_while(state, self.wait_limit, |s| s.in_flight)
            .unwrap_or_else(PoisonError::into_inner);
        (state, !waited.timed_out())
    }

    /// One fetch: marks it in flight, calls the source without the lock (so that nobody waits
    /// on the lock for I/O), records the outcome and wakes the callers waiting for it.
    fn fetch<'l>(
        &self,
        local: &'l Local,
        mut state: MutexGuard<'l, FetchState>,
        now: Duration,
    ) -> (
        MutexGuard<'l, FetchState>,
        Result<Arc<Snapshot>, VerifyError>,
    ) {
        // Set before the source is called too, so that a source that panics is not retried
        // at once.
        state.last_attempt = Some(now);
        state.in_flight = true;
        drop(state);
        let started = std::time::Instant::now();
        let fetched = catch_unwind(AssertUnwindSafe(|| self.source.fetch_jwks()));
        let mut state = lock(&local.fetch);
        state.in_flight = false;
        let fetched = match fetched {
            Ok(fetched) => fetched,
            Err(panic) => {
                drop(state);
                local.fetched.notify_all();
                std::panic::resume_unwind(panic)
            }
        };
        let result = fetched.and_then(|bytes| {
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
                let previous = self.current.swap(Some(snapshot.clone()));
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
                *lock(&local.failing) = None;
                Ok(snapshot)
            }
            Err(e) => {
                state.failures += 1;
                match self.current.load().as_deref() {
                    Some(s) => log::warn!(
                        "teleport-jwt: fetching keys failed: {e}; verifying with the last good keys (fetched {}s ago) until they are {}s old",
                        self.age(now, s).as_secs(),
                        self.policy.max_stale.as_secs()
                    ),
                    None => log::warn!("teleport-jwt: fetching keys failed: {e}"),
                }
                state.last_error = Some(e.clone());
                let mut failing = lock(&local.failing);
                let since = match failing.as_ref() {
                    Some((since, _)) => *since,
                    #[allow(clippy::cast_possible_truncation)]
                    None => unix_seconds(self.clock.now()).floor() as i64,
                };
                *failing = Some((since, e.to_string()));
                drop(failing);
                let ended = self.clock.monotonic();
                let keys_age = self.current.load().as_deref().map(|s| self.age(ended, s));
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
        self.plan(&state);
        // Counted once the outcome and the next plan are in place, so a reader of the count
        // sees their effect.
        self.fetches.fetch_add(1, Ordering::Release);
        local.fetched.notify_all();
        (state, outcome)
    }

    /// When the refresher next has work: one cooldown after a failed (or abandoned) attempt,
    /// 3/4 of `max_age` after a successful one; nothing before the first attempt (the first
    /// request fetches). Stores it in `refresh_due` and returns it.
    fn plan(&self, state: &FetchState) -> Option<Duration> {
        let retry = state.last_attempt.map(|t| t + self.policy.cooldown);
        let current = self.current.load_full();
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
        local: &Local,
        state: MutexGuard<'_, FetchState>,
    ) -> (Option<Arc<Snapshot>>, Option<Duration>) {
        let now = self.clock.monotonic();
        match self.plan(&state) {
            Some(due) if due <= now && !state.in_flight => {
                let (state, fetched) = self.fetch(local, state, now);
                (fetched.ok(), self.plan(&state))
            }
            planned => (None, planned),
        }
    }

    /// Wakes the refresher (starting it on first use, and again in a forked child) so it
    /// re-reads the plan. Returns false when no refresher thread could be started.
    fn nudge(self: &Arc<Self>) -> bool {
        let local = self.local();
        let signal = local.refresher.get_or_init(|| self.start_refresher());
        match signal {
            Some(signal) => {
                // Claim this due time so that concurrent requests do not all wake it, until
                // the refresher plans again; or, should it never (a fork right after this
                // nudge leaves a child without it), until a cooldown later, when a request
                // nudges again and the child notices it is a new process.
                let later = self.clock.monotonic() + self.policy.cooldown;
                self.refresh_due.store(nanos(later), Ordering::Release);
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

    /// One round of the refresher: a fetch if one is due; returns how long to sleep, or `None`
    /// when `signal` is no longer this cache's (a rebuild replaced it: this thread is done).
    fn refresher_round(&self, signal: &Arc<Signal>) -> Option<Duration> {
        let local = self.local();
        match local.refresher.get() {
            // Another refresher took over (a rebuild in this process, after a fork).
            Some(Some(theirs)) if !Arc::ptr_eq(theirs, signal) => return None,
            // Ours, or not recorded yet: the thread can run before `nudge` stores its signal.
            _ => {}
        }
        // The lock is held for moments only (never during a fetch), so planning under it makes
        // no caller wait.
        Some(match self.routine_refresh(&local, lock(&local.fetch)).1 {
            Some(due) => due.saturating_sub(self.clock.monotonic()),
            None => IDLE,
        })
    }
}

/// The refresher thread of one key cache: sleeps until the plan says a fetch is due (or a
/// request nudges it), fetches, and exits once the cache is gone or has a new refresher.
fn refresher(cache: Weak<KeyCache>, signal: Arc<Signal>) {
    loop {
        let sleep = {
            let Some(cache) = cache.upgrade() else { return };
            // A panicking key source must not end the refresher: the attempt is recorded before
            // the source is called, so the next one waits a cooldown.
            match catch_unwind(AssertUnwindSafe(|| cache.refresher_round(&signal))) {
                Ok(Some(sleep)) => sleep,
                Ok(None) => return,
                Err(_) => {
                    log::error!(
                        "teleport-jwt: the key source panicked during a background refresh"
                    );
                    cache.policy.cooldown
                }
            }
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
        lock(&self.state).0 = true;
        self.cv.notify_one();
    }

    fn stop(&self) {
        lock(&self.state).1 = true;
        self.cv.notify_one();
    }

    /// Sleeps for `timeout` or until woken; false when stopped.
    fn wait(&self, timeout: Duration) -> bool {
        let state = lock(&self.state);
        let (mut state, _) = self
            .cv
            .wait_timeout_while(state, timeout, |s| !s.0 && !s.1)
            .unwrap_or_else(PoisonError::into_inner);
        state.0 = false;
        !state.1
    }
}
