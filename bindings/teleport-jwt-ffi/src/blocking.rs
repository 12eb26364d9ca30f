//! Where the async forms of the verifier's operations (`verify_async`, ... in `verifier.rs`)
//! wait for a key fetch, so that a Kotlin coroutine or a Swift task never blocks its own
//! executor on the network.
//!
//! An async form first asks the core for an answer that needs no fetch (`try_verify`, ...):
//! that is the common case (keys cached) and it completes on the caller's thread, at once. Only
//! when the core would have to wait does [`run`] hand the blocking call to this pool and return
//! a future that the pool thread completes (UniFFI then resumes the coroutine or task).
//!
//! Why a small bounded pool of plain threads, and no async runtime: a fetch is rare (a first
//! use, a rotation, a refresh after max age) and is itself blocking I/O in the core, so a
//! runtime would only add a dependency to park threads in. Why bounded: at a cold start every
//! concurrent request needs the same fetch (the core makes it once and the others wait for
//! it), and a thread per request would start thousands of threads to wait; [`MAX_THREADS`]
//! (64, the bound of Kotlin's `Dispatchers.IO` that the hand-written forms used before) is
//! plenty for fetches of different trust entries. Idle threads exit after [`IDLE`].
//!
//! Not here: deciding anything about tokens or keys (the core's), or cancelling a call whose
//! future was dropped (the blocking call finishes, its answer is dropped).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::error::VerifyError;
use crate::guard::guarded;

/// Most threads the pool runs at once; further calls queue.
pub(crate) const MAX_THREADS: usize = 64;

/// How long an idle pool thread waits for work before it exits.
pub(crate) const IDLE: Duration = Duration::from_secs(30);

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

struct Pool {
    state: Mutex<State>,
    work: Condvar,
}

/// Jobs never run under the lock and catch their own panics, so a poisoned lock only means a
/// bug in this file; its state is still consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State::default()),
        work: Condvar::new(),
    })
}

impl Pool {
    fn submit(&'static self, job: Job) {
        let mut state = lock(&self.state);
        state.jobs.push_back(job);
        if state.jobs.len() <= state.idle || state.threads >= MAX_THREADS {
            drop(state);
            self.work.notify_one();
            return;
        }
        state.threads += 1;
        let spawned = std::thread::Builder::new()
            .name("teleport-jwt-async".into())
            .spawn(move || self.work());
        if spawned.is_err() {
            state.threads -= 1;
            if state.threads == 0 {
                // No thread to run it at all (the process is out of threads): answer late on
                // the caller's thread rather than never.
                if let Some(job) = state.jobs.pop_back() {
                    drop(state);
                    job();
                }
            }
        }
    }

    fn work(&'static self) {
        let mut state = lock(&self.state);
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                job();
                state = lock(&self.state);
                continue;
            }
            state.idle += 1;
            let (next, wait) = self
                .work
                .wait_timeout(state, IDLE)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.idle -= 1;
            if wait.timed_out() && state.jobs.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}

/// The answer of a blocking call running on the pool, or the waker to call when it arrives.
struct Slot<T> {
    answer: Option<Result<T, VerifyError>>,
    waker: Option<Waker>,
}

/// The future of [`run`]: ready once the pool thread has answered.
pub(crate) struct Answer<T>(Arc<Mutex<Slot<T>>>);

impl<T> Future for Answer<T> {
    type Output = Result<T, VerifyError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = lock(&self.0);
        match slot.answer.take() {
            Some(answer) => Poll::Ready(answer),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Runs the blocking `call` on the pool (under [`guarded`], named `what`) and returns the
/// future of its answer.
pub(crate) fn run<T: Send + 'static>(
    what: &'static str,
    call: impl FnOnce() -> Result<T, VerifyError> + Send + 'static,
) -> Answer<T> {
    let slot = Arc::new(Mutex::new(Slot {
        answer: None,
        waker: None,
    }));
    let filled = slot.clone();
    pool().submit(Box::new(move || {
        let answer = guarded(what, call);
        let waker = {
            let mut slot = lock(&filled);
            slot.answer = Some(answer);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }));
    Answer(slot)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::task::Wake;

    use super::*;

    struct Signal(mpsc::Sender<()>);

    impl Wake for Signal {
        fn wake(self: Arc<Self>) {
            let _ = self.0.send(());
        }
    }

    /// Polls `future` on this thread, waiting for each wake-up (a one-future executor).
    fn block_on<F: Future>(future: F) -> F::Output {
        let (tx, rx) = mpsc::channel();
        let waker = Waker::from(Arc::new(Signal(tx)));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            rx.recv().expect("the pool wakes the future");
        }
    }

    #[test]
    fn the_call_runs_off_the_caller_thread_and_completes_the_future() {
        let caller = std::thread::current().id();
        let ran_on = block_on(run("test", move || Ok(std::thread::current().id())));
        assert_ne!(ran_on, Ok(caller));
    }

    #[test]
    fn a_panic_in_the_call_is_an_internal_error() {
        let out: Result<(), VerifyError> = block_on(run("test", || panic!("boom")));
        assert_eq!(out.map_err(|e| e.code()), Err("internal_error"));
    }

    #[test]
    fn more_calls_than_threads_all_complete() {
        let futures: Vec<_> = (0..MAX_THREADS * 2)
            .map(|i| {
                run("test", move || {
                    std::thread::sleep(Duration::from_millis(5));
                    Ok(i)
                })
            })
            .collect();
        let answers: Vec<_> = futures.into_iter().map(block_on).collect();
        assert_eq!(answers, (0..MAX_THREADS * 2).map(Ok).collect::<Vec<_>>());
        assert!(lock(&pool().state).threads <= MAX_THREADS);
    }
}
