//! Shared helpers for the integration tests: a mock Teleport and verifiers pointed at it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use teleport_jwt::mock::{Ca, MintSpec, MockOptions, MockTeleport};
use teleport_jwt::{
    Algorithm, CachePolicy, ManualClock, Reason, TrustEntry, Verifier, VerifierOptions,
};

pub const AUD: &str = "mcp+http://127.0.0.1:8000/mcp";
/// 2023-11-14T22:13:20Z: a fixed "now" for tests that move the clock.
pub const T0: u64 = 1_700_000_000;

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .expect("test data is base64url")
}

pub fn mock(alg: Algorithm) -> MockTeleport {
    MockTeleport::start_with(MockOptions {
        algorithm: alg,
        ..Default::default()
    })
    .expect("mock starts")
}

pub fn options_for(m: &MockTeleport) -> VerifierOptions {
    VerifierOptions {
        ca_pem: Some(m.ca_pem()),
        ..Default::default()
    }
}

/// A classic-JWT verifier for the mock, on the system clock.
pub fn verifier(m: &MockTeleport) -> Verifier {
    verifier_with(m, |_| {})
}

/// A classic-JWT verifier for the mock (its CA trusted), with options changed by `f`.
pub fn verifier_with(m: &MockTeleport, f: impl FnOnce(&mut VerifierOptions)) -> Verifier {
    let mut options = options_for(m);
    f(&mut options);
    Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options)
        .build()
        .expect("verifier builds")
}

/// A classic-JWT verifier for the mock on a manual clock, with a chosen cache policy.
pub fn verifier_with_clock(
    m: &MockTeleport,
    clock: Arc<ManualClock>,
    cache: CachePolicy,
) -> Verifier {
    let mut options = options_for(m);
    options.cache = cache;
    options.fetch.timeout = Duration::from_millis(800);
    Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options)
        .clock(clock)
        .build()
        .expect("verifier builds")
}

/// Mint spec for the manual clock's time; valid for two hours, like a long app session.
pub fn spec_at(t: u64) -> MintSpec {
    MintSpec {
        issued_at: Some(t as i64),
        ttl: Duration::from_secs(7200),
        ..Default::default()
    }
}

/// A standard claim set as Teleport sends it, for hand-made tokens.
pub fn claims(m: &MockTeleport) -> serde_json::Map<String, Value> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let v = json!({
        "aud": AUD, "exp": now + 300, "iat": now, "nbf": now - 10, "iss": m.cluster_name(),
        "sub": "alice", "username": "alice", "roles": ["access"], "traits": {"logins": ["alice"]},
    });
    match v {
        Value::Object(o) => o,
        _ => unreachable!(),
    }
}

/// The header Teleport would send for the mock's current Jwt signing key.
pub fn header(m: &MockTeleport, alg: Algorithm) -> serde_json::Map<String, Value> {
    let kid = m.signing_key_id(Ca::Jwt);
    let v = json!({"alg": alg.as_str(), "kid": kid, "typ": "JWT"});
    match v {
        Value::Object(o) => o,
        _ => unreachable!(),
    }
}

/// Signs the JSON texts verbatim with the mock's Jwt CA.
pub fn sign(m: &MockTeleport, header: &str, payload: &str) -> String {
    m.sign_raw(Ca::Jwt, header, payload).expect("mock signs")
}

/// Signs a header and claims given as maps.
pub fn sign_maps(
    m: &MockTeleport,
    header: &serde_json::Map<String, Value>,
    claims: &serde_json::Map<String, Value>,
) -> String {
    sign(
        m,
        &Value::Object(header.clone()).to_string(),
        &Value::Object(claims.clone()).to_string(),
    )
}

/// A token whose claims are the standard ones changed by `f`.
pub fn token_with(m: &MockTeleport, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut c = claims(m);
    f(&mut c);
    sign_maps(m, &header(m, m.signing_algorithm(Ca::Jwt)), &c)
}

#[track_caller]
pub fn assert_reason<I: std::ops::Deref<Target = teleport_jwt::Identity>>(
    result: Result<I, teleport_jwt::VerifyError>,
    want: Reason,
) {
    match result {
        Ok(id) => panic!(
            "expected {want}, but the token verified as {:?}",
            id.username
        ),
        Err(e) => assert_eq!(e.reason(), want, "wrong reason; error was: {e}"),
    }
}

/// Waits (at most 10 s) until `done` holds; panics naming `what` otherwise.
pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// After the test moved the clock past a refresh point: one verification of `token` (whatever
/// its outcome) wakes the background refresher, then this waits until it has fetched.
pub fn refresh_in_background(v: &Verifier, token: &str) {
    let before = v.key_fetch_count();
    let start = std::time::Instant::now();
    // A request only wakes the refresher once it has stored its plan; on a manual clock it may
    // have planned a real-time sleep just before the test moved the clock, so verify again
    // until it is woken.
    while v.key_fetch_count() == before {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for a background key refresh"
        );
        let _ = v.verify(token);
        let woke = std::time::Instant::now();
        while v.key_fetch_count() == before && woke.elapsed() < Duration::from_millis(200) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// The lines after the line `begin` up to `// README end`, without their common indentation:
/// a README example kept in a tested source file.
pub fn marked_region(source: &str, begin: &str) -> String {
    let lines: Vec<&str> = source
        .lines()
        .skip_while(|l| l.trim() != begin)
        .skip(1)
        .take_while(|l| l.trim() != "// README end")
        .collect();
    assert!(!lines.is_empty(), "no region {begin:?}");
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The contents of every ```rust... fenced block of a Markdown text.
pub fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.starts_with("```rust") => current = Some(Vec::new()),
            Some(lines) if line.starts_with("```") => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            Some(lines) => lines.push(line),
            None => {}
        }
    }
    blocks
}

/// Runs `body` in a child process of this test binary, where it is the only test: for a test
/// that changes what every verifier of the process shares. `teleport_jwt::fork::
/// after_fork_in_child` is one: every verifier alive at that moment, in any other test, would
/// drop its token cache and restart its refresher mid-test. `test` is the test's name as the
/// harness prints it (`module::function`); the child must report exactly that one test passed.
pub fn in_own_process(test: &str, body: impl FnOnce()) {
    const CHILD: &str = "TELEPORT_JWT_TEST_IN_OWN_PROCESS";
    if std::env::var(CHILD).as_deref() == Ok(test) {
        return body();
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = std::process::Command::new(exe)
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD, test)
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test}, in a process of its own:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
