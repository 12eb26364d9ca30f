//! Permissions as every binding shows them: what a [`Policy`] loads from and answers, the
//! questions any [`PermissionMapper`] answers, what a [`Permissions`] holds and answers, and the
//! fields of an [`Explanation`], each as a table of snake_case names. Each language writes
//! these operations as ordinary methods calling the core's, and its parity test checks it has
//! every name of these tables.
//!
//! The checks below call the core's methods as the bindings do, one `let <name>` per row of a
//! table, so a core method renamed or retyped fails to compile here, and the test at the end
//! reads them back so a row without its check (or a check without its row) fails.
//!
//! Not here: each language's conveniences that only it has (Python's `Policy.from_text`,
//! `Permissions.capped_rules`, flat `Explanation.rule_index`; the FFI's `Policy.explain` as
//! text), and constructors, whose defaults follow each language.
//!
//! [`Policy`]: crate::policy::Policy
//! [`PermissionMapper`]: crate::policy::PermissionMapper
//! [`Permissions`]: crate::policy::Permissions
//! [`Explanation`]: crate::policy::Explanation

use std::collections::BTreeSet;

use crate::error::VerifyError;
use crate::identity::Identity;
use crate::policy::{
    Decision, Explanation, PermissionMapper, Permissions, Policy, PolicyError, PolicyFormat,
    RuleHit, RuleRef,
};

/// Every operation of `Policy`, snake_case: its loaders (from YAML, TOML or JSON text, or a
/// file whose extension names the format), the questions of every mapper
/// ([`MAPPER_OPERATIONS`]), and its own question `explain`. Every binding's `Policy` has each
/// (Kotlin and Swift in lowerCamelCase, the loaders as static factories).
pub const POLICY_OPERATIONS: &[&str] = &[
    "from_yaml",
    "from_toml",
    "from_json",
    "from_file",
    "permissions",
    "allows",
    "can_call_tool",
    "filter_tools",
    "explain",
];

/// The questions every permission mapper answers about a verified identity, snake_case
/// (Python's `PermissionMapper` has each; Kotlin and Swift implement `permissions` only and ask
/// a `Policy` or the verifier).
pub const MAPPER_OPERATIONS: &[&str] = &["permissions", "allows", "can_call_tool", "filter_tools"];

/// Everything a `Permissions` holds (`granted`, `denied`: Python shows them as properties) and
/// answers, snake_case.
pub const PERMISSIONS_OPERATIONS: &[&str] = &[
    "granted",
    "denied",
    "allows",
    "can_call_tool",
    "filter_tools",
];

/// The fields of an `Explanation`, snake_case, in order: the core's stored fields, with
/// `allowed` ([`Explanation::is_allowed`]) and `text` (its `Display`) computed. Every
/// language's explanation has each.
pub const EXPLANATION_FIELDS: &[&str] = &[
    "permission",
    "username",
    "decision",
    "allowed",
    "decided_by",
    "overridden_grant",
    "matched_rules",
    "capped_rules",
    "text",
];

/// Compile-time check of [`POLICY_OPERATIONS`]: each loader and question called as a binding
/// calls it (owned arguments, as a binding receives them).
#[allow(unused_variables)]
const _: fn(&Policy, &Identity, String, std::path::PathBuf, Vec<String>) =
    |policy, identity, text, path, tools| {
        let from_yaml: Result<Policy, PolicyError> = Policy::from_str_as(&text, PolicyFormat::Yaml);
        let from_toml: Result<Policy, PolicyError> = Policy::from_str_as(&text, PolicyFormat::Toml);
        let from_json: Result<Policy, PolicyError> = Policy::from_str_as(&text, PolicyFormat::Json);
        let from_file: Result<Policy, PolicyError> = Policy::from_file(&path);
        let permissions: Result<Permissions, VerifyError> =
            PermissionMapper::permissions(policy, identity);
        let allows: Result<bool, VerifyError> = PermissionMapper::allows(policy, identity, &text);
        let can_call_tool: Result<bool, VerifyError> =
            PermissionMapper::can_call_tool(policy, identity, &text);
        let filter_tools: Result<Vec<String>, VerifyError> =
            PermissionMapper::filter_tools(policy, identity, &tools);
        let explain: Explanation = policy.explain(identity, &text);
    };

/// Compile-time check of [`MAPPER_OPERATIONS`]: each question asked through the trait.
#[allow(unused_variables)]
const _: fn(&dyn PermissionMapper, &Identity, String, Vec<String>) =
    |mapper, identity, text, tools| {
        let permissions: Result<Permissions, VerifyError> = mapper.permissions(identity);
        let allows: Result<bool, VerifyError> = mapper.allows(identity, &text);
        let can_call_tool: Result<bool, VerifyError> = mapper.can_call_tool(identity, &text);
        let filter_tools: Result<Vec<String>, VerifyError> = mapper.filter_tools(identity, &tools);
    };

/// Compile-time check of [`PERMISSIONS_OPERATIONS`].
#[allow(unused_variables)]
const _: fn(&Permissions, String, Vec<String>) = |permissions, text, tools| {
    let granted: &BTreeSet<String> = permissions.granted();
    let denied: &BTreeSet<String> = permissions.denied();
    let allows: bool = permissions.allows(&text);
    let can_call_tool: bool = permissions.can_call_tool(&text);
    let filter_tools: Vec<String> = permissions.filter_tools(tools);
};

/// Compile-time check of [`EXPLANATION_FIELDS`]: each stored field with its type, each computed
/// one with its method.
#[allow(unused_variables)]
const _: fn(&Explanation) = |e| {
    let permission: &String = &e.permission;
    let username: &String = &e.username;
    let decision: Decision = e.decision;
    let allowed: bool = e.is_allowed();
    let decided_by: &Option<RuleHit> = &e.decided_by;
    let overridden_grant: &Option<RuleHit> = &e.overridden_grant;
    let matched_rules: &Vec<RuleRef> = &e.matched_rules;
    let capped_rules: &Vec<RuleRef> = &e.capped_rules;
    let text: String = e.to_string();
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::checked_names;

    #[test]
    fn each_table_is_exactly_what_its_check_calls() {
        let source = include_str!("policy.rs");
        let tables = [
            ("|policy, identity, text, path, tools| {", POLICY_OPERATIONS),
            ("|mapper, identity, text, tools| {", MAPPER_OPERATIONS),
            ("|permissions, text, tools| {", PERMISSIONS_OPERATIONS),
            ("const _: fn(&Explanation) = |e| {", EXPLANATION_FIELDS),
        ];
        for (check, table) in tables {
            assert_eq!(checked_names(source, check), table, "{check}");
        }
    }

    #[test]
    fn the_mapper_questions_are_the_policys_too() {
        assert_eq!(POLICY_OPERATIONS[4..8], *MAPPER_OPERATIONS);
    }
}
