//! A token whose `kid` is not in the cached set: a rotation, or a forgery. It may cause a
//! refetch from a budget of its own (a token bucket of two, refilled one per
//! [`CachePolicy::unknown_kid_interval`]), waits for a fetch in flight, and is answered from the
//! failure at once while the source fails. The rules are in the [module docs](super).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

#[cfg(doc)]
use super::CachePolicy;
use super::{at_least_a_second, lock, FetchState, KeyCache, Snapshot, Stop, Wait};
use crate::error::{err, Reason, VerifyError};

impl KeyCache {
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
}
