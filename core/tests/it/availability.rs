//! Availability and bounds, SECURITY-CASES 36-43: no request waits for a fetch it does not
//! need, unknown-kid refetches have their own budget, the key cache runs on monotonic time,
//! configuration is bounded, and the verified-token cache is bounded in bytes; and the
//! production findings of issue 21 (`finding_NN_*`): forked workers, the first tokens of a new
//! key, forged kids before a rotation, rotations during an outage, the stale/unavailable
//! gauges. Assertions are on outcomes and counts, never on how long something took. Every
//! network case runs against the mock Teleport on loopback HTTPS.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use teleport_jwt::mock::{Ca, Failure, MintSpec, MockOptions, MockTeleport};
use teleport_jwt::{
    Algorithm, CachePolicy, ManualClock, Reason, TrustEntry, Verifier, VerifierOptions,
};

use crate::common::*;

const JWKS: &str = "/.well-known/jwks.json";

/// The slowest of `n` verifications of distinct, freshly minted tokens (no token-cache hits).
fn slowest_of(n: usize, v: &Verifier, mint: impl Fn(usize) -> String) -> Duration {
    (0..n)
        .map(|i| {
            let t = mint(i);
            let start = Instant::now();
            v.verify(&t).expect("a good token verifies");
            start.elapsed()
        })
        .max()
        .unwrap_or_default()
}

/// A good token for `m`, distinct for each `i` (so it is never a token-cache hit).
fn distinct(m: &MockTeleport, i: usize, iat: Option<i64>) -> String {
    m.mint(&MintSpec {
        username: format!("user{i}"),
        issued_at: iat,
        ttl: Duration::from_secs(7200),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn sec_36_keys_past_max_age_and_endpoint_hanging_good_tokens_do_not_wait() {
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        let m = mock(alg);
        let clock = Arc::new(ManualClock::at_unix(T0));
        let mut options = options_for(&m);
        options.fetch.timeout = Duration::from_secs(5);
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
        v.warm_up().unwrap();
        let healthy = slowest_of(20, &v, |i| distinct(&m, i, Some(T0 as i64)));
        m.set_failure(Failure::Hang);
        clock.advance(Duration::from_secs(601)); // past max_age: a refresh is due
        let started = Instant::now();
        let during = slowest_of(50, &v, |i| distinct(&m, 100 + i, Some(T0 as i64 + 601)));
        // The refresh was started (the mock holds its request) but nobody waited for it.
        wait_until("the refresh to reach the hanging endpoint", || {
            m.request_count_for(JWKS) == 2
        });
        assert!(
            during < Duration::from_secs(1) && started.elapsed() < Duration::from_secs(4),
            "{alg}: slowest good token {during:?} (healthy {healthy:?}) while the refresh hangs"
        );
        assert_eq!(
            v.key_fetch_count(),
            1,
            "{alg}: the refresh is still in flight"
        );
        m.set_failure(Failure::None);
        wait_until("the refresh to finish", || v.key_fetch_count() == 2);
    }
}

#[test]
fn sec_37_finding_11_unknown_kid_flood_against_hanging_endpoint_leaves_good_tokens_alone() {
    let a = mock(Algorithm::RS256);
    let b = MockTeleport::start_with(MockOptions {
        algorithm: Algorithm::ES256,
        cluster_name: "leaf.example.com".into(),
        ..Default::default()
    })
    .unwrap();
    // Both mocks' CAs trusted: the verifier's HTTPS client takes one extra bundle.
    let mut options = VerifierOptions {
        ca_pem: Some(format!("{}\n{}", a.ca_pem(), b.ca_pem())),
        ..Default::default()
    };
    options.fetch.timeout = Duration::from_secs(5);
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &a.proxy_url(),
            a.cluster_name(),
            AUD,
        ))
        .trust(TrustEntry::teleport_jwt(
            &b.proxy_url(),
            b.cluster_name(),
            AUD,
        ))
        .options(options)
        .build()
        .unwrap();
    v.warm_up().unwrap();
    a.set_failure(Failure::Hang);

    // Eight threads spray tokens with a trusted `iss` and made-up kids (signature irrelevant).
    let stop = Arc::new(AtomicBool::new(false));
    let flood: Vec<_> = (0..8)
        .map(|t| {
            let (v, stop) = (v.clone(), stop.clone());
            let payload = b64(serde_json::to_string(&claims(&a)).unwrap().as_bytes());
            std::thread::spawn(move || {
                let mut reasons = std::collections::BTreeSet::new();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let h = json!({"alg": "RS256", "kid": format!("forged-{t}-{i}"), "typ": "JWT"});
                    let token = format!(
                        "{}.{payload}.{}",
                        b64(h.to_string().as_bytes()),
                        b64(&[7; 256])
                    );
                    reasons.insert(v.verify(&token).map(|_| ()).map_err(|e| e.reason()));
                    i += 1;
                }
                (i, reasons)
            })
        })
        .collect();
    wait_until("the flood's refetch to reach the hanging endpoint", || {
        a.request_count_for(JWKS) == 2
    });
    // While that refetch hangs, good tokens of both entries are answered without waiting for
    // it: the non-blocking form (what async servers call) has an answer for every one, and
    // the blocking form gives the same.
    for i in 0..30 {
        for m in [&a, &b] {
            let token = distinct(m, 100 + i, None);
            let answer = v.try_verify(&token);
            assert!(
                matches!(answer, Some(Ok(_))),
                "a good token of {} had to wait for the hanging refetch: {answer:?}",
                m.cluster_name()
            );
            v.verify(&distinct(m, 1000 + i, None)).unwrap();
        }
    }
    stop.store(true, Ordering::Relaxed);
    // Release the hanging refetch only now, so that the flood really ran against it.
    a.set_failure(Failure::None);
    let mut sprayed = 0;
    let mut reasons = std::collections::BTreeSet::new();
    for f in flood {
        let (n, r) = f.join().unwrap();
        sprayed += n;
        reasons.extend(r);
    }
    assert!(sprayed >= 8, "the flood ran: {sprayed} tokens");
    // Forged kids are refused: unknown, or (while the refetch they waited for failed) the key
    // source is unavailable. Never accepted.
    for r in &reasons {
        assert!(
            matches!(
                r,
                Err(Reason::UnknownKey) | Err(Reason::KeySourceUnavailable)
            ),
            "a forged kid got {r:?}"
        );
    }
    // The warm-up fetch and one budgeted refetch, however many forged kids arrived.
    assert_eq!(a.request_count_for(JWKS), 2);
    assert_eq!(b.request_count_for(JWKS), 1);
}

#[test]
fn sec_38_key_published_a_second_after_the_last_fetch_verifies_at_once() {
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        let m = mock(alg);
        let clock = Arc::new(ManualClock::at_unix(T0));
        let v = verifier_with_clock(&m, clock.clone(), CachePolicy::default());
        v.verify(&m.mint(&spec_at(T0)).unwrap()).unwrap();
        assert_eq!(m.request_count_for(JWKS), 1);
        // Grace period 0: the new key is published one second after our fetch.
        clock.advance(Duration::from_secs(1));
        m.rotate_now(Ca::Jwt);
        let id = v
            .verify(&m.mint(&spec_at(T0 + 1)).unwrap())
            .expect("the new key's first token verifies");
        assert_eq!(id.key_id, Some(m.signing_key_id(Ca::Jwt)));
        assert_eq!(m.request_count_for(JWKS), 2, "{alg}: exactly one refetch");

        // Routine refreshes do not use up that budget: right after a background refresh, a
        // key rotated in is still found by its first token (one cooldown after the refetch).
        clock.advance(Duration::from_secs(600));
        refresh_in_background(&v, &m.mint(&spec_at(T0 + 601)).unwrap());
        assert_eq!(m.request_count_for(JWKS), 3);
        clock.advance(Duration::from_secs(1));
        m.rotate_now(Ca::Jwt);
        v.verify(&m.mint(&spec_at(T0 + 602)).unwrap())
            .expect("the key published right after a routine refresh verifies");
        assert_eq!(m.request_count_for(JWKS), 4);
        // The budget itself still holds: two refetches at once (the second one here), then
        // an unknown kid within the interval is refused without a fetch.
        m.rotate_now(Ca::Jwt);
        v.verify(&m.mint(&spec_at(T0 + 602)).unwrap())
            .expect("the budget's second refetch");
        assert_eq!(m.request_count_for(JWKS), 5);
        m.rotate_now(Ca::Jwt);
        assert_reason(
            v.verify(&m.mint(&spec_at(T0 + 602)).unwrap()),
            Reason::UnknownKey,
        );
        assert_eq!(m.request_count_for(JWKS), 5);
    }
}

#[test]
fn sec_38_the_background_refresher_runs_without_any_request() {
    // A real clock and the shortest bounds: the refresher fetches at 3/4 of max_age by itself,
    // so a withdrawn key stops verifying within max_age even on an idle verifier.
    let m = mock(Algorithm::ES256);
    let mut options = options_for(&m);
    options.cache.cooldown = Duration::from_secs(1);
    options.cache.max_age = Duration::from_secs(2);
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options)
        .build()
        .unwrap();
    let old = m.mint(&Default::default()).unwrap();
    v.verify(&old).unwrap();
    m.rotate_now(Ca::Jwt);
    let start = Instant::now();
    wait_until("the idle refresh", || m.request_count_for(JWKS) == 2);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1000) && took < Duration::from_secs(3),
        "refreshed after {took:?}, expected about 1.5 s"
    );
    wait_until("the refreshed set", || v.key_fetch_count() == 2);
    assert_reason(v.verify(&old), Reason::UnknownKey);
    // Dropping the verifier ends its refresher: no fetch after that.
    drop(v);
    let after = m.request_count_for(JWKS);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        m.request_count_for(JWKS),
        after,
        "no refresh after the drop"
    );
}

#[test]
fn sec_39_wall_clock_steps_do_not_freeze_refreshes_or_stretch_staleness() {
    let day = Duration::from_secs(24 * 3600);
    // Back a day: the cache still refreshes after max_age of real elapsed time.
    let m = mock(Algorithm::RS256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let v = verifier_with_clock(&m, clock.clone(), CachePolicy::default());
    let old = m.mint(&spec_at(T0)).unwrap();
    v.verify(&old).unwrap();
    m.rotate_now(Ca::Jwt);
    clock.set(UNIX_EPOCH + Duration::from_secs(T0) - day);
    clock.advance(Duration::from_secs(601));
    let back = T0 - 24 * 3600 + 601;
    refresh_in_background(&v, &m.mint(&spec_at(back)).unwrap());
    assert_eq!(
        m.request_count_for(JWKS),
        2,
        "refreshed despite the step back"
    );
    let mut claims = claims(&m);
    claims.insert("iat".into(), json!(back));
    claims.insert("nbf".into(), json!(back));
    claims.insert("exp".into(), json!(back + 300));
    let token = sign_maps(&m, &header(&m, Algorithm::RS256), &claims);
    v.verify(&token).expect("claims run on the wall clock");

    // Forward a day: no refresh storm, and the keys are not taken for stale.
    let m = mock(Algorithm::ES256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let v = verifier_with_clock(&m, clock.clone(), CachePolicy::default());
    v.verify(&m.mint(&spec_at(T0)).unwrap()).unwrap();
    m.set_failure(Failure::Status(500));
    clock.set(UNIX_EPOCH + Duration::from_secs(T0) + day + day);
    for i in 0..10 {
        v.verify(&distinct(&m, i, Some((T0 + 2 * 24 * 3600) as i64)))
            .expect("the keys are minutes old, not two days");
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(m.request_count_for(JWKS), 1, "no fetch: nothing is due");

    // Staleness too runs on elapsed time: a wall clock set back does not keep a day-old set.
    clock.set(UNIX_EPOCH + Duration::from_secs(T0) - day);
    clock.advance(day + Duration::from_secs(1));
    let e = v
        .verify(&distinct(&m, 99, Some(T0 as i64 + 1)))
        .unwrap_err();
    assert_eq!(e.reason(), Reason::KeySourceUnavailable, "{e}");
    assert!(e.message().contains("maximum staleness"), "{e}");
}

#[test]
fn sec_40_configuration_outside_sane_bounds_is_invalid_config() {
    let m = mock(Algorithm::RS256);
    let build = |f: &dyn Fn(&mut VerifierOptions)| {
        let mut o = options_for(&m);
        f(&mut o);
        Verifier::builder()
            .trust(TrustEntry::teleport_jwt(
                &m.proxy_url(),
                m.cluster_name(),
                AUD,
            ))
            .options(o)
            .build()
    };
    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }
    type Tweak = Box<dyn Fn(&mut VerifierOptions)>;
    let cases: Vec<(&str, Tweak, &str)> = vec![
        (
            "cache age 0",
            Box::new(|o| o.cache.max_age = secs(0)),
            "max_age",
        ),
        (
            "cooldown 0",
            Box::new(|o| o.cache.cooldown = secs(0)),
            "cooldown",
        ),
        (
            "max_age below the cooldown",
            Box::new(|o| o.cache.max_age = secs(10)),
            "at least the cooldown",
        ),
        (
            "a leeway of hours",
            Box::new(|o| o.leeway = secs(3 * 3600)),
            "300s",
        ),
        (
            "a timeout of centuries",
            Box::new(|o| o.fetch.timeout = secs(300 * 365 * 24 * 3600)),
            "60s",
        ),
        (
            "a zero timeout",
            Box::new(|o| o.fetch.timeout = secs(0)),
            "0.001s",
        ),
        (
            "max_stale below max_age",
            Box::new(|o| o.cache.max_stale = secs(60)),
            "max_stale",
        ),
        (
            "max_stale of a year",
            Box::new(|o| o.cache.max_stale = secs(365 * 24 * 3600)),
            "7 days",
        ),
        (
            "no keys allowed",
            Box::new(|o| o.cache.max_keys = 0),
            "max_keys",
        ),
        (
            "a zero body cap",
            Box::new(|o| o.fetch.max_body_bytes = 0),
            "max_body_bytes",
        ),
        (
            "a 1 GiB body cap",
            Box::new(|o| o.fetch.max_body_bytes = 1 << 30),
            "16 MiB",
        ),
        (
            "a zero token cap",
            Box::new(|o| o.max_token_bytes = 0),
            "max_token_bytes",
        ),
        (
            "a 1 GiB token cap",
            Box::new(|o| o.max_token_bytes = 1 << 30),
            "1 MiB",
        ),
        (
            "a token cache of 100 GiB",
            Box::new(|o| o.token_cache_max_bytes = 100 << 30),
            "1 GiB",
        ),
        (
            "a billion cached tokens",
            Box::new(|o| o.token_cache_capacity = 1_000_000_000),
            "token_cache_capacity",
        ),
        (
            "no header rules",
            Box::new(|o| o.headers.clear()),
            "header rule",
        ),
    ];
    for (what, f, bound) in cases {
        let e = build(&*f).expect_err(what);
        assert_eq!(e.reason(), Reason::InvalidConfig, "{what}: {e}");
        assert!(
            e.message().contains(bound),
            "{what}: {e:?} should name {bound:?}"
        );
    }
    // The bounds themselves are accepted, and so are the defaults.
    build(&|o| {
        o.leeway = secs(300);
        o.cache.cooldown = secs(1);
        o.cache.max_age = secs(1);
        o.cache.max_stale = secs(7 * 24 * 3600);
        o.fetch.timeout = secs(60);
        o.max_token_bytes = 1 << 20;
    })
    .expect("values at the bounds are fine");
    build(&|_| {}).expect("defaults");
    assert_eq!(m.request_count(), 0, "nothing is fetched to validate");
}

#[test]
fn sec_41_huge_claim_sets_keep_the_token_cache_within_its_byte_budget() {
    let m = mock(Algorithm::ES256);
    let budget = 4 * 1024 * 1024;
    let v = verifier_with(&m, |o| {
        o.token_cache_max_bytes = budget;
        o.token_cache_capacity = 100_000;
    });
    // An ordinary token: a hit shares the cached identity, it does not copy the claims.
    let small = m.mint(&Default::default()).unwrap();
    let first = v.verify(&small).unwrap();
    assert!(Arc::ptr_eq(&first, &v.verify(&small).unwrap()));
    // A validly signed 14 KB token whose claims hold 5,200 small values.
    let big_claims = |i: usize| {
        token_with(&m, |c| {
            c.insert("sub".into(), json!(format!("user{i}")));
            c.insert("blob".into(), json!(vec![1u8; 5200]));
        })
    };
    let t = big_claims(0);
    assert!(t.len() > 10_000 && t.len() < 16 * 1024, "{}", t.len());
    let a = v.verify(&t).unwrap();
    let b = v.verify(&t).unwrap();
    assert!(
        !Arc::ptr_eq(&a, &b),
        "an entry over 1/64 of the budget is verified every time, not cached"
    );
    // Tokens of a size that is cached: many of them never exceed the budget.
    let medium = |i: usize| {
        token_with(&m, |c| {
            c.insert("sub".into(), json!(format!("user{i}")));
            c.insert("blob".into(), json!(vec!["x"; 600]));
        })
    };
    let t = medium(0);
    let a = v.verify(&t).unwrap();
    assert!(
        Arc::ptr_eq(&a, &v.verify(&t).unwrap()),
        "a medium token is cached"
    );
    for i in 1..2000 {
        v.verify(&medium(i)).unwrap();
        let (_, bytes) = v.token_cache_usage();
        assert!(
            bytes <= budget,
            "after {i} tokens the cache holds {bytes} bytes"
        );
    }
    let (entries, bytes) = v.token_cache_usage();
    assert!(
        entries > 100,
        "the budget is used, not starved: {entries} entries, {bytes} bytes"
    );
    assert!(bytes > budget / 2, "{bytes}");
}

#[test]
fn sec_43_extreme_time_arguments_are_typed_errors() {
    use teleport_jwt::clock::system_time_from_unix;
    for bad in [
        1e19,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
    ] {
        let e = system_time_from_unix(bad).unwrap_err();
        assert_eq!(e.reason(), Reason::InvalidConfig, "{bad}: {e}");
    }
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let t = m.mint(&Default::default()).unwrap();
    // The latest representable times are just "expired", and the epoch "not yet valid".
    let far = system_time_from_unix(teleport_jwt::clock::MAX_UNIX_SECONDS).unwrap();
    assert_reason(v.verify_at(&t, far), Reason::Expired);
    let very_far = SystemTime::UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2);
    assert_reason(v.verify_at(&t, very_far), Reason::Expired);
    assert_reason(v.verify_at(&t, UNIX_EPOCH), Reason::NotYetValid);
}

/// A verifier on a manual clock at [`T0`] for `m`, warmed up (one fetch), with the default
/// policy and fetch timeout (`verifier_with_clock`'s 0.8 s timeout would end an attempt the
/// tests below keep hanging on purpose).
fn warm_on_manual_clock(m: &MockTeleport) -> (Verifier, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::at_unix(T0));
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options_for(m))
        .clock(clock.clone())
        .build()
        .unwrap();
    v.warm_up().unwrap();
    (v, clock)
}

/// A token with a trusted `iss` and a made-up `kid` (its signature is never checked).
fn forged_kid(m: &MockTeleport, kid: &str) -> String {
    let h = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    let payload = b64(serde_json::to_string(&claims(m)).unwrap().as_bytes());
    format!(
        "{}.{payload}.{}",
        b64(h.to_string().as_bytes()),
        b64(&[7; 256])
    )
}

#[test]
fn finding_03_first_tokens_of_a_new_key_wait_for_its_refetch_instead_of_being_refused() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    v.warm_up().unwrap();
    m.rotate_now(Ca::Jwt); // grace period 0: the new key signs, the old one is gone
    m.set_failure(Failure::Hang); // so the refetch is in flight while the others arrive
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let callers: Vec<_> = (0..16)
        .map(|i| {
            let (v, started) = (v.clone(), started.clone());
            let token = distinct(&m, i, None);
            std::thread::spawn(move || {
                started.fetch_add(1, Ordering::SeqCst);
                v.verify(&token).map(|_| ()).map_err(|e| e.reason())
            })
        })
        .collect();
    wait_until("the first caller's refetch to reach the endpoint", || {
        m.request_count_for(JWKS) == 2
    });
    wait_until("every caller to start", || {
        started.load(Ordering::SeqCst) == 16
    });
    // Give the callers time to reach the cache (scheduling only: nothing is asserted on it).
    std::thread::sleep(Duration::from_millis(300));
    m.set_failure(Failure::None); // the refetch is answered
    let answers: Vec<_> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    assert!(
        answers.iter().all(Result::is_ok),
        "first tokens of the new key: {answers:?}"
    );
    // One refetch served them all; at most the budget's two, however the threads were
    // scheduled around the one in flight.
    let refetches = v.stats().key_sources[0].unknown_kid_refetches;
    assert!((1..=2).contains(&refetches), "{refetches} refetches");
}

#[test]
fn finding_04_a_forged_kid_before_a_rotation_does_not_delay_the_new_key_and_a_flood_delays_it_at_most_an_interval(
) {
    let m = mock(Algorithm::RS256);
    let (v, clock) = warm_on_manual_clock(&m);
    let interval = Duration::from_secs(5); // the default cooldown is 30 s; the interval 5 s
                                           // One forged kid spends a refetch...
    let e = v.verify(&forged_kid(&m, "made-up")).unwrap_err();
    assert_eq!(e.reason(), Reason::UnknownKey);
    assert_eq!(m.request_count_for(JWKS), 2);
    // ...right before a rotation without grace period: the new key's first token still
    // verifies, with the budget's second refetch.
    m.rotate_now(Ca::Jwt);
    let first = distinct(&m, 1, Some(T0 as i64));
    let identity = v.verify(&first).expect("the new key is not refused");
    assert_eq!(
        identity.key_id.as_deref(),
        Some(&*m.signing_key_id(Ca::Jwt))
    );
    assert_eq!(m.request_count_for(JWKS), 3);
    // A flood with the budget spent costs nothing more...
    for i in 0..100 {
        let _ = v.verify(&forged_kid(&m, &format!("flood-{i}")));
    }
    assert_eq!(m.request_count_for(JWKS), 3);
    // ...and delays a real new key by at most one interval: refused inside it...
    m.rotate_now(Ca::Jwt);
    let second = distinct(&m, 2, Some(T0 as i64));
    assert_eq!(v.verify(&second).unwrap_err().reason(), Reason::UnknownKey);
    // ...verified once it has passed (one refetch).
    clock.advance(interval);
    v.verify(&second)
        .expect("the new key verifies an interval later");
    assert_eq!(m.request_count_for(JWKS), 4);
    // In the long run a flood costs one fetch per interval.
    for round in 0..3 {
        clock.advance(interval);
        for i in 0..50 {
            let _ = v.verify(&forged_kid(&m, &format!("flood-{round}-{i}")));
        }
    }
    assert_eq!(m.request_count_for(JWKS), 7);
    assert_eq!(v.stats().key_sources[0].unknown_kid_refetches, 6);
}

#[test]
fn finding_05_rotation_during_an_outage_is_unavailable_not_unknown_and_recovers_on_the_next_request(
) {
    use teleport_jwt::refusal::{Refusal, RefusalOptions};
    let m = mock(Algorithm::ES256);
    let (v, clock) = warm_on_manual_clock(&m);
    m.rotate_now(Ca::Jwt);
    m.set_failure(Failure::Status(500));
    let token = distinct(&m, 1, Some(T0 as i64));
    let mut retry_after = vec![];
    for attempt in 0..3 {
        let e = v.verify(&token).unwrap_err();
        assert_eq!(
            e.reason(),
            Reason::KeySourceUnavailable,
            "attempt {attempt}: {e}"
        );
        let answer = Refusal::from_error(&e, RefusalOptions::default());
        assert_eq!(answer.status, 503);
        retry_after.push(answer.retry_after_secs);
    }
    // When the next attempt can be made, from the unknown-kid budget (two refetches, then one
    // per 5 s), not the default 30 s.
    assert_eq!(retry_after, [Some(1), Some(5), Some(5)]);
    assert_eq!(m.request_count_for(JWKS), 3, "two budgeted attempts");
    m.set_failure(Failure::None);
    clock.advance(Duration::from_secs(1));
    let e = v.verify(&token).unwrap_err();
    assert_eq!(
        (e.reason(), e.retry_after()),
        (Reason::KeySourceUnavailable, Some(Duration::from_secs(4))),
        "the endpoint is back, but no attempt is due yet"
    );
    clock.advance(Duration::from_secs(4));
    v.verify(&token)
        .expect("recovery is noticed by the first request the budget allows");
    assert_eq!(m.request_count_for(JWKS), 4);
}

#[test]
fn finding_05_during_an_outage_unknown_kids_do_not_queue_behind_a_hanging_attempt() {
    let m = mock(Algorithm::RS256);
    let (v, clock) = warm_on_manual_clock(&m);
    m.rotate_now(Ca::Jwt);
    let token = distinct(&m, 1, Some(T0 as i64));
    m.set_failure(Failure::Status(500));
    assert_reason(v.verify(&token), Reason::KeySourceUnavailable); // the outage is known
    m.set_failure(Failure::Hang);
    clock.advance(Duration::from_secs(5)); // the budget allows another attempt: it hangs
    let attempt = {
        let (v, token) = (v.clone(), token.clone());
        std::thread::spawn(move || v.verify(&token).map(|_| ()).map_err(|e| e.reason()))
    };
    wait_until("the attempt to hang", || m.request_count_for(JWKS) == 3);
    // Other unknown kids are answered from the failure at once: even the form that may not
    // wait has its answer (it would be `None` if the answer meant waiting for the attempt).
    let other = distinct(&m, 2, Some(T0 as i64));
    let answer = v
        .try_verify(&other)
        .map(|r| r.map(|_| ()).map_err(|e| e.reason()));
    assert_eq!(answer, Some(Err(Reason::KeySourceUnavailable)));
    m.set_failure(Failure::None);
    assert_eq!(
        attempt.join().unwrap(),
        Ok(()),
        "the hanging attempt, released, recovers"
    );
}

#[test]
fn finding_08_stale_and_unavailable_gauges_each_mean_one_thing() {
    let m = mock(Algorithm::RS256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let policy = CachePolicy {
        cooldown: Duration::from_secs(1),
        max_age: Duration::from_secs(2),
        max_stale: Duration::from_secs(4),
        ..CachePolicy::default()
    };
    let v = verifier_with_clock(&m, clock.clone(), policy);
    v.warm_up().unwrap();
    let gauges = |v: &Verifier| {
        let s = &v.stats().key_sources[0];
        (s.serving_stale, s.keys_unavailable)
    };
    let prometheus = |v: &Verifier, name: &str| {
        let text = v.stats().prometheus_text();
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{name}{{")))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
            .to_owned();
        line.rsplit(' ').next().unwrap().to_owned()
    };
    assert_eq!(gauges(&v), (false, false), "healthy");
    m.set_failure(Failure::Status(500));
    clock.advance(Duration::from_secs(3)); // past max_age: the refresh fails
    v.verify(&distinct(&m, 1, Some(T0 as i64 + 3))).unwrap();
    wait_until("the failed refresh", || {
        v.stats().key_sources[0].fetches_failed >= 1
    });
    assert_eq!(gauges(&v), (true, false), "stale keys serve: tokens verify");
    assert_eq!(prometheus(&v, "teleport_jwt_serving_stale_keys"), "1");
    assert_eq!(prometheus(&v, "teleport_jwt_keys_unavailable"), "0");
    clock.advance(Duration::from_secs(2)); // past max_stale
    let e = v.verify(&distinct(&m, 2, Some(T0 as i64 + 5))).unwrap_err();
    assert_eq!(e.reason(), Reason::KeySourceUnavailable);
    assert!(e.retry_after().is_some(), "{e}");
    assert_eq!(
        gauges(&v),
        (false, true),
        "refusing: the unavailable gauge rises as the stale one falls"
    );
    assert_eq!(prometheus(&v, "teleport_jwt_serving_stale_keys"), "0");
    assert_eq!(prometheus(&v, "teleport_jwt_keys_unavailable"), "1");
}

/// A key source for the fork test: serves the mock's current JWKS, except that its second
/// fetch blocks until released, as a fetch in flight at a fork does forever in the child.
struct GatedSource {
    mock: Arc<MockTeleport>,
    calls: std::sync::atomic::AtomicUsize,
    gate: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl teleport_jwt::KeySource for GatedSource {
    fn fetch_jwks(&self) -> Result<Vec<u8>, teleport_jwt::VerifyError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 1 {
            let _ = self.gate.lock().unwrap().recv();
        }
        Ok(self.mock.jwks_json(Ca::Jwt).into_bytes())
    }

    fn describe(&self) -> String {
        "a gated test source".into()
    }
}

#[test]
fn finding_01_a_forked_child_rebuilds_the_fetch_lock_and_refresher_keeping_the_keys() {
    // `after_fork_in_child` reaches every verifier of the process, so this runs in a process of
    // its own, away from the other tests' verifiers.
    in_own_process(
        "availability::finding_01_a_forked_child_rebuilds_the_fetch_lock_and_refresher_keeping_the_keys",
        finding_01_body,
    );
}

fn finding_01_body() {
    // In-process stand-in for a fork: a refetch blocks (holding the fetch lock, as a fetch in
    // flight at a fork leaves it held in the child), then `after_fork_in_child` tells the
    // verifier it is in a new process.
    let m = Arc::new(mock(Algorithm::RS256));
    let (release, gate) = std::sync::mpsc::channel();
    let source = Arc::new(GatedSource {
        mock: m.clone(),
        calls: Default::default(),
        gate: std::sync::Mutex::new(gate),
    });
    let v = Verifier::builder()
        .trust(TrustEntry::new(
            m.cluster_name(),
            vec![AUD.into()],
            teleport_jwt::KeysFrom::Source(source.clone()),
        ))
        .configure(|o| {
            o.cache = CachePolicy {
                cooldown: Duration::from_secs(1),
                max_age: Duration::from_secs(4),
                ..CachePolicy::default()
            };
            o.fetch.timeout = Duration::from_secs(60);
        })
        .build()
        .unwrap();
    v.warm_up().unwrap();
    let before = distinct(&m, 0, None);
    v.verify(&before).unwrap();
    m.rotate_now(Ca::Jwt); // grace 0: the old key leaves the JWKS
    let parent = {
        let (v, token) = (v.clone(), distinct(&m, 1, None));
        std::thread::spawn(move || v.verify(&token).map(|_| ()).map_err(|e| e.reason()))
    };
    wait_until("the parent's refetch to block", || {
        source.calls.load(Ordering::SeqCst) == 2
    });
    teleport_jwt::fork::after_fork_in_child();
    // The keys fetched before the fork are kept: the old key's token verifies without a fetch.
    v.verify(&before)
        .expect("the keys fetched before the fork are kept");
    assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    // A new-key token is not stuck behind the lock the parent's thread holds: the child
    // refetches on its own lock.
    let identity = v
        .verify(&distinct(&m, 3, None))
        .expect("a new-key token verifies in the child");
    assert_eq!(
        identity.key_id.as_deref(),
        Some(&*m.signing_key_id(Ca::Jwt))
    );
    assert_eq!(source.calls.load(Ordering::SeqCst), 3);
    // The child has a refresher of its own: it refreshes at 3/4 of max_age with no request.
    wait_until("the child's refresher to refresh", || {
        source.calls.load(Ordering::SeqCst) >= 4
    });
    // The old key left the JWKS: once refreshed, its tokens are refused (case 31).
    assert_eq!(v.verify(&before).unwrap_err().reason(), Reason::UnknownKey);
    release.send(()).unwrap();
    let _ = parent.join().unwrap();
}
