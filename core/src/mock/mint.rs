//! Token minting: headers and claims laid out as Teleport lays them out, then compact JWS
//! encoding and signing.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::keys::MockKey;
use super::{JwtClaims, MockError};
use crate::alg::TokenKind;

/// What to put in a token minted by [`super::MockTeleport::mint`].
///
/// The default is a classic Teleport JWT for user `alice` with role `access`, audience
/// `mcp+http://127.0.0.1:8000/mcp` and a 5-minute lifetime, issued now.
///
/// It deserializes from an object whose members all default (the Python binding's
/// `MockTeleport.mint(**spec)` keywords): `ttl` in whole seconds, `audience` a string or a
/// list, `kind` and `jwt_claims` by name, `claims` and `headers` for the overrides. An unknown
/// member is an error that lists the known ones.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MintSpec {
    /// `sub` and `username`.
    pub username: String,
    /// The `roles` claim.
    pub roles: Vec<String>,
    /// The `traits` claim; traits with an empty list of values are left out, as Teleport does.
    pub traits: BTreeMap<String, Vec<String>>,
    /// The audiences. Exactly one makes `aud` a plain string, as Teleport sends it; otherwise
    /// `aud` is a list (an empty list gives `"aud": []`).
    #[serde(deserialize_with = "one_or_many")]
    pub audience: Vec<String>,
    /// Lifetime: `exp = iat + ttl` (whole seconds).
    #[serde(deserialize_with = "whole_seconds")]
    pub ttl: Duration,
    /// [`TokenKind::TeleportJwt`] (JWT CA, `iss` = cluster name) or [`TokenKind::IdToken`]
    /// (OIDC CA, `iss` = proxy URL). [`TokenKind::Generic`] is refused.
    pub kind: TokenKind,
    /// Which of `roles`/`traits` to include.
    pub jwt_claims: JwtClaims,
    /// `iat` in seconds since the Unix epoch; `None` means now. `nbf` is `iat - 10`.
    pub issued_at: Option<i64>,
    /// Whether the header carries `kid`; `None` follows [`super::MockOptions::kid_in_tokens`].
    pub include_kid: Option<bool>,
    /// Claims to set or replace after the Teleport claims are built (`Value::Null` writes a
    /// JSON `null`; use [`MintSpec::remove_claims`] to delete a claim). Serde name: `claims`.
    #[serde(rename = "claims")]
    pub claim_overrides: Map<String, Value>,
    /// Claims to delete (applied after `claim_overrides`).
    pub remove_claims: Vec<String>,
    /// Header members to set or replace (e.g. `"typ"`, `"kid"`, `"crit"`). The signature is
    /// still made with the CA's signing key whatever `alg` says. Serde name: `headers`.
    #[serde(rename = "headers")]
    pub header_overrides: Map<String, Value>,
    /// Header members to delete (applied after `header_overrides`).
    pub remove_headers: Vec<String>,
}

impl Default for MintSpec {
    fn default() -> Self {
        MintSpec {
            username: "alice".to_string(),
            roles: vec!["access".to_string()],
            traits: BTreeMap::new(),
            audience: vec!["mcp+http://127.0.0.1:8000/mcp".to_string()],
            ttl: Duration::from_secs(5 * 60),
            kind: TokenKind::TeleportJwt,
            jwt_claims: JwtClaims::RolesAndTraits,
            issued_at: None,
            include_kid: None,
            claim_overrides: Map::new(),
            remove_claims: Vec::new(),
            header_overrides: Map::new(),
            remove_headers: Vec::new(),
        }
    }
}

/// A string (one audience) or a list of strings.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct OneOrMany;
    impl<'de> serde::de::Visitor<'de> for OneOrMany {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Vec<String>, E> {
            Ok(vec![s.to_owned()])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<String>, A::Error> {
            let mut all = Vec::new();
            while let Some(one) = seq.next_element()? {
                all.push(one);
            }
            Ok(all)
        }
    }
    d.deserialize_any(OneOrMany)
}

/// A duration given as whole seconds.
fn whole_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    <u64 as serde::Deserialize>::deserialize(d).map(Duration::from_secs)
}

/// Seconds since the Unix epoch (0 if the clock is before 1970).
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A random UUID version 4 in its canonical text form.
pub(crate) fn uuid_v4() -> Result<String, MockError> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|e| MockError::KeyGeneration(format!("RNG: {e}")))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// The JWS header: `{"alg", "kid"?, "typ": "JWT"}`, then the spec's header edits.
pub(crate) fn header(key: &MockKey, include_kid: bool, spec: &MintSpec) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("alg".into(), Value::from(key.algorithm().as_str()));
    if include_kid {
        h.insert("kid".into(), Value::from(key.kid()));
    }
    h.insert("typ".into(), Value::from("JWT"));
    for (name, value) in &spec.header_overrides {
        h.insert(name.clone(), value.clone());
    }
    for name in &spec.remove_headers {
        h.remove(name);
    }
    h
}

/// The claim set Teleport writes for `spec` with issuer `iss` and random `jti`, then the
/// spec's claim edits. Members are inserted in the order Go's encoder writes them (sorted).
pub(crate) fn claims(spec: &MintSpec, iss: &str, jti: String) -> Map<String, Value> {
    let iat = spec.issued_at.unwrap_or_else(unix_now);
    let ttl = i64::try_from(spec.ttl.as_secs()).unwrap_or(i64::MAX);
    let mut c = Map::new();
    let aud = match spec.audience.as_slice() {
        [one] => Value::from(one.as_str()),
        many => Value::from(many.to_vec()),
    };
    c.insert("aud".into(), aud);
    c.insert("exp".into(), Value::from(iat.saturating_add(ttl)));
    c.insert("iat".into(), Value::from(iat));
    c.insert("iss".into(), Value::from(iss));
    c.insert("jti".into(), Value::from(jti));
    c.insert("nbf".into(), Value::from(iat.saturating_sub(10)));
    let traits: Map<String, Value> = spec
        .traits
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(name, values)| (name.clone(), Value::from(values.clone())))
        .collect();
    match spec.jwt_claims {
        JwtClaims::RolesAndTraits | JwtClaims::Roles => {
            c.insert("roles".into(), Value::from(spec.roles.clone()));
        }
        JwtClaims::Traits => {
            c.insert("roles".into(), Value::Null);
        }
        JwtClaims::None => {}
    }
    c.insert("sub".into(), Value::from(spec.username.as_str()));
    match spec.jwt_claims {
        JwtClaims::RolesAndTraits | JwtClaims::Traits => {
            c.insert("traits".into(), Value::Object(traits));
        }
        JwtClaims::Roles => {
            c.insert("traits".into(), Value::Object(Map::new()));
        }
        JwtClaims::None => {}
    }
    c.insert("username".into(), Value::from(spec.username.as_str()));
    for (name, value) in &spec.claim_overrides {
        c.insert(name.clone(), value.clone());
    }
    for name in &spec.remove_claims {
        c.remove(name);
    }
    c
}

/// `base64url(header) . base64url(payload) . base64url(signature)`, the given bytes taken
/// verbatim and signed with `key`.
pub(crate) fn sign_compact(
    key: &MockKey,
    header_json: &str,
    payload_json: &str,
) -> Result<String, MockError> {
    let mut token = URL_SAFE_NO_PAD.encode(header_json.as_bytes());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(payload_json.as_bytes()));
    let signature = key.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(token)
}

/// Checks that `kind` names a token the mock can make.
pub(crate) fn check_kind(kind: TokenKind) -> Result<(), MockError> {
    match kind {
        TokenKind::TeleportJwt | TokenKind::IdToken => Ok(()),
        TokenKind::Generic => Err(MockError::InvalidSpec(
            "TokenKind::Generic is not a Teleport token: use TeleportJwt or IdToken".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v4_shape() -> Result<(), MockError> {
        let id = uuid_v4()?;
        assert_eq!(id.len(), 36);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(id, uuid_v4()?);
        Ok(())
    }

    #[test]
    fn claim_layout() {
        let mut spec = MintSpec {
            issued_at: Some(1_700_000_000),
            ..MintSpec::default()
        };
        spec.traits.insert("logins".into(), vec!["root".into()]);
        spec.traits.insert("empty".into(), vec![]);
        let c = claims(&spec, "teleport.example.com", "j".into());
        assert_eq!(c["aud"], "mcp+http://127.0.0.1:8000/mcp");
        assert_eq!(c["iat"], 1_700_000_000);
        assert_eq!(c["nbf"], 1_699_999_990);
        assert_eq!(c["exp"], 1_700_000_300);
        assert_eq!(c["traits"], serde_json::json!({"logins": ["root"]}));
        assert_eq!(c["roles"], serde_json::json!(["access"]));
        assert_eq!(c["sub"], "alice");
        assert_eq!(c["username"], "alice");

        spec.audience.push("second".into());
        spec.jwt_claims = JwtClaims::Traits;
        spec.claim_overrides
            .insert("obo".into(), Value::from("user:bob"));
        spec.remove_claims.push("jti".into());
        let c = claims(&spec, "x", "j".into());
        assert!(c["aud"].is_array());
        assert!(c["roles"].is_null());
        assert_eq!(c["obo"], "user:bob");
        assert!(!c.contains_key("jti"));
    }
}
