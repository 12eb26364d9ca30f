//! `MockTeleport`: a fake Teleport proxy on loopback HTTPS, for tests and examples.
//!
//! It holds two signing authorities like a real cluster ([`Ca::Jwt`] for classic
//! `{{internal.jwt}}` tokens, [`Ca::Oidc`] for `{{internal.id_token}}` ID tokens), publishes
//! their keys exactly as Teleport does (every key twice: with its `kid` and with `"kid": ""`),
//! mints tokens with Teleport's header and claims, walks through CA rotation phases, and can
//! be told to fail in the ways a real proxy or network fails.
//!
//! Endpoints (anything else is a 404):
//! - `/.well-known/jwks.json`: the JWT CA's keys,
//! - `/.well-known/jwks-oidc`: the OIDC CA's keys,
//! - `/.well-known/openid-configuration`: the discovery document for ID tokens.
//!
//! ```
//! use teleport_jwt::mock::{MintSpec, MockTeleport};
//!
//! let mock = MockTeleport::start()?;
//! let token = mock.mint(&MintSpec::default())?;
//! // Trust mock.ca_pem() for TLS, fetch keys from mock.jwks_url(),
//! // expect issuer mock.cluster_name() and audience "mcp+http://127.0.0.1:8000/mcp".
//! # let _ = token;
//! # Ok::<(), teleport_jwt::mock::MockError>(())
//! ```

mod error;
mod http;
mod keys;
mod mint;
mod operations;
mod rotation;
mod server;
mod socket;
mod tls;

use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

pub use error::MockError;
pub use keys::{teleport_kid_ec, teleport_kid_rsa};
pub use mint::MintSpec;
pub use operations::MockOperations;
pub use server::{HANG_MAX, MAX_CONNECTIONS};

use crate::alg::{Algorithm, TokenKind};
use keys::MockKey;
use rotation::CaState;
use server::{Cas, Shared, DISCOVERY_PATH, JWKS_OIDC_PATH, JWKS_PATH};

/// One of the two signing authorities of a Teleport cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ca {
    /// The JWT CA: signs classic app tokens, keys at `/.well-known/jwks.json`.
    Jwt,
    /// The OIDC IdP CA: signs ID tokens, keys at `/.well-known/jwks-oidc`.
    Oidc,
}

crate::names::named_enum!(Ca {
    Jwt => "jwt",
    Oidc => "oidc" | "id_token",
});

/// A phase of Teleport's CA rotation, by Teleport's names (`"update_clients"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RotationPhase {
    /// No rotation: one key, published and signing. Entering standby keeps whichever key was
    /// signing: from `UpdateClients`/`UpdateServers` the next key becomes the only key (the
    /// rotation completes); from `Init`/`Rollback` the next key is discarded.
    #[default]
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

crate::names::named_enum!(RotationPhase {
    Standby => "standby",
    Init => "init",
    UpdateClients => "update_clients",
    UpdateServers => "update_servers",
    Rollback => "rollback",
});

/// Which key of a CA to sign with in `sign_raw_with` (Python: `sign_raw(key=)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyChoice {
    /// The current (old, during a rotation) key.
    Active,
    /// The key being rotated in; only exists outside standby.
    Next,
}

crate::names::named_enum!(KeyChoice {
    Active => "active",
    Next => "next",
});

/// Teleport's `jwt_claims` app option: which of `roles` and `traits` a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum JwtClaims {
    /// `roles-and-traits` (Teleport's default): both claims.
    #[default]
    RolesAndTraits,
    /// `roles`: the roles, and `"traits": {}`.
    Roles,
    /// `traits`: the traits, and `"roles": null`.
    Traits,
    /// `none`: neither claim.
    None,
}

crate::names::named_enum!(JwtClaims {
    RolesAndTraits => "roles_and_traits",
    Roles => "roles",
    Traits => "traits",
    None => "none",
});

/// A way for the mock proxy to fail. Set with [`MockTeleport::set_failure`]; it applies to
/// every path until `set_failure(Failure::None)`. Deserializes from its snake_case name
/// (`"refuse"`) or `{name: argument}` (`{"status": 500}`; `OversizedBody` is `"oversized"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// Serve normally.
    #[default]
    None,
    /// Stop listening: new connections are refused. Clearing the failure listens again on the
    /// same port.
    Refuse,
    /// Answer every request with this HTTP status and a small JSON error body.
    Status(u16),
    /// Read the request, then hold the connection without answering until the failure is
    /// changed (the request is then served under the new mode), the mock stops, or
    /// [`HANG_MAX`] passes (the connection is then closed).
    Hang,
    /// `200` with a syntactically valid JSON body of exactly this many bytes.
    #[serde(rename = "oversized")]
    OversizedBody(usize),
    /// `200`, `Content-Type: application/json`, with bytes that are not JSON.
    Garbage,
    /// `302 Found` to this `Location`.
    Redirect(String),
}

/// How a [`MockTeleport`] behaves. Start from `MockOptions::default()`. It deserializes from
/// an object whose members all default (algorithms by name); an unknown member is an error
/// that lists the known ones.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MockOptions {
    /// Algorithm of the classic JWT CA: RS256 (legacy suite, default) or ES256 (balanced-v1).
    pub algorithm: Algorithm,
    /// Algorithm of the OIDC CA (RS256 by default, as in practice).
    pub id_token_algorithm: Algorithm,
    /// The cluster name: `iss` of classic tokens. Default `teleport.example.com`.
    pub cluster_name: String,
    /// Whether minted tokens carry `kid` (default true; false = a cluster older than
    /// v15.x/v16.x).
    pub kid_in_tokens: bool,
    /// Whether every published key has a twin with `"kid": ""` (default true, as Teleport).
    pub publish_blank_kid_twin: bool,
    /// When true, every P-256 key the mock generates has an `x` or `y` coordinate with a
    /// leading zero byte, so it is published as 31 bytes (as Teleport's unpadded encoding
    /// does for about 1 key in 128). Default false.
    pub ec_short_coordinate: bool,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            algorithm: Algorithm::RS256,
            id_token_algorithm: Algorithm::RS256,
            cluster_name: "teleport.example.com".to_string(),
            kid_in_tokens: true,
            publish_blank_kid_twin: true,
            ec_short_coordinate: false,
        }
    }
}

/// A fake Teleport proxy serving keys over HTTPS on `127.0.0.1` (a port chosen by the OS),
/// with its own TLS CA ([`MockTeleport::ca_pem`]).
///
/// `Send + Sync`: share it between threads by reference or in an `Arc`. The server stops on
/// [`MockTeleport::stop`] or on drop; both return promptly and join every thread.
pub struct MockTeleport {
    shared: Arc<Shared>,
    ca_pem: String,
    accept_thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for MockTeleport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockTeleport")
            .field("proxy_url", &self.shared.proxy_url)
            .field("cluster_name", &self.shared.options.cluster_name)
            .finish_non_exhaustive()
    }
}

impl MockTeleport {
    /// Starts a mock with [`MockOptions::default`].
    pub fn start() -> Result<Self, MockError> {
        Self::start_with(MockOptions::default())
    }

    /// Starts a mock whose JWT CA signs ES256 with a key published with a 31-byte coordinate.
    pub fn start_with_short_ec_coordinate() -> Result<Self, MockError> {
        Self::start_with(MockOptions {
            algorithm: Algorithm::ES256,
            ec_short_coordinate: true,
            ..MockOptions::default()
        })
    }

    /// Starts a mock with these options: generates both CAs' keys and the TLS material, binds
    /// `127.0.0.1:0` and starts serving.
    pub fn start_with(opts: MockOptions) -> Result<Self, MockError> {
        Self::start_on_port(opts, 0)
    }

    /// Like [`MockTeleport::start_with`] on a fixed port of `127.0.0.1` (0: a port chosen by
    /// the OS), for a local development setup whose URLs must not change between runs. Fails
    /// with [`MockError::Io`] when the port is taken.
    pub fn start_on_port(opts: MockOptions, port: u16) -> Result<Self, MockError> {
        let short = opts.ec_short_coordinate;
        let cas = Cas {
            jwt: CaState::new(opts.algorithm, short)?,
            oidc: CaState::new(opts.id_token_algorithm, short)?,
        };
        let tls = tls::generate()?;
        let shared = Arc::new(Shared::bind(opts, cas, tls.config, port)?);
        let accept = shared.spawn_accept_loop()?;
        Ok(MockTeleport {
            shared,
            ca_pem: tls.ca_pem,
            accept_thread: Mutex::new(Some(accept)),
        })
    }

    /// `https://127.0.0.1:<port>`, no trailing slash.
    pub fn proxy_url(&self) -> String {
        self.shared.proxy_url.clone()
    }

    /// The listening address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.shared.addr
    }

    /// The cluster name: `iss` of classic tokens.
    pub fn cluster_name(&self) -> String {
        self.shared.options.cluster_name.clone()
    }

    /// `iss` of ID tokens: the proxy URL.
    pub fn id_token_issuer(&self) -> String {
        self.shared.proxy_url.clone()
    }

    /// PEM of the mock's own CA certificate, which signed the server certificate (SANs
    /// `127.0.0.1` and `localhost`). Trust it, and only it, to talk to the mock.
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// URL of the JWT CA's key set (`/.well-known/jwks.json`).
    pub fn jwks_url(&self) -> String {
        format!("{}{JWKS_PATH}", self.shared.proxy_url)
    }

    /// URL of the OIDC CA's key set (`/.well-known/jwks-oidc`).
    pub fn jwks_oidc_url(&self) -> String {
        format!("{}{JWKS_OIDC_PATH}", self.shared.proxy_url)
    }

    /// URL of the discovery document (`/.well-known/openid-configuration`).
    pub fn discovery_url(&self) -> String {
        format!("{}{DISCOVERY_PATH}", self.shared.proxy_url)
    }

    /// The options the mock was started with.
    pub fn options(&self) -> &MockOptions {
        &self.shared.options
    }

    /// Mints a token exactly as Teleport makes it: a classic JWT (JWT CA, `iss` = cluster
    /// name) or an ID token (OIDC CA, `iss` = proxy URL), signed with the CA's signing key for
    /// the current rotation phase. See [`MintSpec`].
    pub fn mint(&self, spec: &MintSpec) -> Result<String, MockError> {
        mint::check_kind(spec.kind)?;
        let (ca, iss) = match spec.kind {
            TokenKind::IdToken => (Ca::Oidc, self.id_token_issuer()),
            _ => (Ca::Jwt, self.cluster_name()),
        };
        let key = self.shared.cas.lock().get(ca).signing_key();
        let include_kid = spec
            .include_kid
            .unwrap_or(self.shared.options.kid_in_tokens);
        let header = mint::header(&key, include_kid, spec);
        let claims = mint::claims(spec, &iss, mint::uuid_v4()?);
        let header_json = serde_json::to_string(&header)?;
        let payload_json = serde_json::to_string(&claims)?;
        mint::sign_compact(&key, &header_json, &payload_json)
    }

    /// Signs exactly these header and payload bytes (base64url without padding, verbatim)
    /// with the CA's signing key for the current phase. For crafting odd tokens: duplicate
    /// members, unusual headers, non-object payloads.
    pub fn sign_raw(
        &self,
        ca: Ca,
        header_json: &str,
        payload_json: &str,
    ) -> Result<String, MockError> {
        let key = self.shared.cas.lock().get(ca).signing_key();
        mint::sign_compact(&key, header_json, payload_json)
    }

    /// Like [`MockTeleport::sign_raw`] with a chosen key; [`KeyChoice::Next`] fails with
    /// [`MockError::NoNextKey`] when the CA is not rotating.
    pub fn sign_raw_with(
        &self,
        ca: Ca,
        which: KeyChoice,
        header_json: &str,
        payload_json: &str,
    ) -> Result<String, MockError> {
        let key = self
            .shared
            .cas
            .lock()
            .get(ca)
            .key(which)
            .ok_or(MockError::NoNextKey(ca))?;
        mint::sign_compact(&key, header_json, payload_json)
    }

    /// The JWKS document of `ca` exactly as served now.
    pub fn jwks_json(&self, ca: Ca) -> String {
        self.shared.jwks_json(ca)
    }

    /// The discovery document exactly as served now.
    pub fn discovery_json(&self) -> String {
        self.shared.discovery_json()
    }

    /// The (non-blank) `kid`s `ca` publishes now, active key first.
    pub fn key_ids(&self, ca: Ca) -> Vec<String> {
        self.shared
            .cas
            .lock()
            .get(ca)
            .published()
            .iter()
            .map(|k| k.kid().to_string())
            .collect()
    }

    /// The `kid` of the key `ca` signs with now.
    pub fn signing_key_id(&self, ca: Ca) -> String {
        self.shared
            .cas
            .lock()
            .get(ca)
            .signing_key()
            .kid()
            .to_string()
    }

    /// The algorithm of the key `ca` signs with now.
    pub fn signing_algorithm(&self, ca: Ca) -> Algorithm {
        self.shared.cas.lock().get(ca).signing_key().algorithm()
    }

    /// The rotation phase of `ca`.
    pub fn rotation_phase(&self, ca: Ca) -> RotationPhase {
        self.shared.cas.lock().get(ca).phase()
    }

    /// The algorithm of keys generated for `ca` from now on (by rotation or
    /// [`MockTeleport::rotate_now`]), to simulate a signature suite change at rotation. Keys
    /// already generated keep theirs.
    pub fn set_next_algorithm(&self, ca: Ca, alg: Algorithm) {
        self.shared.cas.lock().get_mut(ca).set_next_algorithm(alg);
    }

    /// Generates a key for `ca` with the CA's next algorithm (outside the state lock).
    fn fresh_key(&self, ca: Ca) -> Result<MockKey, MockError> {
        let alg = self.shared.cas.lock().get(ca).next_algorithm();
        MockKey::generate(alg, self.shared.options.ec_short_coordinate)
    }

    /// Moves `ca` to `phase` (see [`RotationPhase`]); entering a non-standby phase without a
    /// next key generates one.
    pub fn try_set_rotation_phase(&self, ca: Ca, phase: RotationPhase) -> Result<(), MockError> {
        let fresh = if self.shared.cas.lock().get(ca).needs_next_key(phase) {
            Some(self.fresh_key(ca)?)
        } else {
            None
        };
        self.shared.cas.lock().get_mut(ca).set_phase(phase, fresh);
        Ok(())
    }

    /// Moves `ca` to `phase`. See [`MockTeleport::try_set_rotation_phase`].
    ///
    /// # Panics
    /// If a needed key cannot be generated (aws-lc-rs allocation or RNG failure).
    pub fn set_rotation_phase(&self, ca: Ca, phase: RotationPhase) {
        self.try_set_rotation_phase(ca, phase)
            .unwrap_or_else(|e| panic!("MockTeleport::set_rotation_phase: {e}"));
    }

    /// Completes a rotation of `ca`: the next key becomes the only key, published and signing,
    /// in standby. Without a rotation in progress, a new key replaces the current one.
    pub fn try_complete_rotation(&self, ca: Ca) -> Result<(), MockError> {
        let fresh = if self.shared.cas.lock().get(ca).has_next() {
            None
        } else {
            Some(self.fresh_key(ca)?)
        };
        self.shared.cas.lock().get_mut(ca).complete(fresh);
        Ok(())
    }

    /// Completes a rotation of `ca`. See [`MockTeleport::try_complete_rotation`].
    ///
    /// # Panics
    /// If a needed key cannot be generated (aws-lc-rs allocation or RNG failure).
    pub fn complete_rotation(&self, ca: Ca) {
        self.try_complete_rotation(ca)
            .unwrap_or_else(|e| panic!("MockTeleport::complete_rotation: {e}"));
    }

    /// A rotation with grace period 0: a brand-new key replaces every key of `ca` at once,
    /// with no overlap.
    pub fn try_rotate_now(&self, ca: Ca) -> Result<(), MockError> {
        let fresh = self.fresh_key(ca)?;
        self.shared.cas.lock().get_mut(ca).replace(fresh);
        Ok(())
    }

    /// Rotates `ca` with grace period 0. See [`MockTeleport::try_rotate_now`].
    ///
    /// # Panics
    /// If the key cannot be generated (aws-lc-rs allocation or RNG failure).
    pub fn rotate_now(&self, ca: Ca) {
        self.try_rotate_now(ca)
            .unwrap_or_else(|e| panic!("MockTeleport::rotate_now: {e}"));
    }

    /// Sets the failure mode for every path (see [`Failure`]). `Refuse` has closed the
    /// listener when this returns; `Failure::None` after it has reopened the same port
    /// (should the port be taken meanwhile, the server keeps retrying in the background).
    pub fn set_failure(&self, f: Failure) {
        self.shared.set_failure(f);
    }

    /// The failure mode now in force.
    pub fn failure(&self) -> Failure {
        self.shared.failure()
    }

    /// Serves this `issuer` in the discovery document instead of the proxy URL (`None`
    /// restores it), to test issuer mismatch.
    pub fn set_discovery_issuer_override(&self, issuer: Option<String>) {
        *self.shared.discovery_issuer_override.lock() = issuer;
    }

    /// Serves this `jwks_uri` in the discovery document instead of the mock's own (`None`
    /// restores it), to test what a verifier does with a discovered URL.
    pub fn set_discovery_jwks_uri_override(&self, uri: Option<String>) {
        *self.shared.discovery_jwks_uri_override.lock() = uri;
    }

    /// Requests received on every path, including failed ones, since start or the last
    /// [`MockTeleport::reset_counts`].
    pub fn request_count(&self) -> u64 {
        self.shared.total_count()
    }

    /// Requests received on this path (query string excluded), including failed ones.
    pub fn request_count_for(&self, path: &str) -> u64 {
        self.shared.count_for(path)
    }

    /// Zeroes the request counters.
    pub fn reset_counts(&self) {
        self.shared.reset_counts();
    }

    /// Stops the server and joins its threads (the same as dropping it).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for MockTeleport {
    fn drop(&mut self) {
        let accept = self.accept_thread.lock().take();
        self.shared.shutdown(accept);
    }
}
