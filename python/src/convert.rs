//! Argument conversions between Python and the core.

use std::borrow::Cow;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString};
use serde_json::Value;
use teleport_jwt::{Reason, VerifyError};

use crate::errors;

/// A token or header value given as `str` (or UTF-8 `bytes`). Text that cannot be UTF-8 (a
/// lone surrogate) or bytes that are not UTF-8 are `malformed`, like invalid UTF-8 inside a
/// token; any other type is a `TypeError`.
pub(crate) fn text<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<Cow<'a, str>> {
    let py = obj.py();
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_str() {
            Ok(t) => Ok(Cow::Borrowed(t)),
            Err(_) => Err(errors::new(
                py,
                Reason::Malformed,
                format!("{what} is not valid Unicode text (it holds a lone surrogate)"),
            )),
        };
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return match std::str::from_utf8(b.as_bytes()) {
            Ok(t) => Ok(Cow::Owned(t.to_owned())),
            Err(_) => Err(errors::new(
                py,
                Reason::Malformed,
                format!("{what} (bytes) is not valid UTF-8"),
            )),
        };
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "{what} must be str or bytes, not {}",
        obj.get_type().name()?
    )))
}

/// A duration in seconds (int or float, finite, not negative); `invalid_config` otherwise.
pub(crate) fn seconds(py: Python<'_>, value: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        errors::new(
            py,
            Reason::InvalidConfig,
            format!("{what} must be a finite, non-negative number of seconds, not {value}"),
        )
    })
}

/// Any JSON-serialisable Python value (through the `json` module) to a JSON value.
pub(crate) fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let py = obj.py();
    let text: String = py
        .import("json")?
        .call_method1("dumps", (obj,))?
        .extract()?;
    serde_json::from_str(&text)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("not JSON: {e}")))
}

/// A JWKS document given as JSON text, UTF-8 bytes or a dict.
pub(crate) fn jwks_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Ok(text(obj, "jwks")?.into_owned());
    }
    Ok(to_json(obj)?.to_string())
}

/// A JSON value to the Python value `json.loads` would give.
pub(crate) fn from_json<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_json(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, from_json(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// A string or a list of strings (e.g. `audience`).
pub(crate) fn one_or_many(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(vec![s.to_str()?.to_owned()]);
    }
    obj.extract::<Vec<String>>().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(format!("{what} must be a str or a list of str"))
    })
}

/// Used where a core error is built from a binding-side check.
pub(crate) fn config_error(message: impl Into<String>) -> VerifyError {
    VerifyError::new(Reason::InvalidConfig, message)
}
