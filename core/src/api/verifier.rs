//! The verifier's operations, described once for every binding:
//! [`describe_verifier_operations!`](crate::describe_verifier_operations) lists each operation
//! of [`crate::Verifier`] that takes a token, request headers or nothing, with its doc comment.
//! The Kotlin/Swift methods (with their `_at` and `_map` forms), Python's methods (with their
//! `now=` argument and `_async` forms) and [`VERIFIER_OPERATIONS`] are derived from it.
//!
//! The check below expands it against the core's `Verifier`, so an operation renamed,
//! retyped or removed in the core fails to compile until its description follows.

use std::ops::Deref;

/// Every operation of [`crate::Verifier`] on a token, on request headers or on nothing, in
/// documentation order, for the bindings. The counters, the statistics and the permission
/// mapper (`key_fetch_count`, `stats`, `with_permissions`, `has_permissions`) take no input
/// of these kinds and are written by hand in each binding.
///
/// One item: its doc comment (language-neutral: names in snake_case, errors by reason code),
/// then one of
///
/// - `fn name(token) -> Answer, at name_at;`: the core's `v.name(token: &str)`, and
///   `v.name_at(token, now: SystemTime)` that checks the claims at a given time (Kotlin and
///   Swift: a method `name_at(token, unix_seconds)`; Python: `name(token, now=None)`).
/// - `fn name(headers) -> Answer, map name_map;`: the core's `v.name(&pairs)`, `pairs` a
///   [`HeaderPairs`](crate::api::HeaderPairs) (Kotlin and Swift: `name(List<Header>)`, and
///   `name_map(Map<String, String>)` for headers held in a map).
/// - `fn name() -> Answer;`: the core's `v.name()`.
///
/// `Answer` is the answer as every binding names it: `Identity`, `Authorized`, `String` (the
/// core's `&str`) or `()`; each binding has a type of that name, converted from the core's
/// answer by one conversion per type. Every operation may wait for a key fetch (but
/// `token_from_headers`), so Python adds an awaitable `name_async` of each.
#[doc(hidden)]
#[macro_export]
macro_rules! describe_verifier_operations {
    ($callback:ident) => {
        $callback! {
            /// Verifies one token and returns the identity it proves.
            fn verify(token) -> Identity, at verify_at;

            /// Verifies the token found in the request's headers, following the configured
            /// header rules in order (default: `Teleport-Jwt-Assertion`, then `Authorization:
            /// Bearer`; the first rule whose header is present decides). Fails with
            /// `missing_token` when no rule's header is present, `malformed` when it is present
            /// but unusable, and otherwise as `verify`.
            fn verify_headers(headers) -> Identity, map verify_header_map;

            /// The token the header rules select from `headers`, without verifying it (for
            /// middleware that hands it on, e.g. as `Authorization: Bearer`). Fails with
            /// `missing_token` or `malformed` exactly as `verify_headers` would.
            fn token_from_headers(headers) -> String, map token_from_header_map;

            /// Verifies one token and maps its identity to permissions with the verifier's
            /// permission mapper (a `Policy` or a mapper of your own). A repeated token costs
            /// neither a signature check nor a mapping: both are cached together. Fails with
            /// `invalid_config` when no mapper is configured, with the token's reason when it
            /// is refused (the mapper is not called then), and with `plugin_error` when the
            /// mapper fails.
            fn authorize(token) -> Authorized, at authorize_at;

            /// `authorize` with the token found by the header rules (fails as `verify_headers`
            /// and `authorize` do).
            fn authorize_headers(headers) -> Authorized, map authorize_header_map;

            /// Fetches the keys of every trust entry now (a start-up check) instead of on the
            /// first request. Fails with the fetch's error, usually `key_source_unavailable`.
            fn warm_up() -> ();
        }
    };
}

/// Request headers as `(name, value)` pairs: the form in which a binding hands them to any
/// header operation of [`describe_verifier_operations!`](crate::describe_verifier_operations):
/// `v.verify_headers(&pairs)` and `v.token_from_headers(&pairs)` alike (the one takes an
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

/// `VERIFIER_OPERATIONS` from the description, with the hand-written operations after it.
macro_rules! operation_table {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($input:ident)?) -> $out:ty $(, at $at:ident)? $(, map $map:ident)?;
    )*) => {
        /// The operations of a verifier. Every binding has each of them (Python spells `*_at`
        /// as a `now=` argument of the plain operation).
        pub const VERIFIER_OPERATIONS: &[&str] = &[
            $( stringify!($name), $( stringify!($at), )? )*
            "key_fetch_count",
            "stats",
            "with_permissions",
            "has_permissions",
        ];
    };
}

crate::describe_verifier_operations!(operation_table);

/// A core answer and the name every binding gives it (`Answer` in the description).
trait Answer {
    type Named;
}

impl Answer for std::sync::Arc<crate::Identity> {
    type Named = crate::Identity;
}

impl Answer for crate::Authorized {
    type Named = crate::Authorized;
}

impl Answer for &str {
    type Named = String;
}

impl Answer for () {
    type Named = ();
}

/// The name of a core call's answer, for the check below.
fn named<A: Answer>(_: Result<A, crate::VerifyError>) -> std::marker::PhantomData<A::Named> {
    std::marker::PhantomData
}

/// One operation called on the core as the description says its input kind is.
macro_rules! core_call {
    ($v:ident, $t:ident, $h:ident, $name:ident(token)) => {
        $v.$name($t)
    };
    ($v:ident, $t:ident, $h:ident, $name:ident(headers)) => {
        $v.$name($h)
    };
    ($v:ident, $t:ident, $h:ident, $name:ident()) => {
        $v.$name()
    };
}

/// Compile-time check: every described operation (and its `_at` form) is a method of the
/// core's `Verifier` taking that input and answering what the description names.
macro_rules! operations_match_the_core {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($input:ident)?) -> $out:ty $(, at $at:ident)? $(, map $map:ident)?;
    )*) => {
        const _: for<'h> fn(&crate::Verifier, &str, std::time::SystemTime, &HeaderPairs<'h>) =
            |v, t, now, h| {
                use crate::{Authorized, Identity};
                $(
                    let _: std::marker::PhantomData<$out> =
                        named(core_call!(v, t, h, $name($($input)?)));
                    $( let _: std::marker::PhantomData<$out> = named(v.$at(t, now)); )?
                )*
            };
    };
}

crate::describe_verifier_operations!(operations_match_the_core);

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
    fn header_pairs_serve_both_kinds_of_header_operation() {
        let owned = [("X-Other".to_string(), "1".to_string())];
        let pairs: HeaderPairs<'_> = owned.iter().map(|(k, v)| (k, v)).collect();
        assert_eq!(pairs.len(), 1);
        let listed: Vec<(&str, &str)> = (&pairs).into_iter().collect();
        assert_eq!(listed, [("X-Other", "1")]);
    }
}
