//! The core's [`teleport_jwt::VerifyError`] as a UniFFI error: one variant per reason code,
//! each carrying the core's message, and [`PluginFailure`], what a foreign plug-in throws.
//!
//! [`VerifyError`] is a flat error (it only ever travels from Rust out) whose text is
//! `"<code>: <detail>"`: Kotlin sees `sealed class VerifyException` with one subclass per
//! reason (`Expired`, `AudienceMismatch`, ..., `PluginException` for `PluginError`, following
//! UniFFI's `Error` → `Exception` renaming), `message == "expired: token expired at ..."`, and
//! the `code`/`detail` properties of `Errors.kt`; Swift sees `enum VerifyError: Error` with
//! cases like `.Expired(message:)` and the `code`/`detail` of `VerifyError+Code.swift`. Both
//! split the one text the core wrote, so no language keeps a table of its own.
//!
//! The variants, their codes and their docs come from the core's one description of the
//! reasons (`teleport_jwt::describe_reasons!`), in the order of [`Reason::ALL`]: a reason
//! added to the core is a variant here, documented, without an edit.

use teleport_jwt::Reason;

/// Declares the error enum and both conversions from the core's description of the reasons,
/// each variant named exactly like its [`Reason`].
macro_rules! verify_error {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, )*) => {
        /// A refused token, configuration or key fetch. Each variant is one stable reason
        /// code of the core; the text is `"<code>: <detail>"` (`code` and `detail` split it).
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
        #[uniffi(flat_error)]
        pub enum VerifyError {
            $(
                $(#[$doc])*
                #[error("{}: {message}", $code)]
                $variant {
                    /// What went wrong and, where possible, what to change. Never parse it.
                    message: String,
                },
            )*
        }

        impl VerifyError {
            /// The core reason of this error.
            pub fn reason(&self) -> Reason {
                match self {
                    $( VerifyError::$variant { .. } => Reason::$variant, )*
                }
            }

            /// The message (the same text the core produced).
            pub fn message(&self) -> &str {
                match self {
                    $( VerifyError::$variant { message } => message, )*
                }
            }

            /// The variant for `reason`, carrying `message`.
            pub fn new(reason: Reason, message: impl Into<String>) -> Self {
                let message = message.into();
                match reason {
                    $( Reason::$variant => VerifyError::$variant { message }, )*
                    // `Reason` is non-exhaustive, but every reason of the description is a
                    // variant (`every_core_reason_has_its_own_variant` below).
                    other => VerifyError::InternalError {
                        message: format!("{} (reason {other} has no binding variant)", message),
                    },
                }
            }
        }
    };
}

teleport_jwt::describe_reasons!(verify_error);

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
