//! The one error type of the crate and its stable reason codes.
//!
//! Every failure of verification, configuration or key fetching is a [`VerifyError`]: a
//! [`Reason`] that a program can match on (and that the Python, Kotlin and Swift bindings expose
//! as the same snake_case string), plus a human message that says what to fix. The message is
//! for logs and operators; never parse it.

use std::fmt;

/// Why a token (or a configuration) was refused. The snake_case string of each variant
/// ([`Reason::code`]) is a stable public contract shared by every language binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Reason {
    /// `malformed`: not a well-formed compact JWS/JWT: wrong segment count, non-canonical
    /// base64url, JSON that is not an object, duplicate member names, invalid UTF-8, a
    /// `typ` other than `JWT`, or a header present in the request but unusable.
    Malformed,
    /// `token_too_large`: the token is longer than the configured cap (default 16 KiB); it
    /// was refused before any decoding.
    TokenTooLarge,
    /// `missing_token`: none of the configured headers is present in the request.
    MissingToken,
    /// `unsupported_header`: the JWS header carries `crit`, or a key-carrying member
    /// (`jwk`, `jku`, `x5u`, `x5c`) that a verifier must never trust.
    UnsupportedHeader,
    /// `unsupported_algorithm`: `alg` is not one this verifier accepts (only RS256 and
    /// ES256; never `none` or HMAC), or it does not match the algorithm of the trusted key.
    UnsupportedAlgorithm,
    /// `bad_signature`: the signature does not verify with the selected key (includes
    /// wrong-length and DER-encoded ECDSA signatures).
    BadSignature,
    /// `unknown_key`: no trusted key matches the token's `kid` (or, for a token without
    /// `kid`, no eligible key verifies it), even after the rate-limited refetch.
    UnknownKey,
    /// `expired`: `exp` is in the past by more than the leeway.
    Expired,
    /// `not_yet_valid`: `nbf` is in the future by more than the leeway.
    NotYetValid,
    /// `issued_in_future`: `iat` is in the future by more than the leeway.
    IssuedInFuture,
    /// `issuer_mismatch`: `iss` matches no trusted issuer (compared byte for byte), or a
    /// discovery document names another issuer.
    IssuerMismatch,
    /// `audience_mismatch`: none of the token's audiences is a configured audience.
    AudienceMismatch,
    /// `missing_claim`: a required claim (`exp`, `iss`, `aud`, `sub`, `iat` for ID tokens)
    /// is absent.
    MissingClaim,
    /// `invalid_claim`: a claim has the wrong type or an impossible value (a string `exp`,
    /// a negative time, an empty `aud` list, `roles` that is not a list of strings, ...).
    InvalidClaim,
    /// `key_source_unavailable`: keys could not be obtained (fetch failed, invalid JWKS or
    /// discovery document) and no last good key set is young enough to use.
    KeySourceUnavailable,
    /// `insecure_transport`: a key URL is not `https://` (plain `http://` is allowed only
    /// for loopback hosts and only with `allow_insecure_http_for_loopback`).
    InsecureTransport,
    /// `invalid_config`: the verifier configuration is unusable (no audience, no issuer, a
    /// negative leeway, a bad CA bundle, ...).
    InvalidConfig,
    /// `plugin_error`: a user-supplied plug-in (HTTP fetcher, key source, permission
    /// mapper) failed or, in a foreign language, threw.
    PluginError,
    /// `internal_error`: a bug in this library (for example a panic caught at a language
    /// boundary). Never expected; please report it.
    InternalError,
}

impl Reason {
    /// Every reason, in declaration order (for bindings and exhaustive tests). A new reason
    /// joins it by hand; [`Reason::code`] and [`Reason::type_name`] fail to compile without it.
    pub const ALL: [Reason; 19] = [
        Reason::Malformed,
        Reason::TokenTooLarge,
        Reason::MissingToken,
        Reason::UnsupportedHeader,
        Reason::UnsupportedAlgorithm,
        Reason::BadSignature,
        Reason::UnknownKey,
        Reason::Expired,
        Reason::NotYetValid,
        Reason::IssuedInFuture,
        Reason::IssuerMismatch,
        Reason::AudienceMismatch,
        Reason::MissingClaim,
        Reason::InvalidClaim,
        Reason::KeySourceUnavailable,
        Reason::InsecureTransport,
        Reason::InvalidConfig,
        Reason::PluginError,
        Reason::InternalError,
    ];

    /// The stable snake_case reason code, e.g. `"audience_mismatch"`.
    pub const fn code(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::TokenTooLarge => "token_too_large",
            Reason::MissingToken => "missing_token",
            Reason::UnsupportedHeader => "unsupported_header",
            Reason::UnsupportedAlgorithm => "unsupported_algorithm",
            Reason::BadSignature => "bad_signature",
            Reason::UnknownKey => "unknown_key",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::IssuedInFuture => "issued_in_future",
            Reason::IssuerMismatch => "issuer_mismatch",
            Reason::AudienceMismatch => "audience_mismatch",
            Reason::MissingClaim => "missing_claim",
            Reason::InvalidClaim => "invalid_claim",
            Reason::KeySourceUnavailable => "key_source_unavailable",
            Reason::InsecureTransport => "insecure_transport",
            Reason::InvalidConfig => "invalid_config",
            Reason::PluginError => "plugin_error",
            Reason::InternalError => "internal_error",
        }
    }

    /// The reason's name as a type: the code in UpperCamelCase (`"bad_signature"` →
    /// `"BadSignature"`), which is also the variant's name. Every binding names its exception
    /// for a reason after it: Python's class `teleport_jwt.BadSignature`, Kotlin's subclass
    /// `VerifyException.BadSignature` and Swift's case `VerifyError.BadSignature` (UniFFI
    /// renames a Kotlin subclass ending in `Error`: `plugin_error` is
    /// `VerifyException.PluginException` there).
    pub const fn type_name(self) -> &'static str {
        match self {
            Reason::Malformed => "Malformed",
            Reason::TokenTooLarge => "TokenTooLarge",
            Reason::MissingToken => "MissingToken",
            Reason::UnsupportedHeader => "UnsupportedHeader",
            Reason::UnsupportedAlgorithm => "UnsupportedAlgorithm",
            Reason::BadSignature => "BadSignature",
            Reason::UnknownKey => "UnknownKey",
            Reason::Expired => "Expired",
            Reason::NotYetValid => "NotYetValid",
            Reason::IssuedInFuture => "IssuedInFuture",
            Reason::IssuerMismatch => "IssuerMismatch",
            Reason::AudienceMismatch => "AudienceMismatch",
            Reason::MissingClaim => "MissingClaim",
            Reason::InvalidClaim => "InvalidClaim",
            Reason::KeySourceUnavailable => "KeySourceUnavailable",
            Reason::InsecureTransport => "InsecureTransport",
            Reason::InvalidConfig => "InvalidConfig",
            Reason::PluginError => "PluginError",
            Reason::InternalError => "InternalError",
        }
    }

    /// The reason for a code string, if it is one of ours.
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Parses a reason code (`"expired"`), as [`Reason::code`] writes it.
impl std::str::FromStr for Reason {
    type Err = VerifyError;
    fn from_str(code: &str) -> Result<Reason, VerifyError> {
        Reason::from_code(code).ok_or_else(|| {
            VerifyError::new(
                Reason::InvalidConfig,
                format!("{code:?} is not a reason code"),
            )
        })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused token, configuration or key fetch: a stable [`Reason`] and a message for humans.
///
/// ```
/// use teleport_jwt::{Reason, VerifyError};
/// let err = VerifyError::new(Reason::Expired, "token expired at 1700000000");
/// assert_eq!(err.reason(), Reason::Expired);
/// assert_eq!(err.code(), "expired");
/// assert_eq!(err.to_string(), "expired: token expired at 1700000000");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    reason: Reason,
    message: String,
    retry_after: Option<std::time::Duration>,
}

/// As `{"code": ..., "message": ...}` (how [`crate::events::KeyEvent`] and the bindings show
/// it).
impl serde::Serialize for VerifyError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("VerifyError", 2)?;
        m.serialize_field("code", self.reason.code())?;
        m.serialize_field("message", &self.message)?;
        m.end()
    }
}

impl VerifyError {
    /// An error with this reason and message.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        VerifyError {
            reason,
            message: message.into(),
            retry_after: None,
        }
    }

    /// This error, with the time after which trying again can succeed (kept only on
    /// `key_source_unavailable`, as [`VerifyError::retry_after`] documents: a key source may
    /// fail with another reason, such as `plugin_error`, which no retry fixes).
    pub(crate) fn retry_after_in(mut self, wait: std::time::Duration) -> Self {
        if self.reason == Reason::KeySourceUnavailable {
            self.retry_after = Some(wait);
        }
        self
    }

    /// Why it failed.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The stable snake_case reason code (same as `self.reason().code()`).
    pub fn code(&self) -> &'static str {
        self.reason.code()
    }

    /// What went wrong and, where possible, what to change.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For `key_source_unavailable`: how long until the verifier tries the key endpoint again,
    /// so that trying earlier cannot succeed (what `Retry-After` says; see
    /// [`crate::refusal::Refusal::from_error`]). `None` for every other error.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.retry_after
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.code(), self.message)
    }
}

impl std::error::Error for VerifyError {}

/// Shorthand used across the crate.
pub(crate) fn err(reason: Reason, message: impl Into<String>) -> VerifyError {
    VerifyError::new(reason, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_every_reason_once_in_declaration_order() {
        for (i, r) in Reason::ALL.into_iter().enumerate() {
            assert_eq!(r as usize, i, "{r:?} is not at its place in Reason::ALL");
        }
    }

    #[test]
    fn type_names_are_the_codes_in_upper_camel_case() {
        for r in Reason::ALL {
            let camel: String = r
                .code()
                .split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            assert_eq!(r.type_name(), camel);
            assert_eq!(
                format!("{r:?}"),
                camel,
                "the variant is named like its type"
            );
            assert_eq!(r.code().parse::<Reason>().ok(), Some(r));
        }
        let e = "expird".parse::<Reason>().unwrap_err();
        assert_eq!(e.reason(), Reason::InvalidConfig);
    }
}
