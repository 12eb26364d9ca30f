//! Argument conversions between Python and the core.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;
use serde::de::DeserializeOwned;
use teleport_jwt::mock::RotationPhase;
use teleport_jwt::{Algorithm, Reason, TokenKind, VerifyError};

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

/// How Python gives an argument that the core's descriptions name by type: written once per
/// type, used as `#[pyo3(from_py_with = ...)]` by every method generated from them (policy,
/// mock).
pub(crate) trait PyArg: Sized {
    fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self>;
}

/// A `str`, and a `str` or any `os.PathLike`: as PyO3 extracts them.
macro_rules! py_arg_as_extracted {
    ($($ty:ty),*) => {$(
        impl PyArg for $ty {
            fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
                obj.extract()
            }
        }
    )*};
}
py_arg_as_extracted!(String, PathBuf);

/// `None` is absent.
impl<T: PyArg> PyArg for Option<T> {
    fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        (!obj.is_none()).then(|| T::from_py(obj)).transpose()
    }
}

/// The core's named enums by their names: `ValueError` for an unknown one (listing the
/// accepted ones), `TypeError` for anything but a `str`.
macro_rules! py_arg_by_name {
    ($($ty:ty),*) => {$(
        impl PyArg for $ty {
            fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
                obj.extract::<&str>()?
                    .parse()
                    .map_err(|e: VerifyError| PyValueError::new_err(e.message().to_owned()))
            }
        }
    )*};
}
py_arg_by_name!(Algorithm, RotationPhase);

/// Any iterable of `str`; a bare `str` is refused (it would be its characters). PyO3 names the
/// argument in a note of the `TypeError`.
impl PyArg for Vec<String> {
    fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
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
}

/// A core value as Python receives it, written once per type: every method and getter
/// generated from the core's descriptions (identity, policy, mock) converts its answers
/// through it.
pub(crate) trait ToPy {
    fn to_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

/// Writes `ToPy` for each `Type => |value, py| conversion;` of a table.
macro_rules! to_py {
    ($($ty:ty => |$v:ident, $py:ident| $body:expr;)*) => {$(
        impl $crate::convert::ToPy for $ty {
            fn to_py<'py>(self, $py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let $v = self;
                $body
            }
        }
    )*};
}

pub(crate) use to_py;

to_py! {
    bool => |v, py| v.into_bound_py_any(py);
    String => |v, py| v.into_bound_py_any(py);
    &String => |v, py| v.into_bound_py_any(py);
    &usize => |v, py| v.into_bound_py_any(py);
    Vec<String> => |v, py| v.into_bound_py_any(py);
    u64 => |v, py| v.into_bound_py_any(py);
    () => |v, py| v.into_bound_py_any(py);
    Option<String> => |v, py| v.into_bound_py_any(py);
    &i64 => |v, py| v.into_bound_py_any(py);
    &BTreeMap<String, Vec<String>> => |v, py| v.into_bound_py_any(py);
    // The core's named enums are their names (`"RS256"`, `"id_token"`, `"update_clients"`).
    Algorithm => |v, py| v.as_str().into_bound_py_any(py);
    &Algorithm => |v, py| v.as_str().into_bound_py_any(py);
    &TokenKind => |v, py| v.as_str().into_bound_py_any(py);
    RotationPhase => |v, py| v.as_str().into_bound_py_any(py);
}

/// An absent value is `None`.
impl<'a, T> ToPy for &'a Option<T>
where
    &'a T: ToPy,
{
    fn to_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(v) => v.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl<'a, T> ToPy for &'a Vec<T>
where
    &'a T: ToPy,
{
    fn to_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let items = self
            .iter()
            .map(|v| v.to_py(py))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.into_any())
    }
}
