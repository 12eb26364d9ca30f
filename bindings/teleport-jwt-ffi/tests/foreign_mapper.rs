//! `authorize` with a permission mapper written in Kotlin or Swift: its grants are used, its
//! failures (thrown, returned, or a value UniFFI cannot lift) are contained. Needs the mock
//! (feature `testing`).

use std::sync::Arc;

use teleport_jwt_ffi::mock::{MintSpec, MockTeleport};
use teleport_jwt_ffi::{
    Identity, PermissionMapper, Permissions, PermissionsFrom, PluginFailure, Verifier,
    VerifierOptions,
};

/// A stand-in for a Kotlin/Swift mapper: grants by role, fails for `mallory`, panics for
/// `panic` (as UniFFI does when a foreign value cannot be lifted).
struct ByRole;

impl PermissionMapper for ByRole {
    fn permissions(&self, identity: Identity) -> Result<Arc<Permissions>, PluginFailure> {
        match identity.username.as_str() {
            "mallory" => Err(PluginFailure::from(
                uniffi::UnexpectedUniFFICallbackError::new(
                    "java.lang.IllegalStateException: directory down\n\tat X.y(X.kt:1)",
                ),
            )),
            "eve" => Err(PluginFailure::Failed {
                code: "expired".into(),
                detail: "badge expired".into(),
            }),
            "panic" => panic!("cannot lift"),
            _ => Ok(Permissions::new(
                identity
                    .roles
                    .iter()
                    .map(|r| format!("tool:{r}_*"))
                    .collect(),
                vec!["tool:*_secret".into()],
            )),
        }
    }
}

#[test]
fn authorize_runs_a_foreign_mapper_and_contains_its_failures() {
    let mock = MockTeleport::start(teleport_jwt::Algorithm::ES256).unwrap();
    let options = VerifierOptions {
        ca_pem: Some(mock.ca_pem()),
        permissions_from: Some(PermissionsFrom::Mapper {
            mapper: Arc::new(ByRole),
        }),
        ..Default::default()
    };
    let aud = "mcp+http://127.0.0.1:8000/mcp".to_owned();
    let v =
        Verifier::teleport_jwt(mock.proxy_url(), mock.cluster_name(), aud, Some(options)).unwrap();
    let mint = |user: &str| {
        mock.mint(MintSpec {
            username: Some(user.into()),
            roles: Some(vec!["read".into()]),
            ..Default::default()
        })
        .unwrap()
    };
    let got = v.authorize(mint("alice")).unwrap();
    assert_eq!(got.identity.username, "alice");
    assert!(got.permissions.can_call_tool("read_file".into()));
    assert!(!got.permissions.can_call_tool("read_secret".into()));
    assert!(!got.permissions.can_call_tool("write_file".into()));
    for (user, text) in [
        ("mallory", "java.lang.IllegalStateException: directory down"),
        ("eve", "expired: badge expired"),
    ] {
        let e = v.authorize(mint(user)).unwrap_err();
        assert_eq!(e.code(), "plugin_error", "{e}");
        assert!(e.message().starts_with("permission mapper failed: "), "{e}");
        assert!(e.message().ends_with(text), "{e}");
    }
    let e = v.authorize(mint("panic")).unwrap_err();
    assert_eq!(e.code(), "internal_error", "{e}");
    assert!(v.authorize(mint("bob")).is_ok(), "still usable");
}
