//! The core's HTTP answer to a refused request (`teleport_jwt::refusal`), for
//! `teleport_jwt.refusal.Refusal`: the Python class keeps its fields, every answer it gives
//! (status, challenge, headers, body) is the core's, pinned by `tests/vectors/refusal_cases.json`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use teleport_jwt::refusal::{Refusal, RefusalOptions, PERMISSION_DENIED};
use teleport_jwt::{Reason, VerifyError};

/// The core's HTTP answer to a refusal (``teleport_jwt::refusal``), for
/// :class:`teleport_jwt.refusal.Refusal`.
///
/// ``code`` is a reason code, or ``"permission_denied"`` for a verified caller (``username``)
/// lacking ``permission``; ``message`` is for the log, never sent. ``expose_reason`` tells the
/// client the code; ``retry_after`` is the 503's ``Retry-After`` in seconds. Returns
/// ``(status, error, description, retry_after, headers, body_json, message)``: status 401,
/// 403, 500 or 503; the RFC 6750 error (None without credentials, for 500 and 503); the
/// ``error_description``; ``Retry-After`` seconds (503 only); the headers (lower-case names,
/// the ``WWW-Authenticate`` challenge with ``extra_challenge`` auth-params after the core's);
/// the JSON body; the message for the log. Raises ``ValueError`` for an unknown code.
#[pyfunction]
#[pyo3(signature = (code, message, *, expose_reason, retry_after, permission=None, username=None, extra_challenge=Vec::new()))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub(crate) fn refusal_answer(
    code: &str,
    message: &str,
    expose_reason: bool,
    retry_after: u32,
    permission: Option<&str>,
    username: Option<&str>,
    extra_challenge: Vec<String>,
) -> PyResult<(
    u16,
    Option<&'static str>,
    String,
    Option<u32>,
    Vec<(&'static str, String)>,
    String,
    String,
)> {
    let options = RefusalOptions {
        expose_reason,
        retry_after_secs: retry_after,
    };
    let r = if code == PERMISSION_DENIED {
        Refusal::permission_denied(permission.unwrap_or_default(), username, options)
    } else {
        let reason: Reason = code
            .parse()
            .map_err(|_| PyValueError::new_err(format!("{code:?} is not a reason code")))?;
        Refusal::from_error(&VerifyError::new(reason, message), options)
    };
    let extra: Vec<&str> = extra_challenge.iter().map(String::as_str).collect();
    let challenge = r.www_authenticate_with(&extra).unwrap_or_default();
    let headers = r
        .headers()
        .into_iter()
        .map(|(name, value)| match name {
            "www-authenticate" => (name, challenge.clone()),
            _ => (name, value),
        })
        .collect();
    Ok((
        r.status,
        r.error,
        r.description(),
        r.retry_after_secs,
        headers,
        r.body(),
        r.message,
    ))
}
