//! `MockTeleport` over real HTTPS: documents, counters, failure modes, rotation and tokens.

use std::collections::BTreeMap;
use std::error::Error;
use std::io::Read;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{
    UnparsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use teleport_jwt::mock::{
    teleport_kid_ec, teleport_kid_rsa, Ca, Failure, JwtClaims, KeyChoice, MintSpec, MockError,
    MockOptions, MockTeleport, RotationPhase,
};
use teleport_jwt::{Algorithm, TokenKind};
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::Agent;

type TestResult = Result<(), Box<dyn Error>>;

const JWKS: &str = "/.well-known/jwks.json";
const JWKS_OIDC: &str = "/.well-known/jwks-oidc";
const DISCOVERY: &str = "/.well-known/openid-configuration";

// ---------------------------------------------------------------------------------------------
// helpers

/// A ureq agent trusting only the mock's CA, with the aws-lc-rs provider, no redirects and
/// statuses returned as responses.
fn agent(mock: &MockTeleport, timeout: Duration) -> Result<Agent, Box<dyn Error>> {
    let ca = Certificate::from_pem(mock.ca_pem().as_bytes())?;
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::Specific(Arc::new(vec![ca])))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .build();
    Ok(Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .build()
        .new_agent())
}

struct Fetched {
    status: u16,
    location: Option<String>,
    body: Vec<u8>,
}

fn fetch(mock: &MockTeleport, path: &str) -> Result<Fetched, Box<dyn Error>> {
    fetch_with(
        &agent(mock, Duration::from_secs(5))?,
        &mock.proxy_url(),
        path,
    )
}

fn fetch_with(agent: &Agent, base: &str, path: &str) -> Result<Fetched, Box<dyn Error>> {
    let mut resp = agent.get(format!("{base}{path}")).call()?;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()?;
    Ok(Fetched {
        status,
        location,
        body,
    })
}

fn fetch_json(mock: &MockTeleport, path: &str) -> Result<Value, Box<dyn Error>> {
    let got = fetch(mock, path)?;
    assert_eq!(got.status, 200, "{path}");
    Ok(serde_json::from_slice(&got.body)?)
}

fn b64(s: &str) -> Result<Vec<u8>, Box<dyn Error>> {
    Ok(URL_SAFE_NO_PAD.decode(s)?)
}

fn str_of<'a>(v: &'a Value, name: &str) -> Result<&'a str, Box<dyn Error>> {
    v[name]
        .as_str()
        .ok_or_else(|| format!("{name} is not a string in {v}").into())
}

/// Header and claims of a compact token.
fn decode(token: &str) -> Result<(Value, Value), Box<dyn Error>> {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWS has three segments");
    Ok((
        serde_json::from_slice(&b64(parts[0])?)?,
        serde_json::from_slice(&b64(parts[1])?)?,
    ))
}

/// Minimal DER of a PKCS#1 RSAPublicKey, written independently of the crate.
fn pkcs1_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn len(l: usize, out: &mut Vec<u8>) {
        if l < 0x80 {
            out.push(l as u8);
        } else if l < 0x100 {
            out.extend_from_slice(&[0x81, l as u8]);
        } else {
            out.extend_from_slice(&[0x82, (l >> 8) as u8, l as u8]);
        }
    }
    fn int(v: &[u8], out: &mut Vec<u8>) {
        let pad = v[0] & 0x80 != 0;
        out.push(0x02);
        len(v.len() + usize::from(pad), out);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
    }
    let mut body = Vec::new();
    int(n, &mut body);
    int(e, &mut body);
    let mut out = vec![0x30];
    len(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}

fn left_pad_32(v: &[u8]) -> Result<[u8; 32], Box<dyn Error>> {
    if v.len() > 32 {
        return Err(format!("coordinate of {} bytes", v.len()).into());
    }
    let mut out = [0u8; 32];
    out[32 - v.len()..].copy_from_slice(v);
    Ok(out)
}

/// Verifies `token` against the published JWK with its `kid` in `jwks`, checking the JWK's
/// `kid` is Teleport's; returns that kid.
fn verify_with_jwks(token: &str, jwks: &Value) -> Result<String, Box<dyn Error>> {
    let (header, _) = decode(token)?;
    let kid = str_of(&header, "kid")?.to_string();
    let keys = jwks["keys"].as_array().ok_or("no keys")?;
    let jwk = keys
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .ok_or_else(|| format!("kid {kid} not published"))?;
    verify_with_jwk(token, jwk)?;
    Ok(kid)
}

fn verify_with_jwk(token: &str, jwk: &Value) -> Result<(), Box<dyn Error>> {
    let (signing_input, sig) = token.rsplit_once('.').ok_or("no signature")?;
    let sig = b64(sig)?;
    let (alg, der): (&'static dyn VerificationAlgorithm, Vec<u8>) = match str_of(jwk, "kty")? {
        "RSA" => {
            assert_eq!(jwk["alg"], "RS256");
            let n = b64(str_of(jwk, "n")?)?;
            let e = b64(str_of(jwk, "e")?)?;
            assert_ne!(n[0], 0, "n without leading zero byte");
            if !str_of(jwk, "kid")?.is_empty() {
                assert_eq!(jwk["kid"], teleport_kid_rsa(&n, &e));
            }
            (&RSA_PKCS1_2048_8192_SHA256, pkcs1_der(&n, &e))
        }
        "EC" => {
            assert_eq!(jwk["alg"], "ES256");
            assert_eq!(jwk["crv"], "P-256");
            let x = left_pad_32(&b64(str_of(jwk, "x")?)?)?;
            let y = left_pad_32(&b64(str_of(jwk, "y")?)?)?;
            if !str_of(jwk, "kid")?.is_empty() {
                assert_eq!(jwk["kid"], teleport_kid_ec(&x, &y));
            }
            assert_eq!(sig.len(), 64, "ES256 signature is raw r||s");
            let mut point = vec![4u8];
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (&ECDSA_P256_SHA256_FIXED, point)
        }
        other => return Err(format!("kty {other}").into()),
    };
    UnparsedPublicKey::new(alg, der)
        .verify(signing_input.as_bytes(), &sig)
        .map_err(|_| "signature does not verify")?;
    Ok(())
}

fn published_kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k["kid"].as_str())
                .filter(|k| !k.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn es256() -> MockOptions {
    MockOptions {
        algorithm: Algorithm::ES256,
        id_token_algorithm: Algorithm::ES256,
        ..MockOptions::default()
    }
}

// ---------------------------------------------------------------------------------------------
// documents and counters

#[test]
fn mock_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<MockTeleport>();
    check::<MockError>();
}

#[test]
fn serves_teleport_documents_and_counts_requests() -> TestResult {
    let mock = MockTeleport::start()?;
    assert!(mock.proxy_url().starts_with("https://127.0.0.1:"));
    assert_eq!(mock.id_token_issuer(), mock.proxy_url());
    assert_eq!(mock.cluster_name(), "teleport.example.com");
    assert_eq!(mock.jwks_url(), format!("{}{JWKS}", mock.proxy_url()));
    assert_eq!(
        mock.discovery_url(),
        format!("{}{DISCOVERY}", mock.proxy_url())
    );

    let jwks = fetch_json(&mock, JWKS)?;
    assert_eq!(
        jwks,
        serde_json::from_str::<Value>(&mock.jwks_json(Ca::Jwt))?
    );
    let keys = jwks["keys"].as_array().ok_or("keys")?;
    assert_eq!(keys.len(), 2, "one key published twice");
    let kid = mock.key_ids(Ca::Jwt).pop().ok_or("kid")?;
    assert_eq!(keys[0]["kid"], kid.as_str());
    assert_eq!(keys[1]["kid"], "");
    for k in keys {
        assert_eq!(k["kty"], "RSA");
        assert_eq!(k["alg"], "RS256");
        assert_eq!(k["e"], "AQAB");
        assert_eq!(k["use"], "sig");
        assert_eq!(b64(str_of(k, "n")?)?.len(), 256);
    }
    assert_eq!(keys[0]["n"], keys[1]["n"]);
    // Teleport's member order.
    let raw = mock.jwks_json(Ca::Jwt);
    let order: Vec<usize> = ["\"kty\"", "\"alg\"", "\"n\"", "\"e\"", "\"use\"", "\"kid\""]
        .iter()
        .map(|m| raw.find(m).unwrap_or(usize::MAX))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{raw}");

    let oidc = fetch_json(&mock, JWKS_OIDC)?;
    assert_eq!(published_kids(&oidc), mock.key_ids(Ca::Oidc));
    assert_ne!(
        mock.key_ids(Ca::Oidc),
        mock.key_ids(Ca::Jwt),
        "two distinct CAs"
    );

    let disco = fetch_json(&mock, DISCOVERY)?;
    assert_eq!(
        disco,
        json!({
            "issuer": mock.proxy_url(),
            "jwks_uri": format!("{}{JWKS_OIDC}", mock.proxy_url()),
            "claims": ["iss", "sub", "obo", "aud", "jti", "iat", "exp", "nbf"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["id_token"],
            "scopes_supported": ["openid"],
            "subject_types_supported": ["public"],
        })
    );

    let missing = fetch(&mock, "/nope")?;
    assert_eq!(missing.status, 404);
    fetch(&mock, &format!("{JWKS}?cache=bust"))?;

    assert_eq!(mock.request_count_for(JWKS), 2);
    assert_eq!(mock.request_count_for(JWKS_OIDC), 1);
    assert_eq!(mock.request_count_for(DISCOVERY), 1);
    assert_eq!(mock.request_count_for("/nope"), 1);
    assert_eq!(mock.request_count(), 5);
    mock.reset_counts();
    assert_eq!(mock.request_count(), 0);
    assert_eq!(mock.request_count_for(JWKS), 0);
    fetch(&mock, JWKS)?;
    assert_eq!(mock.request_count(), 1);

    mock.set_discovery_issuer_override(Some("https://evil.example.com".into()));
    assert_eq!(
        fetch_json(&mock, DISCOVERY)?["issuer"],
        "https://evil.example.com"
    );
    mock.set_discovery_issuer_override(None);
    assert_eq!(
        fetch_json(&mock, DISCOVERY)?["issuer"],
        mock.proxy_url().as_str()
    );
    Ok(())
}

#[test]
fn es256_keys_and_blank_twin_option() -> TestResult {
    let mock = MockTeleport::start_with(MockOptions {
        publish_blank_kid_twin: false,
        ..es256()
    })?;
    let jwks = fetch_json(&mock, JWKS)?;
    let keys = jwks["keys"].as_array().ok_or("keys")?;
    assert_eq!(keys.len(), 1, "no blank twin");
    let k = &keys[0];
    assert_eq!(k["kty"], "EC");
    assert_eq!(k["alg"], "ES256");
    assert_eq!(k["crv"], "P-256");
    assert_eq!(k["use"], "sig");
    assert!(b64(str_of(k, "x")?)?.len() <= 32);
    let disco = fetch_json(&mock, DISCOVERY)?;
    assert_eq!(
        disco["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
    let token = mock.mint(&MintSpec::default())?;
    assert_eq!(decode(&token)?.0["alg"], "ES256");
    assert_eq!(verify_with_jwks(&token, &jwks)?, mock.key_ids(Ca::Jwt)[0]);
    Ok(())
}

#[test]
fn short_ec_coordinate_is_published_unpadded() -> TestResult {
    let mock = MockTeleport::start_with_short_ec_coordinate()?;
    let jwks = fetch_json(&mock, JWKS)?;
    let k = &jwks["keys"][0];
    let (x, y) = (b64(str_of(k, "x")?)?, b64(str_of(k, "y")?)?);
    assert!(x.len() < 32 || y.len() < 32, "x {} y {}", x.len(), y.len());
    let token = mock.mint(&MintSpec::default())?;
    verify_with_jwks(&token, &jwks)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// tokens

#[test]
fn rs256_token_is_shaped_like_teleport_and_verifies() -> TestResult {
    let mock = MockTeleport::start()?;
    let mut spec = MintSpec::default();
    spec.traits
        .insert("logins".into(), vec!["root".into(), "ubuntu".into()]);
    spec.traits.insert("empty".into(), vec![]);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let token = mock.mint(&spec)?;
    let (header, claims) = decode(&token)?;
    assert_eq!(
        header,
        json!({"alg": "RS256", "kid": mock.key_ids(Ca::Jwt)[0], "typ": "JWT"})
    );
    assert_eq!(claims["iss"], "teleport.example.com");
    assert_eq!(
        claims["aud"], "mcp+http://127.0.0.1:8000/mcp",
        "one audience: a string"
    );
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["username"], "alice");
    assert_eq!(claims["roles"], json!(["access"]));
    assert_eq!(claims["traits"], json!({"logins": ["root", "ubuntu"]}));
    let iat = claims["iat"].as_i64().ok_or("iat")?;
    assert!((iat - before as i64).abs() <= 2);
    assert_eq!(claims["exp"].as_i64(), Some(iat + 300));
    assert_eq!(claims["nbf"].as_i64(), Some(iat - 10));
    let jti = str_of(&claims, "jti")?;
    assert_eq!(jti.len(), 36);
    assert_eq!(&jti[14..15], "4");
    assert_eq!(claims.as_object().map(Map::len), Some(10));

    let jwks = fetch_json(&mock, JWKS)?;
    verify_with_jwks(&token, &jwks)?;
    // The blank-kid twin is the same key.
    let keys = jwks["keys"].as_array().ok_or("keys")?;
    verify_with_jwk(&token, &keys[1])?;
    // Not verifiable with the OIDC CA.
    let oidc = fetch_json(&mock, JWKS_OIDC)?;
    assert!(verify_with_jwk(&token, &oidc["keys"][0]).is_err());

    spec.audience.push("https://other.example.com".into());
    let (_, claims) = decode(&mock.mint(&spec)?)?;
    assert_eq!(
        claims["aud"],
        json!(["mcp+http://127.0.0.1:8000/mcp", "https://other.example.com"])
    );
    Ok(())
}

#[test]
fn id_token_is_signed_by_oidc_ca() -> TestResult {
    let mock = MockTeleport::start_with(MockOptions {
        algorithm: Algorithm::ES256,
        ..MockOptions::default()
    })?;
    let token = mock.mint(&MintSpec {
        kind: TokenKind::IdToken,
        issued_at: Some(1_700_000_000),
        ttl: Duration::from_secs(60),
        ..MintSpec::default()
    })?;
    let (header, claims) = decode(&token)?;
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["iss"], mock.proxy_url().as_str());
    assert_eq!(claims["iat"], 1_700_000_000);
    assert_eq!(claims["exp"], 1_700_000_060);
    let oidc = fetch_json(&mock, JWKS_OIDC)?;
    assert_eq!(verify_with_jwks(&token, &oidc)?, mock.key_ids(Ca::Oidc)[0]);
    assert!(verify_with_jwks(&token, &fetch_json(&mock, JWKS)?).is_err());
    assert!(matches!(
        mock.mint(&MintSpec {
            kind: TokenKind::Generic,
            ..MintSpec::default()
        }),
        Err(MockError::InvalidSpec(_))
    ));
    Ok(())
}

#[test]
fn jwt_claims_variants() -> TestResult {
    let mock = MockTeleport::start_with(es256())?;
    let mut spec = MintSpec::default();
    spec.traits.insert("team".into(), vec!["blue".into()]);
    let claims_for = |jwt_claims| -> Result<Value, Box<dyn Error>> {
        let spec = MintSpec {
            jwt_claims,
            ..spec.clone()
        };
        Ok(decode(&mock.mint(&spec)?)?.1)
    };
    let both = claims_for(JwtClaims::RolesAndTraits)?;
    assert_eq!(both["roles"], json!(["access"]));
    assert_eq!(both["traits"], json!({"team": ["blue"]}));
    let roles = claims_for(JwtClaims::Roles)?;
    assert_eq!(roles["roles"], json!(["access"]));
    assert_eq!(roles["traits"], json!({}));
    let traits = claims_for(JwtClaims::Traits)?;
    assert!(
        traits.get("roles").is_some_and(Value::is_null),
        "roles: null"
    );
    assert_eq!(traits["traits"], json!({"team": ["blue"]}));
    let none = claims_for(JwtClaims::None)?;
    assert!(none.get("roles").is_none() && none.get("traits").is_none());
    assert_eq!(none["username"], "alice");
    Ok(())
}

#[test]
fn kid_options_and_overrides() -> TestResult {
    let old = MockTeleport::start_with(MockOptions {
        kid_in_tokens: false,
        ..es256()
    })?;
    let token = old.mint(&MintSpec::default())?;
    let (header, _) = decode(&token)?;
    assert_eq!(header, json!({"alg": "ES256", "typ": "JWT"}));
    // A kid-less token verifies with the blank-kid twin.
    let jwks = fetch_json(&old, JWKS)?;
    verify_with_jwk(&token, &jwks["keys"][1])?;
    let with_kid = old.mint(&MintSpec {
        include_kid: Some(true),
        ..MintSpec::default()
    })?;
    assert_eq!(
        decode(&with_kid)?.0["kid"],
        old.key_ids(Ca::Jwt)[0].as_str()
    );

    let mut spec = MintSpec {
        include_kid: Some(false),
        remove_claims: vec!["jti".into(), "nbf".into()],
        remove_headers: vec!["typ".into()],
        ..MintSpec::default()
    };
    spec.claim_overrides.insert("exp".into(), json!("soon"));
    spec.claim_overrides.insert("extra".into(), Value::Null);
    spec.header_overrides.insert("crit".into(), json!(["exp"]));
    let token = old.mint(&spec)?;
    let (header, claims) = decode(&token)?;
    assert_eq!(header, json!({"alg": "ES256", "crit": ["exp"]}));
    assert_eq!(claims["exp"], "soon");
    assert!(claims.get("extra").is_some_and(Value::is_null));
    assert!(claims.get("jti").is_none() && claims.get("nbf").is_none());
    verify_with_jwk(&token, &jwks["keys"][0])?;
    Ok(())
}

#[test]
fn sign_raw_signs_bytes_verbatim() -> TestResult {
    let mock = MockTeleport::start_with(es256())?;
    let header = format!(
        r#"{{"alg":"ES256","kid":"{}","kid":"x"}}"#,
        mock.key_ids(Ca::Jwt)[0]
    );
    let payload = r#"{"sub":"a","sub":"b"}"#;
    let token = mock.sign_raw(Ca::Jwt, &header, payload)?;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(b64(parts[0])?, header.as_bytes());
    assert_eq!(b64(parts[1])?, payload.as_bytes());
    assert!(!token.contains('='));
    let jwks = fetch_json(&mock, JWKS)?;
    verify_with_jwk(&token, &jwks["keys"][0])?;
    let oidc = mock.sign_raw(Ca::Oidc, "{}", "[]")?;
    verify_with_jwk(&oidc, &fetch_json(&mock, JWKS_OIDC)?["keys"][0])?;
    assert!(matches!(
        mock.sign_raw_with(Ca::Jwt, KeyChoice::Next, "{}", "{}"),
        Err(MockError::NoNextKey(Ca::Jwt))
    ));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// rotation

#[test]
fn rotation_phases_publish_and_sign_like_teleport() -> TestResult {
    let mock = MockTeleport::start_with(es256())?;
    let served = || -> Result<Vec<String>, Box<dyn Error>> {
        let jwks = fetch_json(&mock, JWKS)?;
        let kids = published_kids(&jwks);
        assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(kids.len() * 2));
        assert_eq!(kids, mock.key_ids(Ca::Jwt));
        Ok(kids)
    };
    let signer = || -> Result<String, Box<dyn Error>> {
        let token = mock.mint(&MintSpec::default())?;
        let kid = verify_with_jwks(&token, &fetch_json(&mock, JWKS)?)?;
        assert_eq!(kid, mock.signing_key_id(Ca::Jwt));
        Ok(kid)
    };
    let old = served()?.remove(0);
    assert_eq!(signer()?, old);

    mock.set_rotation_phase(Ca::Jwt, RotationPhase::Init);
    assert_eq!(mock.rotation_phase(Ca::Jwt), RotationPhase::Init);
    let kids = served()?;
    assert_eq!(kids.len(), 2);
    assert_eq!(kids[0], old);
    let new = kids[1].clone();
    assert_eq!(signer()?, old);
    let by_next = mock.sign_raw_with(Ca::Jwt, KeyChoice::Next, r#"{"alg":"ES256"}"#, "{}")?;
    verify_with_jwk(&by_next, &fetch_json(&mock, JWKS)?["keys"][2])?;

    mock.set_rotation_phase(Ca::Jwt, RotationPhase::UpdateClients);
    assert_eq!(served()?, [old.as_str(), new.as_str()]);
    assert_eq!(signer()?, new);
    mock.set_rotation_phase(Ca::Jwt, RotationPhase::UpdateServers);
    assert_eq!(served()?, [old.as_str(), new.as_str()]);
    assert_eq!(signer()?, new);

    mock.set_rotation_phase(Ca::Jwt, RotationPhase::Rollback);
    assert_eq!(served()?, [old.as_str(), new.as_str()]);
    assert_eq!(signer()?, old);
    mock.set_rotation_phase(Ca::Jwt, RotationPhase::Standby);
    assert_eq!(served()?, [old.as_str()], "rollback discards the next key");
    assert_eq!(signer()?, old);

    mock.set_rotation_phase(Ca::Jwt, RotationPhase::Init);
    let newer = served()?[1].clone();
    assert_ne!(newer, new);
    mock.set_rotation_phase(Ca::Jwt, RotationPhase::UpdateClients);
    mock.complete_rotation(Ca::Jwt);
    assert_eq!(mock.rotation_phase(Ca::Jwt), RotationPhase::Standby);
    assert_eq!(served()?, [newer.as_str()]);
    assert_eq!(signer()?, newer);

    mock.rotate_now(Ca::Jwt);
    let swapped = served()?;
    assert_eq!(swapped.len(), 1);
    assert_ne!(swapped[0], newer);
    assert_eq!(signer()?, swapped[0]);

    // The other CA was never touched.
    assert_eq!(mock.key_ids(Ca::Oidc).len(), 1);
    Ok(())
}

#[test]
fn suite_change_at_rotation() -> TestResult {
    let mock = MockTeleport::start_with(es256())?;
    mock.set_next_algorithm(Ca::Jwt, Algorithm::RS256);
    mock.set_rotation_phase(Ca::Jwt, RotationPhase::Init);
    let jwks = fetch_json(&mock, JWKS)?;
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert_eq!(jwks["keys"][2]["kty"], "RSA");
    mock.set_rotation_phase(Ca::Jwt, RotationPhase::UpdateClients);
    assert_eq!(mock.signing_algorithm(Ca::Jwt), Algorithm::RS256);
    let token = mock.mint(&MintSpec::default())?;
    assert_eq!(decode(&token)?.0["alg"], "RS256");
    verify_with_jwks(&token, &jwks)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// failure modes

#[test]
fn refuse_really_refuses_and_recovers_on_the_same_port() -> TestResult {
    let mock = MockTeleport::start_with(es256())?;
    let addr = mock.addr();
    let url = mock.proxy_url();
    assert_eq!(fetch(&mock, JWKS)?.status, 200);
    mock.set_failure(Failure::Refuse);
    assert_eq!(mock.failure(), Failure::Refuse);
    let err = TcpStream::connect_timeout(&addr, Duration::from_secs(1))
        .err()
        .ok_or("connected while refusing")?;
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(fetch(&mock, JWKS).is_err(), "ureq sees a connection error");
    assert_eq!(
        mock.request_count_for(JWKS),
        1,
        "refused requests are not served"
    );
    mock.set_failure(Failure::None);
    assert_eq!(mock.proxy_url(), url);
    assert_eq!(fetch(&mock, JWKS)?.status, 200);
    assert_eq!(mock.request_count_for(JWKS), 2);
    Ok(())
}

#[test]
fn status_garbage_oversized_and_redirect() -> TestResult {
    let mock = MockTeleport::start_with(es256())?;
    mock.set_failure(Failure::Status(503));
    for path in [JWKS, JWKS_OIDC, DISCOVERY, "/other"] {
        assert_eq!(fetch(&mock, path)?.status, 503, "{path}");
    }
    assert_eq!(mock.request_count(), 4, "failed requests are counted");

    mock.set_failure(Failure::Garbage);
    let got = fetch(&mock, JWKS)?;
    assert_eq!(got.status, 200);
    assert!(!got.body.is_empty());
    assert!(serde_json::from_slice::<Value>(&got.body).is_err());

    mock.set_failure(Failure::OversizedBody(3 * 1024 * 1024 + 7));
    let got = fetch(&mock, JWKS)?;
    assert_eq!(got.status, 200);
    assert_eq!(got.body.len(), 3 * 1024 * 1024 + 7);
    assert!(serde_json::from_slice::<Value>(&got.body)?.is_object());

    mock.set_failure(Failure::Redirect(
        "https://attacker.example/jwks.json".into(),
    ));
    let got = fetch(&mock, DISCOVERY)?;
    assert_eq!(got.status, 302);
    assert_eq!(
        got.location.as_deref(),
        Some("https://attacker.example/jwks.json")
    );

    mock.set_failure(Failure::None);
    assert_eq!(fetch(&mock, JWKS)?.status, 200);
    Ok(())
}

#[test]
fn hang_times_out_and_ends_when_cleared() -> TestResult {
    let mock = Arc::new(MockTeleport::start_with(es256())?);
    mock.set_failure(Failure::Hang);
    let started = Instant::now();
    let err = fetch_with(
        &agent(&mock, Duration::from_secs(1))?,
        &mock.proxy_url(),
        JWKS,
    )
    .err()
    .ok_or("answered while hanging")?;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    match err.downcast_ref::<ureq::Error>() {
        Some(ureq::Error::Timeout(_)) => {}
        other => return Err(format!("expected a timeout, got {other:?}").into()),
    }
    assert_eq!(
        mock.request_count_for(JWKS),
        1,
        "the hung request was received"
    );

    // A request waiting in a hang is answered once the failure is cleared.
    let waiting = {
        let mock = Arc::clone(&mock);
        std::thread::spawn(move || {
            fetch(&mock, JWKS)
                .map(|f| f.status)
                .map_err(|e| e.to_string())
        })
    };
    while mock.request_count_for(JWKS) < 2 {
        std::thread::sleep(Duration::from_millis(10));
    }
    mock.set_failure(Failure::None);
    let status = waiting.join().map_err(|_| "client panicked")??;
    assert_eq!(status, 200);
    Ok(())
}

#[test]
fn stop_is_prompt_with_hung_and_idle_connections() -> TestResult {
    let mock = MockTeleport::start_with(es256())?;
    let url = mock.proxy_url();
    let addr = mock.addr();
    let _idle = TcpStream::connect(addr)?;
    mock.set_failure(Failure::Hang);
    let client = agent(&mock, Duration::from_secs(20))?;
    let hung = std::thread::spawn(move || fetch_with(&client, &url, JWKS).is_err());
    while mock.request_count() < 1 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let started = Instant::now();
    mock.stop();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        hung.join().map_err(|_| "client panicked")?,
        "hung request fails on stop"
    );
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
    Ok(())
}

#[test]
fn connections_beyond_the_cap_are_closed() -> TestResult {
    let mock = MockTeleport::start_with(es256())?;
    let mut idle = Vec::new();
    for _ in 0..teleport_jwt::mock::MAX_CONNECTIONS {
        idle.push(TcpStream::connect(mock.addr())?);
    }
    // Give the accept loop time to take all of them.
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = TcpStream::connect(mock.addr())?;
    extra.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut buf = [0u8; 1];
    assert_eq!(extra.read(&mut buf).unwrap_or(0), 0, "closed at once");
    drop(idle);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match fetch(&mock, JWKS) {
            Ok(got) if got.status == 200 => break,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(got) => return Err(format!("status {}", got.status).into()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[test]
fn id_token_with_many_traits_verifies() -> TestResult {
    // Traits keep their order and values, and an RS256 ID token with many traits verifies.
    let mock = MockTeleport::start()?;
    let traits: BTreeMap<String, Vec<String>> = (0..20)
        .map(|i| (format!("t{i:02}"), vec![format!("v{i}")]))
        .collect();
    let token = mock.mint(&MintSpec {
        traits: traits.clone(),
        kind: TokenKind::IdToken,
        ..MintSpec::default()
    })?;
    let (_, claims) = decode(&token)?;
    assert_eq!(claims["traits"], serde_json::to_value(&traits)?);
    verify_with_jwks(&token, &fetch_json(&mock, JWKS_OIDC)?)?;
    Ok(())
}
