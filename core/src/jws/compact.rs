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
//!
//! Every check runs when the token is decoded. A header of plain string members in name order
//! (Teleport's `{"alg":...,"kid":...,"typ":"JWT"}`) is checked straight from its decoded bytes,
//! on the stack, and its members are built into a [`Header`] map only if someone asks for them;
//! any other header is parsed into that map at once and checked from it, with the same rules
//! and the same reasons.

use std::fmt;
use std::sync::OnceLock;

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
    pub header: Header<'a>,
    /// The raw payload bytes (decoded from base64url, not parsed).
    pub payload: Vec<u8>,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: &'a [u8],
    /// The decoded signature.
    pub signature: Vec<u8>,
}

/// The protected header of a decoded token, every rule already checked. Its members are read
/// from the token (and built into a map) on first use only: verification itself never needs
/// them once decoding has checked them.
pub struct Header<'a> {
    /// The header segment of the token: canonical base64url of a strict JSON object (checked).
    b64: &'a [u8],
    members: OnceLock<Map<String, Value>>,
}

impl Header<'_> {
    /// The member `name`, if the header has one.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_map().get(name)
    }

    /// True when the header has a member `name`.
    pub fn contains_key(&self, name: &str) -> bool {
        self.as_map().contains_key(name)
    }

    /// Every member of the header.
    pub fn as_map(&self) -> &Map<String, Value> {
        self.members.get_or_init(|| {
            // `decode` decoded and parsed these very bytes before it made this header, and both
            // steps are deterministic, so neither fails here; the empty map only satisfies the
            // types.
            b64::decode_segment(self.b64)
                .and_then(|json| json::parse_object(&json).ok())
                .unwrap_or_default()
        })
    }
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Header").field(self.as_map()).finish()
    }
}

/// Headers up to this many decoded bytes are decoded on the stack (Teleport's are under 100).
const HEADER_STACK_BYTES: usize = 512;

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
    let (first, second) = split_dots(token)?;
    let header_b64 = &bytes[..first];
    let payload_b64 = &bytes[first + 1..second];
    let signature_b64 = &bytes[second + 1..];
    // The decoded header is only read, never kept: a stack buffer covers any real header.
    let bad_header = || {
        err(
            Reason::Malformed,
            "header is not canonical unpadded base64url",
        )
    };
    let header_len = b64::decoded_len(header_b64.len()).ok_or_else(bad_header)?;
    let mut stack = [0u8; HEADER_STACK_BYTES];
    let mut heap = Vec::new();
    let header_buf: &mut [u8] = match stack.get_mut(..header_len) {
        Some(buf) => buf,
        None => {
            heap.resize(header_len, 0);
            &mut heap
        }
    };
    b64::decode_segment_into(header_b64, header_buf).ok_or_else(bad_header)?;
    let (alg, kid, members) = match json::flat_string_object(header_buf) {
        Some(flat) => {
            let members = flat.members().iter().map(|(k, v)| (*k, Member::Str(v)));
            let (alg, kid) = check_header(members)?;
            (alg, kid, OnceLock::new())
        }
        None => {
            let map = json::parse_object(header_buf)
                .map_err(|e| err(Reason::Malformed, format!("header: {e}")))?;
            let (alg, kid) = check_header(map.iter().map(|(k, v)| (k.as_str(), Member::of(v))))?;
            (alg, kid, OnceLock::from(map))
        }
    };
    let header = Header {
        b64: header_b64,
        members,
    };
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

/// Positions of exactly two dots; fails at a third. `str::find` with a `char` scans with the
/// standard library's word-at-a-time `memchr`, rather than a byte at a time.
fn split_dots(token: &str) -> Result<(usize, usize), VerifyError> {
    let segments = |n: usize| {
        err(
            Reason::Malformed,
            format!("{n} segment(s) where a JWS has three"),
        )
    };
    let first = token.find('.').ok_or_else(|| segments(1))?;
    let second = token
        .get(first + 1..)
        .and_then(|rest| rest.find('.'))
        .map(|i| first + 1 + i)
        .ok_or_else(|| segments(2))?;
    if token
        .get(second + 1..)
        .is_some_and(|rest| rest.contains('.'))
    {
        return Err(err(
            Reason::Malformed,
            "more than three segments (a JWE or a nested token is not accepted)",
        ));
    }
    Ok((first, second))
}

/// A header member's value as the checks see it.
#[derive(Clone, Copy)]
enum Member<'v> {
    Str(&'v str),
    Other(&'v Value),
}

impl<'v> Member<'v> {
    fn of(v: &'v Value) -> Member<'v> {
        match v {
            Value::String(s) => Member::Str(s),
            other => Member::Other(other),
        }
    }
}

/// The value as JSON, as `Value`'s `Display` writes it.
impl fmt::Display for Member<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Member::Str(s) => Value::from(*s).fmt(f),
            Member::Other(v) => v.fmt(f),
        }
    }
}

/// Checks the header in one pass over its members (each looked at once), then applies the
/// rules in a fixed order, so a header with several faults always gets the same reason.
fn check_header<'v>(
    members: impl Iterator<Item = (&'v str, Member<'v>)>,
) -> Result<(Algorithm, KeyId), VerifyError> {
    let mut alg = None;
    let mut typ = None;
    let mut kid = None;
    let mut crit = false;
    // Index in KEY_CARRYING_HEADERS of the first such member the header has.
    let mut key_carrying: Option<usize> = None;
    for (name, value) in members {
        match name {
            "alg" => alg = Some(value),
            "typ" => typ = Some(value),
            "kid" => kid = Some(value),
            "crit" => crit = true,
            other => {
                if let Some(i) = KEY_CARRYING_HEADERS.iter().position(|h| *h == other) {
                    key_carrying = Some(key_carrying.map_or(i, |j| j.min(i)));
                }
            }
        }
    }
    let alg = match alg {
        Some(Member::Str(a)) => Algorithm::from_jose(a).ok_or_else(|| {
            err(
                Reason::UnsupportedAlgorithm,
                format!("algorithm {a:?} is not accepted (RS256 and ES256 only)"),
            )
        })?,
        Some(Member::Other(_)) => {
            return Err(err(Reason::Malformed, "header `alg` is not a string"))
        }
        None => return Err(err(Reason::Malformed, "header has no `alg`")),
    };
    if crit {
        return Err(err(
            Reason::UnsupportedHeader,
            "header has `crit`; no critical extension is supported",
        ));
    }
    if let Some(h) = key_carrying.and_then(|i| KEY_CARRYING_HEADERS.get(i)) {
        return Err(err(
            Reason::UnsupportedHeader,
            format!("header has `{h}`; keys are only taken from the configured key source"),
        ));
    }
    match typ {
        None => {}
        Some(Member::Str(t))
            if t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("application/jwt") => {}
        Some(other) => {
            return Err(err(
                Reason::Malformed,
                format!("header `typ` is {other}, not \"JWT\""),
            ))
        }
    }
    let kid = match kid {
        None => KeyId::Absent,
        Some(Member::Str("")) => KeyId::Absent,
        Some(Member::Str(k)) => KeyId::Id(k.to_owned()),
        Some(Member::Other(_)) => KeyId::NotAString,
    };
    Ok((alg, kid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    fn token(header: &str) -> String {
        format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(header))
    }

    /// A header read by the flat path and the same header read through the map give the same
    /// outcome, reason and message; and the lazily built members are the header's.
    #[test]
    fn flat_and_map_headers_are_checked_alike() {
        let headers = [
            (
                r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
                r#"{"typ":"JWT","kid":"k1","alg":"RS256"}"#,
            ),
            (r#"{"alg":"ES256"}"#, r#"{ "alg" : "ES256" , "x":1 }"#),
            (
                r#"{"alg":"none","typ":"JWT"}"#,
                r#"{"typ":"JWT","alg":"none"}"#,
            ),
            (
                r#"{"alg":"RS256","typ":"JOSE"}"#,
                r#"{"typ":"JOSE","alg":"RS256"}"#,
            ),
            (
                r#"{"alg":"RS256","typ":"jwt"}"#,
                r#"{"typ":"application/JWT","alg":"RS256"}"#,
            ),
            (
                r#"{"alg":"RS256","crit":"exp"}"#,
                r#"{"crit":["exp"],"alg":"RS256"}"#,
            ),
            (
                r#"{"alg":"RS256","jku":"https://x","jwk":"y"}"#,
                r#"{"x5c":[],"jwk":{},"alg":"RS256"}"#,
            ),
            (r#"{"alg":"RS256","kid":""}"#, r#"{"kid":"","alg":"RS256"}"#),
            (r#"{"kid":"k"}"#, r#"{"kid":"k","alg":null}"#),
            (
                r#"{"alg":"HS256","crit":"x"}"#,
                r#"{"crit":"x","alg":"HS256"}"#,
            ),
        ];
        for (flat, other) in headers {
            assert!(
                json::flat_string_object(flat.as_bytes()).is_some(),
                "{flat}"
            );
            assert!(
                json::flat_string_object(other.as_bytes()).is_none(),
                "{other}"
            );
            for h in [flat, other] {
                let t = token(h);
                let expected = json::parse_object(h.as_bytes())
                    .map_err(|e| e.to_string())
                    .and_then(|map| {
                        check_header(map.iter().map(|(k, v)| (k.as_str(), Member::of(v))))
                            .map_err(|e| e.to_string())
                    });
                match decode(&t, DEFAULT_MAX_TOKEN_BYTES) {
                    Ok(jws) => {
                        let (alg, kid) = expected.expect("decodes, so the map path accepts it");
                        assert_eq!((jws.alg, &jws.kid), (alg, &kid), "{h}");
                        assert_eq!(
                            jws.header.as_map(),
                            &json::parse_object(h.as_bytes()).unwrap(),
                            "{h}"
                        );
                        assert!(jws.header.contains_key("alg"));
                    }
                    Err(e) => assert_eq!(Err(e.to_string()), expected, "{h}"),
                }
            }
        }
    }

    #[test]
    fn the_typ_message_shows_the_json_value() {
        for h in [
            r#"{"alg":"RS256","typ":"JO\"SE"}"#,
            r#"{"alg":"RS256","typ":"JOSE"}"#,
        ] {
            let e = decode(&token(h), DEFAULT_MAX_TOKEN_BYTES).unwrap_err();
            assert_eq!(e.reason(), Reason::Malformed);
            let want = json::parse_object(h.as_bytes()).unwrap()["typ"].to_string();
            assert!(e.to_string().contains(&format!("is {want}, not")), "{e}");
        }
    }
}
