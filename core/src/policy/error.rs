//! [`PolicyError`]: why a policy document was refused at load time, and where.
//!
//! Every problem of a policy is found while loading it (syntax, unknown fields, bad templates,
//! empty rules, ...), so evaluation never fails. The error carries the 1-based line and column
//! when the format reports one, and converts into a [`VerifyError`] with
//! [`Reason::InvalidConfig`] for code (and bindings) that handle one error type.

use std::cell::RefCell;
use std::fmt;

use crate::error::{Reason, VerifyError};

/// A policy document that cannot be used: the reason, and where it is when known.
///
/// Display: `[<file>: ]line 7, column 9: unknown field "rolez", expected one of ...`.
///
/// ```
/// use teleport_jwt::policy::Policy;
/// let err = Policy::from_json_str(r#"{"rules": [{"match": {}, "grant": ["{{traits.team"]}]}"#)
///     .unwrap_err();
/// assert_eq!(err.line(), Some(1));
/// assert!(err.reason().contains("is not closed"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    origin: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    reason: String,
}

impl PolicyError {
    /// An error without a position (programmatic construction, I/O).
    pub fn new(reason: impl Into<String>) -> Self {
        PolicyError {
            origin: None,
            line: None,
            column: None,
            reason: reason.into(),
        }
    }

    /// An error at a 1-based line and column.
    pub fn at(line: usize, column: usize, reason: impl Into<String>) -> Self {
        PolicyError {
            origin: None,
            line: Some(line),
            column: Some(column),
            reason: reason.into(),
        }
    }

    /// The same error, naming the file (or other origin) it came from.
    pub fn in_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// 1-based line of the problem, when the format reports one.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// 1-based column of the problem, when the format reports one.
    pub fn column(&self) -> Option<usize> {
        self.column
    }

    /// What is wrong, without the position.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The file the policy was read from, for [`crate::policy::Policy::from_file`].
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            _ => {}
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for PolicyError {}

/// A policy error is a configuration error: `invalid_config: <file>: line 7, column 9: ...`.
impl From<PolicyError> for VerifyError {
    fn from(e: PolicyError) -> Self {
        VerifyError::new(Reason::InvalidConfig, format!("policy: {e}"))
    }
}

/// Converts a byte offset of `source` into a 1-based (line, column), columns counted in
/// characters.
#[cfg_attr(not(feature = "toml"), allow(dead_code))]
pub(crate) fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

thread_local! {
    /// The text of the last value whose check failed during deserialization on this thread.
    /// Formats report the position of the enclosing list for such errors; the loader uses this
    /// text to move the position onto the value itself.
    static FAILED_VALUE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records the text of a value that failed its check (called from `TryFrom` impls).
pub(crate) fn note_failed_value(text: &str) {
    FAILED_VALUE.with(|v| *v.borrow_mut() = Some(text.to_owned()));
}

/// Takes (and clears) the recorded failed value.
pub(crate) fn take_failed_value() -> Option<String> {
    FAILED_VALUE.with(|v| v.borrow_mut().take())
}

/// The byte offset of a 1-based (line, column) in `source` (columns in characters).
fn offset_of(source: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match source[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return source.len(),
        }
    }
    source[start..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(source.len(), |(i, _)| start + i)
}

/// Moves the error's position onto `value` when it occurs in `source`: first at or after the
/// reported position (YAML and TOML report the start of the enclosing list), else the last
/// occurrence before it (JSON reports the end of the value).
pub(crate) fn refine_position(
    err: PolicyError,
    source: &str,
    value: Option<String>,
) -> PolicyError {
    let (Some(value), Some(line)) = (value, err.line) else {
        return err;
    };
    if value.is_empty() {
        return err;
    }
    let at = offset_of(source, line, err.column.unwrap_or(1));
    let found = source[at..]
        .find(value.as_str())
        .map(|i| at + i)
        .or_else(|| source[..at].rfind(value.as_str()));
    match found {
        Some(offset) => {
            let (line, column) = line_col(source, offset);
            PolicyError {
                line: Some(line),
                column: Some(column),
                ..err
            }
        }
        None => err,
    }
}
