//! Forked processes: a verifier built (and warmed) before `fork()` keeps working in the child.
//!
//! After `fork()` a child has one thread, the one that forked. Everything else a verifier had
//! running is gone: the key caches' refresher threads, and any fetch in flight, which the
//! child's callers would otherwise wait for forever, as for a lock a vanished thread held.
//! Pre-fork servers do exactly this (gunicorn `--preload`, uvicorn and gunicorn workers,
//! `multiprocessing` with the fork start method).
//!
//! So every verifier keeps the state that only makes sense in one process (the fetch
//! bookkeeping and its lock, the refresher and its signal, the verified-token cache) apart
//! from what survives a fork (the fetched keys, the counters), and rebuilds the first from
//! scratch when it finds itself in a new process. Keys are kept, never older than before the
//! fork: a child plans its refresh from their fetch time and starts its own refresher.
//!
//! How a verifier notices the fork:
//!
//! - **A fork generation**, bumped by [`after_fork_in_child`] in the child. The Python package
//!   registers it with `os.register_at_fork`, so Python users do nothing. A verification reads
//!   it with one relaxed atomic load (nothing measurable beside a signature check, or beside a
//!   token-cache hit), so the first verification in the child rebuilds, before it takes any
//!   lock.
//! - **The process id**, compared wherever a verifier is about to fetch, wait for a fetch or
//!   wake its refresher: only on those paths, never on a verification whose keys are cached.
//!   A Rust program that forks without calling [`after_fork_in_child`] still gets a working
//!   refresher and fetch bookkeeping this way; only the verified-token cache's short-held
//!   locks then rely on no other thread holding one at the instant of the fork. Calling [`after_fork_in_child`] in the child (e.g. from a
//!   `pthread_atfork` child handler) removes that caveat.

use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Tells every verifier of this process that it is a forked child: each one rebuilds its
/// process-local state on its next use (see the [module docs](self)). Safe to call at any time
/// and from any thread; calling it without a fork costs each verifier one rebuild (a new key
/// refresher thread and an empty token cache; the keys are kept). The Python package calls it
/// for you through `os.register_at_fork`.
pub fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// The current fork generation (the number of [`after_fork_in_child`] calls).
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

/// Who owns a piece of process-local state: the process and the fork generation it was built
/// in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner {
    pid: u32,
    generation: u64,
}

impl Owner {
    /// This process, now.
    pub(crate) fn current() -> Owner {
        Owner {
            pid: std::process::id(),
            generation: generation(),
        }
    }

    /// Whether the state was built in this process (a `getpid` call: not for the hot path).
    pub(crate) fn is_current(&self) -> bool {
        self.generation == generation() && self.pid == std::process::id()
    }

    /// The fork generation it was built in.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The process it was built in.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }
}
