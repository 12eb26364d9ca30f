//! `Permissions`: what one identity may do (the core's `policy::Permissions`). Its own module
//! because both the policy (`policy.rs`) and the Python mappers (`plugins.rs`) build one.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyFrozenSet, PyList};
use teleport_jwt::policy as core;

use crate::convert::strings;

/// What one identity may do: granted permissions and globs, and the deny patterns that
/// apply (immutable; a deny always wins).
///
/// Built by ``Policy.permissions`` or a mapper, or directly:
/// ``Permissions(granted=["tool:read_*"], denied=["tool:read_secrets"])``.
#[pyclass(frozen, module = "teleport_jwt", name = "Permissions")]
pub(crate) struct Permissions {
    pub(crate) inner: Arc<core::Permissions>,
}

impl From<Arc<core::Permissions>> for Permissions {
    fn from(inner: Arc<core::Permissions>) -> Self {
        Permissions { inner }
    }
}

impl From<core::Permissions> for Permissions {
    fn from(inner: core::Permissions) -> Self {
        Permissions {
            inner: Arc::new(inner),
        }
    }
}

#[pymethods]
impl Permissions {
    /// Permissions from granted permissions or globs and deny patterns (default: none).
    ///
    /// Raises ``TypeError`` for a bare str or an item that is not a str.
    #[new]
    #[pyo3(signature = (granted=None, denied=None))]
    fn new(
        granted: Option<&Bound<'_, PyAny>>,
        denied: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let given = |v: Option<&Bound<'_, PyAny>>| v.map(strings).transpose();
        Ok(Permissions::from(core::Permissions::new(
            given(granted)?.unwrap_or_default(),
            given(denied)?.unwrap_or_default(),
        )))
    }

    /// The granted permissions and globs (concrete ones a deny matches left out).
    #[getter]
    fn granted<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyFrozenSet>> {
        PyFrozenSet::new(py, self.inner.granted())
    }

    /// The deny patterns that apply to this identity.
    #[getter]
    fn denied<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyFrozenSet>> {
        PyFrozenSet::new(py, self.inner.denied())
    }

    /// Indexes of rules that matched but granted nothing (over the expansion cap).
    #[getter]
    fn capped_rules(&self) -> Vec<usize> {
        self.inner.capped_rules().to_vec()
    }

    /// True when ``permission`` is granted (directly or by a granted glob) and no deny
    /// matches.
    fn allows(&self, permission: &str) -> bool {
        self.inner.allows(permission)
    }

    /// May this identity list and call the MCP tool ``tool`` (permission ``tool:<tool>``)?
    fn can_call_tool(&self, tool: &str) -> bool {
        self.inner.can_call_tool(tool)
    }

    /// The tools of ``tools`` this identity may list and call, in the order given.
    fn filter_tools(&self, #[pyo3(from_py_with = strings)] tools: Vec<String>) -> Vec<String> {
        self.inner.filter_tools(tools)
    }

    fn __bool__(&self) -> bool {
        !self.inner.is_empty()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Permissions>() {
            Ok(o) => self.inner == o.get().inner,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.granted().hash(&mut h);
        self.inner.denied().hash(&mut h);
        h.finish()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let granted = PyList::new(py, self.inner.granted())?.repr()?;
        let denied = PyList::new(py, self.inner.denied())?.repr()?;
        Ok(format!("Permissions(granted={granted}, denied={denied})"))
    }
}
