//! Permissions: the core's [`teleport_jwt::policy::Policy`] (rules loaded from YAML, TOML or
//! JSON that map a verified identity to the application's permissions) as an object, its result
//! as a record, and the [`PermissionMapper`] plug-in point for foreign code. Every decision
//! (matching, templates, deny-wins, globs, tool names) is the core's.
//!
//! A verifier given a mapper (`VerifierOptions.permissionsFrom`: [`PermissionsFrom::Policy`] or
//! [`PermissionsFrom::Mapper`]) answers `authorize`: the verified identity and its
//! [`Permissions`], computed once per token and cached with its verification.
//!
//! Each method calls the core's method of the same name; the Kotlin and Swift parity tests
//! check them against the core's tables (`POLICY_OPERATIONS`, `PERMISSIONS_OPERATIONS`,
//! `EXPLANATION_FIELDS`). The explanation records restate the core's with the types UniFFI
//! carries; their conversions name every field and variant, so a change in the core fails to
//! compile here.

use std::path::PathBuf;
use std::sync::Arc;

use teleport_jwt::policy as core;

use crate::error::{PluginFailure, VerifyError};
use crate::guard::guarded;
use crate::identity::Identity;

/// A policy that could not be loaded: the core's message, with the line and column of the
/// mistake when the format reports one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PolicyError {
    /// The policy text or file is not a valid policy.
    #[error("{message}")]
    Invalid {
        /// The whole message: `[<file>: ]line 7, column 9: <reason>` (`detail` in Kotlin).
        message: String,
        /// 1-based line of the mistake, when the format reports one.
        line: Option<i32>,
        /// 1-based column of the mistake, when the format reports one.
        column: Option<i32>,
        /// What is wrong, without the file and position.
        reason: String,
    },
}

impl From<core::PolicyError> for PolicyError {
    fn from(e: core::PolicyError) -> Self {
        let small = |n: Option<usize>| n.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        PolicyError::Invalid {
            message: e.to_string(),
            line: small(e.line()),
            column: small(e.column()),
            reason: e.reason().to_owned(),
        }
    }
}

/// What an identity is granted, and the deny patterns that apply to it: the answer of
/// `Policy.permissions`, of a [`PermissionMapper`] and of `Verifier.authorize`. An immutable
/// object around the core's compiled permissions, so `allows` asks them directly: nothing is
/// rebuilt or copied across the boundary per question (a granted glob grants what it matches,
/// a deny always wins).
#[derive(Debug, PartialEq, Eq, Hash, uniffi::Object)]
#[uniffi::export(Debug, Eq, Hash)]
pub struct Permissions {
    inner: Arc<core::Permissions>,
}

impl Permissions {
    /// The binding object for core permissions (shared, not copied).
    pub(crate) fn shared(inner: Arc<core::Permissions>) -> Arc<Self> {
        Arc::new(Permissions { inner })
    }

    /// The core's permissions.
    pub fn core(&self) -> &core::Permissions {
        &self.inner
    }
}

#[uniffi::export]
impl Permissions {
    /// Permissions granting `granted` (permissions, or globs such as `tool:read_*`) except what
    /// a `denied` glob matches: what a Kotlin or Swift [`PermissionMapper`] returns.
    #[uniffi::constructor(default(denied = []))]
    pub fn new(granted: Vec<String>, denied: Vec<String>) -> Arc<Self> {
        Self::shared(Arc::new(core::Permissions::new(granted, denied)))
    }
}

#[uniffi::export]
impl Permissions {
    /// The granted permissions and globs, sorted; concrete grants a deny matches are left out,
    /// granted globs stay listed (ask `allows` for a decision).
    pub fn granted(&self) -> Vec<String> {
        self.inner.granted().iter().cloned().collect()
    }

    /// The deny patterns (globs) that apply to this identity, sorted.
    pub fn denied(&self) -> Vec<String> {
        self.inner.denied().iter().cloned().collect()
    }

    /// True when `permission` is granted (equal to a grant or matched by a granted glob) and
    /// matched by no deny pattern.
    pub fn allows(&self, permission: String) -> bool {
        self.inner.allows(&permission)
    }

    /// Whether this identity may list and call the MCP tool `tool` (permission `tool:<tool>`).
    pub fn can_call_tool(&self, tool: String) -> bool {
        self.inner.can_call_tool(&tool)
    }

    /// The tools of `tools` this identity may list and call, in the order given: filter an MCP
    /// `tools/list` answer with it.
    pub fn filter_tools(&self, tools: Vec<String>) -> Vec<String> {
        self.inner.filter_tools(tools)
    }
}

/// The outcome for one permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Decision {
    /// A matching rule grants it and no matching rule denies it.
    Granted,
    /// A matching deny rule matches it (whatever grants it).
    Denied,
    /// No matching rule grants it.
    NotGranted,
}

impl From<core::Decision> for Decision {
    fn from(d: core::Decision) -> Self {
        match d {
            core::Decision::Granted => Decision::Granted,
            core::Decision::Denied => Decision::Denied,
            core::Decision::NotGranted => Decision::NotGranted,
        }
    }
}

impl From<Decision> for core::Decision {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Granted => core::Decision::Granted,
            Decision::Denied => core::Decision::Denied,
            Decision::NotGranted => core::Decision::NotGranted,
        }
    }
}

#[uniffi::export]
impl Decision {
    /// The stable snake_case code (`granted`, `denied` or `not_granted`), the same in every
    /// language.
    pub fn code(&self) -> String {
        core::Decision::from(*self).code().to_owned()
    }
}

/// Why one permission was granted, denied or not granted to one identity, as plain data for
/// support tickets; `text` is one log line:
///
/// ```text
/// denied "tool:delete_repo" to "alice": rules[3] "no-deletes-from-leaf": deny "tool:delete_*" (trust_entries: "leaf" matches "leaf*"); overrides rules[2] "admins": grant "tool:*" (roles_any: role "mcp-admin" matches "mcp-admin")
/// ```
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Explanation {
    /// The permission asked about.
    pub permission: String,
    /// The identity's user name.
    pub username: String,
    /// The outcome (the same as the policy's `allows`).
    pub decision: Decision,
    /// True only when the permission is granted.
    pub allowed: bool,
    /// The deny that refused it (`denied`) or the first grant that gave it (`granted`).
    pub decided_by: Option<RuleHit>,
    /// For `denied`: the first grant the deny overrode, if any rule granted it.
    pub overridden_grant: Option<RuleHit>,
    /// Every rule whose `match` held for this identity, in policy order.
    pub matched_rules: Vec<RuleRef>,
    /// Rules that matched but granted nothing because of the expansion cap.
    pub capped_rules: Vec<RuleRef>,
    /// The explanation as one log line.
    pub text: String,
}

impl From<core::Explanation> for Explanation {
    fn from(e: core::Explanation) -> Self {
        let allowed = e.is_allowed();
        let text = e.to_string();
        let core::Explanation {
            permission,
            username,
            decision,
            decided_by,
            overridden_grant,
            matched_rules,
            capped_rules,
        } = e;
        Explanation {
            permission,
            username,
            decision: decision.into(),
            allowed,
            decided_by: decided_by.map(Into::into),
            overridden_grant: overridden_grant.map(Into::into),
            matched_rules: matched_rules.into_iter().map(Into::into).collect(),
            capped_rules: capped_rules.into_iter().map(Into::into).collect(),
            text,
        }
    }
}

/// One rule's grant or deny that applied to the permission.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RuleHit {
    /// The rule.
    pub rule: RuleRef,
    /// The expanded grant, or the deny glob, that matched the permission.
    pub pattern: String,
    /// The grant template or deny pattern as written in the policy (equal to `pattern` when it
    /// has no template variable).
    pub source: String,
    /// The rule's conditions that held, e.g. `roles_any: role "mcp-dev" matches "mcp-*"`.
    pub conditions: Vec<String>,
}

impl From<core::RuleHit> for RuleHit {
    fn from(h: core::RuleHit) -> Self {
        let core::RuleHit {
            rule,
            pattern,
            source,
            conditions,
        } = h;
        RuleHit {
            rule: rule.into(),
            pattern,
            source,
            conditions,
        }
    }
}

/// A rule of the policy: its 0-based index in `rules` and its name, if any.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RuleRef {
    /// 0-based position in the document's `rules` (`Int`/`Int32`: a policy never has 2^31
    /// rules).
    pub index: i32,
    /// The rule's `name`, when it has one.
    pub name: Option<String>,
}

impl From<core::RuleRef> for RuleRef {
    fn from(r: core::RuleRef) -> Self {
        let core::RuleRef { index, name } = r;
        RuleRef {
            index: i32::try_from(index).unwrap_or(i32::MAX),
            name,
        }
    }
}

/// A permission mapper implemented in Kotlin or Swift: from a verified identity to the
/// application's permissions (a directory lookup, a database, rules of your own). Give it to a
/// verifier with `PermissionsFrom.Mapper` and call `authorize`; it runs once per token (the
/// answer is cached with the verification) and only for tokens that verified.
///
/// Any exception it throws (a `PluginFailure` or any other) fails the
/// `authorize` call with `plugin_error` carrying the exception's message; nothing is cached and
/// the verifier stays usable.
#[uniffi::export(foreign)]
pub trait PermissionMapper: Send + Sync {
    /// What `identity` is granted (`granted`: permissions and globs such as `tool:read_*`), and
    /// optionally deny patterns (`denied`) that win over any grant.
    fn permissions(&self, identity: Identity) -> Result<Arc<Permissions>, PluginFailure>;
}

/// Adapts a foreign [`PermissionMapper`] to the core's [`core::PermissionMapper`].
pub(crate) struct ForeignMapper(pub(crate) Arc<dyn PermissionMapper>);

impl core::PermissionMapper for ForeignMapper {
    fn permissions(
        &self,
        identity: &teleport_jwt::Identity,
    ) -> Result<core::Permissions, teleport_jwt::VerifyError> {
        match self.0.permissions(identity.clone().into()) {
            Ok(p) => Ok(p.core().clone()),
            // A thrown non-PluginFailure arrives as `plugin_error` already (error.rs), with
            // the foreign class and message; any other reason the mapper chose is kept in the
            // text, but a mapper failure is always `plugin_error`.
            Err(PluginFailure::Failed { code, detail }) if code == "plugin_error" => {
                Err(core::mapper_error(detail))
            }
            Err(e) => Err(core::mapper_error(e)),
        }
    }
}

/// Where `Verifier.authorize` gets permissions from (`VerifierOptions.permissionsFrom`).
#[derive(uniffi::Enum)]
pub enum PermissionsFrom {
    /// The built-in rules engine: a loaded [`Policy`] (evaluated by the core directly).
    Policy {
        /// The policy.
        policy: Arc<Policy>,
    },
    /// The application's own [`PermissionMapper`].
    Mapper {
        /// The mapper.
        mapper: Arc<dyn PermissionMapper>,
    },
}

impl PermissionsFrom {
    /// The core mapper for this choice.
    pub(crate) fn into_core(self) -> Arc<dyn core::PermissionMapper> {
        match self {
            PermissionsFrom::Policy { policy } => Arc::new(policy.inner.clone()),
            PermissionsFrom::Mapper { mapper } => Arc::new(ForeignMapper(mapper)),
        }
    }
}

/// Permission rules: which verified identities get which permissions. Load once, share.
#[derive(Debug, uniffi::Object)]
pub struct Policy {
    inner: core::Policy,
}

impl Policy {
    fn loaded(policy: Result<core::Policy, core::PolicyError>) -> Result<Arc<Self>, PolicyError> {
        Ok(Arc::new(Policy { inner: policy? }))
    }

    /// Runs a question about a Kotlin or Swift identity (converted back to the core's) under
    /// [`guarded`].
    fn ask<T>(
        &self,
        what: &str,
        identity: Identity,
        question: impl FnOnce(&core::Policy, &teleport_jwt::Identity) -> Result<T, VerifyError>,
    ) -> Result<T, VerifyError> {
        guarded(what, || question(&self.inner, &identity.try_into()?))
    }

    /// The policy as the core's `PermissionMapper` (the questions every mapper answers).
    fn mapper(policy: &core::Policy) -> &dyn core::PermissionMapper {
        policy
    }
}

#[uniffi::export]
impl Policy {
    /// A policy from YAML text.
    #[uniffi::constructor]
    pub fn from_yaml(text: String) -> Result<Arc<Self>, PolicyError> {
        Self::loaded(core::Policy::from_str_as(&text, core::PolicyFormat::Yaml))
    }

    /// A policy from TOML text.
    #[uniffi::constructor]
    pub fn from_toml(text: String) -> Result<Arc<Self>, PolicyError> {
        Self::loaded(core::Policy::from_str_as(&text, core::PolicyFormat::Toml))
    }

    /// A policy from JSON text.
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<Self>, PolicyError> {
        Self::loaded(core::Policy::from_str_as(&text, core::PolicyFormat::Json))
    }

    /// A policy file; the format comes from the extension (`.yaml`, `.yml`, `.toml`, `.json`),
    /// and a mistake names the file.
    #[uniffi::constructor]
    pub fn from_file(path: String) -> Result<Arc<Self>, PolicyError> {
        Self::loaded(core::Policy::from_file(PathBuf::from(path)))
    }

    /// Everything `identity` is granted, and the deny patterns that apply to it. Compute it
    /// once per request when asking several questions.
    pub fn permissions(&self, identity: Identity) -> Result<Arc<Permissions>, VerifyError> {
        self.ask("permissions", identity, |p, id| {
            Ok(Permissions::shared(Arc::new(
                Self::mapper(p).permissions(id)?,
            )))
        })
    }

    /// Whether `identity` has `permission` (a granted glob grants what it matches; a deny
    /// always wins).
    pub fn allows(&self, identity: Identity, permission: String) -> Result<bool, VerifyError> {
        self.ask("allows", identity, |p, id| {
            Ok(Self::mapper(p).allows(id, &permission)?)
        })
    }

    /// Whether `identity` may list and call the MCP tool `tool` (permission `tool:<tool>`).
    pub fn can_call_tool(&self, identity: Identity, tool: String) -> Result<bool, VerifyError> {
        self.ask("can_call_tool", identity, |p, id| {
            Ok(Self::mapper(p).can_call_tool(id, &tool)?)
        })
    }

    /// The tools of `tools` that `identity` may list and call, in the order given.
    pub fn filter_tools(
        &self,
        identity: Identity,
        tools: Vec<String>,
    ) -> Result<Vec<String>, VerifyError> {
        self.ask("filter_tools", identity, |p, id| {
            Ok(Self::mapper(p).filter_tools(id, &tools)?)
        })
    }

    /// Why `identity` has or lacks `permission`: the decision (always the same as `allows`),
    /// the rule and pattern that decided, the grant a deny overrode, the rules that matched or
    /// were over the expansion cap; its text is one log line.
    pub fn explanation(
        &self,
        identity: Identity,
        permission: String,
    ) -> Result<Explanation, VerifyError> {
        self.ask("explanation", identity, |p, id| {
            Ok(p.explain(id, &permission).into())
        })
    }

    /// Why `identity` has or lacks `permission`, as one line for logs and operators
    /// (`explanation(...).text`).
    pub fn explain(&self, identity: Identity, permission: String) -> Result<String, VerifyError> {
        self.ask("explain", identity, |p, id| {
            Ok(p.explain(id, &permission).to_string())
        })
    }
}
