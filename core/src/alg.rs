//! The signature algorithms this verifier accepts, and nothing else.
//!
//! Teleport signs with RS256 (legacy suite) or ES256 (balanced-v1, fips-v1, hsm-v1 suites). Both
//! are accepted whenever the trusted key says so; `none`, HMAC and every other algorithm are
//! refused before any key is looked up.

/// A JWS signature algorithm supported for verification, by its JOSE name (`"ES256"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, RSA keys of 2048 to 8192 bits.
    RS256,
    /// ECDSA on P-256 with SHA-256, signature as 64-byte raw `r || s`.
    ES256,
}

crate::names::named_enum!(Algorithm {
    RS256 => "RS256",
    ES256 => "ES256",
});

impl Algorithm {
    /// Parses a JOSE `alg` value. Case-sensitive, as RFC 7515 requires: `"rs256"` is not RS256.
    /// (No error value is built: forged tokens take this path.)
    pub fn from_jose(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

/// Which kind of Teleport token a trust entry accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TokenKind {
    /// A classic Teleport JWT (`{{internal.jwt}}`): `iss` is the bare cluster name, keys at
    /// `/.well-known/jwks.json`.
    #[default]
    TeleportJwt,
    /// A Teleport OIDC ID token (`{{internal.id_token}}`): `iss` is `https://<proxy>`, keys
    /// found through `/.well-known/openid-configuration`; `iat` is required.
    IdToken,
    /// Any other issuer configured through the general form.
    Generic,
}

crate::names::named_enum!(TokenKind {
    TeleportJwt => "teleport_jwt" | "jwt",
    IdToken => "id_token",
    Generic => "generic",
});

#[cfg(test)]
mod tests {
    use super::TokenKind;

    #[test]
    fn names_round_trip_and_unknown_ones_list_the_choices() {
        for k in TokenKind::ALL {
            assert_eq!(k.to_string().parse::<TokenKind>().ok(), Some(*k));
        }
        assert_eq!(
            "jwt".parse::<TokenKind>().ok(),
            Some(TokenKind::TeleportJwt)
        );
        let e = "jwk".parse::<TokenKind>().unwrap_err();
        assert_eq!(e.reason(), crate::Reason::InvalidConfig);
        assert!(
            e.message().contains("teleport_jwt, id_token, generic"),
            "{e}"
        );
    }

    #[test]
    fn serde_reads_and_writes_the_names() {
        let kind: TokenKind = serde_json::from_str("\"jwt\"").unwrap();
        assert_eq!(kind, TokenKind::TeleportJwt);
        assert_eq!(serde_json::to_string(&kind).unwrap(), "\"teleport_jwt\"");
        let e = serde_json::from_str::<TokenKind>("\"jwk\"").unwrap_err();
        assert!(
            e.to_string()
                .contains("(one of: teleport_jwt, id_token, generic)"),
            "{e}"
        );
    }
}
