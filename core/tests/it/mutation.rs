//! Robustness: thousands of mutated tokens and JWKS documents, from a fixed seed. None may
//! panic, none may verify unless it decodes to the very same header, payload and signature,
//! and every refusal carries a reason code. (A deterministic stand-in for fuzzing that runs in
//! every `make test`.)

use teleport_jwt::mock::Ca;
use teleport_jwt::{Algorithm, KeySet, KeysFrom, TrustEntry, Verifier};

use crate::common::*;

/// xorshift64*: a tiny deterministic generator, enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \0\xff{}\"";

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        if out.is_empty() {
            out.push(b'a');
        }
        let i = rng.below(out.len());
        match rng.below(5) {
            0 => out[i] = ALPHABET[rng.below(ALPHABET.len())],
            1 => {
                out.remove(i);
            }
            2 => out.insert(i, ALPHABET[rng.below(ALPHABET.len())]),
            3 => {
                let j = rng.below(out.len());
                out.swap(i, j)
            }
            _ => out.truncate(i),
        }
    }
    out
}

#[test]
fn mutated_tokens_never_panic_and_never_verify() {
    for (alg, seed) in [
        (Algorithm::RS256, 0x9E37_79B9_7F4A_7C15),
        (Algorithm::ES256, 0xD1B5_4A32_D192_ED03),
    ] {
        let m = mock(alg);
        let v = Verifier::builder()
            .trust(TrustEntry::new(
                m.cluster_name(),
                vec![AUD.into()],
                KeysFrom::StaticJwks(m.jwks_json(Ca::Jwt)),
            ))
            .build()
            .unwrap();
        let token = m.mint(&Default::default()).unwrap();
        v.verify(&token).unwrap();
        let mut rng = Rng(seed);
        let mut refused = 0;
        for _ in 0..5_000 {
            let bytes = mutate(&mut rng, token.as_bytes());
            let Ok(text) = String::from_utf8(bytes) else {
                refused += 1;
                continue;
            };
            match v.verify(&text) {
                // Only a mutation that leaves the token itself intact may pass.
                Ok(_) => assert_eq!(text, token, "a changed token verified"),
                Err(e) => {
                    assert!(!e.code().is_empty());
                    refused += 1;
                }
            }
        }
        assert!(refused > 4_900, "{refused}");
    }
}

#[test]
fn mutated_jwks_documents_never_panic() {
    let m = mock(Algorithm::ES256);
    let doc = m.jwks_json(Ca::Jwt);
    let mut rng = Rng(42);
    let mut usable = 0;
    for _ in 0..5_000 {
        let bytes = mutate(&mut rng, doc.as_bytes());
        if let Ok(set) = KeySet::from_jwks_json(&bytes, 100) {
            usable += 1;
            assert!(!set.is_empty());
        }
    }
    // Most single mutations break the JSON or the key; some (inside a kid) do not.
    assert!(usable < 5_000);
}
