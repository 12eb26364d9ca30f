//! The core's description of the cross-language API (`teleport_jwt::api`), exported so that
//! the Kotlin and Swift parity tests check their surface against the same tables as Python's.

/// One reason of the core's table: its code and the name of its exception type
/// (`VerifyException.<typeName>` in Kotlin, `VerifyError.<typeName in lowerCamelCase>` in
/// Swift).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReasonName {
    /// The stable snake_case code.
    pub code: String,
    /// The code in UpperCamelCase (`Reason::type_name`).
    pub type_name: String,
}

/// The core's reason table (`teleport_jwt::api::reasons`), for parity tests.
#[uniffi::export]
pub fn api_reasons() -> Vec<ReasonName> {
    teleport_jwt::api::reasons()
        .map(|(code, type_name)| ReasonName {
            code: code.to_owned(),
            type_name: type_name.to_owned(),
        })
        .collect()
}

/// The operations every language's verifier offers, snake_case
/// (`teleport_jwt::api::VERIFIER_OPERATIONS`), for parity tests.
#[uniffi::export]
pub fn api_verifier_operations() -> Vec<String> {
    teleport_jwt::api::VERIFIER_OPERATIONS
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// The verifier operations that never wait for a key fetch, so have no async form
/// (`teleport_jwt::api::OPERATIONS_THAT_NEVER_WAIT`), for parity tests.
#[uniffi::export]
pub fn api_operations_that_never_wait() -> Vec<String> {
    teleport_jwt::api::OPERATIONS_THAT_NEVER_WAIT
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// The operations every language's `MockTeleport` offers, snake_case
/// (`teleport_jwt::api::MOCK_OPERATIONS`), for parity tests; in the testing flavour, with the mock.
#[cfg(feature = "testing")]
#[uniffi::export]
pub fn api_mock_operations() -> Vec<String> {
    teleport_jwt::api::MOCK_OPERATIONS
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// The options of every trust entry form, snake_case (`teleport_jwt::api::TRUST_ENTRY_OPTIONS`).
#[uniffi::export]
pub fn api_trust_entry_options() -> Vec<String> {
    teleport_jwt::api::TRUST_ENTRY_OPTIONS
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// One setting of the core's `VerifierOptions` table (`teleport_jwt::api::VERIFIER_OPTIONS`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OptionName {
    /// snake_case, flattened (`cache_max_age`).
    pub name: String,
    /// `duration`, `count`, `flag`, `text` or `header_rules`.
    pub kind: String,
}

/// The core's verifier options, for parity tests.
#[uniffi::export]
pub fn api_verifier_options() -> Vec<OptionName> {
    teleport_jwt::api::VERIFIER_OPTIONS
        .iter()
        .map(|(name, kind)| OptionName {
            name: (*name).to_owned(),
            kind: kind.as_str().to_owned(),
        })
        .collect()
}

fn names(table: &[&str]) -> Vec<String> {
    table.iter().map(|s| (*s).to_owned()).collect()
}

/// What every language's `Policy` offers, snake_case (`teleport_jwt::api::POLICY_OPERATIONS`):
/// its loaders (static factories here), the questions every mapper answers, and `explain`.
#[uniffi::export]
pub fn api_policy_operations() -> Vec<String> {
    names(teleport_jwt::api::POLICY_OPERATIONS)
}

/// What every language's `Permissions` holds and answers, snake_case
/// (`teleport_jwt::api::PERMISSIONS_OPERATIONS`).
#[uniffi::export]
pub fn api_permissions_operations() -> Vec<String> {
    names(teleport_jwt::api::PERMISSIONS_OPERATIONS)
}

/// The fields of every language's `Explanation`, snake_case, in order
/// (`teleport_jwt::api::EXPLANATION_FIELDS`).
#[uniffi::export]
pub fn api_explanation_fields() -> Vec<String> {
    names(teleport_jwt::api::EXPLANATION_FIELDS)
}
