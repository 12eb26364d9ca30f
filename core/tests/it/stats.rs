//! `Verifier::stats` and its Prometheus form: exact counts after a scripted sequence (hits,
//! misses, refusals, a rotation, an outage), against the mock Teleport on loopback HTTPS.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use teleport_jwt::mock::{Ca, Failure, MintSpec};
use teleport_jwt::stats::FETCH_BUCKETS;
use teleport_jwt::{Algorithm, CachePolicy, ManualClock};

use crate::common::*;

#[test]
fn counters_follow_a_scripted_sequence_exactly() {
    let m = mock(Algorithm::ES256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let v = verifier_with_clock(&m, clock.clone(), CachePolicy::default());
    let now = || spec_at(T0);
    let good = m.mint(&now()).unwrap();
    for _ in 0..3 {
        v.verify(&good).unwrap();
    }
    let expired = m.mint(&spec_at(T0 - 10_000)).unwrap();
    assert_reason(v.verify(&expired), teleport_jwt::Reason::Expired);
    let mut tampered = good.clone();
    let last = tampered
        .pop()
        .map_or('A', |c| if c == 'A' { 'B' } else { 'A' });
    tampered.push(last);
    assert!(v.verify(&tampered).is_err());
    let none: [(&str, &str); 0] = [];
    assert_reason(v.verify_headers(none), teleport_jwt::Reason::MissingToken);

    let s = v.stats();
    assert_eq!(s.accepted, 3);
    assert_eq!(s.refused["expired"], 1);
    assert_eq!(s.refused["missing_token"], 1);
    assert_eq!(s.refused["bad_signature"] + s.refused["malformed"], 1);
    assert_eq!(
        s.refused.len(),
        teleport_jwt::Reason::ALL.len(),
        "every code, zeros included"
    );
    assert_eq!(s.refused.values().sum::<u64>(), 3);
    // The good token: 1 miss then 2 hits; the expired and tampered tokens: a miss each.
    assert_eq!((s.token_cache_hits, s.token_cache_misses), (2, 3));
    let k = &s.key_sources[0];
    assert_eq!(
        (k.fetches_ok, k.fetches_failed, k.unknown_kid_refetches),
        (1, 0, 0)
    );
    assert_eq!(k.fetch_duration_buckets.len(), FETCH_BUCKETS.len() + 1);
    assert_eq!(k.fetch_duration_buckets.last(), Some(&1));
    assert!(!k.serving_stale && k.failing_since.is_none() && k.last_fetch_error.is_none());
    let kid = m.signing_key_id(Ca::Jwt);
    assert!(
        k.keys.iter().any(
            |key| key.kid.as_deref() == Some(kid.as_str()) && key.algorithm == Algorithm::ES256
        ),
        "{:?}",
        k.keys
    );

    // A rotation: the new key's first token refetches once for its unknown kid.
    m.rotate_now(Ca::Jwt);
    v.verify(&m.mint(&now()).unwrap()).unwrap();
    let k = &v.stats().key_sources[0];
    assert_eq!((k.fetches_ok, k.unknown_kid_refetches), (2, 1));

    // An outage past max_age: the refresh fails, the last good keys keep serving.
    m.set_failure(Failure::Status(500));
    clock.advance(Duration::from_secs(601));
    let fresh = MintSpec {
        username: "later".into(),
        issued_at: Some(T0 as i64 + 601),
        ..spec_at(T0 + 601)
    };
    v.verify(&m.mint(&fresh).unwrap()).unwrap();
    wait_until("the background refresh to fail", || {
        v.stats().key_sources[0].fetches_failed == 1
    });
    let s = v.stats();
    let k = &s.key_sources[0];
    assert!(k.serving_stale);
    assert_eq!(k.failing_since, Some(T0 as i64 + 601));
    assert!(
        k.last_fetch_error
            .as_deref()
            .is_some_and(|e| e.starts_with("key_source_unavailable: ")),
        "{:?}",
        k.last_fetch_error
    );
    assert_eq!(s.accepted, 5);

    // Recovery clears the stale state.
    m.set_failure(Failure::None);
    clock.advance(Duration::from_secs(31));
    v.verify(
        &m.mint(&MintSpec {
            username: "again".into(),
            ..fresh.clone()
        })
        .unwrap(),
    )
    .unwrap();
    wait_until("the refresh to succeed", || {
        v.stats().key_sources[0].fetches_ok == 3
    });
    let k = &v.stats().key_sources[0];
    assert!(!k.serving_stale && k.failing_since.is_none());
    assert_eq!(
        k.keys_age_seconds,
        Some(0.0),
        "just fetched, on the manual clock"
    );
}

#[test]
fn policy_decisions_are_counted() {
    let m = mock(Algorithm::RS256);
    let policy = teleport_jwt::policy::Policy::from_yaml_str(
        "rules:\n  - match: { roles_any: [access] }\n    grant: [\"tool:read_*\"]\n  - match: {}\n    deny: [\"tool:read_secrets\"]\n  - name: huge\n    match: {}\n    grant: [\"p:{{traits.a}}\"]\n",
    )
    .unwrap();
    let v = verifier(&m).with_permissions(Arc::new(policy));
    let plain = m.mint(&MintSpec::default()).unwrap();
    let many: Vec<String> = (0..1001).map(|i| format!("v{i}")).collect();
    let big = m
        .mint(&MintSpec {
            username: "bob".into(),
            traits: BTreeMap::from([("a".to_owned(), many)]),
            ..MintSpec::default()
        })
        .unwrap();
    let caller = v.authorize(&plain).unwrap();
    assert!(caller.permissions.allows("tool:read_file"));
    assert!(!caller.permissions.allows("tool:read_secrets"));
    assert_eq!(
        caller
            .permissions
            .filter_tools(["read_a", "write_b", "read_c"]),
        ["read_a", "read_c"]
    );
    // A repeated token reuses its mapping; its checks still count.
    assert!(v
        .authorize(&plain)
        .unwrap()
        .permissions
        .can_call_tool("read_x"));
    // The second rule's expansion is over the cap for this caller.
    assert!(v
        .authorize(&big)
        .unwrap()
        .permissions
        .can_call_tool("read_y"));
    // Permissions made outside `authorize` are not the verifier's decisions.
    assert!(teleport_jwt::policy::Permissions::new(["x"], [""; 0]).allows("x"));
    let s = v.stats();
    assert_eq!(s.permission_mappings, 2);
    assert_eq!(s.policy_capped_rules, 1);
    assert_eq!(
        (s.permission_checks_allowed, s.permission_checks_denied),
        (5, 2)
    );
    let text = s.prometheus_text();
    assert!(
        text.contains("teleport_jwt_permission_mappings_total 2\n"),
        "{text}"
    );
    assert!(text.contains("teleport_jwt_policy_capped_rules_total 1\n"));
    assert!(text.contains("teleport_jwt_permission_checks_total{decision=\"allowed\"} 5\n"));
    assert!(text.contains("teleport_jwt_permission_checks_total{decision=\"denied\"} 2\n"));
}

#[test]
fn the_prometheus_text_has_every_documented_metric() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    v.verify(&m.mint(&MintSpec::default()).unwrap()).unwrap();
    let _ = v.verify("garbage");
    let text = v.stats().prometheus_text();
    // Parse it: every sample line is `name{labels} value`, every family has HELP and TYPE.
    let mut types = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            types.insert(name.to_owned(), kind.to_owned());
        } else if !line.starts_with('#') {
            let (series, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
            let name = series.split('{').next().unwrap();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| {
                    name.strip_suffix(s)
                        .filter(|f| types.get(*f).is_some_and(|k| k == "histogram"))
                })
                .unwrap_or(name);
            assert!(types.contains_key(family), "{line} has no TYPE");
        }
    }
    for (name, kind) in [
        ("teleport_jwt_verifications_total", "counter"),
        ("teleport_jwt_token_cache_lookups_total", "counter"),
        ("teleport_jwt_key_fetches_total", "counter"),
        ("teleport_jwt_key_fetch_duration_seconds", "histogram"),
        ("teleport_jwt_unknown_kid_refetches_total", "counter"),
        ("teleport_jwt_keys", "gauge"),
        ("teleport_jwt_serving_stale_keys", "gauge"),
        ("teleport_jwt_stale_since_seconds", "gauge"),
        ("teleport_jwt_keys_age_seconds", "gauge"),
        ("teleport_jwt_permission_mappings_total", "counter"),
        ("teleport_jwt_policy_capped_rules_total", "counter"),
        ("teleport_jwt_permission_checks_total", "counter"),
    ] {
        assert_eq!(types.get(name).map(String::as_str), Some(kind), "{name}");
    }
    assert!(
        text.contains("teleport_jwt_verifications_total{outcome=\"accepted\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("teleport_jwt_verifications_total{outcome=\"malformed\"} 1\n"));
    let entry = m.cluster_name();
    assert!(text.contains(&format!(
        "teleport_jwt_key_fetches_total{{trust_entry=\"{entry}\",result=\"ok\"}} 1\n"
    )));
    assert!(text.contains(&format!(
        "teleport_jwt_key_fetch_duration_seconds_bucket{{trust_entry=\"{entry}\",le=\"+Inf\"}} 1\n"
    )));
}
