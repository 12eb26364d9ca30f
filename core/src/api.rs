//! The cross-language API in one place: what every binding (Python, Kotlin, Swift) must offer,
//! for their parity tests. Each binding exports these tables and its tests check its own
//! surface against them, so an operation or a reason added here and missing in a language
//! fails that language's tests.
//!
//! Names are snake_case; each language spells them in its own convention (Python as is,
//! Kotlin and Swift in lowerCamelCase: `verify_headers` → `verifyHeaders`).

use crate::error::Reason;

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
];

/// The options of a trust entry besides its issuer, audiences and keys.
pub const TRUST_ENTRY_OPTIONS: &[&str] = &["name", "require_iat"];

/// Every reason code with the name of its exception type ([`Reason::type_name`]).
pub fn reasons() -> impl Iterator<Item = (&'static str, &'static str)> {
    Reason::ALL.into_iter().map(|r| (r.code(), r.type_name()))
}

/// `snake_case` → `lowerCamelCase`, as Kotlin and Swift spell [`VERIFIER_OPERATIONS`].
pub fn lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_spelling() {
        assert_eq!(lower_camel("token_from_headers"), "tokenFromHeaders");
        assert_eq!(lower_camel("verify"), "verify");
    }
}
