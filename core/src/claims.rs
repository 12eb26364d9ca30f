//! Checking a verified payload's claims and turning them into an [`Identity`].
//!
//! Rules (SECURITY-CASES 12-17):
//! - NumericDates (`exp`, `nbf`, `iat`) are JSON numbers, integer or finite fractional, from 0 to
//!   2^63; strings, booleans, null, negative or larger values are `invalid_claim`;
//! - `exp` is required; `nbf` and `iat` are optional, except `iat` for ID tokens; the leeway
//!   applies to each comparison;
//! - `iss`, `aud` and `sub` are required; `aud` is a string or a non-empty list of strings and
//!   must contain a configured audience;
//! - `roles` null/absent and `traits` `{}`/absent are empty; otherwise they must be a list of
//!   strings and a map of string to list of strings (a null trait value counts as empty).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{err, Reason, VerifyError};

const MAX_NUMERIC_DATE: f64 = 9_223_372_036_854_775_807.0; // 2^63 - 1

/// What the claims are checked against.
pub(crate) struct ClaimRules<'a> {
    pub(crate) audiences: &'a [String],
    pub(crate) require_iat: bool,
    pub(crate) leeway_secs: f64,
    pub(crate) now: f64,
}

/// The claims an [`crate::Identity`] is made of, checked.
pub(crate) struct CheckedClaims {
    pub(crate) sub: String,
    pub(crate) username: String,
    pub(crate) roles: Vec<String>,
    pub(crate) traits: BTreeMap<String, Vec<String>>,
    pub(crate) audience: Vec<String>,
    pub(crate) expires_at: i64,
    pub(crate) issued_at: Option<i64>,
    pub(crate) not_before: Option<i64>,
    pub(crate) jti: Option<String>,
    pub(crate) times: Times,
}

/// The time claims of a token, as read from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Times {
    pub(crate) exp: f64,
    pub(crate) nbf: Option<f64>,
    pub(crate) iat: Option<f64>,
}

/// Checks `exp`, `nbf` and `iat` against `rules.now` with the leeway.
pub(crate) fn check_times(t: &Times, rules: &ClaimRules<'_>) -> Result<(), VerifyError> {
    if rules.now >= t.exp + rules.leeway_secs {
        return Err(err(
            Reason::Expired,
            format!(
                "token expired at {} (now {}, leeway {}s)",
                t.exp as i64, rules.now as i64, rules.leeway_secs
            ),
        ));
    }
    if let Some(nbf) = t.nbf {
        if rules.now + rules.leeway_secs < nbf {
            return Err(err(
                Reason::NotYetValid,
                format!(
                    "token not valid before {} (now {}, leeway {}s)",
                    nbf as i64, rules.now as i64, rules.leeway_secs
                ),
            ));
        }
    }
    if let Some(iat) = t.iat {
        if iat > rules.now + rules.leeway_secs {
            return Err(err(
                Reason::IssuedInFuture,
                format!(
                    "token issued at {} is in the future (now {}, leeway {}s); check the clocks",
                    iat as i64, rules.now as i64, rules.leeway_secs
                ),
            ));
        }
    }
    Ok(())
}

/// Reads a NumericDate claim; `None` when absent.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>, VerifyError> {
    let Some(v) = claims.get(name) else {
        return Ok(None);
    };
    let n = match v {
        Value::Number(n) => n.as_f64(),
        other => {
            return Err(err(
                Reason::InvalidClaim,
                format!("`{name}` is {}, not a number", crate::json::kind(other)),
            ))
        }
    };
    match n {
        Some(x) if x.is_finite() && (0.0..=MAX_NUMERIC_DATE).contains(&x) => Ok(Some(x)),
        _ => Err(err(
            Reason::InvalidClaim,
            format!("`{name}` is not a valid NumericDate ({v})"),
        )),
    }
}

fn required_string(claims: &Map<String, Value>, name: &str) -> Result<String, VerifyError> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(err(Reason::InvalidClaim, format!("`{name}` is empty"))),
        Some(other) => Err(err(
            Reason::InvalidClaim,
            format!("`{name}` is {}, not a string", crate::json::kind(other)),
        )),
        None => Err(err(Reason::MissingClaim, format!("`{name}` is missing"))),
    }
}

fn string_list(v: &Value, what: &str) -> Result<Vec<String>, VerifyError> {
    let Value::Array(items) = v else {
        return Err(err(
            Reason::InvalidClaim,
            format!("{what} is {}, not a list of strings", crate::json::kind(v)),
        ));
    };
    items
        .iter()
        .map(|i| match i {
            Value::String(s) => Ok(s.clone()),
            other => Err(err(
                Reason::InvalidClaim,
                format!(
                    "{what} holds {}, not only strings",
                    crate::json::kind(other)
                ),
            )),
        })
        .collect()
}

/// Reads `aud` as a list (a plain string is one audience).
pub(crate) fn audiences(claims: &Map<String, Value>) -> Result<Vec<String>, VerifyError> {
    match claims.get("aud") {
        None => Err(err(Reason::MissingClaim, "`aud` is missing")),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(v @ Value::Array(items)) => {
            if items.is_empty() {
                return Err(err(Reason::InvalidClaim, "`aud` is an empty list"));
            }
            string_list(v, "`aud`")
        }
        Some(other) => Err(err(
            Reason::InvalidClaim,
            format!("`aud` is {}", crate::json::kind(other)),
        )),
    }
}

/// Checks every claim rule and extracts the identity claims.
pub(crate) fn check(
    claims: &Map<String, Value>,
    rules: &ClaimRules<'_>,
) -> Result<CheckedClaims, VerifyError> {
    let exp = numeric_date(claims, "exp")?
        .ok_or_else(|| err(Reason::MissingClaim, "`exp` is missing"))?;
    let nbf = numeric_date(claims, "nbf")?;
    let iat = numeric_date(claims, "iat")?;
    if rules.require_iat && iat.is_none() {
        return Err(err(
            Reason::MissingClaim,
            "`iat` is missing (required for ID tokens)",
        ));
    }
    let times = Times { exp, nbf, iat };
    check_times(&times, rules)?;
    let audience = audiences(claims)?;
    if !audience.iter().any(|a| rules.audiences.contains(a)) {
        return Err(err(
            Reason::AudienceMismatch,
            format!(
                "token is for {:?}, this service accepts {:?}",
                audience, rules.audiences
            ),
        ));
    }
    let sub = required_string(claims, "sub")?;
    let username = match claims.get("username") {
        None | Some(Value::Null) => sub.clone(),
        Some(_) => required_string(claims, "username")?,
    };
    let roles = match claims.get("roles") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => string_list(v, "`roles`")?,
    };
    let traits = match claims.get("traits") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) => {
            let mut out = BTreeMap::new();
            for (name, values) in map {
                let values = match values {
                    Value::Null => Vec::new(),
                    v => string_list(v, &format!("trait {name:?}"))?,
                };
                out.insert(name.clone(), values);
            }
            out
        }
        Some(other) => {
            return Err(err(
                Reason::InvalidClaim,
                format!("`traits` is {}, not a map", crate::json::kind(other)),
            ))
        }
    };
    let jti = match claims.get("jti") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(err(
                Reason::InvalidClaim,
                format!("`jti` is {}", crate::json::kind(other)),
            ))
        }
    };
    Ok(CheckedClaims {
        sub,
        username,
        roles,
        traits,
        audience,
        expires_at: exp.floor() as i64,
        issued_at: iat.map(|t| t.floor() as i64),
        not_before: nbf.map(|t| t.floor() as i64),
        jti,
        times,
    })
}
