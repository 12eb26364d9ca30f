//! Verification speed, side by side with the reference (the `jsonwebtoken` crate on the same
//! aws-lc-rs backend), in one run: `cargo bench -p teleport-jwt --features mock --bench verify`.
//!
//! Four numbers per algorithm, all on a warm key cache (keys parsed once, no network):
//! - `teleport-jwt/cold-token`: a full verification (the token cache is off);
//! - `teleport-jwt/repeat-token`: the same token again, as Teleport reuses one token for minutes
//!   (times and key trust rechecked, signature skipped);
//! - `jsonwebtoken`: `decode` with a `DecodingKey` built once, validating iss, aud, exp, nbf;
//! - `raw-aws-lc/verify_sig`: the crypto floor: the same token's signature checked over its
//!   signing input with an aws-lc-rs `ParsedPublicKey` built once, with the algorithm the core
//!   uses (`RSA_PKCS1_2048_8192_SHA256` / `ECDSA_P256_SHA256_FIXED`); nothing else.

use std::hint::black_box;

use aws_lc_rs::signature::{
    ParsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
use teleport_jwt::mock::{Ca, MintSpec, MockOptions, MockTeleport};
use teleport_jwt::{Algorithm, KeysFrom, TrustEntry, Verifier};

const AUD: &str = "mcp+http://127.0.0.1:8000/mcp";

fn verifier(m: &MockTeleport, token_cache_capacity: usize) -> Verifier {
    Verifier::builder()
        .trust(TrustEntry::new(
            m.cluster_name(),
            vec![AUD.into()],
            KeysFrom::StaticJwks(m.jwks_json(Ca::Jwt)),
        ))
        .configure(|o| o.token_cache_capacity = token_cache_capacity)
        .build()
        .expect("verifier")
}

fn reference_key(m: &MockTeleport) -> (jsonwebtoken::DecodingKey, jsonwebtoken::Validation) {
    let jwks: Value = serde_json::from_str(&m.jwks_json(Ca::Jwt)).expect("jwks");
    let k = &jwks["keys"][0];
    let s = |name: &str| k[name].as_str().expect("member").to_string();
    let (key, alg) = match m.signing_algorithm(Ca::Jwt) {
        Algorithm::RS256 => (
            jsonwebtoken::DecodingKey::from_rsa_components(&s("n"), &s("e")).expect("rsa"),
            jsonwebtoken::Algorithm::RS256,
        ),
        Algorithm::ES256 => (
            jsonwebtoken::DecodingKey::from_ec_components(&s("x"), &s("y")).expect("ec"),
            jsonwebtoken::Algorithm::ES256,
        ),
    };
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_audience(&[AUD]);
    validation.set_issuer(&[m.cluster_name()]);
    validation.validate_nbf = true;
    (key, validation)
}

/// The JWK as the public key bytes aws-lc-rs parses (as `keys::jwk` builds them): PKCS#1
/// `RSAPublicKey` DER for RSA, the uncompressed SEC1 point for P-256.
fn raw_key(m: &MockTeleport) -> ParsedPublicKey {
    let jwks: Value = serde_json::from_str(&m.jwks_json(Ca::Jwt)).expect("jwks");
    let k = &jwks["keys"][0];
    let b = |name: &str| {
        let s = k[name].as_str().expect("member");
        URL_SAFE_NO_PAD.decode(s).expect("base64url")
    };
    let (algorithm, bytes): (&'static dyn VerificationAlgorithm, Vec<u8>) =
        match m.signing_algorithm(Ca::Jwt) {
            Algorithm::RS256 => (&RSA_PKCS1_2048_8192_SHA256, rsa_pkcs1_der(&b("n"), &b("e"))),
            Algorithm::ES256 => {
                let mut point = vec![0x04];
                for c in ["x", "y"] {
                    let c = b(c);
                    point.extend(std::iter::repeat_n(0u8, 32 - c.len()));
                    point.extend_from_slice(&c);
                }
                (&ECDSA_P256_SHA256_FIXED, point)
            }
        };
    ParsedPublicKey::new(algorithm, &bytes).expect("key")
}

fn rsa_pkcs1_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            l if l < 0x80 => out.push(l as u8),
            l if l < 0x100 => out.extend([0x81, l as u8]),
            l => out.extend([0x82, (l >> 8) as u8, l as u8]),
        }
        out.extend_from_slice(content);
        out
    }
    fn int(m: &[u8]) -> Vec<u8> {
        let m = &m[m.iter().position(|&x| x != 0).unwrap_or(m.len())..];
        let mut c = Vec::new();
        if m.first().is_none_or(|b| b & 0x80 != 0) {
            c.push(0);
        }
        c.extend_from_slice(m);
        tlv(0x02, &c)
    }
    let mut body = int(n);
    body.extend(int(e));
    tlv(0x30, &body)
}

fn bench(c: &mut Criterion) {
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        let m = MockTeleport::start_with(MockOptions {
            algorithm: alg,
            ..Default::default()
        })
        .expect("mock");
        let token = m.mint(&MintSpec::default()).expect("token");
        let cold = verifier(&m, 0);
        let warm = verifier(&m, 1024);
        cold.verify(&token).expect("verifies");
        warm.verify(&token).expect("verifies");
        let (key, validation) = reference_key(&m);
        jsonwebtoken::decode::<Value>(&token, &key, &validation).expect("reference verifies");
        let raw = raw_key(&m);
        let (signing_input, signature_b64) = token.rsplit_once('.').expect("three segments");
        let signature = URL_SAFE_NO_PAD.decode(signature_b64).expect("signature");
        raw.verify_sig(signing_input.as_bytes(), &signature)
            .expect("raw verifies");

        let mut group = c.benchmark_group(alg.as_str());
        group.bench_function("teleport-jwt/cold-token", |b| {
            b.iter(|| cold.verify(black_box(&token)).expect("ok"))
        });
        group.bench_function("teleport-jwt/repeat-token", |b| {
            b.iter(|| warm.verify(black_box(&token)).expect("ok"))
        });
        group.bench_function("jsonwebtoken", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<Value>(black_box(&token), &key, &validation).expect("ok")
            })
        });
        group.bench_function("raw-aws-lc/verify_sig", |b| {
            b.iter(|| {
                raw.verify_sig(black_box(signing_input.as_bytes()), black_box(&signature))
                    .expect("ok")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
