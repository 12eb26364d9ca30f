//! Permissions: the core's [`teleport_jwt::policy::Policy`] (rules loaded from YAML, TOML or
//! JSON that map a verified identity to the application's permissions) as an object, and its
//! result as a record. Every decision (matching, templates, deny-wins, tool names) is the
//! core's.
//!
//! Not here yet: a foreign `PermissionMapper` trait. The core has the trait
//! (`teleport_jwt::policy::PermissionMapper`) but nothing in the core takes a mapper yet (no
//! verifier option, no middleware), so a Kotlin or Swift implementation would have no caller;
//! Kotlin and Swift apps call their own code directly. When the core gains a consumer, add
//! `#[uniffi::export(foreign)] trait PermissionMapper` here with an adapter like
//! `keys::ForeignKeySource` (a foreign exception becoming `plugin_error` through
//! `teleport_jwt::policy::mapper_error`).

use std::sync::Arc;

use teleport_jwt::policy as core;

use crate::error::VerifyError;
use crate::guard::guarded;
use crate::identity::Identity;

/// A policy that could not be loaded: the core's message, with the line and column of the
/// mistake when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum PolicyError {
    /// The policy text or file is not a valid policy.
    #[error("{0}")]
    Invalid(String),
}

impl From<core::PolicyError> for PolicyError {
    fn from(e: core::PolicyError) -> Self {
        PolicyError::Invalid(e.to_string())
    }
}

/// What an identity is granted, and the deny patterns that apply to it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Permissions {
    /// Granted permissions (concrete, or globs), sorted; concrete grants a deny matches are
    /// left out.
    pub granted: Vec<String>,
    /// Deny patterns (globs), sorted.
    pub denied: Vec<String>,
}

impl From<core::Permissions> for Permissions {
    fn from(p: core::Permissions) -> Self {
        Permissions {
            granted: p.granted().iter().cloned().collect(),
            denied: p.denied().iter().cloned().collect(),
        }
    }
}

/// The core identity behind a binding identity (the claim set parsed back from its JSON).
fn core_identity(id: Identity) -> Result<teleport_jwt::Identity, VerifyError> {
    let claims = match serde_json::from_str::<serde_json::Value>(&id.claims_json) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => {
            return Err(VerifyError::InvalidClaim {
                message: "Identity.claimsJson is not a JSON object".into(),
            })
        }
    };
    Ok(teleport_jwt::Identity {
        username: id.username,
        sub: id.sub,
        roles: id.roles,
        traits: id.traits.into_iter().collect(),
        issuer: id.issuer,
        audience: id.audience,
        expires_at: id.expires_at,
        issued_at: id.issued_at,
        not_before: id.not_before,
        jti: id.jti,
        key_id: id.key_id,
        algorithm: id.algorithm,
        trust_entry: id.trust_entry,
        kind: id.kind,
        claims,
    })
}

/// Permission rules: which verified identities get which permissions. Load once, share.
#[derive(Debug, uniffi::Object)]
pub struct Policy {
    inner: core::Policy,
}

impl Policy {
    fn wrap(p: Result<core::Policy, core::PolicyError>) -> Result<Arc<Self>, PolicyError> {
        Ok(Arc::new(Policy { inner: p? }))
    }
}

#[uniffi::export]
impl Policy {
    /// A policy from YAML text.
    #[uniffi::constructor]
    pub fn from_yaml(text: String) -> Result<Arc<Self>, PolicyError> {
        Self::wrap(core::Policy::from_yaml_str(&text))
    }

    /// A policy from TOML text.
    #[uniffi::constructor]
    pub fn from_toml(text: String) -> Result<Arc<Self>, PolicyError> {
        Self::wrap(core::Policy::from_toml_str(&text))
    }

    /// A policy from JSON text.
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<Self>, PolicyError> {
        Self::wrap(core::Policy::from_json_str(&text))
    }

    /// A policy file; the format comes from the extension (`.yaml`, `.yml`, `.toml`, `.json`).
    #[uniffi::constructor]
    pub fn from_file(path: String) -> Result<Arc<Self>, PolicyError> {
        Self::wrap(core::Policy::from_file(path))
    }

    /// Everything `identity` is granted, and the deny patterns that apply to it.
    pub fn permissions(&self, identity: Identity) -> Result<Permissions, VerifyError> {
        guarded("permissions", || {
            Ok(self.inner.permissions(&core_identity(identity)?).into())
        })
    }

    /// Whether `identity` has `permission` (deny wins).
    pub fn allows(&self, identity: Identity, permission: String) -> Result<bool, VerifyError> {
        guarded("allows", || {
            Ok(self.inner.allows(&core_identity(identity)?, &permission))
        })
    }

    /// Whether `identity` may list and call the MCP tool `tool` (permission `tool:<tool>`).
    pub fn can_call_tool(&self, identity: Identity, tool: String) -> Result<bool, VerifyError> {
        guarded("can_call_tool", || {
            Ok(self.inner.can_call_tool(&core_identity(identity)?, &tool))
        })
    }

    /// The tools of `tools` that `identity` may list and call, in order.
    pub fn filter_tools(
        &self,
        identity: Identity,
        tools: Vec<String>,
    ) -> Result<Vec<String>, VerifyError> {
        guarded("filter_tools", || {
            Ok(self.inner.filter_tools(&core_identity(identity)?, tools))
        })
    }

    /// Why `identity` has or lacks `permission`, as text for logs and operators.
    pub fn explain(&self, identity: Identity, permission: String) -> Result<String, VerifyError> {
        guarded("explain", || {
            Ok(self
                .inner
                .explain(&core_identity(identity)?, &permission)
                .to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_yaml_mistake_names_its_line() {
        let e = Policy::from_yaml("rules:\n  - name: x\n    grnt: [a]\n".into()).unwrap_err();
        let PolicyError::Invalid(text) = e;
        assert!(text.contains("line"), "{text}");
    }
}
