//! Writes `tests/vectors/verify_cases.json`, the shared vector file that the Rust, Python and
//! Kotlin suites all read, so the three are proven to give the same answers.
//!
//! The committed file is the contract; regenerate it only when adding cases:
//! `cargo run -p teleport-jwt --features mock --example gen_vectors > tests/vectors/verify_cases.json`
//! Keys are fresh on every run, so a regenerated file differs byte for byte but not in meaning.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use teleport_jwt::mock::{Ca, JwtClaims, MintSpec, MockOptions, MockTeleport};
use teleport_jwt::Algorithm;

const AUD: &str = "mcp+http://127.0.0.1:8000/mcp";
const NOW: i64 = 1_700_000_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rsa = MockTeleport::start_with(MockOptions {
        algorithm: Algorithm::RS256,
        id_token_algorithm: Algorithm::RS256,
        ..Default::default()
    })?;
    let ec = MockTeleport::start_with(MockOptions {
        algorithm: Algorithm::ES256,
        ..Default::default()
    })?;
    let cluster = rsa.cluster_name();
    let mut cases: Vec<Value> = Vec::new();

    let spec = |f: &dyn Fn(&mut MintSpec)| {
        let mut s = MintSpec {
            username: "alice".into(),
            roles: vec!["access".into(), "mcp-reader".into()],
            traits: BTreeMap::from([
                (
                    "logins".to_string(),
                    vec!["alice".to_string(), "root".to_string()],
                ),
                ("team".to_string(), vec!["data".to_string()]),
            ]),
            audience: vec![AUD.into()],
            ttl: Duration::from_secs(300),
            issued_at: Some(NOW - 30),
            ..Default::default()
        };
        f(&mut s);
        s
    };
    let ok = |name: &str, keys: &str, token: String, id: Value| json!({"name": name, "keys": keys, "token": token, "expect": {"ok": id}});
    let fail = |name: &str, keys: &str, token: String, code: &str| json!({"name": name, "keys": keys, "token": token, "expect": {"error": code}});
    let identity = |m: &MockTeleport, alg: &str| {
        json!({
            "username": "alice", "sub": "alice", "roles": ["access", "mcp-reader"],
            "traits": {"logins": ["alice", "root"], "team": ["data"]},
            "issuer": cluster, "audience": [AUD], "expires_at": NOW + 270,
            "issued_at": NOW - 30, "not_before": NOW - 40,
            "key_id": m.signing_key_id(Ca::Jwt), "algorithm": alg,
        })
    };

    for (m, keys, alg) in [(&rsa, "rs256", "RS256"), (&ec, "es256", "ES256")] {
        cases.push(ok(
            &format!("{keys}_valid"),
            keys,
            m.mint(&spec(&|_| {}))?,
            identity(m, alg),
        ));
        cases.push(ok(
            &format!("{keys}_valid_without_kid"),
            keys,
            m.mint(&spec(&|s| s.include_kid = Some(false)))?,
            identity(m, alg),
        ));
        cases.push(fail(
            &format!("{keys}_expired"),
            keys,
            m.mint(&spec(&|s| {
                s.issued_at = Some(NOW - 1000);
                s.ttl = Duration::from_secs(900);
            }))?,
            "expired",
        ));
        let mut tampered = m.mint(&spec(&|_| {}))?;
        let payload_start = tampered.find('.').ok_or("no dot")? + 1;
        let forged = m.mint(&spec(&|s| s.username = "admin".into()))?;
        let forged_payload = forged.split('.').nth(1).ok_or("no payload")?;
        let sig = tampered.rsplit('.').next().ok_or("no sig")?.to_string();
        tampered = format!("{}{forged_payload}.{sig}", &tampered[..payload_start]);
        cases.push(fail(
            &format!("{keys}_tampered_payload"),
            keys,
            tampered,
            "bad_signature",
        ));
    }
    let r = |f: &dyn Fn(&mut MintSpec)| rsa.mint(&spec(f));
    let with_claim = |k: &str, v: Value| {
        r(&|s| {
            s.claim_overrides.insert(k.to_string(), v.clone());
        })
    };
    cases.push(ok(
        "aud_as_list_containing_ours",
        "rs256",
        with_claim("aud", json!(["other", AUD]))?,
        {
            let mut id = identity(&rsa, "RS256");
            id["audience"] = json!(["other", AUD]);
            id
        },
    ));
    cases.push(ok(
        "roles_null_traits_absent",
        "rs256",
        r(&|s| s.jwt_claims = JwtClaims::None)?,
        {
            let mut id = identity(&rsa, "RS256");
            id["roles"] = json!([]);
            id["traits"] = json!({});
            id
        },
    ));
    cases.push(fail(
        "not_yet_valid",
        "rs256",
        with_claim("nbf", json!(NOW + 120))?,
        "not_yet_valid",
    ));
    cases.push(fail(
        "issued_in_future",
        "rs256",
        with_claim("iat", json!(NOW + 120))?,
        "issued_in_future",
    ));
    cases.push(fail(
        "wrong_audience",
        "rs256",
        with_claim("aud", json!("mcp+http://127.0.0.1:9/x"))?,
        "audience_mismatch",
    ));
    cases.push(fail(
        "aws_integration_audience",
        "rs256",
        with_claim("aud", json!("discover.teleport"))?,
        "audience_mismatch",
    ));
    cases.push(fail(
        "issuer_trailing_slash",
        "rs256",
        with_claim("iss", json!(format!("{cluster}/")))?,
        "issuer_mismatch",
    ));
    cases.push(fail(
        "exp_as_string",
        "rs256",
        with_claim("exp", json!("1700000300"))?,
        "invalid_claim",
    ));
    cases.push(fail(
        "roles_not_a_list",
        "rs256",
        with_claim("roles", json!("admin"))?,
        "invalid_claim",
    ));
    cases.push(fail(
        "empty_aud_list",
        "rs256",
        with_claim("aud", json!([]))?,
        "invalid_claim",
    ));
    for claim in ["exp", "sub", "aud"] {
        cases.push(fail(
            &format!("missing_{claim}"),
            "rs256",
            r(&|s| s.remove_claims = vec![claim.to_string()])?,
            "missing_claim",
        ));
    }
    let with_header = |k: &str, v: Value| {
        r(&|s| {
            s.header_overrides.insert(k.to_string(), v.clone());
        })
    };
    cases.push(fail(
        "crit_header",
        "rs256",
        with_header("crit", json!(["exp"]))?,
        "unsupported_header",
    ));
    cases.push(fail(
        "jku_header",
        "rs256",
        with_header("jku", json!("https://evil.example/jwks"))?,
        "unsupported_header",
    ));
    cases.push(fail(
        "typ_not_jwt",
        "rs256",
        with_header("typ", json!("at+jwt"))?,
        "malformed",
    ));
    cases.push(fail(
        "unknown_kid",
        "rs256",
        with_header("kid", json!("../../etc/passwd"))?,
        "unknown_key",
    ));
    let rs256_on_ec = ec.mint(&spec(&|s| {
        s.header_overrides.insert("alg".into(), json!("RS256"));
    }))?;
    cases.push(fail(
        "rs256_header_on_ec_key",
        "es256",
        rs256_on_ec,
        "unsupported_algorithm",
    ));
    let payload = rsa.mint(&spec(&|_| {}))?;
    let mut parts = payload.split('.');
    let (h, p) = (parts.next().ok_or("h")?, parts.next().ok_or("p")?);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    cases.push(fail(
        "alg_none",
        "rs256",
        format!("{}.{p}.", b64(r#"{"alg":"none","typ":"JWT"}"#)),
        "unsupported_algorithm",
    ));
    cases.push(fail(
        "alg_hs256",
        "rs256",
        format!("{}.{p}.c2ln", b64(r#"{"alg":"HS256","typ":"JWT"}"#)),
        "unsupported_algorithm",
    ));
    cases.push(fail(
        "padded_base64",
        "rs256",
        format!("{h}=.{p}.c2ln"),
        "malformed",
    ));
    cases.push(fail(
        "two_segments",
        "rs256",
        format!("{h}.{p}"),
        "malformed",
    ));
    cases.push(fail(
        "too_large",
        "rs256",
        "a".repeat(16 * 1024 + 1),
        "token_too_large",
    ));
    let dup_header = format!(
        r#"{{"alg":"RS256","kid":"{}","kid":"x","typ":"JWT"}}"#,
        rsa.signing_key_id(Ca::Jwt)
    );
    let claims_json = String::from_utf8(base64_decode(p)?)?;
    cases.push(fail(
        "duplicate_kid_member",
        "rs256",
        rsa.sign_raw(Ca::Jwt, &dup_header, &claims_json)?,
        "malformed",
    ));
    let ec_good = ec.mint(&spec(&|_| {}))?;
    let (ec_input, ec_sig) = ec_good.rsplit_once('.').ok_or("no sig")?;
    let mut der = base64_decode(ec_sig)?;
    der.insert(0, 0x30);
    cases.push(fail(
        "es256_signature_65_bytes",
        "es256",
        format!("{ec_input}.{}", b64_bytes(&der)),
        "bad_signature",
    ));

    // Header extraction, with the default rules.
    let good = rsa.mint(&spec(&|_| {}))?;
    let header_case = |name: &str, headers: Value, expect: Value| json!({"name": name, "keys": "rs256", "headers": headers, "expect": expect});
    cases.push(header_case(
        "header_teleport_jwt_assertion",
        json!([["teleport-jwt-assertion", good]]),
        json!({"ok": identity(&rsa, "RS256")}),
    ));
    cases.push(header_case(
        "header_bearer",
        json!([["Authorization", format!("Bearer {good}")]]),
        json!({"ok": identity(&rsa, "RS256")}),
    ));
    cases.push(header_case(
        "header_missing",
        json!([["Accept", "*/*"]]),
        json!({"error": "missing_token"}),
    ));
    cases.push(header_case(
        "header_basic_auth",
        json!([["Authorization", "Basic YWxpY2U6cHc="]]),
        json!({"error": "malformed"}),
    ));

    let doc = json!({
        "description": "Shared verification vectors: every language binding must give these answers. Verify each case with a verifier that trusts `issuer` for `audience` with the JWKS named by `keys`, default options, at time `now` (Unix seconds). `expect.ok` lists identity fields that must match; `expect.error` is the reason code. Regenerate with: cargo run -p teleport-jwt --features mock --example gen_vectors",
        "issuer": cluster,
        "audience": AUD,
        "now": NOW,
        "keys": {
            "rs256": serde_json::from_str::<Value>(&rsa.jwks_json(Ca::Jwt))?,
            "es256": serde_json::from_str::<Value>(&ec.jwks_json(Ca::Jwt))?,
        },
        "cases": cases,
    });
    let mut out = serde_json::to_string_pretty(&doc)?;
    out.push('\n');
    print!("{out}");
    Ok(())
}

fn base64_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s)
}

fn b64_bytes(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
