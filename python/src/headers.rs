//! Request headers as Python gives them (a mapping, `(name, value)` pairs, or a WSGI environ),
//! read into the `(name, value)` pairs the core's header operations take.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString, PyTuple};

use crate::convert::text;

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
pub(crate) fn header_pairs(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
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
            PyTypeError::new_err("headers must be a mapping or an iterable of (name, value) pairs")
        })?;
        if pair.len() != 2 {
            return Err(PyTypeError::new_err(
                "each header must be a (name, value) pair",
            ));
        }
        let name = text(&pair.get_item(0)?, "a header name")?.into_owned();
        let value = text(&pair.get_item(1)?, "a header value")?.into_owned();
        pairs.push((name, value));
    }
    Ok(pairs)
}
