//! What a key cache keeps per process ([`Local`]: the fetch lock and bookkeeping, the failure
//! streak, the refresher's signal), and its rebuild when the cache finds itself in a forked
//! child (see [`crate::fork`]). The keys themselves are not here: a child keeps them.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use super::refresher::Signal;
use super::{lock, FetchState, KeyCache};
use crate::fork::Owner;

/// The part of a key cache that only makes sense in the process that built it.
///
/// Its locks are the standard library's: each waits on a futex in its own memory, where
/// `parking_lot` keeps every waiting thread in one process-wide table, which a fork copies with
/// the parent's waiters in it (a thread parked there at the fork, such as the refresher
/// sleeping, corrupts the child's table once the child reuses that thread's stack).
pub(super) struct Local {
    pub(super) owner: Owner,
    /// The fetch bookkeeping; held for moments only, never during a fetch. `in_flight` makes
    /// fetches single-flight, and `fetched` wakes the callers waiting for one.
    pub(super) fetch: Mutex<FetchState>,
    pub(super) fetched: Condvar,
    /// The failure streak as [`KeyCache::stats`] shows it: Unix seconds it began and the last
    /// error's text. Its own lock, so that reading it never waits for a fetch in flight.
    pub(super) failing: Mutex<Option<(i64, String)>>,
    /// The refresher's wake-up signal; `None` inside when its thread could not be started.
    pub(super) refresher: OnceLock<Option<Arc<Signal>>>,
}

impl Local {
    pub(super) fn new(owner: Owner, fetch: FetchState, failing: Option<(i64, String)>) -> Local {
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

impl KeyCache {
    /// This process's state: rebuilt first when it was built in another process (a fork).
    /// Compares the process id: for the paths that fetch or plan a fetch, not the hot path.
    pub(super) fn local(&self) -> Arc<Local> {
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
        log::debug!(target: super::LOG_TARGET,
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
}
