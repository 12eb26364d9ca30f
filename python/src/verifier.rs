//! `Verifier` and `TrustEntry`.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use teleport_jwt::api::HeaderPairs;
use teleport_jwt::clock::system_time_from_unix;
use teleport_jwt::{Clock, HeaderRule, HttpFetcher, KeysFrom, ManualClock, VerifierOptions};

use crate::convert::{config_error, jwks_text, one_or_many, seconds, text};
use crate::errors::{self, detached};
use crate::identity::Identity;
use crate::plugins::{PyHttpFetcher, PyKeySource};
use crate::policy::Permissions;

/// One trusted issuer: its `iss`, accepted audiences and where its keys come from.
#[pyclass(frozen, module = "teleport_jwt", name = "TrustEntry")]
#[derive(Clone)]
pub(crate) struct TrustEntry {
    inner: teleport_jwt::TrustEntry,
}

/// The entry with the options every constructor takes (`None`: the preset's default).
fn named(
    mut e: teleport_jwt::TrustEntry,
    name: Option<String>,
    require_iat: Option<bool>,
) -> teleport_jwt::TrustEntry {
    if let Some(n) = name {
        e = e.named(n);
    }
    if let Some(r) = require_iat {
        e.require_iat = r;
    }
    e
}

#[pymethods]
impl TrustEntry {
    /// A general entry: any issuer, with exactly one of `jwks` (JSON text or dict), `jwks_url`,
    /// `discovery_url` or `keys` (an object with `fetch_jwks() -> str | bytes`).
    #[new]
    #[pyo3(signature = (issuer, audience, *, jwks=None, jwks_url=None, discovery_url=None, keys=None, name=None, require_iat=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        issuer: String,
        audience: &Bound<'_, PyAny>,
        jwks: Option<&Bound<'_, PyAny>>,
        jwks_url: Option<String>,
        discovery_url: Option<String>,
        keys: Option<&Bound<'_, PyAny>>,
        name: Option<String>,
        require_iat: Option<bool>,
    ) -> PyResult<Self> {
        let audiences = one_or_many(audience, "audience")?;
        let given = [
            jwks.is_some(),
            jwks_url.is_some(),
            discovery_url.is_some(),
            keys.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            return Err(errors::to_py(
                py,
                &config_error(format!(
                    "trust entry {issuer:?}: give exactly one of jwks, jwks_url, discovery_url or keys ({given} given)"
                )),
            ));
        }
        let keys_from = if let Some(j) = jwks {
            KeysFrom::StaticJwks(jwks_text(j)?)
        } else if let Some(u) = jwks_url {
            KeysFrom::JwksUrl(u)
        } else if let Some(u) = discovery_url {
            KeysFrom::Discovery(u)
        } else if let Some(k) = keys {
            KeysFrom::Source(Arc::new(PyKeySource::new(k)?))
        } else {
            unreachable!("exactly one key source was checked above")
        };
        let entry = teleport_jwt::TrustEntry::new(issuer, audiences, keys_from);
        Ok(TrustEntry {
            inner: named(entry, name, require_iat),
        })
    }

    /// Classic Teleport JWTs of one cluster: `iss` = `cluster_name`, keys at
    /// `<proxy_url>/.well-known/jwks.json`.
    #[staticmethod]
    #[pyo3(signature = (proxy_url, cluster_name, audience, *, name=None, require_iat=None))]
    fn teleport_jwt(
        proxy_url: &str,
        cluster_name: String,
        audience: &Bound<'_, PyAny>,
        name: Option<String>,
        require_iat: Option<bool>,
    ) -> PyResult<Self> {
        let audiences = one_or_many(audience, "audience")?;
        let mut e = teleport_jwt::TrustEntry::teleport_jwt(proxy_url, cluster_name, "");
        e.audiences = audiences;
        Ok(TrustEntry {
            inner: named(e, name, require_iat),
        })
    }

    /// Teleport OIDC ID tokens: `iss` = `https://<proxy>`, keys through discovery.
    #[staticmethod]
    #[pyo3(signature = (proxy_url, audience, *, name=None, require_iat=None))]
    fn teleport_id_token(
        proxy_url: &str,
        audience: &Bound<'_, PyAny>,
        name: Option<String>,
        require_iat: Option<bool>,
    ) -> PyResult<Self> {
        let audiences = one_or_many(audience, "audience")?;
        let mut e = teleport_jwt::TrustEntry::teleport_id_token(proxy_url, "");
        e.audiences = audiences;
        Ok(TrustEntry {
            inner: named(e, name, require_iat),
        })
    }

    /// The entry's name (the issuer unless renamed).
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The exact `iss` this entry accepts.
    #[getter]
    fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The accepted audiences.
    #[getter]
    fn audiences(&self) -> Vec<String> {
        self.inner.audiences.clone()
    }

    /// Whether tokens must carry `iat` (true for ID tokens by default).
    #[getter]
    fn require_iat(&self) -> bool {
        self.inner.require_iat
    }

    /// `"teleport_jwt"`, `"id_token"` or `"generic"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.as_str()
    }

    fn __repr__(&self) -> String {
        format!(
            "TrustEntry(name={:?}, issuer={:?}, audiences={:?}, kind={:?})",
            self.inner.name,
            self.inner.issuer,
            self.inner.audiences,
            self.inner.kind.as_str()
        )
    }
}

/// The keyword options Python adds to the core's (`teleport_jwt::api::VERIFIER_OPTIONS`):
/// its plug-ins and the test clock.
const PLUGIN_OPTIONS: &[&str] = &["http_fetcher", "fixed_time", "permissions", "key_events"];

/// Every keyword option, for the error message on an unknown one.
fn option_names() -> String {
    teleport_jwt::api::VERIFIER_OPTIONS
        .iter()
        .map(|(name, _)| *name)
        .chain(PLUGIN_OPTIONS.iter().copied())
        .collect::<Vec<_>>()
        .join(", ")
}

type Fetcher = Option<Arc<dyn HttpFetcher>>;

/// What the keyword options configure besides `VerifierOptions`.
#[derive(Default)]
struct Plugins {
    fetcher: Fetcher,
    clock: Option<Arc<dyn Clock>>,
    mapper: Option<Arc<dyn teleport_jwt::policy::PermissionMapper>>,
    events: Option<Arc<dyn teleport_jwt::events::KeyEvents>>,
}

/// A core setting's value from a Python keyword argument (`name` for messages): a duration in
/// float seconds, a count, a switch, text, or header rules as their text.
trait FromKeyword: Sized {
    fn from_keyword(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Self>;
}

impl FromKeyword for Duration {
    fn from_keyword(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        seconds(value.py(), value.extract()?, name)
    }
}

/// Counts, switches and text (the CA bundle, optional in the core) as PyO3 extracts them.
macro_rules! extracted {
    ($($ty:ty),*) => {$(
        impl FromKeyword for $ty {
            fn from_keyword(value: &Bound<'_, PyAny>, _: &str) -> PyResult<Self> {
                value.extract()
            }
        }
    )*};
}

extracted!(usize, bool, Option<String>);

impl FromKeyword for Vec<HeaderRule> {
    fn from_keyword(value: &Bound<'_, PyAny>, _: &str) -> PyResult<Self> {
        let specs: Vec<String> = value.extract()?;
        specs
            .iter()
            .map(|s| HeaderRule::parse(s))
            .collect::<Result<_, _>>()
            .map_err(|e| errors::to_py(value.py(), &e))
    }
}

/// `set_setting` from the core's description of the settings.
macro_rules! py_settings {
    ($( $(#[$doc:meta])* $name:ident: $kind:ident => $($field:ident).+, )*) => {
        /// Sets the core setting named `name` (flattened: `cache_max_age`) to `value`; false
        /// when no setting has that name.
        fn set_setting(
            o: &mut VerifierOptions,
            name: &str,
            value: &Bound<'_, PyAny>,
        ) -> PyResult<bool> {
            match name {
                $( stringify!($name) => {
                    o.$($field).+ = FromKeyword::from_keyword(value, stringify!($name))?
                } )*
                _ => return Ok(false),
            }
            Ok(true)
        }
    };
}

teleport_jwt::describe_verifier_settings!(py_settings);

fn options_from(
    py: Python<'_>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<(VerifierOptions, Plugins)> {
    let mut o = VerifierOptions::default();
    let mut plugins = Plugins::default();
    let Some(kwargs) = kwargs else {
        return Ok((o, plugins));
    };
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        if value.is_none() || set_setting(&mut o, &key, &value)? {
            continue;
        }
        match key.as_str() {
            "http_fetcher" => plugins.fetcher = Some(Arc::new(PyHttpFetcher::new(&value)?)),
            "permissions" => plugins.mapper = Some(crate::policy::mapper_of(&value)?),
            "key_events" if value.is_callable() => {
                plugins.events = Some(Arc::new(crate::plugins::PyKeyEvents(
                    value.clone().unbind(),
                )))
            }
            "key_events" => {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "key_events must be a callable taking one dict",
                ))
            }
            "fixed_time" => {
                let at = system_time_from_unix(value.extract()?)
                    .map_err(|e| crate::errors::to_py(py, &e))?;
                let clock = ManualClock::at_unix(0);
                clock.set(at);
                plugins.clock = Some(Arc::new(clock));
            }
            other => {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "unexpected keyword argument {other:?}; options are {}",
                    option_names()
                )))
            }
        }
    }
    Ok((o, plugins))
}

/// Verifies Teleport tokens. Immutable and safe to share across threads and asyncio tasks;
/// create one per process (its key cache is what makes it fast and resilient).
#[pyclass(frozen, module = "teleport_jwt", name = "Verifier")]
pub(crate) struct Verifier {
    inner: teleport_jwt::Verifier,
}

fn build(
    py: Python<'_>,
    entries: Vec<teleport_jwt::TrustEntry>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Verifier> {
    let (options, plugins) = options_from(py, kwargs)?;
    let mut b = teleport_jwt::Verifier::builder().options(options);
    for e in entries {
        b = b.trust(e);
    }
    if let Some(f) = plugins.fetcher {
        b = b.http_fetcher(f);
    }
    if let Some(c) = plugins.clock {
        b = b.clock(c);
    }
    if let Some(m) = plugins.mapper {
        b = b.permission_mapper(m);
    }
    if let Some(e) = plugins.events {
        b = b.key_events(e);
    }
    // Building makes no fetch, but may load the system's trust store: no GIL needed.
    let inner = detached(py, move || b.build())?;
    Ok(Verifier { inner })
}

/// True for a WSGI environ (PEP 3333) or Django's `request.META`: a dict whose
/// `wsgi.multithread` is a bool. No request header can forge that: header values are text.
fn is_wsgi_environ(headers: &Bound<'_, PyAny>) -> PyResult<bool> {
    let Ok(d) = headers.cast::<PyDict>() else {
        return Ok(false);
    };
    Ok(d.get_item("wsgi.multithread")?
        .is_some_and(|v| v.is_instance_of::<PyBool>()))
}

/// The request headers of a WSGI environ: its `HTTP_*` entries, `HTTP_TELEPORT_JWT_ASSERTION`
/// read as `TELEPORT-JWT-ASSERTION` (header names compare case-insensitively). Every other
/// entry (CGI variables, `wsgi.*`, server objects) is not a header and is skipped. Repeated
/// headers arrive joined with commas, which the core reads as copies; a header sent with `_`
/// cannot be told from one with `-` here, so WSGI servers drop it (see `teleport_jwt::headers`).
fn environ_pairs(environ: &Bound<'_, PyDict>) -> PyResult<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for (k, v) in environ.iter() {
        let Ok(k) = k.cast::<PyString>() else {
            continue;
        };
        let Some(name) = k.to_str()?.strip_prefix("HTTP_") else {
            continue;
        };
        let value = text(&v, "a header value")?.into_owned();
        pairs.push((name.replace('_', "-"), value));
    }
    Ok(pairs)
}

/// `(name, value)` pairs from a mapping (its `items()`), an iterable of pairs, or a WSGI
/// environ (`request.META`, `request.environ`).
fn header_pairs(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    if is_wsgi_environ(headers)? {
        return environ_pairs(headers.cast::<PyDict>()?);
    }
    let items = if headers.hasattr("items")? {
        headers.call_method0("items")?
    } else {
        headers.clone()
    };
    let mut pairs = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        let pair = item.cast::<PyTuple>().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "headers must be a mapping or an iterable of (name, value) pairs",
            )
        })?;
        if pair.len() != 2 {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "each header must be a (name, value) pair",
            ));
        }
        let name = text(&pair.get_item(0)?, "a header name")?.into_owned();
        let value = text(&pair.get_item(1)?, "a header value")?.into_owned();
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Runs a core call on `token` (str or bytes) without the GIL, with `now` (Unix seconds,
/// range-checked) as the claims' time when given.
fn with_token<T: Send>(
    py: Python<'_>,
    token: &Bound<'_, PyAny>,
    now: Option<f64>,
    call: impl FnOnce(&str, Option<std::time::SystemTime>) -> Result<T, teleport_jwt::VerifyError>
        + Send,
) -> PyResult<T> {
    let token = text(token, "the token")?;
    let token: &str = &token;
    let at = now
        .map(system_time_from_unix)
        .transpose()
        .map_err(|e| errors::to_py(py, &e))?;
    detached(py, || call(token, at))
}

/// Runs a core call on the headers `header_pairs` read, without the GIL.
fn with_headers<T: Send>(
    py: Python<'_>,
    headers: &[(String, String)],
    call: impl FnOnce(&HeaderPairs<'_>) -> Result<T, teleport_jwt::VerifyError> + Send,
) -> PyResult<T> {
    detached(py, || call(&headers.iter().map(|(k, v)| (k, v)).collect()))
}

/// The awaitable of a method answered on the spot: a coroutine that returns `answer` (or
/// raises its error) when awaited, without a thread or an event-loop round trip
/// (`teleport_jwt._ready`; any event loop can await it).
fn ready<'py, T: IntoPyObject<'py>>(
    py: Python<'py>,
    answer: PyResult<T>,
) -> PyResult<Bound<'py, PyAny>> {
    static READY: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    let (value, error) = READY.get_or_try_init(py, || -> PyResult<_> {
        let ready = py.import("teleport_jwt._ready")?;
        Ok((
            ready.getattr("value")?.unbind(),
            ready.getattr("error")?.unbind(),
        ))
    })?;
    match answer {
        Ok(answer) => value.bind(py).call1((answer,)),
        Err(e) => error.bind(py).call1((e.into_value(py),)),
    }
}

/// The core's `try_` forms by operation name, for the awaitable forms below.
mod try_now {
    use super::*;

    pub(super) fn verify(
        v: &teleport_jwt::Verifier,
        token: &str,
    ) -> Option<Result<Arc<teleport_jwt::Identity>, teleport_jwt::VerifyError>> {
        v.try_verify(token)
    }

    pub(super) fn authorize(
        v: &teleport_jwt::Verifier,
        token: &str,
    ) -> Option<Result<teleport_jwt::Authorized, teleport_jwt::VerifyError>> {
        v.try_authorize(token)
    }

    pub(super) fn verify_headers(
        v: &teleport_jwt::Verifier,
        h: &HeaderPairs<'_>,
    ) -> Option<Result<Arc<teleport_jwt::Identity>, teleport_jwt::VerifyError>> {
        v.try_verify_headers(h)
    }

    pub(super) fn authorize_headers(
        v: &teleport_jwt::Verifier,
        h: &HeaderPairs<'_>,
    ) -> Option<Result<teleport_jwt::Authorized, teleport_jwt::VerifyError>> {
        v.try_authorize_headers(h)
    }

    /// Never waits.
    pub(super) fn token_from_headers(
        v: &teleport_jwt::Verifier,
        h: &HeaderPairs<'_>,
    ) -> Option<Result<String, teleport_jwt::VerifyError>> {
        Some(v.token_from_headers(h).map(str::to_owned))
    }
}

/// `asyncio.to_thread(slf.<method>, *args)`: the awaitable form of a method that has to wait
/// for a key fetch, or of any other described operation.
fn in_thread<'py>(
    slf: &Bound<'py, Verifier>,
    method: &str,
    mut args: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = slf.py();
    args.insert(0, slf.getattr(method)?);
    py.import("asyncio")?
        .getattr("to_thread")?
        .call1(PyTuple::new(py, args)?)
}

/// Python's methods from the core's description of the operations: each with its awaitable
/// `_async` form, a token operation with its `now=` argument (the core's `_at` form).
macro_rules! py_operations {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($input:ident)?) -> $out:ty $(, at $at:ident)? $(, map $map:ident)?;
    )*) => {$(
        py_operation! { [$(#[$doc])*] $name($($input)?) -> $out $(, at $at)? }
    )*};
}

/// One operation, by its input: a token (str or bytes), request headers (read on the caller's
/// thread, also for the awaitable form: the mapping may not be thread-safe), or nothing.
macro_rules! py_operation {
    ([$(#[$doc:meta])*] $name:ident(token) -> $out:ty, at $at:ident) => { pastey::paste! {
        #[pymethods]
        impl Verifier {
            $(#[$doc])*
            ///
            /// `token` is str or UTF-8 bytes. `now` (Unix seconds) pins the time of the claim
            /// checks, for recorded tokens and test vectors; servers leave it unset.
            #[pyo3(signature = (token, now=None))]
            fn $name(
                &self,
                py: Python<'_>,
                token: &Bound<'_, PyAny>,
                now: Option<f64>,
            ) -> PyResult<$out> {
                with_token(py, token, now, |token, now| match now {
                    None => self.inner.$name(token).map(Into::into),
                    Some(now) => self.inner.$at(token, now).map(Into::into),
                })
            }

            #[doc = "`await v." $name "_async(token)`: `" $name "` answered at once when its "
                "keys are cached (no thread hop), else in a worker thread with the GIL "
                "released, so the event loop never blocks, even while keys are fetched (a "
                "Python plug-in, such as a permission mapper, may run in either: it must be "
                "thread-safe and must not block)."]
            fn [<$name _async>]<'py>(
                slf: &Bound<'py, Self>,
                token: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let py = slf.py();
                let inner = slf.borrow().inner.clone();
                let answer = with_token(py, token, None, |token, _| {
                    Ok(try_now::$name(&inner, token))
                })?;
                match answer {
                    Some(answer) => ready(py, answer.map(<$out>::from).map_err(|e| errors::to_py(py, &e))),
                    None => in_thread(slf, stringify!($name), vec![token.clone()]),
                }
            }
        }
    }};
    ([$(#[$doc:meta])*] $name:ident(headers) -> $out:ty) => { pastey::paste! {
        #[pymethods]
        impl Verifier {
            $(#[$doc])*
            ///
            /// `headers`: any mapping, `(name, value)` pairs, or a WSGI environ (Django's
            /// `request.META`, Flask's `request.environ`), whose `HTTP_*` entries are its
            /// headers.
            fn $name(&self, py: Python<'_>, headers: &Bound<'_, PyAny>) -> PyResult<$out> {
                let headers = header_pairs(headers)?;
                with_headers(py, &headers, |h| self.inner.$name(h).map(Into::into))
            }

            #[doc = "`await v." $name "_async(headers)`: `" $name "` answered at once when "
                "its keys are cached, else in a worker thread; `headers` are read at the call, "
                "on the caller's thread (a Python plug-in may run in either: it must be "
                "thread-safe and must not block)."]
            fn [<$name _async>]<'py>(
                slf: &Bound<'py, Self>,
                headers: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let py = slf.py();
                let pairs = header_pairs(headers)?;
                let inner = slf.borrow().inner.clone();
                let answer = with_headers(py, &pairs, |h| Ok(try_now::$name(&inner, h)))?;
                match answer {
                    Some(answer) => ready(py, answer.map(<$out>::from).map_err(|e| errors::to_py(py, &e))),
                    None => in_thread(slf, stringify!($name), vec![pairs.into_bound_py_any(py)?]),
                }
            }
        }
    }};
    ([$(#[$doc:meta])*] $name:ident() -> $out:ty) => { pastey::paste! {
        #[pymethods]
        impl Verifier {
            $(#[$doc])*
            fn $name(&self, py: Python<'_>) -> PyResult<$out> {
                detached(py, || self.inner.$name().map(Into::into))
            }

            #[doc = "`await v." $name "_async()`: `" $name "` in a worker thread, so the event "
                "loop never blocks."]
            fn [<$name _async>]<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
                in_thread(slf, stringify!($name), vec![])
            }
        }
    }};
}

teleport_jwt::describe_verifier_operations!(py_operations);

#[pymethods]
impl Verifier {
    /// A verifier for one issuer of any kind: exactly one of `jwks`, `jwks_url`,
    /// `discovery_url` or `keys`; options as keyword arguments.
    #[new]
    #[pyo3(signature = (issuer, audience, *, jwks=None, jwks_url=None, discovery_url=None, keys=None, **options))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        issuer: String,
        audience: &Bound<'_, PyAny>,
        jwks: Option<&Bound<'_, PyAny>>,
        jwks_url: Option<String>,
        discovery_url: Option<String>,
        keys: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let entry = TrustEntry::new(
            py,
            issuer,
            audience,
            jwks,
            jwks_url,
            discovery_url,
            keys,
            None,
            None,
        )?;
        build(py, vec![entry.inner], options)
    }

    /// The classic Teleport JWT preset (`Teleport-Jwt-Assertion`).
    #[staticmethod]
    #[pyo3(signature = (proxy_url, cluster_name, audience, **options))]
    fn teleport_jwt(
        py: Python<'_>,
        proxy_url: &str,
        cluster_name: String,
        audience: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let e = TrustEntry::teleport_jwt(proxy_url, cluster_name, audience, None, None)?;
        build(py, vec![e.inner], options)
    }

    /// The Teleport OIDC ID token preset.
    #[staticmethod]
    #[pyo3(signature = (proxy_url, audience, **options))]
    fn teleport_id_token(
        py: Python<'_>,
        proxy_url: &str,
        audience: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let e = TrustEntry::teleport_id_token(proxy_url, audience, None, None)?;
        build(py, vec![e.inner], options)
    }

    /// Several trust entries at once; the token's `iss` picks the entry.
    #[staticmethod]
    #[pyo3(signature = (entries, **options))]
    fn from_entries(
        py: Python<'_>,
        entries: Vec<PyRef<'_, TrustEntry>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let entries = entries.iter().map(|e| e.inner.clone()).collect();
        build(py, entries, options)
    }

    /// A verifier sharing this one's trust entries, keys and options that maps identities
    /// with `permissions` (a `Policy` or any permission mapper), for `authorize`. No key is
    /// fetched again.
    fn with_permissions(&self, permissions: &Bound<'_, PyAny>) -> PyResult<Verifier> {
        let mapper = crate::policy::mapper_of(permissions)?;
        Ok(Verifier {
            inner: self.inner.with_permissions(mapper),
        })
    }

    /// True when `permissions=` (or `with_permissions`) configured a mapper.
    #[getter]
    fn has_permissions(&self) -> bool {
        self.inner.has_permissions()
    }

    /// Key fetches made so far (successful or not), over all trust entries.
    #[getter]
    fn key_fetch_count(&self) -> u64 {
        self.inner.key_fetch_count()
    }

    /// The counters and key-source state now (the core's `Verifier::stats`, as a dict with
    /// the Rust field names): `accepted`, `refused` (every reason code), `token_cache_hits`,
    /// `token_cache_misses` and `key_sources` (per trust entry: fetches, latency histogram,
    /// unknown-kid refetches, `serving_stale`, `keys_unavailable`, `failing_since`,
    /// `last_fetch_error`, `keys`).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.inner.stats())?)
    }

    /// The same as Prometheus metric families, `(name, help, type, samples)` with samples
    /// `(suffix, labels, value)`: what `teleport_jwt.prometheus` exports.
    #[allow(clippy::type_complexity)]
    fn metrics(
        &self,
    ) -> Vec<(
        &'static str,
        &'static str,
        &'static str,
        Vec<(&'static str, Vec<(&'static str, String)>, f64)>,
    )> {
        self.inner
            .stats()
            .metrics()
            .into_iter()
            .map(|f| (f.name, f.help, f.kind, f.samples))
            .collect()
    }

    /// The metrics in the Prometheus text exposition format.
    fn prometheus_text(&self) -> String {
        self.inner.stats().prometheus_text()
    }

    /// The trust entries, in configuration order.
    #[getter]
    fn trust_entries(&self) -> Vec<TrustEntry> {
        self.inner
            .trust_entries()
            .map(|e| TrustEntry { inner: e.clone() })
            .collect()
    }

    /// The header rules `verify_headers` follows, in order, e.g.
    /// `["Teleport-Jwt-Assertion", "Authorization: Bearer"]`.
    #[getter]
    fn header_rules(&self) -> Vec<String> {
        self.inner
            .options()
            .headers
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The clock-skew leeway in seconds.
    #[getter]
    fn leeway(&self) -> f64 {
        self.inner.options().leeway.as_secs_f64()
    }

    /// The longest token accepted, in bytes.
    #[getter]
    fn max_token_bytes(&self) -> usize {
        self.inner.options().max_token_bytes
    }

    fn __repr__(&self) -> String {
        let issuers: Vec<&str> = self
            .inner
            .trust_entries()
            .map(|e| e.issuer.as_str())
            .collect();
        format!("Verifier(issuers={issuers:?})")
    }
}

/// What `Verifier.authorize` returns: the verified identity and what the verifier's permission
/// mapper grants it (both shared with the verified-token cache).
#[pyclass(frozen, module = "teleport_jwt", name = "Authorized")]
pub(crate) struct Authorized {
    inner: teleport_jwt::Authorized,
}

impl From<teleport_jwt::Authorized> for Authorized {
    fn from(inner: teleport_jwt::Authorized) -> Self {
        Authorized { inner }
    }
}

#[pymethods]
impl Authorized {
    /// Who the token proves the caller is.
    #[getter]
    fn identity(&self) -> Identity {
        Identity {
            inner: self.inner.identity.clone(),
        }
    }

    /// What the mapper grants (and the denies that apply).
    #[getter]
    fn permissions(&self) -> Permissions {
        Permissions {
            inner: self.inner.permissions.clone(),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Authorized(username={:?}, granted={})",
            self.inner.identity.username,
            self.inner.permissions.granted().len()
        )
    }
}
