//! Protect an axum service (or any tower HTTP service) with Teleport tokens. Feature `axum`.
//!
//! ```no_run
//! # async fn run(verifier: teleport_jwt::Verifier) -> std::io::Result<()> {
//! use axum::{routing::get, Router};
//! use teleport_jwt::axum::{Caller, TeleportLayer};
//!
//! let app = Router::new()
//!     .route("/whoami", get(|Caller(me): Caller| async move { me.username.clone() }))
//!     .layer(TeleportLayer::new(verifier));          // every route behind it needs a token
//! axum::serve(tokio::net::TcpListener::bind("127.0.0.1:8000").await?, app).await
//! # }
//! ```
//!
//! [`TeleportLayer`] takes the token from the request by the verifier's header rules
//! ([`crate::headers`]: `Teleport-Jwt-Assertion`, then `Authorization: Bearer`, by default),
//! verifies it, or authorizes it when the verifier has a permission mapper
//! ([`crate::VerifierBuilder::permission_mapper`], [`crate::Verifier::with_permissions`]), and
//! puts the caller into the request's extensions for the handler: `Arc<Identity>` always,
//! [`Authorized`] when authorizing. Handlers read them with the extractors [`Caller`] and
//! [`Authorized`] (or `Option<Caller>` / `Option<Authorized>`). Anything downstream that sees
//! the `http::request::Parts`, such as an rmcp tool handler, finds them there too.
//!
//! A refused request never reaches the inner service: it is answered with the core's
//! [`Refusal`] (401 `WWW-Authenticate: Bearer` without credentials, 401 `invalid_token` for a
//! refused token, 503 with `Retry-After` when the keys are unavailable, 500 for a server fault;
//! see [`crate::refusal`]) and logged once with the full message (target
//! `teleport_jwt::refusal`, never the token). The reason code reaches the client only with
//! [`TeleportLayer::expose_reason`].
//!
//! **No worker thread waits for a key fetch.** The layer first asks
//! [`crate::Verifier::try_verify`] (or `try_authorize`), which answers on the spot whenever the
//! keys are at hand: a repeated token (about 0.3 µs), a new token with cached keys (its
//! signature check, 17 to 55 µs), and refusals that need no fetch, including a key endpoint
//! that failed less than a cooldown ago. Only when answering needs a fetch (the first request,
//! a rotated key, the first attempt after an outage's cooldown, or a fetch already in flight)
//! does the verification move to `tokio::task::spawn_blocking`, where it may block for up to
//! the fetch timeout. A panic in the verification (in practice: in your own permission
//! mapper) is answered as `internal_error` (500) instead of dropping the connection.
//!
//! What this module does not do: routing, CORS, rate limiting, or OAuth discovery documents
//! (Teleport, not the client, supplies the token). Per-request permissions beyond "who is it"
//! are the handler's: [`Authorized::require`] answers a missing one with 403
//! `insufficient_scope`.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_core::body::Body;
use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Request, StatusCode};

use crate::error::{Reason, VerifyError};
use crate::identity::Identity;
use crate::refusal::{Refusal, RefusalOptions};
use crate::verifier::{Authorized, Verifier};

/// A tower [`Layer`](tower_layer::Layer) that lets through only requests with a token the
/// verifier accepts. See the [module docs](self).
#[derive(Clone)]
#[must_use]
pub struct TeleportLayer {
    config: Arc<Config>,
}

struct Config {
    verifier: Verifier,
    options: RefusalOptions,
    allow_anonymous: bool,
}

impl fmt::Debug for TeleportLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeleportLayer")
            .field("options", &self.config.options)
            .field("allow_anonymous", &self.config.allow_anonymous)
            .finish_non_exhaustive()
    }
}

impl TeleportLayer {
    /// A layer that verifies with `verifier` (authorizes, when it has a permission mapper).
    /// Refusals keep the reason code to the log, and a 503 says `Retry-After:` the verifier's
    /// key-fetch cooldown ([`RefusalOptions::for_verifier`]).
    pub fn new(verifier: Verifier) -> Self {
        let options = RefusalOptions::for_verifier(&verifier);
        TeleportLayer {
            config: Arc::new(Config {
                verifier,
                options,
                allow_anonymous: false,
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut Config)) -> Self {
        let old = &self.config;
        let mut config = Config {
            verifier: old.verifier.clone(),
            options: old.options,
            allow_anonymous: old.allow_anonymous,
        };
        f(&mut config);
        TeleportLayer {
            config: Arc::new(config),
        }
    }

    /// Tells clients why their token was refused (the reason code in `WWW-Authenticate`, the
    /// body and `X-Teleport-Jwt-Error`). Off by default: see [`crate::refusal`].
    pub fn expose_reason(self, expose: bool) -> Self {
        self.with(|c| c.options.expose_reason = expose)
    }

    /// Replaces how refusals are worded ([`RefusalOptions`]: exposure, `Retry-After`).
    pub fn refusal_options(self, options: RefusalOptions) -> Self {
        self.with(|c| c.options = options)
    }

    /// Lets requests *without* credentials (`missing_token`) through, with no caller in their
    /// extensions: `Option<Caller>` is then `None`, and a handler that takes [`Caller`] answers
    /// 401 itself. A request with a token that is refused is still answered by the layer.
    pub fn allow_anonymous(self) -> Self {
        self.with(|c| c.allow_anonymous = true)
    }

    /// The verifier the layer uses.
    pub fn verifier(&self) -> &Verifier {
        &self.config.verifier
    }
}

impl<S> tower_layer::Layer<S> for TeleportLayer {
    type Service = TeleportService<S>;

    fn layer(&self, inner: S) -> TeleportService<S> {
        TeleportService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service [`TeleportLayer`] wraps around an inner service.
#[derive(Clone)]
pub struct TeleportService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> fmt::Debug for TeleportService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeleportService").finish_non_exhaustive()
    }
}

/// Set by the layer on every request it lets through: how to word refusals, and proof that a
/// layer ran (an extractor without one is a server mistake, not the caller's).
#[derive(Clone, Copy)]
struct Checked(RefusalOptions);

impl<S, B> tower_service::Service<Request<B>> for TeleportService<S>
where
    S: tower_service::Service<Request<B>> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service that was polled ready goes into the future; a clone stays behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match check(&config.verifier, &parts.headers).await {
                Ok(Passed::Verified(identity)) => {
                    parts.extensions.insert(identity);
                }
                Ok(Passed::Authorized(caller)) => {
                    parts.extensions.insert(caller.identity.clone());
                    parts.extensions.insert(caller);
                }
                Err(e) if e.reason() == Reason::MissingToken && config.allow_anonymous => {}
                Err(e) => {
                    let refusal = Refusal::from_error(&e, config.options);
                    refusal.log(&format!("{} {}", parts.method, parts.uri.path()));
                    return Ok(Rejection(refusal).into_response());
                }
            }
            parts.extensions.insert(Checked(config.options));
            let response = inner.call(Request::from_parts(parts, body)).await?;
            Ok(response.into_response())
        })
    }
}

enum Passed {
    Verified(Arc<Identity>),
    Authorized(Authorized),
}

/// The request's caller, verified without blocking the worker thread on a key fetch.
async fn check(verifier: &Verifier, headers: &HeaderMap) -> Result<Passed, VerifyError> {
    // Only the headers the rules name; a value that is not visible ASCII stays present (as
    // text that cannot be a token), so it is `malformed`, never a fall-through to the next rule.
    let rules = &verifier.options().headers;
    let named: Vec<(&str, Cow<'_, str>)> = headers
        .iter()
        .filter(|(name, _)| {
            rules
                .iter()
                .any(|r| r.name.eq_ignore_ascii_case(name.as_str()))
        })
        .map(|(name, value)| (name.as_str(), String::from_utf8_lossy(value.as_bytes())))
        .collect();
    let pairs: Vec<(&str, &str)> = named.iter().map(|(n, v)| (*n, v.as_ref())).collect();
    let token = verifier.token_from_headers(&pairs)?;
    let authorize = verifier.has_permissions();
    let now = catch_unwind(AssertUnwindSafe(|| {
        if authorize {
            verifier
                .try_authorize(token)
                .map(|r| r.map(Passed::Authorized))
        } else {
            verifier.try_verify(token).map(|r| r.map(Passed::Verified))
        }
    }));
    match now {
        Ok(Some(answer)) => answer,
        Ok(None) => {
            let verifier = verifier.clone();
            let token = token.to_owned();
            let blocking = tokio::task::spawn_blocking(move || {
                if authorize {
                    verifier.authorize(&token).map(Passed::Authorized)
                } else {
                    verifier.verify(&token).map(Passed::Verified)
                }
            });
            match blocking.await {
                Ok(answer) => answer,
                Err(e) => Err(panicked(&format!("{e}"))),
            }
        }
        Err(_) => Err(panicked("panicked")),
    }
}

fn panicked(what: &str) -> VerifyError {
    VerifyError::new(
        Reason::InternalError,
        format!("the verification of a request failed: {what} (a bug, or a panicking permission mapper)"),
    )
}

/// The verified caller, for a handler behind a [`TeleportLayer`]: derefs to its [`Identity`].
///
/// Rejects with 401 (`WWW-Authenticate: Bearer`) when the layer let an anonymous request
/// through ([`TeleportLayer::allow_anonymous`]), and with 500 when no layer is in front of the
/// handler (a server mistake, logged). `Option<Caller>` is `None` for an anonymous request.
#[derive(Debug, Clone)]
pub struct Caller(pub Arc<Identity>);

impl std::ops::Deref for Caller {
    type Target = Identity;
    fn deref(&self) -> &Identity {
        &self.0
    }
}

/// A refused request, as a response: the [`Refusal`]'s status, headers and JSON body. The
/// rejection of [`Caller`] and [`Authorized`], and the error of [`Authorized::require`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection(pub Refusal);

impl From<Refusal> for Rejection {
    fn from(refusal: Refusal) -> Self {
        Rejection(refusal)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.0.status, self.0.code, self.0.message)
    }
}

impl std::error::Error for Rejection {}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let refusal = self.0;
        let mut response = Response::new(Body::from(refusal.body()));
        *response.status_mut() =
            StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        for (name, value) in refusal.headers() {
            // Refusal's header names are lower-case literals and its values visible ASCII.
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

/// The answer of an extractor that found no caller.
fn no_caller(parts: &Parts, wanted: &str) -> Rejection {
    let refusal = match parts.extensions.get::<Checked>() {
        Some(Checked(options)) => Refusal::from_error(
            &VerifyError::new(
                Reason::MissingToken,
                "no token in the request (anonymous requests are let through to this handler)",
            ),
            *options,
        ),
        None => Refusal::from_error(
            &VerifyError::new(
                Reason::InvalidConfig,
                format!("{wanted} extracted, but no TeleportLayer is in front of this handler"),
            ),
            RefusalOptions::default(),
        ),
    };
    refusal.log(&format!("{} {}", parts.method, parts.uri.path()));
    Rejection(refusal)
}

/// Whether a missing caller means an anonymous request (`Ok`) or a missing layer (`Err`).
fn anonymous(parts: &Parts, wanted: &str) -> Result<(), Rejection> {
    if parts.extensions.get::<Checked>().is_some() {
        Ok(())
    } else {
        Err(no_caller(parts, wanted))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        match parts.extensions.get::<Arc<Identity>>() {
            Some(identity) => Ok(Caller(identity.clone())),
            None => Err(no_caller(parts, "Caller")),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Caller {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Rejection> {
        match parts.extensions.get::<Arc<Identity>>() {
            Some(identity) => Ok(Some(Caller(identity.clone()))),
            None => anonymous(parts, "Option<Caller>").map(|()| None),
        }
    }
}

/// The verified caller and its permissions, behind a [`TeleportLayer`] whose verifier has a
/// permission mapper. Without a mapper the rejection is 500 (`invalid_config`, logged): the
/// server asked for permissions it never configured.
impl<S: Send + Sync> FromRequestParts<S> for Authorized {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        match parts.extensions.get::<Authorized>() {
            Some(caller) => Ok(caller.clone()),
            None if parts.extensions.get::<Arc<Identity>>().is_some() => Err(without_mapper(parts)),
            None => Err(no_caller(parts, "Authorized")),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Authorized {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Rejection> {
        match parts.extensions.get::<Authorized>() {
            Some(caller) => Ok(Some(caller.clone())),
            None if parts.extensions.get::<Arc<Identity>>().is_some() => Err(without_mapper(parts)),
            None => anonymous(parts, "Option<Authorized>").map(|()| None),
        }
    }
}

fn without_mapper(parts: &Parts) -> Rejection {
    let refusal = Refusal::from_error(
        &VerifyError::new(
            Reason::InvalidConfig,
            "Authorized extracted, but the TeleportLayer's verifier has no permission mapper \
             (VerifierBuilder::permission_mapper or Verifier::with_permissions)",
        ),
        RefusalOptions::default(),
    );
    refusal.log(&format!("{} {}", parts.method, parts.uri.path()));
    Rejection(refusal)
}

impl Authorized {
    /// `Ok` when the caller holds `permission`, else the 403 `insufficient_scope` answer
    /// (logged). The response does not name the permission; to name it, build the rejection
    /// yourself: `Rejection(Refusal::permission_denied(perm, user, options))`.
    ///
    /// ```no_run
    /// use teleport_jwt::axum::Rejection;
    /// use teleport_jwt::Authorized;
    ///
    /// async fn delete_report(caller: Authorized) -> Result<&'static str, Rejection> {
    ///     caller.require("report:delete")?;
    ///     Ok("deleted")
    /// }
    /// ```
    pub fn require(&self, permission: &str) -> Result<(), Rejection> {
        if self.permissions.allows(permission) {
            return Ok(());
        }
        let refusal = Refusal::permission_denied(
            permission,
            Some(&self.identity.username),
            RefusalOptions::default(),
        );
        refusal.log("request");
        Err(Rejection(refusal))
    }
}
