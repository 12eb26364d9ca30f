//! The core's `MockTeleport` for Kotlin and Swift: a fake Teleport proxy on loopback HTTPS
//! that mints tokens and serves keys exactly like Teleport, so apps can test their servers
//! without a cluster.
//!
//! `MockTeleport` stops when the object is closed (Kotlin `close()`/`use {}`) or released
//! (Swift).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use teleport_jwt::mock::{self as core, Ca, JwtClaims, KeyChoice, RotationPhase};
use teleport_jwt::{Algorithm, TokenKind};

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

// The core's own enums, exported as they are (UniFFI remote enums: the declaration must list
// exactly the core's variants, or this fails to compile).

/// One of the two signing authorities of a Teleport cluster.
#[uniffi::remote(Enum)]
pub enum Ca {
    /// The JWT CA: signs classic app tokens, keys at `/.well-known/jwks.json`.
    Jwt,
    /// The OIDC IdP CA: signs ID tokens, keys at `/.well-known/jwks-oidc`.
    Oidc,
}

/// A phase of Teleport's CA rotation, by Teleport's names (`"update_clients"`).
#[uniffi::remote(Enum)]
pub enum RotationPhase {
    /// No rotation: one key, published and signing. Entering standby keeps whichever key was
    /// signing: from `UpdateClients`/`UpdateServers` the next key becomes the only key (the
    /// rotation completes); from `Init`/`Rollback` the next key is discarded.
    Standby,
    /// A next key is generated and published; the old key still signs.
    Init,
    /// Both keys published; the next key signs.
    UpdateClients,
    /// Both keys published; the next key signs.
    UpdateServers,
    /// Both keys published; the old key signs again.
    Rollback,
}

/// Which key of a CA to sign with in `sign_raw_with`.
#[uniffi::remote(Enum)]
pub enum KeyChoice {
    /// The current (old, during a rotation) key.
    Active,
    /// The key being rotated in; only exists outside standby.
    Next,
}

/// Teleport's `jwt_claims` app option: which of `roles` and `traits` a token carries.
#[uniffi::remote(Enum)]
pub enum JwtClaims {
    /// `roles-and-traits` (Teleport's default): both claims.
    RolesAndTraits,
    /// `roles`: the roles, and `"traits": {}`.
    Roles,
    /// `traits`: the traits, and `"roles": null`.
    Traits,
    /// `none`: neither claim.
    None,
}

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

/// The operations every language's mock offers (`teleport_jwt::api::MOCK_OPERATIONS`, checked
/// by the Kotlin and Swift parity tests), each calling the core mock's method.
#[uniffi::export]
impl MockTeleport {
    /// `https://127.0.0.1:<port>`, no trailing slash.
    pub fn proxy_url(&self) -> String {
        self.inner.proxy_url()
    }

    /// The cluster name: `iss` of classic tokens.
    pub fn cluster_name(&self) -> String {
        self.inner.cluster_name()
    }

    /// `iss` of ID tokens: the proxy URL.
    pub fn id_token_issuer(&self) -> String {
        self.inner.id_token_issuer()
    }

    /// PEM of the mock's own TLS CA certificate: give it to the verifier as its `caPem`
    /// option.
    pub fn ca_pem(&self) -> String {
        self.inner.ca_pem()
    }

    /// URL of the JWT CA's key set (`<proxy>/.well-known/jwks.json`).
    pub fn jwks_url(&self) -> String {
        self.inner.jwks_url()
    }

    /// URL of the OIDC CA's key set (`<proxy>/.well-known/jwks-oidc`).
    pub fn jwks_oidc_url(&self) -> String {
        self.inner.jwks_oidc_url()
    }

    /// URL of the discovery document (`<proxy>/.well-known/openid-configuration`).
    pub fn discovery_url(&self) -> String {
        self.inner.discovery_url()
    }

    /// The discovery document exactly as served now (JSON text).
    pub fn discovery_json(&self) -> String {
        self.inner.discovery_json()
    }

    /// Requests received on every path, failed ones included, since start or the last
    /// `resetCounts`.
    pub fn request_count(&self) -> i64 {
        i64::try_from(self.inner.request_count()).unwrap_or(i64::MAX)
    }

    /// Requests received on this path (query excluded), e.g. `/.well-known/jwks.json`.
    pub fn request_count_for_path(&self, path: String) -> i64 {
        i64::try_from(self.inner.request_count_for(&path)).unwrap_or(i64::MAX)
    }

    /// Zeroes the request counters.
    pub fn reset_counts(&self) {
        self.inner.reset_counts()
    }

    /// The JWKS document of `ca` exactly as served now (JSON text).
    pub fn jwks_json(&self, ca: Ca) -> String {
        self.inner.jwks_json(ca)
    }

    /// The (non-blank) `kid`s `ca` publishes now, active key first.
    pub fn key_ids(&self, ca: Ca) -> Vec<String> {
        self.inner.key_ids(ca)
    }

    /// The `kid` of the key `ca` signs with now.
    pub fn signing_key_id(&self, ca: Ca) -> String {
        self.inner.signing_key_id(ca)
    }

    /// The algorithm of the key `ca` signs with now.
    pub fn signing_algorithm(&self, ca: Ca) -> Algorithm {
        self.inner.signing_algorithm(ca)
    }

    /// The rotation phase of `ca`.
    pub fn rotation_phase(&self, ca: Ca) -> RotationPhase {
        self.inner.rotation_phase(ca)
    }

    /// Moves `ca` to `phase`; entering a phase other than standby without a next key
    /// generates one.
    pub fn set_rotation_phase(&self, ca: Ca, phase: RotationPhase) -> Result<(), MockError> {
        Ok(self.inner.try_set_rotation_phase(ca, phase)?)
    }

    /// Completes a rotation of `ca`: the next key becomes the only key (without a rotation in
    /// progress, a new key replaces the current one).
    pub fn complete_rotation(&self, ca: Ca) -> Result<(), MockError> {
        Ok(self.inner.try_complete_rotation(ca)?)
    }

    /// Rotates `ca` with grace period 0: a new key replaces every key at once.
    pub fn rotate_now(&self, ca: Ca) -> Result<(), MockError> {
        Ok(self.inner.try_rotate_now(ca)?)
    }

    /// The algorithm of keys generated for `ca` from now on, to simulate a signature suite
    /// change at rotation (keys already made keep theirs).
    pub fn set_next_algorithm(&self, ca: Ca, algorithm: Algorithm) {
        self.inner.set_next_algorithm(ca, algorithm)
    }

    /// Serves this `issuer` in the discovery document (none restores the proxy URL), to test
    /// issuer mismatch.
    pub fn set_discovery_issuer_override(&self, issuer: Option<String>) {
        self.inner.set_discovery_issuer_override(issuer)
    }

    /// Serves this `jwks_uri` in the discovery document (none restores the mock's own), to
    /// test what a verifier does with a discovered URL.
    pub fn set_discovery_jwks_uri_override(&self, uri: Option<String>) {
        self.inner.set_discovery_jwks_uri_override(uri)
    }
}

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
