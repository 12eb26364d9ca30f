//! The policy objects as Kotlin and Swift see them, through the crate's public API.

use teleport_jwt::policy as core;
use teleport_jwt_ffi::policy::{Decision, PolicyError};
use teleport_jwt_ffi::{Permissions, Policy};

#[test]
fn a_yaml_mistake_names_its_line() {
    let e = Policy::from_yaml("rules:\n  - name: x\n    grnt: [a]\n".into()).unwrap_err();
    let PolicyError::Invalid {
        message,
        line,
        reason,
        ..
    } = e;
    assert!(message.contains("line 3"), "{message}");
    assert_eq!(line, Some(3));
    assert!(message.ends_with(&reason), "{message}");
}

#[test]
fn permissions_answer_as_the_core_does() {
    let core = core::Permissions::new(["tool:*", "docs:read", "tool:delete_x"], ["tool:delete_*"]);
    let record = Permissions::new(
        vec!["tool:*".into(), "docs:read".into(), "tool:delete_x".into()],
        vec!["tool:delete_*".into()],
    );
    assert_eq!(record.granted(), ["docs:read", "tool:*"]);
    assert_eq!(record.denied(), ["tool:delete_*"]);
    for perm in ["tool:read_file", "tool:delete_x", "docs:read", "docs:write"] {
        assert_eq!(record.allows(perm.into()), core.allows(perm), "{perm}");
    }
    assert_eq!(*record.core(), core);
    assert_eq!(
        record.filter_tools(vec!["read_file".into(), "delete_repo".into()]),
        ["read_file"]
    );
    assert_eq!(Decision::Granted.code(), "granted");
    assert_eq!(Decision::NotGranted.code(), "not_granted");
}

/// A core identity with `roles`, as a verifier would give it.
fn identity(roles: &[&str]) -> teleport_jwt::Identity {
    teleport_jwt::Identity {
        username: "alice".into(),
        sub: "alice".into(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        traits: Default::default(),
        issuer: "root".into(),
        audience: vec![],
        expires_at: 0,
        issued_at: None,
        not_before: None,
        jti: None,
        key_id: None,
        algorithm: teleport_jwt::Algorithm::RS256,
        trust_entry: "root".into(),
        kind: teleport_jwt::TokenKind::TeleportJwt,
        claims: Default::default(),
    }
}

#[test]
fn the_explanation_record_is_the_cores_explanation() {
    let json = r#"{"rules": [
        {"name": "admins", "match": {"roles_any": ["admin"]}, "grant": ["tool:*"]},
        {"match": {}, "deny": ["tool:delete_*"]}
    ]}"#;
    let core = core::Policy::from_json_str(json).unwrap();
    let policy = Policy::from_json(json.into()).unwrap();
    let admin = identity(&["admin"]);
    for perm in ["tool:read", "tool:delete_repo", "docs:read"] {
        let want = core.explain(&admin, perm);
        let got = policy
            .explanation(admin.clone().into(), perm.into())
            .unwrap();
        assert_eq!(got.decision.code(), want.decision.code(), "{perm}");
        assert_eq!(
            (got.allowed, got.permission.as_str()),
            (want.is_allowed(), perm)
        );
        assert_eq!(got.text, want.to_string());
        assert_eq!(
            policy.explain(admin.clone().into(), perm.into()).unwrap(),
            got.text
        );
        let rules = |r: &[core::RuleRef]| {
            r.iter()
                .map(|r| (r.index, r.name.clone()))
                .collect::<Vec<_>>()
        };
        let got_rules: Vec<_> = got
            .matched_rules
            .iter()
            .map(|r| (r.index as usize, r.name.clone()))
            .collect();
        assert_eq!(got_rules, rules(&want.matched_rules));
    }
    let denied = policy
        .explanation(admin.into(), "tool:delete_repo".into())
        .unwrap();
    assert_eq!(denied.decision, Decision::Denied);
    let by = denied.decided_by.expect("the deny decided");
    assert_eq!(
        (by.rule.index, by.rule.name, by.pattern.as_str()),
        (1, None, "tool:delete_*")
    );
    let over = denied
        .overridden_grant
        .expect("it overrode the admins' grant");
    assert_eq!(
        (over.rule.index, over.rule.name.as_deref()),
        (0, Some("admins"))
    );
}
