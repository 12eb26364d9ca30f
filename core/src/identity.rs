//! The verified caller: what a token proved about the Teleport user.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::alg::{Algorithm, TokenKind};

/// A verified Teleport identity. Every field comes from a token whose signature, issuer,
/// audience and times have been checked.
///
/// It serializes as an object of its fields (`algorithm` and `kind` by name, `claims` as an
/// object), for logs, sessions and the bindings (Python's `Identity.to_dict` and pickling).
/// Deserializing builds an identity that no token verified: read back only what you wrote.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// The whole verified claim set, for claims this struct does not model; it reads as a
    /// `serde_json::Map` (`identity.claims["iss"]`, `identity.claims.get("email")`).
    pub claims: Claims,
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

/// The verified claim set of an [`Identity`], read as a `serde_json::Map` (it dereferences to
/// one). Verification reads the claims it checks straight from the token and keeps the payload;
/// the map is built from it on first use only, so a caller that never looks at other claims
/// never pays for them.
pub struct Claims {
    /// The verified payload; empty when the claims were given as a map.
    json: Vec<u8>,
    map: OnceLock<Map<String, Value>>,
    /// Estimated heap bytes of the map, built or not (for the token cache's byte bound);
    /// `None` when the map must be measured (given as a map, or changed).
    heap: Option<usize>,
}

impl Claims {
    /// A payload that verification checked (a strict JSON object), with the map when it built
    /// one and the map's estimated heap bytes either way.
    pub(crate) fn verified(json: Vec<u8>, map: Option<Map<String, Value>>, heap: usize) -> Claims {
        Claims {
            json,
            map: map.map_or_else(OnceLock::new, OnceLock::from),
            heap: Some(heap),
        }
    }

    /// The claim set as a map (built on first use).
    pub fn as_map(&self) -> &Map<String, Value> {
        self.map.get_or_init(|| {
            // Verification read these very bytes as a strict JSON object before it made this
            // value, and reading is deterministic, so this does not fail; the empty map only
            // satisfies the types.
            crate::json::parse_object(&self.json).unwrap_or_default()
        })
    }

    /// The verified payload as it was signed (empty when the claims were given as a map or
    /// changed since).
    pub fn payload_json(&self) -> &[u8] {
        &self.json
    }

    /// Estimated heap bytes: the payload and the map (counted whether built yet or not).
    pub(crate) fn heap_estimate(&self) -> usize {
        self.json.len()
            + self
                .heap
                .unwrap_or_else(|| crate::json::heap_of(self.as_map()))
    }
}

impl Deref for Claims {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Map<String, Value> {
        self.as_map()
    }
}

/// Changing the claims (e.g. to build an identity for a test) drops the payload they were
/// read from.
impl DerefMut for Claims {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        self.as_map();
        self.json = Vec::new();
        self.heap = None;
        self.map.get_mut().expect("as_map initialised the map")
    }
}

impl From<Map<String, Value>> for Claims {
    fn from(map: Map<String, Value>) -> Claims {
        Claims {
            json: Vec::new(),
            map: OnceLock::from(map),
            heap: None,
        }
    }
}

/// Serialized as the claim set's object.
impl serde::Serialize for Claims {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(self.as_map(), s)
    }
}

impl<'de> serde::Deserialize<'de> for Claims {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Claims, D::Error> {
        <Map<String, Value> as serde::Deserialize>::deserialize(d).map(Claims::from)
    }
}

impl Default for Claims {
    fn default() -> Claims {
        Claims::from(Map::new())
    }
}

impl Clone for Claims {
    fn clone(&self) -> Claims {
        Claims {
            json: self.json.clone(),
            map: self.map.clone(),
            heap: self.heap,
        }
    }
}

/// Claim sets are equal when their maps are, however each was read.
impl PartialEq for Claims {
    fn eq(&self, other: &Claims) -> bool {
        self.as_map() == other.as_map()
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_map().fmt(f)
    }
}
