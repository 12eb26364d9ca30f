//! Permission templates (see [`Template`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::PolicyError;
use super::glob::Glob;
use crate::identity::Identity;

/// A compiled permission template (or a plain permission, which is a template without
/// variables).
///
/// ```
/// use teleport_jwt::policy::Template;
/// let t = Template::parse("repo:{{traits.github_orgs}}:read").unwrap();
/// assert_eq!(t.variables(), vec!["traits.github_orgs".to_string()]);
/// assert!(Template::parse("repo:{{traits.github_orgs:read").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
/// Permission templates: `repo:{{traits.github_orgs}}:read` expands to one permission per value
/// of the caller's `github_orgs` trait, the way Teleport role templates expand traits.
///
/// Grammar (checked at load time):
///
/// - text outside `{{ }}` is literal and may contain the glob wildcards `*` and `?`
///   (see [`crate::policy::Glob`]);
/// - `{{traits.NAME}}` is every value of the trait `NAME` (letters, digits, `_`, `-`, `.`, `:`,
///   `/`), `{{traits["any name"]}}` for other names (SAML attribute URLs);
/// - `{{user}}` (or `{{username}}`) is the caller's user name;
/// - spaces inside the braces are allowed (`{{ traits.team }}`); a `{{` without `}}`, a `}}`
///   without `{{`, an empty or unknown variable is a load error.
///
/// Expansion is single pass over the template, never over the substituted text: a trait value
/// `{{traits.admin}}` stays that literal text. Several variables give the cartesian product. A
/// missing trait, an empty one, or one whose values are all skipped gives no permission at
/// all.
///
/// # Which values are substituted
///
/// A value stands for exactly one permission segment, so a template never grants a permission
/// outside its own pattern. A value (a trait value, which may come from an identity provider,
/// or the user name) is skipped when it is empty or contains one of the characters the
/// permission and glob grammar gives a meaning to:
///
/// - `:`, the permission delimiter (`tool:NAME`, `repo:ORG:read`): a value `alice:secrets` in
///   `sandbox:{{user}}:*` would give `sandbox:alice:secrets:*`, inside alice's sandbox, and a
///   value `acme:admin` in `tenant:{{traits.tenant}}` would give `tenant:acme:admin`;
/// - `*` and `?`, the glob wildcards: a value `*` would turn a grant into a wider glob.
///
/// Nothing else is special: globs have no character classes, braces or escapes, so `[`, `]`,
/// `{`, `}` and `\` in a value are literal text (and template text in a value is never expanded,
/// see above). The delimiter is `:` only; a template that separates its own segments with
/// another character (`{{traits.org}}/{{traits.env}}`) gets no such protection, so prefer `:`.
/// Also keep a literal delimiter between a variable and a wildcard (`sandbox:{{user}}:*`, not
/// `sandbox:{{user}}*`, which gives user `ali` the glob `sandbox:ali*`, covering `sandbox:alice`).
///
/// A skipped value grants nothing and is logged at `warn` level (the template, the variable, the
/// user name and the first skipped value, each shortened to 64 characters and escaped; never the
/// token or other claims). There is no rate limit: the warning is logged once per variable each
/// time the template is expanded, whatever the number of skipped values (which the identity
/// provider controls): at most once per variable of each template of the matching grant rules
/// for one [`Policy::permissions`] call, and again for each [`Policy::allows`] or
/// [`Policy::explain`] call that expands the template. (A rule over the expansion cap is not
/// expanded; it logs its own warning instead.)
/// [`Verifier::authorize`] computes the permissions once per token and caches them, so with it
/// the warning comes once per token while it is cached; an application that calls
/// `Policy::allows` itself on every request logs on every request of such a caller.
///
/// Not supported on purpose: Teleport's functions (`email.local(...)`, `regexp.replace(...)`),
/// `internal.`/`external.` prefixes (the token carries every trait under `traits`), and
/// templates in deny patterns (a deny must not depend on the caller's own traits).
///
/// [`Policy::permissions`]: crate::policy::Policy::permissions
/// [`Policy::allows`]: crate::policy::Policy::allows
/// [`Policy::explain`]: crate::policy::Policy::explain
/// [`Verifier::authorize`]: crate::Verifier::authorize
pub struct Template {
    source: String,
    parts: Vec<Part>,
    /// Set when there is no variable: the one permission (or glob) this template grants.
    fixed: Option<Glob>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Part {
    Literal(String),
    Var(Var),
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Var {
    User,
    Trait(String),
}

impl Var {
    fn describe(&self) -> String {
        match self {
            Var::User => "user".to_string(),
            Var::Trait(name) => format!("traits.{name}"),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/')
}

fn parse_var(expr: &str, source: &str) -> Result<Var, PolicyError> {
    let bad = |why: &str| {
        PolicyError::new(format!(
            "template {source:?}: {why} (use {{{{user}}}} or {{{{traits.<name>}}}})"
        ))
    };
    let expr = expr.trim();
    if expr.is_empty() {
        return Err(bad("empty variable {{}}"));
    }
    if expr == "user" || expr == "username" {
        return Ok(Var::User);
    }
    if let Some(name) = expr.strip_prefix("traits.") {
        if !name.is_empty() && name.chars().all(is_name_char) {
            return Ok(Var::Trait(name.to_string()));
        }
        return Err(bad(&format!("invalid trait name {name:?}")));
    }
    if let Some(rest) = expr.strip_prefix("traits[") {
        let inner = rest
            .strip_suffix(']')
            .map(str::trim)
            .and_then(|q| q.strip_prefix('"'))
            .and_then(|q| q.strip_suffix('"'));
        return match inner {
            Some(name) if !name.is_empty() && !name.contains('"') => {
                Ok(Var::Trait(name.to_string()))
            }
            _ => Err(bad(&format!("invalid trait reference {expr:?}"))),
        };
    }
    Err(bad(&format!("unknown variable {expr:?}")))
}

impl Template {
    /// Parses and checks a template. Errors say what is wrong (no position: the loader adds it).
    pub fn parse(source: impl Into<String>) -> Result<Template, PolicyError> {
        let source = source.into();
        if source.trim().is_empty() {
            return Err(PolicyError::new("a permission is empty"));
        }
        let mut parts = Vec::new();
        let mut rest = source.as_str();
        let stray = || PolicyError::new(format!("template {source:?}: \"}}}}\" without \"{{{{\""));
        loop {
            let close = rest.find("}}");
            let Some(open) = rest.find("{{") else {
                if close.is_some() {
                    return Err(stray());
                }
                if !rest.is_empty() {
                    parts.push(Part::Literal(rest.to_string()));
                }
                break;
            };
            if close.is_some_and(|c| c < open) {
                return Err(stray());
            }
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| PolicyError::new(format!("template {source:?} is not closed")))?;
            let expr = &after[..end];
            if expr.contains("{{") {
                return Err(PolicyError::new(format!(
                    "template {source:?} is not closed"
                )));
            }
            parts.push(Part::Var(parse_var(expr, &source)?));
            rest = &after[end + 2..];
        }
        let fixed = if parts.iter().any(|p| matches!(p, Part::Var(_))) {
            None
        } else {
            Some(Glob::new(source.clone()))
        };
        Ok(Template {
            source,
            parts,
            fixed,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the template has at least one `{{...}}` variable.
    pub fn has_variables(&self) -> bool {
        self.fixed.is_none()
    }

    /// The variables in order of appearance, e.g. `["traits.github_orgs", "user"]`.
    pub fn variables(&self) -> Vec<String> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Var(v) => Some(v.describe()),
                Part::Literal(_) => None,
            })
            .collect()
    }

    /// The glob of a template without variables (precompiled at load).
    pub(crate) fn fixed(&self) -> Option<&Glob> {
        self.fixed.as_ref()
    }

    /// How many permissions [`Template::expand`] would produce for this identity (saturating),
    /// computed without building them: the product of the usable value counts.
    pub fn expansion_size(&self, identity: &Identity) -> usize {
        if self.fixed.is_some() {
            return 1;
        }
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Var(v) => Some(values(v, identity).count()),
                Part::Literal(_) => None,
            })
            .fold(1usize, usize::saturating_mul)
    }

    /// Every permission (or permission glob) this template gives the identity: the cartesian
    /// product over its variables; none when any variable has no usable value.
    pub fn expand(&self, identity: &Identity) -> Vec<String> {
        let mut out = Vec::new();
        self.expand_into(identity, &mut |s| out.push(s));
        out
    }

    /// [`Template::expand`] into a sink, without intermediate collections for the common
    /// one-variable case.
    pub(crate) fn expand_into(&self, identity: &Identity, sink: &mut dyn FnMut(String)) {
        if self.fixed.is_some() {
            return sink(self.source.clone());
        }
        self.warn_refused(identity);
        let vars = self
            .parts
            .iter()
            .filter(|p| matches!(p, Part::Var(_)))
            .count();
        if vars == 1 {
            for value in self
                .parts
                .iter()
                .find_map(|p| match p {
                    Part::Var(v) => Some(values(v, identity)),
                    Part::Literal(_) => None,
                })
                .into_iter()
                .flatten()
            {
                let mut s = String::with_capacity(self.source.len() + value.len());
                for part in &self.parts {
                    match part {
                        Part::Literal(l) => s.push_str(l),
                        Part::Var(_) => s.push_str(value),
                    }
                }
                sink(s);
            }
            return;
        }
        let lists: Vec<Vec<&str>> = self
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Var(v) => Some(values(v, identity).collect()),
                Part::Literal(_) => None,
            })
            .collect();
        if lists.iter().any(Vec::is_empty) {
            return;
        }
        let mut index = vec![0usize; lists.len()];
        loop {
            let mut s = String::with_capacity(self.source.len() + 16);
            let mut v = 0;
            for part in &self.parts {
                match part {
                    Part::Literal(l) => s.push_str(l),
                    Part::Var(_) => {
                        s.push_str(lists[v][index[v]]);
                        v += 1;
                    }
                }
            }
            sink(s);
            // Odometer: advance the last variable first.
            let mut k = lists.len();
            loop {
                if k == 0 {
                    return;
                }
                k -= 1;
                index[k] += 1;
                if index[k] < lists[k].len() {
                    break;
                }
                index[k] = 0;
            }
        }
    }

    /// Logs one warning per distinct variable with values [`values`] skips for a refused
    /// character (empty values are skipped silently). Nothing is scanned or formatted when
    /// `warn` is disabled.
    fn warn_refused(&self, identity: &Identity) {
        if !log::log_enabled!(log::Level::Warn) {
            return;
        }
        for (i, part) in self.parts.iter().enumerate() {
            let Part::Var(var) = part else { continue };
            // A variable used twice (`{{user}}-{{username}}`) is reported once.
            if self.parts[..i]
                .iter()
                .any(|p| matches!(p, Part::Var(w) if w == var))
            {
                continue;
            }
            let mut refused = all_values(var, identity)
                .iter()
                .filter_map(|v| refused_char(v).map(|c| (v.as_str(), c)));
            let Some((first, c)) = refused.next() else {
                continue;
            };
            let count = 1 + refused.count();
            match var {
                Var::User => log::warn!(
                    "teleport-jwt: policy template {:?} grants nothing to user {:?}: a user name \
                     substituted for {{{{user}}}} must not contain {} (it has {c:?})",
                    shorten(&self.source),
                    shorten(first),
                    REFUSED_LIST,
                ),
                Var::Trait(_) => log::warn!(
                    "teleport-jwt: policy template {:?} skips {count} value(s) of {{{{{}}}}} for \
                     user {:?}: a substituted value must not contain {} (first skipped: {:?}, \
                     which has {c:?})",
                    shorten(&self.source),
                    shorten(&var.describe()),
                    shorten(&identity.username),
                    REFUSED_LIST,
                    shorten(first),
                ),
            }
        }
    }
}

/// The characters a substituted value must not contain: the permission delimiter `:` (a value
/// must stay one segment) and the glob wildcards `*` and `?` (a value must not widen a grant).
/// Nothing else in the permission and glob grammar is special (no escapes, classes or braces).
const REFUSED: [char; 3] = [':', '*', '?'];

/// [`REFUSED`] as the warning spells it.
const REFUSED_LIST: &str = "':', '*' or '?'";

/// The first refused character of `value`, if any.
fn refused_char(value: &str) -> Option<char> {
    value.chars().find(|c| REFUSED.contains(c))
}

/// True when `value` may be substituted: not empty, and without a [`REFUSED`] character.
fn is_usable(value: &str) -> bool {
    !value.is_empty() && refused_char(value).is_none()
}

/// Every value of a variable, usable or not.
fn all_values<'a>(var: &'a Var, identity: &'a Identity) -> &'a [String] {
    match var {
        Var::User => std::slice::from_ref(&identity.username),
        Var::Trait(name) => identity.trait_values(name),
    }
}

/// The usable values of a variable: non-empty, without the delimiter and without glob
/// wildcards (see [`is_usable`]).
fn values<'a>(var: &'a Var, identity: &'a Identity) -> impl Iterator<Item = &'a str> + 'a {
    all_values(var, identity)
        .iter()
        .map(String::as_str)
        .filter(|v| is_usable(v))
}

/// At most [`LOG_CHARS`] characters of `s`, with `…` when shortened (for log lines; the caller
/// escapes with `{:?}`).
fn shorten(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(LOG_CHARS) {
        Some((end, _)) => format!("{}…", &s[..end]).into(),
        None => s.into(),
    }
}

/// How many characters of a template, user name or value a warning shows.
const LOG_CHARS: usize = 64;

impl TryFrom<String> for Template {
    type Error = PolicyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Template::parse(s.as_str()).inspect_err(|_| super::error::note_failed_value(&s))
    }
}

impl From<Template> for String {
    fn from(t: Template) -> String {
        t.source
    }
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Template({:?})", self.source)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sec_42_refused_characters_are_the_delimiter_and_the_wildcards() {
        for bad in [
            ":",
            "a:b",
            "*",
            "a*",
            "?",
            "a?b",
            "x:y:z",
            "é:",
            "",
            "alice:secrets",
        ] {
            assert!(!is_usable(bad), "{bad:?} must be refused");
        }
        // Nothing else is special in the permission and glob grammar.
        for ok in [
            "a", "a\\b", "[a-z]", "{a,b}", "{{user}}", "}}", "a b", "é", "a/b", "a-b", ".",
        ] {
            assert!(is_usable(ok), "{ok:?} is plain text");
        }
        assert_eq!(refused_char("acme:admin*"), Some(':'));
        assert_eq!(refused_char("acme*:admin"), Some('*'));
    }

    #[test]
    fn sec_42_log_values_are_shortened_on_a_char_boundary() {
        assert_eq!(shorten("short"), "short");
        let exact = "x".repeat(LOG_CHARS);
        assert_eq!(shorten(&exact), exact);
        let long = "é".repeat(LOG_CHARS + 10);
        let got = shorten(&long);
        assert_eq!(got.chars().count(), LOG_CHARS + 1);
        assert!(got.ends_with('…'));
    }
}
