//! A cache of already-verified tokens, keyed on the exact token string.
//!
//! Teleport reuses one token for many requests (up to 5 minutes for an HTTP app session, 10 for
//! an MCP session), so most verifications repeat one that already succeeded. A hit skips the
//! signature check but nothing else that can change: the times (`exp`, `nbf`, `iat`) are checked
//! again against "now", and the key that verified the token must still be in the issuer's current
//! key set (a refresh that drops or replaces keys invalidates every entry verified with them).
//! Failures are never cached. Canonical base64url decoding guarantees one spelling per token, so
//! the string is a sound key.
//!
//! Bounded: at most `capacity` entries, spread over shards with a read-write lock each, so hits
//! from many threads do not serialise. A full shard first drops expired entries, then arbitrary
//! ones.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::identity::Identity;
use crate::keys::VerifyingKey;
use crate::policy::Permissions;

const SHARDS: usize = 16;

/// What a hit needs to re-check.
pub(crate) struct Entry {
    pub(crate) identity: Identity,
    pub(crate) key: Arc<VerifyingKey>,
    pub(crate) trust_index: usize,
    pub(crate) exp: f64,
    pub(crate) nbf: Option<f64>,
    pub(crate) iat: Option<f64>,
    /// The permission mapper's answer for this identity, computed on first `authorize`.
    pub(crate) permissions: std::sync::OnceLock<Arc<Permissions>>,
}

pub(crate) struct TokenCache {
    shards: Vec<RwLock<HashMap<Box<str>, Arc<Entry>>>>,
    per_shard: usize,
}

impl TokenCache {
    /// A cache of about `capacity` entries; `None` when `capacity` is 0 (caching off).
    pub(crate) fn new(capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        Some(TokenCache {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
        })
    }

    fn shard(&self, token: &str) -> &RwLock<HashMap<Box<str>, Arc<Entry>>> {
        // The last bytes of a token are signature bytes: uniformly distributed.
        let b = token.as_bytes();
        let h = b
            .iter()
            .rev()
            .take(4)
            .fold(0usize, |acc, &x| acc * 31 + x as usize);
        &self.shards[h % SHARDS]
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<Entry>> {
        self.shard(token).read().get(token).cloned()
    }

    pub(crate) fn remove(&self, token: &str) {
        self.shard(token).write().remove(token);
    }

    pub(crate) fn insert(&self, token: &str, entry: Arc<Entry>, now: f64) {
        let mut shard = self.shard(token).write();
        if shard.len() >= self.per_shard {
            shard.retain(|_, e| e.exp > now);
        }
        while shard.len() >= self.per_shard {
            let Some(victim) = shard.keys().next().cloned() else {
                break;
            };
            shard.remove(&victim);
        }
        shard.insert(token.into(), entry);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alg::{Algorithm, TokenKind};

    fn key() -> Arc<VerifyingKey> {
        let jwk = serde_json::json!({"kty":"EC","crv":"P-256",
            "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
        let serde_json::Value::Object(m) = jwk else {
            unreachable!()
        };
        Arc::new(VerifyingKey::from_jwk(&m).unwrap())
    }

    fn entry(exp: f64) -> Entry {
        Entry {
            identity: Identity {
                username: "u".into(),
                sub: "u".into(),
                roles: vec![],
                traits: Default::default(),
                issuer: "i".into(),
                audience: vec![],
                expires_at: exp as i64,
                issued_at: None,
                not_before: None,
                jti: None,
                key_id: None,
                algorithm: Algorithm::ES256,
                trust_entry: "i".into(),
                kind: TokenKind::Generic,
                claims: Default::default(),
            },
            key: key(),
            trust_index: 0,
            exp,
            nbf: None,
            iat: None,
            permissions: Default::default(),
        }
    }

    #[test]
    fn capacity_is_bounded_and_expired_entries_go_first() {
        assert!(TokenCache::new(0).is_none());
        let cache = TokenCache::new(32).unwrap();
        for i in 0..1000 {
            cache.insert(&format!("token-{i}"), Arc::new(entry(100.0)), 50.0);
        }
        assert!(cache.len() <= 32, "{}", cache.len());
        assert!(cache.get("token-999").is_some(), "the newest entry is kept");
        cache.remove("token-999");
        assert!(cache.get("token-999").is_none());
    }
}
