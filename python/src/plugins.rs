//! Python objects as the core's plug-ins. Each call acquires the GIL (the verifier calls them
//! from a thread that released it), and a Python exception or a wrong return type becomes a
//! core error: never a crash, never an exception escaping through Rust.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use teleport_jwt::{FetchLimits, HttpFetcher, HttpResponse, KeySource, Reason, VerifyError};

/// `"TypeName: message"` of a Python exception.
fn describe_exception(py: Python<'_>, e: &PyErr) -> String {
    let name = e
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let value = e.value(py);
    let text = value
        .str()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if text.is_empty() {
        name
    } else {
        format!("{name}: {text}")
    }
}

/// Bytes from a `str` or `bytes` return value.
fn bytes_of(v: &Bound<'_, PyAny>) -> Option<Vec<u8>> {
    if let Ok(b) = v.cast::<PyBytes>() {
        return Some(b.as_bytes().to_vec());
    }
    if let Ok(s) = v.cast::<PyString>() {
        return s.to_str().ok().map(|t| t.as_bytes().to_vec());
    }
    None
}

/// A Python object with `fetch_jwks() -> str | bytes`, as a [`KeySource`].
pub(crate) struct PyKeySource {
    obj: Py<PyAny>,
    name: String,
}

impl PyKeySource {
    pub(crate) fn new(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        if !obj.hasattr("fetch_jwks")? {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "keys= must be an object with a fetch_jwks() method returning JWKS JSON (str or bytes)",
            ));
        }
        let name = obj
            .repr()
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "a Python key source".into());
        Ok(PyKeySource {
            obj: obj.clone().unbind(),
            name,
        })
    }
}

impl KeySource for PyKeySource {
    fn fetch_jwks(&self) -> Result<Vec<u8>, VerifyError> {
        Python::attach(|py| match self.obj.bind(py).call_method0("fetch_jwks") {
            Ok(v) => bytes_of(&v).ok_or_else(|| {
                VerifyError::new(
                    Reason::PluginError,
                    format!(
                        "key source {}: fetch_jwks() returned {}, not str or bytes",
                        self.name,
                        v.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ),
                )
            }),
            Err(e) => Err(VerifyError::new(
                Reason::KeySourceUnavailable,
                format!(
                    "key source {}: fetch_jwks() raised {}",
                    self.name,
                    describe_exception(py, &e)
                ),
            )),
        })
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// A Python object with `get(url, timeout, max_body_bytes) -> (status, body)`, as an
/// [`HttpFetcher`]. The core still checks the URL before and the status and size after.
pub(crate) struct PyHttpFetcher {
    obj: Py<PyAny>,
}

impl PyHttpFetcher {
    pub(crate) fn new(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        if !obj.hasattr("get")? {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "http_fetcher= must be an object with get(url, timeout, max_body_bytes) -> (status, body)",
            ));
        }
        Ok(PyHttpFetcher {
            obj: obj.clone().unbind(),
        })
    }
}

impl HttpFetcher for PyHttpFetcher {
    fn get(&self, url: &str, limits: &FetchLimits) -> Result<HttpResponse, String> {
        Python::attach(|py| {
            let args = (url, limits.timeout.as_secs_f64(), limits.max_body_bytes);
            let result =
                self.obj.bind(py).call_method1("get", args).map_err(|e| {
                    format!("http_fetcher.get raised {}", describe_exception(py, &e))
                })?;
            let (status, body): (Bound<'_, PyAny>, Bound<'_, PyAny>) = result
                .extract()
                .map_err(|_| "http_fetcher.get must return a (status, body) tuple".to_string())?;
            let status: u16 = status.extract().map_err(|_| {
                "http_fetcher.get returned a status that is not an HTTP status code".to_string()
            })?;
            let body = bytes_of(&body).ok_or_else(|| {
                "http_fetcher.get returned a body that is not bytes or str".to_string()
            })?;
            Ok(HttpResponse { status, body })
        })
    }
}
