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
//!
//! The cache, one file per job: [`CachePolicy`] and its bounds in `policy.rs`; the cold path
//! (a caller without usable keys, single-flight fetches, recording each outcome) in `fetch.rs`;
//! the unknown-`kid` budget in `unknown_kid.rs`; the background refresher and its plan in
//! `refresher.rs`; what a cache keeps per process, rebuilt in a forked child, in `local.rs`.
//! Here: the cache itself and the warm path.

mod fetch;
mod local;
mod policy;
mod refresher;
mod unknown_kid;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The log target of everything the key cache logs, whichever file of it logs: logger names
/// are public (Python's `logging.getLogger("teleport_jwt.keys.cache")`, docs/operating.md).
const LOG_TARGET: &str = "teleport_jwt::keys::cache";

use arc_swap::{ArcSwap, ArcSwapOption};

pub use policy::{CachePolicy, UNKNOWN_KID_INTERVAL};

use self::local::Local;
use super::set::KeySet;
use super::source::KeySource;
use crate::clock::Clock;
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

    /// Sends `event` (built only when someone listens); a panicking receiver is contained.
    fn emit(&self, event: impl FnOnce(String) -> KeyEvent) {
        if let Some((entry, sink)) = &self.events {
            let event = event(entry.clone());
            if catch_unwind(AssertUnwindSafe(|| sink.on_event(&event))).is_err() {
                log::error!(target: LOG_TARGET, "teleport-jwt: a KeyEvents receiver panicked on {event:?}");
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
}
