//! Permissions: the core's [`teleport_jwt::policy::Policy`] (rules loaded from YAML, TOML or
//! JSON that map a verified identity to the application's permissions) as an object, its result
//! as a record, and the [`PermissionMapper`] plug-in point for foreign code. Every decision
//! (matching, templates, deny-wins, globs, tool names) is the core's.
//!
//! A verifier given a mapper (`VerifierOptions.permissionsFrom`: [`PermissionsFrom::Policy`] or
//! [`PermissionsFrom::Mapper`]) answers `authorize`: the verified identity and its
//! [`Permissions`], computed once per token and cached with its verification.
//!
//! What Python has too (the loaders, the questions, `Permissions`' methods, the explanation
//! records) is generated, docs included, from the core's descriptions
//! (`core/src/api/policy.rs`) through one conversion per type: [`FromFfi`] in, [`IntoFfi`] out.
//! Written here: the constructors, the error and the mapper plug-in.

use std::sync::Arc;

use teleport_jwt::policy as core;

use crate::convert::{FromFfi, IntoFfi};

use crate::error::{PluginFailure, VerifyError};
use crate::guard::guarded;
use crate::identity::Identity;

// Core permissions cross as the shared object, not copied.
crate::convert::ffi_types! {
    core::Permissions => Arc<Permissions> = |v| Permissions::shared(Arc::new(v));
}

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

/// What a `Permissions` holds and answers, from the core's description.
macro_rules! ffi_permissions {
    (
        data { $( $(#[$ddoc:meta])* fn $data:ident() -> &$dout:ty; )* }
        questions { $( $(#[$qdoc:meta])* fn $q:ident($($arg:ident: $ty:ty),*) -> $out:ty {
            $core:ident($($pass:expr),*)
        } )* }
    ) => {
        #[uniffi::export]
        impl Permissions {
            $(
                $(#[$ddoc])*
                pub fn $data(&self) -> <$dout as IntoFfi>::Ffi {
                    self.inner.$data().clone().into_ffi()
                }
            )*
            $(
                $(#[$qdoc])*
                pub fn $q(&self, $($arg: <$ty as IntoFfi>::Ffi),*) -> <$out as IntoFfi>::Ffi {
                    $(let $arg: $ty = FromFfi::from_ffi($arg);)*
                    self.inner.$core($($pass),*).into_ffi()
                }
            )*
        }
    };
}
teleport_jwt::describe_permissions!(ffi_permissions);

/// The explanation records (`Explanation`, `RuleHit`, `RuleRef`) and `Decision`, from the
/// core's description, each with its conversion from the core's type; a computed field (`allowed`,
/// `text`) is the core method's answer.
macro_rules! ffi_explanation {
    (
        $(#[$edoc:meta])* enum $enum:ident { $( $(#[$vdoc:meta])* $variant:ident = $code:literal, )* }
        $( $(#[$sdoc:meta])* struct $s:ident {
            $( $(#[$fdoc:meta])* $field:ident: $fty:ty $(= $method:ident())?, )*
        } )*
    ) => {
        $(#[$edoc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
        pub enum $enum {
            $( $(#[$vdoc])* $variant, )*
        }

        impl IntoFfi for core::$enum {
            type Ffi = $enum;
            fn into_ffi(self) -> $enum {
                match self {
                    $( core::$enum::$variant => $enum::$variant, )*
                }
            }
        }

        #[uniffi::export]
        impl $enum {
            /// The stable snake_case code (`granted`, `denied` or `not_granted`), the same in
            /// every language.
            pub fn code(&self) -> String {
                match self {
                    $( $enum::$variant => $code.to_owned(), )*
                }
            }
        }

        $(
            $(#[$sdoc])*
            #[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
            pub struct $s {
                $( $(#[$fdoc])* pub $field: <$fty as IntoFfi>::Ffi, )*
            }

            impl IntoFfi for core::$s {
                type Ffi = $s;
                fn into_ffi(self) -> $s {
                    $s {
                        $( $field: ffi_field!(self, $field $(= $method())?), )*
                    }
                }
            }
        )*
    };
}

/// One field of a record: the core's stored field, or its method's answer.
macro_rules! ffi_field {
    ($value:ident, $field:ident = $method:ident()) => {
        $value.$method().into_ffi()
    };
    ($value:ident, $field:ident) => {
        $value.$field.clone().into_ffi()
    };
}

teleport_jwt::describe_explanation!(ffi_explanation);

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

/// The policy's loaders and own questions, from the core's description.
macro_rules! ffi_policy {
    (
        loaders { $( $(#[$ldoc:meta])* fn $loader:ident($larg:ident: $lty:ty) {
            $lcore:ident($($lpass:expr),*)
        } )* }
        questions {
            $(#[$edoc:meta])* fn explain($eid:ident, $earg:ident: $ety:ty) -> $eout:ty {
                $ecore:ident($($epass:expr),*)
            }
        }
    ) => {
        #[uniffi::export]
        impl Policy {
            $(
                $(#[$ldoc])*
                #[uniffi::constructor]
                pub fn $loader($larg: <$lty as IntoFfi>::Ffi) -> Result<Arc<Self>, PolicyError> {
                    let $larg: $lty = FromFfi::from_ffi($larg);
                    Ok(Arc::new(Policy { inner: core::Policy::$lcore($($lpass),*)? }))
                }
            )*

            $(#[$edoc])*
            pub fn explanation(
                &self,
                $eid: Identity,
                $earg: <$ety as IntoFfi>::Ffi,
            ) -> Result<<$eout as IntoFfi>::Ffi, VerifyError> {
                let $earg: $ety = FromFfi::from_ffi($earg);
                guarded("explanation", || {
                    let $eid: &teleport_jwt::Identity = &$eid.try_into()?;
                    Ok(self.inner.$ecore($($epass),*).into_ffi())
                })
            }

            $(#[$edoc])*
            ///
            /// Here as that one line, for logs and operators (`explanation(...).text`).
            pub fn explain(
                &self,
                $eid: Identity,
                $earg: <$ety as IntoFfi>::Ffi,
            ) -> Result<String, VerifyError> {
                let $earg: $ety = FromFfi::from_ffi($earg);
                guarded("explain", || {
                    let $eid: &teleport_jwt::Identity = &$eid.try_into()?;
                    Ok(self.inner.$ecore($($epass),*).to_string())
                })
            }
        }
    };
}
teleport_jwt::describe_policy!(ffi_policy);

/// The questions every mapper answers, asked of the policy through the core's
/// `PermissionMapper` (the same answers as the policy's own methods).
macro_rules! ffi_mapper_questions {
    ($( $(#[$doc:meta])* fn $name:ident($id:ident $(, $arg:ident: $ty:ty)*) -> $out:ty {
        $core:ident($($pass:expr),*)
    } )*) => {
        #[uniffi::export]
        impl Policy {
            $(
                $(#[$doc])*
                pub fn $name(
                    &self,
                    $id: Identity,
                    $($arg: <$ty as IntoFfi>::Ffi),*
                ) -> Result<<$out as IntoFfi>::Ffi, VerifyError> {
                    $(let $arg: $ty = FromFfi::from_ffi($arg);)*
                    guarded(stringify!($name), || {
                        let $id: &teleport_jwt::Identity = &$id.try_into()?;
                        let mapper: &dyn core::PermissionMapper = &self.inner;
                        Ok(mapper.$core($($pass),*)?.into_ffi())
                    })
                }
            )*
        }
    };
}
teleport_jwt::describe_mapper_questions!(ffi_mapper_questions);
