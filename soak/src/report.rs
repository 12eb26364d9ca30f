//! The report printed at the end: the answers and the latencies per phase, then the acceptance
//! checks.
//!
//! # Acceptance checks
//!
//! - 0 wrong answers (the exit code).
//! - In `hang`, `fail-500` and `fail-refuse`, the p99 of good tokens (fresh and cached
//!   separately) is at most 2x the `healthy` p99 (advisory: latency on a shared machine is
//!   noisy; the control's ratio is shown next to it, and a real stall shows in "slow" and the
//!   max).
//! - In those phases, fetch attempts (the verifier's count; the mock sees none while refusing)
//!   are at most the refresher's one per cooldown plus the unknown-kid budget's (two, then one
//!   per interval, here also the cooldown), plus one (advisory).

use std::collections::BTreeMap;

use crate::controller::PhaseRecord;
use crate::run::Outcome;
use crate::setup::{Shared, COOLDOWN, OUTAGE_PHASES, SLOW};
use crate::stats::Stats;

/// Prints the report; returns the number of wrong answers.
pub(crate) fn print(sh: &Shared, outcome: Outcome) -> u64 {
    let Outcome {
        records,
        mut stats,
        wrong_shown,
        total_jwks,
        total_fetches,
    } = outcome;
    let wrong_total = answers(&records, &stats);
    let lats = latency(&records, &mut stats, (total_jwks, total_fetches));
    forged_other(&stats);
    acceptance(wrong_total, &wrong_shown, &lats, &records);
    println!("  finished in {:.1} s", sh.elapsed());
    wrong_total
}

/// Table 1: answers. Returns the number of wrong answers.
fn answers(records: &[PhaseRecord], stats: &[Stats]) -> u64 {
    println!();
    println!(
        "Answers per phase (good = fresh + cached tokens; see soak/src/verdict.rs for the classes)"
    );
    println!(
        "{:<13} {:>5} {:>7} {:>8} {:>8} {:>8} {:>8} {:>6}  transient refusals of good tokens",
        "phase", "secs", "verifs", "good ok", "retired", "stale ok", "forged x", "WRONG"
    );
    let mut wrong_total = 0;
    for (r, s) in records.iter().zip(stats) {
        wrong_total += s.wrong;
        let mut transient = if s.transient.is_empty() {
            "-".to_string()
        } else {
            s.transient
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        if let Some(age) = s.transient_max_age {
            transient.push_str(&format!(
                " (the last {:.2}s after its key was published)",
                age.as_secs_f64()
            ));
        }
        println!(
            "{:<13} {:>5.1} {:>7} {:>8} {:>8} {:>8} {:>8} {:>6}  {}",
            r.name,
            r.seconds,
            s.verifications,
            s.good_ok,
            s.retired_refusals,
            s.stale_accepts,
            s.forged_refused,
            s.wrong,
            transient
        );
    }
    println!(
        "(good ok: good tokens verified; retired: good tokens of a removed key refused with \
         unknown_key; stale ok: good tokens of a removed key still verified before the verifier \
         refetched; forged x: forged tokens refused; verifs include the control's.)"
    );
    wrong_total
}

/// Table 2: latency and fetches. Returns the latencies of each phase: fresh, cached, control
/// in full, control from the token cache.
/// `totals`: the mock's JWKS requests and the verifier's fetches in the whole run.
fn latency(
    records: &[PhaseRecord],
    stats: &mut [Stats],
    (total_jwks, total_fetches): (u64, u64),
) -> Vec<(&'static str, [Lat; 4])> {
    println!();
    println!(
        "Latency per phase (p50/p99/max): good tokens, unknown-kid tokens, the control; key fetches"
    );
    println!(
        "{:<13} {:>27} {:>27} {:>5} {:>25} {:>19} {:>5} {:>7}",
        "phase",
        "fresh",
        "cached",
        "slow",
        "unknown-kid p99/max (>1s)",
        "control p99 full/c",
        "jwks",
        "fetches"
    );
    let mut lats = Vec::new();
    for (r, s) in records.iter().zip(stats.iter_mut()) {
        let fresh = lat(&mut s.fresh);
        let cached = lat(&mut s.cached);
        let unknown = lat(&mut s.unknown);
        let control_full = lat(&mut s.control_full);
        let control_cached = lat(&mut s.control_cached);
        println!(
            "{:<13} {:>27} {:>27} {:>5} {:>25} {:>19} {:>5} {:>7}",
            r.name,
            lat_cell(&fresh),
            lat_cell(&cached),
            s.slow_good,
            format!(
                "{}/{} ({})",
                fmt_ns(unknown.p99),
                fmt_ns(unknown.max),
                s.unknown_waits
            ),
            format!(
                "{}/{}",
                fmt_ns(control_full.p99),
                fmt_ns(control_cached.p99)
            ),
            r.jwks_requests,
            r.fetches
        );
        lats.push((r.name, [fresh, cached, control_full, control_cached]));
    }
    println!(
        "(slow: good verifications over {} ms; control: the same tokens on a verifier with a \
         static key set, in full / from the token cache; jwks: requests the mock received; \
         fetches: the verifier's completed attempts, refused connections included; (>1s): \
         unknown-kid verifications over 1 s. Totals: {total_jwks} requests, {total_fetches} \
         fetches.)",
        SLOW.as_millis()
    );
    lats
}

/// Forged tokens refused with another reason than the obvious one (whole run).
fn forged_other(stats: &[Stats]) {
    let forged_other: BTreeMap<String, u64> = stats.iter().fold(BTreeMap::new(), |mut acc, s| {
        for (k, v) in &s.forged_other {
            *acc.entry(k.clone()).or_default() += v;
        }
        acc
    });
    if !forged_other.is_empty() {
        println!();
        println!("Forged tokens refused with another reason than the obvious one (whole run):");
        for (k, v) in forged_other {
            println!("  {k}: {v}");
        }
    }
}

/// The acceptance checks (see the module docs).
fn acceptance(
    wrong_total: u64,
    wrong_shown: &[String],
    lats: &[(&'static str, [Lat; 4])],
    records: &[PhaseRecord],
) {
    println!();
    println!("Acceptance");
    println!(
        "  wrong answers: {wrong_total} ... {}",
        if wrong_total == 0 { "PASS" } else { "FAIL" }
    );
    for w in wrong_shown {
        println!("    {w}");
    }
    if wrong_total as usize > wrong_shown.len() {
        println!(
            "    ({} more not shown)",
            wrong_total as usize - wrong_shown.len()
        );
    }
    let healthy = &lats[0].1;
    let ratio = |x: &Lat, base: &Lat| match (x.p99, base.p99) {
        (Some(x), Some(b)) if b > 0 => Some(x as f64 / b as f64),
        _ => None,
    };
    let show = |r: Option<f64>| r.map_or("-".into(), |r| format!("{r:.2}x"));
    for (name, l) in lats.iter().filter(|l| OUTAGE_PHASES.contains(&l.0)) {
        let mut verdicts = Vec::new();
        let mut line = format!("  {name}: good p99 / healthy p99:");
        for (label, good, control) in [("fresh", 0, 2), ("cached", 1, 3)] {
            let r = ratio(&l[good], &healthy[good]);
            let c = ratio(&l[control], &healthy[control]);
            line.push_str(&format!(
                " {label} {} ({} vs {}; control {}),",
                show(r),
                fmt_ns(l[good].p99),
                fmt_ns(healthy[good].p99),
                show(c)
            ));
            verdicts.push(match r {
                Some(r) if r > 2.0 => {
                    if c.is_some_and(|c| r <= 2.0 * c) {
                        "WARN (advisory: the control rose as much, machine noise)"
                    } else {
                        "WARN (advisory: not explained by the control)"
                    }
                }
                _ => "PASS",
            });
        }
        let verdict = verdicts
            .iter()
            .find(|v| **v != "PASS")
            .copied()
            .unwrap_or("PASS");
        println!("{} ... {verdict}", line.trim_end_matches(','));
    }
    for r in records.iter().filter(|r| OUTAGE_PHASES.contains(&r.name)) {
        let bound = 2 * (r.seconds / COOLDOWN.as_secs_f64()).ceil() as u64 + 3;
        println!(
            "  {}: {} fetch attempts in {:.1} s (bound: 2 per cooldown + 3 = {bound}) ... {}",
            r.name,
            r.fetches,
            r.seconds,
            if r.fetches <= bound {
                "PASS"
            } else {
                "WARN (advisory)"
            }
        );
    }
}

/// Nearest-rank percentile of sorted nanoseconds.
fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

pub(crate) fn fmt_ns(ns: Option<u64>) -> String {
    match ns {
        None => "-".into(),
        Some(ns) if ns < 1_000_000 => format!("{:.1}us", ns as f64 / 1e3),
        Some(ns) if ns < 1_000_000_000 => format!("{:.2}ms", ns as f64 / 1e6),
        Some(ns) => format!("{:.3}s", ns as f64 / 1e9),
    }
}

struct Lat {
    p50: Option<u64>,
    p99: Option<u64>,
    max: Option<u64>,
}

fn lat(v: &mut [u64]) -> Lat {
    v.sort_unstable();
    Lat {
        p50: percentile(v, 50.0),
        p99: percentile(v, 99.0),
        max: v.last().copied(),
    }
}

fn lat_cell(l: &Lat) -> String {
    format!("{}/{}/{}", fmt_ns(l.p50), fmt_ns(l.p99), fmt_ns(l.max))
}
