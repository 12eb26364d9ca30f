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
use std::fmt;

use serde_json::{Map, Number, Value};

use crate::json::{self, Raw, RawItems, RawMembers, Skim};

use crate::error::{err, Reason, VerifyError};

/// The largest NumericDate accepted: 2^63 - 1 seconds.
const MAX_NUMERIC_DATE: u64 = i64::MAX as u64;

/// What the claims are checked against.
pub(crate) struct ClaimRules<'a> {
    pub(crate) audiences: &'a [String],
    pub(crate) require_iat: bool,
    pub(crate) leeway_secs: f64,
    pub(crate) now: f64,
}

/// The claims an [`crate::Identity`] is made of, checked.
#[derive(Debug, PartialEq)]
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
#[derive(Debug, Clone, Copy, PartialEq)]
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

/// One claim's value, as read from the payload: a built JSON value, or the checked text of one
/// (see [`Payload`]); every rule reads both alike.
#[derive(Clone, Copy)]
pub(crate) enum Claim<'a> {
    Value(&'a Value),
    Raw(Raw<'a>),
}

impl<'a> Claim<'a> {
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Claim::Value(v) => json::kind(v),
            Claim::Raw(r) => r.kind(),
        }
    }

    pub(crate) fn as_str(self) -> Option<&'a str> {
        match self {
            Claim::Value(Value::String(s)) => Some(s),
            Claim::Value(_) => None,
            Claim::Raw(r) => r.as_str(),
        }
    }

    fn is_null(self) -> bool {
        match self {
            Claim::Value(v) => v.is_null(),
            Claim::Raw(r) => r.is_null(),
        }
    }

    fn number(self) -> Option<Number> {
        match self {
            Claim::Value(Value::Number(n)) => Some(n.clone()),
            Claim::Value(_) => None,
            Claim::Raw(r) => r.as_u64().map(Number::from),
        }
    }

    fn items(self) -> Option<Items<'a>> {
        match self {
            Claim::Value(Value::Array(items)) => Some(Items::Value(items.iter())),
            Claim::Value(_) => None,
            Claim::Raw(r) => r.items().map(Items::Raw),
        }
    }

    fn members(self) -> Option<Members<'a>> {
        match self {
            Claim::Value(Value::Object(map)) => Some(Members::Value(map.iter())),
            Claim::Value(_) => None,
            Claim::Raw(r) => r.members().map(Members::Raw),
        }
    }
}

/// The value as JSON, as `Value`'s `Display` writes it.
impl fmt::Display for Claim<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Value(v) => v.fmt(f),
            Claim::Raw(r) => r.to_value().fmt(f),
        }
    }
}

enum Items<'a> {
    Value(std::slice::Iter<'a, Value>),
    Raw(RawItems<'a>),
}

impl<'a> Iterator for Items<'a> {
    type Item = Claim<'a>;
    fn next(&mut self) -> Option<Claim<'a>> {
        match self {
            Items::Value(i) => i.next().map(Claim::Value),
            Items::Raw(i) => i.next().map(Claim::Raw),
        }
    }
}

enum Members<'a> {
    Value(serde_json::map::Iter<'a>),
    Raw(RawMembers<'a>),
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, Claim<'a>);
    fn next(&mut self) -> Option<(&'a str, Claim<'a>)> {
        match self {
            Members::Value(i) => i.next().map(|(k, v)| (k.as_str(), Claim::Value(v))),
            Members::Raw(i) => i.next().map(|(k, v)| (k, Claim::Raw(v))),
        }
    }
}

/// A token's payload, read strictly. A payload of the common subset in name order (every token
/// Teleport writes) is only checked and its claims read from the text (see
/// [`json::skim_object`]): the claim set is built as a map only if someone asks for it
/// ([`crate::identity::Claims`]). Any other payload is parsed into the map at once.
pub(crate) enum Payload<'a> {
    Skimmed(Skim<'a>),
    Parsed(Map<String, Value>),
}

impl<'a> Payload<'a> {
    pub(crate) fn read(bytes: &'a [u8]) -> Result<Payload<'a>, VerifyError> {
        if let Some(skim) = json::skim_object(bytes) {
            return Ok(Payload::Skimmed(skim));
        }
        json::parse_object(bytes)
            .map(Payload::Parsed)
            .map_err(|e| err(Reason::Malformed, format!("payload: {e}")))
    }

    /// The claims the rules read, found in one pass over the claim set.
    pub(crate) fn claims(&self) -> ClaimSet<'_> {
        match self {
            Payload::Skimmed(skim) => ClaimSet::of(
                skim.members
                    .iter()
                    .map(|(name, raw)| (*name, Claim::Raw(*raw))),
            ),
            Payload::Parsed(map) => ClaimSet::of(Members::Value(map.iter())),
        }
    }

    /// What [`crate::identity::Claims`] keeps besides the payload's bytes: the map if one was
    /// built, and the map's estimated heap bytes.
    pub(crate) fn into_parts(self) -> (Option<Map<String, Value>>, usize) {
        match self {
            Payload::Skimmed(skim) => (None, skim.heap),
            Payload::Parsed(map) => {
                let heap = json::heap_of(&map);
                (Some(map), heap)
            }
        }
    }
}

/// The claims [`check`] and issuer selection read.
#[derive(Default)]
pub(crate) struct ClaimSet<'a> {
    pub(crate) iss: Option<Claim<'a>>,
    exp: Option<Claim<'a>>,
    nbf: Option<Claim<'a>>,
    iat: Option<Claim<'a>>,
    aud: Option<Claim<'a>>,
    sub: Option<Claim<'a>>,
    username: Option<Claim<'a>>,
    roles: Option<Claim<'a>>,
    traits: Option<Claim<'a>>,
    jti: Option<Claim<'a>>,
}

impl<'a> ClaimSet<'a> {
    fn of(claims: impl Iterator<Item = (&'a str, Claim<'a>)>) -> ClaimSet<'a> {
        let mut m = ClaimSet::default();
        for (name, value) in claims {
            let slot = match name {
                "iss" => &mut m.iss,
                "exp" => &mut m.exp,
                "nbf" => &mut m.nbf,
                "iat" => &mut m.iat,
                "aud" => &mut m.aud,
                "sub" => &mut m.sub,
                "username" => &mut m.username,
                "roles" => &mut m.roles,
                "traits" => &mut m.traits,
                "jti" => &mut m.jti,
                _ => continue,
            };
            *slot = Some(value);
        }
        m
    }
}

/// Reads a NumericDate claim; `None` when absent. An integer counts exactly (so 2^63 is out
/// of range even though it rounds to the largest date as a float); a fraction must be below
/// 2^63.
fn numeric_date(v: Option<Claim<'_>>, name: &str) -> Result<Option<f64>, VerifyError> {
    let Some(v) = v else {
        return Ok(None);
    };
    let Some(n) = v.number() else {
        return Err(err(
            Reason::InvalidClaim,
            format!("`{name}` is {}, not a number", v.kind()),
        ));
    };
    let date = if let Some(u) = n.as_u64() {
        (u <= MAX_NUMERIC_DATE).then_some(u as f64)
    } else if n.is_i64() {
        None // negative
    } else {
        n.as_f64()
            .filter(|x| x.is_finite() && *x >= 0.0 && *x < MAX_NUMERIC_DATE as f64)
    };
    match date {
        Some(x) => Ok(Some(x)),
        None => Err(err(
            Reason::InvalidClaim,
            format!("`{name}` is not a valid NumericDate ({v})"),
        )),
    }
}

fn required_string(v: Option<Claim<'_>>, name: &str) -> Result<String, VerifyError> {
    let Some(v) = v else {
        return Err(err(Reason::MissingClaim, format!("`{name}` is missing")));
    };
    match v.as_str() {
        Some("") => Err(err(Reason::InvalidClaim, format!("`{name}` is empty"))),
        Some(s) => Ok(s.to_owned()),
        None => Err(err(
            Reason::InvalidClaim,
            format!("`{name}` is {}, not a string", v.kind()),
        )),
    }
}

/// What a list of strings is, for error messages (formatted only when one is reported).
#[derive(Clone, Copy)]
enum What<'a> {
    Claim(&'static str),
    Trait(&'a str),
}

impl fmt::Display for What<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            What::Claim(name) => write!(f, "`{name}`"),
            What::Trait(name) => write!(f, "trait {name:?}"),
        }
    }
}

fn string_list(v: Claim<'_>, what: What<'_>) -> Result<Vec<String>, VerifyError> {
    let Some(items) = v.items() else {
        return Err(err(
            Reason::InvalidClaim,
            format!("{what} is {}, not a list of strings", v.kind()),
        ));
    };
    items
        .map(|i| match i.as_str() {
            Some(s) => Ok(s.to_owned()),
            None => Err(err(
                Reason::InvalidClaim,
                format!("{what} holds {}, not only strings", i.kind()),
            )),
        })
        .collect()
}

/// Reads `aud` as a list (a plain string is one audience).
fn audiences(aud: Option<Claim<'_>>) -> Result<Vec<String>, VerifyError> {
    let Some(aud) = aud else {
        return Err(err(Reason::MissingClaim, "`aud` is missing"));
    };
    if let Some(s) = aud.as_str() {
        return Ok(vec![s.to_owned()]);
    }
    match aud.items() {
        Some(mut items) => {
            if items.next().is_none() {
                return Err(err(Reason::InvalidClaim, "`aud` is an empty list"));
            }
            string_list(aud, What::Claim("aud"))
        }
        None => Err(err(
            Reason::InvalidClaim,
            format!("`aud` is {}", aud.kind()),
        )),
    }
}

/// Checks every claim rule and extracts the identity claims. The rules apply in a fixed order
/// (times, audience, subject, user name, roles, traits, `jti`), so a token with several faults
/// always gets the same reason.
pub(crate) fn check(
    m: &ClaimSet<'_>,
    rules: &ClaimRules<'_>,
) -> Result<CheckedClaims, VerifyError> {
    let exp =
        numeric_date(m.exp, "exp")?.ok_or_else(|| err(Reason::MissingClaim, "`exp` is missing"))?;
    let nbf = numeric_date(m.nbf, "nbf")?;
    let iat = numeric_date(m.iat, "iat")?;
    if rules.require_iat && iat.is_none() {
        return Err(err(
            Reason::MissingClaim,
            "`iat` is missing (required for ID tokens)",
        ));
    }
    let times = Times { exp, nbf, iat };
    check_times(&times, rules)?;
    let audience = audiences(m.aud)?;
    if !audience.iter().any(|a| rules.audiences.contains(a)) {
        return Err(err(
            Reason::AudienceMismatch,
            format!(
                "token audience {audience:?} does not include {:?}",
                rules.audiences
            ),
        ));
    }
    let sub = required_string(m.sub, "sub")?;
    let username = match m.username {
        None => sub.clone(),
        Some(v) if v.is_null() => sub.clone(),
        v => required_string(v, "username")?,
    };
    let roles = match m.roles {
        None => Vec::new(),
        Some(v) if v.is_null() => Vec::new(),
        Some(v) => string_list(v, What::Claim("roles"))?,
    };
    let traits = match m.traits {
        None => BTreeMap::new(),
        Some(v) if v.is_null() => BTreeMap::new(),
        Some(v) => match v.members() {
            // Members come in name order, so collecting builds the tree in one pass.
            Some(members) => members
                .map(|(name, values)| {
                    let values = if values.is_null() {
                        Vec::new()
                    } else {
                        string_list(values, What::Trait(name))?
                    };
                    Ok((name.to_owned(), values))
                })
                .collect::<Result<BTreeMap<_, _>, VerifyError>>()?,
            None => {
                return Err(err(
                    Reason::InvalidClaim,
                    format!("`traits` is {}, not a map", v.kind()),
                ))
            }
        },
    };
    let jti = match m.jti {
        None => None,
        Some(v) if v.is_null() => None,
        Some(v) => match v.as_str() {
            Some(s) => Some(s.to_owned()),
            None => return Err(err(Reason::InvalidClaim, format!("`jti` is {}", v.kind()))),
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Claim values, good and bad, for every claim the rules read.
    const VALUES: &[&str] = &[
        "\"alice\"",
        "\"\"",
        "\"mcp+http://127.0.0.1:8000/mcp\"",
        "\"caf\\u00e9\"",
        "1700000000",
        "1700009999",
        "0",
        "9223372036854775807",
        "9223372036854775808",
        "1.5",
        "-1",
        "1e3",
        "true",
        "null",
        "[]",
        "[\"mcp+http://127.0.0.1:8000/mcp\"]",
        "[\"a\",\"b\"]",
        "[\"a\",1]",
        "[null]",
        "{}",
        "{\"logins\":[\"root\"],\"teams\":null}",
        "{\"logins\":\"root\"}",
        "{\"a\":[1]}",
        "{\"b\":[],\"a\":[]}",
    ];
    const NAMES: &[&str] = &[
        "aud", "exp", "iat", "iss", "jti", "nbf", "roles", "sub", "traits", "username", "x",
    ];

    /// The rules read a payload alike whether it was skimmed or parsed: the same claims, or
    /// the same reason and message.
    #[test]
    fn skimmed_and_parsed_payloads_check_alike() {
        let mut state = 0x6a09_e667_f3bc_c909u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let audiences = ["mcp+http://127.0.0.1:8000/mcp".to_owned()];
        let (mut skimmed, mut accepted) = (0, 0);
        for _ in 0..20_000 {
            // A valid claim set, then a few members replaced or added (names stay sorted).
            let mut members: BTreeMap<&str, &str> = [
                ("aud", VALUES[2]),
                ("exp", VALUES[5]),
                ("iat", VALUES[4]),
                ("iss", VALUES[0]),
                ("roles", VALUES[16]),
                ("sub", VALUES[0]),
                ("traits", VALUES[20]),
            ]
            .into();
            for _ in 0..next(3) {
                let name = NAMES[next(NAMES.len())];
                if next(5) == 0 {
                    members.remove(name);
                } else {
                    members.insert(name, VALUES[next(VALUES.len())]);
                }
            }
            let doc = format!(
                "{{{}}}",
                members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let rules = ClaimRules {
                audiences: &audiences,
                require_iat: next(2) == 0,
                leeway_secs: 30.0,
                now: 1_700_000_100.0,
            };
            let map = json::parse_object(doc.as_bytes()).expect(&doc);
            let reference = check(&ClaimSet::of(Members::Value(map.iter())), &rules);
            let payload = Payload::read(doc.as_bytes()).expect(&doc);
            skimmed += usize::from(matches!(payload, Payload::Skimmed(_)));
            let ours = check(&payload.claims(), &rules);
            match (&ours, &reference) {
                (Ok(a), Ok(b)) => {
                    accepted += 1;
                    assert_eq!(a, b, "{doc}");
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.reason(), b.reason(), "{doc}");
                    assert_eq!(a.to_string(), b.to_string(), "{doc}");
                }
                _ => panic!("{doc}: {:?} vs {:?}", ours.is_ok(), reference.is_ok()),
            }
            let iss = |c: Option<Claim<'_>>| c.map(|c| (c.as_str().map(str::to_owned), c.kind()));
            assert_eq!(
                iss(payload.claims().iss),
                iss(ClaimSet::of(Members::Value(map.iter())).iss),
                "{doc}"
            );
        }
        assert!(skimmed > 10_000, "only {skimmed} payloads were skimmed");
        assert!(accepted > 2_000, "only {accepted} payloads were accepted");
    }
}
