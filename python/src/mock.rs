//! `teleport_jwt.testing.MockTeleport`: the core's fake Teleport proxy.

use std::sync::{Arc, RwLock};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyTuple};
use teleport_jwt::mock::{Ca, Failure, KeyChoice, MintSpec, MockError, MockOptions, RotationPhase};
use teleport_jwt::TokenKind;

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

fn ca(name: &str) -> PyResult<Ca> {
    named(name, "ca")
}

/// A fake Teleport proxy on loopback HTTPS (its own CA: `ca_pem`), minting tokens exactly as
/// Teleport does. A context manager: the server stops on exit (or `stop()`).
#[pyclass(frozen, module = "teleport_jwt.testing", name = "MockTeleport")]
pub(crate) struct MockTeleport {
    inner: RwLock<Option<Arc<teleport_jwt::mock::MockTeleport>>>,
}

impl MockTeleport {
    fn get(&self) -> PyResult<Arc<teleport_jwt::mock::MockTeleport>> {
        self.inner
            .read()
            .map_err(|_| PyRuntimeError::new_err("MockTeleport state is poisoned"))?
            .clone()
            .ok_or_else(|| PyRuntimeError::new_err("MockTeleport is stopped"))
    }
}

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

    /// `https://127.0.0.1:<port>`.
    #[getter]
    fn proxy_url(&self) -> PyResult<String> {
        Ok(self.get()?.proxy_url())
    }

    /// The cluster name (`iss` of classic tokens).
    #[getter]
    fn cluster_name(&self) -> PyResult<String> {
        Ok(self.get()?.cluster_name())
    }

    /// `iss` of ID tokens (the proxy URL).
    #[getter]
    fn id_token_issuer(&self) -> PyResult<String> {
        Ok(self.get()?.id_token_issuer())
    }

    /// PEM of the mock's TLS CA: pass it as `ca_pem=`.
    #[getter]
    fn ca_pem(&self) -> PyResult<String> {
        Ok(self.get()?.ca_pem())
    }

    /// `<proxy>/.well-known/jwks.json`.
    #[getter]
    fn jwks_url(&self) -> PyResult<String> {
        Ok(self.get()?.jwks_url())
    }

    /// `<proxy>/.well-known/jwks-oidc`.
    #[getter]
    fn jwks_oidc_url(&self) -> PyResult<String> {
        Ok(self.get()?.jwks_oidc_url())
    }

    /// `<proxy>/.well-known/openid-configuration`.
    #[getter]
    fn discovery_url(&self) -> PyResult<String> {
        Ok(self.get()?.discovery_url())
    }

    /// Mints a token as Teleport makes it. The keywords are the core's `MintSpec`, each
    /// optional (None = unset): `username="alice"`, `roles=["access"]`, `traits={}`,
    /// `audience="mcp+http://127.0.0.1:8000/mcp"` (a str or a list), `ttl=300` and
    /// `issued_at` (Unix seconds, default now) in seconds, `kind="jwt"` or `"id_token"`,
    /// `jwt_claims="roles_and_traits"`, `include_kid` (None follows `kid_in_tokens`);
    /// `claims` sets or replaces claims, `remove_claims` deletes some, `headers` /
    /// `remove_headers` do the same for the JWS header. `ValueError` for an unknown name,
    /// `TypeError` for an unknown keyword or a value of the wrong type.
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

    /// Signs exactly these header and payload JSON texts with the CA's current (or next) key.
    #[pyo3(signature = (header_json, payload_json, *, ca="jwt", key="active"))]
    fn sign_raw(
        &self,
        header_json: &str,
        payload_json: &str,
        ca: &str,
        key: &str,
    ) -> PyResult<String> {
        let which: KeyChoice = named(key, "key")?;
        self.get()?
            .sign_raw_with(self::ca(ca)?, which, header_json, payload_json)
            .map_err(mock_err)
    }

    /// The JWKS `ca` serves now (JSON text).
    #[pyo3(signature = (ca="jwt"))]
    fn jwks_json(&self, ca: &str) -> PyResult<String> {
        Ok(self.get()?.jwks_json(self::ca(ca)?))
    }

    /// The `kid`s `ca` publishes now, signing key first.
    #[pyo3(signature = (ca="jwt"))]
    fn key_ids(&self, ca: &str) -> PyResult<Vec<String>> {
        Ok(self.get()?.key_ids(self::ca(ca)?))
    }

    /// The `kid` of the key `ca` signs with now.
    #[pyo3(signature = (ca="jwt"))]
    fn signing_key_id(&self, ca: &str) -> PyResult<String> {
        Ok(self.get()?.signing_key_id(self::ca(ca)?))
    }

    /// The rotation phase of `ca`.
    #[pyo3(signature = (ca="jwt"))]
    fn rotation_phase(&self, ca: &str) -> PyResult<&'static str> {
        Ok(self.get()?.rotation_phase(self::ca(ca)?).as_str())
    }

    /// Moves `ca` to a rotation phase: standby, init, update_clients, update_servers, rollback.
    #[pyo3(signature = (phase, ca="jwt"))]
    fn set_rotation_phase(&self, py: Python<'_>, phase: &str, ca: &str) -> PyResult<()> {
        let (m, p, c) = (
            self.get()?,
            named::<RotationPhase>(phase, "phase")?,
            self::ca(ca)?,
        );
        py.detach(|| m.try_set_rotation_phase(c, p))
            .map_err(mock_err)
    }

    /// Completes a rotation of `ca` (the next key becomes the only key).
    #[pyo3(signature = (ca="jwt"))]
    fn complete_rotation(&self, py: Python<'_>, ca: &str) -> PyResult<()> {
        let (m, c) = (self.get()?, self::ca(ca)?);
        py.detach(|| m.try_complete_rotation(c)).map_err(mock_err)
    }

    /// Replaces every key of `ca` at once (a rotation with grace period 0).
    #[pyo3(signature = (ca="jwt"))]
    fn rotate_now(&self, py: Python<'_>, ca: &str) -> PyResult<()> {
        let (m, c) = (self.get()?, self::ca(ca)?);
        py.detach(|| m.try_rotate_now(c)).map_err(mock_err)
    }

    /// Fails every request: `None` (serve normally), `"refuse"`, `"hang"`, `"garbage"`, an
    /// HTTP status (`500` or `("status", 500)`), `("oversized", n_bytes)` or `("redirect",
    /// url)`: the core's `Failure` by its serde names, a pair standing for `{name: argument}`.
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

    /// Requests received on every path since start (or `reset_counts()`).
    #[getter]
    fn request_count(&self) -> PyResult<u64> {
        Ok(self.get()?.request_count())
    }

    /// Requests received on one path, e.g. `"/.well-known/jwks.json"`.
    fn request_count_for(&self, path: &str) -> PyResult<u64> {
        Ok(self.get()?.request_count_for(path))
    }

    /// Zeroes the request counters.
    fn reset_counts(&self) -> PyResult<()> {
        self.get()?.reset_counts();
        Ok(())
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
