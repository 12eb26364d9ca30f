//! The cross-language API in one place: what every binding (Python, Kotlin, Swift) must offer,
//! for their parity tests. Each binding exports these tables and its tests check its own
//! surface against them, so an operation or a reason added here and missing in a language
//! fails that language's tests.
//!
//! Names are snake_case; each language spells them in its own convention (Python as is,
//! Kotlin and Swift in lowerCamelCase: `verify_headers` → `verifyHeaders`).
//!
//! # Descriptions
//! Besides the tables, the submodules hold *descriptions*: `describe_*!` macros (exported,
//! hidden from the docs: they are for the bindings, not for applications) that each hold one
//! list (of reasons, options, fields, operations), with its doc comments. A binding expands a
//! description with a callback macro of its own (`teleport_jwt::describe_reasons!(my_macro)`
//! calls `my_macro! { <the list> }`), so the list, its names, its types and its documentation
//! are written once, here, and each language's form (a UniFFI record, PyO3 getters, a table)
//! is derived from it. The core derives its own types and tables from the same lists, and its
//! tests expand each description against the core, so a description cannot drift from the
//! code it describes.

mod mock;
mod policy;
mod reasons;
mod settings;

use crate::error::Reason;

pub use policy::{
    EXPLANATION_FIELDS, MAPPER_OPERATIONS, PERMISSIONS_OPERATIONS, POLICY_OPERATIONS,
};

/// The operations of a verifier. Every binding has each of them (Python may spell `*_at` as a
/// `now=` argument of the plain operation).
pub const VERIFIER_OPERATIONS: &[&str] = &[
    "verify",
    "verify_at",
    "verify_headers",
    "token_from_headers",
    "authorize",
    "authorize_at",
    "authorize_headers",
    "warm_up",
    "key_fetch_count",
    "stats",
    "with_permissions",
    "has_permissions",
];

/// What kind of value a verifier option takes; each language spells it its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A duration: float seconds in Python, `..._seconds` / `..._ms` integers in the
    /// generated Kotlin and Swift records.
    Duration,
    /// A count or a size in bytes.
    Count,
    /// A switch.
    Flag,
    /// Text (a PEM bundle).
    Text,
    /// A list of header rules (`"Teleport-Jwt-Assertion"`, `"Authorization: Bearer"`).
    HeaderRules,
}

crate::names::named_enum!(OptionKind {
    Duration => "duration",
    Count => "count",
    Flag => "flag",
    Text => "text",
    HeaderRules => "header_rules",
});

/// Every setting of [`crate::VerifierOptions`], flattened (`cache.max_age` is
/// `cache_max_age`), with its kind. Each binding takes exactly these (plus its plug-ins).
pub const VERIFIER_OPTIONS: &[(&str, OptionKind)] = &[
    ("leeway", OptionKind::Duration),
    ("max_token_bytes", OptionKind::Count),
    ("headers", OptionKind::HeaderRules),
    ("cache_max_age", OptionKind::Duration),
    ("cache_cooldown", OptionKind::Duration),
    ("cache_max_stale", OptionKind::Duration),
    ("cache_max_keys", OptionKind::Count),
    ("fetch_timeout", OptionKind::Duration),
    ("fetch_max_body_bytes", OptionKind::Count),
    ("ca_pem", OptionKind::Text),
    ("allow_insecure_http_for_loopback", OptionKind::Flag),
    ("token_cache_capacity", OptionKind::Count),
    ("token_cache_max_bytes", OptionKind::Count),
];

/// The options of a trust entry besides its issuer, audiences and keys.
pub const TRUST_ENTRY_OPTIONS: &[&str] = &["name", "require_iat"];

/// Every reason code with the name of its exception type ([`Reason::type_name`]).
pub fn reasons() -> impl Iterator<Item = (&'static str, &'static str)> {
    Reason::ALL.into_iter().map(|r| (r.code(), r.type_name()))
}
