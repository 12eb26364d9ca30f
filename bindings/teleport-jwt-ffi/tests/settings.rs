//! The verifier's options as Kotlin and Swift see them: the defaults shown are the core's,
//! and a value the core cannot take is `invalid_config`.

use std::time::Duration;

use teleport_jwt_ffi::config::default_verifier_options;
use teleport_jwt_ffi::{Verifier, VerifierOptions, VerifyError};

/// A classic-JWT verifier with these options and this audience.
fn verifier(audience: &str, options: VerifierOptions) -> Result<(), VerifyError> {
    Verifier::teleport_jwt(
        "https://t.example.com".into(),
        "t.example.com".into(),
        audience.into(),
        Some(options),
    )
    .map(drop)
}

#[test]
fn default_options_round_trip_to_the_core_defaults() {
    assert!(verifier("aud", default_verifier_options()).is_ok());
    let shown = default_verifier_options();
    assert_eq!(shown.leeway, Some(Duration::from_secs(60)));
    assert_eq!(
        shown.headers,
        Some(vec![
            "Teleport-Jwt-Assertion".to_owned(),
            "Authorization: Bearer".to_owned()
        ])
    );
}

#[test]
fn the_shown_defaults_are_the_core_defaults() {
    let v = Verifier::teleport_jwt(
        "https://t.example.com".into(),
        "t.example.com".into(),
        "aud".into(),
        Some(default_verifier_options()),
    )
    .unwrap();
    assert_eq!(
        v.core().options(),
        &teleport_jwt::VerifierOptions::default()
    );
}

#[test]
fn a_negative_count_is_invalid_config() {
    let o = VerifierOptions {
        cache_max_keys: Some(-1),
        ..Default::default()
    };
    let e = verifier("aud", o).err().map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("invalid_config: cache_max_keys = -1 is not a count (0 or more)")
    );
}

#[test]
fn a_bad_header_rule_is_invalid_config() {
    let o = VerifierOptions {
        headers: Some(vec!["not a header".into()]),
        ..Default::default()
    };
    let e = verifier("aud", o).err().map(|e| e.code());
    assert_eq!(e, Some("invalid_config"));
}

#[test]
fn an_empty_audience_is_invalid_config() {
    let e = Verifier::teleport_jwt(
        "https://t.example.com".into(),
        "t.example.com".into(),
        String::new(),
        None,
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid_config");
}
