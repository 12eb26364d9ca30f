//! The verified caller, as a plain record: every field of the core's
//! [`teleport_jwt::Identity`], the full claim set as JSON text.

use std::collections::HashMap;

use teleport_jwt::{Algorithm, TokenKind};

use crate::error::VerifyError;

/// A verified Teleport identity. Every field comes from a token whose signature, issuer,
/// audience and times have been checked.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Identity {
    /// The Teleport user name: `username`, or `sub` when `username` is absent.
    pub username: String,
    /// The `sub` claim.
    pub sub: String,
    /// Teleport roles; empty when the claim is `null` or absent.
    pub roles: Vec<String>,
    /// Teleport traits, name to values; empty when absent.
    pub traits: HashMap<String, Vec<String>>,
    /// The `iss` claim, equal to the issuer of the trust entry that matched.
    pub issuer: String,
    /// Every audience in the token.
    pub audience: Vec<String>,
    /// `exp`, seconds since the Unix epoch.
    pub expires_at: i64,
    /// `iat`, when present.
    pub issued_at: Option<i64>,
    /// `nbf`, when present.
    pub not_before: Option<i64>,
    /// `jti`, when present.
    pub jti: Option<String>,
    /// The `kid` of the key that verified the signature (null for a kid-less key).
    pub key_id: Option<String>,
    /// The algorithm that verified the signature (taken from the trusted key).
    pub algorithm: Algorithm,
    /// The name of the trust entry that matched.
    pub trust_entry: String,
    /// The kind of token of that trust entry.
    pub kind: TokenKind,
    /// The whole verified claim set as a JSON object, for claims this record does not model.
    pub claims_json: String,
}

/// The claim set as JSON text: the verified payload itself when the identity has one (valid
/// UTF-8, a strict JSON object: verification checked both), so no map is built or written;
/// else the map, serialized.
fn claims_json(claims: &teleport_jwt::Claims) -> String {
    match std::str::from_utf8(claims.payload_json()) {
        Ok(text) if !text.is_empty() => text.to_owned(),
        _ => serde_json::Value::Object(claims.as_map().clone()).to_string(),
    }
}

/// `$target { <every field both identities share, moved from $from>, $rest }`.
macro_rules! shared_fields {
    ($($target:ident)::+, $from:ident, $($rest:tt)*) => {
        $($target)::+ {
            username: $from.username, sub: $from.sub, roles: $from.roles,
            traits: $from.traits.into_iter().collect(), issuer: $from.issuer,
            audience: $from.audience, expires_at: $from.expires_at, issued_at: $from.issued_at,
            not_before: $from.not_before, jti: $from.jti, key_id: $from.key_id,
            algorithm: $from.algorithm, trust_entry: $from.trust_entry, kind: $from.kind,
            $($rest)*
        }
    };
}

impl From<teleport_jwt::Identity> for Identity {
    fn from(id: teleport_jwt::Identity) -> Self {
        let claims_json = claims_json(&id.claims);
        shared_fields!(Identity, id, claims_json)
    }
}

/// A verified identity as the verifier shares it (the record is built from a copy, since it
/// crosses the boundary by value anyway).
impl From<std::sync::Arc<teleport_jwt::Identity>> for Identity {
    fn from(id: std::sync::Arc<teleport_jwt::Identity>) -> Self {
        std::sync::Arc::unwrap_or_clone(id).into()
    }
}

/// The core identity behind a binding identity (the claim set parsed back from its JSON), for
/// calls that take an identity from Kotlin or Swift (policy questions, permission mappers).
impl TryFrom<Identity> for teleport_jwt::Identity {
    type Error = VerifyError;

    fn try_from(id: Identity) -> Result<Self, VerifyError> {
        let claims = match serde_json::from_str::<serde_json::Value>(&id.claims_json) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => {
                return Err(VerifyError::InvalidClaim {
                    message: "Identity.claimsJson is not a JSON object".into(),
                })
            }
        };
        Ok(shared_fields!(teleport_jwt::Identity, id, claims: claims.into()))
    }
}
