//! The checks of one token, in the order the [module docs](super) give: the verified-token
//! cache first (a hit is re-checked against the current keys and the time), else the full
//! verification: the JWS, the payload, the trust entry its `iss` names, its key (refetching for
//! an unknown `kid` within the budget), and the claims.

use std::sync::Arc;

use super::{Trust, Verifier};
use crate::claims::{self, ClaimRules};
use crate::error::{err, Reason, VerifyError};
use crate::identity::{Claims, Identity};
use crate::jws::{self, KeyId, KeyMatch};
use crate::keys::cache::{Snapshot, Stop, Wait};
use crate::token_cache::Entry;

impl Verifier {
    /// The cache entry for a verified token: from the cache when still good, else from a full
    /// verification (then cached).
    pub(super) fn verified_entry(
        &self,
        token: &str,
        now: f64,
        wait: Wait,
    ) -> Result<Arc<Entry>, Stop> {
        let tokens = self.inner.tokens.get();
        if let Some(cache) = tokens.as_deref() {
            let hit = cache.get(token);
            self.inner.counters.cache_lookup(hit.is_some());
            if let Some(hit) = hit {
                match self.recheck(&hit, now, wait) {
                    Ok(true) => return Ok(hit),
                    Ok(false) => cache.remove(token),
                    Err(e) => return Err(e),
                }
            }
        }
        let entry = Arc::new(self.verify_fully(token, now, wait)?);
        if let Some(cache) = tokens.as_deref() {
            cache.insert(token, entry.clone(), now);
        }
        Ok(entry)
    }

    fn rules<'a>(&self, trust: &'a Trust, now: f64) -> ClaimRules<'a> {
        ClaimRules {
            audiences: &trust.entry.audiences,
            require_iat: trust.entry.require_iat,
            leeway_secs: self.inner.options.leeway.as_secs_f64(),
            now,
        }
    }

    /// Whether a cached verification still holds: its key is still trusted (`Ok(false)`:
    /// verify again from scratch) and its times still hold (else the time error).
    fn recheck(&self, hit: &Entry, now: f64, wait: Wait) -> Result<bool, Stop> {
        let Some(trust) = self.inner.entries.get(hit.trust_index) else {
            return Ok(false);
        };
        let snapshot = trust.cache.get_with(wait)?;
        if !snapshot
            .keys
            .keys()
            .iter()
            .any(|k| Arc::ptr_eq(k, &hit.key))
        {
            return Ok(false);
        }
        let times = claims::Times {
            exp: hit.exp,
            nbf: hit.nbf,
            iat: hit.iat,
        };
        claims::check_times(&times, &self.rules(trust, now))?;
        Ok(true)
    }

    pub(super) fn verify_fully(&self, token: &str, now: f64, wait: Wait) -> Result<Entry, Stop> {
        let options = &self.inner.options;
        let jws = jws::decode(token, options.max_token_bytes)?;
        let payload = claims::Payload::read(&jws.payload)?;
        let claim_set = payload.claims();
        let (trust_index, trust) = self.trust_for(claim_set.iss)?;
        let key = self.find_key(trust, &jws, wait)?;
        let checked = claims::check(&claim_set, &self.rules(trust, now))?;
        let (map, heap) = payload.into_parts();
        let claims = Claims::verified(jws.payload, map, heap);
        let identity = Arc::new(Identity {
            username: checked.username,
            sub: checked.sub,
            roles: checked.roles,
            traits: checked.traits,
            issuer: trust.entry.issuer.clone(),
            audience: checked.audience,
            expires_at: checked.expires_at,
            issued_at: checked.issued_at,
            not_before: checked.not_before,
            jti: checked.jti,
            key_id: key.kid().map(str::to_owned),
            algorithm: key.algorithm(),
            trust_entry: trust.entry.name.clone(),
            kind: trust.entry.kind,
            claims,
        });
        Ok(Entry {
            identity,
            key,
            trust_index,
            exp: checked.times.exp,
            nbf: checked.times.nbf,
            iat: checked.times.iat,
            permissions: Default::default(),
        })
    }

    fn trust_for(&self, iss: Option<claims::Claim<'_>>) -> Result<(usize, &Trust), VerifyError> {
        let iss = match iss {
            Some(c) => c.as_str().ok_or_else(|| {
                err(
                    Reason::InvalidClaim,
                    format!("`iss` is {}, not a string", c.kind()),
                )
            })?,
            None => return Err(err(Reason::MissingClaim, "`iss` is missing")),
        };
        self.inner
            .entries
            .iter()
            .enumerate()
            .find(|(_, t)| t.entry.issuer == *iss)
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .inner
                    .entries
                    .iter()
                    .map(|t| t.entry.issuer.as_str())
                    .collect();
                err(
                    Reason::IssuerMismatch,
                    format!("issuer {iss:?} is not trusted (trusted: {known:?})"),
                )
            })
    }

    /// The key that verifies `jws`, refetching once (rate-limited) when the cached set has no
    /// candidate, or, for a token without `kid`, when no candidate verifies.
    fn find_key(
        &self,
        trust: &Trust,
        jws: &jws::CompactJws<'_>,
        wait: Wait,
    ) -> Result<Arc<crate::keys::VerifyingKey>, Stop> {
        if jws.kid == KeyId::NotAString {
            return Err(err(
                Reason::UnknownKey,
                "the token's `kid` is not a string and matches no key",
            )
            .into());
        }
        let snapshot = trust.cache.get_with(wait)?;
        // Kid-less: the trial after a refetch skips the keys this one tried.
        let mut tried = jws::Tried::default();
        match jws::match_untried(jws, &snapshot.keys, &mut tried) {
            KeyMatch::Verified(k) => return Ok(k),
            KeyMatch::Failed(e)
                if jws.kid != KeyId::Absent || e.reason() != Reason::BadSignature =>
            {
                return Err(e.into())
            }
            KeyMatch::Failed(_) | KeyMatch::NoCandidate => {}
        }
        let newer: Arc<Snapshot> = trust.cache.refresh_for_unknown_key(&snapshot, wait)?;
        match jws::match_untried(jws, &newer.keys, &mut tried) {
            KeyMatch::Verified(k) => Ok(k),
            KeyMatch::Failed(e) => Err(e.into()),
            KeyMatch::NoCandidate => Err(Stop::Error(err(
                Reason::UnknownKey,
                match &jws.kid {
                    KeyId::Id(kid) => format!(
                        "no trusted key has kid {:?} (keys from {})",
                        truncate(kid, 80),
                        trust.cache.describe()
                    ),
                    _ => format!(
                        "no {} key among the trusted keys from {}",
                        jws.alg,
                        trust.cache.describe()
                    ),
                },
            ))),
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use serde_json::{json, Value};

    use super::*;
    use crate::clock::unix_seconds;
    use crate::config::{KeysFrom, TrustEntry};
    use crate::keys::jwk::SIGNATURE_CHECKS;
    use crate::keys::KeySource;

    const ISSUER: &str = "issuer.example.com";
    const AUDIENCE: &str = "mcp+http://127.0.0.1:8000/mcp";

    /// Publishes its first document on the first fetch, the second afterwards.
    struct Growing {
        jwks: [Vec<u8>; 2],
        fetches: AtomicUsize,
    }

    impl KeySource for Growing {
        fn fetch_jwks(&self) -> Result<Vec<u8>, VerifyError> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            Ok(self.jwks[n.min(1)].clone())
        }
        fn describe(&self) -> String {
            "a growing JWKS".into()
        }
    }

    /// Each key as Teleport publishes it (with its `kid`, and again with `"kid": ""`).
    fn jwks(keys: &[EcdsaKeyPair]) -> Vec<u8> {
        let mut entries: Vec<Value> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let point = k.public_key().as_ref();
            let jwk = |kid: String| {
                json!({"kty": "EC", "crv": "P-256", "kid": kid,
                       "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                       "y": URL_SAFE_NO_PAD.encode(&point[33..65])})
            };
            entries.push(jwk(format!("k{i}")));
            entries.push(jwk(String::new()));
            if i == 0 {
                entries.push(jwk("k0-again".into())); // the same key under a second kid
            }
        }
        json!({ "keys": entries }).to_string().into_bytes()
    }

    /// An ES256 token with this header, signed by `key` or, without one, with a made-up
    /// signature.
    fn token(header: &str, key: Option<&EcdsaKeyPair>) -> String {
        let exp = unix_seconds(std::time::SystemTime::now()) as i64 + 300;
        let header = URL_SAFE_NO_PAD.encode(header);
        let claims = json!({"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "exp": exp});
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = match key {
            Some(k) => k
                .sign(&SystemRandom::new(), input.as_bytes())
                .expect("signs")
                .as_ref()
                .to_vec(),
            None => vec![0x5a; 64],
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn checks(f: impl FnOnce()) -> u64 {
        let before = SIGNATURE_CHECKS.with(std::cell::Cell::get);
        f();
        SIGNATURE_CHECKS.with(std::cell::Cell::get) - before
    }

    /// Finding 7: a kid-less token was checked against every key of the set, then, after the
    /// refetch its failure triggers, against every key again (200 checks with 100 keys, 4.6 ms).
    /// Now each distinct key material is tried once per token: blank-kid twins and a key under
    /// two kids count once, and the trial after a refetch tries only the keys it brought.
    #[test]
    fn finding_07_a_kid_less_token_tries_each_distinct_key_once() {
        let keys: Vec<EcdsaKeyPair> = (0..101)
            .map(|_| EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("key"))
            .collect();
        let source = Arc::new(Growing {
            jwks: [jwks(&keys[..100]), jwks(&keys)],
            fetches: AtomicUsize::new(0),
        });
        let verifier = Verifier::builder()
            .trust(TrustEntry::new(
                ISSUER,
                vec![AUDIENCE.into()],
                KeysFrom::Source(source.clone()),
            ))
            .configure(|o| o.cache.max_keys = 1000)
            .build()
            .expect("builds");
        verifier.warm_up().expect("keys load");

        // Signed by the key only the refetch brings: 100 keys fail, the refetch adds one.
        let kidless = r#"{"alg":"ES256","typ":"JWT"}"#;
        let new_key = token(kidless, Some(&keys[100]));
        let n = checks(|| assert!(verifier.verify(&new_key).is_ok()));
        assert_eq!(n, 101, "100 distinct keys, then only the new one");
        assert_eq!(source.fetches.load(Ordering::SeqCst), 2);

        // Forged: its failure uses the budget's second refetch, which brings the same keys; the
        // set is tried once, not once more.
        let forged = token(kidless, None);
        let mut refused = None;
        let n = checks(|| refused = verifier.verify(&forged).err());
        assert_eq!(n, 101, "101 distinct keys, each once");
        assert_eq!(refused.map(|e| e.reason()), Some(Reason::BadSignature));

        // A token with a kid is checked against that key alone.
        let with_kid = token(r#"{"alg":"ES256","kid":"k7","typ":"JWT"}"#, Some(&keys[7]));
        let n = checks(|| assert!(verifier.verify(&with_kid).is_ok()));
        assert_eq!(n, 1);
    }
}
