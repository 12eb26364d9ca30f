//! # teleport-jwt-ffi
//!
//! The Kotlin and Swift skin of [`teleport_jwt`], generated with UniFFI (proc-macros, library
//! mode). Every module mirrors one of the core's and holds only conversions and exports: a
//! decision about a token, a key or a header is always the core's.
//!
//! | module | mirrors | exports (Kotlin names) |
//! |---|---|---|
//! | [`error`] | `teleport_jwt::error` | `VerifyException` (one subclass per reason code, message `"code: detail"`), `PluginFailure` (what plug-ins throw), `reasonCodes()` |
//! | [`api`] | `teleport_jwt::api` | `apiReasons()`, `apiVerifierOperations()`, `apiVerifierOptions()`, `apiTrustEntryOptions()`, `apiPolicyOperations()`, `apiPermissionsOperations()`, `apiExplanationFields()`, `apiMockOperations()` (feature `testing`) |
//! | [`alg`] | `teleport_jwt::alg` | `Algorithm`, `TokenKind` |
//! | [`config`] | `teleport_jwt::config` | `VerifierOptions`, `TrustEntry`, `defaultVerifierOptions()` |
//! | [`verifier`] | `teleport_jwt::verifier` | `Verifier` (its operations, and `verifyAsync`, ... as `suspend fun` / `async throws`), `Header`, `Authorized` |
//! | [`identity`] | `teleport_jwt::identity` | `Identity` |
//! | [`keys`] | `teleport_jwt::keys` | `KeysFrom`, foreign trait `KeySource` |
//! | [`http`] | `teleport_jwt::http` | foreign trait `HttpFetcher`, `HttpResponse` |
//! | [`clock`] | `teleport_jwt::clock` | foreign trait `VerifierClock` |
//! | `mock` (feature `testing` only) | `teleport_jwt::mock` | `MockTeleport`, `MintSpec`, `MockOptions`, `Failure`, ... |
//! | [`policy`] | `teleport_jwt::policy` | `Policy`, `Permissions`, `PolicyException`, `Explanation`, `PermissionsFrom`, foreign trait `PermissionMapper` |
//!
//! No panic crosses the FFI boundary: every call into the core runs under
//! `guard::guarded`, which turns a panic into `internal_error` (or, for a foreign clock that
//! threw, into the clock's error), and foreign exceptions
//! come back as ordinary errors (see [`keys`], [`http`] and [`policy`]).

uniffi::setup_scaffolding!();

pub mod alg;
pub mod api;
mod blocking;
pub mod clock;
pub mod config;
#[doc(hidden)]
pub mod convert;
pub mod error;
pub mod events;
mod guard;
pub mod http;
pub mod identity;
#[cfg(feature = "jvm")]
pub mod jvm;
pub mod keys;
#[cfg(feature = "testing")]
pub mod mock;
pub mod policy;
mod serde_forms;
pub mod stats;
pub mod verifier;

pub use config::{TrustEntry, VerifierOptions};
pub use error::{PluginFailure, VerifyError};
pub use identity::Identity;
pub use policy::{PermissionMapper, Permissions, PermissionsFrom, Policy};
pub use verifier::{Authorized, Verifier};
