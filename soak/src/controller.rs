//! The controller thread: walks the mock through the plan's phases (key changes, outages),
//! logs every change for the verdicts, mints a new generation of tokens after each key change,
//! and counts the key fetches of each phase.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::json;
use teleport_jwt::mock::{Ca, Failure, MockTeleport};
use teleport_jwt::Algorithm;

use crate::plan::{Action, PhasePlan};
use crate::setup::{Shared, AUD, COOLDOWN, FETCH_TIMEOUT, JWKS_PATH, SLACK};
use crate::tokens::{generation, unix_now, unknown_kid_token};
use crate::verdict::KeyInfo;

#[derive(Debug, Clone, Default)]
pub(crate) struct PhaseRecord {
    pub(crate) name: &'static str,
    pub(crate) seconds: f64,
    pub(crate) jwks_requests: u64,
    pub(crate) fetches: u64,
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        std::thread::sleep(t - now);
    }
}

/// Runs the plan (`unit`: the length of one plan unit), then tells the workers to stop.
pub(crate) fn controller(sh: &Shared, plan: &[PhasePlan], unit: Duration) -> Vec<PhaseRecord> {
    let mut records = Vec::new();
    for (i, p) in plan.iter().enumerate() {
        let start = Instant::now();
        let requests0 = sh.mock.request_count_for(JWKS_PATH);
        let fetches0 = sh.verifier.key_fetch_count();
        sh.phase.store(i, Ordering::Release);
        println!(
            "[{:6.2}s] phase {} ({:.1} s planned)",
            sh.elapsed(),
            p.name,
            unit.mul_f64(p.units()).as_secs_f64()
        );
        let mut last = start;
        for (gap, action) in &p.steps {
            sleep_until(last + unit.mul_f64(*gap));
            apply(sh, action);
            last = Instant::now();
        }
        // After a key change the verifier gets at least the time it may need to pick up the
        // new key (a budgeted refetch) before the next phase, which may be an outage.
        let mut tail = unit.mul_f64(p.tail);
        if p.changes_keys() {
            tail = tail.max(COOLDOWN + FETCH_TIMEOUT + SLACK);
        }
        sleep_until(last + tail);
        records.push(PhaseRecord {
            name: p.name,
            seconds: start.elapsed().as_secs_f64(),
            jwks_requests: sh.mock.request_count_for(JWKS_PATH) - requests0,
            fetches: sh.verifier.key_fetch_count() - fetches0,
        });
    }
    sh.phase.store(plan.len(), Ordering::Release);
    sh.stop.store(true, Ordering::Release);
    records
}

/// A key change: logs the keys it removes (predicted, then checked) and publishes, then
/// mints a new generation of tokens.
fn key_change(sh: &Shared, what: &str, retire: Vec<String>, call: impl FnOnce(&MockTeleport)) {
    let before: HashSet<String> = kids(sh).into_iter().collect();
    let c0 = Instant::now();
    {
        let mut log = sh.log.lock().expect("log");
        for kid in &retire {
            if let Some(k) = log.keys.get_mut(kid) {
                k.retiring = Some(c0);
            }
        }
    }
    call(&sh.mock);
    let c1 = Instant::now();
    let after: HashSet<String> = kids(sh).into_iter().collect();
    let removed: HashSet<String> = before.difference(&after).cloned().collect();
    let added: Vec<String> = after.difference(&before).cloned().collect();
    assert_eq!(
        removed,
        retire.iter().cloned().collect::<HashSet<_>>(),
        "soak: {what} removed other keys than predicted"
    );
    {
        let mut log = sh.log.lock().expect("log");
        for kid in &retire {
            if let Some(k) = log.keys.get_mut(kid) {
                k.retired = Some(c1);
            }
        }
        for kid in &added {
            log.keys.insert(
                kid.clone(),
                KeyInfo {
                    published: c1,
                    retiring: None,
                    retired: None,
                },
            );
        }
    }
    let tag = sh.generations_made.fetch_add(1, Ordering::Relaxed) + 1;
    let g = generation(&sh.mock, tag, sh.token_ttl);
    *sh.generation.write().expect("generation") = Arc::new(g);
    let list = |label: &str, v: &[String]| {
        v.iter()
            .map(|k| format!("{label} {}, ", short(k)))
            .collect::<String>()
    };
    println!(
        "[{:6.2}s]   {what}: {}{}signing with {} (the call took {} ms)",
        sh.elapsed(),
        list("published", &added),
        list("removed", &retire),
        short(&sh.mock.signing_key_id(Ca::Jwt)),
        (c1 - c0).as_millis()
    );
}

/// Does one step of the plan to the mock (or, for the forgery steps, to the workers).
fn apply(sh: &Shared, action: &Action) {
    match action {
        Action::Rotation(phase) => {
            key_change(sh, phase.as_str(), vec![], |m| {
                m.set_rotation_phase(Ca::Jwt, *phase)
            });
        }
        Action::CompleteRotation => {
            // The next key (published second) becomes the only key.
            let kids = kids(sh);
            let retire = if kids.len() == 2 {
                vec![kids[0].clone()]
            } else {
                kids
            };
            key_change(sh, "complete_rotation", retire, |m| {
                m.complete_rotation(Ca::Jwt)
            });
        }
        Action::RotateNow => {
            let retire = kids(sh);
            key_change(sh, "rotate_now", retire, |m| m.rotate_now(Ca::Jwt));
        }
        Action::Fail(f) => {
            {
                let mut log = sh.log.lock().expect("log");
                if log.outages.last().is_none_or(|o| o.1.is_some()) {
                    log.outages.push((Instant::now(), None));
                }
            }
            sh.mock.set_failure(f.clone());
            println!("[{:6.2}s]   set_failure({f:?})", sh.elapsed());
        }
        Action::QuietForgery(on) => {
            sh.quiet_forgery.store(*on, Ordering::Release);
            println!("[{:6.2}s]   unknown-kid tokens paused: {on}", sh.elapsed());
        }
        Action::ForgedKid => {
            let payload = URL_SAFE_NO_PAD.encode(
                json!({"aud": AUD, "exp": unix_now() + 3600, "iss": sh.mock.cluster_name(),
                       "sub": "mallory", "username": "mallory", "roles": [], "traits": {}})
                .to_string(),
            );
            let token = unknown_kid_token(Algorithm::RS256, &payload, usize::MAX, 0);
            let answer = sh.verifier.verify(&token).map(|_| ()).map_err(|e| e.code());
            println!("[{:6.2}s]   one forged kid: {answer:?}", sh.elapsed());
        }
        Action::Heal => {
            sh.mock.set_failure(Failure::None);
            let now = Instant::now();
            if let Some(o) = sh.log.lock().expect("log").outages.last_mut() {
                o.1.get_or_insert(now);
            }
            println!("[{:6.2}s]   set_failure(None)", sh.elapsed());
        }
    }
}

fn kids(sh: &Shared) -> Vec<String> {
    sh.mock.key_ids(Ca::Jwt)
}

fn short(kid: &str) -> String {
    kid.chars().take(8).collect()
}
