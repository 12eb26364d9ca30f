//! `teleport-jwt inspect`: a token's header, claims, times and size, decoded WITHOUT
//! verification, and whether the library's checks made before any key pass.

use std::io::Write;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::{args, time, Failure, Outcome, EXIT_OK};
use teleport_jwt::dangerous::{decode_unverified, DEFAULT_MAX_TOKEN_BYTES};

pub(super) const USAGE: &str = "\
usage: teleport-jwt inspect [--json] TOKEN|-

Decodes a token's header and claims WITHOUT verifying it: nothing shown is proven (no
signature, issuer, audience or time is checked). Shows exp/iat/nbf in UTC and relative to
now, the token's size, and whether the checks the library makes before looking at any key
(shape, header, algorithm) pass. `-` reads the token from standard input; a `Bearer ` prefix
is ignored.

options:
  --json       one JSON object instead of text (\"verified\": false)
  -h, --help   this help

exit codes: 0 decoded, 1 not a decodable JWT, 2 bad command line
";

const WARNING: &str = "UNVERIFIED: decoded without checking the signature, issuer, audience or times; do not trust these claims";

/// Base64url with or without padding, for showing what a token says (the library itself
/// accepts only the canonical unpadded form, which the structure check reports).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

pub(super) fn run(p: &mut lexopt::Parser, out: &mut dyn Write) -> Outcome {
    use lexopt::Arg::{Long, Short, Value as Positional};
    let mut token_arg = None;
    let mut as_json = false;
    while let Some(arg) = p.next()? {
        match arg {
            Long("json") => as_json = true,
            Long("help") | Short('h') => {
                out.write_all(USAGE.as_bytes())?;
                return Ok(EXIT_OK);
            }
            Positional(v) if token_arg.is_none() => token_arg = Some(args::string(v)?),
            other => return Err(other.unexpected().into()),
        }
    }
    let Some(token_arg) = token_arg else {
        return Err(Failure::usage(
            "inspect needs a TOKEN (or - for standard input)",
        ));
    };
    let token = args::token(&token_arg)?;
    let token = strip_bearer(&token);
    let decoded = decode(token).map_err(|e| Failure::input(format!("not a JWT: {e}")))?;
    let now = time::now();
    let check = decode_unverified(token, DEFAULT_MAX_TOKEN_BYTES).err();
    if as_json {
        let times: Map<String, Value> = TIME_CLAIMS
            .iter()
            .filter_map(|name| {
                let v = decoded.claims.get(*name)?;
                let t = match numeric_date(v) {
                    Some(secs) => json!({
                        "value": v,
                        "utc": time::utc(secs),
                        "relative": time::relative(secs, now),
                    }),
                    None => json!({"value": v, "error": "not a NumericDate"}),
                };
                Some(((*name).to_owned(), t))
            })
            .collect();
        let doc = json!({
            "verified": false,
            "warning": WARNING,
            "size": {
                "bytes": token.len(),
                "header": decoded.lengths[0],
                "payload": decoded.lengths[1],
                "signature": decoded.lengths[2],
            },
            "header": decoded.header,
            "claims": decoded.claims,
            "times": times,
            "structure": match &check {
                None => json!({"ok": true}),
                Some(e) => json!({"ok": false, "code": e.code(), "message": e.message()}),
            },
        });
        writeln!(out, "{doc}")?;
        return Ok(EXIT_OK);
    }
    writeln!(out, "{WARNING}")?;
    let [h, pl, s] = decoded.lengths;
    writeln!(
        out,
        "size: {} bytes (header {h}, payload {pl}, signature {s}; base64url characters)",
        token.len()
    )?;
    match &check {
        None => writeln!(
            out,
            "structure: passes the checks made before any key (shape, header, algorithm)"
        )?,
        Some(e) => writeln!(
            out,
            "structure: the library would refuse it before any key: {e}"
        )?,
    }
    writeln!(out, "header (UNVERIFIED):")?;
    write_indented(out, &Value::Object(decoded.header.clone()))?;
    writeln!(out, "claims (UNVERIFIED):")?;
    write_indented(out, &Value::Object(decoded.claims.clone()))?;
    writeln!(out, "times (now {}):", time::utc(now))?;
    let mut any = false;
    for name in TIME_CLAIMS {
        let Some(v) = decoded.claims.get(name) else {
            continue;
        };
        any = true;
        match numeric_date(v) {
            Some(secs) => {
                let note = match name {
                    "exp" if secs <= now => ", expired",
                    "nbf" if secs > now => ", not valid yet",
                    "iat" if secs > now => ", issued in the future",
                    _ => "",
                };
                writeln!(
                    out,
                    "  {name}  {}  ({}{note})",
                    time::utc(secs),
                    time::relative(secs, now)
                )?;
            }
            None => writeln!(out, "  {name}  {v} (not a NumericDate)")?,
        }
    }
    if !any {
        writeln!(out, "  (no exp, iat or nbf claim)")?;
    }
    Ok(EXIT_OK)
}

const TIME_CLAIMS: [&str; 3] = ["iat", "nbf", "exp"];

#[derive(Debug)]
struct Decoded {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    /// Characters of the header, payload and signature segments.
    lengths: [usize; 3],
}

fn strip_bearer(token: &str) -> &str {
    match token.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => token,
    }
}

fn decode(token: &str) -> Result<Decoded, String> {
    let segments: Vec<&str> = token.split('.').collect();
    match segments.len() {
        3 => {}
        5 => return Err("5 segments: an encrypted JWE, not a signed JWT".into()),
        n => {
            return Err(format!(
                "{n} segment{} separated by '.', a signed JWT has 3",
                if n == 1 { "" } else { "s" }
            ))
        }
    }
    let object = |i: usize, what: &str| -> Result<Map<String, Value>, String> {
        let bytes = LENIENT
            .decode(segments[i])
            .map_err(|_| format!("the {what} is not base64url"))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(other) => Err(format!(
                "the {what} is JSON {}, not an object",
                json_kind(&other)
            )),
            Err(e) => Err(format!("the {what} is not JSON ({e})")),
        }
    };
    Ok(Decoded {
        header: object(0, "header")?,
        claims: object(1, "payload")?,
        lengths: [segments[0].len(), segments[1].len(), segments[2].len()],
    })
}

/// Whole seconds of a NumericDate (fractions rounded down, as the library reads them).
fn numeric_date(v: &Value) -> Option<i64> {
    if let Some(i) = v.as_i64() {
        return Some(i);
    }
    let f = v.as_f64()?;
    if f.is_finite() && f >= i64::MIN as f64 && f < i64::MAX as f64 {
        Some(f.floor() as i64)
    } else {
        None
    }
}

/// "a string", "an array", ...: what a JSON value is, for messages.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn write_indented(out: &mut dyn Write, v: &Value) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    for line in text.lines() {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_says_why() {
        assert!(decode("abc").unwrap_err().contains("1 segment "));
        assert!(decode("a.b.c.d.e").unwrap_err().contains("JWE"));
        assert!(decode("!!.e30.x")
            .unwrap_err()
            .contains("header is not base64url"));
        // "[]" and "{}"
        assert!(decode("W10.e30.x").unwrap_err().contains("an array"));
        assert!(decode("e30.e30.x").is_ok());
        assert_eq!(strip_bearer("Bearer a.b.c"), "a.b.c");
        assert_eq!(numeric_date(&json!(1.9)), Some(1));
        assert_eq!(numeric_date(&json!("1")), None);
        assert_eq!(numeric_date(&json!(1e300)), None);
    }
}
