//! The core's `teleport_jwt::policy::resource_uri` (the URI a `resources/read` is checked on),
//! for `teleport_jwt._names`: the rule and its refusal codes are the core's.

use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use teleport_jwt::policy::{self as core, UriRefusal};

/// The URI whose permission a read of `uri` needs, or `(code, message)` of why it is refused.
#[pyfunction]
pub(crate) fn resource_uri<'py>(py: Python<'py>, uri: &str) -> PyResult<Bound<'py, PyAny>> {
    match core::resource_uri(uri) {
        Ok(checked) => checked.into_bound_py_any(py),
        Err(e) => (e.reason().code(), e.to_string()).into_bound_py_any(py),
    }
}

pub(crate) fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let refusals: Vec<(&str, &str)> = UriRefusal::ALL
        .iter()
        .map(|r| (r.code(), r.describe()))
        .collect();
    m.add("RESOURCE_URI_REFUSALS", refusals)?;
    m.add("RESOURCE_PREFIX", core::RESOURCE_PREFIX)?;
    m.add_function(wrap_pyfunction!(resource_uri, m)?)
}
