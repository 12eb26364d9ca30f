//! SECURITY-CASES.md 25-33: hostile or failing key sources, against a mock Teleport over real
//! loopback HTTPS. A manual clock moves the cache through its ages; nothing sleeps for long.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{json, Value};
use teleport_jwt::mock::{Ca, Failure};
use teleport_jwt::{
    Algorithm, CachePolicy, KeySource, KeysFrom, ManualClock, Reason, TrustEntry, Verifier,
    VerifyError,
};

use crate::common::*;

const JWKS: &str = "/.well-known/jwks.json";

fn policy() -> CachePolicy {
    CachePolicy::default()
}

#[test]
fn sec_25_plain_http_is_refused_unless_loopback_is_explicitly_allowed() {
    let e = Verifier::builder()
        .trust(TrustEntry::teleport_jwt("http://127.0.0.1:3080", "c", AUD))
        .build()
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InsecureTransport);
    let e = Verifier::builder()
        .trust(TrustEntry::teleport_id_token(
            "http://teleport.example.com",
            AUD,
        ))
        .build()
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InsecureTransport);
    let e = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            "http://teleport.example.com",
            "c",
            AUD,
        ))
        .configure(|o| o.allow_insecure_http_for_loopback = true)
        .build()
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InsecureTransport, "only loopback hosts");
    assert!(Verifier::builder()
        .trust(TrustEntry::teleport_jwt("http://127.0.0.1:3080", "c", AUD))
        .configure(|o| o.allow_insecure_http_for_loopback = true)
        .build()
        .is_ok());
}

#[test]
fn sec_25_discovered_jwks_uri_over_http_is_refused() {
    let m = mock(Algorithm::RS256);
    m.set_discovery_jwks_uri_override(Some("http://127.0.0.1:1/.well-known/jwks-oidc".into()));
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_id_token(&m.proxy_url(), AUD))
        .options(options_for(&m))
        .build()
        .unwrap();
    let t = m
        .mint(&teleport_jwt::mock::MintSpec {
            kind: teleport_jwt::TokenKind::IdToken,
            ..Default::default()
        })
        .unwrap();
    assert_reason(v.verify(&t), Reason::InsecureTransport);
}

#[test]
fn sec_26_redirects_are_not_followed() {
    let m = mock(Algorithm::RS256);
    let elsewhere = mock(Algorithm::RS256);
    m.set_failure(Failure::Redirect(elsewhere.jwks_url()));
    let v = verifier(&m);
    let t = m.mint(&Default::default()).unwrap();
    let e = v.verify(&t).unwrap_err();
    assert_eq!(e.reason(), Reason::KeySourceUnavailable);
    assert!(e.message().contains("302"), "{e}");
    assert_eq!(elsewhere.request_count(), 0);
}

/// Warms a verifier on a manual clock, lets the cache age past max_age, breaks the endpoint
/// with `failure`, and checks that the last good keys stay in use.
fn keeps_last_good_keys_through(
    failure: Failure,
    tweak: impl FnOnce(&mut teleport_jwt::VerifierOptions),
) {
    let m = mock(Algorithm::RS256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let mut options = options_for(&m);
    options.fetch.timeout = Duration::from_millis(800);
    tweak(&mut options);
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options)
        .clock(clock.clone())
        .build()
        .unwrap();
    let t = m.mint(&spec_at(T0)).unwrap();
    v.verify(&t).expect("warm");
    m.set_failure(failure);
    clock.advance(Duration::from_secs(601));
    let before = m.request_count_for(JWKS);
    v.verify(&t).expect("last good keys stay in use");
    wait_until("a background refresh attempt", || v.key_fetch_count() == 2);
    assert_eq!(
        m.request_count_for(JWKS),
        before + 1,
        "a refresh was attempted"
    );
    v.verify(&t)
        .expect("last good keys stay in use after the failed refresh");
    m.set_failure(Failure::None);
}

#[test]
fn sec_27_oversized_jwks_keeps_last_good_keys() {
    keeps_last_good_keys_through(Failure::OversizedBody(300 * 1024), |_| {});
}

#[test]
fn sec_27_too_many_keys_keeps_last_good_keys() {
    // The same document, but the cap on keys is 1 while the mock publishes 2 entries.
    let m = mock(Algorithm::RS256);
    let v = verifier_with(&m, |o| o.cache.max_keys = 1);
    let e = v.verify(&m.mint(&Default::default()).unwrap()).unwrap_err();
    assert_eq!(e.reason(), Reason::KeySourceUnavailable);
    assert!(e.message().contains("more than the limit"), "{e}");
}

#[test]
fn sec_27_slow_jwks_times_out_and_keeps_last_good_keys() {
    keeps_last_good_keys_through(Failure::Hang, |_| {});
}

#[test]
fn sec_27_cold_timeout_fails_within_the_limit() {
    let m = mock(Algorithm::RS256);
    m.set_failure(Failure::Hang);
    let v = verifier_with(&m, |o| o.fetch.timeout = Duration::from_millis(300));
    let started = std::time::Instant::now();
    let e = v.verify(&m.mint(&Default::default()).unwrap()).unwrap_err();
    assert_eq!(e.reason(), Reason::KeySourceUnavailable);
    // Bounded by the fetch timeout, not by the mock's 30 s hang.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    m.set_failure(Failure::None);
}

/// A key source whose document a test can change: the plug-in point exercised from Rust.
struct Swappable {
    doc: Mutex<Vec<u8>>,
    calls: AtomicUsize,
}

impl KeySource for Swappable {
    fn fetch_jwks(&self) -> Result<Vec<u8>, VerifyError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(self.doc.lock().clone())
    }
    fn describe(&self) -> String {
        "test source".into()
    }
}

#[test]
fn sec_28_malformed_jwks_counts_as_failed_and_keeps_last_good_keys() {
    let m = mock(Algorithm::ES256);
    let source = Arc::new(Swappable {
        doc: Mutex::new(m.jwks_json(Ca::Jwt).into_bytes()),
        calls: AtomicUsize::new(0),
    });
    let clock = Arc::new(ManualClock::at_unix(T0));
    let v = Verifier::builder()
        .trust(TrustEntry::new(
            m.cluster_name(),
            vec![AUD.into()],
            KeysFrom::Source(source.clone()),
        ))
        .clock(clock.clone())
        .build()
        .unwrap();
    let t = m.mint(&spec_at(T0)).unwrap();
    v.verify(&t).unwrap();
    let mut invalid_key = serde_json::from_str::<Value>(&m.jwks_json(Ca::Jwt)).unwrap();
    invalid_key["keys"][0]["crv"] = json!("P-521");
    invalid_key["keys"][1]["crv"] = json!("P-521");
    let bad_docs = [
        b"<html>not json</html>".to_vec(),
        br#"{"keys": {"kty": "EC"}}"#.to_vec(),
        br#"{"keys": []}"#.to_vec(),
        br#"[]"#.to_vec(),
        invalid_key.to_string().into_bytes(),
    ];
    for (i, doc) in bad_docs.into_iter().enumerate() {
        *source.doc.lock() = doc;
        clock.advance(Duration::from_secs(601));
        let calls = source.calls.load(Ordering::SeqCst);
        let token = m.mint(&spec_at(T0 + 601 * (i as u64 + 1))).unwrap();
        refresh_in_background(&v, &token);
        assert_eq!(
            source.calls.load(Ordering::SeqCst),
            calls + 1,
            "doc {i} was fetched"
        );
        let id = v.verify(&token);
        assert!(id.is_ok(), "bad doc {i}: {id:?}");
    }
    // The mock's garbage over HTTPS, cold: nothing to fall back on.
    let g = mock(Algorithm::RS256);
    g.set_failure(Failure::Garbage);
    let e = verifier(&g)
        .verify(&g.mint(&Default::default()).unwrap())
        .unwrap_err();
    assert_eq!(e.reason(), Reason::KeySourceUnavailable);
}

#[test]
fn sec_29_discovery_naming_another_issuer_is_refused() {
    let m = mock(Algorithm::RS256);
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_id_token(&m.proxy_url(), AUD))
        .options(options_for(&m))
        .build()
        .unwrap();
    let t = m
        .mint(&teleport_jwt::mock::MintSpec {
            kind: teleport_jwt::TokenKind::IdToken,
            ..Default::default()
        })
        .unwrap();
    m.set_discovery_issuer_override(Some(format!("{}/", m.proxy_url())));
    assert_reason(v.verify(&t), Reason::IssuerMismatch);
    assert_eq!(
        m.request_count_for("/.well-known/jwks-oidc"),
        0,
        "its jwks_uri is never used"
    );
}

#[test]
fn sec_30_unknown_kid_spray_costs_one_refetch_per_interval_after_a_burst_of_two() {
    // Issue 21 moved the bound from one refetch per cooldown (30 s) to a token bucket: two at
    // once, then one per 5 s, so that one forged kid cannot hold off a rotation for 30 s.
    let m = mock(Algorithm::RS256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let v = verifier_with_clock(&m, clock.clone(), policy());
    v.verify(&m.mint(&spec_at(T0)).unwrap()).unwrap();
    assert_eq!(m.request_count_for(JWKS), 1);
    let payload = b64(serde_json::to_string(&claims(&m)).unwrap().as_bytes());
    let sig = b64(&[1u8; 256]);
    let mut rejected = 0;
    // 10,000 made-up kids over 20 s of the verifier's clock.
    for i in 0..10_000u32 {
        if i > 0 && i % 500 == 0 {
            clock.advance(Duration::from_secs(1));
        }
        let h = json!({"alg": "RS256", "kid": format!("random-{i}"), "typ": "JWT"}).to_string();
        let t = format!("{}.{payload}.{sig}", b64(h.as_bytes()));
        if v.verify(&t).map_err(|e| e.reason()) == Err(Reason::UnknownKey) {
            rejected += 1;
        }
    }
    assert_eq!(rejected, 10_000);
    // The warm-up fetch, then refetches at 0 s and 0 s (the burst), 5 s, 10 s and 15 s.
    assert_eq!(m.request_count_for(JWKS), 6);
}

#[test]
fn sec_31_removed_keys_stop_verifying_after_a_refresh() {
    let m = mock(Algorithm::ES256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let v = verifier_with_clock(&m, clock.clone(), policy());
    let old = m.mint(&spec_at(T0)).unwrap();
    v.verify(&old).unwrap();
    m.rotate_now(Ca::Jwt); // grace period 0: the old key disappears at once
                           // Within max_age the cached set still holds the old key: the documented window.
    clock.advance(Duration::from_secs(300));
    v.verify(&old).unwrap();
    // Past max_age the set is refreshed (in the background) and the old key is gone.
    clock.advance(Duration::from_secs(301));
    refresh_in_background(&v, &old);
    assert_reason(v.verify(&old), Reason::UnknownKey);
    let new = m.mint(&spec_at(T0 + 601)).unwrap();
    v.verify(&new).unwrap();
}

#[test]
fn sec_32_outage_keeps_last_good_keys_until_max_stale_then_fails_closed_and_recovers() {
    for failure in [Failure::Refuse, Failure::Status(500), Failure::Hang] {
        let m = mock(Algorithm::RS256);
        let clock = Arc::new(ManualClock::at_unix(T0));
        let v = verifier_with_clock(&m, clock.clone(), policy());
        v.verify(&m.mint(&spec_at(T0)).unwrap()).unwrap();
        m.set_failure(failure.clone());
        // An hour into the outage: still verifying with the last good keys.
        clock.advance(Duration::from_secs(3600));
        let now = T0 + 3600;
        v.verify(&m.mint(&spec_at(now)).unwrap())
            .expect("stale keys in use");
        // That verification did not wait for the refresh it started in the background.
        wait_until("the background attempt", || v.key_fetch_count() == 2);
        // Failed fetches are not retried before the cooldown: no request per verification.
        let during = m.request_count_for(JWKS);
        for _ in 0..5 {
            v.verify(&m.mint(&spec_at(now)).unwrap()).unwrap();
        }
        assert_eq!(m.request_count_for(JWKS), during, "{failure:?}");
        // Past 24 hours: fail closed.
        clock.advance(Duration::from_secs(24 * 3600));
        let now = T0 + 25 * 3600;
        let e = v.verify(&m.mint(&spec_at(now)).unwrap()).unwrap_err();
        assert_eq!(e.reason(), Reason::KeySourceUnavailable, "{failure:?}: {e}");
        assert!(e.message().contains("maximum staleness"), "{e}");
        // The endpoint returns: recovery after the cooldown, by itself.
        m.set_failure(Failure::None);
        clock.advance(Duration::from_secs(31));
        v.verify(&m.mint(&spec_at(now + 31)).unwrap())
            .expect("recovered");
    }
}

#[test]
fn sec_33_concurrent_cold_verifications_share_one_fetch() {
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        let m = mock(alg);
        let v = verifier(&m);
        let token = m.mint(&Default::default()).unwrap();
        let barrier = Arc::new(std::sync::Barrier::new(32));
        let handles: Vec<_> = (0..32)
            .map(|_| {
                let (v, t, b) = (v.clone(), token.clone(), barrier.clone());
                std::thread::spawn(move || {
                    b.wait();
                    v.verify(&t).map(|id| id.username.clone())
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap(), "alice");
        }
        assert_eq!(m.request_count_for(JWKS), 1, "{alg}: exactly one fetch");
        assert_eq!(v.key_fetch_count(), 1);
    }
}

#[test]
fn sec_33_concurrent_cold_verifications_share_one_failure_too() {
    let m = mock(Algorithm::RS256);
    m.set_failure(Failure::Hang);
    let v = verifier_with(&m, |o| o.fetch.timeout = Duration::from_millis(500));
    let token = m.mint(&Default::default()).unwrap();
    let started = std::time::Instant::now();
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (v, t) = (v.clone(), token.clone());
            std::thread::spawn(move || v.verify(&t).map_err(|e| e.reason()))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap_err(), Reason::KeySourceUnavailable);
    }
    // Waiters share the one timed-out fetch instead of timing out one after another.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(v.key_fetch_count(), 1);
    m.set_failure(Failure::None);
}
