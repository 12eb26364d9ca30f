//! The serde forms the bindings rely on (Python's `Identity.to_dict` and pickling,
//! `MockTeleport(**options)` and `mint(**spec)`), pinned here so that a change to a core type
//! shows up as a failing Rust test before it changes a binding's output. (The key events'
//! form is pinned in `events.rs`.)

use std::time::Duration;

use serde_json::json;
use teleport_jwt::mock::{JwtClaims, MintSpec, MockOptions};
use teleport_jwt::{Algorithm, Identity, TokenKind};

#[test]
fn an_identity_round_trips_with_names_for_its_enums() {
    let mut claims = serde_json::Map::new();
    claims.insert("email".into(), json!("alice@example.com"));
    let identity = Identity {
        username: "alice".into(),
        sub: "alice".into(),
        roles: vec!["access".into()],
        traits: [("logins".to_string(), vec!["root".to_string()])].into(),
        issuer: "teleport.example.com".into(),
        audience: vec!["aud".into()],
        expires_at: 1_700_000_300,
        issued_at: Some(1_700_000_000),
        not_before: None,
        jti: None,
        key_id: Some("k1".into()),
        algorithm: Algorithm::ES256,
        trust_entry: "teleport.example.com".into(),
        kind: TokenKind::TeleportJwt,
        claims: claims.into(),
    };
    let v = serde_json::to_value(&identity).unwrap();
    assert_eq!(v["algorithm"], "ES256");
    assert_eq!(v["kind"], "teleport_jwt");
    assert_eq!(v["claims"], json!({"email": "alice@example.com"}));
    assert_eq!(v["not_before"], json!(null));
    let back: Identity = serde_json::from_value(v).unwrap();
    assert_eq!(back, identity);
}

#[test]
fn a_mint_spec_reads_every_member_as_optional() {
    let spec: MintSpec = serde_json::from_value(json!({
        "username": "bob", "audience": "one", "ttl": 60, "kind": "id_token",
        "jwt_claims": "roles", "claims": {"x": 1}, "remove_headers": ["typ"],
    }))
    .unwrap();
    assert_eq!(spec.username, "bob");
    assert_eq!(spec.audience, ["one"]);
    assert_eq!(spec.ttl, Duration::from_secs(60));
    assert_eq!(spec.kind, TokenKind::IdToken);
    assert_eq!(spec.jwt_claims, JwtClaims::Roles);
    assert_eq!(spec.claim_overrides["x"], 1);
    assert_eq!(spec.roles, MintSpec::default().roles);
    let many: MintSpec = serde_json::from_value(json!({"audience": ["a", "b"]})).unwrap();
    assert_eq!(many.audience, ["a", "b"]);
    let e = serde_json::from_value::<MintSpec>(json!({"audience": 5})).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("invalid type: integer `5`, expected a string or a list of strings"),
        "{e}"
    );
    let e = serde_json::from_value::<MintSpec>(json!({"user": "x"})).unwrap_err();
    assert!(e.to_string().contains("unknown field `user`"), "{e}");
    assert!(e.to_string().contains("`username`"), "{e}");
    let e = serde_json::from_value::<MintSpec>(json!({"jwt_claims": "all"})).unwrap_err();
    assert!(e.to_string().contains("one of: roles_and_traits"), "{e}");
}

#[test]
fn mock_options_read_algorithms_by_name() {
    let o: MockOptions = serde_json::from_value(json!({"algorithm": "ES256"})).unwrap();
    assert_eq!(o.algorithm, Algorithm::ES256);
    assert_eq!(o.cluster_name, MockOptions::default().cluster_name);
    assert!(serde_json::from_value::<MockOptions>(json!({"algorithm": "HS256"})).is_err());
}

#[test]
fn a_failure_reads_by_name_or_name_and_argument() {
    use teleport_jwt::mock::Failure;
    let read = |v| serde_json::from_value::<Failure>(v);
    assert_eq!(read(json!("refuse")).unwrap(), Failure::Refuse);
    assert_eq!(read(json!("none")).unwrap(), Failure::None);
    assert_eq!(read(json!({"status": 503})).unwrap(), Failure::Status(503));
    assert_eq!(
        read(json!({"oversized": 10})).unwrap(),
        Failure::OversizedBody(10)
    );
    let e = read(json!("explode")).unwrap_err().to_string();
    assert!(e.starts_with("unknown variant `explode`"), "{e}");
}
