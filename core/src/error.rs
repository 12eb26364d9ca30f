//! The one error type of the crate and its stable reason codes.
//!
//! Every failure of verification, configuration or key fetching is a [`VerifyError`]: a
//! [`Reason`] that a program can match on (and that the Python, Kotlin and Swift bindings expose
//! as the same snake_case string), plus a human message that says what to fix. The message is
//! for logs and operators; never parse it.

use std::fmt;

/// Derives [`Reason`] and its lists from the one description of the reasons
/// (`describe_reasons!` in `api/reasons.rs`).
macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, )*) => {
        /// Why a token (or a configuration) was refused. The snake_case string of each variant
        /// ([`Reason::code`]) is a stable public contract shared by every language binding.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Reason {
            $( $(#[$doc])* $variant, )*
        }

        impl Reason {
            /// Every reason, in declaration order (for bindings and exhaustive tests).
            pub const ALL: [Reason; [$($code),*].len()] = [$(Reason::$variant),*];

            /// The stable snake_case reason code, e.g. `"audience_mismatch"`.
            pub const fn code(self) -> &'static str {
                match self {
                    $(Reason::$variant => $code,)*
                }
            }

            /// The reason's name as a type: the code in UpperCamelCase (`"bad_signature"` →
            /// `"BadSignature"`). Every binding names its exception (class, subclass or case) for a
            /// reason after it: Python `teleport_jwt.BadSignature`, Kotlin
            /// `VerifyException.BadSignature`, Swift `VerifyError.badSignature`.
            pub const fn type_name(self) -> &'static str {
                match self {
                    $(Reason::$variant => stringify!($variant),)*
                }
            }
        }
    };
}

crate::describe_reasons!(reasons);

impl Reason {
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
