//! `teleport_jwt.testing.MockTeleport`: the core's fake Teleport proxy.
//!
//! Each operation of the core's table (`teleport_jwt::api::MOCK_OPERATIONS`) is an ordinary
//! method here, in Python's conventions: a query without arguments is a property, `ca` comes
//! last with the default `"jwt"`, named enums are their names (`str`); each runs with the GIL
//! released. Starting, `mint(**spec)`, `sign_raw(..., ca=, key=)`, `set_failure(mode)` and
//! stopping are Python's own. `tests/test_parity.py` fails when an operation is missing.

use std::sync::{Arc, RwLock};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyTuple};
use teleport_jwt::mock::{Ca, Failure, KeyChoice, MintSpec, MockError, MockOptions, RotationPhase};
use teleport_jwt::{Algorithm, TokenKind};

use crate::convert::{from_kwargs, from_py};
use crate::errors::no_panic;

fn mock_err(e: MockError) -> PyErr {
    PyRuntimeError::new_err(format!("MockTeleport: {e}"))
}

/// A name the core's enum reads (`FromStr`), or `ValueError` listing the accepted ones.
fn named<T: std::str::FromStr<Err = teleport_jwt::VerifyError>>(
    name: &str,
    what: &str,
) -> PyResult<T> {
    name.parse().map_err(|e: teleport_jwt::VerifyError| {
        PyValueError::new_err(format!("{what}: {}", e.message()))
    })
}

/// A core enum by its name, as PyO3 gives a `str` argument: `ValueError` for an unknown one
/// (the message lists the accepted ones).
fn by_name<T: std::str::FromStr<Err = teleport_jwt::VerifyError>>(name: &str) -> PyResult<T> {
    name.parse()
        .map_err(|e: teleport_jwt::VerifyError| PyValueError::new_err(e.message().to_owned()))
}

/// A fake Teleport proxy on loopback HTTPS (its own CA: :attr:`ca_pem`), minting tokens
/// exactly as Teleport does.
///
/// A context manager: the server stops on exit (or :meth:`stop`); after that every method
/// but :attr:`running` and :meth:`stop` raises ``RuntimeError``. ``ca`` arguments name a
/// CA: ``"jwt"`` (classic JWTs) or ``"oidc"`` / ``"id_token"`` (ID tokens).
#[pyclass(frozen, module = "teleport_jwt.testing", name = "MockTeleport")]
pub(crate) struct MockTeleport {
    inner: RwLock<Option<Arc<teleport_jwt::mock::MockTeleport>>>,
}

impl MockTeleport {
    /// Runs `f` on the running mock with the GIL released.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&teleport_jwt::mock::MockTeleport) -> T + Send,
    ) -> PyResult<T> {
        let mock = self.get()?;
        Ok(py.detach(move || f(&mock)))
    }

    fn get(&self) -> PyResult<Arc<teleport_jwt::mock::MockTeleport>> {
        self.inner
            .read()
            .map_err(|_| PyRuntimeError::new_err("MockTeleport state is poisoned"))?
            .clone()
            .ok_or_else(|| PyRuntimeError::new_err("MockTeleport is stopped"))
    }
}

/// Python's own methods (starting, minting, signing, failures, stopping).
#[pymethods]
impl MockTeleport {
    /// Starts the server (with the GIL released). The keywords are the core's `MockOptions`:
    /// `id_token_algorithm="RS256"`, `cluster_name="teleport.example.com"`,
    /// `kid_in_tokens=True`, `publish_blank_kid_twin=True`, `ec_short_coordinate=False`.
    /// `ValueError` for an unknown algorithm, `TypeError` for an unknown keyword,
    /// `RuntimeError` when the server cannot start.
    #[new]
    #[pyo3(signature = (algorithm="RS256", **options))]
    fn new(py: Python<'_>, algorithm: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let options = options.cloned().unwrap_or_else(|| PyDict::new(py));
        options.set_item("algorithm", algorithm)?;
        let opts: MockOptions = from_kwargs(py, Some(&options), "MockTeleport")?;
        let mock = py
            .detach(|| no_panic(|| teleport_jwt::mock::MockTeleport::start_with(opts)))
            .map_err(PyRuntimeError::new_err)?
            .map_err(mock_err)?;
        Ok(MockTeleport {
            inner: RwLock::new(Some(Arc::new(mock))),
        })
    }

    /// Mints a token as Teleport makes it (compact JWS text).
    ///
    /// Unset: roles ``["access"]``, no traits, audience ``"mcp+http://127.0.0.1:8000/mcp"``,
    /// issued now. ``ttl`` and ``issued_at`` are seconds (``exp`` = ``iat`` + ``ttl``);
    /// ``kind`` ``"jwt"`` (= ``"teleport_jwt"``) or ``"id_token"``; ``include_kid`` None
    /// follows ``kid_in_tokens``. ``claims`` sets or replaces claims, ``remove_claims`` deletes
    /// some; ``headers`` / ``remove_headers`` do the same for the JWS header. The keywords
    /// are the core's ``MintSpec``; ``None`` is the default, a ``str`` is never a list.
    /// Raises ``ValueError`` for an unknown name (``kind``, ``jwt_claims``) or a negative
    /// ``ttl``, ``TypeError`` for an unknown keyword or a value of the wrong type,
    /// ``RuntimeError`` when the mock cannot mint.
    #[pyo3(signature = (**spec))]
    fn mint(&self, py: Python<'_>, spec: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
        let spec: MintSpec = from_kwargs(py, spec, "mint")?;
        if spec.kind == TokenKind::Generic {
            return Err(PyValueError::new_err(
                "kind: the mock mints \"jwt\" or \"id_token\" tokens",
            ));
        }
        self.get()?.mint(&spec).map_err(mock_err)
    }

    /// Signs exactly these header and payload JSON texts with ``ca``'s current (or next)
    /// key.
    #[pyo3(signature = (header_json, payload_json, *, ca="jwt", key="active"))]
    fn sign_raw(
        &self,
        header_json: &str,
        payload_json: &str,
        ca: &str,
        key: &str,
    ) -> PyResult<String> {
        let (ca, which) = (named::<Ca>(ca, "ca")?, named::<KeyChoice>(key, "key")?);
        self.get()?
            .sign_raw_with(ca, which, header_json, payload_json)
            .map_err(mock_err)
    }

    /// Fails every request until set back to ``None`` (or ``"none"``): serve normally.
    ///
    /// ``"refuse"`` refuses connections; ``"hang"`` holds each request unanswered (at most 30
    /// seconds); ``"garbage"`` answers 200 with bytes that are not JSON; an HTTP status
    /// (``500`` or ``("status", 500)``) answers with it; ``("oversized", n_bytes)`` answers a
    /// JSON body of that many bytes; ``("redirect", url)`` answers 302 to ``url``. The modes are
    /// the core's ``Failure`` by its serde names, a pair standing for ``{name: argument}``.
    #[pyo3(signature = (mode))]
    fn set_failure(&self, py: Python<'_>, mode: &Bound<'_, PyAny>) -> PyResult<()> {
        let form = PyDict::new(py);
        if let Ok((name, argument)) = mode.extract::<(String, Bound<'_, PyAny>)>() {
            form.set_item(name, argument)?;
        } else if mode.is_instance_of::<PyInt>() {
            form.set_item("status", mode)?;
        }
        let failure: Failure = if mode.is_none() {
            Failure::None
        } else if form.is_empty() {
            from_py(mode, "failure mode")?
        } else {
            from_py(form.as_any(), "failure mode")?
        };
        let m = self.get()?;
        py.detach(|| m.set_failure(failure));
        Ok(())
    }

    /// The same as :meth:`request_count_for_path`.
    fn request_count_for(&self, path: &str) -> PyResult<u64> {
        Ok(self.get()?.request_count_for(path))
    }

    /// Whether the server is still running.
    #[getter]
    fn running(&self) -> bool {
        self.inner.read().map(|g| g.is_some()).unwrap_or(false)
    }

    /// Stops the server and joins its threads. Idempotent.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self
            .inner
            .write()
            .map_err(|_| PyRuntimeError::new_err("MockTeleport state is poisoned"))?
            .take();
        if let Some(m) = taken {
            // Another thread may still hold a clone for a moment; the last drop stops it.
            py.detach(move || no_panic(move || drop(m)))
                .map_err(PyRuntimeError::new_err)?;
        }
        Ok(())
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.stop(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        match self.get() {
            Ok(m) => format!(
                "MockTeleport(proxy_url={:?}, cluster_name={:?})",
                m.proxy_url(),
                m.cluster_name()
            ),
            Err(_) => "MockTeleport(stopped)".to_owned(),
        }
    }
}

/// The operations of the core's table (`MOCK_OPERATIONS`), in its order.
#[pymethods]
impl MockTeleport {
    /// ``https://127.0.0.1:<port>``.
    #[getter]
    fn proxy_url(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |m| m.proxy_url())
    }

    /// The cluster name (``iss`` of classic tokens).
    #[getter]
    fn cluster_name(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |m| m.cluster_name())
    }

    /// ``iss`` of ID tokens (the proxy URL).
    #[getter]
    fn id_token_issuer(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |m| m.id_token_issuer())
    }

    /// PEM of the mock's TLS CA: pass it to the verifier as ``ca_pem=``.
    #[getter]
    fn ca_pem(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |m| m.ca_pem())
    }

    /// ``<proxy>/.well-known/jwks.json``.
    #[getter]
    fn jwks_url(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |m| m.jwks_url())
    }

    /// ``<proxy>/.well-known/jwks-oidc``.
    #[getter]
    fn jwks_oidc_url(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |m| m.jwks_oidc_url())
    }

    /// ``<proxy>/.well-known/openid-configuration``.
    #[getter]
    fn discovery_url(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |m| m.discovery_url())
    }

    /// The discovery document exactly as served now (JSON text).
    #[getter]
    fn discovery_json(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |m| m.discovery_json())
    }

    /// Requests received on every path since start (or :meth:`reset_counts`).
    #[getter]
    fn request_count(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |m| m.request_count())
    }

    /// Requests received on this path (query excluded), e.g. ``"/.well-known/jwks.json"``.
    fn request_count_for_path(&self, py: Python<'_>, path: &str) -> PyResult<u64> {
        self.with(py, |m| m.request_count_for(path))
    }

    /// Zeroes the request counters.
    fn reset_counts(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |m| m.reset_counts())
    }

    /// The JWKS ``ca`` serves now (JSON text).
    #[pyo3(signature = (ca = "jwt"))]
    fn jwks_json(&self, py: Python<'_>, ca: &str) -> PyResult<String> {
        let ca = named::<Ca>(ca, "ca")?;
        self.with(py, |m| m.jwks_json(ca))
    }

    /// The (non-blank) ``kid`` values ``ca`` publishes now, active key first.
    #[pyo3(signature = (ca = "jwt"))]
    fn key_ids(&self, py: Python<'_>, ca: &str) -> PyResult<Vec<String>> {
        let ca = named::<Ca>(ca, "ca")?;
        self.with(py, |m| m.key_ids(ca))
    }

    /// The ``kid`` of the key ``ca`` signs with now.
    #[pyo3(signature = (ca = "jwt"))]
    fn signing_key_id(&self, py: Python<'_>, ca: &str) -> PyResult<String> {
        let ca = named::<Ca>(ca, "ca")?;
        self.with(py, |m| m.signing_key_id(ca))
    }

    /// The algorithm of the key ``ca`` signs with now.
    #[pyo3(signature = (ca = "jwt"))]
    fn signing_algorithm(&self, py: Python<'_>, ca: &str) -> PyResult<&'static str> {
        let ca = named::<Ca>(ca, "ca")?;
        self.with(py, |m| m.signing_algorithm(ca).as_str())
    }

    /// The rotation phase of ``ca``.
    #[pyo3(signature = (ca = "jwt"))]
    fn rotation_phase(&self, py: Python<'_>, ca: &str) -> PyResult<&'static str> {
        let ca = named::<Ca>(ca, "ca")?;
        self.with(py, |m| m.rotation_phase(ca).as_str())
    }

    /// Moves ``ca`` to a rotation phase (entering one but standby makes a next key if none).
    #[pyo3(signature = (phase, ca = "jwt"))]
    fn set_rotation_phase(&self, py: Python<'_>, phase: &str, ca: &str) -> PyResult<()> {
        let phase = by_name::<RotationPhase>(phase)?;
        let ca = named::<Ca>(ca, "ca")?;
        self.with(py, |m| m.try_set_rotation_phase(ca, phase))?
            .map_err(mock_err)
    }

    /// Completes a rotation of ``ca`` (the next key becomes the only key).
    #[pyo3(signature = (ca = "jwt"))]
    fn complete_rotation(&self, py: Python<'_>, ca: &str) -> PyResult<()> {
        let ca = named::<Ca>(ca, "ca")?;
        self.with(py, |m| m.try_complete_rotation(ca))?
            .map_err(mock_err)
    }

    /// Replaces every key of ``ca`` at once (a rotation with grace period 0).
    #[pyo3(signature = (ca = "jwt"))]
    fn rotate_now(&self, py: Python<'_>, ca: &str) -> PyResult<()> {
        let ca = named::<Ca>(ca, "ca")?;
        self.with(py, |m| m.try_rotate_now(ca))?.map_err(mock_err)
    }

    /// The algorithm of keys generated for ``ca`` from now on (by a rotation or
    /// :meth:`rotate_now`), to simulate a signature suite change at rotation; keys already
    /// made keep theirs.
    #[pyo3(signature = (algorithm, ca = "jwt"))]
    fn set_next_algorithm(&self, py: Python<'_>, algorithm: &str, ca: &str) -> PyResult<()> {
        let algorithm = by_name::<Algorithm>(algorithm)?;
        let ca = named::<Ca>(ca, "ca")?;
        self.with(py, |m| m.set_next_algorithm(ca, algorithm))
    }

    /// Serves this ``issuer`` in the discovery document (``None`` restores the proxy URL),
    /// to test issuer mismatch.
    #[pyo3(signature = (issuer))]
    fn set_discovery_issuer_override(
        &self,
        py: Python<'_>,
        issuer: Option<String>,
    ) -> PyResult<()> {
        self.with(py, |m| m.set_discovery_issuer_override(issuer))
    }

    /// Serves this ``jwks_uri`` in the discovery document (``None`` restores the mock's
    /// own), to test what a verifier does with a discovered URL.
    #[pyo3(signature = (uri))]
    fn set_discovery_jwks_uri_override(&self, py: Python<'_>, uri: Option<String>) -> PyResult<()> {
        self.with(py, |m| m.set_discovery_jwks_uri_override(uri))
    }
}
