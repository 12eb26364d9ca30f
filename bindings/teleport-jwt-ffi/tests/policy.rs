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
