//! The signature algorithms this verifier accepts, and nothing else.
//!
//! Teleport signs with RS256 (legacy suite) or ES256 (balanced-v1, fips-v1, hsm-v1 suites). Both
//! are accepted whenever the trusted key says so; `none`, HMAC and every other algorithm are
//! refused before any key is looked up.

// The enums are defined from their description, which the bindings declare theirs from.
crate::describe_alg_enums!(named_enums);

impl Algorithm {
    /// Parses a JOSE `alg` value. Case-sensitive, as RFC 7515 requires: `"rs256"` is not RS256.
    /// (No error value is built: forged tokens take this path.)
    pub fn from_jose(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}
