//! Entry points for the cargo-fuzz targets in `core/fuzz` (feature `_only-for-fuzzing`).
//!
//! Not a public API: nothing here is stable, and the feature exists only so the fuzz crate can
//! reach parsers that are crate-internal (the strict JSON reader, for one). Every function
//! takes arbitrary bytes and must never panic; where the crate documents an invariant (a
//! decoded token's signing input is a prefix of the token, `Policy::allows` agrees with
//! `explain` and `permissions`), the entry point asserts it, so a broken invariant is reported
//! by the fuzzer like a crash.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::alg::{Algorithm, TokenKind};
use crate::clock::ManualClock;
use crate::config::{KeysFrom, TrustEntry, VerifierOptions};
use crate::identity::Identity;
use crate::jws::{self, KeyId, DEFAULT_MAX_TOKEN_BYTES};
use crate::keys::{CachePolicy, KeySet};
use crate::policy::{Effect, Policy, PolicyFormat};
use crate::verifier::Verifier;

/// The time every verification runs at: 2023-11-14, one minute after the fixed tokens of the
/// seed corpus were issued (they expire twenty years later).
pub const NOW_UNIX: u64 = 1_700_000_060;

/// The audience of the static verifier.
pub const AUDIENCE: &str = "mcp+http://127.0.0.1:8000/mcp";

/// Issuer of classic RS256 tokens, keys [`RSA_JWKS`].
pub const RSA_ISSUER: &str = "teleport.example.com";
/// Issuer of classic ES256 tokens, keys [`EC_JWKS`].
pub const EC_ISSUER: &str = "leaf.example.com";
/// Issuer of ES256 ID tokens, keys [`OIDC_JWKS`].
pub const OIDC_ISSUER: &str = "https://proxy.example.com";

/// A Teleport JWT CA JWKS (RS256, every key with its blank-`kid` twin), made once with
/// `MockTeleport`; the seed tokens of `verify_static` are signed by its private half.
pub const RSA_JWKS: &str = r#"{"keys":[{"kty":"RSA","alg":"RS256","n":"t4_Fuf7mffbprMRLPQ-6u-Ln8TgbwFSEmek3y2KAqxCSq0CCRc0usUOPcW4bBUCau-SVhEF_A-re5LAD9BYvkPoHyJnYu_RaRQBLUUd3HnBF-HGdzF0Ls1sH22kPp9x7cFxQiVaKT1--7qQv7at-9g0D9Otued-ehZKPkSpYkvLXKbazGWkv9N7F2axxB7wcesRTjr-UHjYNJLF6a1xs-wxd18h7G7UiG8onj5IVwb2p7ySzR_XeQnY75XgY84jYD1PI9L8FWn9gjYJla0LAI_iOJPYafickX2SFPlMw38yklTmDs8E_Y2Q16QagEiEhoLqJ0v0UKOpqmWBr2mFhDw","e":"AQAB","use":"sig","kid":"HPf8uhVAi0pmYjiDluJCndBAiRbFdosAqTfzONaAaeA"},{"kty":"RSA","alg":"RS256","n":"t4_Fuf7mffbprMRLPQ-6u-Ln8TgbwFSEmek3y2KAqxCSq0CCRc0usUOPcW4bBUCau-SVhEF_A-re5LAD9BYvkPoHyJnYu_RaRQBLUUd3HnBF-HGdzF0Ls1sH22kPp9x7cFxQiVaKT1--7qQv7at-9g0D9Otued-ehZKPkSpYkvLXKbazGWkv9N7F2axxB7wcesRTjr-UHjYNJLF6a1xs-wxd18h7G7UiG8onj5IVwb2p7ySzR_XeQnY75XgY84jYD1PI9L8FWn9gjYJla0LAI_iOJPYafickX2SFPlMw38yklTmDs8E_Y2Q16QagEiEhoLqJ0v0UKOpqmWBr2mFhDw","e":"AQAB","use":"sig","kid":""}]}"#;

/// An ES256 JWT CA JWKS, made like [`RSA_JWKS`].
pub const EC_JWKS: &str = r#"{"keys":[{"kty":"EC","alg":"ES256","crv":"P-256","x":"u6SJshF1xPZCFg9JswXd7x6mqxc9EJg3DIjETQBkfWo","y":"M8R6rIZMTJ8-RrMQ0aPRnA3LN5tu1T-AiydrMzqVQKQ","use":"sig","kid":"PteC_LyHuPE5cMJSwwjMyyYzX-EnSw7RacSeABjjZPY"},{"kty":"EC","alg":"ES256","crv":"P-256","x":"u6SJshF1xPZCFg9JswXd7x6mqxc9EJg3DIjETQBkfWo","y":"M8R6rIZMTJ8-RrMQ0aPRnA3LN5tu1T-AiydrMzqVQKQ","use":"sig","kid":""}]}"#;

/// An ES256 OIDC CA JWKS, made like [`RSA_JWKS`].
pub const OIDC_JWKS: &str = r#"{"keys":[{"kty":"EC","alg":"ES256","crv":"P-256","x":"JONg2XqgRgJHbP2BEaM_ydwGye2WE9RSYM9eHOxRtkc","y":"M0_z-tDeJmD2eCxfRwN_bADcPuZ_PyWMB9t4AKDtk2M","use":"sig","kid":"IIFW1fYZPRoxJGqVVIwxoGoiQE_fS_uEqGZH5M7Yt34"},{"kty":"EC","alg":"ES256","crv":"P-256","x":"JONg2XqgRgJHbP2BEaM_ydwGye2WE9RSYM9eHOxRtkc","y":"M0_z-tDeJmD2eCxfRwN_bADcPuZ_PyWMB9t4AKDtk2M","use":"sig","kid":""}]}"#;

/// Strict JSON (`crate::json::parse_strict` and `parse_object`). Checks it against plain
/// `serde_json`: the strict reader may only refuse more (duplicate member names), never read a
/// document differently, and what it accepts serializes back to strict JSON. True when the
/// input is a strict JSON object.
pub fn json_strict(data: &[u8]) -> bool {
    let strict = crate::json::parse_strict(data);
    let object = crate::json::parse_object(data);
    assert_eq!(
        object.is_ok(),
        matches!(strict, Ok(Value::Object(_))),
        "parse_object and parse_strict disagree"
    );
    let lax = serde_json::from_slice::<Value>(data);
    match (&strict, &lax) {
        (Ok(s), Ok(l)) => assert_eq!(s, l, "strict and serde_json read different values"),
        (Ok(_), Err(e)) => panic!("strict JSON accepted what serde_json refuses: {e}"),
        (Err(e), Ok(_)) => assert!(
            e.contains("duplicate member name"),
            "strict JSON refused a document serde_json accepts, not for a duplicate: {e}"
        ),
        (Err(_), Err(_)) => {}
    }
    if let Some(skim) = crate::json::skim_object(data) {
        let map = object
            .as_ref()
            .expect("parse_object reads what the skim takes");
        assert_eq!(
            skim.members.len(),
            map.len(),
            "skim and parse_object count apart"
        );
        for ((name, raw), (key, v)) in skim.members.iter().zip(map) {
            assert_eq!(name, key, "skim and parse_object name members apart");
            assert_eq!(
                &raw.to_value(),
                v,
                "skim and parse_object read {name:?} apart"
            );
        }
        assert_eq!(
            skim.heap,
            crate::json::heap_of(map),
            "heap estimates differ"
        );
    }
    if let Ok(map) = &object {
        claims_check_alike(data, map);
    }
    if let Ok(v) = &strict {
        let text = serde_json::to_vec(v).expect("a parsed value serializes");
        if let Err(e) = crate::json::parse_strict(&text) {
            panic!("re-serialized strict JSON does not parse strictly: {e}");
        }
    }
    object.is_ok()
}

/// The claim rules give one answer for a payload, skimmed or parsed.
fn claims_check_alike(data: &[u8], map: &serde_json::Map<String, Value>) {
    use crate::claims::{check, ClaimRules, Payload};
    let audiences = ["mcp+http://127.0.0.1:8000/mcp".to_owned()];
    let rules = ClaimRules {
        audiences: &audiences,
        require_iat: false,
        leeway_secs: 30.0,
        now: 1_700_000_100.0,
    };
    let payload = Payload::read(data).expect("a strict object is a payload");
    let ours = check(&payload.claims(), &rules);
    let reference = check(&Payload::Parsed(map.clone()).claims(), &rules);
    match (ours, reference) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "claims read apart"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "claims refused apart"),
        (a, b) => panic!("claims checked apart: {:?} vs {:?}", a.is_ok(), b.is_ok()),
    }
}

/// Compact JWS decoding ([`jws::decode`]) with the default 16 KiB cap, and with a cap of half
/// the input. True when the input decodes.
pub fn jws_decode(data: &[u8]) -> bool {
    let Ok(token) = std::str::from_utf8(data) else {
        return false;
    };
    let small_cap = token.len() / 2;
    if !token.is_empty() && jws::decode(token, small_cap).is_ok() {
        panic!(
            "a token of {} bytes passed a cap of {small_cap}",
            token.len()
        );
    }
    let Ok(jws) = jws::decode(token, DEFAULT_MAX_TOKEN_BYTES) else {
        return false;
    };
    assert!(matches!(jws.alg, Algorithm::RS256 | Algorithm::ES256));
    assert!(token.as_bytes().starts_with(jws.signing_input));
    assert_eq!(
        token.as_bytes().get(jws.signing_input.len()),
        Some(&b'.'),
        "the signing input does not end at the second dot"
    );
    assert!(!jws.signing_input.is_empty() && !jws.signature.is_empty());
    for h in ["crit", "jwk", "jku", "x5u", "x5c"] {
        assert!(!jws.header.contains_key(h), "header `{h}` got through");
    }
    match (&jws.kid, jws.header.get("kid")) {
        (KeyId::Absent, None) => {}
        (KeyId::Absent, Some(Value::String(s))) => assert!(s.is_empty()),
        (KeyId::Id(k), Some(Value::String(s))) => assert!(!k.is_empty() && k == s),
        (KeyId::NotAString, Some(v)) => assert!(!v.is_string()),
        (kid, member) => panic!("kid {kid:?} from header member {member:?}"),
    }
    true
}

/// JWKS parsing ([`KeySet::from_jwks_json`]) with the default cap on keys, then a verification
/// attempt with every usable key (must fail: the signature is garbage). True when the document
/// has a usable key.
pub fn jwks_parse(data: &[u8]) -> bool {
    let max_keys = CachePolicy::default().max_keys;
    let Ok(set) = KeySet::from_jwks_json(data, max_keys) else {
        return false;
    };
    assert!(!set.is_empty() && set.len() <= max_keys);
    for key in set.keys() {
        if let Some(kid) = key.kid() {
            assert!(!kid.is_empty(), "a blank kid was kept as a kid");
            assert!(set.has_kid(kid));
            assert!(set
                .candidates(Some(kid), key.algorithm())
                .all(|k| k.kid() == Some(kid)));
        }
        let bogus = vec![
            0x5a;
            if key.algorithm() == Algorithm::ES256 {
                64
            } else {
                256
            }
        ];
        assert!(
            !key.verify(b"header.payload", &bogus),
            "a constant signature verified"
        );
    }
    true
}

/// The identity policies are evaluated for in [`policy_load`].
fn policy_identity() -> &'static Identity {
    static ID: OnceLock<Identity> = OnceLock::new();
    ID.get_or_init(|| Identity {
        username: "alice@example.com".into(),
        sub: "alice@example.com".into(),
        roles: vec!["access".into(), "mcp-dev".into(), "editor".into()],
        traits: [
            ("github_orgs", vec!["acme", "beta"]),
            ("logins", vec!["alice", "root", ""]),
            ("team", vec!["data"]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
        .collect(),
        issuer: RSA_ISSUER.into(),
        audience: vec![AUDIENCE.into()],
        expires_at: 2_000_000_000,
        issued_at: Some(1_700_000_000),
        not_before: None,
        jti: None,
        key_id: None,
        algorithm: Algorithm::RS256,
        trust_entry: "root".into(),
        kind: TokenKind::TeleportJwt,
        claims: Default::default(),
    })
}

/// Policy loading from YAML, TOML and JSON (the same text tried as each), then evaluation of
/// what loads for a fixed identity, checking that `allows`, `permissions().allows` and
/// `explain` agree. True when any format loads.
pub fn policy_load(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let mut loaded = false;
    for format in [PolicyFormat::Yaml, PolicyFormat::Toml, PolicyFormat::Json] {
        match Policy::from_str_as(text, format) {
            Ok(policy) => {
                loaded = true;
                evaluate_policy(&policy);
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    loaded
}

fn evaluate_policy(policy: &Policy) {
    let id = policy_identity();
    let mut asks: Vec<String> = [
        "tool:read_file",
        "tool:delete_repo",
        "repo:acme:read",
        "repo:beta:write",
        "",
        "*",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for rule in policy.rules() {
        match &rule.effect {
            Effect::Deny(globs) => asks.extend(globs.iter().map(|g| g.as_str().to_owned())),
            Effect::Grant(templates) => {
                for t in templates {
                    asks.push(t.as_str().to_owned());
                    if t.expansion_size(id) <= 16 {
                        asks.extend(t.expand(id));
                    }
                }
            }
        }
    }
    asks.truncate(48);
    let permissions = policy.permissions(id);
    for ask in &asks {
        let allowed = policy.allows(id, ask);
        assert_eq!(
            allowed,
            permissions.allows(ask),
            "Policy::allows and Permissions::allows disagree on {ask:?}"
        );
        let explanation = policy.explain(id, ask);
        assert_eq!(
            allowed,
            explanation.is_allowed(),
            "Policy::allows and explain disagree on {ask:?}"
        );
        let _ = explanation.to_string();
    }
    let _ = policy.filter_tools(id, ["read_file", "delete_repo", ""]);
}

/// The verifier of [`verify_static`]: three trust entries with static keys, the token cache
/// off (so every input takes the full path) and a clock stopped at [`NOW_UNIX`].
fn static_verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let classic = |issuer: &str, jwks: &str| TrustEntry {
            keys: KeysFrom::StaticJwks(jwks.into()),
            ..TrustEntry::teleport_jwt("https://unused.invalid", issuer, AUDIENCE)
        };
        Verifier::builder()
            .trust(classic(RSA_ISSUER, RSA_JWKS))
            .trust(classic(EC_ISSUER, EC_JWKS))
            .trust(TrustEntry {
                keys: KeysFrom::StaticJwks(OIDC_JWKS.into()),
                ..TrustEntry::teleport_id_token(OIDC_ISSUER, AUDIENCE)
            })
            .options(VerifierOptions {
                token_cache_capacity: 0,
                ..VerifierOptions::default()
            })
            .clock(Arc::new(ManualClock::at_unix(NOW_UNIX)))
            .build()
            .expect("the static verifier builds")
    })
}

/// Full verification of the input as a token ([`Verifier::verify_at`] at [`NOW_UNIX`]) against
/// static keys. True when it verifies; the identity must then come from a trusted issuer and
/// be unexpired.
pub fn verify_static(data: &[u8]) -> bool {
    let Ok(token) = std::str::from_utf8(data) else {
        return false;
    };
    let now: SystemTime = UNIX_EPOCH + Duration::from_secs(NOW_UNIX);
    match static_verifier().verify_at(token, now) {
        Ok(identity) => {
            assert!(
                [RSA_ISSUER, EC_ISSUER, OIDC_ISSUER].contains(&identity.issuer.as_str()),
                "verified a token from issuer {:?}",
                identity.issuer
            );
            assert!(identity.audience.iter().any(|a| a == AUDIENCE));
            assert!(identity.expires_at.saturating_add(60) >= NOW_UNIX as i64);
            true
        }
        Err(e) => {
            let _ = (e.reason(), e.to_string());
            false
        }
    }
}
