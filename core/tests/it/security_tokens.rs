//! SECURITY-CASES.md 1-24: hostile tokens and keys. Each test is named `sec_NN_` after its case
//! and asserts the specific reason code. Tokens are checked against a mock Teleport over real
//! loopback HTTPS; cases that must not fetch assert the mock's request counter.

use serde_json::{json, Value};
use teleport_jwt::mock::Ca;
use teleport_jwt::{
    Algorithm, KeySet, KeysFrom, ManualClock, Reason, TrustEntry, Verifier, VerifierOptions,
};

use crate::common::*;

fn raw_token(header: &str, payload: &str, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.as_bytes()),
        b64(payload.as_bytes()),
        b64(sig)
    )
}

#[test]
fn sec_01_alg_none_in_any_spelling_is_rejected_before_any_fetch() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let payload = serde_json::to_string(&claims(&m)).unwrap();
    for alg in ["none", "None", "nOnE", "NONE"] {
        let h = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
        let unsigned = format!("{}.{}.", b64(h.as_bytes()), b64(payload.as_bytes()));
        assert_reason(v.verify(&unsigned), Reason::UnsupportedAlgorithm);
        let with_sig = raw_token(&h, &payload, b"sig");
        assert_reason(v.verify(&with_sig), Reason::UnsupportedAlgorithm);
    }
    assert_eq!(m.request_count(), 0, "no key fetch for an unsigned token");
}

#[test]
fn sec_02_hmac_signed_with_the_public_key_is_rejected() {
    use aws_lc_rs::hmac;
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let jwks = m.jwks_json(Ca::Jwt);
    let doc: Value = serde_json::from_str(&jwks).unwrap();
    let jwk = doc["keys"][0].to_string();
    let n = unb64(doc["keys"][0]["n"].as_str().unwrap());
    let secrets: Vec<Vec<u8>> = vec![
        jwk.clone().into_bytes(),
        format!("  {jwk}").into_bytes(),
        jwks.clone().into_bytes(),
        n,
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            b64(jwk.as_bytes())
        )
        .into_bytes(),
    ];
    let payload = serde_json::to_string(&claims(&m)).unwrap();
    for (alg, algo) in [
        ("HS256", hmac::HMAC_SHA256),
        ("HS384", hmac::HMAC_SHA384),
        ("HS512", hmac::HMAC_SHA512),
    ] {
        for secret in &secrets {
            let h = json!({"alg": alg, "kid": m.signing_key_id(Ca::Jwt), "typ": "JWT"}).to_string();
            let input = format!("{}.{}", b64(h.as_bytes()), b64(payload.as_bytes()));
            let tag = hmac::sign(&hmac::Key::new(algo, secret), input.as_bytes());
            let token = format!("{input}.{}", b64(tag.as_ref()));
            assert_reason(v.verify(&token), Reason::UnsupportedAlgorithm);
        }
    }
    assert_eq!(m.request_count(), 0);
}

#[test]
fn sec_03_header_alg_must_match_the_selected_key() {
    let m = mock(Algorithm::ES256);
    let v = verifier(&m);
    // An RS256 token naming the kid of the cluster's EC key.
    let h = json!({"alg": "RS256", "kid": m.signing_key_id(Ca::Jwt), "typ": "JWT"});
    let token = raw_token(
        &h.to_string(),
        &serde_json::to_string(&claims(&m)).unwrap(),
        &[7u8; 256],
    );
    assert_reason(v.verify(&token), Reason::UnsupportedAlgorithm);
    // And the reverse: an ES256 token naming an RSA key.
    let r = mock(Algorithm::RS256);
    let vr = verifier(&r);
    let h = json!({"alg": "ES256", "kid": r.signing_key_id(Ca::Jwt), "typ": "JWT"});
    let token = raw_token(
        &h.to_string(),
        &serde_json::to_string(&claims(&r)).unwrap(),
        &[7u8; 64],
    );
    assert_reason(vr.verify(&token), Reason::UnsupportedAlgorithm);
}

#[test]
fn sec_04_embedded_or_remote_key_headers_are_rejected_and_never_fetched() {
    let m = mock(Algorithm::RS256);
    let canary = mock(Algorithm::RS256);
    let v = verifier(&m);
    let canary_jwks: Value = serde_json::from_str(&canary.jwks_json(Ca::Jwt)).unwrap();
    let mut c = claims(&m);
    c.insert("iss".into(), json!(m.cluster_name()));
    let extras = [
        ("jwk", canary_jwks["keys"][0].clone()),
        ("jku", json!(canary.jwks_url())),
        ("x5u", json!(format!("{}/cert.pem", canary.proxy_url()))),
        (
            "x5c",
            json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]),
        ),
    ];
    for (name, value) in extras {
        let mut h = header(&m, Algorithm::RS256);
        h.insert(name.into(), value.clone());
        // Signed by the canary's own key: trusting the header would make it verify.
        let token = canary
            .sign_raw(
                Ca::Jwt,
                &Value::Object(h).to_string(),
                &Value::Object(c.clone()).to_string(),
            )
            .unwrap();
        assert_reason(v.verify(&token), Reason::UnsupportedHeader);
    }
    assert_eq!(
        canary.request_count(),
        0,
        "the canary must receive zero requests"
    );
}

#[test]
fn sec_05_crit_in_any_form_is_rejected() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    for crit in [
        json!(["exp"]),
        json!([]),
        json!(["b64"]),
        json!(["x-unknown"]),
        json!("alg"),
    ] {
        let mut h = header(&m, Algorithm::RS256);
        h.insert("crit".into(), crit);
        let token = sign_maps(&m, &h, &claims(&m));
        assert_reason(v.verify(&token), Reason::UnsupportedHeader);
    }
    // A listed extension that is present is still unsupported.
    let mut h = header(&m, Algorithm::RS256);
    h.insert("crit".into(), json!(["b64"]));
    h.insert("b64".into(), json!(false));
    assert_reason(
        v.verify(&sign_maps(&m, &h, &claims(&m))),
        Reason::UnsupportedHeader,
    );
}

#[test]
fn sec_06_duplicate_member_names_are_rejected() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let kid = m.signing_key_id(Ca::Jwt);
    let good_payload = serde_json::to_string(&claims(&m)).unwrap();
    let good_header = format!(r#"{{"alg":"RS256","kid":"{kid}","typ":"JWT"}}"#);
    assert!(v.verify(&sign(&m, &good_header, &good_payload)).is_ok());
    let dup_headers = [
        format!(r#"{{"alg":"RS256","alg":"RS256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"none","alg":"RS256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","kid":"other"}}"#),
    ];
    for h in dup_headers {
        assert_reason(v.verify(&sign(&m, &h, &good_payload)), Reason::Malformed);
    }
    let body = &good_payload[1..];
    for dup in [
        r#"{"exp":1,"#.to_string(),
        r#"{"aud":"someone-else","#.to_string(),
        r#"{"sub":"mallory","#.to_string(),
        r#"{"iss":"evil","#.to_string(),
    ] {
        let payload = format!("{dup}{body}");
        assert_reason(
            v.verify(&sign(&m, &good_header, &payload)),
            Reason::Malformed,
        );
    }
}

#[test]
fn sec_07_non_canonical_base64url_is_rejected() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let token = m.mint(&Default::default()).unwrap();
    assert!(v.verify(&token).is_ok());
    let parts: Vec<&str> = token.split('.').collect();
    let mut variants = vec![
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}==", parts[0], parts[1], parts[2]),
        format!("{} .{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}\n.{}", parts[0], parts[1], parts[2]),
        format!(" {token}"),
        format!("{token} "),
    ];
    // Standard alphabet instead of url-safe, where the token has - or _.
    let std = token.replace('-', "+").replace('_', "/");
    if std != token {
        variants.push(std);
    }
    // Non-zero trailing bits: a 256-byte signature is 342 characters, the last one carrying 2
    // bits of data and 4 bits that must be zero.
    let sig = parts[2];
    let last = sig.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    let tweaked = alphabet.chars().nth(idx | 1).unwrap();
    assert_ne!(tweaked, last);
    variants.push(format!(
        "{}.{}.{}{}",
        parts[0],
        parts[1],
        &sig[..sig.len() - 1],
        tweaked
    ));
    for t in variants {
        assert_reason(v.verify(&t), Reason::Malformed);
    }
}

#[test]
fn sec_08_wrong_segment_counts_are_rejected() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let token = m.mint(&Default::default()).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let cases = vec![
        format!("{}.{}", parts[0], parts[1]),
        format!("{token}.{}", parts[2]),
        format!("{token}.a.b"),
        "..".to_string(),
        format!("{}..{}", parts[0], parts[2]),
        format!(".{}.{}", parts[1], parts[2]),
        String::new(),
        "abc".into(),
    ];
    for t in cases {
        assert_reason(v.verify(&t), Reason::Malformed);
    }
    // A million dots: rejected by the size cap before any scan, and by the splitter (linear,
    // no allocation per dot) when the cap is raised.
    let dots = ".".repeat(1_000_000);
    assert_reason(v.verify(&dots), Reason::TokenTooLarge);
    let big = verifier_with(&m, |o| {
        o.max_token_bytes = 1024 * 1024;
    });
    assert_reason(big.verify(&dots), Reason::Malformed);
    assert_eq!(m.request_count(), 0);
}

#[test]
fn sec_09_tokens_over_the_cap_are_rejected_before_decoding() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let huge = "a".repeat(16 * 1024 + 1);
    assert_reason(v.verify(&huge), Reason::TokenTooLarge);
    // The cap is configurable: a real token over a 200-byte cap.
    let small = verifier_with(&m, |o| {
        o.max_token_bytes = 200;
    });
    let token = m.mint(&Default::default()).unwrap();
    assert_reason(small.verify(&token), Reason::TokenTooLarge);
    // Just under the default cap with large traits still verifies.
    let traits = (0..40)
        .map(|i| (format!("trait{i}"), vec!["x".repeat(200)]))
        .collect();
    let big = m
        .mint(&teleport_jwt::mock::MintSpec {
            traits,
            ..Default::default()
        })
        .unwrap();
    assert!(
        big.len() > 8 * 1024 && big.len() < 16 * 1024,
        "{}",
        big.len()
    );
    assert!(v.verify(&big).is_ok());
}

#[test]
fn sec_10_segments_that_are_not_json_objects_are_rejected() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let h = serde_json::to_string(&header(&m, Algorithm::RS256)).unwrap();
    let p = serde_json::to_string(&claims(&m)).unwrap();
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    for bad in ["[]", "\"x\"", "123", "null", "{", deep.as_str()] {
        assert_reason(v.verify(&sign(&m, &h, bad)), Reason::Malformed);
        let t = raw_token(bad, &p, b"sig");
        assert_reason(v.verify(&t), Reason::Malformed);
    }
    // Invalid UTF-8 inside a JSON string.
    let mut bytes = p.clone().into_bytes();
    let pos = p.find("alice").unwrap();
    bytes[pos] = 0xff;
    let t = format!("{}.{}.{}", b64(h.as_bytes()), b64(&bytes), b64(b"sig"));
    assert_reason(v.verify(&t), Reason::Malformed);
}

#[test]
fn sec_11_typ_other_than_jwt_is_rejected() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    for (typ, ok) in [
        (json!("JWT"), true),
        (json!("jwt"), true),
        (json!("application/jwt"), true),
        (json!("at+jwt"), false),
        (json!("JWS"), false),
        (json!(1), false),
    ] {
        let mut h = header(&m, Algorithm::RS256);
        h.insert("typ".into(), typ.clone());
        let r = v.verify(&sign_maps(&m, &h, &claims(&m)));
        if ok {
            assert!(r.is_ok(), "typ {typ}: {r:?}");
        } else {
            assert_reason(r, Reason::Malformed);
        }
    }
    let mut h = header(&m, Algorithm::RS256);
    h.remove("typ");
    assert!(
        v.verify(&sign_maps(&m, &h, &claims(&m))).is_ok(),
        "typ is optional"
    );
}

#[test]
fn sec_12_numeric_dates_must_be_finite_non_negative_numbers() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    for claim in ["exp", "nbf", "iat"] {
        for bad in [
            json!("1700000000"),
            json!(true),
            json!(null),
            json!([1]),
            json!({}),
            json!(-1),
            json!(18446744073709551615u64),
            json!(1e300),
        ] {
            let t = token_with(&m, |c| {
                c.insert(claim.into(), bad.clone());
            });
            assert_reason(v.verify(&t), Reason::InvalidClaim);
        }
    }
    // 1e400 overflows every JSON number type: the payload itself is refused as malformed.
    let h = serde_json::to_string(&header(&m, Algorithm::RS256)).unwrap();
    let p = serde_json::to_string(&claims(&m)).unwrap();
    let p = p.replacen("\"exp\":", "\"exp\":1e400,\"x\":", 1);
    assert_reason(v.verify(&sign(&m, &h, &p)), Reason::Malformed);
    // Fractional dates are valid.
    let t = token_with(&m, |c| {
        let exp = c["exp"].as_i64().unwrap() as f64 + 0.5;
        c.insert("exp".into(), json!(exp));
        c.insert(
            "iat".into(),
            json!(c["iat"].as_i64().unwrap() as f64 - 0.25),
        );
    });
    let id = v.verify(&t).expect("fractional NumericDates verify");
    assert!(id.expires_at > 0);
}

/// Issue 8, finding 8: 2^63 and the integers just above it round to the largest date as
/// floats; they are out of range all the same, while 2^63 - 1 itself is a (far) valid `exp`.
#[test]
fn sec_12_numeric_dates_just_past_2_pow_63_do_not_round_into_range() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    for past in [
        "9223372036854775808",
        "9223372036854776832",
        "9223372036854775808.0",
        "9.223372036854775807e18",
    ] {
        let h = serde_json::to_string(&header(&m, Algorithm::RS256)).unwrap();
        let p = serde_json::to_string(&claims(&m)).unwrap();
        let p = p.replacen("\"exp\":", &format!("\"exp\":{past},\"x\":"), 1);
        let e = v.verify(&sign(&m, &h, &p)).expect_err(past);
        assert_eq!(e.reason(), Reason::InvalidClaim, "{past}: {e}");
        assert!(e.to_string().contains("NumericDate"), "{past}: {e}");
    }
    let t = token_with(&m, |c| {
        c.insert("exp".into(), json!(i64::MAX));
    });
    let id = v.verify(&t).expect("2^63 - 1 is the last valid exp");
    assert_eq!(id.expires_at, i64::MAX);
}

#[test]
fn sec_13_required_claims_must_be_present() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    for claim in ["exp", "aud", "sub"] {
        let t = token_with(&m, |c| {
            c.remove(claim);
        });
        assert_reason(v.verify(&t), Reason::MissingClaim);
    }
    let t = token_with(&m, |c| {
        c.remove("iss");
    });
    assert_reason(v.verify(&t), Reason::MissingClaim);
    // Classic tokens may lack iat; ID tokens may not.
    let t = token_with(&m, |c| {
        c.remove("iat");
    });
    assert!(v.verify(&t).is_ok());
    let idv = Verifier::builder()
        .trust(TrustEntry::teleport_id_token(&m.proxy_url(), AUD))
        .options(options_for(&m))
        .build()
        .unwrap();
    let mut spec = teleport_jwt::mock::MintSpec {
        kind: teleport_jwt::TokenKind::IdToken,
        ..Default::default()
    };
    assert!(idv.verify(&m.mint(&spec).unwrap()).is_ok());
    spec.remove_claims = vec!["iat".into()];
    assert_reason(idv.verify(&m.mint(&spec).unwrap()), Reason::MissingClaim);
}

#[test]
fn sec_14_time_claims_respect_the_leeway() {
    let m = mock(Algorithm::RS256);
    let clock = std::sync::Arc::new(ManualClock::at_unix(T0));
    let v = verifier_with_clock(&m, clock.clone(), Default::default());
    let t0 = T0 as i64;
    let at = |exp: i64, nbf: i64, iat: i64| {
        token_with(&m, |c| {
            c.insert("exp".into(), json!(exp));
            c.insert("nbf".into(), json!(nbf));
            c.insert("iat".into(), json!(iat));
        })
    };
    assert!(v.verify(&at(t0 + 300, t0 - 10, t0)).is_ok());
    assert!(
        v.verify(&at(t0 - 59, t0 - 400, t0 - 400)).is_ok(),
        "expired inside leeway"
    );
    assert_reason(v.verify(&at(t0 - 60, t0 - 400, t0 - 400)), Reason::Expired);
    assert_reason(
        v.verify(&at(t0 - 3600, t0 - 7200, t0 - 7200)),
        Reason::Expired,
    );
    assert!(
        v.verify(&at(t0 + 300, t0 + 59, t0)).is_ok(),
        "nbf inside leeway"
    );
    assert_reason(v.verify(&at(t0 + 300, t0 + 61, t0)), Reason::NotYetValid);
    assert!(
        v.verify(&at(t0 + 300, t0, t0 + 59)).is_ok(),
        "iat inside leeway"
    );
    assert_reason(v.verify(&at(t0 + 300, t0, t0 + 61)), Reason::IssuedInFuture);
    // The leeway is configurable (a Duration: never negative).
    let strict = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .configure(|o| {
            o.ca_pem = Some(m.ca_pem());
            o.leeway = std::time::Duration::ZERO;
        })
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_reason(
        strict.verify(&at(t0 - 1, t0 - 400, t0 - 400)),
        Reason::Expired,
    );
    assert_reason(
        strict.verify(&at(t0 + 300, t0 + 1, t0)),
        Reason::NotYetValid,
    );
}

#[test]
fn sec_15_audience_must_contain_the_configured_one() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let with_aud = |aud: Value| {
        token_with(&m, |c| {
            c.insert("aud".into(), aud);
        })
    };
    assert!(v.verify(&with_aud(json!(AUD))).is_ok());
    assert!(v.verify(&with_aud(json!(["other", AUD]))).is_ok());
    assert_reason(
        v.verify(&with_aud(json!("other"))),
        Reason::AudienceMismatch,
    );
    assert_reason(
        v.verify(&with_aud(json!(["other"]))),
        Reason::AudienceMismatch,
    );
    assert_reason(
        v.verify(&with_aud(json!("discover.teleport"))),
        Reason::AudienceMismatch,
    );
    assert_reason(
        v.verify(&with_aud(json!(format!("{AUD}/")))),
        Reason::AudienceMismatch,
    );
    assert_reason(v.verify(&with_aud(json!([]))), Reason::InvalidClaim);
    assert_reason(v.verify(&with_aud(json!([AUD, 1]))), Reason::InvalidClaim);
    assert_reason(v.verify(&with_aud(json!(7))), Reason::InvalidClaim);
    // The AWS-integration token from the same CA.
    let t = token_with(&m, |c| {
        c.insert("aud".into(), json!("discover.teleport"));
        c.insert("sub".into(), json!("system:proxy"));
        c.insert("obo".into(), json!("user:alice"));
    });
    assert_reason(v.verify(&t), Reason::AudienceMismatch);
    // No audience configured: refused at build time, there is no "skip audience" default.
    let e = Verifier::builder()
        .trust(TrustEntry::new(
            m.cluster_name(),
            vec![],
            KeysFrom::StaticJwks(m.jwks_json(Ca::Jwt)),
        ))
        .build()
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidConfig);
    let e = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            "",
        ))
        .build()
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidConfig);
}

#[test]
fn sec_16_issuer_is_compared_byte_for_byte_without_fetching() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let name = m.cluster_name();
    for iss in [
        format!("{name}/"),
        name.to_uppercase(),
        format!("https://{name}"),
        format!("http://{name}"),
        format!(" {name}"),
    ] {
        let t = token_with(&m, |c| {
            c.insert("iss".into(), json!(iss));
        });
        assert_reason(v.verify(&t), Reason::IssuerMismatch);
    }
    assert_eq!(m.request_count(), 0, "an unknown issuer causes no fetch");
    let t = token_with(&m, |c| {
        c.insert("iss".into(), json!(["a"]));
    });
    assert_reason(v.verify(&t), Reason::InvalidClaim);
}

#[test]
fn sec_17_roles_and_traits_shapes() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let ok = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let t = token_with(&m, |c| f(c));
        v.verify(&t)
    };
    let id = ok(&|c| {
        c.insert("roles".into(), Value::Null);
    })
    .unwrap();
    assert!(id.roles.is_empty());
    let id = ok(&|c| {
        c.remove("roles");
        c.remove("traits");
    })
    .unwrap();
    assert!(id.roles.is_empty() && id.traits.is_empty());
    let id = ok(&|c| {
        c.insert("traits".into(), json!({}));
    })
    .unwrap();
    assert!(id.traits.is_empty());
    let id = ok(&|c| {
        c.insert(
            "traits".into(),
            json!({"logins": ["root", "ubuntu"], "empty": null}),
        );
    })
    .unwrap();
    assert_eq!(id.trait_values("logins"), ["root", "ubuntu"]);
    assert!(id.trait_values("empty").is_empty());
    for bad_roles in [json!("admin"), json!([1]), json!({"a": 1}), json!([null])] {
        assert_reason(
            ok(&|c| {
                c.insert("roles".into(), bad_roles.clone());
            }),
            Reason::InvalidClaim,
        );
    }
    for bad_traits in [json!([]), json!({"a": "b"}), json!({"a": [1]}), json!("x")] {
        assert_reason(
            ok(&|c| {
                c.insert("traits".into(), bad_traits.clone());
            }),
            Reason::InvalidClaim,
        );
    }
}

/// P-256 group order n and field prime p, big-endian.
const P256_N: [u8; 32] = hex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const P256_P: [u8; 32] = hex32("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");

const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

/// a - b for 32-byte big-endian numbers (a >= b).
fn sub32(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let bi = if i + b.len() >= 32 {
            b[i + b.len() - 32] as i16
        } else {
            0
        };
        let mut d = a[i] as i16 - bi - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    out
}

fn add_small(a: &[u8; 32], k: u8) -> [u8; 32] {
    let mut out = *a;
    let mut carry = k as u16;
    for i in (0..32).rev() {
        let s = out[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

/// `token` with its signature replaced by `sig`.
fn with_sig(token: &str, sig: &[u8]) -> String {
    let (input, _) = token.rsplit_once('.').unwrap();
    format!("{input}.{}", b64(sig))
}

#[test]
fn sec_18_es256_signatures_must_be_64_raw_bytes() {
    let m = mock(Algorithm::ES256);
    let v = verifier(&m);
    let good = m.mint(&Default::default()).unwrap();
    assert!(v.verify(&good).is_ok());
    let sig = unb64(good.rsplit_once('.').unwrap().1);
    assert_eq!(sig.len(), 64);
    // The same signature in DER form.
    let der_int = |x: &[u8]| {
        let x: Vec<u8> = x.iter().copied().skip_while(|b| *b == 0).collect();
        let mut v = vec![0x02];
        let pad = x.first().is_some_and(|b| b & 0x80 != 0);
        v.push((x.len() + pad as usize) as u8);
        if pad {
            v.push(0);
        }
        v.extend(x);
        v
    };
    let mut body = der_int(&sig[..32]);
    body.extend(der_int(&sig[32..]));
    let mut der = vec![0x30, body.len() as u8];
    der.extend(body);
    for bad in [
        der,
        sig[..63].to_vec(),
        [sig.clone(), vec![0]].concat(),
        [vec![0], sig.clone()].concat(),
    ] {
        assert_reason(v.verify(&with_sig(&good, &bad)), Reason::BadSignature);
    }
    // An empty signature segment is not a signature at all.
    let (input, _) = good.rsplit_once('.').unwrap();
    assert_reason(v.verify(&format!("{input}.")), Reason::Malformed);
}

#[test]
fn sec_19_special_ecdsa_values_are_rejected() {
    let m = mock(Algorithm::ES256);
    let v = verifier(&m);
    let good = m.mint(&Default::default()).unwrap();
    assert!(v.verify(&good).is_ok());
    let zero = [0u8; 32];
    let one = add_small(&zero, 1);
    let n_minus_1 = sub32(&P256_N, &[1]);
    let n_plus_1 = add_small(&P256_N, 1);
    let values = [zero, one, n_minus_1, P256_N, n_plus_1, P256_P];
    for r in &values {
        for s in &values {
            let sig = [r.as_slice(), s.as_slice()].concat();
            assert_reason(v.verify(&with_sig(&good, &sig)), Reason::BadSignature);
        }
    }
}

#[test]
fn sec_20_high_s_ecdsa_signatures_are_accepted() {
    let m = mock(Algorithm::ES256);
    let v = verifier(&m);
    let good = m.mint(&Default::default()).unwrap();
    let sig = unb64(good.rsplit_once('.').unwrap().1);
    let s: [u8; 32] = sig[32..].try_into().unwrap();
    let flipped = sub32(&P256_N, &s); // (r, n - s) is the other valid signature
    let other = [&sig[..32], flipped.as_slice()].concat();
    assert_ne!(other, sig);
    let id = v
        .verify(&with_sig(&good, &other))
        .expect("both S forms verify");
    assert_eq!(id.username, "alice");
}

fn jwks_of(keys: Vec<Value>) -> String {
    json!({ "keys": keys }).to_string()
}

#[test]
fn sec_21_weak_rsa_keys_are_ineligible_at_import() {
    let m = mock(Algorithm::RS256);
    let jwks: Value = serde_json::from_str(&m.jwks_json(Ca::Jwt)).unwrap();
    let good = jwks["keys"][0].clone();
    let mut small = good.clone();
    let n = unb64(good["n"].as_str().unwrap());
    small["n"] = json!(b64(&n[..128])); // 1024 bits
    small["kid"] = json!("small");
    let mut e1 = good.clone();
    e1["e"] = json!(b64(&[1]));
    e1["kid"] = json!("e1");
    let mut even = good.clone();
    even["e"] = json!(b64(&[1, 0, 0]));
    even["kid"] = json!("even");
    for bad in [&small, &e1, &even] {
        let err = KeySet::from_jwks_json(jwks_of(vec![bad.clone()]).as_bytes(), 100).unwrap_err();
        assert_eq!(err.reason(), Reason::KeySourceUnavailable);
        assert!(err.message().contains("no usable key"), "{err}");
    }
    let set = KeySet::from_jwks_json(jwks_of(vec![small, e1, even, good]).as_bytes(), 100).unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.rejected().len(), 3);
}

#[test]
fn sec_22_ineligible_entries_are_set_aside_and_the_rest_still_verify() {
    let m = mock(Algorithm::ES256);
    let jwks: Value = serde_json::from_str(&m.jwks_json(Ca::Jwt)).unwrap();
    let good = jwks["keys"][0].clone();
    let variant = |f: &dyn Fn(&mut Value)| {
        let mut k = good.clone();
        f(&mut k);
        k
    };
    let bad = vec![
        variant(&|k| {
            k["use"] = json!("enc");
            k["kid"] = json!("enc");
        }),
        variant(&|k| {
            k["alg"] = json!("RS256");
            k["kid"] = json!("alg");
        }),
        variant(&|k| {
            k["crv"] = json!("P-384");
            k["kid"] = json!("crv");
        }),
        variant(&|k| {
            k["kty"] = json!("RSA");
            k["kid"] = json!("kty");
        }),
        variant(&|k| {
            let mut y = unb64(k["y"].as_str().unwrap());
            y[31] ^= 1;
            k["y"] = json!(b64(&y));
            k["kid"] = json!("offcurve");
        }),
        variant(&|k| {
            k["d"] = json!("AAAA");
            k["kid"] = json!("private");
        }),
        json!("not an object"),
    ];
    let mut keys = bad.clone();
    keys.push(good.clone());
    let doc = jwks_of(keys);
    let set = KeySet::from_jwks_json(doc.as_bytes(), 100).unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.rejected().len(), bad.len());
    let v = Verifier::builder()
        .trust(TrustEntry::new(
            m.cluster_name(),
            vec![AUD.into()],
            KeysFrom::StaticJwks(doc),
        ))
        .build()
        .unwrap();
    assert!(v.verify(&m.mint(&Default::default()).unwrap()).is_ok());
}

#[test]
fn sec_23_short_ec_coordinates_are_padded_long_ones_refused() {
    let m = teleport_jwt::mock::MockTeleport::start_with(teleport_jwt::mock::MockOptions {
        algorithm: Algorithm::ES256,
        ec_short_coordinate: true,
        ..Default::default()
    })
    .unwrap();
    let jwks: Value = serde_json::from_str(&m.jwks_json(Ca::Jwt)).unwrap();
    let k = &jwks["keys"][0];
    let (x, y) = (
        unb64(k["x"].as_str().unwrap()),
        unb64(k["y"].as_str().unwrap()),
    );
    assert!(
        x.len() == 31 || y.len() == 31,
        "the mock published a 31-byte coordinate"
    );
    let v = verifier(&m);
    assert!(v.verify(&m.mint(&Default::default()).unwrap()).is_ok());
    // 33 bytes: ineligible.
    let mut long = k.clone();
    long["x"] = json!(b64(&[vec![0u8; 33 - x.len()], x].concat()));
    let err = KeySet::from_jwks_json(jwks_of(vec![long]).as_bytes(), 100).unwrap_err();
    assert!(err.message().contains("at most 32"), "{err}");
}

#[test]
fn sec_24_hostile_kids_are_opaque_lookups() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let kids = [
        json!("k".repeat(10_000)),
        json!("../../etc/passwd"),
        json!("' OR 1=1 --"),
        json!(42),
        json!(null),
        json!({"$ne": ""}),
    ];
    for kid in kids {
        let mut h = header(&m, Algorithm::RS256);
        h.insert("kid".into(), kid.clone());
        assert_reason(
            v.verify(&sign_maps(&m, &h, &claims(&m))),
            Reason::UnknownKey,
        );
    }
}

#[test]
fn rfc7515_a2_and_a3_verify_with_a_pinned_clock() {
    // RFC 7515 A.2 (RS256) and A.3 (ES256): claims {"iss":"joe","exp":1300819380,...}, no aud.
    let a2_jwk = json!({"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"});
    let a2 = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
    let a3_jwk = json!({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
    let a3 = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    for (jwk, token) in [(a2_jwk, a2), (a3_jwk, a3)] {
        let doc = jwks_of(vec![jwk]);
        let keys = KeySet::from_jwks_json(doc.as_bytes(), 10).unwrap();
        let payload =
            teleport_jwt::dangerous::verify_signature_only(token, &keys, 16 * 1024).unwrap();
        assert!(payload.starts_with(br#"{"iss":"joe","#));
        let build = |clock: Option<u64>| {
            let mut b = Verifier::builder().trust(TrustEntry::new(
                "joe",
                vec![AUD.into()],
                KeysFrom::StaticJwks(doc.clone()),
            ));
            if let Some(t) = clock {
                b = b.clock(std::sync::Arc::new(ManualClock::at_unix(t)));
            }
            b.build().unwrap()
        };
        // Pinned before exp: the signature and times pass, and the missing `aud` is reported.
        assert_reason(
            build(Some(1_300_819_000)).verify(token),
            Reason::MissingClaim,
        );
        // Today the 2011 token is long expired.
        assert_reason(build(None).verify(token), Reason::Expired);
    }
}

#[test]
fn options_default_to_the_safe_values() {
    let o = VerifierOptions::default();
    assert_eq!(o.leeway, std::time::Duration::from_secs(60));
    assert_eq!(o.max_token_bytes, 16 * 1024);
    assert_eq!(o.cache.max_age, std::time::Duration::from_secs(600));
    assert_eq!(o.cache.cooldown, std::time::Duration::from_secs(30));
    assert_eq!(o.cache.max_stale, std::time::Duration::from_secs(24 * 3600));
    assert_eq!(o.cache.max_keys, 100);
    assert_eq!(o.fetch.timeout, std::time::Duration::from_secs(5));
    assert_eq!(o.fetch.max_body_bytes, 256 * 1024);
    assert!(!o.allow_insecure_http_for_loopback);
}
