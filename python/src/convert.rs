//! Argument conversions between Python and the core.

use std::borrow::Cow;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use serde::de::DeserializeOwned;
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
    Err(PyTypeError::new_err(format!(
        "{what} must be str or bytes, not {}",
        obj.get_type().name()?
    )))
}

/// The name of `obj`'s type, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
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

/// A dict, list, str, number, bool or None as a JSON value (e.g. a JWKS given as a dict).
pub(crate) fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    pythonize::depythonize(obj).map_err(|e| PyValueError::new_err(format!("not JSON: {e}")))
}

/// A JWKS document given as JSON text, UTF-8 bytes or a dict.
pub(crate) fn jwks_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Ok(text(obj, "jwks")?.into_owned());
    }
    Ok(to_json(obj)?.to_string())
}

/// A Python value as a core type, through its serde form. The value is read as JSON first, by
/// its Python types, so a `str` is never taken for a list of characters. An unknown member or
/// a value of the wrong type is a `TypeError`, any other refusal (an unknown name, a number
/// out of range) a `ValueError`; the message is serde's (an unknown member's or variant's
/// lists the known ones), after `what`.
pub(crate) fn from_py<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let json: serde_json::Value =
        pythonize::depythonize(obj).map_err(|e| PyTypeError::new_err(format!("{what}: {e}")))?;
    serde_json::from_value(json).map_err(|e| {
        let e = e.to_string();
        // serde's wording for `de::Error::unknown_field` and `invalid_type`.
        if e.starts_with("unknown field") || e.starts_with("invalid type") {
            PyTypeError::new_err(format!("{what}: {e}"))
        } else {
            PyValueError::new_err(format!("{what}: {e}"))
        }
    })
}

/// Keyword arguments as a core spec whose members all default ([`from_py`]); `None` counts
/// as not given.
pub(crate) fn from_kwargs<T: DeserializeOwned>(
    py: Python<'_>,
    kwargs: Option<&Bound<'_, PyDict>>,
    what: &str,
) -> PyResult<T> {
    let given = PyDict::new(py);
    for (k, v) in kwargs.into_iter().flat_map(|d| d.iter()) {
        if !v.is_none() {
            given.set_item(k, v)?;
        }
    }
    from_py(given.as_any(), what)
}

/// A string or a list of strings (e.g. `audience`).
pub(crate) fn one_or_many(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(vec![s.to_str()?.to_owned()]);
    }
    obj.extract::<Vec<String>>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a str or a list of str")))
}

/// Used where a core error is built from a binding-side check.
pub(crate) fn config_error(message: impl Into<String>) -> VerifyError {
    VerifyError::new(Reason::InvalidConfig, message)
}

/// Any iterable of `str` (a `from_py_with` argument: tools, granted permissions); a bare `str`
/// is refused (it would be its characters). PyO3 names the argument in a note of the
/// `TypeError`.
pub(crate) fn strings(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "must be an iterable of str, not a single str",
        ));
    }
    let iter = obj.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "must be an iterable of str, not {}",
            type_name(obj)
        ))
    })?;
    let mut out = Vec::new();
    for item in iter {
        let item = item?;
        let s = item.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!("must hold only str, not {}", type_name(&item)))
        })?;
        out.push(s.to_str()?.to_owned());
    }
    Ok(out)
}
