//! Permissions: the core's `teleport_jwt::policy` as Python objects. `Policy` loads and
//! evaluates rules, `Permissions` is one identity's result, `Explanation` says why, and
//! `PermissionMapper` runs any mapper (a `Policy`, or a Python object with `permissions()`)
//! through the core's `PermissionMapper` trait. Every decision is the core's; evaluation is a
//! few microseconds and cannot fail, so it runs with the GIL held.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyFrozenSet, PyList, PyString};
use teleport_jwt::policy::{self as core, PolicyFormat};
use teleport_jwt::{Reason, VerifyError};

use crate::convert::type_name;
use crate::errors::{self, detached, guarded, IntoPyErr};
use crate::identity::Identity;
use crate::plugins::PyPermissionMapper;

/// A core `PolicyError` as `InvalidConfig`, with `line` and `column` set when known.
impl IntoPyErr for core::PolicyError {
    fn into_py_err(self, py: Python<'_>) -> PyErr {
        let err = errors::to_py(py, &VerifyError::from(self.clone()));
        let value = err.value(py);
        // The attributes are a convenience: the message already carries the position.
        let _ = value.setattr("line", self.line());
        let _ = value.setattr("column", self.column());
        err
    }
}

/// Strings from any iterable of `str` (a bare `str` is refused: it would be its characters).
fn strings(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an iterable of str, not a single str"
        )));
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be an iterable of str, not {}",
            type_name(obj)
        ))
    })? {
        let item = item?;
        let s = item.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "{what} must hold only str, not {}",
                type_name(&item)
            ))
        })?;
        out.push(s.to_str()?.to_owned());
    }
    Ok(out)
}

fn frozenset<'py>(
    py: Python<'py>,
    items: &std::collections::BTreeSet<String>,
) -> PyResult<Bound<'py, PyFrozenSet>> {
    PyFrozenSet::new(py, items)
}

/// What one identity may do: granted permissions and globs, and the deny patterns that apply.
/// Immutable. Built by `Policy.permissions` or a mapper, or directly:
/// `Permissions(granted=["tool:read_*"], denied=["tool:read_secrets"])`.
#[pyclass(frozen, module = "teleport_jwt", name = "Permissions")]
pub(crate) struct Permissions {
    pub(crate) inner: Arc<core::Permissions>,
}

#[pymethods]
impl Permissions {
    #[new]
    #[pyo3(signature = (granted=None, denied=None))]
    fn new(
        granted: Option<&Bound<'_, PyAny>>,
        denied: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let granted = granted.map(|g| strings(g, "granted")).transpose()?;
        let denied = denied.map(|d| strings(d, "denied")).transpose()?;
        Ok(Permissions {
            inner: Arc::new(core::Permissions::new(
                granted.unwrap_or_default(),
                denied.unwrap_or_default(),
            )),
        })
    }

    /// The granted permissions and globs (concrete ones a deny matches left out).
    #[getter]
    fn granted<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyFrozenSet>> {
        frozenset(py, self.inner.granted())
    }

    /// The deny patterns that apply to this identity.
    #[getter]
    fn denied<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyFrozenSet>> {
        frozenset(py, self.inner.denied())
    }

    /// Indexes of rules that matched but granted nothing (over the expansion cap).
    #[getter]
    fn capped_rules(&self) -> Vec<usize> {
        self.inner.capped_rules().to_vec()
    }

    /// True when `permission` is granted (directly or by a granted glob) and no deny matches.
    fn allows(&self, permission: &str) -> bool {
        self.inner.allows(permission)
    }

    /// May this identity list and call the MCP tool `tool` (permission `tool:<tool>`)?
    fn can_call_tool(&self, tool: &str) -> bool {
        self.inner.can_call_tool(tool)
    }

    /// The tools of `tools` this identity may list and call, in the order given.
    fn filter_tools(&self, tools: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
        Ok(self.inner.filter_tools(strings(tools, "tools")?))
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

/// Why a permission was granted, denied or not granted to an identity. `str()` is one log line.
#[pyclass(frozen, module = "teleport_jwt", name = "Explanation")]
pub(crate) struct Explanation {
    inner: core::Explanation,
}

fn rule_pair(r: &core::RuleRef) -> (usize, Option<String>) {
    (r.index, r.name.clone())
}

#[pymethods]
impl Explanation {
    /// The permission asked about.
    #[getter]
    fn permission(&self) -> &str {
        &self.inner.permission
    }

    /// The identity's user name.
    #[getter]
    fn username(&self) -> &str {
        &self.inner.username
    }

    /// `"granted"`, `"denied"` or `"not_granted"`.
    #[getter]
    fn decision(&self) -> &'static str {
        self.inner.decision.code()
    }

    /// True only when granted (the same answer as `Policy.allows`).
    #[getter]
    fn allowed(&self) -> bool {
        self.inner.is_allowed()
    }

    /// 0-based index of the rule that decided (the deny, or the first grant); None when not granted.
    #[getter]
    fn rule_index(&self) -> Option<usize> {
        self.inner.decided_by.as_ref().map(|h| h.rule.index)
    }

    /// The `name` of the rule that decided, when it has one.
    #[getter]
    fn rule_name(&self) -> Option<&str> {
        self.inner
            .decided_by
            .as_ref()
            .and_then(|h| h.rule.name.as_deref())
    }

    /// The expanded grant or the deny glob that matched the permission.
    #[getter]
    fn pattern(&self) -> Option<&str> {
        self.inner.decided_by.as_ref().map(|h| h.pattern.as_str())
    }

    /// The grant template or deny pattern as written in the policy.
    #[getter]
    fn source(&self) -> Option<&str> {
        self.inner.decided_by.as_ref().map(|h| h.source.as_str())
    }

    /// The deciding rule's conditions that held.
    #[getter]
    fn conditions(&self) -> Vec<String> {
        self.inner
            .decided_by
            .as_ref()
            .map(|h| h.conditions.clone())
            .unwrap_or_default()
    }

    /// For `"denied"`: index of the first grant rule the deny overrode, if any.
    #[getter]
    fn overrides_rule_index(&self) -> Option<usize> {
        self.inner.overridden_grant.as_ref().map(|h| h.rule.index)
    }

    /// For `"denied"`: name of the first grant rule the deny overrode, if it has one.
    #[getter]
    fn overrides_rule_name(&self) -> Option<&str> {
        self.inner
            .overridden_grant
            .as_ref()
            .and_then(|h| h.rule.name.as_deref())
    }

    /// For `"denied"`: the overridden grant's expanded pattern.
    #[getter]
    fn overrides_pattern(&self) -> Option<&str> {
        self.inner
            .overridden_grant
            .as_ref()
            .map(|h| h.pattern.as_str())
    }

    /// Every rule whose `match` held, as `(index, name)`, in policy order.
    #[getter]
    fn matched_rules(&self) -> Vec<(usize, Option<String>)> {
        self.inner.matched_rules.iter().map(rule_pair).collect()
    }

    /// Rules that matched but granted nothing (over the expansion cap), as `(index, name)`.
    #[getter]
    fn capped_rules(&self) -> Vec<(usize, Option<String>)> {
        self.inner.capped_rules.iter().map(rule_pair).collect()
    }

    fn __bool__(&self) -> bool {
        self.inner.is_allowed()
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    /// Python syntax: `Explanation(permission='doc:x', ..., rule_name=None, ...)`.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        fn r<'py>(py: Python<'py>, v: impl IntoPyObject<'py>) -> PyResult<String> {
            use pyo3::IntoPyObjectExt;
            Ok(v.into_bound_py_any(py)?.repr()?.to_string())
        }
        Ok(format!(
            "Explanation(permission={}, username={}, decision={}, rule_index={}, rule_name={}, pattern={})",
            r(py, &self.inner.permission)?,
            r(py, &self.inner.username)?,
            r(py, self.inner.decision.code())?,
            r(py, self.rule_index())?,
            r(py, self.rule_name())?,
            r(py, self.pattern())?,
        ))
    }
}

/// The four questions `Policy` and `PermissionMapper` both answer, asked through the core's
/// `PermissionMapper` trait (which a core `Policy` implements with the same answers as its own
/// methods). `#[pymethods]` takes one block per class, so this macro writes that block: the
/// four shared methods, then the class's own (`$own`). The class gives `fn mapper(&self)`.
macro_rules! mapper_pymethods {
    ($class:ident { $($own:tt)* }) => {
        #[pymethods]
        impl $class {
            $($own)*

            /// Everything `identity` is granted and the deny patterns that apply to it. Compute
            /// it once per request when asking several questions.
            fn permissions(
                &self,
                py: Python<'_>,
                identity: PyRef<'_, Identity>,
            ) -> PyResult<Permissions> {
                let inner = guarded(py, || self.mapper().permissions(&identity.inner))?;
                Ok(Permissions {
                    inner: Arc::new(inner),
                })
            }

            /// Does `identity` have `permission`? (A deny always wins.)
            fn allows(
                &self,
                py: Python<'_>,
                identity: PyRef<'_, Identity>,
                permission: &str,
            ) -> PyResult<bool> {
                guarded(py, || self.mapper().allows(&identity.inner, permission))
            }

            /// May `identity` list and call the MCP tool `tool` (permission `tool:<tool>`)?
            fn can_call_tool(
                &self,
                py: Python<'_>,
                identity: PyRef<'_, Identity>,
                tool: &str,
            ) -> PyResult<bool> {
                guarded(py, || self.mapper().can_call_tool(&identity.inner, tool))
            }

            /// The tools of `tools` that `identity` may list and call, in the order given.
            fn filter_tools(
                &self,
                py: Python<'_>,
                identity: PyRef<'_, Identity>,
                tools: &Bound<'_, PyAny>,
            ) -> PyResult<Vec<String>> {
                let tools = strings(tools, "tools")?;
                guarded(py, || self.mapper().filter_tools(&identity.inner, &tools))
            }
        }
    };
}

/// A loaded, checked permission policy (immutable; load once, share across threads). Every
/// mistake is found at load time and raised as `InvalidConfig` with its line and column.
#[pyclass(frozen, module = "teleport_jwt", name = "Policy")]
pub(crate) struct Policy {
    pub(crate) inner: Arc<core::Policy>,
}

impl Policy {
    fn mapper(&self) -> &dyn core::PermissionMapper {
        self.inner.as_ref()
    }

    fn load(py: Python<'_>, text: &str, format: PolicyFormat) -> PyResult<Self> {
        let inner = guarded(py, || core::Policy::from_str_as(text, format))?;
        Ok(Policy {
            inner: Arc::new(inner),
        })
    }
}

mapper_pymethods!(Policy {
    /// A policy from YAML text.
    #[staticmethod]
    fn from_yaml(py: Python<'_>, text: &str) -> PyResult<Self> {
        Policy::load(py, text, PolicyFormat::Yaml)
    }

    /// A policy from TOML text.
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: &str) -> PyResult<Self> {
        Policy::load(py, text, PolicyFormat::Toml)
    }

    /// A policy from JSON text.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        Policy::load(py, text, PolicyFormat::Json)
    }

    /// A policy from text in `format` (`"yaml"`, `"toml"` or `"json"`).
    #[staticmethod]
    fn from_text(py: Python<'_>, text: &str, format: &str) -> PyResult<Self> {
        let f = PolicyFormat::from_name(format).ok_or_else(|| {
            errors::new(
                py,
                Reason::InvalidConfig,
                format!("policy format must be \"yaml\", \"toml\" or \"json\", not {format:?}"),
            )
        })?;
        Policy::load(py, text, f)
    }

    /// A policy file; the format comes from the extension (`.yaml`, `.yml`, `.toml`, `.json`).
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = detached(py, || core::Policy::from_file(&path))?;
        Ok(Policy {
            inner: Arc::new(inner),
        })
    }

    /// Why `permission` is granted, denied or not granted to `identity`.
    fn explain(
        &self,
        py: Python<'_>,
        identity: PyRef<'_, Identity>,
        permission: &str,
    ) -> PyResult<Explanation> {
        let inner = guarded(py, || {
            Ok::<_, VerifyError>(self.inner.explain(&identity.inner, permission))
        })?;
        Ok(Explanation { inner })
    }

    /// The rules' names (None for an unnamed rule), in document order.
    #[getter]
    fn rule_names(&self) -> Vec<Option<String>> {
        self.inner.rules().iter().map(|r| r.name.clone()).collect()
    }

    fn __len__(&self) -> usize {
        self.inner.rules().len()
    }

    fn __repr__(&self) -> String {
        format!("Policy(rules={})", self.inner.rules().len())
    }
});

/// Any permission mapper through the core's `PermissionMapper` trait: a `Policy` (evaluated by
/// the core directly), another `PermissionMapper`, or any object with
/// `permissions(identity) -> Iterable[str] | Permissions`. A Python mapper that raises or
/// returns something else gives `PluginError`, never a crash.
#[pyclass(frozen, module = "teleport_jwt", name = "PermissionMapper")]
pub(crate) struct PermissionMapper {
    inner: Arc<dyn core::PermissionMapper>,
    describe: String,
}

impl PermissionMapper {
    fn mapper(&self) -> &dyn core::PermissionMapper {
        self.inner.as_ref()
    }
}

/// The core mapper for `obj` (a `Policy`, a `PermissionMapper` or any object with
/// `permissions(identity)`), as `PermissionMapper(obj)` wraps it.
pub(crate) fn mapper_of(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn core::PermissionMapper>> {
    PermissionMapper::new(obj).map(|m| m.inner)
}

mapper_pymethods!(PermissionMapper {
    #[new]
    fn new(mapper: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(p) = mapper.cast::<Policy>() {
            return Ok(PermissionMapper {
                inner: p.get().inner.clone(),
                describe: p.get().__repr__(),
            });
        }
        if let Ok(m) = mapper.cast::<PermissionMapper>() {
            return Ok(PermissionMapper {
                inner: m.get().inner.clone(),
                describe: m.get().describe.clone(),
            });
        }
        let py_mapper = PyPermissionMapper::new(mapper)?;
        let describe = py_mapper.describe().to_owned();
        Ok(PermissionMapper {
            inner: Arc::new(py_mapper),
            describe,
        })
    }

    fn __repr__(&self) -> String {
        format!("PermissionMapper({})", self.describe)
    }
});
