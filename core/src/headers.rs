//! Finding the token in a request's headers.
//!
//! Teleport always sets `Teleport-Jwt-Assertion` (a client cannot override it through
//! Teleport), and `rewrite.headers` can put either token kind into any header, typically
//! `Authorization: Bearer`. The configured rules are tried in order and the first header that
//! is present decides: a present but unusable header (empty, wrong scheme, repeated with
//! different values) is `malformed`, never a fall-through to the next rule.
//!
//! The same request gets the same answer on every server, whatever the server did to its
//! headers on the way:
//!
//! - **Repeated headers.** HTTP lets any hop join repeated field lines into one, separated by
//!   commas (RFC 9110 §5.3), and every WSGI server does: gunicorn, werkzeug, `wsgiref` and
//!   Django (`tok,tok`), waitress (`tok, tok`); an ASGI server and hyper (axum) pass the lines
//!   one by one. A compact JWS never holds a `,` (nor a space), so a value is read as the list
//!   of its comma-separated copies, each trimmed of spaces and tabs, and the lines and copies of
//!   one header must all be the same text: then they are that one token (`tok,tok`,
//!   `Bearer tok, Bearer tok`); any difference, an empty copy included, is `malformed`.
//! - **`_` in a header name.** `Teleport_Jwt_Assertion` is not `Teleport-Jwt-Assertion`: names
//!   match exactly (case aside), so where the server passes names as sent (ASGI servers,
//!   hyper) such a header is ignored, as if absent. A WSGI environ cannot tell the two apart
//!   (both are `HTTP_TELEPORT_JWT_ASSERTION`), so WSGI servers drop headers with `_` before the
//!   app sees them: gunicorn (since 22.0, `--header-map drop`, the default), werkzeug's server,
//!   Django's `runserver` and its ASGI handler, waitress; so do nginx and Apache in front. The
//!   one that keeps them is the standard library's `wsgiref.simple_server` (and gunicorn with
//!   `--header-map dangerous`): there a lone `Teleport_Jwt_Assertion` is read as the token, and
//!   beside Teleport's own header it is a second, different copy, so `malformed`; it can make
//!   a client's request refused, never carry a token Teleport did not set. A rule may not name
//!   a header with `_` ([`HeaderRule::parse`] and the verifier's options refuse it as
//!   `invalid_config`): it would be read on ASGI servers and dropped on WSGI ones.

use crate::error::{err, Reason, VerifyError};

/// Where to look for a token: a header name (case-insensitive) and, optionally, the
/// authentication scheme that must prefix the token (e.g. `Bearer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRule {
    /// Header name, compared case-insensitively.
    pub name: String,
    /// Required scheme (case-insensitive), or `None` when the header holds the bare token.
    pub scheme: Option<String>,
}

/// The rule as [`HeaderRule::parse`] reads it: `"Name"` or `"Name: Scheme"`.
impl std::fmt::Display for HeaderRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.scheme {
            Some(scheme) => write!(f, "{}: {scheme}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// [`HeaderRule::parse`].
impl std::str::FromStr for HeaderRule {
    type Err = VerifyError;
    fn from_str(spec: &str) -> Result<HeaderRule, VerifyError> {
        HeaderRule::parse(spec)
    }
}

impl HeaderRule {
    /// A header that holds the bare token, like `Teleport-Jwt-Assertion`.
    pub fn raw(name: impl Into<String>) -> Self {
        HeaderRule {
            name: name.into(),
            scheme: None,
        }
    }

    /// A header of the form `<name>: Bearer <token>`.
    pub fn bearer(name: impl Into<String>) -> Self {
        HeaderRule {
            name: name.into(),
            scheme: Some("Bearer".into()),
        }
    }

    /// The default order: `Teleport-Jwt-Assertion`, then `Authorization: Bearer`.
    pub fn defaults() -> Vec<HeaderRule> {
        vec![
            HeaderRule::raw("Teleport-Jwt-Assertion"),
            HeaderRule::bearer("Authorization"),
        ]
    }

    /// Parses `"Name"` or `"Name: Scheme"` (e.g. `"Authorization: Bearer"`).
    pub fn parse(spec: &str) -> Result<HeaderRule, VerifyError> {
        let (name, scheme) = match spec.split_once(':') {
            Some((n, s)) => (n.trim(), Some(s.trim())),
            None => (spec.trim(), None),
        };
        let rule = HeaderRule {
            name: name.to_owned(),
            scheme: scheme.map(str::to_owned),
        };
        rule.check()?;
        Ok(rule)
    }

    /// `invalid_config` unless the name and scheme are HTTP tokens and the name has no `_`
    /// (see the [module docs](self): WSGI servers drop such headers, ASGI servers pass them).
    pub(crate) fn check(&self) -> Result<(), VerifyError> {
        if !valid_token(&self.name) || self.scheme.as_deref().is_some_and(|s| !valid_token(s)) {
            return Err(err(
                Reason::InvalidConfig,
                format!(
                    "header rule {:?} is not `Name` or `Name: Scheme`",
                    self.to_string()
                ),
            ));
        }
        if self.name.contains('_') {
            return Err(err(
                Reason::InvalidConfig,
                format!(
                    "header rule {:?} names a header with `_`: WSGI servers and proxies drop \
                     such headers and ASGI servers keep them, so it would be read on some \
                     servers only; name the header with `-`",
                    self.to_string()
                ),
            ));
        }
        Ok(())
    }
}

/// An HTTP token (RFC 9110 §5.6.2), the syntax of a header name and of a scheme.
fn valid_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The token from the first rule whose header is present. `headers` are any pairs that `pair`
/// reads as `(name, value)` text: borrowed pairs, as `token_from_headers` takes them, or the
/// pairs a caller of `verify_headers` gave, read in place.
pub(crate) fn extract<'s, 'h, T>(
    rules: &[HeaderRule],
    headers: &'s [T],
    pair: impl Fn(&'s T) -> (&'h str, &'h str),
) -> Result<&'h str, VerifyError> {
    for rule in rules {
        let mut found: Option<&str> = None;
        for (name, value) in headers.iter().map(&pair) {
            if !name.eq_ignore_ascii_case(&rule.name) {
                continue;
            }
            // Lines and comma-joined copies alike (module docs): all must be the same text.
            for copy in value.split(',') {
                let copy = copy.trim_matches([' ', '\t']);
                match found {
                    Some(previous) if previous != copy => {
                        return Err(err(
                            Reason::Malformed,
                            format!(
                                "header {} appears more than once (as separate lines or joined \
                                 by commas) with different values",
                                rule.name
                            ),
                        ))
                    }
                    _ => found = Some(copy),
                }
            }
        }
        let Some(value) = found else { continue };
        let token = match &rule.scheme {
            None => value,
            Some(scheme) => match value.split_once(' ') {
                Some((s, rest)) if s.eq_ignore_ascii_case(scheme) => rest.trim_start_matches(' '),
                _ => {
                    return Err(err(
                        Reason::Malformed,
                        format!(
                            "header {} is present but is not `{scheme} <token>`",
                            rule.name
                        ),
                    ))
                }
            },
        };
        if token.is_empty() {
            return Err(err(
                Reason::Malformed,
                format!("header {} is present but empty", rule.name),
            ));
        }
        return Ok(token);
    }
    let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    Err(err(
        Reason::MissingToken,
        format!(
            "no token in the request (looked for {})",
            names.join(", then ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick<'a>(h: &[(&'a str, &'a str)]) -> Result<&'a str, Reason> {
        extract(&HeaderRule::defaults(), h, |p| *p).map_err(|e| e.reason())
    }

    #[test]
    fn rules_print_as_they_parse() {
        for spec in [
            "Teleport-Jwt-Assertion",
            "Authorization: Bearer",
            "X-Token: Token",
        ] {
            let rule: HeaderRule = spec.parse().unwrap();
            assert_eq!(rule.to_string(), spec);
        }
        assert_eq!(
            HeaderRule::parse(" Authorization :Bearer ")
                .unwrap()
                .to_string(),
            "Authorization: Bearer"
        );
        let shown: Vec<String> = HeaderRule::defaults()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["Teleport-Jwt-Assertion", "Authorization: Bearer"]);
    }

    #[test]
    fn teleport_header_first_case_insensitive_then_bearer() {
        assert_eq!(pick(&[("teleport-jwt-assertion", "a.b.c")]), Ok("a.b.c"));
        assert_eq!(
            pick(&[
                ("Authorization", "Bearer x.y.z"),
                ("TELEPORT-JWT-ASSERTION", "a.b.c")
            ]),
            Ok("a.b.c")
        );
        assert_eq!(pick(&[("authorization", "bearer x.y.z")]), Ok("x.y.z"));
        assert_eq!(pick(&[("X-Other", "1")]), Err(Reason::MissingToken));
    }

    #[test]
    fn present_but_malformed_is_an_error_not_a_fall_through() {
        assert_eq!(
            pick(&[
                ("Teleport-Jwt-Assertion", " "),
                ("Authorization", "Bearer x.y.z")
            ]),
            Err(Reason::Malformed)
        );
        assert_eq!(
            pick(&[("Authorization", "Basic dXNlcg==")]),
            Err(Reason::Malformed)
        );
        assert_eq!(pick(&[("Authorization", "Bearer")]), Err(Reason::Malformed));
        assert_eq!(
            pick(&[
                ("Teleport-Jwt-Assertion", "a.b.c"),
                ("teleport-jwt-assertion", "d.e.f")
            ]),
            Err(Reason::Malformed)
        );
        assert_eq!(
            pick(&[
                ("Teleport-Jwt-Assertion", "a.b.c"),
                ("teleport-jwt-assertion", "a.b.c")
            ]),
            Ok("a.b.c")
        );
    }

    #[test]
    fn finding_09_comma_joined_copies_are_the_repeated_header() {
        // What a WSGI server makes of two identical lines (waitress adds a space), and what
        // an ASGI server passes line by line: the same token either way.
        for joined in ["a.b.c,a.b.c", "a.b.c, a.b.c", " a.b.c ,\ta.b.c,a.b.c "] {
            assert_eq!(
                pick(&[("Teleport-Jwt-Assertion", joined)]),
                Ok("a.b.c"),
                "{joined}"
            );
        }
        assert_eq!(
            pick(&[
                ("Teleport-Jwt-Assertion", "a.b.c, a.b.c"),
                ("teleport-jwt-assertion", "a.b.c")
            ]),
            Ok("a.b.c")
        );
        assert_eq!(
            pick(&[("Authorization", "Bearer x.y.z,Bearer x.y.z")]),
            Ok("x.y.z")
        );
        // Different copies, an empty one included, are refused as different lines are.
        for joined in ["a.b.c,d.e.f", "a.b.c,", ",a.b.c", "a.b.c, ,a.b.c"] {
            assert_eq!(
                pick(&[("Teleport-Jwt-Assertion", joined)]),
                Err(Reason::Malformed),
                "{joined}"
            );
        }
        assert_eq!(
            pick(&[("Authorization", "Bearer x.y.z, bearer x.y.z")]),
            Err(Reason::Malformed)
        );
        // A present but refused first header still never falls through to the next rule.
        assert_eq!(
            pick(&[
                ("Teleport-Jwt-Assertion", "a.b.c,d.e.f"),
                ("Authorization", "Bearer x.y.z")
            ]),
            Err(Reason::Malformed)
        );
    }

    #[test]
    fn finding_09_underscore_names_are_other_headers_and_no_rule_may_name_one() {
        assert_eq!(
            pick(&[("Teleport_Jwt_Assertion", "a.b.c")]),
            Err(Reason::MissingToken)
        );
        assert_eq!(
            pick(&[
                ("Teleport_Jwt_Assertion", "d.e.f"),
                ("Teleport-Jwt-Assertion", "a.b.c")
            ]),
            Ok("a.b.c")
        );
        for spec in ["Teleport_Jwt_Assertion", "X_Token: Bearer"] {
            let refused = HeaderRule::parse(spec).unwrap_err();
            assert_eq!(refused.reason(), Reason::InvalidConfig, "{spec}");
            assert!(refused.message().contains("`_`"), "{}", refused.message());
        }
        assert!(
            HeaderRule::parse("X-Token: Token_68").is_ok(),
            "a scheme may hold `_`"
        );
    }

    #[test]
    fn custom_order_decides() {
        let rules = vec![
            HeaderRule::bearer("Authorization"),
            HeaderRule::raw("Teleport-Jwt-Assertion"),
        ];
        let h = [
            ("Teleport-Jwt-Assertion", "a.b.c"),
            ("Authorization", "Bearer id.tok.en"),
        ];
        assert_eq!(extract(&rules, &h, |p| *p).unwrap(), "id.tok.en");
        assert_eq!(
            HeaderRule::parse("Authorization: Bearer").unwrap(),
            HeaderRule::bearer("Authorization")
        );
        assert!(HeaderRule::parse("Bad Name").is_err());
    }
}
