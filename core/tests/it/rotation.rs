//! CA rotation as TELEPORT-TOKENS.md describes it, phase by phase, with zero wrong answers:
//! every token signed by a published key verifies, every token signed by a withdrawn key is
//! refused once the cache has refreshed.

use std::sync::Arc;
use std::time::Duration;

use teleport_jwt::mock::{Ca, MockOptions, MockTeleport, RotationPhase};
use teleport_jwt::{Algorithm, ManualClock, Reason};

use crate::common::*;

fn run_full_rotation(alg: Algorithm, kid_in_tokens: bool) {
    let m = MockTeleport::start_with(MockOptions {
        algorithm: alg,
        kid_in_tokens,
        ..Default::default()
    })
    .unwrap();
    let clock = Arc::new(ManualClock::at_unix(T0));
    let v = verifier_with_clock(&m, clock.clone(), Default::default());
    let mut now = T0;
    let mut step = |secs: u64| {
        clock.advance(Duration::from_secs(secs));
        now += secs;
        now
    };

    let old = m.mint(&spec_at(T0)).unwrap();
    let old_kid = m.signing_key_id(Ca::Jwt);
    // The identity names the key that verified, whether or not the token named it.
    assert_eq!(v.verify(&old).unwrap().key_id, Some(old_kid.clone()));
    assert_eq!(
        old.split('.')
            .next()
            .map(|h| unb64(h).windows(5).any(|w| w == b"\"kid\"")),
        Some(kid_in_tokens)
    );

    // init: the new key is published, the old one still signs.
    m.set_rotation_phase(Ca::Jwt, RotationPhase::Init);
    assert_eq!(m.key_ids(Ca::Jwt).len(), 2);
    let t = step(40);
    v.verify(&m.mint(&spec_at(t)).unwrap())
        .expect("init: old key signs");
    v.verify(&old).expect("init: old tokens still valid");

    // update_clients: the new key signs; its kid is not cached yet, so one refetch finds it.
    m.set_rotation_phase(Ca::Jwt, RotationPhase::UpdateClients);
    assert_ne!(m.signing_key_id(Ca::Jwt), old_kid);
    let t = step(40);
    let new_token = m.mint(&spec_at(t)).unwrap();
    let id = v.verify(&new_token).expect("update_clients: new key signs");
    assert_eq!(id.algorithm, alg);
    v.verify(&old)
        .expect("update_clients: old key still published");

    // update_servers: same keys.
    m.set_rotation_phase(Ca::Jwt, RotationPhase::UpdateServers);
    let t = step(40);
    v.verify(&m.mint(&spec_at(t)).unwrap())
        .expect("update_servers");
    v.verify(&old)
        .expect("update_servers: old key still published");

    // standby after completion: only the new key is published.
    m.complete_rotation(Ca::Jwt);
    assert_eq!(m.key_ids(Ca::Jwt).len(), 1);
    let t = step(40);
    v.verify(&m.mint(&spec_at(t)).unwrap())
        .expect("completed: new key signs");
    // The old key is refused once the cache is refreshed (in the background, at most max_age
    // later).
    step(601);
    refresh_in_background(&v, &old);
    let err = v.verify(&old).unwrap_err();
    if kid_in_tokens {
        assert_eq!(err.reason(), Reason::UnknownKey, "{err}");
    } else {
        assert_eq!(err.reason(), Reason::BadSignature, "{err}");
    }
    v.verify(&new_token)
        .expect("tokens of the new key keep verifying");
}

#[test]
fn rotation_phases_rs256_with_kid() {
    run_full_rotation(Algorithm::RS256, true);
}

#[test]
fn rotation_phases_es256_with_kid() {
    run_full_rotation(Algorithm::ES256, true);
}

#[test]
fn rotation_phases_without_kid_as_older_clusters() {
    run_full_rotation(Algorithm::RS256, false);
    run_full_rotation(Algorithm::ES256, false);
}

#[test]
fn rotation_rollback_keeps_the_old_key_signing() {
    let m = mock(Algorithm::ES256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let v = verifier_with_clock(&m, clock.clone(), Default::default());
    let old_kid = m.signing_key_id(Ca::Jwt);
    v.verify(&m.mint(&spec_at(T0)).unwrap()).unwrap();
    m.set_rotation_phase(Ca::Jwt, RotationPhase::Init);
    m.set_rotation_phase(Ca::Jwt, RotationPhase::UpdateClients);
    clock.advance(Duration::from_secs(31));
    let during = m.mint(&spec_at(T0 + 31)).unwrap();
    v.verify(&during).unwrap();
    m.set_rotation_phase(Ca::Jwt, RotationPhase::Rollback);
    assert_eq!(m.signing_key_id(Ca::Jwt), old_kid);
    clock.advance(Duration::from_secs(31));
    v.verify(&m.mint(&spec_at(T0 + 62)).unwrap())
        .expect("rollback: old key signs");
    v.verify(&during)
        .expect("rollback: new key still published");
    m.set_rotation_phase(Ca::Jwt, RotationPhase::Standby);
    clock.advance(Duration::from_secs(601));
    refresh_in_background(&v, &during);
    assert_reason(v.verify(&during), Reason::UnknownKey);
    v.verify(&m.mint(&spec_at(T0 + 663)).unwrap())
        .expect("old key after rollback");
}

#[test]
fn rotation_with_grace_period_zero_is_picked_up_by_one_refetch() {
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        let m = mock(alg);
        let clock = Arc::new(ManualClock::at_unix(T0));
        let v = verifier_with_clock(&m, clock.clone(), Default::default());
        v.verify(&m.mint(&spec_at(T0)).unwrap()).unwrap();
        m.rotate_now(Ca::Jwt);
        clock.advance(Duration::from_secs(31));
        let before = m.request_count();
        v.verify(&m.mint(&spec_at(T0 + 31)).unwrap())
            .expect("new key after a refetch");
        assert_eq!(m.request_count(), before + 1);
    }
}

#[test]
fn suite_change_from_rs256_to_es256_on_rotation() {
    // A cluster that moves from the legacy suite to balanced-v1: both algorithms are accepted
    // whenever the published key says so.
    let rsa = mock(Algorithm::RS256);
    let ec = mock(Algorithm::ES256);
    let v = teleport_jwt::Verifier::builder()
        .trust(teleport_jwt::TrustEntry::new(
            rsa.cluster_name(),
            vec![AUD.into()],
            teleport_jwt::KeysFrom::StaticJwks(format!(
                r#"{{"keys":[{},{}]}}"#,
                serde_json::from_str::<serde_json::Value>(&rsa.jwks_json(Ca::Jwt)).unwrap()["keys"]
                    [0],
                serde_json::from_str::<serde_json::Value>(&ec.jwks_json(Ca::Jwt)).unwrap()["keys"]
                    [0],
            )),
        ))
        .build()
        .unwrap();
    assert_eq!(
        v.verify(&rsa.mint(&Default::default()).unwrap())
            .unwrap()
            .algorithm,
        Algorithm::RS256
    );
    assert_eq!(
        v.verify(&ec.mint(&Default::default()).unwrap())
            .unwrap()
            .algorithm,
        Algorithm::ES256
    );
}
