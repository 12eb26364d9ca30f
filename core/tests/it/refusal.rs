//! The shared vector file `tests/vectors/refusal_cases.json`: the HTTP answer to each kind of
//! refused request, as every integration must give it.

use serde_json::Value;
use teleport_jwt::refusal::{Refusal, RefusalOptions, PERMISSION_DENIED};
use teleport_jwt::{Reason, VerifyError};

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/refusal_cases.json"
    );
    let text = std::fs::read_to_string(path).expect("refusal vectors present");
    let doc: Value = serde_json::from_str(&text).expect("refusal vectors are JSON");
    doc["cases"].as_array().expect("a list of cases").clone()
}

fn header(r: &Refusal, name: &str) -> Option<String> {
    r.headers()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

#[test]
fn shared_refusal_vectors() {
    let cases = cases();
    assert!(cases.len() >= 16);
    let mut seen_statuses = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().expect("named");
        let code = case["code"].as_str().expect("a code");
        let options = RefusalOptions {
            expose_reason: case["expose_reason"].as_bool().expect("expose_reason"),
            retry_after_secs: case["retry_after_secs"]
                .as_u64()
                .map_or(30, |s| u32::try_from(s).expect("small")),
        };
        let refusal = if code == PERMISSION_DENIED {
            Refusal::permission_denied(
                case["permission"].as_str().expect("permission"),
                case["username"].as_str(),
                options,
            )
        } else {
            let reason: Reason = code.parse().expect("a reason code");
            Refusal::from_error(&VerifyError::new(reason, "the secret message"), options)
        };
        assert_eq!(refusal.code, code, "{name}");
        assert_eq!(
            u64::from(refusal.status),
            case["status"].as_u64().expect("status"),
            "{name}"
        );
        for (field, header_name) in [
            ("www_authenticate", "www-authenticate"),
            ("retry_after", "retry-after"),
            ("x_teleport_jwt_error", "x-teleport-jwt-error"),
        ] {
            assert_eq!(
                header(&refusal, header_name).as_deref(),
                case[field].as_str(),
                "{name}: {field}"
            );
        }
        assert_eq!(
            refusal.www_authenticate().as_deref(),
            case["www_authenticate"].as_str(),
            "{name}"
        );
        let body: Value = serde_json::from_str(&refusal.body()).expect("the body is JSON");
        assert_eq!(body, case["body"], "{name}");
        assert!(
            !refusal.body().contains("secret"),
            "{name}: the message stays in the log"
        );
        assert_eq!(
            header(&refusal, "content-type").as_deref(),
            Some("application/json")
        );
        assert_eq!(
            header(&refusal, "cache-control").as_deref(),
            Some("no-store")
        );
        seen_statuses.insert(refusal.status);
    }
    assert_eq!(
        seen_statuses.into_iter().collect::<Vec<_>>(),
        [401, 403, 500, 503]
    );
}

#[test]
fn every_reason_code_is_covered_by_the_table() {
    // A reason added to the core must be placed in the table on purpose: this lists the
    // statuses, so a new code lands in a reviewer's diff.
    let by_status: Vec<(u16, &str)> = Reason::ALL
        .into_iter()
        .map(|r| {
            let refusal = Refusal::from_error(&VerifyError::new(r, "x"), Default::default());
            (refusal.status, r.code())
        })
        .filter(|(s, _)| *s != 401)
        .collect();
    assert_eq!(
        by_status,
        [
            (503, "key_source_unavailable"),
            (500, "insecure_transport"),
            (500, "invalid_config"),
            (500, "plugin_error"),
            (500, "internal_error"),
        ]
    );
}
