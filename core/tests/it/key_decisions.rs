//! `keys::jwks_decisions` is the key set's own decision, entry by entry (the `keys` command
//! of the CLI shows it), and `MockTeleport::start_on_port` binds the port it is given.

use serde_json::{json, Value};
use teleport_jwt::keys::{jwks_decisions, KeyDecision};
use teleport_jwt::mock::{Ca, MockOptions, MockTeleport};
use teleport_jwt::{Algorithm, KeySet, Reason};

use crate::common;

fn entries(m: &MockTeleport) -> Vec<Value> {
    let doc: Value = serde_json::from_str(&m.jwks_json(Ca::Jwt)).expect("JSON");
    doc["keys"].as_array().expect("keys").clone()
}

#[test]
fn decisions_follow_the_key_set_entry_by_entry() {
    let a = common::mock(Algorithm::RS256);
    let b = common::mock(Algorithm::ES256);
    let (ka, kb) = (entries(&a), entries(&b));
    let kid_a = a.signing_key_id(Ca::Jwt);
    // b's key under a's kid makes that kid ambiguous; an HMAC secret is never trusted.
    let mut clash = kb[0].clone();
    clash["kid"] = json!(kid_a);
    let doc = json!({"keys": [
        ka[0], ka[1], ka[0], kb[0], kb[1], clash,
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
    ]});
    let bytes = doc.to_string().into_bytes();
    let decisions = jwks_decisions(&bytes, 100).expect("a usable document");
    let kinds: Vec<&KeyDecision> = decisions.iter().map(|(_, d)| d).collect();
    let ambiguous = KeyDecision::Ignored("several different keys share this kid".into());
    assert_eq!(kinds[0], &ambiguous);
    // The blank twin of an ambiguous kid is folded all the same: nothing of a is trusted.
    assert_eq!(kinds[1], &KeyDecision::BlankKidTwin);
    assert_eq!(kinds[2], &ambiguous);
    assert_eq!(kinds[3], &KeyDecision::Trusted(Algorithm::ES256));
    assert_eq!(kinds[4], &KeyDecision::BlankKidTwin);
    assert_eq!(kinds[5], &ambiguous);
    assert!(matches!(kinds[6], KeyDecision::Ignored(r) if r.contains("`k`")));
    assert_eq!(decisions[1].0.as_deref(), Some(""), "the kid as written");

    // The key set trusts exactly the Trusted entries and rejects exactly the Ignored ones.
    let set = KeySet::from_jwks_json(&bytes, 100).expect("key set");
    let trusted = kinds
        .iter()
        .filter(|d| matches!(d, KeyDecision::Trusted(_)))
        .count();
    assert_eq!(set.len(), trusted);
    let ignored: Vec<(Option<String>, String)> = decisions
        .iter()
        .filter_map(|(kid, d)| match d {
            KeyDecision::Ignored(r) => Some((kid.clone(), r.clone())),
            _ => None,
        })
        .collect();
    let rejected: Vec<(Option<String>, String)> = set
        .rejected()
        .iter()
        .map(|r| (r.kid.clone(), r.reason.clone()))
        .collect();
    assert_eq!(rejected, ignored);

    // No usable entry: the key set fails, the decisions still say why.
    let none = json!({"keys": [{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]}).to_string();
    assert!(KeySet::from_jwks_json(none.as_bytes(), 100).is_err());
    assert_eq!(
        jwks_decisions(none.as_bytes(), 100).expect("decided").len(),
        1
    );
    // An unusable document fails both ways alike.
    for bad in ["[]", "{\"keys\": 1}", "{\"keys\": [1, 2]}"] {
        let limit = if bad.contains('[') { 1 } else { 100 };
        let e = jwks_decisions(bad.as_bytes(), limit).expect_err(bad);
        assert_eq!(e.reason(), Reason::KeySourceUnavailable);
        let k = KeySet::from_jwks_json(bad.as_bytes(), limit).expect_err(bad);
        assert_eq!(e, k, "{bad}");
    }
}

#[test]
fn the_mock_listens_on_the_port_it_is_given() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let m = MockTeleport::start_on_port(MockOptions::default(), port).expect("starts");
    assert_eq!(m.proxy_url(), format!("https://127.0.0.1:{port}"));
    common::verifier(&m).warm_up().expect("serves keys");
    assert!(
        MockTeleport::start_on_port(MockOptions::default(), port).is_err(),
        "taken"
    );
}
