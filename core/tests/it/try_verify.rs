//! `Verifier::try_verify` / `try_authorize`: answered at once whenever `verify` would not wait
//! for a key fetch, `None` (and nothing fetched) exactly where it would. This is what lets an
//! async server check a cached token on its worker thread and move only real fetches to a
//! blocking thread.

use std::sync::Arc;
use std::time::{Duration, Instant};

use teleport_jwt::mock::{Ca, Failure, MintSpec};
use teleport_jwt::policy::Policy;
use teleport_jwt::{Algorithm, CachePolicy, ManualClock, Reason};

use crate::common::*;

const JWKS: &str = "/.well-known/jwks.json";

/// The token with one signature character changed (inside the signature, where every base64url
/// character is canonical): a bad signature, not a malformed token.
fn tamper(token: &str) -> String {
    let at = token.len() - 10;
    let old = &token[at..=at];
    let new = if old == "A" { "B" } else { "A" };
    format!("{}{new}{}", &token[..at], &token[at + 1..])
}

#[test]
fn first_use_would_fetch_then_everything_is_answered_at_once() {
    let m = mock(Algorithm::ES256);
    let v = verifier(&m);
    let token = m.mint(&MintSpec::default()).expect("mints");
    assert!(
        v.try_verify(&token).is_none(),
        "no keys yet: verify would fetch"
    );
    assert_eq!(v.key_fetch_count(), 0, "try_verify fetched nothing");
    assert_eq!(m.request_count_for(JWKS), 0);

    let identity = v.verify(&token).expect("verifies");
    assert_eq!(v.key_fetch_count(), 1);
    let again = v.try_verify(&token).expect("a cache hit needs no fetch");
    assert!(
        Arc::ptr_eq(&again.expect("verifies"), &identity),
        "the cached identity"
    );

    let other = m
        .mint(&MintSpec {
            username: "bob".into(),
            ..Default::default()
        })
        .expect("mints");
    let bob = v.try_verify(&other).expect("keys cached: no fetch");
    assert_eq!(bob.expect("verifies").username, "bob");

    let tampered = tamper(&other);
    assert_reason(
        v.try_verify(&tampered).expect("answered at once"),
        Reason::BadSignature,
    );
    assert_eq!(v.key_fetch_count(), 1);
}

#[test]
fn refusals_that_need_no_keys_are_answered_before_any_fetch() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    assert_reason(
        v.try_verify("not-a-token").expect("no keys needed"),
        Reason::Malformed,
    );
    let stranger = token_with(&m, |c| {
        c.insert("iss".into(), "evil.example.com".into());
    });
    assert_reason(
        v.try_verify(&stranger).expect("no keys needed"),
        Reason::IssuerMismatch,
    );
    assert_eq!(v.key_fetch_count(), 0);
}

#[test]
fn endpoint_down_from_the_start_fails_once_then_answers_from_the_failure() {
    let m = mock(Algorithm::RS256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let v = verifier_with_clock(&m, clock.clone(), CachePolicy::default());
    m.set_failure(Failure::Refuse);
    let token = m.mint(&spec_at(T0)).expect("mints");

    assert!(
        v.try_verify(&token).is_none(),
        "the first attempt is a fetch"
    );
    assert_eq!(v.key_fetch_count(), 0);
    assert_reason(v.verify(&token), Reason::KeySourceUnavailable);
    assert_eq!(v.key_fetch_count(), 1);

    // Within the cooldown every caller gets the failure at once, without a new attempt.
    assert_reason(
        v.try_verify(&token)
            .expect("answered from the failed attempt"),
        Reason::KeySourceUnavailable,
    );
    assert_eq!(v.key_fetch_count(), 1);

    // Once the cooldown has passed, the failure is no longer the answer: trying again means
    // a fetch (`None`), unless the background refresher, woken by the calls above, has
    // already made it.
    m.set_failure(Failure::None);
    clock.advance(Duration::from_secs(31));
    assert!(
        matches!(v.try_verify(&token), None | Some(Ok(_))),
        "past the cooldown the old failure is not served"
    );
    let identity = v.verify(&token).expect("the endpoint is back");
    assert_eq!(identity.username, "alice");
    assert!(v.try_verify(&token).expect("cached").is_ok());
}

#[test]
fn a_fetch_in_flight_is_not_waited_for() {
    let m = mock(Algorithm::RS256);
    let v = verifier_with(&m, |o| o.fetch.timeout = Duration::from_secs(5));
    m.set_failure(Failure::Hang);
    let token = m.mint(&MintSpec::default()).expect("mints");
    std::thread::scope(|s| {
        let waiting = s.spawn(|| v.verify(&token));
        wait_until("the first fetch to reach the hanging endpoint", || {
            m.request_count_for(JWKS) >= 1
        });
        let start = Instant::now();
        assert!(v.try_verify(&token).is_none(), "a fetch is in flight");
        assert!(
            start.elapsed() < Duration::from_millis(500),
            "try_verify waited {:?}",
            start.elapsed()
        );
        m.set_failure(Failure::None);
        let done = waiting.join().expect("no panic");
        assert_eq!(done.expect("served once released").username, "alice");
    });
    assert!(v.try_verify(&token).expect("cached").is_ok());
}

#[test]
fn an_unknown_kid_waits_only_while_its_refetch_budget_lasts() {
    let m = mock(Algorithm::ES256);
    let v = verifier(&m);
    let first = m.mint(&MintSpec::default()).expect("mints");
    v.verify(&first).expect("verifies");

    m.rotate_now(Ca::Jwt); // grace period 0: a key the verifier has never seen
    let rotated = m.mint(&MintSpec::default()).expect("mints");
    assert!(v.try_verify(&rotated).is_none(), "an unknown kid refetches");
    assert_eq!(v.key_fetch_count(), 1);
    assert!(v.verify(&rotated).is_ok());
    assert_eq!(v.key_fetch_count(), 2);

    // The budget holds two refetches at once: a made-up kid may use the second...
    let forged = |kid: &str| {
        m.mint(&MintSpec {
            header_overrides: [("kid".to_string(), kid.into())].into_iter().collect(),
            ..Default::default()
        })
        .expect("mints")
    };
    assert!(
        v.try_verify(&forged("made-up")).is_none(),
        "the second refetch"
    );
    assert_reason(v.verify(&forged("made-up")), Reason::UnknownKey);
    assert_eq!(v.key_fetch_count(), 3);
    // ...and then the budget is spent for an interval: made-up kids are refused at once.
    assert_reason(
        v.try_verify(&forged("made-up-too"))
            .expect("no refetch within the interval"),
        Reason::UnknownKey,
    );
    assert_eq!(v.key_fetch_count(), 3);
}

#[test]
fn try_authorize_maps_permissions_without_waiting() {
    let m = mock(Algorithm::RS256);
    let plain = verifier(&m);
    let token = m.mint(&MintSpec::default()).expect("mints");
    match plain.try_authorize(&token) {
        Some(Err(e)) => assert_eq!(e.reason(), Reason::InvalidConfig),
        other => panic!("authorize without a mapper is invalid_config, got {other:?}"),
    }

    let policy = Policy::from_yaml_str(
        "version: 1\nrules:\n  - match: {roles_any: [access]}\n    grant: [\"tool:read_*\"]\n",
    )
    .expect("policy loads");
    let v = plain.with_permissions(Arc::new(policy));
    assert!(v.try_authorize(&token).is_none(), "no keys yet");
    let caller = v.authorize(&token).expect("authorizes");
    assert!(caller.permissions.can_call_tool("read_file"));
    let again = v
        .try_authorize(&token)
        .expect("cached")
        .expect("authorizes");
    assert!(Arc::ptr_eq(&again.permissions, &caller.permissions));
}
