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

/// What the core decided about one entry of a JWKS document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyDecision {
    /// Trusted: it verifies tokens of this algorithm.
    Trusted(Algorithm),
    /// Teleport's `"kid": ""` twin of an entry with the same key and a `kid`: not kept on its
    /// own; the key is trusted through that entry, if that entry is trusted.
    BlankKidTwin,
    /// The same key under the same `kid` as an earlier entry: folded into it.
    Duplicate,
    /// Not trusted, and why (the same reason as [`RejectedKey::reason`]).
    Ignored(String),
}

/// One JWKS entry's `kid` as written (when it is a string, blank included) and the core's
/// decision about it.
pub type EntryDecision = (Option<String>, KeyDecision);

/// A JWKS document sorted entry by entry: the trusted keys, and every entry's decision in
/// document order.
struct Sorted {
    keys: Vec<Arc<VerifyingKey>>,
    entries: Vec<EntryDecision>,
}

/// The one place that decides which entries of a JWKS are trusted, for [`KeySet`] and for
/// [`jwks_decisions`] alike.
fn sort(bytes: &[u8], max_keys: usize) -> Result<Sorted, String> {
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
    let mut parsed: Vec<(usize, VerifyingKey)> = Vec::with_capacity(entries.len());
    let mut decided: Vec<(Option<String>, Option<KeyDecision>)> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let kid = entry.get("kid").and_then(Value::as_str).map(str::to_owned);
        let result = match entry {
            Value::Object(m) => VerifyingKey::from_jwk(m),
            other => Err(format!("entry is {}, not an object", json::kind(other))),
        };
        match result {
            Ok(k) => {
                parsed.push((i, k));
                decided.push((kid, None));
            }
            Err(reason) => {
                log::warn!("teleport-jwt: ignoring JWKS key {kid:?}: {reason}");
                decided.push((kid, Some(KeyDecision::Ignored(reason))));
            }
        }
    }
    let keys = fold(parsed, &mut decided);
    let entries = decided
        .into_iter()
        .map(|(kid, d)| {
            // `fold` decides every entry that parsed; the fallback only satisfies the types.
            (kid, d.unwrap_or(KeyDecision::Duplicate))
        })
        .collect();
    Ok(Sorted { keys, entries })
}

/// Drops exact duplicates and blank-`kid` twins; drops keys whose `kid` is ambiguous. Records
/// the decision of every parsed entry in `decided` (indexed like the document).
fn fold(
    parsed: Vec<(usize, VerifyingKey)>,
    decided: &mut [(Option<String>, Option<KeyDecision>)],
) -> Vec<Arc<VerifyingKey>> {
    let mut by_kid: HashMap<&str, Vec<&VerifyingKey>> = HashMap::new();
    for (_, k) in &parsed {
        if let Some(kid) = k.kid() {
            by_kid.entry(kid).or_default().push(k);
        }
    }
    let ambiguous: Vec<String> = by_kid
        .iter()
        .filter(|(_, ks)| ks.iter().any(|k| k.fingerprint() != ks[0].fingerprint()))
        .map(|(kid, _)| (*kid).to_owned())
        .collect();
    let named: Vec<[u8; 32]> = parsed
        .iter()
        .filter(|(_, k)| !k.with_blank_kid())
        .map(|(_, k)| *k.fingerprint())
        .collect();
    let mut keys: Vec<Arc<VerifyingKey>> = Vec::with_capacity(parsed.len());
    for (i, k) in parsed {
        let decision = if k
            .kid()
            .is_some_and(|kid| ambiguous.iter().any(|a| a == kid))
        {
            KeyDecision::Ignored("several different keys share this kid".into())
        } else if k.kid().is_none() && named.contains(k.fingerprint()) {
            KeyDecision::BlankKidTwin // Teleport's blank-kid twin of a named key.
        } else if keys
            .iter()
            .any(|e| e.fingerprint() == k.fingerprint() && e.kid() == k.kid())
        {
            KeyDecision::Duplicate
        } else {
            let alg = k.algorithm();
            keys.push(Arc::new(k));
            KeyDecision::Trusted(alg)
        };
        if let Some(slot) = decided.get_mut(i) {
            slot.1 = Some(decision);
        }
    }
    keys
}

/// The core's decision about every entry of a JWKS document, in document order: exactly what
/// [`KeySet::from_jwks_json`] trusts, folds and ignores, and why, also when no entry is usable
/// (for tools such as `teleport-jwt keys`). Fails, with the message `from_jwks_json` would
/// give, only when the document itself is unusable (not a strict JSON object with a `keys`
/// list, or more than `max_keys` entries).
pub fn jwks_decisions(bytes: &[u8], max_keys: usize) -> Result<Vec<EntryDecision>, VerifyError> {
    sort(bytes, max_keys)
        .map(|s| s.entries)
        .map_err(|e| err(Reason::KeySourceUnavailable, e))
}

impl KeySet {
    /// Parses a JWKS document (`{"keys": [...]}`). Fails with `key_source_unavailable` when it
    /// is not a strict JSON object with a `keys` list, when it lists more than `max_keys`
    /// entries, or when no entry is usable.
    pub fn from_jwks_json(bytes: &[u8], max_keys: usize) -> Result<KeySet, VerifyError> {
        Self::parse(bytes, max_keys).map_err(|e| err(Reason::KeySourceUnavailable, e))
    }

    fn parse(bytes: &[u8], max_keys: usize) -> Result<KeySet, String> {
        let sorted = sort(bytes, max_keys)?;
        let rejected: Vec<RejectedKey> = sorted
            .entries
            .into_iter()
            .filter_map(|(kid, decision)| match decision {
                KeyDecision::Ignored(reason) => Some(RejectedKey { kid, reason }),
                _ => None,
            })
            .collect();
        if sorted.keys.is_empty() {
            let reasons: Vec<String> = rejected
                .iter()
                .map(|r| format!("{:?}: {}", r.kid.as_deref().unwrap_or(""), r.reason))
                .collect();
            return Err(format!("JWKS has no usable key ({})", reasons.join("; ")));
        }
        Ok(KeySet {
            keys: sorted.keys,
            rejected,
        })
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
