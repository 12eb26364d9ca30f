//! Trusted keys: parsing JWKs ([`jwk`]), key sets ([`set`]), where they come from ([`source`])
//! and how they are cached and refreshed ([`cache`]).

pub mod cache;
pub mod jwk;
mod roca;
pub mod set;
pub mod source;

pub use cache::CachePolicy;
pub use jwk::VerifyingKey;
pub use set::{jwks_decisions, EntryDecision, KeyDecision, KeySet, RejectedKey};
pub use source::{KeySource, OidcDiscovery, RemoteJwks, StaticJwks};
