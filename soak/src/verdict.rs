//! Which answers are right: the log of key changes and outages, and the verdict on each
//! verification.
//!
//! Every key change and outage is logged by the controller with the instant just before and
//! just after the call to the mock. For a key `k`: `published` is the instant after the call
//! that published it; `retiring` the instant before, and `retired` the instant after, the
//! call that removed it. "Healthy for W from X" means: no outage overlaps an interval of
//! length W that starts at or after X; `H(X, W)` is the end of the first such interval (never,
//! while an outage lasts). With `W_key = cooldown + fetch timeout + 0.5 s` and
//! `W_set = max_age + fetch timeout + 0.5 s`, a verification that starts at `t0` and ends at
//! `t1` is classified as follows.
//!
//! **Forged tokens** (unknown-kid, bad-sig, wrong-aud, expired): verified = **wrong**; refused
//! with any reason = correct (the reasons are tallied; a reason other than the obvious one is
//! normal, e.g. `unknown_key` for a wrong-aud token of a key that was just retired).
//!
//! **Good tokens** (fresh and cached) of key `k`:
//! - Verified, with `Identity::key_id == k`: correct while `k` is published at `t0` (or its
//!   removal is still in progress). After `retired`, verifying is a **stale accept**, allowed
//!   (the verifier cannot know before it refetches; the cache docs promise that no set is used
//!   past `max_age` while the endpoint answers) until `H(retired, W_set)`; from then on it is
//!   **wrong**. Verified with any other `key_id` = **wrong**.
//! - Refused with `unknown_key` when `retiring <= t1`: correct (**retired refusal**: a grace-0
//!   rotation legitimately stops old tokens once the verifier refetched). `retiring` is taken
//!   before the mock call, whose key generation takes up to a few hundred ms, so such a
//!   refusal inside the call also counts as retired: a set without `k` exists only after the
//!   mock switched keys, so only a bug refusing a key that is in the set would be missed
//!   there.
//! - Refused with `unknown_key` while `k` is published: a **transient refusal** before
//!   `H(published, W_key)`, **wrong** after. Within that window the verifier may not have `k`
//!   yet, by design: the key set it holds predates `k` and the unknown-kid refetch budget (two
//!   at once, then one per interval, here the 1 s cooldown; shared with the made-up kids of the
//!   unknown-kid tokens) is spent. Callers with an unknown `kid` wait for a fetch in flight
//!   and get its answer. The next budgeted refetch, at most an interval later, lasts at most
//!   one fetch timeout and brings `k`.
//! - Refused with `key_source_unavailable`: a **transient refusal** only if the verifier can
//!   be past `max_stale` (fail closed, documented): an outage that began at `u0` makes the set
//!   at least `t0 - u0` old and at most `max_age + fetch timeout` older than that, so this is
//!   allowed when `min(t0, outage end) - u0 + W_set >= max_stale`, and until a cooldown plus a
//!   fetch timeout plus 0.5 s after the outage ended (the cold path backs off one cooldown).
//!   With the default policy no phase is long enough, so any such refusal is **wrong**.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use teleport_jwt::{Identity, Reason, VerifyError};

use crate::setup::{COOLDOWN, FETCH_TIMEOUT, MAX_AGE, MAX_STALE, SLACK};
use crate::tokens::Kind;

/// When a key was published and removed, as the controller logged it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyInfo {
    /// Just after the call that published the key.
    pub(crate) published: Instant,
    /// Just before the call that removes it.
    pub(crate) retiring: Option<Instant>,
    /// Just after that call.
    pub(crate) retired: Option<Instant>,
}

/// The controller's log: every key with its times, and every outage.
#[derive(Default)]
pub(crate) struct Log {
    pub(crate) keys: HashMap<String, KeyInfo>,
    /// Outages: just before the first failing `set_failure`, just after `set_failure(None)`.
    pub(crate) outages: Vec<(Instant, Option<Instant>)>,
}

/// The verdict on one verification (the classes of the module docs).
#[derive(Debug)]
pub(crate) enum Verdict {
    Correct,
    RetiredRefusal,
    StaleAccept,
    /// A transient refusal and, for `unknown_key`, how long after publication of the key.
    Transient(&'static str, Option<Duration>),
    Wrong(String),
}

impl Log {
    /// `H(from, window)`: the end of the first interval of length `window`, starting at or
    /// after `from`, that no outage overlaps; `None` while an outage that blocks it lasts.
    fn healthy_for(&self, from: Instant, window: Duration) -> Option<Instant> {
        let mut begin = from;
        loop {
            let end = begin + window;
            let mut restart: Option<Instant> = None;
            for &(start, stop) in &self.outages {
                let overlaps = start < end && stop.is_none_or(|s| s > begin);
                if overlaps {
                    let stop = stop?;
                    restart = Some(restart.map_or(stop, |r| r.max(stop)));
                }
            }
            match restart {
                None => return Some(end),
                Some(r) => begin = r,
            }
        }
    }

    /// Whether the verifier's last good set can be past `max_stale` at `t0` (see the docs).
    fn fail_closed_possible(&self, t0: Instant) -> bool {
        self.outages.iter().any(|&(start, stop)| {
            let upto = stop.map_or(t0, |s| s.min(t0));
            let long_enough =
                upto.saturating_duration_since(start) + MAX_AGE + FETCH_TIMEOUT + SLACK
                    >= MAX_STALE;
            let not_over = stop.is_none_or(|s| t0 <= s + COOLDOWN + FETCH_TIMEOUT + SLACK);
            long_enough && not_over
        })
    }

    pub(crate) fn classify_good(
        &self,
        kid: &str,
        t0: Instant,
        t1: Instant,
        result: &Result<Arc<Identity>, VerifyError>,
        base: Instant,
    ) -> Verdict {
        let at = |t: Instant| format!("{:.3}s", t.duration_since(base).as_secs_f64());
        let Some(k) = self.keys.get(kid) else {
            return Verdict::Wrong(format!(
                "good token of kid {kid} that the mock never published"
            ));
        };
        match result {
            Ok(id) => {
                if id.key_id.as_deref() != Some(kid) {
                    return Verdict::Wrong(format!(
                        "token of kid {kid} verified with key {:?}",
                        id.key_id
                    ));
                }
                match k.retired {
                    Some(retired) if t0 > retired => {
                        match self.healthy_for(retired, MAX_AGE + FETCH_TIMEOUT + SLACK) {
                            Some(deadline) if t0 >= deadline => Verdict::Wrong(format!(
                                "token of kid {kid} verified at {}; the key was removed at {} \
                                 and the endpoint answered since (deadline {})",
                                at(t0),
                                at(retired),
                                at(deadline)
                            )),
                            _ => Verdict::StaleAccept,
                        }
                    }
                    _ => Verdict::Correct,
                }
            }
            Err(e) => match e.reason() {
                Reason::UnknownKey if k.retiring.is_some_and(|r| r <= t1) => {
                    Verdict::RetiredRefusal
                }
                Reason::UnknownKey => {
                    match self.healthy_for(k.published, COOLDOWN + FETCH_TIMEOUT + SLACK) {
                        Some(deadline) if t0 >= deadline => Verdict::Wrong(format!(
                            "token of kid {kid} (published at {}) refused at {}, after the \
                             deadline {}: {e}",
                            at(k.published),
                            at(t0),
                            at(deadline)
                        )),
                        _ => Verdict::Transient(
                            Reason::UnknownKey.code(),
                            Some(t0.saturating_duration_since(k.published)),
                        ),
                    }
                }
                Reason::KeySourceUnavailable if self.fail_closed_possible(t0) => {
                    Verdict::Transient(Reason::KeySourceUnavailable.code(), None)
                }
                _ => Verdict::Wrong(format!(
                    "good token of kid {kid} refused at {}: {e}",
                    at(t0)
                )),
            },
        }
    }
}

/// The verdict on one verification of a `kind` token, from `t0` to `t1` (`kid`: the key of a
/// good token): controls must verify, forged tokens must be refused, good tokens are judged
/// against the log.
pub(crate) fn classify(
    log: &Mutex<Log>,
    kind: Kind,
    kid: &str,
    t0: Instant,
    t1: Instant,
    result: &Result<Arc<Identity>, VerifyError>,
    base: Instant,
) -> Verdict {
    if kind.is_control() {
        match result {
            Ok(_) => Verdict::Correct,
            Err(e) => Verdict::Wrong(format!("control token refused (static keys): {e}")),
        }
    } else if kind.is_good() {
        log.lock()
            .expect("log")
            .classify_good(kid, t0, t1, result, base)
    } else {
        match result {
            Ok(identity) => Verdict::Wrong(format!(
                "{} token verified at {:.3}s (as {:?}, key {:?})",
                kind.name(),
                t0.duration_since(base).as_secs_f64(),
                identity.username,
                identity.key_id
            )),
            Err(_) => Verdict::Correct,
        }
    }
}
