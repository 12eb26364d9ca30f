//! [`PermissionMapper`]: the plug-in point from a verified [`Identity`] to the application's
//! permissions. [`Policy`](crate::policy::Policy) is the built-in implementation; a program
//! (in Rust, or in Python, Kotlin or Swift through the bindings) may supply its own.

use super::permissions::{tool_permission, Permissions};
use super::Policy;
use crate::error::{Reason, VerifyError};
use crate::identity::Identity;

/// Maps an identity to its permissions. Implementations must be `Send + Sync` (one is shared by
/// every request) and should be fast: it runs on every request.
///
/// A failing implementation returns an error with [`Reason::PluginError`] (see
/// [`mapper_error`]); the bindings turn an exception thrown by a foreign implementation into
/// exactly that.
///
/// ```
/// use std::collections::BTreeSet;
/// use teleport_jwt::policy::{PermissionMapper, Permissions};
/// use teleport_jwt::{Identity, VerifyError};
///
/// /// Everyone with a role gets read access; nothing else.
/// struct ReadOnly;
/// impl PermissionMapper for ReadOnly {
///     fn permissions(&self, identity: &Identity) -> Result<Permissions, VerifyError> {
///         let mut set = BTreeSet::new();
///         if !identity.roles.is_empty() {
///             set.insert("tool:read_*".to_string());
///         }
///         Ok(set.into())
///     }
/// }
/// ```
pub trait PermissionMapper: Send + Sync {
    /// Everything `identity` is granted, and the deny patterns that apply to it.
    fn permissions(&self, identity: &Identity) -> Result<Permissions, VerifyError>;

    /// Whether `identity` has `permission` (default: through [`PermissionMapper::permissions`]).
    fn allows(&self, identity: &Identity, permission: &str) -> Result<bool, VerifyError> {
        Ok(self.permissions(identity)?.allows(permission))
    }

    /// Whether `identity` may list and call the MCP tool `tool` (permission `tool:<tool>`).
    fn can_call_tool(&self, identity: &Identity, tool: &str) -> Result<bool, VerifyError> {
        self.allows(identity, &tool_permission(tool))
    }

    /// The tools of `tools` that `identity` may list and call, in order (one evaluation).
    fn filter_tools(
        &self,
        identity: &Identity,
        tools: &[String],
    ) -> Result<Vec<String>, VerifyError> {
        let p = self.permissions(identity)?;
        Ok(p.filter_tools(tools.iter().cloned()))
    }
}

/// A [`Reason::PluginError`] for a permission mapper that failed.
pub fn mapper_error(message: impl std::fmt::Display) -> VerifyError {
    VerifyError::new(
        Reason::PluginError,
        format!("permission mapper failed: {message}"),
    )
}

impl PermissionMapper for Policy {
    fn permissions(&self, identity: &Identity) -> Result<Permissions, VerifyError> {
        Ok(Policy::permissions(self, identity))
    }

    fn allows(&self, identity: &Identity, permission: &str) -> Result<bool, VerifyError> {
        Ok(Policy::allows(self, identity, permission))
    }
}

/// A closure is a mapper: `|id: &Identity| Ok(Permissions::from(set))`.
impl<F> PermissionMapper for F
where
    F: Fn(&Identity) -> Result<Permissions, VerifyError> + Send + Sync,
{
    fn permissions(&self, identity: &Identity) -> Result<Permissions, VerifyError> {
        self(identity)
    }
}
