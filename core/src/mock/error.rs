//! The error type of the mock Teleport proxy.

use super::Ca;

/// Why the mock could not start, generate a key, sign or mint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// aws-lc-rs could not generate a signing key (allocation or RNG failure).
    #[error("key generation failed: {0}")]
    KeyGeneration(String),
    /// aws-lc-rs could not produce a signature.
    #[error("signing failed: {0}")]
    Signing(String),
    /// No P-256 key with a 31-byte coordinate was found within the bounded number of tries.
    #[error("no P-256 key with a short (31-byte) coordinate after {0} tries")]
    NoShortCoordinate(usize),
    /// The CA or server certificate could not be generated.
    #[error("certificate generation failed: {0}")]
    Certificate(String),
    /// The rustls server configuration was refused.
    #[error("TLS configuration failed: {0}")]
    Tls(String),
    /// Binding the listener or spawning a thread failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A JSON document could not be serialised.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    /// The [`super::MintSpec`] cannot be turned into a token (e.g. `TokenKind::Generic`).
    #[error("invalid mint spec: {0}")]
    InvalidSpec(String),
    /// [`super::KeyChoice::Next`] was asked for but the CA is not rotating.
    #[error("the {0:?} CA has no next key: it is not rotating")]
    NoNextKey(Ca),
}
