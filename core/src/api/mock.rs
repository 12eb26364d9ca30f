//! The description of `MockTeleport` for the bindings: the operations every language's mock
//! offers ([`describe_mock_operations!`](crate::describe_mock_operations)) and the named enums
//! they take and return ([`describe_mock_enums!`](crate::describe_mock_enums)).
//!
//! The core expands both: the enums of [`crate::mock`] are *defined* from their description
//! (variants, docs, names, aliases), and the operations become the hidden trait
//! `mock::MockOperations`, implemented by calling the mock's own methods, so a renamed or
//! changed method fails to compile here, and the table [`MOCK_OPERATIONS`]. What differs per
//! language in shape (starting, `mint`'s spec, failure modes, `sign_raw`'s keywords in Python,
//! stopping) stays in each binding.

/// The operations of `MockTeleport` that every binding offers, with their docs.
///
/// One item: doc comments, then `fn name(arg: Type, ...) -> Output;` in the core's types (no
/// `-> Output` for `()`; arguments owned, as the bindings receive them: `String` where the
/// method borrows a `&str`), then `= method` when the core's method has another name (the
/// fallible `try_*` forms of the rotation operations, which the bindings report as errors
/// rather than panics). Kotlin and Swift take the arguments in this order. Python follows its
/// own conventions: a query without arguments (with an output) is a property, and `ca: Ca`
/// comes last with the default `"jwt"`. The docs are written for every language at once:
/// names in snake_case, no links.
#[doc(hidden)]
#[macro_export]
macro_rules! describe_mock_operations {
    ($callback:ident) => {
        $callback! {
            /// `https://127.0.0.1:<port>`, no trailing slash.
            fn proxy_url() -> String;

            /// The cluster name: `iss` of classic tokens.
            fn cluster_name() -> String;

            /// `iss` of ID tokens: the proxy URL.
            fn id_token_issuer() -> String;

            /// PEM of the mock's own TLS CA certificate: give it to the verifier as its
            /// `ca_pem` option.
            fn ca_pem() -> String;

            /// URL of the JWT CA's key set (`<proxy>/.well-known/jwks.json`).
            fn jwks_url() -> String;

            /// URL of the OIDC CA's key set (`<proxy>/.well-known/jwks-oidc`).
            fn jwks_oidc_url() -> String;

            /// URL of the discovery document (`<proxy>/.well-known/openid-configuration`).
            fn discovery_url() -> String;

            /// The discovery document exactly as served now (JSON text).
            fn discovery_json() -> String;

            /// Requests received on every path, failed ones included, since start or the last
            /// `reset_counts`.
            fn request_count() -> u64;

            /// Requests received on this path (query excluded), e.g. `/.well-known/jwks.json`.
            fn request_count_for_path(path: String) -> u64 = request_count_for;

            /// Zeroes the request counters.
            fn reset_counts();

            /// The JWKS document of `ca` exactly as served now (JSON text).
            fn jwks_json(ca: Ca) -> String;

            /// The (non-blank) `kid`s `ca` publishes now, active key first.
            fn key_ids(ca: Ca) -> Vec<String>;

            /// The `kid` of the key `ca` signs with now.
            fn signing_key_id(ca: Ca) -> String;

            /// The algorithm of the key `ca` signs with now.
            fn signing_algorithm(ca: Ca) -> Algorithm;

            /// The rotation phase of `ca`.
            fn rotation_phase(ca: Ca) -> RotationPhase;

            /// Moves `ca` to `phase`; entering a phase other than standby without a next key
            /// generates one.
            fn set_rotation_phase(ca: Ca, phase: RotationPhase)
                -> Result<(), $crate::mock::MockError> = try_set_rotation_phase;

            /// Completes a rotation of `ca`: the next key becomes the only key (without a
            /// rotation in progress, a new key replaces the current one).
            fn complete_rotation(ca: Ca)
                -> Result<(), $crate::mock::MockError> = try_complete_rotation;

            /// Rotates `ca` with grace period 0: a new key replaces every key at once.
            fn rotate_now(ca: Ca) -> Result<(), $crate::mock::MockError> = try_rotate_now;

            /// The algorithm of keys generated for `ca` from now on, to simulate a signature
            /// suite change at rotation (keys already made keep theirs).
            fn set_next_algorithm(ca: Ca, algorithm: Algorithm);

            /// Serves this `issuer` in the discovery document (none restores the proxy URL),
            /// to test issuer mismatch.
            fn set_discovery_issuer_override(issuer: Option<String>);

            /// Serves this `jwks_uri` in the discovery document (none restores the mock's
            /// own), to test what a verifier does with a discovered URL.
            fn set_discovery_jwks_uri_override(uri: Option<String>);
        }
    };
}

/// The named enums of the mock, with their docs and names: the core defines them from this
/// list (`mock::{Ca, RotationPhase, KeyChoice, JwtClaims}`), the Kotlin and Swift binding
/// declares the same variants, and Python takes them by name.
///
/// One item: doc comments, `#[default(Variant)]` if it has a default, then `pub enum Name {
/// ... }` whose variants are doc comments and `Variant => "name"`, with `| "alias"` for other
/// spellings `FromStr` accepts (see `names::named_enum!`).
#[doc(hidden)]
#[macro_export]
macro_rules! describe_mock_enums {
    ($callback:ident) => {
        $callback! {
            /// One of the two signing authorities of a Teleport cluster.
            pub enum Ca {
                /// The JWT CA: signs classic app tokens, keys at `/.well-known/jwks.json`.
                Jwt => "jwt",
                /// The OIDC IdP CA: signs ID tokens, keys at `/.well-known/jwks-oidc`.
                Oidc => "oidc" | "id_token",
            }

            /// A phase of Teleport's CA rotation, by Teleport's names (`"update_clients"`).
            #[default(Standby)]
            pub enum RotationPhase {
                /// No rotation: one key, published and signing. Entering standby keeps
                /// whichever key was signing: from `UpdateClients`/`UpdateServers` the next key
                /// becomes the only key (the rotation completes); from `Init`/`Rollback` the
                /// next key is discarded.
                Standby => "standby",
                /// A next key is generated and published; the old key still signs.
                Init => "init",
                /// Both keys published; the next key signs.
                UpdateClients => "update_clients",
                /// Both keys published; the next key signs.
                UpdateServers => "update_servers",
                /// Both keys published; the old key signs again.
                Rollback => "rollback",
            }

            /// Which key of a CA to sign with in `sign_raw_with` (Python: `sign_raw(key=)`).
            pub enum KeyChoice {
                /// The current (old, during a rotation) key.
                Active => "active",
                /// The key being rotated in; only exists outside standby.
                Next => "next",
            }

            /// Teleport's `jwt_claims` app option: which of `roles` and `traits` a token
            /// carries.
            #[default(RolesAndTraits)]
            pub enum JwtClaims {
                /// `roles-and-traits` (Teleport's default): both claims.
                RolesAndTraits => "roles_and_traits",
                /// `roles`: the roles, and `"traits": {}`.
                Roles => "roles",
                /// `traits`: the traits, and `"roles": null`.
                Traits => "traits",
                /// `none`: neither claim.
                None => "none",
            }
        }
    };
}

/// Generates the parity table from the description.
macro_rules! operation_names {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $(-> $out:ty)? $(= $core:ident)?; )*) => {
        /// The operations every language's `MockTeleport` offers, snake_case (from
        /// `describe_mock_operations!`). Besides them each language has its own ways to
        /// start and stop the mock, mint (`mint(spec)`, Python `mint(**spec)`), sign raw
        /// tokens and set failure modes.
        pub const MOCK_OPERATIONS: &[&str] = &[$(stringify!($name)),*];
    };
}

crate::describe_mock_operations!(operation_names);

/// Generates the hidden trait `mock::MockOperations` (the description's names and signatures,
/// which the bindings call) and its implementation by the mock's own methods.
/// A method renamed or changed in the core fails to compile here; one renamed to another
/// operation's name would make a call recurse, which `unconditional_recursion` refuses.
#[cfg(feature = "mock")]
macro_rules! mock_operations_trait {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $(-> $out:ty)? $(= $core:ident)?; )*) => {
        /// The operations of [`MockTeleport`] that every binding offers, under the names and
        /// with the signatures of the description the bindings derive their mocks from
        /// (`teleport_jwt::describe_mock_operations!`). For the bindings; Rust code calls the
        /// mock's own methods.
        #[doc(hidden)]
        pub trait MockOperations {
            $( $(#[$doc])* fn $name(&self, $($arg: $ty),*) $(-> $out)?; )*
        }

        #[deny(unconditional_recursion)]
        impl MockOperations for MockTeleport {
            $(
                fn $name(&self, $($arg: $ty),*) $(-> $out)? {
                    call_core!(self, $name $(= $core)? ($($arg),*))
                }
            )*
        }
    };
}

/// `mock.method(args)`, where the method is the operation's own name or the one after `=`.
#[cfg(feature = "mock")]
macro_rules! call_core {
    ($mock:expr, $name:ident ($($arg:ident),*)) => {
        MockTeleport::$name($mock, $(Lend::lend(&$arg)),*)
    };
    ($mock:expr, $name:ident = $core:ident ($($arg:ident),*)) => {
        MockTeleport::$core($mock, $(Lend::lend(&$arg)),*)
    };
}

/// Lends an argument of the description as the mock's method takes it: a `String` as `&str`,
/// the rest as it is.
#[cfg(feature = "mock")]
trait Lend<'a, T> {
    fn lend(&'a self) -> T;
}

#[cfg(feature = "mock")]
impl<'a> Lend<'a, &'a str> for String {
    fn lend(&'a self) -> &'a str {
        self
    }
}

#[cfg(feature = "mock")]
macro_rules! as_it_is {
    ($($ty:ty),*) => {$(
        impl Lend<'_, $ty> for $ty {
            fn lend(&self) -> $ty {
                self.clone()
            }
        }
    )*};
}

#[cfg(feature = "mock")]
as_it_is!(Ca, RotationPhase, Algorithm, Option<String>);

#[cfg(feature = "mock")]
use crate::mock::{Ca, MockTeleport, RotationPhase};
#[cfg(feature = "mock")]
use crate::Algorithm;

#[cfg(feature = "mock")]
crate::describe_mock_operations!(mock_operations_trait);

#[cfg(all(test, feature = "mock"))]
mod tests {
    use super::MOCK_OPERATIONS;
    use crate::mock::{Ca, MockOperations, MockTeleport, RotationPhase};

    #[test]
    fn the_table_names_each_operation_once() {
        let mut names = MOCK_OPERATIONS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), MOCK_OPERATIONS.len());
        assert!(MOCK_OPERATIONS.contains(&"request_count_for_path"));
        assert!(
            !MOCK_OPERATIONS.contains(&"mint"),
            "mint is language-specific"
        );
    }

    #[test]
    fn the_operations_are_the_mocks_own() {
        let mock = MockTeleport::start().unwrap();
        assert_eq!(MockOperations::proxy_url(&mock), mock.proxy_url());
        MockOperations::set_rotation_phase(&mock, Ca::Jwt, RotationPhase::Init).unwrap();
        assert_eq!(mock.rotation_phase(Ca::Jwt), RotationPhase::Init);
        assert_eq!(MockOperations::key_ids(&mock, Ca::Jwt).len(), 2);
        MockOperations::complete_rotation(&mock, Ca::Jwt).unwrap();
        assert_eq!(
            MockOperations::rotation_phase(&mock, Ca::Jwt),
            RotationPhase::Standby
        );
        mock.reset_counts();
        assert_eq!(
            MockOperations::request_count_for_path(&mock, "/.well-known/jwks.json".into()),
            0
        );
    }
}
