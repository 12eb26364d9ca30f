//! A cache of already-verified tokens, keyed on the exact token string.
//!
//! Teleport reuses one token for many requests (up to 5 minutes for an HTTP app session, 10 for
//! an MCP session), so most verifications repeat one that already succeeded. A hit skips the
//! signature check but nothing else that can change: the times (`exp`, `nbf`, `iat`) are checked
//! again against "now", and the key that verified the token must still be in the issuer's current
//! key set (a refresh that drops or replaces keys invalidates every entry verified with them).
//! Failures are never cached. The key is the exact token string: a hit proves that these very
//! bytes verified before. Canonical base64url decoding makes each header, payload and signature
//! byte string spelt one way, but one signed claim set can still have two valid tokens (an
//! ECDSA signature `(r, s)` and its twin `(r, n - s)` both verify): those are two entries, each
//! verified on its own, which costs memory but never correctness.
//!
//! Bounded twice: at most `capacity` entries and at most `max_bytes` of estimated memory
//! (identity, claims, token, and the permissions `authorize` stores on the entry), spread over
//! shards with a read-write lock each, so hits from many threads do not serialise. A full shard
//! first drops expired entries (at most one sweep a second), then random ones: a random victim
//! keeps a hot token's miss rate at about one in `capacity / 16` inserts, where a fixed one
//! would evict the same re-inserted token every time. An entry larger than a quarter of a
//! shard's byte budget is not cached at all (such a token is verified in full every time); one
//! that grows past it when its permissions are stored is dropped then (such a token is verified
//! and mapped in full every time). A hit clones two `Arc`s, never the claims.

use std::collections::HashMap;
use std::mem::size_of;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use arc_swap::{ArcSwapOption, Guard};

use crate::identity::Identity;
use crate::keys::VerifyingKey;
use crate::policy::Permissions;

const SHARDS: usize = 16;

// The standard library's locks, not `parking_lot`'s: a forked child inherits `parking_lot`'s
// process-wide table of waiting threads with the parent's waiters in it (see
// `crate::keys::cache`). A shard's state is valid at every step, so a lock a panicking
// thread left is taken over.
fn read(shard: &RwLock<Shard>) -> RwLockReadGuard<'_, Shard> {
    shard.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(shard: &RwLock<Shard>) -> RwLockWriteGuard<'_, Shard> {
    shard.write().unwrap_or_else(PoisonError::into_inner)
}

/// What a hit needs to re-check.
pub(crate) struct Entry {
    pub(crate) identity: Arc<Identity>,
    pub(crate) key: Arc<VerifyingKey>,
    pub(crate) trust_index: usize,
    pub(crate) exp: f64,
    pub(crate) nbf: Option<f64>,
    pub(crate) iat: Option<f64>,
    /// The permission mapper's answer for this identity, computed on first `authorize`.
    pub(crate) permissions: std::sync::OnceLock<Arc<Permissions>>,
}

/// One shard: entries in a vector (so a random victim is O(1)) with an index by token.
#[derive(Default)]
struct Shard {
    index: HashMap<Arc<str>, usize>,
    slots: Vec<Slot>,
    bytes: usize,
    /// xorshift state for picking eviction victims.
    rng: u64,
    /// `now` of the last sweep for expired entries.
    last_sweep: f64,
}

struct Slot {
    token: Arc<str>,
    entry: Arc<Entry>,
    /// Estimated size in bytes.
    size: usize,
}

impl Shard {
    fn get(&self, token: &str) -> Option<&Slot> {
        self.index.get(token).map(|&i| &self.slots[i])
    }

    fn remove(&mut self, token: &str) {
        let Some(i) = self.index.remove(token) else {
            return;
        };
        let slot = self.slots.swap_remove(i);
        self.bytes -= slot.size;
        if let Some(moved) = self.slots.get(i) {
            if let Some(at) = self.index.get_mut(&moved.token) {
                *at = i;
            }
        }
    }

    /// Evicts a pseudo-random entry. Random, not "the first in the map": a fixed victim would
    /// be the same hot token every time it is re-inserted, and two hot tokens of one shard
    /// would evict each other on every insert.
    fn evict_one(&mut self) {
        if self.slots.is_empty() {
            return;
        }
        let mut x = self.rng | 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        let victim = self.slots[(x % self.slots.len() as u64) as usize]
            .token
            .clone();
        self.remove(&victim);
    }

    /// Drops expired entries, at most once a second of token time (a sweep is O(entries)).
    fn sweep(&mut self, now: f64) {
        if now - self.last_sweep < 1.0 {
            return;
        }
        self.last_sweep = now;
        let expired: Vec<Arc<str>> = self
            .slots
            .iter()
            .filter(|s| s.entry.exp <= now)
            .map(|s| s.token.clone())
            .collect();
        for token in expired {
            self.remove(&token);
        }
    }
}

pub(crate) struct TokenCache {
    shards: Vec<RwLock<Shard>>,
    per_shard: usize,
    per_shard_bytes: usize,
}

impl TokenCache {
    /// A cache of about `capacity` entries and `max_bytes` bytes; `None` when either is 0
    /// (caching off).
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Option<Self> {
        if capacity == 0 || max_bytes == 0 {
            return None;
        }
        Some(TokenCache {
            shards: (0..SHARDS)
                .map(|i| {
                    RwLock::new(Shard {
                        rng: 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1),
                        last_sweep: f64::NEG_INFINITY,
                        ..Shard::default()
                    })
                })
                .collect(),
            per_shard: capacity.div_ceil(SHARDS),
            per_shard_bytes: max_bytes.div_ceil(SHARDS),
        })
    }

    fn shard(&self, token: &str) -> &RwLock<Shard> {
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
        read(self.shard(token)).get(token).map(|s| s.entry.clone())
    }

    pub(crate) fn remove(&self, token: &str) {
        write(self.shard(token)).remove(token);
    }

    /// Remembers a verified token, unless its entry is too large to be worth its memory.
    pub(crate) fn insert(&self, token: &str, entry: Arc<Entry>, now: f64) {
        let size = entry_size(token, &entry);
        if size > self.per_shard_bytes / 4 {
            return;
        }
        let mut shard = write(self.shard(token));
        self.place(&mut shard, token, entry, size, now);
    }

    /// Accounts for what `entry` holds now: called when `authorize` has stored permissions on
    /// it. The entry is charged for them (others are evicted to make room), or dropped when it
    /// has become too large to cache, exactly as an entry too large on insert is never kept.
    /// Nothing happens when the token's cached entry is not `entry` (evicted, or replaced by
    /// another verification of the same token).
    pub(crate) fn resize(&self, token: &str, entry: &Arc<Entry>, now: f64) {
        let size = entry_size(token, entry);
        let mut shard = write(self.shard(token));
        if !shard
            .get(token)
            .is_some_and(|s| Arc::ptr_eq(&s.entry, entry))
        {
            return;
        }
        if size > self.per_shard_bytes / 4 {
            shard.remove(token);
            return;
        }
        self.place(&mut shard, token, entry.clone(), size, now);
    }

    /// Stores `entry` of `size` bytes under `token` (replacing any), first making room.
    fn place(&self, shard: &mut Shard, token: &str, entry: Arc<Entry>, size: usize, now: f64) {
        shard.remove(token);
        let full =
            |s: &Shard| s.slots.len() >= self.per_shard || s.bytes + size > self.per_shard_bytes;
        if full(shard) {
            shard.sweep(now);
        }
        while full(shard) && !shard.slots.is_empty() {
            shard.evict_one();
        }
        let token: Arc<str> = token.into();
        let at = shard.slots.len();
        shard.index.insert(token.clone(), at);
        shard.bytes += size;
        shard.slots.push(Slot { token, entry, size });
    }

    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).slots.len()).sum()
    }

    /// The estimated bytes held, over all shards.
    pub(crate) fn bytes(&self) -> usize {
        self.shards.iter().map(|s| read(s).bytes).sum()
    }
}

/// A verifier's token cache as a forked child finds it: in a new process (see [`crate::fork`])
/// it is replaced by an empty one, since a thread the child does not have may have held one
/// of its locks at the fork. The check is one atomic load per lookup.
pub(crate) struct TokenCacheCell {
    cache: ArcSwapOption<TokenCache>,
    /// The fork generation `cache` was built in.
    generation: AtomicU64,
    capacity: usize,
    max_bytes: usize,
}

impl TokenCacheCell {
    /// See [`TokenCache::new`]; `None` inside when caching is off.
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Self {
        TokenCacheCell {
            cache: ArcSwapOption::new(TokenCache::new(capacity, max_bytes).map(Arc::new)),
            generation: AtomicU64::new(crate::fork::generation()),
            capacity,
            max_bytes,
        }
    }

    /// Whether caching is on.
    pub(crate) fn is_on(&self) -> bool {
        self.capacity > 0 && self.max_bytes > 0
    }

    /// The cache of this process (`None` inside when caching is off).
    pub(crate) fn get(&self) -> Guard<Option<Arc<TokenCache>>> {
        let generation = crate::fork::generation();
        if self.generation.load(Ordering::Relaxed) != generation {
            self.cache
                .store(TokenCache::new(self.capacity, self.max_bytes).map(Arc::new));
            self.generation.store(generation, Ordering::Relaxed);
        }
        self.cache.load()
    }
}

/// Estimated memory of one cached token: the entry, the token string used as the key, the heap
/// behind the identity, and the permissions `authorize` stored on it, if any. An estimate
/// (allocator overhead and map nodes are approximated), close enough to bound the cache by
/// bytes.
fn entry_size(token: &str, entry: &Entry) -> usize {
    let id = &entry.identity;
    let strings = |v: &[String]| {
        v.iter()
            .map(|s| size_of::<String>() + s.len())
            .sum::<usize>()
    };
    let traits: usize = id
        .traits
        .iter()
        .map(|(k, v)| crate::json::MAP_ENTRY + k.len() + strings(v))
        .sum();
    size_of::<Entry>()
        + size_of::<Identity>()
        + token.len()
        + id.username.len()
        + id.sub.len()
        + id.issuer.len()
        + id.trust_entry.len()
        + id.jti.as_ref().map_or(0, String::len)
        + id.key_id.as_ref().map_or(0, String::len)
        + strings(&id.roles)
        + strings(&id.audience)
        + traits
        + id.claims.heap_estimate()
        + entry.permissions.get().map_or(0, |p| {
            // The `Arc`'s counts, the value, and its heap.
            2 * size_of::<usize>() + size_of::<Permissions>() + p.heap_estimate()
        })
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
            identity: Arc::new(Identity {
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
            }),
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
        assert!(TokenCache::new(0, 1 << 20).is_none());
        assert!(TokenCache::new(32, 0).is_none());
        let cache = TokenCache::new(32, 1 << 20).unwrap();
        for i in 0..1000 {
            cache.insert(&format!("token-{i}"), Arc::new(entry(100.0)), 50.0);
        }
        assert!(cache.len() <= 32, "{}", cache.len());
        assert!(cache.get("token-999").is_some(), "the newest entry is kept");
        cache.remove("token-999");
        assert!(cache.get("token-999").is_none());
    }

    #[test]
    fn a_hot_token_survives_a_stream_of_distinct_ones() {
        // One shard of 64 entries, a hot token hit between every four distinct inserts: with a
        // fixed victim the re-inserted hot token was evicted again by every insert.
        let cache = TokenCache::new(64 * SHARDS, 1 << 30).unwrap();
        let hot = "hot-token";
        let shard_of = |t: &str| std::ptr::from_ref(cache.shard(t));
        let mut misses = 0;
        let mut n = 0u32;
        for round in 0..5_000 {
            if cache.get(hot).is_none() {
                misses += 1;
                cache.insert(hot, Arc::new(entry(100.0)), 50.0);
            }
            for _ in 0..4 {
                // Distinct tokens of the hot token's shard only.
                let t = loop {
                    n += 1;
                    let t = format!("t-{round}-{n}");
                    if shard_of(&t) == shard_of(hot) {
                        break t;
                    }
                };
                cache.insert(&t, Arc::new(entry(100.0)), 50.0);
            }
        }
        assert!(misses < 5_000 / 10, "{misses} misses in 5000 hits");
    }

    #[test]
    fn expired_entries_are_dropped_before_live_ones() {
        let cache = TokenCache::new(16 * SHARDS, 1 << 30).unwrap();
        for i in 0..2_000 {
            cache.insert(&format!("old-{i}"), Arc::new(entry(10.0)), 5.0);
        }
        cache.insert("live", Arc::new(entry(100.0)), 50.0);
        for i in 0..2_000 {
            cache.insert(&format!("new-{i}"), Arc::new(entry(100.0)), 50.0);
        }
        let old = (0..2_000)
            .filter(|i| cache.get(&format!("old-{i}")).is_some())
            .count();
        assert_eq!(old, 0, "expired entries were swept");
        assert!(cache.len() <= 16 * SHARDS);
    }

    #[test]
    fn bytes_are_bounded_and_oversized_entries_are_not_cached() {
        let budget = 64 * 1024;
        let cache = TokenCache::new(100_000, budget).unwrap();
        for i in 0..10_000 {
            cache.insert(&format!("token-{i}"), Arc::new(entry(100.0)), 50.0);
        }
        assert!(cache.bytes() <= budget, "{} > {budget}", cache.bytes());
        assert!(cache.len() > 50, "small entries still fit: {}", cache.len());
        let mut big = entry(100.0);
        let claims = serde_json::json!({ "blob": vec!["x".repeat(100); 1000] });
        let serde_json::Value::Object(claims) = claims else {
            unreachable!()
        };
        Arc::get_mut(&mut big.identity).unwrap().claims = claims.into();
        cache.insert("big", Arc::new(big), 50.0);
        assert!(
            cache.get("big").is_none(),
            "a 100 KB entry exceeds a quarter shard"
        );
        assert!(cache.bytes() <= budget);
    }
}
