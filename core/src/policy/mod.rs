//! Permissions: from Teleport roles and traits to the application's own permissions.
//!
//! A [`Policy`] is a list of rules loaded from YAML, TOML or JSON ([`PolicyDocument`] has the format).
//! Each rule matches identities by roles, traits, user name and trust entry (cluster), with
//! globs, and either grants permission templates (`repo:{{traits.github_orgs}}:read`, see
//! [`Template`]) or denies permission globs. Deny always wins. MCP tools are the permissions
//! `tool:<name>` ([`TOOL_PREFIX`]).
//!
//! A value substituted into a template is exactly one permission segment: a trait value or user
//! name that is empty or contains the delimiter `:` or a wildcard `*` or `?` is skipped (with a
//! warning in the log), so a template never grants a permission outside its own pattern (see
//! [`Template`] for the rule and how often the warning is logged). Match deny rules on roles,
//! users or trust entries rather than on traits alone: with Teleport's `jwt_claims: roles` the
//! token carries no traits, and a deny that needs one silently stops applying (a grant that
//! needs one just grants nothing).
//!
//! Every mistake in a policy is found at load time, with its line and column
//! ([`PolicyError`]); evaluation cannot fail and costs a few microseconds for 50 rules (see
//! `core/benches/policy.rs`), well under verifying the token.
//!
//! [`PermissionMapper`] is the plug-in point: `Policy` implements it, and so can your code.
//!
//! MCP resources are the permissions `resource:<uri>` ([`RESOURCE_PREFIX`]), checked on the URI
//! the SDK serves: [`resource_uri`] decodes it as the SDKs do and refuses what no permission can
//! name (an encoded `/`, a `..` segment, a fragment or query, ...; see [`UriRefusal`]).
//!
//! Not here: resources, ownership checks or anything that needs more than the identity; those
//! belong in the application, after `allows`.
//!
//! ```
//! # #[cfg(feature = "yaml")] {
//! use teleport_jwt::policy::Policy;
//! # use teleport_jwt::{Algorithm, Identity, TokenKind};
//! # let identity = Identity {
//! #     username: "alice".into(), sub: "alice".into(), roles: vec!["mcp-dev".into()],
//! #     traits: [("github_orgs".to_string(), vec!["acme".to_string()])].into(),
//! #     issuer: "root".into(), audience: vec![], expires_at: 0, issued_at: None,
//! #     not_before: None, jti: None, key_id: None, algorithm: Algorithm::RS256,
//! #     trust_entry: "root".into(), kind: TokenKind::TeleportJwt, claims: Default::default(),
//! # };
//! let policy = Policy::from_yaml_str(r#"
//! rules:
//!   - name: developers
//!     match: {roles_any: ["mcp-*"]}
//!     grant: ["tool:read_*", "repo:{{traits.github_orgs}}:read"]
//!   - name: nobody-deletes
//!     match: {}
//!     deny: ["tool:delete_*"]
//! "#)?;
//!
//! // `identity` comes from `Verifier::verify`.
//! assert!(policy.allows(&identity, "repo:acme:read"));
//! assert!(policy.can_call_tool(&identity, "read_file"));
//! assert_eq!(policy.filter_tools(&identity, ["read_file", "delete_repo"]), vec!["read_file"]);
//! println!("{}", policy.explain(&identity, "tool:delete_repo"));
//! # }
//! # Ok::<(), teleport_jwt::policy::PolicyError>(())
//! ```

mod document;
mod error;
mod evaluate;
mod explain;
mod glob;
mod load;
mod mapper;
mod permissions;
mod resource_uri;
mod template;

use std::sync::Arc;

pub use document::{Effect, Match, PolicyDocument, Rule, POLICY_VERSION};
pub use error::PolicyError;
pub use evaluate::MAX_EXPANSION_PER_RULE;
pub use explain::{Decision, Explanation, RuleHit, RuleRef};
pub use glob::Glob;
pub use load::PolicyFormat;
pub use mapper::{mapper_error, PermissionMapper};
pub use permissions::{tool_permission, Permissions, TOOL_PREFIX};
pub use resource_uri::{
    resource_permission, resource_uri, ResourceUriError, UriRefusal, RESOURCE_PREFIX,
};
pub use template::Template;

use crate::identity::Identity;
use document::Rule as DocRule;
use evaluate::{covers, expansion_size, for_each_grant, grant_covers, matches, warn_capped};

/// A loaded, checked policy. Cheap to clone (an `Arc`), `Send + Sync`; load once, share.
#[derive(Debug, Clone)]
pub struct Policy {
    doc: Arc<PolicyDocument>,
}

impl Policy {
    /// A policy from a document built in code (checked like a loaded one).
    pub fn from_document(doc: PolicyDocument) -> Result<Policy, PolicyError> {
        doc.check()?;
        Ok(Policy { doc: Arc::new(doc) })
    }

    /// The document.
    pub fn document(&self) -> &PolicyDocument {
        &self.doc
    }

    /// The rules, in document order.
    pub fn rules(&self) -> &[Rule] {
        &self.doc.rules
    }

    /// Everything `identity` is granted, and the deny patterns that apply to it. Compute it once
    /// per request when asking several questions (filtering a tool list).
    pub fn permissions(&self, identity: &Identity) -> Permissions {
        let mut granted: Vec<String> = Vec::new();
        let mut denied: Vec<String> = Vec::new();
        let mut capped: Vec<usize> = Vec::new();
        for (i, rule) in self.doc.rules.iter().enumerate() {
            if !matches(&rule.when, identity, None) {
                continue;
            }
            match &rule.effect {
                Effect::Deny(globs) => denied.extend(globs.iter().map(|g| g.as_str().to_owned())),
                Effect::Grant(templates) => {
                    if !for_each_grant(templates, identity, |_, p| granted.push(p)) {
                        warn_capped(rule, i, identity, expansion_size(templates, identity));
                        capped.push(i);
                    }
                }
            }
        }
        Permissions::new(granted, denied).with_capped_rules(capped)
    }

    /// Does `identity` have `permission`? (A granted glob grants what it matches; a deny wins.)
    pub fn allows(&self, identity: &Identity, permission: &str) -> bool {
        // Same answer as `self.permissions(identity).allows(permission)`, without building the
        // set: any matching deny refuses, else any matching grant that covers it allows.
        let mut granted = false;
        for rule in &self.doc.rules {
            match &rule.effect {
                Effect::Deny(globs) => {
                    if globs.iter().any(|g| g.matches(permission))
                        && matches(&rule.when, identity, None)
                    {
                        return false;
                    }
                }
                Effect::Grant(templates) => {
                    if !granted
                        && matches(&rule.when, identity, None)
                        && grant_covers(templates, identity, permission)
                    {
                        granted = true;
                    }
                }
            }
        }
        granted
    }

    /// May `identity` list and call the MCP tool `tool` (permission `tool:<tool>`)?
    pub fn can_call_tool(&self, identity: &Identity, tool: &str) -> bool {
        self.allows(identity, &tool_permission(tool))
    }

    /// The tools `identity` may list and call, in the order given (one evaluation for all).
    pub fn filter_tools<S, I>(&self, identity: &Identity, tools: I) -> Vec<S>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.permissions(identity).filter_tools(tools)
    }

    /// Why `permission` is granted, denied or not granted to `identity`; the decision is
    /// always the same as [`Policy::allows`].
    pub fn explain(&self, identity: &Identity, permission: &str) -> Explanation {
        let mut deny: Option<RuleHit> = None;
        let mut grant: Option<RuleHit> = None;
        let mut matched = Vec::new();
        let mut capped = Vec::new();
        for (i, rule) in self.doc.rules.iter().enumerate() {
            let mut conditions = Vec::new();
            if !matches(&rule.when, identity, Some(&mut conditions)) {
                continue;
            }
            let rref = rule_ref(rule, i);
            matched.push(rref.clone());
            match &rule.effect {
                Effect::Deny(globs) => {
                    if deny.is_none() {
                        if let Some(g) = globs.iter().find(|g| g.matches(permission)) {
                            deny = Some(RuleHit {
                                rule: rref,
                                pattern: g.as_str().to_owned(),
                                source: g.as_str().to_owned(),
                                conditions,
                            });
                        }
                    }
                }
                Effect::Grant(templates) => {
                    let mut found: Option<(String, String)> = None;
                    let within_cap = for_each_grant(templates, identity, |t, p| {
                        if found.is_none() && covers(&p, permission) {
                            found = Some((p, t.as_str().to_owned()));
                        }
                    });
                    if !within_cap {
                        capped.push(rref);
                    } else if let (None, Some((pattern, source))) = (&grant, found) {
                        grant = Some(RuleHit {
                            rule: rref,
                            pattern,
                            source,
                            conditions,
                        });
                    }
                }
            }
        }
        let (decision, decided_by, overridden_grant) = match (deny, grant) {
            (Some(d), g) => (Decision::Denied, Some(d), g),
            (None, Some(g)) => (Decision::Granted, Some(g), None),
            (None, None) => (Decision::NotGranted, None, None),
        };
        Explanation {
            permission: permission.to_owned(),
            username: identity.username.clone(),
            decision,
            decided_by,
            overridden_grant,
            matched_rules: matched,
            capped_rules: capped,
        }
    }
}

fn rule_ref(rule: &DocRule, index: usize) -> RuleRef {
    RuleRef {
        index,
        name: rule.name.clone(),
    }
}
