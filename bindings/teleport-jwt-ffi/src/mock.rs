//! The core's `MockTeleport` for Kotlin and Swift: a fake Teleport proxy on loopback HTTPS
//! that mints tokens and serves keys exactly like Teleport, so apps can test their servers
//! without a cluster.
//!
//! `MockTeleport` stops when the object is closed (Kotlin `close()`/`use {}`) or released
//! (Swift).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::convert::IntoFfi;
use serde_json::{Map, Value};
use teleport_jwt::mock::{self as core, Ca, JwtClaims, KeyChoice, MockOperations, RotationPhase};
use teleport_jwt::{Algorithm, TokenKind};

use crate::alg::remote_enums;

/// Why the mock could not start, sign or mint (the core's `MockError`, as text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum MockError {
    /// The mint spec or a JSON override is not usable.
    #[error("invalid mint spec: {0}")]
    InvalidSpec(String),
    /// A next key was asked for but the CA is not rotating.
    #[error("{0}")]
    NoNextKey(String),
    /// Key, certificate or TLS generation, signing, or the listener failed.
    #[error("{0}")]
    Failed(String),
}

impl From<core::MockError> for MockError {
    fn from(e: core::MockError) -> Self {
        match e {
            core::MockError::InvalidSpec(s) => MockError::InvalidSpec(s),
            e @ core::MockError::NoNextKey(_) => MockError::NoNextKey(e.to_string()),
            other => MockError::Failed(other.to_string()),
        }
    }
}

// Ca, RotationPhase, KeyChoice and JwtClaims: the core's description, with its docs.
teleport_jwt::describe_mock_enums!(remote_enums);

/// A way for the mock proxy to fail; applies to every path until set back to `None`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Failure {
    /// Serve normally.
    None,
    /// Stop listening: connections are refused.
    Refuse,
    /// Answer every request with this HTTP status.
    Status {
        /// The status code (100-999).
        code: i32,
    },
    /// Hold every request without answering.
    Hang,
    /// `200` with a valid JSON body of exactly this many bytes.
    OversizedBody {
        /// The body size.
        bytes: i64,
    },
    /// `200` with bytes that are not JSON.
    Garbage,
    /// `302 Found` to this location.
    Redirect {
        /// The `Location` header.
        location: String,
    },
}

impl From<Failure> for core::Failure {
    fn from(f: Failure) -> Self {
        match f {
            Failure::None => core::Failure::None,
            Failure::Refuse => core::Failure::Refuse,
            Failure::Status { code } => core::Failure::Status(u16::try_from(code).unwrap_or(500)),
            Failure::Hang => core::Failure::Hang,
            Failure::OversizedBody { bytes } => {
                core::Failure::OversizedBody(usize::try_from(bytes).unwrap_or(0))
            }
            Failure::Garbage => core::Failure::Garbage,
            Failure::Redirect { location } => core::Failure::Redirect(location),
        }
    }
}

impl From<core::Failure> for Failure {
    fn from(f: core::Failure) -> Self {
        match f {
            core::Failure::None => Failure::None,
            core::Failure::Refuse => Failure::Refuse,
            core::Failure::Status(code) => Failure::Status { code: code.into() },
            core::Failure::Hang => Failure::Hang,
            core::Failure::OversizedBody(n) => Failure::OversizedBody {
                bytes: i64::try_from(n).unwrap_or(i64::MAX),
            },
            core::Failure::Garbage => Failure::Garbage,
            core::Failure::Redirect(location) => Failure::Redirect { location },
        }
    }
}

/// How a mock behaves; unset fields keep the core's defaults (RS256 JWT CA, RS256 OIDC CA,
/// cluster `teleport.example.com`, `kid` in tokens, blank-`kid` twins published).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct MockOptions {
    /// Algorithm of the classic JWT CA.
    #[uniffi(default)]
    pub algorithm: Option<Algorithm>,
    /// Algorithm of the OIDC CA.
    #[uniffi(default)]
    pub id_token_algorithm: Option<Algorithm>,
    /// The cluster name: `iss` of classic tokens.
    #[uniffi(default)]
    pub cluster_name: Option<String>,
    /// Whether minted tokens carry `kid` (false = a cluster older than v15/v16).
    #[uniffi(default)]
    pub kid_in_tokens: Option<bool>,
    /// Whether every published key has a twin with `"kid": ""`.
    #[uniffi(default)]
    pub publish_blank_kid_twin: Option<bool>,
    /// Whether generated P-256 keys have a 31-byte coordinate.
    #[uniffi(default)]
    pub ec_short_coordinate: Option<bool>,
}

impl From<MockOptions> for core::MockOptions {
    fn from(o: MockOptions) -> Self {
        let d = core::MockOptions::default();
        core::MockOptions {
            algorithm: o.algorithm.unwrap_or(d.algorithm),
            id_token_algorithm: o.id_token_algorithm.unwrap_or(d.id_token_algorithm),
            cluster_name: o.cluster_name.unwrap_or(d.cluster_name),
            kid_in_tokens: o.kid_in_tokens.unwrap_or(d.kid_in_tokens),
            publish_blank_kid_twin: o.publish_blank_kid_twin.unwrap_or(d.publish_blank_kid_twin),
            ec_short_coordinate: o.ec_short_coordinate.unwrap_or(d.ec_short_coordinate),
        }
    }
}

/// What to put in a minted token; unset fields keep the core's defaults (a classic JWT for
/// `alice`, role `access`, audience `mcp+http://127.0.0.1:8000/mcp`, 5 minutes, issued now).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct MintSpec {
    /// `sub` and `username`.
    #[uniffi(default)]
    pub username: Option<String>,
    /// The `roles` claim.
    #[uniffi(default)]
    pub roles: Option<Vec<String>>,
    /// The `traits` claim.
    #[uniffi(default)]
    pub traits: Option<HashMap<String, Vec<String>>>,
    /// The audiences (exactly one gives a plain string `aud`, as Teleport sends it).
    #[uniffi(default)]
    pub audience: Option<Vec<String>>,
    /// Lifetime: `exp = iat + ttl`.
    #[uniffi(default)]
    pub ttl: Option<Duration>,
    /// `TeleportJwt` (JWT CA, `iss` = cluster name) or `IdToken` (OIDC CA, `iss` = proxy URL).
    #[uniffi(default)]
    pub kind: Option<TokenKind>,
    /// Which of `roles`/`traits` to include.
    #[uniffi(default)]
    pub jwt_claims: Option<JwtClaims>,
    /// `iat` in Unix seconds (`nbf` is `iat - 10`); unset means now.
    #[uniffi(default)]
    pub issued_at: Option<i64>,
    /// Whether the header carries `kid`; unset follows the mock's option.
    #[uniffi(default)]
    pub include_kid: Option<bool>,
    /// A JSON object of claims to set or replace after the Teleport claims are built.
    #[uniffi(default)]
    pub claim_overrides_json: Option<String>,
    /// Claims to delete.
    #[uniffi(default)]
    pub remove_claims: Option<Vec<String>>,
    /// A JSON object of header members to set or replace (e.g. `{"crit": ["exp"]}`).
    #[uniffi(default)]
    pub header_overrides_json: Option<String>,
    /// Header members to delete.
    #[uniffi(default)]
    pub remove_headers: Option<Vec<String>>,
}

fn json_object(field: &str, text: Option<String>) -> Result<Map<String, Value>, MockError> {
    match text {
        None => Ok(Map::new()),
        Some(t) => match serde_json::from_str::<Value>(&t) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(MockError::InvalidSpec(format!(
                "{field} is not a JSON object"
            ))),
            Err(e) => Err(MockError::InvalidSpec(format!("{field}: {e}"))),
        },
    }
}

impl TryFrom<MintSpec> for core::MintSpec {
    type Error = MockError;

    fn try_from(s: MintSpec) -> Result<Self, MockError> {
        let d = core::MintSpec::default();
        Ok(core::MintSpec {
            username: s.username.unwrap_or(d.username),
            roles: s.roles.unwrap_or(d.roles),
            traits: s
                .traits
                .map(|t| t.into_iter().collect())
                .unwrap_or(d.traits),
            audience: s.audience.unwrap_or(d.audience),
            ttl: s.ttl.unwrap_or(d.ttl),
            kind: s.kind.unwrap_or(d.kind),
            jwt_claims: s.jwt_claims.unwrap_or(d.jwt_claims),
            issued_at: s.issued_at.or(d.issued_at),
            include_kid: s.include_kid.or(d.include_kid),
            claim_overrides: json_object("claim_overrides_json", s.claim_overrides_json)?,
            remove_claims: s.remove_claims.unwrap_or(d.remove_claims),
            header_overrides: json_object("header_overrides_json", s.header_overrides_json)?,
            remove_headers: s.remove_headers.unwrap_or(d.remove_headers),
        })
    }
}

/// A fake Teleport proxy on `https://127.0.0.1:<port>` with its own TLS CA.
#[derive(Debug, uniffi::Object)]
pub struct MockTeleport {
    inner: core::MockTeleport,
}

#[uniffi::export]
impl MockTeleport {
    /// Starts a mock whose JWT CA signs with `algorithm` (other options at their defaults).
    #[uniffi::constructor]
    pub fn start(algorithm: Algorithm) -> Result<Arc<Self>, MockError> {
        Self::start_with(MockOptions {
            algorithm: Some(algorithm),
            ..MockOptions::default()
        })
    }

    /// Starts a mock with these options.
    #[uniffi::constructor]
    pub fn start_with(options: MockOptions) -> Result<Arc<Self>, MockError> {
        Ok(Arc::new(MockTeleport {
            inner: core::MockTeleport::start_with(options.into())?,
        }))
    }

    /// Mints a token exactly as Teleport makes it.
    pub fn mint(&self, spec: MintSpec) -> Result<String, MockError> {
        Ok(self.inner.mint(&spec.try_into()?)?)
    }

    /// Signs exactly these header and payload JSON texts with `ca`'s signing key, for crafting
    /// odd tokens.
    pub fn sign_raw(
        &self,
        ca: Ca,
        header_json: String,
        payload_json: String,
    ) -> Result<String, MockError> {
        Ok(self.inner.sign_raw(ca, &header_json, &payload_json)?)
    }

    /// Like `signRaw` with a chosen key (`Next` exists only during a rotation).
    pub fn sign_raw_with(
        &self,
        ca: Ca,
        which: KeyChoice,
        header_json: String,
        payload_json: String,
    ) -> Result<String, MockError> {
        Ok(self
            .inner
            .sign_raw_with(ca, which, &header_json, &payload_json)?)
    }

    /// Sets the failure mode for every path.
    pub fn set_failure(&self, failure: Failure) {
        self.inner.set_failure(failure.into())
    }

    /// The failure mode now in force.
    pub fn failure(&self) -> Failure {
        self.inner.failure().into()
    }
}

/// The core's errors as [`MockError`].
impl<T: IntoFfi> IntoFfi for Result<T, core::MockError> {
    type Ffi = Result<T::Ffi, MockError>;
    fn into_ffi(self) -> Self::Ffi {
        self.map(T::into_ffi).map_err(MockError::from)
    }
}

crate::convert::ffi_types! {
    RotationPhase => RotationPhase = |v| v;
}

/// Exports each operation of the core's description as a method calling the core mock's
/// operation of the same name with the same arguments.
macro_rules! ffi_mock_operations {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $(-> $out:ty)? $(= $core:ident)?; )*) => {
        #[uniffi::export]
        impl MockTeleport {$(
            $(#[$doc])*
            pub fn $name(&self, $($arg: $ty),*) $(-> <$out as IntoFfi>::Ffi)? {
                IntoFfi::into_ffi(MockOperations::$name(&self.inner, $($arg),*))
            }
        )*}
    };
}

teleport_jwt::describe_mock_operations!(ffi_mock_operations);

/// Nanoseconds the Rust core takes for `iterations` verifications of `token` by `verifier`,
/// timed inside Rust (no FFI crossing per call): the reference beside which the Kotlin and
/// Swift benchmarks put their own per-call time, on the same token in the same run. Testing
/// flavour only. Fails with the verification's error if the token does not verify.
#[uniffi::export]
pub fn core_verify_nanos(
    verifier: Arc<crate::Verifier>,
    token: String,
    iterations: u32,
) -> Result<i64, crate::VerifyError> {
    let core = verifier.core();
    core.verify(&token)?;
    let start = std::time::Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(core.verify(std::hint::black_box(&token))?);
    }
    Ok(i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX))
}
