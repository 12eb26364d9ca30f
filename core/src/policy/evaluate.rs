//! Evaluation: which rules match an identity, and what their grants expand to.
//!
//! Every rule is looked at (order does not change the result): the granted set is the union of
//! the expansions of all matching grant rules, and the deny patterns are those of all matching
//! deny rules. Nothing here can fail; every pattern and template was compiled at load time.

use std::fmt;

use super::document::{Match, Rule};
use super::glob::{has_wildcard, Glob};
use super::template::Template;
use crate::identity::Identity;

/// The most permissions one grant rule may expand to for one identity. A rule whose templates
/// would expand to more (a trait with thousands of values, or a cartesian product of several)
/// grants nothing for that identity and a warning is logged: failing closed beats a silently
/// truncated or memory-hungry grant.
pub const MAX_EXPANSION_PER_RULE: usize = 1000;

/// True when every condition of `m` holds for `id`. With `notes`, each condition that held is
/// described there (for explanations); without, nothing is formatted or allocated.
pub(crate) fn matches(m: &Match, id: &Identity, mut notes: Option<&mut Vec<String>>) -> bool {
    let mut note = |args: fmt::Arguments<'_>| {
        if let Some(n) = notes.as_deref_mut() {
            n.push(args.to_string());
        }
    };
    if m.is_empty() {
        note(format_args!("match {{}} (every identity)"));
        return true;
    }
    if let Some(globs) = &m.roles_any {
        match first_match(globs, &id.roles) {
            Some((v, g)) => note(format_args!("roles_any: role {v:?} matches {g:?}")),
            None => return false,
        }
    }
    if let Some(globs) = &m.roles_all {
        for g in globs {
            match id.roles.iter().find(|r| g.matches(r)) {
                Some(r) => note(format_args!(
                    "roles_all: role {r:?} matches {:?}",
                    g.as_str()
                )),
                None => return false,
            }
        }
    }
    if let Some(traits) = &m.traits {
        for (name, globs) in traits {
            match first_match(globs, id.trait_values(name)) {
                Some((v, g)) => note(format_args!("traits.{name}: value {v:?} matches {g:?}")),
                None => return false,
            }
        }
    }
    if let Some(globs) = &m.users {
        match first_match(globs, std::slice::from_ref(&id.username)) {
            Some((v, g)) => note(format_args!("users: {v:?} matches {g:?}")),
            None => return false,
        }
    }
    if let Some(globs) = &m.trust_entries {
        match first_match(globs, std::slice::from_ref(&id.trust_entry)) {
            Some((v, g)) => note(format_args!("trust_entries: {v:?} matches {g:?}")),
            None => return false,
        }
    }
    true
}

/// The first (value, pattern) pair where a value matches a pattern.
fn first_match<'a>(globs: &'a [Glob], values: &'a [String]) -> Option<(&'a str, &'a str)> {
    values.iter().find_map(|v| {
        globs
            .iter()
            .find(|g| g.matches(v))
            .map(|g| (v.as_str(), g.as_str()))
    })
}

/// The total number of permissions a grant rule's templates expand to for `id` (saturating).
pub(crate) fn expansion_size(templates: &[Template], id: &Identity) -> usize {
    templates
        .iter()
        .map(|t| t.expansion_size(id))
        .fold(0usize, usize::saturating_add)
}

/// Calls `each(template, permission)` for every permission the templates give `id`; false (and
/// nothing called) when over [`MAX_EXPANSION_PER_RULE`].
pub(crate) fn for_each_grant<'t>(
    templates: &'t [Template],
    id: &Identity,
    mut each: impl FnMut(&'t Template, String),
) -> bool {
    if expansion_size(templates, id) > MAX_EXPANSION_PER_RULE {
        return false;
    }
    for t in templates {
        t.expand_into(id, &mut |p| each(t, p));
    }
    true
}

/// Whether a grant rule's templates give `id` the permission `permission` (directly or through
/// a granted glob), without building the set: fixed templates compare in place.
pub(crate) fn grant_covers(templates: &[Template], id: &Identity, permission: &str) -> bool {
    if expansion_size(templates, id) > MAX_EXPANSION_PER_RULE {
        return false;
    }
    templates.iter().any(|t| match t.fixed() {
        Some(g) => g.matches(permission),
        None => {
            let mut found = false;
            t.expand_into(id, &mut |p| found = found || covers(&p, permission));
            found
        }
    })
}

/// Whether a granted permission or glob covers `permission` (the rule of `Permissions`).
pub(crate) fn covers(granted: &str, permission: &str) -> bool {
    !granted.is_empty()
        && if has_wildcard(granted) {
            Glob::new(granted).matches(permission)
        } else {
            granted == permission
        }
}

/// Logs (once per evaluation) a rule that was over the cap.
pub(crate) fn warn_capped(rule: &Rule, index: usize, id: &Identity, size: usize) {
    log::warn!(
        "policy {} matched user {:?} but would grant {} permissions (cap {}); it grants none",
        rule.label(index),
        id.username,
        size,
        MAX_EXPANSION_PER_RULE
    );
}
