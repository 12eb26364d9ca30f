//! A worker thread: verifies tokens of randomly picked kinds at its share of the total rate,
//! times each verification, and records it against the phase in force when it started.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::json;
use teleport_jwt::mock::MintSpec;
use teleport_jwt::Algorithm;

use crate::setup::{Shared, AUD};
use crate::stats::Stats;
use crate::tokens::{mint, unix_now, unknown_kid_token, Kind};
use crate::verdict::classify;

/// Runs until the controller stops the run: one verification per `period`. Returns the counters
/// of each of the `phases` and the first wrong answers, described.
pub(crate) fn worker(
    sh: &Shared,
    id: usize,
    phases: usize,
    period: Duration,
    alg: Algorithm,
) -> (Vec<Stats>, Vec<String>) {
    let mut stats: Vec<Stats> = (0..phases).map(|_| Stats::default()).collect();
    let mut wrong = Vec::new();
    let seed = (sh.base.elapsed().as_nanos() as u64) ^ ((id as u64 + 1) * 0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed | 1);
    let iss = sh.mock.cluster_name();
    let now = unix_now();
    let payload = URL_SAFE_NO_PAD.encode(
        json!({
            "aud": AUD, "exp": now + 3600, "iat": now, "nbf": now - 10, "iss": iss,
            "sub": "mallory", "username": "mallory", "roles": ["access"], "traits": {},
        })
        .to_string(),
    );
    // Spread the threads' first requests over one period.
    let mut next = Instant::now() + period.mul_f64((id as f64 * 0.618).fract());
    let mut n = 0u64;
    while !sh.stop.load(Ordering::Acquire) {
        n += 1;
        let kind = match Kind::pick(rng.next()) {
            Kind::UnknownKid if sh.quiet_forgery.load(Ordering::Acquire) => Kind::BadSig,
            kind => kind,
        };
        let (token, kid) = match kind {
            Kind::Fresh => fresh_token(sh, id, n),
            Kind::UnknownKid => (unknown_kid_token(alg, &payload, id, n), String::new()),
            _ => reused_token(sh, kind, &mut rng),
        };
        let verifier = match kind {
            Kind::ControlFull => &sh.control_full,
            Kind::ControlCached => &sh.control_cached,
            _ => &sh.verifier,
        };
        // The token is ready; now wait for this verification's slot. Every verification thus
        // starts after a sleep, whatever its kind: one right after a mint (an RSA signature)
        // would start with its time slice used up and be preempted more often.
        next += period;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else if now - next > Duration::from_millis(100) {
            next = now; // behind: no burst to catch up
        }
        // Attributed to the phase in force when the verification starts.
        let phase = sh.phase.load(Ordering::Acquire);
        if phase >= phases {
            break;
        }
        let t0 = Instant::now();
        let result = verifier.verify(&token);
        let t1 = Instant::now();
        let verdict = classify(&sh.log, kind, &kid, t0, t1, &result, sh.base);
        stats[phase].record(kind, t1 - t0, &result, verdict, &mut wrong);
    }
    (stats, wrong)
}

/// A good token minted now for this one verification, and its `kid`.
fn fresh_token(sh: &Shared, id: usize, n: u64) -> (String, String) {
    let t = mint(
        &sh.mock,
        &MintSpec {
            username: format!("fresh-{id}-{n}"),
            ..MintSpec::default()
        },
    );
    wait_for_kid(sh, &t.kid);
    (t.token, t.kid)
}

/// A token of the current generation (or a control token), and its `kid`.
fn reused_token(sh: &Shared, kind: Kind, rng: &mut Rng) -> (String, String) {
    if kind.is_control() {
        return (rng.pick(&sh.control_tokens).clone(), String::new());
    }
    let g = sh.generation.read().expect("generation").clone();
    let pool = match kind {
        Kind::Cached => &g.cached,
        Kind::BadSig => &g.bad_sig,
        Kind::WrongAud => &g.wrong_aud,
        _ => &g.expired,
    };
    let t = rng.pick(pool);
    (t.token.clone(), t.kid.clone())
}

/// Waits (untimed) until the controller has logged `kid`: a fresh token may be minted
/// between the mock's key change and the controller's log entry.
fn wait_for_kid(sh: &Shared, kid: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sh.log.lock().expect("log").keys.contains_key(kid) {
        assert!(Instant::now() < deadline, "soak: kid {kid} never logged");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// xorshift64*: enough to mix the token kinds.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
}
