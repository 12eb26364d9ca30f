//! A parsed JSON Web Key Set: the trusted keys of one issuer at one moment.
//!
//! Built once per fetch, never per verification. Teleport publishes every key twice (once with
//! its `kid`, once with `"kid": ""` for older kid-less tokens); the blank twin is folded into the
//! real one. Keys that share a non-blank `kid` but differ in material are ambiguous and dropped.
//! Ineligible keys are kept aside with their reason (and logged) while the others stay usable.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::jwk::VerifyingKey;
use crate::alg::Algorithm;
use crate::error::{err, Reason, VerifyError};
use crate::json;

/// A JWKS entry that was not trusted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedKey {
    /// Its `kid`, if it had a readable one.
    pub kid: Option<String>,
    /// Why it is ineligible.
    pub reason: String,
}

/// The usable keys of one JWKS document.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
    rejected: Vec<RejectedKey>,
}

impl KeySet {
    /// Parses a JWKS document (`{"keys": [...]}`). Fails with `key_source_unavailable` when it
    /// is not a strict JSON object with a `keys` list, when it lists more than `max_keys`
    /// entries, or when no entry is usable.
    pub fn from_jwks_json(bytes: &[u8], max_keys: usize) -> Result<KeySet, VerifyError> {
        Self::parse(bytes, max_keys).map_err(|e| err(Reason::KeySourceUnavailable, e))
    }

    fn parse(bytes: &[u8], max_keys: usize) -> Result<KeySet, String> {
        let doc = json::parse_object(bytes).map_err(|e| format!("JWKS is not valid JSON: {e}"))?;
        let entries = match doc.get("keys") {
            Some(Value::Array(a)) => a,
            Some(other) => return Err(format!("JWKS `keys` is {}, not a list", json::kind(other))),
            None => return Err("JWKS has no `keys` member".into()),
        };
        if entries.len() > max_keys {
            return Err(format!(
                "JWKS lists {} keys, more than the limit of {max_keys}",
                entries.len()
            ));
        }
        let mut parsed = Vec::with_capacity(entries.len());
        let mut rejected = Vec::new();
        for entry in entries {
            let kid = entry.get("kid").and_then(Value::as_str).map(str::to_owned);
            let result = match entry {
                Value::Object(m) => VerifyingKey::from_jwk(m),
                other => Err(format!("entry is {}, not an object", json::kind(other))),
            };
            match result {
                Ok(k) => parsed.push(k),
                Err(reason) => {
                    log::warn!("teleport-jwt: ignoring JWKS key {kid:?}: {reason}");
                    rejected.push(RejectedKey { kid, reason });
                }
            }
        }
        let set = Self::fold(parsed, rejected);
        if set.keys.is_empty() {
            let reasons: Vec<String> = set
                .rejected
                .iter()
                .map(|r| format!("{:?}: {}", r.kid.as_deref().unwrap_or(""), r.reason))
                .collect();
            return Err(format!("JWKS has no usable key ({})", reasons.join("; ")));
        }
        Ok(set)
    }

    /// Drops exact duplicates and blank-`kid` twins; drops keys whose `kid` is ambiguous.
    fn fold(parsed: Vec<VerifyingKey>, mut rejected: Vec<RejectedKey>) -> KeySet {
        let mut by_kid: HashMap<&str, Vec<&VerifyingKey>> = HashMap::new();
        for k in &parsed {
            if let Some(kid) = k.kid() {
                by_kid.entry(kid).or_default().push(k);
            }
        }
        let ambiguous: Vec<String> = by_kid
            .iter()
            .filter(|(_, ks)| ks.iter().any(|k| k.fingerprint() != ks[0].fingerprint()))
            .map(|(kid, _)| (*kid).to_owned())
            .collect();
        let mut keys: Vec<Arc<VerifyingKey>> = Vec::with_capacity(parsed.len());
        let named: Vec<[u8; 32]> = parsed
            .iter()
            .filter(|k| !k.with_blank_kid())
            .map(|k| *k.fingerprint())
            .collect();
        for k in parsed {
            if let Some(kid) = k.kid() {
                if ambiguous.iter().any(|a| a == kid) {
                    rejected.push(RejectedKey {
                        kid: Some(kid.to_owned()),
                        reason: "several different keys share this kid".into(),
                    });
                    continue;
                }
            } else if named.contains(k.fingerprint()) {
                continue; // Teleport's blank-kid twin of a named key.
            }
            let duplicate = keys
                .iter()
                .any(|e| e.fingerprint() == k.fingerprint() && e.kid() == k.kid());
            if !duplicate {
                keys.push(Arc::new(k));
            }
        }
        KeySet { keys, rejected }
    }

    /// The keys a token may be checked against: those with exactly this `kid`, or, for a token
    /// without `kid`, every key of the token's algorithm.
    pub fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> impl Iterator<Item = &'a Arc<VerifyingKey>> + 'a {
        self.keys.iter().filter(move |k| match kid {
            Some(kid) => k.kid() == Some(kid),
            None => k.algorithm() == alg,
        })
    }

    /// True when some key carries this `kid`.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid() == Some(kid))
    }

    /// Every usable key.
    pub fn keys(&self) -> &[Arc<VerifyingKey>] {
        &self.keys
    }

    /// The entries that were not trusted, with reasons.
    pub fn rejected(&self) -> &[RejectedKey] {
        &self.rejected
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is usable.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
