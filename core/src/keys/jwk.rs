//! One JWK in, one parsed verification key (or the reason it is ineligible) out.
//!
//! A key is parsed exactly once, when its key set is loaded; verification then uses the parsed
//! form. Eligibility is strict and decided here, for keys from every source alike:
//! - `kty` `RSA` (RS256) or `EC` with `crv` `P-256` (ES256); nothing symmetric, nothing else;
//! - `alg`, when present, must agree with `kty`/`crv`; `use`, when present, must be `sig`;
//!   `key_ops`, when present, must include `verify`;
//! - no private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`);
//! - RSA: 2048 to 8192 bits, `e` odd and greater than 1, no ROCA-weak modulus;
//! - EC: coordinates of at most 32 bytes, left-padded when shorter (Teleport has published
//!   31-byte coordinates), and a point on the curve.

use aws_lc_rs::signature::{
    ParsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256,
};
use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::b64::decode_key_material;

/// Members that only a private or symmetric key has.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

#[cfg(test)]
thread_local! {
    /// Signature checks made on this thread: what tests count to assert the work a token costs.
    pub(crate) static SIGNATURE_CHECKS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A trusted public key, parsed once, ready to verify signatures.
pub struct VerifyingKey {
    kid: Option<String>,
    alg: Algorithm,
    parsed: ParsedPublicKey,
    /// SHA-256 over the algorithm and the public key bytes: identifies the key material
    /// regardless of `kid`, to fold Teleport's blank-`kid` duplicates.
    fingerprint: [u8; 32],
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// The key's `kid`; `None` when it was absent or blank.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The only algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// True when `signature` over `message` verifies with this key. ES256 signatures must be the
    /// 64-byte raw `r || s` form; DER and any other length fail.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        #[cfg(test)]
        SIGNATURE_CHECKS.with(|c| c.set(c.get() + 1));
        if self.alg == Algorithm::ES256 && signature.len() != 64 {
            return false;
        }
        self.parsed.verify_sig(message, signature).is_ok()
    }

    pub(crate) fn with_blank_kid(&self) -> bool {
        self.kid.is_none()
    }

    /// Parses one JWK object. The error says why the key is ineligible.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<VerifyingKey, String> {
        let kid = match jwk.get("kid") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("`kid` is not a string".into()),
        };
        if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
            return Err(format!(
                "carries the private or symmetric member `{m}`; only public keys are trusted"
            ));
        }
        match jwk.get("use") {
            None => {}
            Some(Value::String(u)) if u == "sig" => {}
            Some(other) => return Err(format!("`use` is {other}, not \"sig\"")),
        }
        if let Some(ops) = jwk.get("key_ops") {
            let ok = ops
                .as_array()
                .is_some_and(|a| a.iter().any(|op| op.as_str() == Some("verify")));
            if !ok {
                return Err("`key_ops` does not include \"verify\"".into());
            }
        }
        let kty = str_member(jwk, "kty")?;
        let declared = match jwk.get("alg") {
            None => None,
            Some(Value::String(a)) => Some(
                Algorithm::from_jose(a).ok_or_else(|| format!("`alg` {a:?} is not supported"))?,
            ),
            Some(_) => return Err("`alg` is not a string".into()),
        };
        let (alg, bytes) = match kty {
            "RSA" => (Algorithm::RS256, rsa_public_key_der(jwk)?),
            "EC" => (Algorithm::ES256, ec_point(jwk)?),
            other => return Err(format!("`kty` {other:?} is not supported (RSA or EC only)")),
        };
        if let Some(d) = declared {
            if d != alg {
                return Err(format!("`alg` {d} does not match `kty` {kty}"));
            }
        }
        let algorithm: &'static dyn VerificationAlgorithm = match alg {
            Algorithm::RS256 => &RSA_PKCS1_2048_8192_SHA256,
            Algorithm::ES256 => &ECDSA_P256_SHA256_FIXED,
        };
        let parsed = ParsedPublicKey::new(algorithm, &bytes)
            .map_err(|e| format!("the key material is invalid: {e}"))?;
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(alg.as_str().as_bytes());
        ctx.update(&bytes);
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(ctx.finish().as_ref());
        Ok(VerifyingKey {
            kid,
            alg,
            parsed,
            fingerprint,
        })
    }
}

fn str_member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    match jwk.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("`{name}` is not a string")),
        None => Err(format!("`{name}` is missing")),
    }
}

fn bytes_member(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let s = str_member(jwk, name)?;
    decode_key_material(s).ok_or_else(|| format!("`{name}` is not valid base64url"))
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

/// PKCS#1 `RSAPublicKey` DER from the JWK's `n` and `e`, after the size and exponent checks.
fn rsa_public_key_der(jwk: &Map<String, Value>) -> Result<Vec<u8>, String> {
    let n_raw = bytes_member(jwk, "n")?;
    let e_raw = bytes_member(jwk, "e")?;
    let n = strip_leading_zeros(&n_raw);
    let e = strip_leading_zeros(&e_raw);
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    if !(2048..=8192).contains(&bits) {
        return Err(format!(
            "RSA modulus of {bits} bits (2048 to 8192 required)"
        ));
    }
    if e.len() > 4 {
        return Err("RSA exponent longer than 32 bits".into());
    }
    let e_val = e.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    if e_val <= 1 || e_val % 2 == 0 {
        return Err(format!(
            "RSA exponent {e_val} (must be odd and greater than 1)"
        ));
    }
    if super::roca::is_weak_modulus(n) {
        return Err("RSA modulus has the ROCA fingerprint (CVE-2017-15361)".into());
    }
    Ok(rsa_pkcs1_der(n, e))
}

/// The PKCS#1 `RSAPublicKey` DER (`SEQUENCE { INTEGER n, INTEGER e }`) of big-endian `n` and
/// `e`, minimally encoded as Go's `x509.MarshalPKCS1PublicKey` does (Teleport hashes it for the
/// `kid`, which is why the mock uses it too).
pub(crate) fn rsa_pkcs1_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut body = der_unsigned_integer(strip_leading_zeros(n));
    body.extend(der_unsigned_integer(strip_leading_zeros(e)));
    der_tlv(0x30, &body)
}

/// The uncompressed SEC1 point `04 || x || y` from the JWK, coordinates left-padded to 32 bytes.
fn ec_point(jwk: &Map<String, Value>) -> Result<Vec<u8>, String> {
    let crv = str_member(jwk, "crv")?;
    if crv != "P-256" {
        return Err(format!("`crv` {crv:?} is not supported (P-256 only)"));
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    for name in ["x", "y"] {
        let c = bytes_member(jwk, name)?;
        if c.is_empty() || c.len() > 32 {
            return Err(format!(
                "`{name}` is {} bytes (P-256 coordinates are at most 32)",
                c.len()
            ));
        }
        point.extend(std::iter::repeat_n(0u8, 32 - c.len()));
        point.extend_from_slice(&c);
    }
    Ok(point)
}

fn der_unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(magnitude);
    der_tlv(0x02, &content)
}

fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let len_bytes = len.to_be_bytes();
        let significant = strip_leading_zeros(&len_bytes);
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn der_lengths_use_long_form_past_127() {
        assert_eq!(der_tlv(0x02, &[1]), vec![0x02, 1, 1]);
        let long = der_tlv(0x30, &[0u8; 300]);
        assert_eq!(&long[..4], &[0x30, 0x82, 0x01, 0x2c]);
        assert_eq!(der_unsigned_integer(&[0x80]), vec![0x02, 2, 0, 0x80]);
    }

    #[test]
    fn symmetric_and_unknown_keys_are_ineligible() {
        let k = obj(serde_json::json!({"kty":"oct","k":"AAAA","alg":"HS256"}));
        assert!(VerifyingKey::from_jwk(&k).unwrap_err().contains("`k`"));
        let k = obj(serde_json::json!({"kty":"OKP","crv":"Ed25519","x":"AAAA"}));
        assert!(VerifyingKey::from_jwk(&k).unwrap_err().contains("kty"));
    }
}
