//! The testing flavour's `MockTeleport` through the crate's public API, as Kotlin and Swift
//! users reach it.

use teleport_jwt::mock as core;
use teleport_jwt::Algorithm;
use teleport_jwt_ffi::mock::{MintSpec, MockError, MockTeleport};
use teleport_jwt_ffi::{Verifier, VerifierOptions};

#[test]
fn overrides_must_be_json_objects() {
    let spec = MintSpec {
        claim_overrides_json: Some("[1]".into()),
        ..MintSpec::default()
    };
    assert!(matches!(
        core::MintSpec::try_from(spec),
        Err(MockError::InvalidSpec(_))
    ));
}

#[test]
fn a_minted_token_verifies_through_the_binding() {
    let mock = MockTeleport::start(Algorithm::ES256).unwrap();
    let verifier = Verifier::teleport_jwt(
        mock.proxy_url(),
        mock.cluster_name(),
        "mcp+http://127.0.0.1:8000/mcp".into(),
        Some(VerifierOptions {
            ca_pem: Some(mock.ca_pem()),
            ..Default::default()
        }),
    )
    .unwrap();
    let id = verifier
        .verify(mock.mint(MintSpec::default()).unwrap())
        .unwrap();
    assert_eq!(id.username, "alice");
    assert_eq!(id.algorithm, Algorithm::ES256);
}

#[test]
fn the_described_operations_convert_counts_and_errors() {
    let mock = MockTeleport::start(Algorithm::RS256).unwrap();
    mock.reset_counts();
    let count: i64 = mock.request_count_for_path("/.well-known/jwks.json".into());
    assert_eq!(count, 0);
    assert_eq!(mock.request_count(), 0);
    mock.set_rotation_phase(core::Ca::Jwt, core::RotationPhase::Init)
        .unwrap();
    assert_eq!(mock.key_ids(core::Ca::Jwt).len(), 2);
    assert!(matches!(
        mock.sign_raw_with(
            core::Ca::Oidc,
            core::KeyChoice::Next,
            "{}".into(),
            "{}".into()
        ),
        Err(MockError::NoNextKey(_))
    ));
}
