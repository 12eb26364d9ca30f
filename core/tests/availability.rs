//! Availability and bounds, SECURITY-CASES 36-43: no request waits for a fetch it does not
//! need, unknown-kid refetches have their own budget, the key cache runs on monotonic time,
//! configuration is bounded, and the verified-token cache is bounded in bytes. Every network
//! case runs against the mock Teleport on loopback HTTPS.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::json;
use teleport_jwt::mock::{Ca, Failure, MintSpec, MockOptions, MockTeleport};
use teleport_jwt::{
    Algorithm, CachePolicy, ManualClock, Reason, TrustEntry, Verifier, VerifierOptions,
};

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
fn sec_37_unknown_kid_flood_against_hanging_endpoint_leaves_good_tokens_alone() {
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
    let healthy = slowest_of(10, &v, |i| distinct(&a, i, None))
        .max(slowest_of(10, &v, |i| distinct(&b, i, None)));
    a.set_failure(Failure::Hang);

    // Eight threads spray tokens with a trusted `iss` and made-up kids (signature irrelevant).
    let stop = Arc::new(AtomicBool::new(false));
    let flood: Vec<_> = (0..8)
        .map(|t| {
            let (v, stop) = (v.clone(), stop.clone());
            let payload = b64(serde_json::to_string(&claims(&a)).unwrap().as_bytes());
            std::thread::spawn(move || {
                let mut slow_refusals = 0;
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let h = json!({"alg": "RS256", "kid": format!("forged-{t}-{i}"), "typ": "JWT"});
                    let token = format!(
                        "{}.{payload}.{}",
                        b64(h.to_string().as_bytes()),
                        b64(&[7; 256])
                    );
                    let start = Instant::now();
                    let r = v.verify(&token).map_err(|e| e.reason());
                    assert_eq!(r.err(), Some(Reason::UnknownKey));
                    if start.elapsed() > Duration::from_secs(1) {
                        slow_refusals += 1;
                    }
                    i += 1;
                }
                (i, slow_refusals)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200)); // the flood is on, one refetch hangs
    let same = slowest_of(30, &v, |i| distinct(&a, 100 + i, None));
    let other = slowest_of(30, &v, |i| distinct(&b, 100 + i, None));
    stop.store(true, Ordering::Relaxed);
    // Release the hanging refetch only now, so that the flood really ran against it.
    a.set_failure(Failure::None);
    let mut sprayed = 0;
    let mut waited = 0;
    for f in flood {
        let (n, slow) = f.join().unwrap();
        sprayed += n;
        waited += slow;
    }
    assert!(sprayed > 100, "the flood ran: {sprayed} tokens");
    // Only the caller that started the refetch waited for it; nobody queued behind it.
    assert!(
        waited <= 1,
        "{waited} forged tokens waited for the hanging refetch"
    );
    assert!(
        same < Duration::from_secs(1) && other < Duration::from_secs(1),
        "good tokens: same entry {same:?}, other entry {other:?}, healthy {healthy:?}"
    );
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
        // The budget itself still holds: a second unknown kid within the cooldown is refused
        // without a fetch.
        m.rotate_now(Ca::Jwt);
        assert_reason(
            v.verify(&m.mint(&spec_at(T0 + 602)).unwrap()),
            Reason::UnknownKey,
        );
        assert_eq!(m.request_count_for(JWKS), 4);
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
