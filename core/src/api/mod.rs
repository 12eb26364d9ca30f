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

mod alg;
pub(crate) mod mock;
mod policy;
mod reasons;
mod settings;
mod verifier;

use crate::error::Reason;

pub use mock::MOCK_OPERATIONS;
pub use policy::{
    EXPLANATION_FIELDS, MAPPER_OPERATIONS, PERMISSIONS_OPERATIONS, POLICY_OPERATIONS,
};
pub use settings::{OptionKind, TRUST_ENTRY_OPTIONS, VERIFIER_OPTIONS};
pub use verifier::{HeaderPairs, VERIFIER_OPERATIONS};

/// Every reason code with the name of its exception type ([`Reason::type_name`]).
pub fn reasons() -> impl Iterator<Item = (&'static str, &'static str)> {
    Reason::ALL.into_iter().map(|r| (r.code(), r.type_name()))
}
