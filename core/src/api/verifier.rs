//! [`VERIFIER_OPERATIONS`]: the operations of [`crate::Verifier`] every binding offers, and
//! [`HeaderPairs`], the form in which a binding hands request headers to them.
//!
//! The check below calls each operation on the core's `Verifier` with the input and answer the
//! bindings expect, so an operation renamed, retyped or removed in the core fails to compile
//! here (and then its row of the table is due for the same change).

use std::ops::Deref;
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::VerifyError;
use crate::identity::Identity;
use crate::policy::PermissionMapper;
use crate::stats::Stats;
use crate::verifier::{Authorized, Verifier};

/// Request headers as `(name, value)` pairs: the form in which a binding hands them to any
/// header operation of [`VERIFIER_OPERATIONS`]: `v.verify_headers(&pairs)` and `v.token_from_headers(&pairs)` alike (the one takes an
/// iterator of pairs, the other a slice; this is both).
#[doc(hidden)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderPairs<'h>(pub Vec<(&'h str, &'h str)>);

impl<'h> Deref for HeaderPairs<'h> {
    type Target = [(&'h str, &'h str)];

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<'p, 'h> IntoIterator for &'p HeaderPairs<'h> {
    type Item = (&'h str, &'h str);
    type IntoIter = std::iter::Copied<std::slice::Iter<'p, (&'h str, &'h str)>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().copied()
    }
}

impl<'h, K: AsRef<str> + ?Sized + 'h, V: AsRef<str> + ?Sized + 'h> FromIterator<(&'h K, &'h V)>
    for HeaderPairs<'h>
{
    fn from_iter<I: IntoIterator<Item = (&'h K, &'h V)>>(pairs: I) -> Self {
        HeaderPairs(
            pairs
                .into_iter()
                .map(|(k, v)| (k.as_ref(), v.as_ref()))
                .collect(),
        )
    }
}

/// The operations of a verifier, snake_case. Every binding has each of them (Python spells
/// `*_at` as a `now=` argument of the plain operation; Kotlin and Swift add a `*_map` form of
/// each header operation, for headers held in a map, and async forms).
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

/// The operations of [`VERIFIER_OPERATIONS`] that never wait for a key fetch (they read the
/// headers or the counters, or make a verifier), so no binding gives them an async form; every
/// other operation but the `*_at` forms has one in every language (`verify_async`, Kotlin's
/// `suspend fun verifyAsync`, Swift's `verifyAsync`), and each binding's parity test derives
/// the forms it must have from these two tables.
pub const OPERATIONS_THAT_NEVER_WAIT: &[&str] = &[
    "token_from_headers",
    "key_fetch_count",
    "stats",
    "with_permissions",
    "has_permissions",
];

/// Public methods of `Verifier` that are Rust's own: constructors and configuration a binding
/// spells its own way, the non-blocking `try_*` forms its async forms are built on, and a
/// counter for Rust's own tests. Every other public method must be in [`VERIFIER_OPERATIONS`].
#[cfg(test)]
const RUST_ONLY: &[&str] = &[
    "builder",
    "teleport_jwt",
    "teleport_id_token",
    "options",
    "trust_entries",
    "token_cache_usage",
    "try_verify",
    "try_verify_headers",
    "try_authorize",
    "try_authorize_headers",
];

/// Compile-time check: every operation of the table is a method of the core's `Verifier` taking
/// what a binding gives it (a token, a token and a time, [`HeaderPairs`], nothing) and answering
/// what the bindings convert; one `let <name>` per row (the test below reads them back).
#[allow(unused_variables)]
const _: for<'h> fn(&Verifier, &str, SystemTime, &HeaderPairs<'h>) = |v, t, now, h| {
    let verify: Result<Arc<Identity>, VerifyError> = v.verify(t);
    let verify_at: Result<Arc<Identity>, VerifyError> = v.verify_at(t, now);
    let verify_headers: Result<Arc<Identity>, VerifyError> = v.verify_headers(h);
    let token_from_headers: Result<&str, VerifyError> = v.token_from_headers(h);
    let authorize: Result<Authorized, VerifyError> = v.authorize(t);
    let authorize_at: Result<Authorized, VerifyError> = v.authorize_at(t, now);
    let authorize_headers: Result<Authorized, VerifyError> = v.authorize_headers(h);
    let warm_up: Result<(), VerifyError> = v.warm_up();
    let key_fetch_count: u64 = v.key_fetch_count();
    let stats: Stats = v.stats();
    let with_permissions: fn(&Verifier, Arc<dyn PermissionMapper>) -> Verifier =
        Verifier::with_permissions;
    let has_permissions: bool = v.has_permissions();
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_each_operation_and_its_at_form_once() {
        let mut seen = std::collections::BTreeSet::new();
        for op in VERIFIER_OPERATIONS {
            assert!(seen.insert(*op), "{op} twice");
        }
        for at in ["verify_at", "authorize_at"] {
            assert!(seen.contains(at), "{at}");
        }
        assert!(
            !seen.contains("verify_header_map"),
            "map forms are the bindings' own"
        );
    }

    #[test]
    fn the_table_is_exactly_what_the_check_calls() {
        let names = crate::api::checked_names(include_str!("verifier.rs"), "|v, t, now, h| {");
        assert_eq!(names, VERIFIER_OPERATIONS);
    }

    #[test]
    fn every_public_method_of_the_verifier_is_in_the_table_or_rust_only() {
        // The public methods are written in one `impl Verifier` block (verifier/mod.rs).
        let source = include_str!("../verifier/mod.rs");
        let mut missing = Vec::new();
        for line in source.lines() {
            let Some(rest) = line.strip_prefix("    pub fn ") else {
                continue;
            };
            let name = rest.split(['(', '<']).next().unwrap_or(rest);
            if !VERIFIER_OPERATIONS.contains(&name) && !RUST_ONLY.contains(&name) {
                missing.push(name);
            }
        }
        assert!(
            missing.is_empty(),
            "Verifier methods in no table: {missing:?}: add each to VERIFIER_OPERATIONS (every \
             binding then must offer it) or, if it is Rust's own, to RUST_ONLY"
        );
        for name in OPERATIONS_THAT_NEVER_WAIT {
            assert!(
                VERIFIER_OPERATIONS.contains(name),
                "{name} is not an operation"
            );
        }
        for name in RUST_ONLY {
            assert!(
                source.contains(&format!("    pub fn {name}")),
                "{name} is not a method"
            );
        }
    }

    #[test]
    fn header_pairs_serve_both_kinds_of_header_operation() {
        let owned = [("X-Other".to_string(), "1".to_string())];
        let pairs: HeaderPairs<'_> = owned.iter().map(|(k, v)| (k, v)).collect();
        assert_eq!(pairs.len(), 1);
        let listed: Vec<(&str, &str)> = (&pairs).into_iter().collect();
        assert_eq!(listed, [("X-Other", "1")]);
    }
}
