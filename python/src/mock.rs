//! `teleport_jwt.testing.MockTeleport`: the core's fake Teleport proxy.
//!
//! The operations the core describes for every language (`teleport_jwt::describe_mock_operations!`)
//! are generated here with their docs, in Python's conventions: a query without arguments is a
//! property, `ca` comes last with the default `"jwt"`, named enums are their names (`str`).
//! Starting, `mint(**spec)`, `sign_raw(..., ca=, key=)`, `set_failure(mode)` and stopping are
//! Python's own.

use std::sync::{Arc, RwLock};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyTuple};
use teleport_jwt::mock::{
    Ca, Failure, KeyChoice, MintSpec, MockError, MockOperations, MockOptions, RotationPhase,
};
use teleport_jwt::{Algorithm, TokenKind};

use crate::convert::{from_kwargs, from_py, PyArg, ToPy};
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

/// The core's errors as `RuntimeError`.
impl<T: ToPy> ToPy for Result<T, MockError> {
    fn to_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.map_err(mock_err)?.to_py(py)
    }
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

/// Python's own methods; those of the core's description follow (`py_mock_operations!`).
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
        let (ca, which) = (named::<Ca>(ca, "ca")?, named::<KeyChoice>(key, "key")?);
        self.get()?
            .sign_raw_with(ca, which, header_json, payload_json)
            .map_err(mock_err)
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

    /// Requests received on one path, e.g. `"/.well-known/jwks.json"` (the same as
    /// `request_count_for_path`).
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

/// Each operation of the description as a method in Python's conventions, in a `#[pymethods]`
/// block of its own (PyO3's `multiple-pymethods`), taken one at a time; each runs with the GIL
/// released.
macro_rules! py_mock_operations {
    () => {};
    // An operation with no output: `-> ()`, so that the arms below are one per shape.
    ($(#[$doc:meta])* fn $name:ident($($args:tt)*) $(= $core:ident)?; $($rest:tt)*) => {
        py_mock_operations! { $(#[$doc])* fn $name($($args)*) -> () $(= $core)?; $($rest)* }
    };
    // An action without arguments: a method.
    ($(#[$doc:meta])* fn $name:ident() -> () $(= $core:ident)?; $($rest:tt)*) => {
        #[pymethods]
        impl MockTeleport {
            $(#[$doc])*
            fn $name(&self, py: Python<'_>) -> PyResult<()> {
                let mock = self.get()?;
                py.detach(move || MockOperations::$name(&*mock)).to_py(py).map(drop)
            }
        }
        py_mock_operations! { $($rest)* }
    };
    // A query without arguments: a property.
    ($(#[$doc:meta])* fn $name:ident() -> $out:ty $(= $core:ident)?; $($rest:tt)*) => {
        #[pymethods]
        impl MockTeleport {
            $(#[$doc])*
            #[getter]
            fn $name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let mock = self.get()?;
                py.detach(move || MockOperations::$name(&*mock)).to_py(py)
            }
        }
        py_mock_operations! { $($rest)* }
    };
    // An operation on one CA: `ca` comes last, default "jwt".
    ($(#[$doc:meta])* fn $name:ident(ca: Ca $(, $arg:ident: $ty:ty)*) -> $out:ty $(= $core:ident)?; $($rest:tt)*) => {
        #[pymethods]
        impl MockTeleport {
            $(#[$doc])*
            #[pyo3(signature = ($($arg,)* ca = "jwt"))]
            fn $name<'py>(
                &self,
                py: Python<'py>,
                $(#[pyo3(from_py_with = <$ty as PyArg>::from_py)] $arg: $ty,)*
                ca: &str,
            ) -> PyResult<Bound<'py, PyAny>> {
                let (mock, ca) = (self.get()?, named::<Ca>(ca, "ca")?);
                py.detach(move || MockOperations::$name(&*mock, ca, $($arg),*))
                    .to_py(py)
            }
        }
        py_mock_operations! { $($rest)* }
    };
    // Any other operation: its arguments in order.
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $out:ty $(= $core:ident)?; $($rest:tt)*) => {
        #[pymethods]
        impl MockTeleport {
            $(#[$doc])*
            fn $name<'py>(
                &self,
                py: Python<'py>,
                $(#[pyo3(from_py_with = <$ty as PyArg>::from_py)] $arg: $ty),*
            ) -> PyResult<Bound<'py, PyAny>> {
                let mock = self.get()?;
                py.detach(move || MockOperations::$name(&*mock, $($arg),*))
                    .to_py(py)
            }
        }
        py_mock_operations! { $($rest)* }
    };
}

teleport_jwt::describe_mock_operations!(py_mock_operations);
