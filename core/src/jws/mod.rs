//! JSON Web Signature (compact serialisation) verification against a [`KeySet`].
//!
//! This layer knows nothing of claims: it decodes a token strictly ([`compact`]) and checks the
//! signature with a trusted key whose algorithm matches. [`crate::Verifier`] adds key fetching,
//! issuers, audiences and times on top.

pub(crate) mod compact;

use std::collections::HashSet;
use std::sync::Arc;

pub use compact::{decode, CompactJws, KeyId, DEFAULT_MAX_TOKEN_BYTES};

use crate::error::{err, Reason, VerifyError};
use crate::keys::{KeySet, VerifyingKey};

/// The outcome of checking a decoded token against one key set.
#[derive(Debug)]
pub(crate) enum KeyMatch {
    /// The signature verified with this key.
    Verified(Arc<VerifyingKey>),
    /// No key in the set is a candidate (unknown `kid`, or no key of the token's algorithm).
    NoCandidate,
    /// Candidates exist; none verified. Carries the reason to report.
    Failed(VerifyError),
}

/// Checks the signature of `jws` with the keys of `set`: the key with the token's `kid`, or
/// every key of its algorithm when it has none. The algorithm always comes from the key.
pub(crate) fn match_key(jws: &CompactJws<'_>, set: &KeySet) -> KeyMatch {
    match_untried(jws, set, &mut Tried::default())
}

/// The key material a kid-less token was already checked against (over one set, then the set
/// refetched after it failed): each distinct key is tried once, whatever the number of entries
/// or fetches that carry it, since the same material gives the same answer again.
#[derive(Default)]
pub(crate) struct Tried(HashSet<[u8; 32]>);

/// [`match_key`], except that a kid-less token skips the keys whose material is in `tried`
/// (and records the ones it checks there). A token whose every candidate was skipped failed
/// with them before: `Failed`, as then. A token with a `kid` has one candidate per set and
/// tries it.
pub(crate) fn match_untried(jws: &CompactJws<'_>, set: &KeySet, tried: &mut Tried) -> KeyMatch {
    let kid = match &jws.kid {
        KeyId::Absent => None,
        KeyId::Id(k) => Some(k.as_str()),
        KeyId::NotAString => return KeyMatch::NoCandidate,
    };
    let mut candidates = 0;
    let mut wrong_alg = None;
    for key in set.candidates(kid, jws.alg) {
        if key.algorithm() != jws.alg {
            wrong_alg = Some(key.algorithm());
            continue;
        }
        candidates += 1;
        if kid.is_none() && !tried.0.insert(*key.fingerprint()) {
            continue;
        }
        if key.verify(jws.signing_input, &jws.signature) {
            return KeyMatch::Verified(key.clone());
        }
    }
    if candidates > 0 {
        return KeyMatch::Failed(err(
            Reason::BadSignature,
            "the signature does not verify with the trusted key",
        ));
    }
    if let Some(key_alg) = wrong_alg {
        return KeyMatch::Failed(err(
            Reason::UnsupportedAlgorithm,
            format!(
                "token says {} but its key {:?} is a {key_alg} key",
                jws.alg,
                kid.unwrap_or("")
            ),
        ));
    }
    KeyMatch::NoCandidate
}

/// Verifies a compact JWS against a fixed key set and returns its payload bytes. No claims are
/// checked: use [`crate::Verifier`] for tokens. Useful for test vectors and non-JWT payloads.
pub fn verify_compact(
    token: &str,
    keys: &KeySet,
    max_token_bytes: usize,
) -> Result<Vec<u8>, VerifyError> {
    let jws = decode(token, max_token_bytes)?;
    match match_key(&jws, keys) {
        KeyMatch::Verified(_) => Ok(jws.payload),
        KeyMatch::Failed(e) => Err(e),
        KeyMatch::NoCandidate => Err(err(
            Reason::UnknownKey,
            "no trusted key matches the token's kid and algorithm",
        )),
    }
}
