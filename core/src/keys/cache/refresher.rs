//! The background refresher: one thread per key cache, started on first use, that fetches
//! when the plan says a fetch is due (3/4 of `max_age` after a success, a cooldown after a
//! failure) or a request nudges it, and exits once its cache is gone or has a new refresher.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use super::local::Local;
use super::{lock, nanos, FetchState, KeyCache, Snapshot, NOT_PLANNED};

/// How long the refresher sleeps when nothing is planned (a nudge wakes it earlier).
const IDLE: Duration = Duration::from_secs(3600);

impl KeyCache {
    /// When the refresher next has work: one cooldown after a failed (or abandoned) attempt,
    /// 3/4 of `max_age` after a successful one; nothing before the first attempt (the first
    /// request fetches). Stores it in `refresh_due` and returns it.
    pub(super) fn plan(&self, state: &FetchState) -> Option<Duration> {
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
    pub(super) fn routine_refresh(
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
    pub(super) fn nudge(self: &Arc<Self>) -> bool {
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
                log::error!(target: super::LOG_TARGET,
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
                    log::error!(target: super::LOG_TARGET,
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
pub(super) struct Signal {
    state: Mutex<(bool, bool)>, // (woken, stopped)
    cv: Condvar,
}

impl Signal {
    fn wake(&self) {
        lock(&self.state).0 = true;
        self.cv.notify_one();
    }

    pub(super) fn stop(&self) {
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
