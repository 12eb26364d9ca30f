//! `Verifier` and `Authorized`. Each operation of the core's verifier
//! (`teleport_jwt::api::VERIFIER_OPERATIONS`) is an ordinary method here, beside its awaitable
//! `_async` form; `tests/test_parity.py` fails when one is missing here or in the stub.

use std::time::SystemTime;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};
use pyo3::IntoPyObjectExt;
use teleport_jwt::clock::system_time_from_unix;
use teleport_jwt::VerifyError;

use crate::convert::text;
use crate::errors::{self, detached};
use crate::headers::header_pairs;
use crate::identity::Identity;
use crate::options::options_from;
use crate::permissions::Permissions;
use crate::trust_entry::TrustEntry;

/// Verifies Teleport tokens.
///
/// Immutable and safe to share across threads and asyncio tasks; create one per process (its
/// key cache is what makes it fast and resilient). Verification and key fetches run with the
/// GIL released. Every refusal is a ``tj.VerifyError`` subclass named after its reason code.
/// Keyword options (``leeway``, ``headers``, ``ca_pem``, ...) are listed by
/// ``help(tj.Verifier)``; unset ones take the core's defaults.
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

/// Runs a core call on `token` (str or bytes) without the GIL, with `now` (Unix seconds,
/// range-checked) as the claims' time when given.
fn with_token<T: Send>(
    py: Python<'_>,
    token: &Bound<'_, PyAny>,
    now: Option<f64>,
    call: impl FnOnce(&str, Option<SystemTime>) -> Result<T, VerifyError> + Send,
) -> PyResult<T> {
    let token = text(token, "the token")?;
    let token: &str = &token;
    let at = now
        .map(system_time_from_unix)
        .transpose()
        .map_err(|e| errors::to_py(py, &e))?;
    detached(py, || call(token, at))
}

/// Runs a core call on headers read by `header_pairs`, as the `(name, value)` pairs the core
/// takes, without the GIL.
fn with_headers<T: Send>(
    py: Python<'_>,
    headers: &[(String, String)],
    call: impl FnOnce(&[(&str, &str)]) -> Result<T, VerifyError> + Send,
) -> PyResult<T> {
    detached(py, || {
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        call(&pairs)
    })
}

/// The awaitable of an answer given on the spot: a coroutine that returns `answer` (or raises
/// its error) when awaited, without a thread or an event-loop round trip
/// (`teleport_jwt._ready`; any event loop can await it).
fn ready<'py, T: IntoPyObject<'py>>(
    py: Python<'py>,
    answer: Result<T, VerifyError>,
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
        Err(e) => error
            .bind(py)
            .call1((errors::to_py(py, &e).into_value(py),)),
    }
}

/// The awaitable form of the operation `method`: `now`, the core's answer without waiting
/// (its `try_` form), as a ready coroutine when there is one; else
/// `asyncio.to_thread(v.<method>, *args)`, which may wait for a key fetch in a worker thread.
fn awaitable<'py, T: IntoPyObject<'py>>(
    slf: &Bound<'py, Verifier>,
    now: Option<Result<T, VerifyError>>,
    method: &str,
    mut args: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = slf.py();
    if let Some(answer) = now {
        return ready(py, answer);
    }
    args.insert(0, slf.getattr(method)?);
    py.import("asyncio")?
        .getattr("to_thread")?
        .call1(PyTuple::new(py, args)?)
}

#[pymethods]
impl Verifier {
    /// A verifier for one issuer of any kind, with exactly one of ``jwks`` (JSON text, bytes
    /// or a dict), ``jwks_url``, ``discovery_url`` or ``keys``; options as keywords.
    /// (PyO3 shows no docstring of `__new__`: this one is for Rust readers and the stub.)
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

    /// The classic Teleport JWT preset (``Teleport-Jwt-Assertion``): ``iss`` =
    /// ``cluster_name``, keys at ``<proxy_url>/.well-known/jwks.json``.
    ///
    /// ``audience`` is the app's ``uri`` exactly as configured in Teleport. Options and errors
    /// as for ``Verifier(...)``.
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

    /// The Teleport OIDC ID token preset: ``iss`` = ``https://<proxy>`` (``:443``
    /// stripped), keys through OIDC discovery, ``iat`` required.
    ///
    /// Options and errors as for ``Verifier(...)``.
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

    /// Several trust entries at once; the token's ``iss`` picks the entry.
    ///
    /// A token from an issuer no entry names is refused (``tj.IssuerMismatch``) without any
    /// fetch. Raises ``tj.InvalidConfig`` for no entry or an issuer given twice; options and
    /// other errors as for ``Verifier(...)``.
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

    /// Verifies one token (str or UTF-8 bytes) and returns the identity it proves.
    ///
    /// ``now`` (Unix seconds) pins the time of the claim checks, for recorded tokens and test
    /// vectors; servers leave it unset. Runs with the GIL released, but may block while keys
    /// are fetched (each fetch at most ``fetch_timeout``): use :meth:`verify_async` in async
    /// code. Raises the ``tj.VerifyError`` subclass of its reason, e.g. ``tj.Expired``
    /// (``expired``), ``tj.BadSignature``, ``tj.AudienceMismatch``, ``tj.Malformed``,
    /// ``tj.TokenTooLarge``, ``tj.UnknownKey``, ``tj.KeySourceUnavailable``; ``TypeError``
    /// for a token that is not str or bytes.
    #[pyo3(signature = (token, now=None))]
    fn verify(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        now: Option<f64>,
    ) -> PyResult<Identity> {
        let v = &self.inner;
        with_token(py, token, now, |token, at| match at {
            None => v.verify(token),
            Some(at) => v.verify_at(token, at),
        })
        .map(Identity::from)
    }

    /// ``await v.verify_async(token)``: :meth:`verify`, answered at once when no key fetch
    /// is needed (a repeated token, cached keys, a refusal: no thread hop), else in a worker
    /// thread with the GIL released, so the event loop never blocks, even while keys are
    /// fetched, and a flood of tokens with made-up kids, which wait for a refetch, never
    /// holds up tokens whose keys are cached.
    fn verify_async<'py>(
        slf: &Bound<'py, Self>,
        token: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = &slf.get().inner;
        let now = with_token(slf.py(), token, None, |token, _| Ok(v.try_verify(token)))?;
        let now = now.map(|answer| answer.map(Identity::from));
        awaitable(slf, now, "verify", vec![token.clone()])
    }

    /// Verifies the token found in request headers, following the configured header rules
    /// (:attr:`header_rules`; the first rule whose header is present decides).
    ///
    /// ``headers``: a mapping, ``(name, value)`` pairs, or a WSGI environ (Django's
    /// ``request.META``, Flask's ``request.environ``). Raises ``tj.MissingToken``
    /// (``missing_token``) when no rule's header is present, ``tj.Malformed`` when it is
    /// present but unusable, and otherwise as :meth:`verify`.
    fn verify_headers(&self, py: Python<'_>, headers: &Bound<'_, PyAny>) -> PyResult<Identity> {
        let pairs = header_pairs(headers)?;
        with_headers(py, &pairs, |h| self.inner.verify_headers(h.iter().copied()))
            .map(Identity::from)
    }

    /// ``await v.verify_headers_async(headers)``: :meth:`verify_headers`, answered at once
    /// or in a worker thread as :meth:`verify_async`; ``headers`` are read at the call, on the
    /// caller's thread.
    fn verify_headers_async<'py>(
        slf: &Bound<'py, Self>,
        headers: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (py, v) = (slf.py(), &slf.get().inner);
        let pairs = header_pairs(headers)?;
        let now = with_headers(py, &pairs, |h| Ok(v.try_verify_headers(h.iter().copied())))?;
        let now = now.map(|answer| answer.map(Identity::from));
        awaitable(
            slf,
            now,
            "verify_headers",
            vec![pairs.into_bound_py_any(py)?],
        )
    }

    /// The token the header rules select from ``headers``, unverified (for middleware that
    /// hands it on).
    ///
    /// Raises ``tj.MissingToken`` or ``tj.Malformed`` as :meth:`verify_headers` would.
    fn token_from_headers(&self, py: Python<'_>, headers: &Bound<'_, PyAny>) -> PyResult<String> {
        let pairs = header_pairs(headers)?;
        with_headers(py, &pairs, |h| {
            self.inner.token_from_headers(h).map(str::to_owned)
        })
    }

    /// ``await v.token_from_headers_async(headers)``: :meth:`token_from_headers`, answered
    /// at once (it never waits for a key fetch: it is there so that every operation has an
    /// awaitable form).
    fn token_from_headers_async<'py>(
        slf: &Bound<'py, Self>,
        headers: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (py, v) = (slf.py(), &slf.get().inner);
        let pairs = header_pairs(headers)?;
        let now = with_headers(py, &pairs, |h| {
            Ok(v.token_from_headers(h).map(str::to_owned))
        })?;
        awaitable(slf, Some(now), "token_from_headers", vec![])
    }

    /// Verifies one token and maps its identity to permissions with the verifier's
    /// ``permissions=`` mapper.
    ///
    /// The answer is cached with the token (the mapper runs once per token); ``now`` as for
    /// :meth:`verify`. Raises ``tj.InvalidConfig`` (``invalid_config``) without a mapper,
    /// ``tj.PluginError`` (``plugin_error``) when the mapper fails, otherwise as :meth:`verify`.
    #[pyo3(signature = (token, now=None))]
    fn authorize(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        now: Option<f64>,
    ) -> PyResult<Authorized> {
        let v = &self.inner;
        with_token(py, token, now, |token, at| match at {
            None => v.authorize(token),
            Some(at) => v.authorize_at(token, at),
        })
        .map(Authorized::from)
    }

    /// ``await v.authorize_async(token)``: :meth:`authorize`, answered at once or in a
    /// worker thread as :meth:`verify_async` (a Python mapper may run in either, so it must be
    /// thread-safe and must not block).
    fn authorize_async<'py>(
        slf: &Bound<'py, Self>,
        token: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = &slf.get().inner;
        let now = with_token(slf.py(), token, None, |token, _| Ok(v.try_authorize(token)))?;
        let now = now.map(|answer| answer.map(Authorized::from));
        awaitable(slf, now, "authorize", vec![token.clone()])
    }

    /// :meth:`authorize` with the token the header rules find in ``headers`` (errors as
    /// :meth:`verify_headers` and :meth:`authorize`).
    fn authorize_headers(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyAny>,
    ) -> PyResult<Authorized> {
        let pairs = header_pairs(headers)?;
        with_headers(py, &pairs, |h| {
            self.inner.authorize_headers(h.iter().copied())
        })
        .map(Authorized::from)
    }

    /// ``await v.authorize_headers_async(headers)``: :meth:`authorize_headers`, answered at
    /// once or in a worker thread as :meth:`verify_async`; ``headers`` are read at the call,
    /// a Python mapper must be thread-safe and must not block.
    fn authorize_headers_async<'py>(
        slf: &Bound<'py, Self>,
        headers: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (py, v) = (slf.py(), &slf.get().inner);
        let pairs = header_pairs(headers)?;
        let now = with_headers(py, &pairs, |h| {
            Ok(v.try_authorize_headers(h.iter().copied()))
        })?;
        let now = now.map(|answer| answer.map(Authorized::from));
        awaitable(
            slf,
            now,
            "authorize_headers",
            vec![pairs.into_bound_py_any(py)?],
        )
    }

    /// Fetches every trust entry's keys now (a start-up check) instead of on first use.
    ///
    /// Blocks for the fetches, with the GIL released. Raises the fetch's error, usually
    /// ``tj.KeySourceUnavailable`` (``key_source_unavailable``).
    fn warm_up(&self, py: Python<'_>) -> PyResult<()> {
        detached(py, || self.inner.warm_up())
    }

    /// ``await v.warm_up_async()``: :meth:`warm_up` in a worker thread, so the event loop
    /// never blocks while the keys are fetched (a start-up check in async applications).
    fn warm_up_async<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        awaitable::<()>(slf, None, "warm_up", vec![])
    }

    /// A verifier sharing this one's trust entries, keys and options that maps identities
    /// with ``permissions`` (a ``Policy`` or any permission mapper), for :meth:`authorize`.
    ///
    /// No key is fetched again. Raises ``TypeError`` for an object without ``permissions()``.
    fn with_permissions(&self, permissions: &Bound<'_, PyAny>) -> PyResult<Verifier> {
        let mapper = crate::policy::mapper_of(permissions)?;
        Ok(Verifier {
            inner: self.inner.with_permissions(mapper),
        })
    }

    /// True when ``permissions=`` (or :meth:`with_permissions`) configured a mapper.
    #[getter]
    fn has_permissions(&self) -> bool {
        self.inner.has_permissions()
    }

    /// Key fetches made so far (successful or not), over all trust entries.
    #[getter]
    fn key_fetch_count(&self) -> u64 {
        self.inner.key_fetch_count()
    }

    /// The counters and key-source state now, with the Rust field names.
    ///
    /// ``accepted``, ``refused`` (every reason code, zeros included), ``token_cache_hits``,
    /// ``token_cache_misses``, the policy's decisions (``permission_mappings``,
    /// ``policy_capped_rules``, ``permission_checks_allowed``, ``permission_checks_denied``:
    /// checks on permissions :meth:`authorize` returned) and ``key_sources``: per trust entry
    /// ``trust_entry``, ``source``, ``fetches_ok``, ``fetches_failed``,
    /// ``fetch_duration_buckets`` (cumulative, last is +Inf), ``fetch_duration_sum``
    /// (seconds), ``unknown_kid_refetches``, ``serving_stale`` (fetches fail, the last good
    /// keys still verify), ``keys_unavailable`` (fetches fail and no usable keys are left:
    /// tokens are refused), ``failing_since`` (Unix seconds or None), ``last_fetch_error``,
    /// ``keys_age_seconds`` (None before the first fetch) and ``keys`` (``{"kid",
    /// "algorithm"}``). Never waits for a key fetch.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        Ok(pythonize::pythonize(py, &self.inner.stats())?.cast_into::<PyDict>()?)
    }

    /// The same as Prometheus metric families: ``(name, help, type, samples)``, each
    /// sample ``(suffix, labels, value)``; what :mod:`teleport_jwt.prometheus` exports.
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

    /// The metrics in the Prometheus text exposition format (version 0.0.4).
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

    /// The header rules :meth:`verify_headers` follows, in order; by default
    /// ``["Teleport-Jwt-Assertion", "Authorization: Bearer"]``.
    #[getter]
    fn header_rules(&self) -> Vec<String> {
        self.inner
            .options()
            .headers
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The clock-skew leeway on ``exp``, ``nbf`` and ``iat``, in seconds (default 60).
    #[getter]
    fn leeway(&self) -> f64 {
        self.inner.options().leeway.as_secs_f64()
    }

    /// The longest token accepted, in bytes (default 16384); longer: ``tj.TokenTooLarge``.
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

/// What :meth:`Verifier.authorize` returns: the verified identity and what the verifier's
/// permission mapper grants it (both shared with the verified-token cache).
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
        Identity::from(self.inner.identity.clone())
    }

    /// What the mapper grants (and the denies that apply).
    #[getter]
    fn permissions(&self) -> Permissions {
        Permissions::from(self.inner.permissions.clone())
    }

    fn __repr__(&self) -> String {
        format!(
            "Authorized(username={:?}, granted={})",
            self.inner.identity.username,
            self.inner.permissions.granted().len()
        )
    }
}
