//! The core's `teleport_jwt::policy::resource_uri` (the URI a `resources/read` is checked on),
//! for `teleport_jwt._names`: the rule and its refusal codes are the core's.

use pyo3::prelude::*;
use teleport_jwt::policy::{self as core, UriRefusal};

/// What `resource_uri` answers: the checked URI (`str`), or why none can be named
/// (`(code, message)`).
#[derive(IntoPyObject)]
pub(crate) enum Checked {
    Uri(String),
    Refused((&'static str, String)),
}

/// The URI a read of ``uri`` is checked on (``teleport_jwt::policy::resource_uri``): decoded
/// as the MCP SDKs decode template parameters, scheme lower-cased; or ``(code, message)`` when
/// no permission can name it (an encoded ``/``, a ``..`` segment, a fragment or query, ...).
/// Use :func:`teleport_jwt.mcp.resource_read_permission`, which raises
/// :class:`teleport_jwt.mcp.ResourceUriRefused` instead.
#[pyfunction]
pub(crate) fn resource_uri(uri: &str) -> Checked {
    match core::resource_uri(uri) {
        Ok(checked) => Checked::Uri(checked),
        Err(e) => Checked::Refused((e.reason().code(), e.to_string())),
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
