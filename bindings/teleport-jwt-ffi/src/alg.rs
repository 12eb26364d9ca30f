//! The core's [`Algorithm`] and [`TokenKind`], exported as they are: UniFFI remote enums, so
//! Kotlin and Swift receive the core's own values with no conversion. The remote declaration
//! must list exactly the core's variants (UniFFI matches it exhaustively against the core's
//! enum), so a variant added to or removed from the core fails to compile here.

use teleport_jwt::{Algorithm, TokenKind};

/// A JWS signature algorithm supported for verification, by its JOSE name (`"ES256"`).
#[uniffi::remote(Enum)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, RSA keys of 2048 to 8192 bits.
    RS256,
    /// ECDSA on P-256 with SHA-256, signature as 64-byte raw `r || s`.
    ES256,
}

/// Which kind of Teleport token a trust entry accepts.
#[uniffi::remote(Enum)]
pub enum TokenKind {
    /// A classic Teleport JWT (`{{internal.jwt}}`): `iss` is the bare cluster name, keys at
    /// `/.well-known/jwks.json`.
    TeleportJwt,
    /// A Teleport OIDC ID token (`{{internal.id_token}}`): `iss` is `https://<proxy>`, keys
    /// found through `/.well-known/openid-configuration`; `iat` is required.
    IdToken,
    /// Any other issuer configured through the general form.
    Generic,
}
