//! The FFI's errors as Kotlin and Swift receive them: one variant per core reason, both ways,
//! and what a foreign plug-in's failure becomes.

use teleport_jwt::Reason;
use teleport_jwt_ffi::error::{reason_codes, PluginFailure, VerifyError};

#[test]
fn every_core_reason_has_its_own_variant() {
    for reason in Reason::ALL {
        let e = VerifyError::from(teleport_jwt::VerifyError::new(reason, "m"));
        assert_eq!(e.reason(), reason);
        assert_eq!(e.code(), reason.code());
        assert_eq!(e.message(), "m");
        let back = teleport_jwt::VerifyError::from(e.clone());
        assert_eq!(back.reason(), reason);
        assert_eq!(e.to_string(), back.to_string());
    }
    assert_eq!(reason_codes().len(), Reason::ALL.len());
}

#[test]
fn a_plugin_refusal_keeps_a_known_code_and_names_an_unknown_one() {
    let known = PluginFailure::Failed {
        code: "key_source_unavailable".into(),
        detail: "vault down".into(),
    };
    let e = VerifyError::from(known);
    assert_eq!(e.to_string(), "key_source_unavailable: vault down");
    let unknown = PluginFailure::Failed {
        code: "nope".into(),
        detail: "x".into(),
    };
    let e = VerifyError::from(unknown);
    assert_eq!(e.code(), "plugin_error");
    assert!(e.message().contains("\"nope\""));
}

#[test]
fn unexpected_foreign_exceptions_keep_their_first_line() {
    let e = VerifyError::from(PluginFailure::from(
        uniffi::UnexpectedUniFFICallbackError::new(
            "java.io.IOException: disk on fire\n\tat Foo.bar(Foo.kt:1)",
        ),
    ));
    assert_eq!(e.code(), "plugin_error");
    assert!(e.message().ends_with("java.io.IOException: disk on fire"));
}
