//! Splitting and decoding a compact JWS, strictly, before any key is looked at.
//!
//! What is refused here, each with its reason code:
//! - longer than the cap: `token_too_large`, before any decoding;
//! - not exactly three segments, an empty header or signature, non-canonical base64url, a header or payload that
//!   is not a strict JSON object (duplicate members, invalid UTF-8, deep nesting), a `typ`
//!   other than `JWT`: `malformed`. Splitting scans the token once and allocates nothing per dot;
//! - `crit` in any form, or a key-carrying header (`jwk`, `jku`, `x5u`, `x5c`):
//!   `unsupported_header`. Such headers are rejected rather than ignored, so no key or URL from
//!   a token is ever used;
//! - an `alg` other than RS256 or ES256 (`none` in any case, HS*, PS*, ...):
//!   `unsupported_algorithm`.

use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::b64;
use crate::error::{err, Reason, VerifyError};
use crate::json;

/// Header members that would make the token carry or point to its own key.
const KEY_CARRYING_HEADERS: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// The `kid` header as found in a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyId {
    /// No `kid`, or `"kid": ""`: try every eligible key.
    Absent,
    /// A string `kid`: look up exactly that key.
    Id(String),
    /// A `kid` that is not a string (number, null, object): matches no key.
    NotAString,
}

/// A decoded compact JWS whose structure and header passed every check; not yet verified.
#[derive(Debug)]
pub struct CompactJws<'a> {
    /// The algorithm the header names (only RS256 or ES256 get here).
    pub alg: Algorithm,
    /// The header's `kid`.
    pub kid: KeyId,
    /// The whole header.
    pub header: Map<String, Value>,
    /// The raw payload bytes (decoded from base64url, not parsed).
    pub payload: Vec<u8>,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: &'a [u8],
    /// The decoded signature.
    pub signature: Vec<u8>,
}

/// Default cap on the token length: 16 KiB.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Decodes `token` and checks its structure and header. See the module docs for what fails.
pub fn decode(token: &str, max_token_bytes: usize) -> Result<CompactJws<'_>, VerifyError> {
    let bytes = token.as_bytes();
    if bytes.len() > max_token_bytes {
        return Err(err(
            Reason::TokenTooLarge,
            format!(
                "token of {} bytes is over the limit of {max_token_bytes}",
                bytes.len()
            ),
        ));
    }
    let (first, second) = split_dots(bytes)?;
    let header_b64 = &bytes[..first];
    let payload_b64 = &bytes[first + 1..second];
    let signature_b64 = &bytes[second + 1..];
    let header_bytes = b64::decode_segment(header_b64).ok_or_else(|| {
        err(
            Reason::Malformed,
            "header is not canonical unpadded base64url",
        )
    })?;
    let header = json::parse_object(&header_bytes)
        .map_err(|e| err(Reason::Malformed, format!("header: {e}")))?;
    let (alg, kid) = check_header(&header)?;
    // An empty payload is a valid JWS (RFC 7515); an empty signature never is.
    if signature_b64.is_empty() {
        return Err(err(
            Reason::Malformed,
            "the signature segment is empty (an unsigned token is never accepted)",
        ));
    }
    let payload = b64::decode_segment(payload_b64).ok_or_else(|| {
        err(
            Reason::Malformed,
            "payload is not canonical unpadded base64url",
        )
    })?;
    let signature = b64::decode_segment(signature_b64).ok_or_else(|| {
        err(
            Reason::Malformed,
            "signature is not canonical unpadded base64url",
        )
    })?;
    Ok(CompactJws {
        alg,
        kid,
        header,
        payload,
        signing_input: &bytes[..second],
        signature,
    })
}

/// Positions of exactly two dots, in one pass; fails at the third.
fn split_dots(bytes: &[u8]) -> Result<(usize, usize), VerifyError> {
    let mut dots = [0usize; 2];
    let mut found = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'.' {
            if found == 2 {
                return Err(err(
                    Reason::Malformed,
                    "more than three segments (a JWE or a nested token is not accepted)",
                ));
            }
            dots[found] = i;
            found += 1;
        }
    }
    if found != 2 {
        return Err(err(
            Reason::Malformed,
            format!("{} segment(s) where a JWS has three", found + 1),
        ));
    }
    Ok((dots[0], dots[1]))
}

fn check_header(header: &Map<String, Value>) -> Result<(Algorithm, KeyId), VerifyError> {
    let alg = match header.get("alg") {
        Some(Value::String(a)) => Algorithm::from_jose(a).ok_or_else(|| {
            err(
                Reason::UnsupportedAlgorithm,
                format!("algorithm {a:?} is not accepted (RS256 and ES256 only)"),
            )
        })?,
        Some(_) => return Err(err(Reason::Malformed, "header `alg` is not a string")),
        None => return Err(err(Reason::Malformed, "header has no `alg`")),
    };
    if header.contains_key("crit") {
        return Err(err(
            Reason::UnsupportedHeader,
            "header has `crit`; no critical extension is supported",
        ));
    }
    if let Some(h) = KEY_CARRYING_HEADERS
        .iter()
        .find(|h| header.contains_key(**h))
    {
        return Err(err(
            Reason::UnsupportedHeader,
            format!("header has `{h}`; keys are only taken from the configured key source"),
        ));
    }
    match header.get("typ") {
        None => {}
        Some(Value::String(t))
            if t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("application/jwt") => {}
        Some(other) => {
            return Err(err(
                Reason::Malformed,
                format!("header `typ` is {other}, not \"JWT\""),
            ))
        }
    }
    let kid = match header.get("kid") {
        None => KeyId::Absent,
        Some(Value::String(k)) if k.is_empty() => KeyId::Absent,
        Some(Value::String(k)) => KeyId::Id(k.clone()),
        Some(_) => KeyId::NotAString,
    };
    Ok((alg, kid))
}
