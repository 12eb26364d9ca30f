//! The measurements: per phase, what the verifications answered (by verdict) and how long they
//! took (by kind of token).
//!
//! The latencies reported for good tokens cover every good verification (verified or
//! refused); a stall shows whatever its outcome. "slow" counts good verifications over 50 ms.
//! Unknown-kid tokens get their own latency column: the one caller per cooldown that starts
//! a refetch waits for it (documented), so during `hang` its max is about the fetch timeout.
//! While the endpoint hangs the mock sees about one request per fetch timeout rather than per
//! cooldown: the key cache counts its one-cooldown backoff from the start of the failed
//! attempt, which a 2 s timeout outlasts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use teleport_jwt::{Identity, VerifyError};

use crate::setup::{SLOW, WRONG_SHOWN};
use crate::tokens::Kind;
use crate::verdict::Verdict;

/// One phase's counters (of one worker, then of all).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) verifications: u64,
    pub(crate) good_ok: u64,
    pub(crate) retired_refusals: u64,
    pub(crate) stale_accepts: u64,
    pub(crate) transient: BTreeMap<&'static str, u64>,
    pub(crate) wrong: u64,
    pub(crate) forged_refused: u64,
    /// `kind: reason` of forged tokens refused with another reason than the obvious one.
    pub(crate) forged_other: BTreeMap<String, u64>,
    pub(crate) slow_good: u64,
    /// The longest time after a key's publication at which one of its tokens got a
    /// transient `unknown_key`.
    pub(crate) transient_max_age: Option<Duration>,
    pub(crate) fresh: Vec<u64>,
    pub(crate) cached: Vec<u64>,
    pub(crate) unknown: Vec<u64>,
    /// Unknown-kid verifications over one second (a caller that started a refetch).
    pub(crate) unknown_waits: u64,
    pub(crate) control_full: Vec<u64>,
    pub(crate) control_cached: Vec<u64>,
}

impl Stats {
    /// Adds another worker's counters of the same phase.
    pub(crate) fn merge(&mut self, o: Stats) {
        self.verifications += o.verifications;
        self.good_ok += o.good_ok;
        self.retired_refusals += o.retired_refusals;
        self.stale_accepts += o.stale_accepts;
        for (k, v) in o.transient {
            *self.transient.entry(k).or_default() += v;
        }
        self.wrong += o.wrong;
        self.forged_refused += o.forged_refused;
        for (k, v) in o.forged_other {
            *self.forged_other.entry(k).or_default() += v;
        }
        self.slow_good += o.slow_good;
        self.transient_max_age = self.transient_max_age.max(o.transient_max_age);
        self.fresh.extend(o.fresh);
        self.cached.extend(o.cached);
        self.unknown.extend(o.unknown);
        self.unknown_waits += o.unknown_waits;
        self.control_full.extend(o.control_full);
        self.control_cached.extend(o.control_cached);
    }

    /// Counts one verification of a `kind` token that took `took`, answered `result` and was
    /// judged `verdict`; the first wrong answers are described in `wrong`.
    pub(crate) fn record(
        &mut self,
        kind: Kind,
        took: Duration,
        result: &Result<Arc<Identity>, VerifyError>,
        verdict: Verdict,
        wrong: &mut Vec<String>,
    ) {
        self.verifications += 1;
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        if kind.is_control() {
            if kind == Kind::ControlFull {
                self.control_full.push(ns);
            } else {
                self.control_cached.push(ns);
            }
        } else if kind.is_good() {
            if took > SLOW {
                self.slow_good += 1;
            }
            if kind == Kind::Fresh {
                self.fresh.push(ns);
            } else {
                self.cached.push(ns);
            }
        } else {
            if kind == Kind::UnknownKid {
                self.unknown.push(ns);
                if took > Duration::from_secs(1) {
                    self.unknown_waits += 1;
                }
            }
            if let Err(e) = result {
                if kind.expected_refusal() != Some(e.reason()) {
                    *self
                        .forged_other
                        .entry(format!("{}: {}", kind.name(), e.code()))
                        .or_default() += 1;
                }
                self.forged_refused += 1;
            }
        }
        match verdict {
            Verdict::Correct if kind.is_good() => self.good_ok += 1,
            Verdict::Correct => {}
            Verdict::RetiredRefusal => self.retired_refusals += 1,
            Verdict::StaleAccept => self.stale_accepts += 1,
            Verdict::Transient(reason, age) => {
                *self.transient.entry(reason).or_default() += 1;
                self.transient_max_age = self.transient_max_age.max(age);
            }
            Verdict::Wrong(what) => {
                self.wrong += 1;
                if wrong.len() < WRONG_SHOWN {
                    wrong.push(format!("[{}] {what}", kind.name()));
                }
            }
        }
    }
}
