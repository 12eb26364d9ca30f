//! The verified caller: what a token proved about the Teleport user.

use std::collections::BTreeMap;

use crate::alg::{Algorithm, TokenKind};

/// A verified Teleport identity. Every field comes from a token whose signature, issuer,
/// audience and times have been checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The Teleport user name: the `username` claim, or `sub` when `username` is absent.
    pub username: String,
    /// The `sub` claim (equal to the user name in Teleport tokens).
    pub sub: String,
    /// Teleport roles; empty when the claim is `null` or absent (`jwt_claims: traits|none`).
    pub roles: Vec<String>,
    /// Teleport traits, name to values; empty when absent (`jwt_claims: roles|none`).
    pub traits: BTreeMap<String, Vec<String>>,
    /// The `iss` claim, equal to the issuer of the trust entry that matched.
    pub issuer: String,
    /// Every audience in the token (`aud` as a one-element list when it was a string).
    pub audience: Vec<String>,
    /// `exp`, seconds since the Unix epoch (fractional dates are rounded down).
    pub expires_at: i64,
    /// `iat`, when present.
    pub issued_at: Option<i64>,
    /// `nbf`, when present.
    pub not_before: Option<i64>,
    /// `jti`, when present (newer clusters send a random UUID; it is not a per-request nonce).
    pub jti: Option<String>,
    /// The `kid` of the key that verified the signature (`None` for a kid-less key).
    pub key_id: Option<String>,
    /// The algorithm that verified the signature (taken from the trusted key).
    pub algorithm: Algorithm,
    /// The name of the trust entry that matched (see [`crate::TrustEntry::name`]).
    pub trust_entry: String,
    /// The kind of token of that trust entry.
    pub kind: TokenKind,
    /// The whole verified claim set, for claims this struct does not model.
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl Identity {
    /// True when the identity holds this Teleport role.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The values of one trait (empty when the trait is absent).
    pub fn trait_values(&self, name: &str) -> &[String] {
        self.traits.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}
