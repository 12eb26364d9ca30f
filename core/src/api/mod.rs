//! The cross-language API as data, for the bindings (Python, Kotlin, Swift) and their parity
//! tests; hidden from the crate's documentation (applications have no use for it).
//!
//! It holds tables of names: [`reasons`], [`VERIFIER_OPERATIONS`] (with
//! [`OPERATIONS_THAT_NEVER_WAIT`]), [`POLICY_OPERATIONS`],
//! [`MAPPER_OPERATIONS`], [`PERMISSIONS_OPERATIONS`], [`EXPLANATION_FIELDS`],
//! [`MOCK_OPERATIONS`], [`VERIFIER_OPTIONS`] (with [`option_doc`]) and
//! [`TRUST_ENTRY_OPTIONS`]. Each binding writes its operations as ordinary methods calling the
//! core's, exports these tables, and its tests check its own surface against them, so an
//! operation or a reason added here and missing in a language fails that language's tests.
//! The core's side of each table is checked here, against the core's own types.
//!
//! Two lists are *descriptions* a binding expands with a callback macro of its own
//! (`teleport_jwt::describe_verifier_settings!(my_macro)` calls `my_macro! { <the list> }`):
//! [`describe_verifier_settings!`](crate::describe_verifier_settings) (every option, with its
//! doc and kind) and [`describe_identity_fields!`](crate::describe_identity_fields) (the
//! identity record), so each language's record is declared from them.
//!
//! Names are snake_case; each language spells them in its own convention (Python as is,
//! Kotlin and Swift in lowerCamelCase: `verify_headers` → `verifyHeaders`).
//!
//! This module sits above every other module of the crate: it may read any of them, none of
//! them reads it (`.ci/layers.py` checks).

mod mock;
mod policy;
mod settings;
mod verifier;

use crate::error::Reason;

pub use mock::MOCK_OPERATIONS;
pub use policy::{
    EXPLANATION_FIELDS, MAPPER_OPERATIONS, PERMISSIONS_OPERATIONS, POLICY_OPERATIONS,
};
pub use settings::{option_doc, OptionKind, TRUST_ENTRY_OPTIONS, VERIFIER_OPTIONS};
pub use verifier::{HeaderPairs, OPERATIONS_THAT_NEVER_WAIT, VERIFIER_OPERATIONS};

/// Every reason code with the name of its exception type ([`Reason::type_name`]), in the order
/// of [`Reason::ALL`].
pub fn reasons() -> impl Iterator<Item = (&'static str, &'static str)> {
    Reason::ALL.into_iter().map(|r| (r.code(), r.type_name()))
}

/// The names a compile-time check of this module binds, in order: every `let <name>:` in the
/// block of `source` that starts at `start` and ends at the first line `};` after it. A table's
/// test compares them with the table, so a row and its check cannot drift apart.
#[cfg(test)]
fn checked_names<'s>(source: &'s str, start: &str) -> Vec<&'s str> {
    let (_, block) = source
        .split_once(start)
        .unwrap_or_else(|| panic!("no check starting with {start:?}"));
    block
        .lines()
        .map(str::trim)
        .take_while(|l| *l != "};")
        .filter_map(|l| l.strip_prefix("let "))
        .filter_map(|l| l.split_once(':').map(|(name, _)| name))
        .collect()
}
