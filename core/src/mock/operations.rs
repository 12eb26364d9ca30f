//! [`MockOperations`]: the mock's operations under the names and signatures every binding
//! shows (`teleport_jwt::api::MOCK_OPERATIONS` lists them), for the bindings. Rust code calls
//! the mock's own methods.
//!
//! Each operation is one call of a method of [`MockTeleport`]; the three that differ from it
//! are the rotation operations, which answer the fallible `try_*` form (a binding reports an
//! error rather than a panic), and `request_count_for_path`, which takes the path owned.

use super::{Ca, MockError, MockTeleport, RotationPhase};
use crate::alg::Algorithm;

/// The operations of [`MockTeleport`] that every binding offers (see the module docs). Arguments
/// are owned, as a binding receives them. Hidden: it is binding machinery, not part of the
/// mock's API.
#[doc(hidden)]
pub trait MockOperations {
    /// [`MockTeleport::proxy_url`].
    fn proxy_url(&self) -> String;
    /// [`MockTeleport::cluster_name`].
    fn cluster_name(&self) -> String;
    /// [`MockTeleport::id_token_issuer`].
    fn id_token_issuer(&self) -> String;
    /// [`MockTeleport::ca_pem`].
    fn ca_pem(&self) -> String;
    /// [`MockTeleport::jwks_url`].
    fn jwks_url(&self) -> String;
    /// [`MockTeleport::jwks_oidc_url`].
    fn jwks_oidc_url(&self) -> String;
    /// [`MockTeleport::discovery_url`].
    fn discovery_url(&self) -> String;
    /// [`MockTeleport::discovery_json`].
    fn discovery_json(&self) -> String;
    /// [`MockTeleport::request_count`].
    fn request_count(&self) -> u64;
    /// [`MockTeleport::request_count_for`].
    fn request_count_for_path(&self, path: String) -> u64;
    /// [`MockTeleport::reset_counts`].
    fn reset_counts(&self);
    /// [`MockTeleport::jwks_json`].
    fn jwks_json(&self, ca: Ca) -> String;
    /// [`MockTeleport::key_ids`].
    fn key_ids(&self, ca: Ca) -> Vec<String>;
    /// [`MockTeleport::signing_key_id`].
    fn signing_key_id(&self, ca: Ca) -> String;
    /// [`MockTeleport::signing_algorithm`].
    fn signing_algorithm(&self, ca: Ca) -> Algorithm;
    /// [`MockTeleport::rotation_phase`].
    fn rotation_phase(&self, ca: Ca) -> RotationPhase;
    /// [`MockTeleport::try_set_rotation_phase`].
    fn set_rotation_phase(&self, ca: Ca, phase: RotationPhase) -> Result<(), MockError>;
    /// [`MockTeleport::try_complete_rotation`].
    fn complete_rotation(&self, ca: Ca) -> Result<(), MockError>;
    /// [`MockTeleport::try_rotate_now`].
    fn rotate_now(&self, ca: Ca) -> Result<(), MockError>;
    /// [`MockTeleport::set_next_algorithm`].
    fn set_next_algorithm(&self, ca: Ca, algorithm: Algorithm);
    /// [`MockTeleport::set_discovery_issuer_override`].
    fn set_discovery_issuer_override(&self, issuer: Option<String>);
    /// [`MockTeleport::set_discovery_jwks_uri_override`].
    fn set_discovery_jwks_uri_override(&self, uri: Option<String>);
}

// `MockTeleport::name` finds the inherent method first; were one renamed, the same path would
// find this trait's method and recurse, which the lint refuses.
#[deny(unconditional_recursion)]
impl MockOperations for MockTeleport {
    fn proxy_url(&self) -> String {
        MockTeleport::proxy_url(self)
    }
    fn cluster_name(&self) -> String {
        MockTeleport::cluster_name(self)
    }
    fn id_token_issuer(&self) -> String {
        MockTeleport::id_token_issuer(self)
    }
    fn ca_pem(&self) -> String {
        MockTeleport::ca_pem(self)
    }
    fn jwks_url(&self) -> String {
        MockTeleport::jwks_url(self)
    }
    fn jwks_oidc_url(&self) -> String {
        MockTeleport::jwks_oidc_url(self)
    }
    fn discovery_url(&self) -> String {
        MockTeleport::discovery_url(self)
    }
    fn discovery_json(&self) -> String {
        MockTeleport::discovery_json(self)
    }
    fn request_count(&self) -> u64 {
        MockTeleport::request_count(self)
    }
    fn request_count_for_path(&self, path: String) -> u64 {
        self.request_count_for(&path)
    }
    fn reset_counts(&self) {
        MockTeleport::reset_counts(self)
    }
    fn jwks_json(&self, ca: Ca) -> String {
        MockTeleport::jwks_json(self, ca)
    }
    fn key_ids(&self, ca: Ca) -> Vec<String> {
        MockTeleport::key_ids(self, ca)
    }
    fn signing_key_id(&self, ca: Ca) -> String {
        MockTeleport::signing_key_id(self, ca)
    }
    fn signing_algorithm(&self, ca: Ca) -> Algorithm {
        MockTeleport::signing_algorithm(self, ca)
    }
    fn rotation_phase(&self, ca: Ca) -> RotationPhase {
        MockTeleport::rotation_phase(self, ca)
    }
    fn set_rotation_phase(&self, ca: Ca, phase: RotationPhase) -> Result<(), MockError> {
        self.try_set_rotation_phase(ca, phase)
    }
    fn complete_rotation(&self, ca: Ca) -> Result<(), MockError> {
        self.try_complete_rotation(ca)
    }
    fn rotate_now(&self, ca: Ca) -> Result<(), MockError> {
        self.try_rotate_now(ca)
    }
    fn set_next_algorithm(&self, ca: Ca, algorithm: Algorithm) {
        MockTeleport::set_next_algorithm(self, ca, algorithm)
    }
    fn set_discovery_issuer_override(&self, issuer: Option<String>) {
        MockTeleport::set_discovery_issuer_override(self, issuer)
    }
    fn set_discovery_jwks_uri_override(&self, uri: Option<String>) {
        MockTeleport::set_discovery_jwks_uri_override(self, uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operations_are_the_mocks_own() {
        let mock = MockTeleport::start().unwrap();
        assert_eq!(MockOperations::proxy_url(&mock), mock.proxy_url());
        MockOperations::set_rotation_phase(&mock, Ca::Jwt, RotationPhase::Init).unwrap();
        assert_eq!(mock.rotation_phase(Ca::Jwt), RotationPhase::Init);
        assert_eq!(MockOperations::key_ids(&mock, Ca::Jwt).len(), 2);
        MockOperations::complete_rotation(&mock, Ca::Jwt).unwrap();
        assert_eq!(
            MockOperations::rotation_phase(&mock, Ca::Jwt),
            RotationPhase::Standby
        );
        mock.reset_counts();
        assert_eq!(
            MockOperations::request_count_for_path(&mock, "/.well-known/jwks.json".into()),
            0
        );
    }
}
