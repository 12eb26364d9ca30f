//! The core's [`Algorithm`] and [`TokenKind`], exported as they are (UniFFI remote enums: the
//! compiler checks that the variants listed here are exactly the core's).

use teleport_jwt::{Algorithm, TokenKind};

/// A JWS signature algorithm supported for verification (Kotlin `RS256`/`ES256`).
#[uniffi::remote(Enum)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// ECDSA on P-256 with SHA-256.
    ES256,
}

/// Which kind of Teleport token a trust entry accepts.
#[uniffi::remote(Enum)]
pub enum TokenKind {
    /// A classic Teleport JWT (`{{internal.jwt}}`).
    TeleportJwt,
    /// A Teleport OIDC ID token (`{{internal.id_token}}`).
    IdToken,
    /// Any other issuer configured through the general form.
    Generic,
}
