//! One run: the workers and the controller on their own threads, a watchdog for the end, and
//! the workers' counters merged per phase.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::args::Config;
use crate::controller::{controller, PhaseRecord};
use crate::plan::PhasePlan;
use crate::setup::{Shared, FETCH_TIMEOUT, JWKS_PATH};
use crate::stats::Stats;
use crate::worker::worker;

/// What a run measured.
pub(crate) struct Outcome {
    /// The controller's record of each phase.
    pub(crate) records: Vec<PhaseRecord>,
    /// All workers' counters, per phase.
    pub(crate) stats: Vec<Stats>,
    /// The first wrong answers of each worker, described.
    pub(crate) wrong_shown: Vec<String>,
    /// JWKS requests the mock received in the whole run.
    pub(crate) total_jwks: u64,
    /// The verifier's key fetches in the whole run.
    pub(crate) total_fetches: u64,
}

/// Runs the plan (`unit`: the length of one plan unit) with `config.threads` workers. Exits
/// the process when a thread panics (2) or a worker does not stop (3).
pub(crate) fn run(
    sh: &Arc<Shared>,
    config: &Config,
    plan: Vec<PhasePlan>,
    unit: Duration,
) -> Outcome {
    let period = Duration::from_secs_f64(config.threads as f64 / config.rate);
    let phases = plan.len();
    let workers: Vec<JoinHandle<(Vec<Stats>, Vec<String>)>> = (0..config.threads)
        .map(|id| {
            let sh = sh.clone();
            let alg = config.algorithm;
            std::thread::Builder::new()
                .name(format!("soak-{id}"))
                .spawn(move || worker(&sh, id, phases, period, alg))
                .expect("spawn a worker")
        })
        .collect();
    let records = {
        let sh = sh.clone();
        std::thread::Builder::new()
            .name("soak-controller".into())
            .spawn(move || controller(&sh, &plan, unit))
            .expect("spawn the controller")
            .join()
    };
    let records = match records {
        Ok(r) => r,
        Err(_) => {
            sh.stop.store(true, Ordering::Release);
            eprintln!("soak: the controller panicked");
            std::process::exit(2);
        }
    };
    // Watchdog: a verification lasts at most about one fetch timeout.
    let deadline = Instant::now() + FETCH_TIMEOUT * 2 + Duration::from_secs(10);
    while workers.iter().any(|w| !w.is_finished()) {
        if Instant::now() > deadline {
            eprintln!(
                "soak: a worker did not stop within {:?} of the end",
                deadline
            );
            std::process::exit(3);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut stats: Vec<Stats> = (0..phases).map(|_| Stats::default()).collect();
    let mut wrong_shown = Vec::new();
    for w in workers {
        let (s, wrong) = w.join().unwrap_or_else(|_| {
            eprintln!("soak: a worker panicked");
            std::process::exit(2);
        });
        for (all, one) in stats.iter_mut().zip(s) {
            all.merge(one);
        }
        wrong_shown.extend(wrong);
    }
    Outcome {
        records,
        stats,
        wrong_shown,
        total_jwks: sh.mock.request_count_for(JWKS_PATH),
        total_fetches: sh.verifier.key_fetch_count(),
    }
}
