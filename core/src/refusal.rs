//! What to answer over HTTP when a request is refused: one decision, shared by every
//! integration.
//!
//! A [`Refusal`] is plain data (no HTTP framework involved): the status, the
//! `WWW-Authenticate` challenge, `Retry-After`, the other headers and the JSON body for a
//! refused request. The axum layer (`teleport_jwt::axum`, feature `axum`) answers with it, and it is
//! meant for every other integration too, so that one token gets the same answer whatever
//! serves it. The cases are pinned by `tests/vectors/refusal_cases.json`, which any language's
//! suite can read.
//!
//! | refused with | status | `WWW-Authenticate` / other headers |
//! |---|---|---|
//! | `missing_token` (no credentials sent) | 401 | `Bearer`, no `error` (RFC 6750 section 3.1) |
//! | any other token problem (`expired`, `bad_signature`, `malformed`, `audience_mismatch`, ...) | 401 | `Bearer error="invalid_token"` |
//! | `key_source_unavailable` | 503 | `Retry-After: <seconds>`: the time until the verifier tries the key endpoint again ([`VerifyError::retry_after`]), else [`RefusalOptions::retry_after_secs`] (default 30, the default cooldown) |
//! | `internal_error`, `plugin_error`, `invalid_config`, `insecure_transport` | 500 | none: the server, not the caller, is at fault |
//! | a permission the caller lacks ([`Refusal::permission_denied`]) | 403 | `Bearer error="insufficient_scope"` |
//!
//! Decisions:
//! - "Were credentials sent?" is the reason itself: `missing_token` means exactly that none of
//!   the verifier's header rules found its header ([`crate::headers`]); a header that is
//!   present but unusable is `malformed`, which is a credential and gets `invalid_token`.
//! - `plugin_error` (your permission mapper, key source or fetcher failed), `invalid_config` and
//!   `insecure_transport` (a key URL that is not https) are server faults, like
//!   `internal_error`: answering 401 would tell a legitimate caller that its token is bad.
//! - The reason code reaches the client only when the server opts in
//!   ([`RefusalOptions::expose_reason`]): then the challenge carries
//!   `error_description="Teleport token refused: <code>"`, the body a `reason` member and the
//!   response an `X-Teleport-Jwt-Error: <code>` header. Off by default: codes such as
//!   `audience_mismatch` or `issuer_mismatch` tell a prober how the server is configured, and
//!   behind Teleport the caller cannot fix its token anyway. The full message is for the log
//!   ([`Refusal::log`]) and never contains the token.
//!
//! ```
//! use teleport_jwt::refusal::{Refusal, RefusalOptions};
//! use teleport_jwt::{Reason, VerifyError};
//!
//! let expired = VerifyError::new(Reason::Expired, "token expired at 1700000000");
//! let answer = Refusal::from_error(&expired, RefusalOptions::default());
//! assert_eq!(answer.status, 401);
//! assert_eq!(answer.www_authenticate().as_deref(), Some(r#"Bearer error="invalid_token""#));
//! assert_eq!(answer.body(), r#"{"error":"invalid_token","error_description":"Teleport token refused"}"#);
//!
//! let outage = VerifyError::new(Reason::KeySourceUnavailable, "connection refused");
//! let answer = Refusal::from_error(&outage, RefusalOptions::default());
//! assert_eq!((answer.status, answer.retry_after_secs), (503, Some(30)));
//! ```

use std::time::Duration;

use crate::error::{Reason, VerifyError};

/// `Retry-After` of a 503 unless configured: the default key-fetch cooldown
/// ([`crate::CachePolicy::cooldown`]), after which the verifier tries the key endpoint again.
pub const DEFAULT_RETRY_AFTER_SECS: u32 = 30;

/// The [`Refusal::code`] of a 403: a verified caller without a permission the server requires.
pub const PERMISSION_DENIED: &str = "permission_denied";

/// How a server words its refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusalOptions {
    /// Tell the client the reason code (and, in a 403, the missing permission). Default false:
    /// see the [module docs](self).
    pub expose_reason: bool,
    /// `Retry-After` seconds of a 503 whose error does not say when the verifier tries again
    /// ([`VerifyError::retry_after`]; every `key_source_unavailable` from a [`crate::Verifier`]
    /// does). Default [`DEFAULT_RETRY_AFTER_SECS`].
    pub retry_after_secs: u32,
}

impl Default for RefusalOptions {
    fn default() -> Self {
        RefusalOptions {
            expose_reason: false,
            retry_after_secs: DEFAULT_RETRY_AFTER_SECS,
        }
    }
}

impl RefusalOptions {
    /// The defaults, with `Retry-After` set to the verifier's key-fetch cooldown (rounded up to
    /// whole seconds): after a failed fetch the verifier answers from that failure until a
    /// cooldown has passed, so retrying earlier cannot succeed.
    pub fn for_verifier(verifier: &crate::Verifier) -> Self {
        RefusalOptions {
            retry_after_secs: whole_seconds_up(verifier.options().cache.cooldown),
            ..RefusalOptions::default()
        }
    }
}

fn whole_seconds_up(d: Duration) -> u32 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    u32::try_from(secs).unwrap_or(u32::MAX).max(1)
}

/// The HTTP answer to a refused request. Plain data: build the response with your framework
/// from [`Refusal::status`], [`Refusal::headers`] and [`Refusal::body`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refusal {
    /// 401, 403, 500 or 503.
    pub status: u16,
    /// The reason code ([`Reason::code`]), or [`PERMISSION_DENIED`] for a 403.
    pub code: &'static str,
    /// The reason, `None` for a 403.
    pub reason: Option<Reason>,
    /// The RFC 6750 error: `None` without credentials, `"invalid_token"` for a refused token,
    /// `"insufficient_scope"` for a 403; `None` for 500 and 503.
    pub error: Option<&'static str>,
    /// The full explanation, for the server's log only (never sent, never contains the token).
    pub message: String,
    /// `Retry-After` seconds (503 only).
    pub retry_after_secs: Option<u32>,
    /// The missing permission of a 403.
    pub permission: Option<String>,
    /// Whether the client is told [`Refusal::code`] (and [`Refusal::permission`]).
    pub expose_reason: bool,
}

impl Refusal {
    /// The answer to a request refused with `error` (from [`crate::Verifier::verify_headers`],
    /// [`crate::Verifier::authorize`], [`crate::Verifier::token_from_headers`], ...).
    pub fn from_error(error: &VerifyError, options: RefusalOptions) -> Refusal {
        let reason = error.reason();
        let (status, rfc6750_error, retry_after_secs) = match reason {
            Reason::MissingToken => (401, None, None),
            Reason::KeySourceUnavailable => (
                503,
                None,
                Some(
                    error
                        .retry_after()
                        .map_or(options.retry_after_secs, whole_seconds_up),
                ),
            ),
            Reason::InternalError
            | Reason::PluginError
            | Reason::InvalidConfig
            | Reason::InsecureTransport => (500, None, None),
            _ => (401, Some("invalid_token"), None),
        };
        Refusal {
            status,
            code: reason.code(),
            reason: Some(reason),
            error: rfc6750_error,
            message: error.message().to_owned(),
            retry_after_secs,
            permission: None,
            expose_reason: options.expose_reason,
        }
    }

    /// 403 for a verified caller (`username`, when known) that lacks `permission`.
    pub fn permission_denied(
        permission: &str,
        username: Option<&str>,
        options: RefusalOptions,
    ) -> Refusal {
        let who = username.unwrap_or("the caller");
        Refusal {
            status: 403,
            code: PERMISSION_DENIED,
            reason: None,
            error: Some("insufficient_scope"),
            message: format!("{who} does not have the permission {permission:?}"),
            retry_after_secs: None,
            permission: Some(permission.to_owned()),
            expose_reason: options.expose_reason,
        }
    }

    /// Whether the request carried credentials (everything but `missing_token`).
    pub fn credentials_sent(&self) -> bool {
        self.reason != Some(Reason::MissingToken)
    }

    /// What the client is told (`error_description`): the code only when exposed.
    pub fn description(&self) -> String {
        if self.status == 403 {
            return match (&self.permission, self.expose_reason) {
                (Some(p), true) => format!("permission '{p}' is not granted"),
                _ => "permission denied".to_owned(),
            };
        }
        let base = match self.status {
            503 => "Teleport's signing keys are unavailable; retry later",
            500 => "the server could not check the credentials",
            _ if self.error.is_none() => "Teleport token required",
            _ => "Teleport token refused",
        };
        if self.expose_reason {
            format!("{base}: {}", self.code)
        } else {
            base.to_owned()
        }
    }

    /// The `WWW-Authenticate` challenge (401 and 403 only): `Bearer`, with `error` when
    /// credentials were sent and `error_description` when the reason is exposed.
    pub fn www_authenticate(&self) -> Option<String> {
        self.www_authenticate_with(&[])
    }

    /// [`Refusal::www_authenticate`] with `extra` auth-params (already formatted, e.g.
    /// `resource_metadata="https://..."`) after ours.
    pub fn www_authenticate_with(&self, extra: &[&str]) -> Option<String> {
        if self.status != 401 && self.status != 403 {
            return None;
        }
        let mut params: Vec<String> = Vec::new();
        if let Some(error) = self.error {
            params.push(format!("error=\"{error}\""));
            if self.expose_reason {
                params.push(format!(
                    "error_description=\"{}\"",
                    quoted_string(&self.description())
                ));
            }
        }
        params.extend(extra.iter().map(|p| (*p).to_owned()));
        Some(if params.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", params.join(", "))
        })
    }

    /// The response headers besides `Content-Length`, names in lower case: `content-type`,
    /// `cache-control`, the challenge, `retry-after` and, when exposed, `x-teleport-jwt-error`.
    /// Every value is visible ASCII.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("content-type", "application/json".to_owned()),
            ("cache-control", "no-store".to_owned()),
        ];
        if let Some(challenge) = self.www_authenticate() {
            out.push(("www-authenticate", challenge));
        }
        if let Some(secs) = self.retry_after_secs {
            out.push(("retry-after", secs.to_string()));
        }
        if self.expose_reason {
            out.push(("x-teleport-jwt-error", self.code.to_owned()));
        }
        out
    }

    /// The JSON body: `error` and `error_description` (OAuth style), and `reason` when exposed.
    /// `error` is the RFC 6750 error, else `unauthorized` (401 without credentials),
    /// `temporarily_unavailable` (503) or `server_error` (500).
    pub fn body(&self) -> String {
        let error = match (self.error, self.status) {
            (Some(e), _) => e,
            (None, 401) => "unauthorized",
            (None, 503) => "temporarily_unavailable",
            (None, _) => "server_error",
        };
        let mut body = serde_json::Map::new();
        body.insert("error".into(), error.into());
        body.insert("error_description".into(), self.description().into());
        if self.expose_reason {
            body.insert("reason".into(), self.code.into());
        }
        serde_json::Value::Object(body).to_string()
    }

    /// DEBUG for a request without credentials, INFO for a refused caller (401, 403), WARN
    /// for an outage (503), ERROR for a server fault (500).
    pub fn log_level(&self) -> log::Level {
        match self.status {
            503 => log::Level::Warn,
            500 => log::Level::Error,
            _ if !self.credentials_sent() => log::Level::Debug,
            _ => log::Level::Info,
        }
    }

    /// One log line (target `teleport_jwt::refusal`) with the full message, at
    /// [`Refusal::log_level`]; `context` says what was refused (e.g. `"GET /reports"`).
    pub fn log(&self, context: &str) {
        log::log!(
            target: "teleport_jwt::refusal",
            self.log_level(),
            "{context} refused ({} {}): {}",
            self.status,
            self.code,
            self.message
        );
    }
}

/// The inside of an RFC 9110 quoted-string: `\` and `"` escaped, anything that is not visible
/// ASCII or a space replaced by `?` (a header value cannot carry it).
fn quoted_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(reason: Reason, expose_reason: bool) -> Refusal {
        let options = RefusalOptions {
            expose_reason,
            ..RefusalOptions::default()
        };
        Refusal::from_error(&VerifyError::new(reason, "why"), options)
    }

    #[test]
    fn every_reason_has_one_status() {
        for reason in Reason::ALL {
            let r = refusal(reason, false);
            let expected = match reason.code() {
                "missing_token" => 401,
                "key_source_unavailable" => 503,
                "internal_error" | "plugin_error" | "invalid_config" | "insecure_transport" => 500,
                _ => 401,
            };
            assert_eq!(r.status, expected, "{reason}");
            assert_eq!(r.retry_after_secs.is_some(), r.status == 503, "{reason}");
            assert_eq!(r.www_authenticate().is_some(), r.status == 401, "{reason}");
            assert!(!r.body().contains(reason.code()), "{reason} is not exposed");
            assert!(r.headers().iter().all(|(_, v)| !v.contains(reason.code())));
        }
    }

    #[test]
    fn exposed_descriptions_are_quoted_and_ascii() {
        let opts = RefusalOptions {
            expose_reason: true,
            ..Default::default()
        };
        let r = Refusal::permission_denied("doc:\"ä\\", Some("alice"), opts);
        assert_eq!(
            r.www_authenticate().as_deref(),
            Some(
                r#"Bearer error="insufficient_scope", error_description="permission 'doc:\"?\\' is not granted""#
            )
        );
        let body: serde_json::Value = serde_json::from_str(&r.body()).unwrap();
        assert_eq!(
            body["error_description"],
            "permission 'doc:\"ä\\' is not granted"
        );
        assert_eq!(
            r.message,
            r#"alice does not have the permission "doc:\"ä\\""#
        );
    }

    #[test]
    fn retry_after_rounds_the_cooldown_up() {
        assert_eq!(whole_seconds_up(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds_up(Duration::from_secs(30)), 30);
        assert_eq!(whole_seconds_up(Duration::ZERO), 1);
    }
}
