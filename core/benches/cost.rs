//! The costs issue 21 found unbounded (finding 7), each in one run:
//!
//! - `Policy::permissions` for one identity whose trait has 1,000 values, through 50 rules that
//!   each grant a glob per value (50,000 granted globs to deduplicate);
//! - a forged token checked against a 100-key RS256 JWKS, without `kid` (every key is a
//!   candidate) and with one (one candidate), with a static key source so nothing waits on the
//!   network.
//!
//! ```sh
//! cargo bench -p teleport-jwt --all-features --bench cost -- --measurement-time 5 --warm-up-time 1
//! ```

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use criterion::Criterion;
use serde_json::json;
use teleport_jwt::policy::Policy;
use teleport_jwt::{Algorithm, Identity, KeysFrom, TokenKind, TrustEntry, Verifier};

const ISSUER: &str = "issuer.example.com";
const AUDIENCE: &str = "mcp+http://127.0.0.1:8000/mcp";

/// `rules` rules, each granting one glob per value of the trait `orgs`.
fn glob_policy(rules: usize) -> Policy {
    let mut y = String::from("version: 1\nrules:\n");
    for i in 0..rules {
        y.push_str(&format!(
            "  - match: {{}}\n    grant: [\"repo:{{{{traits.orgs}}}}:r{i}_*\"]\n"
        ));
    }
    Policy::from_yaml_str(&y).expect("policy loads")
}

fn identity_with_orgs(n: usize) -> Identity {
    Identity {
        username: "alice".into(),
        sub: "alice".into(),
        roles: vec![],
        traits: [(
            "orgs".to_string(),
            (0..n).map(|i| format!("org{i}")).collect(),
        )]
        .into(),
        issuer: ISSUER.into(),
        audience: vec![],
        expires_at: 0,
        issued_at: None,
        not_before: None,
        jti: None,
        key_id: None,
        algorithm: Algorithm::RS256,
        trust_entry: ISSUER.into(),
        kind: TokenKind::Generic,
        claims: Default::default(),
    }
}

/// A JWKS of `n` fresh RSA-2048 keys, each published twice as Teleport does (with its `kid` and
/// with `"kid": ""`).
fn rsa_jwks(n: usize) -> String {
    let mut keys = Vec::new();
    for i in 0..n {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        // PKCS#1 RSAPublicKey of a 2048-bit modulus with e = 65537:
        // 30 82 01 0a | 02 82 01 01 00 <n: 256 bytes> | 02 03 01 00 01.
        let der = pair.public_key().as_ref();
        assert_eq!((der.len(), &der[4..9]), (270, &[2, 0x82, 1, 1, 0][..]));
        let (n, e) = (&der[9..265], &der[267..270]);
        for kid in [format!("k{i}"), String::new()] {
            keys.push(
                json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
                             "n": URL_SAFE_NO_PAD.encode(n), "e": URL_SAFE_NO_PAD.encode(e)}),
            );
        }
    }
    json!({ "keys": keys }).to_string()
}

/// An RS256 token with this header and a made-up signature.
fn forged(header: &str) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        + 3600;
    let claims = json!({"iss": ISSUER, "sub": "mallory", "aud": AUDIENCE, "exp": exp});
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode([0x5a; 256])
    )
}

fn benches(c: &mut Criterion) {
    let id = identity_with_orgs(1000);
    let mut g = c.benchmark_group("cost");
    g.sample_size(10);
    for rules in [5, 50] {
        let policy = glob_policy(rules);
        assert_eq!(policy.permissions(&id).granted().len(), rules * 1000);
        g.bench_function(format!("permissions_1000_values_{rules}_glob_rules"), |b| {
            b.iter(|| policy.permissions(black_box(&id)))
        });
    }

    let verifier = Verifier::builder()
        .trust(TrustEntry::new(
            ISSUER,
            vec![AUDIENCE.into()],
            KeysFrom::StaticJwks(rsa_jwks(100)),
        ))
        .configure(|o| o.cache.max_keys = 200)
        .build()
        .expect("verifier builds");
    verifier.warm_up().expect("static keys load");
    let kidless = forged(r#"{"alg":"RS256","typ":"JWT"}"#);
    let with_kid = forged(r#"{"alg":"RS256","kid":"k0","typ":"JWT"}"#);
    for (name, token) in [
        ("forged_kidless_100_keys", &kidless),
        ("forged_with_kid_100_keys", &with_kid),
    ] {
        assert!(verifier.verify(token).is_err());
        g.bench_function(name, |b| {
            b.iter(|| verifier.verify(black_box(token)).is_err())
        });
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    benches(&mut c);
    c.final_summary();
}
