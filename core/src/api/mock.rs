//! [`MOCK_OPERATIONS`]: the operations of `MockTeleport` every binding offers.

/// The operations every language's `MockTeleport` offers, snake_case: the methods of the hidden
/// trait `mock::MockOperations`, in its order. Besides them each language has its own ways to
/// start and stop the mock, mint (`mint(spec)`, Python `mint(**spec)`), sign raw tokens and set
/// failure modes.
///
/// The test below reads the trait's source, so the two lists cannot drift.
pub const MOCK_OPERATIONS: &[&str] = &[
    "proxy_url",
    "cluster_name",
    "id_token_issuer",
    "ca_pem",
    "jwks_url",
    "jwks_oidc_url",
    "discovery_url",
    "discovery_json",
    "request_count",
    "request_count_for_path",
    "reset_counts",
    "jwks_json",
    "key_ids",
    "signing_key_id",
    "signing_algorithm",
    "rotation_phase",
    "set_rotation_phase",
    "complete_rotation",
    "rotate_now",
    "set_next_algorithm",
    "set_discovery_issuer_override",
    "set_discovery_jwks_uri_override",
];

#[cfg(test)]
mod tests {
    use super::MOCK_OPERATIONS;

    #[test]
    fn the_table_names_each_operation_once() {
        let mut names = MOCK_OPERATIONS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), MOCK_OPERATIONS.len());
        assert!(MOCK_OPERATIONS.contains(&"request_count_for_path"));
        assert!(
            !MOCK_OPERATIONS.contains(&"mint"),
            "mint is language-specific"
        );
    }

    /// Every method of `MockOperations` is in the table, in the trait's order: the trait's
    /// source is read, so an operation added there and not here fails.
    #[test]
    fn the_table_is_the_traits_methods_in_order() {
        let source = include_str!("../mock/operations.rs");
        let trait_body = source
            .split_once("pub trait MockOperations {")
            .and_then(|(_, rest)| rest.split_once("\n}\n"))
            .map(|(body, _)| body)
            .expect("mock/operations.rs declares `pub trait MockOperations { ... }`");
        let methods: Vec<&str> = trait_body
            .lines()
            .filter_map(|l| l.trim().strip_prefix("fn "))
            .filter_map(|l| l.split_once('(').map(|(name, _)| name))
            .collect();
        assert_eq!(methods, MOCK_OPERATIONS);
    }
}
