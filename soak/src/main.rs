//! Soak benchmark under faults: `make soak`, or
//! `cargo run --release -p teleport-jwt-soak [-- --seconds 60 --threads 8]`.
//! Not part of `make test`. It exits non-zero when any verification gave a wrong answer.
//!
//! # What it does
//!
//! One [`MockTeleport`] on `127.0.0.1` and one [`Verifier`] pointed at it with a short cache
//! policy, so that refreshes happen during the run: cooldown 1 s, `max_age` 4 s (background
//! refresh at 3 s), `max_stale` 60 s, fetch timeout 2 s. `--threads` workers (default 8) verify
//! a mix of tokens at a paced total rate (`--rate`, default 1000/s), for `--seconds` (default
//! 60) in all:
//!
//! | kind | share | token |
//! |---|---|---|
//! | fresh | 20 % | good, minted for this one verification (never a token-cache hit) |
//! | cached | 30 % | good, one of 8 minted per key change and reused (token-cache hits) |
//! | unknown-kid | 10 % | trusted `iss`, a made-up `kid` never used twice, junk signature |
//! | bad-sig | 10 % | a good token with one signature byte flipped |
//! | wrong-aud | 10 % | signed by the current key, audience of another server |
//! | expired | 10 % | signed by the current key, expired an hour ago |
//! | control | 10 % | the first 8 cached tokens on the control verifier, half with no token cache |
//!
//! The control verifier's keys are a static JWKS of the first key (never fetched, never
//! failing). It does the same verification work as the real verifier without any key fetching,
//! so its latency per phase is the machine's own noise (the benchmark shares two cores with
//! whatever else runs): when a phase's p99 rises, the control says whether the verifier or the
//! machine is to blame.
//!
//! Before the first phase the verifier fetches its keys and verifies 1.5x its token-cache
//! capacity of distinct tokens: the stream of fresh tokens fills the token cache within
//! seconds anyway, and a full cache evicts on every insert, so the healthy phase is measured
//! in the same steady state as the later ones.
//!
//! Minting is not timed; only `Verifier::verify` is. Tokens are minted with the key the mock
//! signs with at that moment (fresh ones on the spot, the others whenever the controller
//! changes a key), so during a rotation a worker may still hold a token of a key that was just
//! retired: the classification below handles that.
//!
//! A controller thread walks the mock through these phases (lengths for 60 s; they scale with
//! `--seconds`), sampling the mock's JWKS request count and the verifier's fetch count at each
//! boundary. Steps count from the end of the previous step (an RSA key generation can take
//! seconds on a loaded machine), and a phase that changed keys lasts at least
//! `cooldown + fetch timeout + 0.5 s` after its last change, so that the verifier can hold the
//! new key before an outage begins; the run may thus last a little longer than `--seconds`.
//!
//! 1. `healthy` (8 s): standby, one key.
//! 2. `rotate-grace` (16 s): `init` (new key published, old one signs), then `update_clients`
//!    and `update_servers` (new key signs, both published), then `complete_rotation` (old key
//!    removed), 4 s apart.
//! 3. `rotate-now` (8 s): `rotate_now` (grace period 0: a new key replaces the old at once) at
//!    the start and again after 4 s.
//! 4. `forged-kid-rotate` (8 s): the workers' unknown-kid tokens are sent as bad-sig ones
//!    instead; 3 s later (the refetch budget has refilled) the controller verifies one token
//!    with a made-up kid and at once rotates with grace period 0; 4 s later unknown-kid tokens
//!    resume. The new key's tokens should see no transient refusal: the forged kid spent one
//!    of the budget's two refetches, the new key takes the other.
//! 5. `hang` (8 s): `Failure::Hang`, every request held unanswered.
//! 6. `fail-500` (6 s): `Failure::Status(500)`.
//! 7. `fail-refuse` (6 s): `Failure::Refuse`, connections refused (the mock counts no request).
//! 8. `recovery` (8 s): `Failure::None`.
//!
//! # What counts as a wrong answer
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
//! - Refused with any other reason = **wrong** (the tokens are well formed, in time and for
//!   our audience).
//!
//! The latencies reported for good tokens cover every good verification (verified or
//! refused); a stall shows whatever its outcome. "slow" counts good verifications over 50 ms.
//! Unknown-kid tokens get their own latency column: the one caller per cooldown that starts
//! a refetch waits for it (documented), so during `hang` its max is about the fetch timeout.
//! While the endpoint hangs the mock sees about one request per fetch timeout rather than per
//! cooldown: the key cache counts its one-cooldown backoff from the start of the failed
//! attempt, which a 2 s timeout outlasts.
//!
//! # Acceptance checks (printed at the end)
//!
//! - 0 wrong answers (the exit code).
//! - In `hang`, `fail-500` and `fail-refuse`, the p99 of good tokens (fresh and cached
//!   separately) is at most 2x the `healthy` p99 (advisory: latency on a shared machine is
//!   noisy; the control's ratio is shown next to it, and a real stall shows in "slow" and the
//!   max).
//! - In those phases, fetch attempts (the verifier's count; the mock sees none while refusing)
//!   are at most the refresher's one per cooldown plus the unknown-kid budget's (two, then one
//!   per interval, here also the cooldown), plus one (advisory).
//!
//! All traffic goes to the mock on `127.0.0.1`; the run is bounded in time (it stops by itself,
//! with a watchdog) and in requests (paced verifications; fetches bounded by the cache).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use teleport_jwt::mock::{Ca, Failure, MintSpec, MockOptions, MockTeleport, RotationPhase};
use teleport_jwt::{
    Algorithm, CachePolicy, Identity, KeysFrom, Reason, TrustEntry, Verifier, VerifierOptions,
    VerifyError,
};

const AUD: &str = "mcp+http://127.0.0.1:8000/mcp";
const OTHER_AUD: &str = "mcp+http://127.0.0.1:9999/other";
const JWKS_PATH: &str = "/.well-known/jwks.json";

const COOLDOWN: Duration = Duration::from_secs(1);
const MAX_AGE: Duration = Duration::from_secs(4);
const MAX_STALE: Duration = Duration::from_secs(60);
const FETCH_TIMEOUT: Duration = Duration::from_secs(2);
/// Scheduling slack added to every window of the classification.
const SLACK: Duration = Duration::from_millis(500);
/// A good verification slower than this is a "slow" one.
const SLOW: Duration = Duration::from_millis(50);
/// The phases whose p99 and fetch count are checked against the healthy phase.
const OUTAGE_PHASES: [&str; 3] = ["hang", "fail-500", "fail-refuse"];
/// How many wrong answers are described in full.
const WRONG_SHOWN: usize = 20;

// ---------------------------------------------------------------------------------------------
// Command line

struct Config {
    seconds: f64,
    threads: usize,
    rate: f64,
    algorithm: Algorithm,
}

const USAGE: &str =
    "usage: make soak SOAK_ARGS=\"...\", or cargo run --release -p teleport-jwt-soak -- \
[--seconds S (default 60, at least 7)] [--threads N (default 8)] \
[--rate R verifications/s in total (default 1000)] [--alg rs256|es256 (default rs256)]";

fn parse_args() -> Result<Config, String> {
    let mut c = Config {
        seconds: 60.0,
        threads: 8,
        rate: 1000.0,
        algorithm: Algorithm::RS256,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        if name == "--help" || name == "-h" {
            return Err(USAGE.into());
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?,
        };
        let bad = |what: &str| format!("{name} {value:?}: {what}\n{USAGE}");
        match name {
            "--seconds" => {
                c.seconds = value.parse().map_err(|_| bad("not a number"))?;
                if !(7.0..=3600.0).contains(&c.seconds) {
                    return Err(bad("must be from 7 to 3600"));
                }
            }
            "--threads" => {
                c.threads = value.parse().map_err(|_| bad("not a whole number"))?;
                if !(1..=256).contains(&c.threads) {
                    return Err(bad("must be from 1 to 256"));
                }
            }
            "--rate" => {
                c.rate = value.parse().map_err(|_| bad("not a number"))?;
                if !(1.0..=1_000_000.0).contains(&c.rate) {
                    return Err(bad("must be from 1 to 1000000"));
                }
            }
            "--alg" => {
                c.algorithm = match value.to_ascii_lowercase().as_str() {
                    "rs256" => Algorithm::RS256,
                    "es256" => Algorithm::ES256,
                    _ => return Err(bad("must be rs256 or es256")),
                }
            }
            _ => return Err(format!("unknown argument {arg:?}\n{USAGE}")),
        }
    }
    Ok(c)
}

// ---------------------------------------------------------------------------------------------
// The plan

#[derive(Debug, Clone)]
enum Action {
    Rotation(RotationPhase),
    CompleteRotation,
    RotateNow,
    Fail(Failure),
    Heal,
    /// Workers send their unknown-kid share as bad-sig tokens instead (true), or as before.
    QuietForgery(bool),
    /// The controller verifies one token with a made-up kid (spending an unknown-kid refetch).
    ForgedKid,
}

/// One phase. Times are in units of 1/60 of `--seconds` (one second by default) and count
/// from the end of the previous step, because generating an RSA key for a rotation can take
/// seconds on a loaded machine and must not eat into the time the verifier gets to react.
struct PhasePlan {
    name: &'static str,
    /// Each action after this many units.
    steps: Vec<(f64, Action)>,
    /// Units from the last step to the end of the phase.
    tail: f64,
}

impl PhasePlan {
    fn units(&self) -> f64 {
        self.steps.iter().map(|s| s.0).sum::<f64>() + self.tail
    }

    fn changes_keys(&self) -> bool {
        self.steps.iter().any(|s| {
            matches!(
                s.1,
                Action::Rotation(_) | Action::CompleteRotation | Action::RotateNow
            )
        })
    }
}

fn plan() -> Vec<PhasePlan> {
    let p = |name, steps, tail| PhasePlan { name, steps, tail };
    vec![
        p("healthy", vec![], 8.0),
        p(
            "rotate-grace",
            vec![
                (0.0, Action::Rotation(RotationPhase::Init)),
                (4.0, Action::Rotation(RotationPhase::UpdateClients)),
                (4.0, Action::Rotation(RotationPhase::UpdateServers)),
                (4.0, Action::CompleteRotation),
            ],
            4.0,
        ),
        p(
            "rotate-now",
            vec![(0.0, Action::RotateNow), (4.0, Action::RotateNow)],
            4.0,
        ),
        // Issue 21 finding 4: one forged kid right before a grace-0 rotation must not get the
        // new key's tokens refused. The workers' own forged kids pause (they would keep the
        // budget spent, which bounds the delay by the interval instead), the budget refills,
        // then one forged kid, then the rotation at once.
        p(
            "forged-kid-rotate",
            vec![
                (0.0, Action::QuietForgery(true)),
                (3.0, Action::ForgedKid),
                (0.0, Action::RotateNow),
                (4.0, Action::QuietForgery(false)),
            ],
            1.0,
        ),
        p("hang", vec![(0.0, Action::Fail(Failure::Hang))], 8.0),
        p(
            "fail-500",
            vec![(0.0, Action::Fail(Failure::Status(500)))],
            6.0,
        ),
        p(
            "fail-refuse",
            vec![(0.0, Action::Fail(Failure::Refuse))],
            6.0,
        ),
        p("recovery", vec![(0.0, Action::Heal)], 8.0),
    ]
}

// ---------------------------------------------------------------------------------------------
// The log of key changes and outages, and the classification

#[derive(Debug, Clone, Copy)]
struct KeyInfo {
    /// Just after the call that published the key.
    published: Instant,
    /// Just before the call that removes it.
    retiring: Option<Instant>,
    /// Just after that call.
    retired: Option<Instant>,
}

#[derive(Default)]
struct Log {
    keys: HashMap<String, KeyInfo>,
    /// Outages: just before the first failing `set_failure`, just after `set_failure(None)`.
    outages: Vec<(Instant, Option<Instant>)>,
}

#[derive(Debug)]
enum Verdict {
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

    fn classify_good(
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

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fresh,
    Cached,
    UnknownKid,
    BadSig,
    WrongAud,
    Expired,
    ControlFull,
    ControlCached,
}

impl Kind {
    fn pick(roll: u64) -> Kind {
        match roll % 100 {
            0..=19 => Kind::Fresh,
            20..=49 => Kind::Cached,
            50..=59 => Kind::UnknownKid,
            60..=69 => Kind::BadSig,
            70..=79 => Kind::WrongAud,
            80..=89 => Kind::Expired,
            90..=94 => Kind::ControlFull,
            _ => Kind::ControlCached,
        }
    }

    fn is_good(self) -> bool {
        matches!(self, Kind::Fresh | Kind::Cached)
    }

    fn is_control(self) -> bool {
        matches!(self, Kind::ControlFull | Kind::ControlCached)
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Fresh => "fresh",
            Kind::Cached => "cached",
            Kind::UnknownKid => "unknown-kid",
            Kind::BadSig => "bad-sig",
            Kind::WrongAud => "wrong-aud",
            Kind::Expired => "expired",
            Kind::ControlFull => "control-full",
            Kind::ControlCached => "control-cached",
        }
    }
}

struct Tok {
    token: String,
    kid: String,
}

/// The tokens minted after a key change, with the key the mock signed with then.
struct Generation {
    cached: Vec<Tok>,
    bad_sig: Vec<Tok>,
    wrong_aud: Vec<Tok>,
    expired: Vec<Tok>,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The `kid` in a token's header.
fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .expect("minted header is base64url");
    let v: Value = serde_json::from_slice(&bytes).expect("minted header is JSON");
    v["kid"]
        .as_str()
        .expect("minted tokens carry a kid")
        .to_string()
}

fn mint(m: &MockTeleport, spec: &MintSpec) -> Tok {
    let token = m.mint(spec).expect("the mock mints");
    let kid = kid_of(&token);
    Tok { token, kid }
}

/// The same token with one signature byte flipped (still canonical base64url).
fn flip_signature(token: &str) -> String {
    let (signed, sig) = token.rsplit_once('.').expect("compact JWS");
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).expect("signature is base64url");
    let i = bytes.len() / 2;
    bytes[i] ^= 0x5a;
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `ttl`: the lifetime of the reused tokens, longer than the run.
fn generation(m: &MockTeleport, tag: usize, ttl: Duration) -> Generation {
    let good = |i: usize| MintSpec {
        username: format!("cached-{tag}-{i}"),
        ttl,
        ..MintSpec::default()
    };
    let bad_sig = (0..2)
        .map(|i| {
            let t = mint(m, &good(100 + i));
            Tok {
                token: flip_signature(&t.token),
                kid: t.kid,
            }
        })
        .collect();
    let wrong_aud = (0..2)
        .map(|i| {
            mint(
                m,
                &MintSpec {
                    audience: vec![OTHER_AUD.into()],
                    ..good(200 + i)
                },
            )
        })
        .collect();
    let expired = (0..2)
        .map(|i| {
            mint(
                m,
                &MintSpec {
                    issued_at: Some(unix_now() - 7200),
                    ttl: Duration::from_secs(3600),
                    ..good(300 + i)
                },
            )
        })
        .collect();
    Generation {
        cached: (0..8).map(|i| mint(m, &good(i))).collect(),
        bad_sig,
        wrong_aud,
        expired,
    }
}

// ---------------------------------------------------------------------------------------------
// Shared state, controller

struct Shared {
    mock: MockTeleport,
    verifier: Verifier,
    base: Instant,
    stop: AtomicBool,
    /// Index of the current phase (the plan's length once the run is over).
    phase: AtomicUsize,
    generation: RwLock<Arc<Generation>>,
    log: Mutex<Log>,
    generations_made: AtomicUsize,
    token_ttl: Duration,
    /// The control: the same verification work on keys that never change or fail (a static
    /// JWKS of the first key), in full and from the token cache, to tell the machine's own
    /// latency noise (other processes) from the verifier's.
    control_full: Verifier,
    control_cached: Verifier,
    control_tokens: Vec<String>,
    /// While set, workers send bad-sig tokens where they would send unknown-kid ones.
    quiet_forgery: AtomicBool,
}

impl Shared {
    fn elapsed(&self) -> f64 {
        self.base.elapsed().as_secs_f64()
    }

    fn kids(&self) -> Vec<String> {
        self.mock.key_ids(Ca::Jwt)
    }

    fn short(kid: &str) -> String {
        kid.chars().take(8).collect()
    }

    /// A key change: logs the keys it removes (predicted, then checked) and publishes, then
    /// mints a new generation of tokens.
    fn key_change(&self, what: &str, retire: Vec<String>, call: impl FnOnce(&MockTeleport)) {
        let before: HashSet<String> = self.kids().into_iter().collect();
        let c0 = Instant::now();
        {
            let mut log = self.log.lock().expect("log");
            for kid in &retire {
                if let Some(k) = log.keys.get_mut(kid) {
                    k.retiring = Some(c0);
                }
            }
        }
        call(&self.mock);
        let c1 = Instant::now();
        let after: HashSet<String> = self.kids().into_iter().collect();
        let removed: HashSet<String> = before.difference(&after).cloned().collect();
        let added: Vec<String> = after.difference(&before).cloned().collect();
        assert_eq!(
            removed,
            retire.iter().cloned().collect::<HashSet<_>>(),
            "soak: {what} removed other keys than predicted"
        );
        {
            let mut log = self.log.lock().expect("log");
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
        let tag = self.generations_made.fetch_add(1, Ordering::Relaxed) + 1;
        let g = generation(&self.mock, tag, self.token_ttl);
        *self.generation.write().expect("generation") = Arc::new(g);
        let list = |label: &str, v: &[String]| {
            v.iter()
                .map(|k| format!("{label} {}, ", Self::short(k)))
                .collect::<String>()
        };
        println!(
            "[{:6.2}s]   {what}: {}{}signing with {} (the call took {} ms)",
            self.elapsed(),
            list("published", &added),
            list("removed", &retire),
            Self::short(&self.mock.signing_key_id(Ca::Jwt)),
            (c1 - c0).as_millis()
        );
    }

    fn apply(&self, action: &Action) {
        match action {
            Action::Rotation(phase) => {
                self.key_change(phase.as_str(), vec![], |m| {
                    m.set_rotation_phase(Ca::Jwt, *phase)
                });
            }
            Action::CompleteRotation => {
                // The next key (published second) becomes the only key.
                let kids = self.kids();
                let retire = if kids.len() == 2 {
                    vec![kids[0].clone()]
                } else {
                    kids
                };
                self.key_change("complete_rotation", retire, |m| {
                    m.complete_rotation(Ca::Jwt)
                });
            }
            Action::RotateNow => {
                let retire = self.kids();
                self.key_change("rotate_now", retire, |m| m.rotate_now(Ca::Jwt));
            }
            Action::Fail(f) => {
                {
                    let mut log = self.log.lock().expect("log");
                    if log.outages.last().is_none_or(|o| o.1.is_some()) {
                        log.outages.push((Instant::now(), None));
                    }
                }
                self.mock.set_failure(f.clone());
                println!("[{:6.2}s]   set_failure({f:?})", self.elapsed());
            }
            Action::QuietForgery(on) => {
                self.quiet_forgery.store(*on, Ordering::Release);
                println!(
                    "[{:6.2}s]   unknown-kid tokens paused: {on}",
                    self.elapsed()
                );
            }
            Action::ForgedKid => {
                let payload = URL_SAFE_NO_PAD.encode(
                    json!({"aud": AUD, "exp": unix_now() + 3600, "iss": self.mock.cluster_name(),
                           "sub": "mallory", "username": "mallory", "roles": [], "traits": {}})
                    .to_string(),
                );
                let token = unknown_kid_token(Algorithm::RS256, &payload, usize::MAX, 0);
                let answer = self
                    .verifier
                    .verify(&token)
                    .map(|_| ())
                    .map_err(|e| e.code());
                println!("[{:6.2}s]   one forged kid: {answer:?}", self.elapsed());
            }
            Action::Heal => {
                self.mock.set_failure(Failure::None);
                let now = Instant::now();
                if let Some(o) = self.log.lock().expect("log").outages.last_mut() {
                    o.1.get_or_insert(now);
                }
                println!("[{:6.2}s]   set_failure(None)", self.elapsed());
            }
        }
    }

    /// Waits (untimed) until the controller has logged `kid`: a fresh token may be minted
    /// between the mock's key change and the controller's log entry.
    fn wait_for_kid(&self, kid: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log.lock().expect("log").keys.contains_key(kid) {
            assert!(Instant::now() < deadline, "soak: kid {kid} never logged");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Per-phase counters of the controller.
#[derive(Debug, Clone, Default)]
struct PhaseRecord {
    name: &'static str,
    seconds: f64,
    jwks_requests: u64,
    fetches: u64,
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        std::thread::sleep(t - now);
    }
}

fn controller(sh: &Shared, plan: &[PhasePlan], unit: Duration) -> Vec<PhaseRecord> {
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
            sh.apply(action);
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

// ---------------------------------------------------------------------------------------------
// Workers

#[derive(Debug, Default)]
struct Stats {
    verifications: u64,
    good_ok: u64,
    retired_refusals: u64,
    stale_accepts: u64,
    transient: BTreeMap<&'static str, u64>,
    wrong: u64,
    forged_refused: u64,
    /// `kind: reason` of forged tokens refused with another reason than the obvious one.
    forged_other: BTreeMap<String, u64>,
    slow_good: u64,
    /// The longest time after a key's publication at which one of its tokens got a
    /// transient `unknown_key`.
    transient_max_age: Option<Duration>,
    fresh: Vec<u64>,
    cached: Vec<u64>,
    unknown: Vec<u64>,
    /// Unknown-kid verifications over one second (a caller that started a refetch).
    unknown_waits: u64,
    control_full: Vec<u64>,
    control_cached: Vec<u64>,
}

impl Stats {
    fn merge(&mut self, o: Stats) {
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

fn unknown_kid_token(alg: Algorithm, payload: &str, id: usize, n: u64) -> String {
    let header =
        json!({"alg": alg.as_str(), "kid": format!("soak-made-up-{id}-{n}"), "typ": "JWT"});
    let junk = match alg {
        Algorithm::ES256 => vec![7u8; 64],
        _ => vec![7u8; 256],
    };
    format!(
        "{}.{payload}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(junk)
    )
}

fn worker(
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
        let g = sh.generation.read().expect("generation").clone();
        let (token, kid) = match kind {
            Kind::Fresh => {
                let t = mint(
                    &sh.mock,
                    &MintSpec {
                        username: format!("fresh-{id}-{n}"),
                        ..MintSpec::default()
                    },
                );
                sh.wait_for_kid(&t.kid);
                (t.token, t.kid)
            }
            Kind::UnknownKid => (unknown_kid_token(alg, &payload, id, n), String::new()),
            Kind::ControlFull | Kind::ControlCached => {
                (rng.pick(&sh.control_tokens).clone(), String::new())
            }
            Kind::Cached | Kind::BadSig | Kind::WrongAud | Kind::Expired => {
                let pool = match kind {
                    Kind::Cached => &g.cached,
                    Kind::BadSig => &g.bad_sig,
                    Kind::WrongAud => &g.wrong_aud,
                    _ => &g.expired,
                };
                let t = rng.pick(pool);
                (t.token.clone(), t.kid.clone())
            }
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
        let took = t1 - t0;
        let s = &mut stats[phase];
        s.verifications += 1;
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        let verdict = if kind.is_control() {
            if kind == Kind::ControlFull {
                s.control_full.push(ns);
            } else {
                s.control_cached.push(ns);
            }
            match &result {
                Ok(_) => Verdict::Correct,
                Err(e) => Verdict::Wrong(format!("control token refused (static keys): {e}")),
            }
        } else if kind.is_good() {
            if took > SLOW {
                s.slow_good += 1;
            }
            if kind == Kind::Fresh {
                s.fresh.push(ns);
            } else {
                s.cached.push(ns);
            }
            sh.log
                .lock()
                .expect("log")
                .classify_good(&kid, t0, t1, &result, sh.base)
        } else {
            if kind == Kind::UnknownKid {
                s.unknown.push(ns);
                if took > Duration::from_secs(1) {
                    s.unknown_waits += 1;
                }
            }
            match &result {
                Ok(identity) => Verdict::Wrong(format!(
                    "{} token verified at {:.3}s (as {:?}, key {:?})",
                    kind.name(),
                    t0.duration_since(sh.base).as_secs_f64(),
                    identity.username,
                    identity.key_id
                )),
                Err(e) => {
                    let expected = match kind {
                        Kind::UnknownKid => Reason::UnknownKey,
                        Kind::BadSig => Reason::BadSignature,
                        Kind::WrongAud => Reason::AudienceMismatch,
                        _ => Reason::Expired,
                    };
                    if e.reason() != expected {
                        *s.forged_other
                            .entry(format!("{}: {}", kind.name(), e.code()))
                            .or_default() += 1;
                    }
                    s.forged_refused += 1;
                    Verdict::Correct
                }
            }
        };
        match verdict {
            Verdict::Correct if kind.is_good() => s.good_ok += 1,
            Verdict::Correct => {}
            Verdict::RetiredRefusal => s.retired_refusals += 1,
            Verdict::StaleAccept => s.stale_accepts += 1,
            Verdict::Transient(reason, age) => {
                *s.transient.entry(reason).or_default() += 1;
                s.transient_max_age = s.transient_max_age.max(age);
            }
            Verdict::Wrong(what) => {
                s.wrong += 1;
                if wrong.len() < WRONG_SHOWN {
                    wrong.push(format!("[{}] {what}", kind.name()));
                }
            }
        }
    }
    (stats, wrong)
}

// ---------------------------------------------------------------------------------------------
// Report

/// Nearest-rank percentile of sorted nanoseconds.
fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn fmt_ns(ns: Option<u64>) -> String {
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

fn main() {
    let config = match parse_args() {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(if msg == USAGE { 0 } else { 2 });
        }
    };
    let plan = plan();
    let total_units: f64 = plan.iter().map(PhasePlan::units).sum();
    let unit = Duration::from_secs_f64(config.seconds / total_units);

    let base = Instant::now();
    let mock = MockTeleport::start_with(MockOptions {
        algorithm: config.algorithm,
        ..MockOptions::default()
    })
    .expect("the mock starts");
    let mut options = VerifierOptions {
        ca_pem: Some(mock.ca_pem()),
        ..VerifierOptions::default()
    };
    options.cache = CachePolicy {
        cooldown: COOLDOWN,
        max_age: MAX_AGE,
        max_stale: MAX_STALE,
        ..CachePolicy::default()
    };
    options.fetch.timeout = FETCH_TIMEOUT;
    let verifier = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &mock.proxy_url(),
            mock.cluster_name(),
            AUD,
        ))
        .options(options)
        .build()
        .expect("the verifier builds");
    assert!(
        mock.addr().ip().is_loopback(),
        "the mock must listen on loopback"
    );

    let mut log = Log::default();
    for kid in mock.key_ids(Ca::Jwt) {
        log.keys.insert(
            kid,
            KeyInfo {
                published: base,
                retiring: None,
                retired: None,
            },
        );
    }
    // Longer than the run may last, with every stretch of the plan.
    let token_ttl = Duration::from_secs_f64(config.seconds * 2.0 + 600.0);
    let first = generation(&mock, 0, token_ttl);
    let control = |token_cache_capacity| {
        Verifier::builder()
            .trust(TrustEntry {
                keys: KeysFrom::StaticJwks(mock.jwks_json(Ca::Jwt)),
                ..TrustEntry::teleport_jwt(&mock.proxy_url(), mock.cluster_name(), AUD)
            })
            .configure(|o| o.token_cache_capacity = token_cache_capacity)
            .build()
            .expect("the control verifier builds")
    };
    let control_tokens = first.cached.iter().map(|t| t.token.clone()).collect();
    let sh = Arc::new(Shared {
        control_full: control(0),
        control_cached: control(1024),
        control_tokens,
        quiet_forgery: AtomicBool::new(false),
        mock,
        verifier,
        base,
        stop: AtomicBool::new(false),
        phase: AtomicUsize::new(0),
        generation: RwLock::new(Arc::new(first)),
        log: Mutex::new(log),
        generations_made: AtomicUsize::new(0),
        token_ttl,
    });

    // Warm up: the first fetch, the refresher thread, and a full token cache. A stream of
    // distinct tokens fills it within seconds, and a full cache evicts on every insert, so the
    // healthy phase must start full to be measured in the same state as the later phases.
    sh.verifier.warm_up().expect("the first key fetch");
    let fill = sh.verifier.options().token_cache_capacity * 3 / 2;
    let fillers = config.threads.clamp(1, 4);
    let fill_started = Instant::now();
    std::thread::scope(|scope| {
        for w in 0..fillers {
            let sh = &sh;
            scope.spawn(move || {
                for i in (w..fill).step_by(fillers) {
                    let t = mint(
                        &sh.mock,
                        &MintSpec {
                            username: format!("warm-{i}"),
                            ..MintSpec::default()
                        },
                    );
                    sh.verifier.verify(&t.token).expect("a good token verifies");
                }
            });
        }
    });
    let mint_cost = (fill_started.elapsed() * fillers as u32) / fill.max(1) as u32;
    for v in [&sh.control_full, &sh.control_cached] {
        for t in &sh.control_tokens {
            v.verify(t).expect("a control token verifies");
        }
    }

    println!(
        "soak: {} threads, {:.0} verifications/s in total, {:.0} s, {} keys; cache: cooldown {}s, \
         max_age {}s (refresh at {}s), max_stale {}s, fetch timeout {}s; mock at {}; token cache \
         pre-filled with {fill} distinct tokens ({} entries; one mint + verify took ~{})",
        config.threads,
        config.rate,
        config.seconds,
        config.algorithm.as_str(),
        COOLDOWN.as_secs(),
        MAX_AGE.as_secs(),
        MAX_AGE.as_secs_f64() * 0.75,
        MAX_STALE.as_secs(),
        FETCH_TIMEOUT.as_secs(),
        sh.mock.proxy_url(),
        sh.verifier.token_cache_usage().0,
        fmt_ns(Some(mint_cost.as_nanos() as u64)),
    );

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
    let total_jwks = sh.mock.request_count_for(JWKS_PATH);
    let total_fetches = sh.verifier.key_fetch_count();

    // Table 1: answers.
    println!();
    println!(
        "Answers per phase (good = fresh + cached tokens; see the file's docs for the classes)"
    );
    println!(
        "{:<13} {:>5} {:>7} {:>8} {:>8} {:>8} {:>8} {:>6}  transient refusals of good tokens",
        "phase", "secs", "verifs", "good ok", "retired", "stale ok", "forged x", "WRONG"
    );
    let mut wrong_total = 0;
    for (r, s) in records.iter().zip(&stats) {
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

    // Table 2: latency and fetches.
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

    // Acceptance.
    println!();
    println!("Acceptance");
    println!(
        "  wrong answers: {wrong_total} ... {}",
        if wrong_total == 0 { "PASS" } else { "FAIL" }
    );
    for w in &wrong_shown {
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
    println!("  finished in {:.1} s", sh.elapsed());
    if wrong_total > 0 {
        std::process::exit(1);
    }
}
