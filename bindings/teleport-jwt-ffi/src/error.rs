//! The core's [`teleport_jwt::VerifyError`] as a UniFFI error: one variant per reason code,
//! each carrying the core's message, and [`PluginFailure`], what a foreign plug-in throws.
//!
//! [`VerifyError`] is a flat error (it only ever travels from Rust out) whose text is
//! `"<code>: <detail>"`: Kotlin sees `sealed class VerifyException` with one subclass per
//! reason (`Expired`, `AudienceMismatch`, ..., `PluginException` for `PluginError`, following
//! UniFFI's `Error` → `Exception` renaming), `message == "expired: token expired at ..."`, and
//! the `code`/`detail` properties of `VerifyExceptions.kt` (bindings/kotlin); Swift sees
//! `enum VerifyError: Error` with cases like `.Expired(message:)` and the `code`/`detail` of
//! `VerifyError+Code.swift` (bindings/swift). Both split the one text the core wrote, so no
//! language keeps a table of its own.
//!
//! The variants are written out in the order of [`Reason::ALL`], named exactly like their
//! [`Reason`], with the core's docs. `VerifyError::reason` matches every variant (one without
//! a core reason fails to compile); a core reason without a variant fails
//! `every_core_reason_has_its_own_variant` (tests/errors.rs) and the Kotlin and Swift parity
//! tests, which compare the variants with the core's table (`apiReasons()`).

use std::fmt;

use teleport_jwt::Reason;

/// A refused token, configuration or key fetch. Each variant is one stable reason code of the
/// core; the text is `"<code>: <detail>"` (`code` and `detail` split it).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
#[uniffi(flat_error)]
pub enum VerifyError {
    /// `malformed`: not a well-formed compact JWS/JWT: wrong segment count, non-canonical
    /// base64url, JSON that is not an object, duplicate member names, invalid UTF-8, a
    /// `typ` other than `JWT`, or a header present in the request but unusable.
    Malformed { message: String },
    /// `token_too_large`: the token is longer than the configured cap (default 16 KiB); it
    /// was refused before any decoding.
    TokenTooLarge { message: String },
    /// `missing_token`: none of the configured headers is present in the request.
    MissingToken { message: String },
    /// `unsupported_header`: the JWS header carries `crit`, or a key-carrying member
    /// (`jwk`, `jku`, `x5u`, `x5c`) that a verifier must never trust.
    UnsupportedHeader { message: String },
    /// `unsupported_algorithm`: `alg` is not one this verifier accepts (only RS256 and
    /// ES256; never `none` or HMAC), or it does not match the algorithm of the trusted key.
    UnsupportedAlgorithm { message: String },
    /// `bad_signature`: the signature does not verify with the selected key (includes
    /// wrong-length and DER-encoded ECDSA signatures).
    BadSignature { message: String },
    /// `unknown_key`: no trusted key matches the token's `kid` (or, for a token without
    /// `kid`, no eligible key verifies it), even after the rate-limited refetch.
    UnknownKey { message: String },
    /// `expired`: `exp` is in the past by more than the leeway.
    Expired { message: String },
    /// `not_yet_valid`: `nbf` is in the future by more than the leeway.
    NotYetValid { message: String },
    /// `issued_in_future`: `iat` is in the future by more than the leeway.
    IssuedInFuture { message: String },
    /// `issuer_mismatch`: `iss` matches no trusted issuer (compared byte for byte), or a
    /// discovery document names another issuer.
    IssuerMismatch { message: String },
    /// `audience_mismatch`: none of the token's audiences is a configured audience.
    AudienceMismatch { message: String },
    /// `missing_claim`: a required claim (`exp`, `iss`, `aud`, `sub`, `iat` for ID tokens)
    /// is absent.
    MissingClaim { message: String },
    /// `invalid_claim`: a claim has the wrong type or an impossible value (a string `exp`,
    /// a negative time, an empty `aud` list, `roles` that is not a list of strings, ...).
    InvalidClaim { message: String },
    /// `key_source_unavailable`: keys could not be obtained (fetch failed, invalid JWKS or
    /// discovery document) and no last good key set is young enough to use.
    KeySourceUnavailable { message: String },
    /// `insecure_transport`: a key URL is not `https://` (plain `http://` is allowed only
    /// for loopback hosts and only with `allow_insecure_http_for_loopback`).
    InsecureTransport { message: String },
    /// `invalid_config`: the verifier configuration is unusable (no audience, no issuer, a
    /// negative leeway, a bad CA bundle, ...).
    InvalidConfig { message: String },
    /// `plugin_error`: a user-supplied plug-in (HTTP fetcher, key source, permission
    /// mapper) failed or, in a foreign language, threw.
    PluginError { message: String },
    /// `internal_error`: a bug in this library (for example a panic caught at a language
    /// boundary). Never expected; please report it.
    InternalError { message: String },
}

impl VerifyError {
    /// The core reason of this error.
    pub fn reason(&self) -> Reason {
        match self {
            VerifyError::Malformed { .. } => Reason::Malformed,
            VerifyError::TokenTooLarge { .. } => Reason::TokenTooLarge,
            VerifyError::MissingToken { .. } => Reason::MissingToken,
            VerifyError::UnsupportedHeader { .. } => Reason::UnsupportedHeader,
            VerifyError::UnsupportedAlgorithm { .. } => Reason::UnsupportedAlgorithm,
            VerifyError::BadSignature { .. } => Reason::BadSignature,
            VerifyError::UnknownKey { .. } => Reason::UnknownKey,
            VerifyError::Expired { .. } => Reason::Expired,
            VerifyError::NotYetValid { .. } => Reason::NotYetValid,
            VerifyError::IssuedInFuture { .. } => Reason::IssuedInFuture,
            VerifyError::IssuerMismatch { .. } => Reason::IssuerMismatch,
            VerifyError::AudienceMismatch { .. } => Reason::AudienceMismatch,
            VerifyError::MissingClaim { .. } => Reason::MissingClaim,
            VerifyError::InvalidClaim { .. } => Reason::InvalidClaim,
            VerifyError::KeySourceUnavailable { .. } => Reason::KeySourceUnavailable,
            VerifyError::InsecureTransport { .. } => Reason::InsecureTransport,
            VerifyError::InvalidConfig { .. } => Reason::InvalidConfig,
            VerifyError::PluginError { .. } => Reason::PluginError,
            VerifyError::InternalError { .. } => Reason::InternalError,
        }
    }

    /// The message (the same text the core produced). Never parse it.
    pub fn message(&self) -> &str {
        match self {
            VerifyError::Malformed { message }
            | VerifyError::TokenTooLarge { message }
            | VerifyError::MissingToken { message }
            | VerifyError::UnsupportedHeader { message }
            | VerifyError::UnsupportedAlgorithm { message }
            | VerifyError::BadSignature { message }
            | VerifyError::UnknownKey { message }
            | VerifyError::Expired { message }
            | VerifyError::NotYetValid { message }
            | VerifyError::IssuedInFuture { message }
            | VerifyError::IssuerMismatch { message }
            | VerifyError::AudienceMismatch { message }
            | VerifyError::MissingClaim { message }
            | VerifyError::InvalidClaim { message }
            | VerifyError::KeySourceUnavailable { message }
            | VerifyError::InsecureTransport { message }
            | VerifyError::InvalidConfig { message }
            | VerifyError::PluginError { message }
            | VerifyError::InternalError { message } => message,
        }
    }

    /// The variant for `reason`, carrying `message`.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        let message = message.into();
        match reason {
            Reason::Malformed => VerifyError::Malformed { message },
            Reason::TokenTooLarge => VerifyError::TokenTooLarge { message },
            Reason::MissingToken => VerifyError::MissingToken { message },
            Reason::UnsupportedHeader => VerifyError::UnsupportedHeader { message },
            Reason::UnsupportedAlgorithm => VerifyError::UnsupportedAlgorithm { message },
            Reason::BadSignature => VerifyError::BadSignature { message },
            Reason::UnknownKey => VerifyError::UnknownKey { message },
            Reason::Expired => VerifyError::Expired { message },
            Reason::NotYetValid => VerifyError::NotYetValid { message },
            Reason::IssuedInFuture => VerifyError::IssuedInFuture { message },
            Reason::IssuerMismatch => VerifyError::IssuerMismatch { message },
            Reason::AudienceMismatch => VerifyError::AudienceMismatch { message },
            Reason::MissingClaim => VerifyError::MissingClaim { message },
            Reason::InvalidClaim => VerifyError::InvalidClaim { message },
            Reason::KeySourceUnavailable => VerifyError::KeySourceUnavailable { message },
            Reason::InsecureTransport => VerifyError::InsecureTransport { message },
            Reason::InvalidConfig => VerifyError::InvalidConfig { message },
            Reason::PluginError => VerifyError::PluginError { message },
            Reason::InternalError => VerifyError::InternalError { message },
            // `Reason` is non-exhaustive: a reason newer than this list is an internal error
            // here, and fails `every_core_reason_has_its_own_variant` (tests/errors.rs) and the
            // Kotlin and Swift parity tests, which compare the variants with `apiReasons()`.
            other => VerifyError::InternalError {
                message: format!("{message} (reason {other} has no binding variant)"),
            },
        }
    }
}

/// `"<code>: <message>"`, the text Kotlin and Swift receive.
impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for VerifyError {}

impl VerifyError {
    /// The stable snake_case reason code, e.g. `"audience_mismatch"`: the same string in Rust,
    /// Python, Kotlin and Swift.
    pub fn code(&self) -> &'static str {
        self.reason().code()
    }
}

/// What a Kotlin or Swift plug-in (key source, HTTP fetcher, clock, permission mapper) throws
/// to fail with a reason of its choosing (Kotlin `PluginFailure.Failed(code, detail)`, Swift
/// `PluginFailure.Failed(code:detail:)`). Any other exception it throws is `plugin_error` with
/// the exception's first line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PluginFailure {
    /// Fail with `code` (one of `reasonCodes()`; an unknown code is reported as
    /// `plugin_error`) and `detail` for humans.
    #[error("{code}: {detail}")]
    Failed {
        /// A reason code, e.g. `"key_source_unavailable"`.
        code: String,
        /// What went wrong.
        detail: String,
    },
}

/// Every reason code, in the core's order (`Reason::ALL`).
#[uniffi::export]
pub fn reason_codes() -> Vec<String> {
    Reason::ALL.iter().map(|r| r.code().to_owned()).collect()
}

impl From<teleport_jwt::VerifyError> for VerifyError {
    fn from(e: teleport_jwt::VerifyError) -> Self {
        VerifyError::new(e.reason(), e.message())
    }
}

impl From<VerifyError> for teleport_jwt::VerifyError {
    fn from(e: VerifyError) -> Self {
        teleport_jwt::VerifyError::new(e.reason(), e.message())
    }
}

/// The core error for what a plug-in threw: its reason when the code is one, else
/// `plugin_error` naming the code.
impl From<PluginFailure> for teleport_jwt::VerifyError {
    fn from(e: PluginFailure) -> Self {
        let PluginFailure::Failed { code, detail } = e;
        match code.parse::<Reason>() {
            Ok(reason) => teleport_jwt::VerifyError::new(reason, detail),
            Err(_) => teleport_jwt::VerifyError::new(
                Reason::PluginError,
                format!("a plug-in refused with unknown code {code:?}: {detail}"),
            ),
        }
    }
}

impl From<PluginFailure> for VerifyError {
    fn from(e: PluginFailure) -> Self {
        teleport_jwt::VerifyError::from(e).into()
    }
}

/// An exception a foreign plug-in threw that is not a `PluginFailure` (an
/// `IOException`, a Swift error of another type): a `plugin_error` carrying the first line of
/// what the foreign side reported (Kotlin sends the stack trace; its first line is the
/// exception's class and message).
impl From<uniffi::UnexpectedUniFFICallbackError> for PluginFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        let first = e.reason.lines().next().unwrap_or("").trim();
        let text = if first.is_empty() {
            "(no message)"
        } else {
            first
        };
        PluginFailure::Failed {
            code: Reason::PluginError.code().to_owned(),
            detail: format!("a plug-in supplied by the application threw: {text}"),
        }
    }
}
