//! Verification speed, side by side with the reference (the `jsonwebtoken` crate on the same
//! aws-lc-rs backend), in one run: `cargo bench -p teleport-jwt --features mock --bench verify`.
//!
//! Three numbers per algorithm, all on a warm key cache (keys parsed once, no network):
//! - `teleport-jwt/cold-token`: a full verification (the token cache is off);
//! - `teleport-jwt/repeat-token`: the same token again, as Teleport reuses one token for minutes
//!   (times and key trust rechecked, signature skipped);
//! - `jsonwebtoken`: `decode` with a `DecodingKey` built once, validating iss, aud, exp, nbf.

use std::hint::black_box;

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
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
