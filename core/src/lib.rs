//! # teleport-jwt
//!
//! Verify the tokens that [Teleport](https://goteleport.com) signs for every request it
//! forwards to an MCP server or web app, and turn them into an [`Identity`]: user, roles,
//! traits.
//!
//! - Classic Teleport JWTs (`Teleport-Jwt-Assertion`, keys at `/.well-known/jwks.json`, `iss` =
//!   the cluster name): [`Verifier::teleport_jwt`].
//! - Teleport OIDC ID tokens (keys through `/.well-known/openid-configuration`, `iss` =
//!   `https://<proxy>`): [`Verifier::teleport_id_token`].
//! - Any mix of issuers (root and leaf clusters, classic and ID tokens, other OIDC issuers):
//!   [`Verifier::builder`] with several [`TrustEntry`]s.
//!
//! RS256 and ES256 are both accepted whenever the trusted key says so; the algorithm always
//! comes from the key, never the token. Keys are picked by `kid` (all eligible keys are tried
//! for kid-less tokens from older clusters), cached, refreshed on rotation with a cooldown,
//! fetched single-flight, and kept through outages up to a maximum staleness.
//!
//! Every failure is a [`VerifyError`] with a stable [`Reason`] code, the same in every language
//! binding.
//!
//! ```
//! # #[cfg(feature = "mock")] {
//! use teleport_jwt::mock::{MockTeleport, MintSpec};
//! use teleport_jwt::{TeleportJwt, Verifier, VerifierOptions};
//!
//! let teleport = MockTeleport::start().unwrap();     // a fake Teleport on loopback HTTPS
//! let verifier = Verifier::teleport_jwt(TeleportJwt {
//!     proxy_url: teleport.proxy_url(),
//!     cluster_name: teleport.cluster_name(),
//!     audience: "mcp+http://127.0.0.1:8000/mcp".into(),
//!     options: VerifierOptions { ca_pem: Some(teleport.ca_pem()), ..Default::default() },
//! }).unwrap();
//!
//! let token = teleport.mint(&MintSpec::default()).unwrap();
//! let identity = verifier.verify(&token).unwrap();
//! assert_eq!(identity.username, "alice");
//! # }
//! ```
//!
//! Plug-in points: [`KeySource`] (where keys come from), [`HttpFetcher`] (how they are fetched),
//! [`Clock`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alg;
mod names;
// Data for the bindings (tables of names, two descriptions): hidden, not for applications.
#[doc(hidden)]
pub mod api;
mod b64;
mod claims;
pub mod clock;
pub mod config;
pub mod dangerous;
pub mod error;
pub mod events;
pub mod fork;
pub mod headers;
pub mod http;
pub mod identity;
mod json;
mod jws;
pub mod keys;
pub mod policy;
pub mod refusal;
pub mod stats;
mod token_cache;
pub mod verifier;

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "mock")]
pub mod mock;

#[cfg(feature = "_only-for-fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use alg::{Algorithm, TokenKind};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{KeysFrom, TeleportIdToken, TeleportJwt, TrustEntry, VerifierOptions};
pub use error::{Reason, VerifyError};
pub use headers::HeaderRule;
#[cfg(feature = "http")]
pub use http::HttpsFetcher;
pub use http::{FetchLimits, HttpFetcher, HttpResponse, HttpsOptions};
pub use identity::{Claims, Identity};
pub use keys::{CachePolicy, KeySet, KeySource, OidcDiscovery, RemoteJwks, StaticJwks};
pub use verifier::{Authorized, Verifier, VerifierBuilder};

/// The Rust examples of the READMEs and docs pages, compiled (and run unless marked `no_run`)
/// as doctests, one hidden struct per file, so no example can drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct RootReadmeDoctests;
#[cfg(doctest)]
#[doc = include_str!("../../docs/policy.md")]
pub struct PolicyDocDoctests;
