//! Python objects as the core's plug-ins. Each call acquires the GIL (the verifier calls them
//! from a thread that released it), and a Python exception or a wrong return type becomes a
//! core error: never a crash, never an exception escaping through Rust.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use teleport_jwt::policy::{mapper_error, PermissionMapper, Permissions};
use teleport_jwt::{
    FetchLimits, HttpFetcher, HttpResponse, Identity, KeySource, Reason, VerifyError,
};

use crate::convert::type_name;

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
                        type_name(&v)
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
    fn get(&self, url: &str, limits: &FetchLimits) -> Result<HttpResponse, VerifyError> {
        // Whatever goes wrong in the Python object is the plug-in's fault: `plugin_error`.
        self.get_text_error(url, limits)
            .map_err(|e| VerifyError::new(teleport_jwt::Reason::PluginError, e))
    }
}

impl PyHttpFetcher {
    fn get_text_error(&self, url: &str, limits: &FetchLimits) -> Result<HttpResponse, String> {
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

/// A Python object with `permissions(identity) -> Iterable[str] | Permissions`, as the core's
/// [`PermissionMapper`]. An exception, a coroutine (mappers are synchronous), a bare `str` or
/// anything but an iterable of `str` becomes [`mapper_error`] (`plugin_error`).
pub(crate) struct PyPermissionMapper {
    obj: Py<PyAny>,
    name: String,
}

impl PyPermissionMapper {
    pub(crate) fn new(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let callable = obj
            .getattr("permissions")
            .map(|m| m.is_callable())
            .unwrap_or(false);
        if !callable {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "a permission mapper must be a teleport_jwt.Policy or an object with \
                 permissions(identity) -> Iterable[str] | Permissions, not {}",
                type_name(obj)
            )));
        }
        Ok(PyPermissionMapper {
            obj: obj.clone().unbind(),
            name: type_name(obj),
        })
    }

    /// The mapper's type name, for messages.
    pub(crate) fn describe(&self) -> &str {
        &self.name
    }

    fn convert(&self, result: &Bound<'_, PyAny>) -> Result<Permissions, VerifyError> {
        if let Ok(p) = result.cast::<crate::permissions::Permissions>() {
            return Ok((*p.get().inner).clone());
        }
        let wrong = |what: String| {
            mapper_error(format!(
                "{}.permissions() returned {what}; return an iterable of str or a teleport_jwt.Permissions",
                self.name
            ))
        };
        let kind = type_name(result);
        if result.hasattr("__await__").unwrap_or(false) {
            // Close it, so Python does not warn that it was never awaited.
            let _ = result.call_method0("close");
            return Err(wrong(format!(
                "an awaitable ({kind}): permission mappers must be synchronous"
            )));
        }
        if result.is_instance_of::<PyString>() || result.is_instance_of::<PyBytes>() {
            return Err(wrong(format!("a single {kind}")));
        }
        let items = result.try_iter().map_err(|_| wrong(kind.clone()))?;
        let mut granted = Vec::new();
        for item in items {
            let item = item.map_err(|e| {
                mapper_error(format!(
                    "iterating what {}.permissions() returned raised {}",
                    self.name,
                    describe_exception(result.py(), &e)
                ))
            })?;
            match item.cast::<PyString>().ok().and_then(|s| s.to_str().ok()) {
                Some(s) => granted.push(s.to_owned()),
                None => return Err(wrong(format!("an iterable holding a {}", type_name(&item)))),
            }
        }
        Ok(Permissions::new(granted, std::iter::empty::<String>()))
    }
}

impl PermissionMapper for PyPermissionMapper {
    fn permissions(&self, identity: &Identity) -> Result<Permissions, VerifyError> {
        Python::attach(|py| {
            let id = crate::identity::Identity {
                inner: std::sync::Arc::new(identity.clone()),
            };
            let result = self
                .obj
                .bind(py)
                .call_method1("permissions", (id,))
                .map_err(|e| {
                    mapper_error(format!(
                        "{}.permissions() raised {}",
                        self.name,
                        describe_exception(py, &e)
                    ))
                })?;
            self.convert(&result)
        })
    }
}

/// A Python callable receiving the core's key events (`key_events=` option) as dicts: the
/// core's own serialized form, `{"event": "<snake_case variant>", "trust_entry": ..., ...}`
/// (see `teleport_jwt::events::KeyEvent`). Called on the fetching thread (with the GIL taken
/// there); what it raises is reported through `sys.unraisablehook`.
pub(crate) struct PyKeyEvents(pub(crate) Py<PyAny>);

impl teleport_jwt::events::KeyEvents for PyKeyEvents {
    fn on_event(&self, event: &teleport_jwt::events::KeyEvent) {
        Python::attach(|py| {
            let result = pythonize::pythonize(py, event)
                .map_err(PyErr::from)
                .and_then(|d| self.0.bind(py).call1((d,)).map(|_| ()));
            if let Err(e) = result {
                e.write_unraisable(py, Some(self.0.bind(py)));
            }
        });
    }
}
