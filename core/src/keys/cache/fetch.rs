//! The cold path and the fetch itself: a caller without usable keys (none fetched yet, or the
//! last ones past `max_stale`) waits for one fetch, shared by every caller that arrives while
//! it is in flight (single flight), or gets the last failure's answer during its cooldown.
//! [`KeyCache::fetch`] calls the source without the lock, records the outcome, reports its
//! [`KeyEvent`]s and wakes the callers waiting for it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::Duration;

use super::local::Local;
use super::{at_least_a_second, lock, FetchState, KeyCache, KeySet, Snapshot, Stop};
use crate::clock::unix_seconds;
use crate::error::{err, Reason, VerifyError};
use crate::events::KeyEvent;

impl KeyCache {
    /// How long until the next routine attempt (a cooldown after a failure).
    pub(super) fn next_attempt_in(&self, state: &FetchState, now: Duration) -> Duration {
        state.last_attempt.map_or(Duration::ZERO, |t| {
            (t + self.policy.cooldown).saturating_sub(now)
        })
    }

    /// The cold path for a caller that may not wait: the answer of the latest failed attempt
    /// while its cooldown lasts (as [`KeyCache::fetch_without_usable_keys`] gives it), a set
    /// fetched meanwhile, or `WouldWait`.
    pub(super) fn without_usable_keys_now(
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
    pub(super) fn fetch_without_usable_keys(
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
    pub(super) fn wait_for_fetch<'l>(
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
    pub(super) fn fetch<'l>(
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
        let (ok, elapsed) = (result.is_ok(), started.elapsed());
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
                    log::info!(target: super::LOG_TARGET,
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
                    Some(s) => log::warn!(target: super::LOG_TARGET,
                        "teleport-jwt: fetching keys failed: {e}; verifying with the last good keys (fetched {}s ago) until they are {}s old",
                        self.age(now, s).as_secs(),
                        self.policy.max_stale.as_secs()
                    ),
                    None => {
                        log::warn!(target: super::LOG_TARGET, "teleport-jwt: fetching keys failed: {e}")
                    }
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
                        log::error!(target: super::LOG_TARGET,
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
        // Counted once the outcome is recorded, so that whoever reads the stats and sees this
        // fetch counted also sees its effect (`failing_since` set or cleared, the new keys).
        self.counters.fetched(ok, elapsed);
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
}
