//! The description of the core's algorithm and token-kind enums for the bindings
//! ([`describe_alg_enums!`](crate::describe_alg_enums)): the core defines
//! [`Algorithm`](crate::Algorithm) and [`TokenKind`](crate::TokenKind) from it, the Kotlin and
//! Swift binding declares the same variants with the same docs, and Python takes them by name.

/// [`Algorithm`](crate::Algorithm) and [`TokenKind`](crate::TokenKind), with their docs and
/// names. The grammar is that of `describe_mock_enums!`: doc comments, `#[default(Variant)]` if
/// the enum has a default, then `pub enum Name { ... }` whose variants are doc comments and
/// `Variant => "name"` (`| "alias"` for other spellings `FromStr` accepts).
#[doc(hidden)]
#[macro_export]
macro_rules! describe_alg_enums {
    ($callback:ident) => {
        $callback! {
            /// A JWS signature algorithm supported for verification, by its JOSE name
            /// (`"ES256"`).
            pub enum Algorithm {
                /// RSASSA-PKCS1-v1_5 with SHA-256, RSA keys of 2048 to 8192 bits.
                RS256 => "RS256",
                /// ECDSA on P-256 with SHA-256, signature as 64-byte raw `r || s`.
                ES256 => "ES256",
            }

            /// Which kind of Teleport token a trust entry accepts.
            #[default(TeleportJwt)]
            pub enum TokenKind {
                /// A classic Teleport JWT (`{{internal.jwt}}`): `iss` is the bare cluster name,
                /// keys at `/.well-known/jwks.json`.
                TeleportJwt => "teleport_jwt" | "jwt",
                /// A Teleport OIDC ID token (`{{internal.id_token}}`): `iss` is
                /// `https://<proxy>`, keys found through `/.well-known/openid-configuration`;
                /// `iat` is required.
                IdToken => "id_token",
                /// Any other issuer configured through the general form.
                Generic => "generic",
            }
        }
    };
}
