//! The policy document format (see [`PolicyDocument`]).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::error::PolicyError;
use super::glob::Glob;
use super::template::Template;

/// The only policy format version.
pub const POLICY_VERSION: u32 = 1;

/// A whole policy document. Build one in code and pass it to
/// [`crate::policy::Policy::from_document`], or load it with `Policy::from_*`.
///
/// The typed policy document: what a YAML, TOML or JSON policy file contains.
///
/// ```yaml
/// version: 1                      # optional; only 1 exists
/// rules:                          # evaluated all together; order only matters for explain
///   - name: readers               # optional, shown by explain (else "rules[0]")
///     match:                      # required; `match: {}` matches every identity
///       roles_any: ["mcp-*"]      # holds at least one role matching one of these globs
///       roles_all: [mcp-user]     # for each glob, holds a role matching it
///       traits: {team: [data]}    # each named trait has a value matching one of its globs
///       users: ["*@example.com"]  # user name matches one of these globs
///       trust_entries: [root]     # Identity::trust_entry (which cluster) matches one glob
///     grant: ["tool:read_*", "repo:{{traits.github_orgs}}:read"]
///   - match: {users: [mallory]}
///     deny: ["tool:*"]            # globs; a deny always wins over every grant
/// ```
///
/// All conditions of a `match` must hold (AND); within one condition any listed glob may match
/// (OR), except `roles_all`. A rule has exactly one of `grant` (permission templates, see
/// [`crate::policy::Template`]) or `deny` (globs, no templates). Everything is checked while
/// deserializing, so a bad document fails at load time with its line and column: unknown
/// fields, empty lists (an empty list would silently match nothing), empty patterns, templates
/// outside `grant`, bad templates, rules with both or neither of `grant`/`deny`, duplicate rule
/// names, a missing or empty `rules`.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    /// Format version; always [`POLICY_VERSION`].
    pub version: u32,
    /// The rules. Never empty.
    pub rules: Vec<Rule>,
}

/// One rule: who it applies to, and what it grants or denies.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// A name for explanations and logs; unique within the policy when set.
    pub name: Option<String>,
    /// Which identities the rule applies to (the `match` key).
    pub when: Match,
    /// What it does for them.
    pub effect: Effect,
}

/// What a rule does for the identities it matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Grants these permission templates (`grant:`).
    Grant(Vec<Template>),
    /// Denies every permission matching one of these globs (`deny:`), whatever grants it.
    Deny(Vec<Glob>),
}

/// The conditions of a rule, all of which must hold. Absent conditions are not checked; with
/// none at all the rule applies to every identity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Match {
    /// The identity holds at least one role matching one of these globs.
    pub roles_any: Option<Vec<Glob>>,
    /// For every glob, the identity holds a role matching it.
    pub roles_all: Option<Vec<Glob>>,
    /// For every trait named, the identity has a value matching one of its globs.
    pub traits: Option<BTreeMap<String, Vec<Glob>>>,
    /// The user name matches one of these globs.
    pub users: Option<Vec<Glob>>,
    /// The name of the trust entry that verified the token (which cluster, see
    /// [`crate::Identity::trust_entry`]) matches one of these globs.
    pub trust_entries: Option<Vec<Glob>>,
}

impl Match {
    /// True when no condition is set (the rule applies to everyone).
    pub fn is_empty(&self) -> bool {
        self.roles_any.is_none()
            && self.roles_all.is_none()
            && self.traits.is_none()
            && self.users.is_none()
            && self.trust_entries.is_none()
    }

    /// Checks the invariants the loader enforces (no empty lists or patterns).
    pub fn check(&self) -> Result<(), PolicyError> {
        let lists = [
            ("roles_any", &self.roles_any),
            ("roles_all", &self.roles_all),
            ("users", &self.users),
            ("trust_entries", &self.trust_entries),
        ];
        for (key, list) in lists {
            if let Some(list) = list {
                check_globs(key, list)?;
            }
        }
        if let Some(traits) = &self.traits {
            if traits.is_empty() {
                return Err(PolicyError::new(
                    "`traits` is empty; remove it to not match on traits",
                ));
            }
            for (name, list) in traits {
                if name.is_empty() {
                    return Err(PolicyError::new("`traits` names an empty trait"));
                }
                check_globs(&format!("traits.{name}"), list)?;
            }
        }
        Ok(())
    }
}

fn check_globs(key: &str, list: &[Glob]) -> Result<(), PolicyError> {
    if list.is_empty() {
        return Err(PolicyError::new(format!(
            "`{key}` is an empty list, which would match nothing; remove it to not match on it"
        )));
    }
    list.iter().try_for_each(check_glob)
}

/// A glob in a policy: not empty, no template braces.
pub(crate) fn check_glob(g: &Glob) -> Result<(), PolicyError> {
    let s = g.as_str();
    if s.trim().is_empty() {
        return Err(PolicyError::new("a pattern is empty"));
    }
    if s.contains("{{") || s.contains("}}") {
        return Err(PolicyError::new(format!(
            "pattern {s:?} uses a template; templates are only allowed in `grant` permissions"
        )));
    }
    Ok(())
}

impl Rule {
    /// Checks the invariants the loader enforces.
    pub fn check(&self) -> Result<(), PolicyError> {
        if let Some(name) = &self.name {
            if name.trim().is_empty() {
                return Err(PolicyError::new("a rule name is empty"));
            }
        }
        self.when.check()?;
        match &self.effect {
            Effect::Grant(list) if list.is_empty() => Err(PolicyError::new(
                "`grant` is empty; a rule must grant something",
            )),
            Effect::Deny(list) if list.is_empty() => Err(PolicyError::new(
                "`deny` is empty; a rule must deny something",
            )),
            Effect::Grant(_) => Ok(()),
            Effect::Deny(list) => list.iter().try_for_each(check_glob),
        }
    }

    /// `rules[3] "admins"` or `rules[3]`.
    pub(crate) fn label(&self, index: usize) -> String {
        match &self.name {
            Some(n) => format!("rules[{index}] {n:?}"),
            None => format!("rules[{index}]"),
        }
    }
}

impl PolicyDocument {
    /// Checks every invariant the loader enforces; the position in errors is `rules[i]`.
    pub fn check(&self) -> Result<(), PolicyError> {
        check_header(self.version, &self.rules)?;
        for (i, rule) in self.rules.iter().enumerate() {
            rule.check()
                .map_err(|e| PolicyError::new(format!("rules[{i}]: {}", e.reason())))?;
        }
        Ok(())
    }
}

fn check_header(version: u32, rules: &[Rule]) -> Result<(), PolicyError> {
    if version != POLICY_VERSION {
        return Err(PolicyError::new(format!(
            "unsupported policy version {version} (this library reads version {POLICY_VERSION})"
        )));
    }
    if rules.is_empty() {
        return Err(PolicyError::new(
            "`rules` is empty; a policy without rules grants nothing",
        ));
    }
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, rule) in rules.iter().enumerate() {
        if let Some(name) = &rule.name {
            if let Some(first) = names.insert(name.as_str(), i) {
                return Err(PolicyError::new(format!(
                    "rules[{first}] and rules[{i}] are both named {name:?}; names must be unique"
                )));
            }
        }
    }
    Ok(())
}

// The serde shapes. Each converts into the public type through its checks, so errors are
// raised while the parser still knows the position.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    #[serde(default = "default_version")]
    version: u32,
    rules: NonEmpty<Rule>,
}

fn default_version() -> u32 {
    POLICY_VERSION
}

impl TryFrom<RawDocument> for PolicyDocument {
    type Error = PolicyError;
    fn try_from(raw: RawDocument) -> Result<Self, PolicyError> {
        check_header(raw.version, &raw.rules.0)?;
        Ok(PolicyDocument {
            version: raw.version,
            rules: raw.rules.0,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "match")]
    when: Match,
    #[serde(default)]
    grant: Option<NonEmpty<Template>>,
    #[serde(default)]
    deny: Option<NonEmpty<PolicyGlob>>,
}

impl TryFrom<RawRule> for Rule {
    type Error = PolicyError;
    fn try_from(raw: RawRule) -> Result<Self, PolicyError> {
        let effect = match (raw.grant, raw.deny) {
            (Some(g), None) => Effect::Grant(g.0),
            (None, Some(d)) => Effect::Deny(d.0.into_iter().map(|p| p.0).collect()),
            (Some(_), Some(_)) => {
                return Err(PolicyError::new(
                    "a rule has both `grant` and `deny`; split it into two rules",
                ))
            }
            (None, None) => {
                return Err(PolicyError::new("a rule needs `grant` or `deny`"));
            }
        };
        let rule = Rule {
            name: raw.name,
            when: raw.when,
            effect,
        };
        rule.check()?;
        Ok(rule)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    #[serde(default)]
    roles_any: Option<NonEmpty<PolicyGlob>>,
    #[serde(default)]
    roles_all: Option<NonEmpty<PolicyGlob>>,
    #[serde(default)]
    traits: Option<BTreeMap<String, NonEmpty<PolicyGlob>>>,
    #[serde(default)]
    users: Option<NonEmpty<PolicyGlob>>,
    #[serde(default)]
    trust_entries: Option<NonEmpty<PolicyGlob>>,
}

fn globs(list: Option<NonEmpty<PolicyGlob>>) -> Option<Vec<Glob>> {
    list.map(|l| l.0.into_iter().map(|p| p.0).collect())
}

impl TryFrom<RawMatch> for Match {
    type Error = PolicyError;
    fn try_from(raw: RawMatch) -> Result<Self, PolicyError> {
        let m = Match {
            roles_any: globs(raw.roles_any),
            roles_all: globs(raw.roles_all),
            traits: raw.traits.map(|t| {
                t.into_iter()
                    .map(|(k, v)| (k, v.0.into_iter().map(|p| p.0).collect()))
                    .collect()
            }),
            users: globs(raw.users),
            trust_entries: globs(raw.trust_entries),
        };
        m.check()?;
        Ok(m)
    }
}

/// A glob as read from a document: checked (non-empty, no template) while deserializing, so the
/// error has the pattern's own position.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct PolicyGlob(Glob);

impl TryFrom<String> for PolicyGlob {
    type Error = PolicyError;
    fn try_from(s: String) -> Result<Self, PolicyError> {
        let g = Glob::new(s);
        check_glob(&g).inspect_err(|_| super::error::note_failed_value(g.as_str()))?;
        Ok(PolicyGlob(g))
    }
}

impl<'de> Deserialize<'de> for PolicyDocument {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map::<D, RawDocument, _>(d, "a policy document")
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map::<D, RawRule, _>(d, "a rule")
    }
}

impl<'de> Deserialize<'de> for Match {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map::<D, RawMatch, _>(d, "a `match` mapping")
    }
}

/// Deserializes `Raw` from a mapping and converts it *inside* the visitor, so that the format
/// attaches the mapping's own position to a failed check (a `try_from` after the fact would get
/// the position of the enclosing list).
fn checked_map<'de, D, Raw, T>(d: D, what: &'static str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    Raw: Deserialize<'de>,
    T: TryFrom<Raw, Error = PolicyError>,
{
    struct MapVisitor<Raw, T>(&'static str, PhantomData<(Raw, T)>);
    impl<'de, Raw, T> Visitor<'de> for MapVisitor<Raw, T>
    where
        Raw: Deserialize<'de>,
        T: TryFrom<Raw, Error = PolicyError>,
    {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            let raw = Raw::deserialize(MapAccessDeserializer::new(map))?;
            T::try_from(raw).map_err(de::Error::custom)
        }
    }
    d.deserialize_map(MapVisitor::<Raw, T>(what, PhantomData))
}

/// A list that must not be empty, checked inside the visitor so the error points at the list.
struct NonEmpty<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NonEmpty<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SeqVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for SeqVisitor<T> {
            type Value = NonEmpty<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-empty list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<NonEmpty<T>, A::Error> {
                let items = Vec::<T>::deserialize(SeqAccessDeserializer::new(seq))?;
                if items.is_empty() {
                    return Err(de::Error::custom(
                        "the list is empty: an empty list matches, grants or denies nothing; \
                         remove the key instead",
                    ));
                }
                Ok(NonEmpty(items))
            }
        }
        d.deserialize_seq(SeqVisitor(PhantomData))
    }
}
