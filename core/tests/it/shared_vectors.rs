//! The shared vector file `tests/vectors/verify_cases.json`, also read by the Python and Kotlin
//! suites: the same tokens must give the same identities and reason codes in every language.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;
use teleport_jwt::{KeysFrom, TrustEntry, Verifier};

fn load() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/verify_cases.json"
    );
    let text = std::fs::read_to_string(path).expect("shared vectors present");
    serde_json::from_str(&text).expect("shared vectors are JSON")
}

#[test]
fn shared_vectors_give_the_expected_identity_or_reason() {
    let doc = load();
    let issuer = doc["issuer"].as_str().unwrap();
    let audience = doc["audience"].as_str().unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(doc["now"].as_u64().unwrap());
    let verifier_for = |keys: &str| {
        Verifier::builder()
            .trust(TrustEntry::new(
                issuer,
                vec![audience.to_string()],
                KeysFrom::StaticJwks(doc["keys"][keys].to_string()),
            ))
            .build()
            .unwrap()
    };
    let (rs, es) = (verifier_for("rs256"), verifier_for("es256"));
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 37, "the file lost cases");
    let mut reasons_seen = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let v = if case["keys"] == "es256" { &es } else { &rs };
        let result = match (&case["token"], &case["headers"]) {
            (Value::String(t), _) => v.verify_at(t, now),
            (_, Value::Array(hs)) => {
                let pairs: Vec<(String, String)> = hs
                    .iter()
                    .map(|h| (h[0].as_str().unwrap().into(), h[1].as_str().unwrap().into()))
                    .collect();
                // Header cases carry tokens valid at `now`; verify_headers uses the clock, so
                // pin it through a verifier built on a manual clock.
                let pinned = Verifier::builder()
                    .trust(TrustEntry::new(
                        issuer,
                        vec![audience.to_string()],
                        KeysFrom::StaticJwks(
                            doc["keys"][case["keys"].as_str().unwrap()].to_string(),
                        ),
                    ))
                    .clock(std::sync::Arc::new(teleport_jwt::ManualClock::at_unix(
                        doc["now"].as_u64().unwrap(),
                    )))
                    .build()
                    .unwrap();
                pinned.verify_headers(pairs)
            }
            _ => panic!("{name}: no token and no headers"),
        };
        match (&case["expect"]["ok"], &case["expect"]["error"], result) {
            (Value::Object(want), _, Ok(id)) => {
                let got = serde_json::json!({
                    "username": id.username, "sub": id.sub, "roles": id.roles,
                    "traits": id.traits, "issuer": id.issuer, "audience": id.audience,
                    "expires_at": id.expires_at, "issued_at": id.issued_at,
                    "not_before": id.not_before, "key_id": id.key_id,
                    "algorithm": id.algorithm.as_str(),
                });
                for (k, w) in want {
                    assert_eq!(&got[k], w, "{name}: field {k}");
                }
            }
            (_, Value::String(code), Err(e)) => {
                assert_eq!(e.code(), code, "{name}: {e}");
                reasons_seen.insert(code.clone());
            }
            (_, _, r) => panic!("{name}: expected {}, got {r:?}", case["expect"]),
        }
    }
    assert!(
        reasons_seen.len() >= 13,
        "reason codes covered: {reasons_seen:?}"
    );
}
