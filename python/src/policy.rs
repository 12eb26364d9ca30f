//! Permissions: the core's `teleport_jwt::policy` as Python objects. `Policy` loads and
//! evaluates rules, `Explanation` says why, and `PermissionMapper` runs any mapper (a `Policy`,
//! or a Python object with `permissions()`) through the core's `PermissionMapper` trait
//! (`Permissions`, one identity's result, is in `permissions.rs`). Every decision is the
//! core's; evaluation is a few microseconds and cannot fail, so it runs with the GIL held
//! (loading releases it).
//!
//! Each operation of the core's tables (`POLICY_OPERATIONS`, `MAPPER_OPERATIONS`,
//! `EXPLANATION_FIELDS`) is an ordinary method here; `tests/test_parity.py` checks them.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use teleport_jwt::policy::{self as core, PolicyFormat};
use teleport_jwt::{Reason, VerifyError};

use crate::convert::strings;
use crate::errors::{self, detached, guarded, IntoPyErr};
use crate::identity::Identity;
use crate::permissions::Permissions;
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

/// The questions every mapper answers, asked through the core's `PermissionMapper` trait (a
/// core `Policy` implements it with the same answers as its own methods); `Policy` and
/// `PermissionMapper` both call these. A Python mapper runs with the GIL held.
mod ask {
    use super::*;

    pub(super) fn permissions(
        py: Python<'_>,
        mapper: &dyn core::PermissionMapper,
        identity: &Identity,
    ) -> PyResult<Permissions> {
        guarded(py, || mapper.permissions(&identity.inner)).map(Permissions::from)
    }

    pub(super) fn allows(
        py: Python<'_>,
        mapper: &dyn core::PermissionMapper,
        identity: &Identity,
        permission: &str,
    ) -> PyResult<bool> {
        guarded(py, || mapper.allows(&identity.inner, permission))
    }

    pub(super) fn can_call_tool(
        py: Python<'_>,
        mapper: &dyn core::PermissionMapper,
        identity: &Identity,
        tool: &str,
    ) -> PyResult<bool> {
        guarded(py, || mapper.can_call_tool(&identity.inner, tool))
    }

    pub(super) fn filter_tools(
        py: Python<'_>,
        mapper: &dyn core::PermissionMapper,
        identity: &Identity,
        tools: &[String],
    ) -> PyResult<Vec<String>> {
        guarded(py, || mapper.filter_tools(&identity.inner, tools))
    }
}

/// A loaded, checked permission policy (immutable; load once, share across threads).
///
/// Every mistake is found at load time and raised as ``tj.InvalidConfig``
/// (``invalid_config``) with ``line`` and ``column`` set when known. Evaluation takes a few
/// microseconds, cannot fail, and runs with the GIL held.
#[pyclass(frozen, module = "teleport_jwt", name = "Policy")]
pub(crate) struct Policy {
    pub(crate) inner: Arc<core::Policy>,
}

impl Policy {
    /// Loads `text` in `format` without the GIL.
    fn load(py: Python<'_>, text: &str, format: PolicyFormat) -> PyResult<Self> {
        let inner = detached(py, || core::Policy::from_str_as(text, format))?;
        Ok(Policy {
            inner: Arc::new(inner),
        })
    }
}

#[pymethods]
impl Policy {
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

    /// A policy from text in ``format`` (``tj.InvalidConfig`` for another format).
    #[staticmethod]
    fn from_text(py: Python<'_>, text: &str, format: &str) -> PyResult<Self> {
        let f = PolicyFormat::from_name(format).ok_or_else(|| {
            errors::new(
                py,
                Reason::InvalidConfig,
                format!("policy format must be \"yaml\", \"toml\" or \"json\", not {format:?}"),
            )
        })?;
        let inner = guarded(py, || core::Policy::from_str_as(text, f))?;
        Ok(Policy {
            inner: Arc::new(inner),
        })
    }

    /// A policy file; the format comes from the extension (``.yaml``, ``.yml``, ``.toml``,
    /// ``.json``). Read with the GIL released.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = detached(py, || core::Policy::from_file(&path))?;
        Ok(Policy {
            inner: Arc::new(inner),
        })
    }

    /// Everything ``identity`` is granted and the deny patterns that apply to it.
    ///
    /// Compute it once per request when asking several questions.
    fn permissions(&self, py: Python<'_>, identity: PyRef<'_, Identity>) -> PyResult<Permissions> {
        ask::permissions(py, self.inner.as_ref(), &identity)
    }

    /// Does ``identity`` have ``permission``? (A deny always wins.)
    fn allows(
        &self,
        py: Python<'_>,
        identity: PyRef<'_, Identity>,
        permission: &str,
    ) -> PyResult<bool> {
        ask::allows(py, self.inner.as_ref(), &identity, permission)
    }

    /// May ``identity`` list and call the MCP tool ``tool`` (permission ``tool:<tool>``)?
    fn can_call_tool(
        &self,
        py: Python<'_>,
        identity: PyRef<'_, Identity>,
        tool: &str,
    ) -> PyResult<bool> {
        ask::can_call_tool(py, self.inner.as_ref(), &identity, tool)
    }

    /// The tools of ``tools`` that ``identity`` may list and call, in the order given.
    fn filter_tools(
        &self,
        py: Python<'_>,
        identity: PyRef<'_, Identity>,
        #[pyo3(from_py_with = strings)] tools: Vec<String>,
    ) -> PyResult<Vec<String>> {
        ask::filter_tools(py, self.inner.as_ref(), &identity, &tools)
    }

    /// Why ``permission`` is granted, denied or not granted to ``identity``.
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
}

/// A rule as Python shows it: `(index, name)`.
type RuleTuple = (usize, Option<String>);

/// A rule's grant or deny as Python shows it: `((index, name), pattern, source, conditions)`.
type HitTuple = (RuleTuple, String, String, Vec<String>);

fn rule_tuple(r: &core::RuleRef) -> RuleTuple {
    (r.index, r.name.clone())
}

fn hit_tuple(h: &core::RuleHit) -> HitTuple {
    (
        rule_tuple(&h.rule),
        h.pattern.clone(),
        h.source.clone(),
        h.conditions.clone(),
    )
}

/// Why a permission was granted, denied or not granted to an identity.
///
/// ``str()`` is one log line; truthy exactly when granted.
#[pyclass(frozen, module = "teleport_jwt", name = "Explanation")]
pub(crate) struct Explanation {
    inner: core::Explanation,
}

impl Explanation {
    fn decided(&self) -> Option<&core::RuleHit> {
        self.inner.decided_by.as_ref()
    }

    fn overridden(&self) -> Option<&core::RuleHit> {
        self.inner.overridden_grant.as_ref()
    }
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

    /// ``"granted"``, ``"denied"`` or ``"not_granted"``.
    #[getter]
    fn decision(&self) -> &'static str {
        self.inner.decision.code()
    }

    /// True only when granted (the same answer as ``Policy.allows``).
    #[getter]
    fn allowed(&self) -> bool {
        self.inner.is_allowed()
    }

    /// 0-based index of the rule that decided (the deny, or the first grant); None when
    /// not granted.
    #[getter]
    fn rule_index(&self) -> Option<usize> {
        self.decided().map(|h| h.rule.index)
    }

    /// The ``name`` of the rule that decided, when it has one.
    #[getter]
    fn rule_name(&self) -> Option<&str> {
        self.decided().and_then(|h| h.rule.name.as_deref())
    }

    /// The expanded grant or the deny glob that matched the permission.
    #[getter]
    fn pattern(&self) -> Option<&str> {
        self.decided().map(|h| h.pattern.as_str())
    }

    /// The grant template or deny pattern as written in the policy.
    #[getter]
    fn source(&self) -> Option<&str> {
        self.decided().map(|h| h.source.as_str())
    }

    /// The deciding rule's conditions that held.
    #[getter]
    fn conditions(&self) -> Vec<String> {
        self.decided()
            .map(|h| h.conditions.clone())
            .unwrap_or_default()
    }

    /// For ``"denied"``: index of the first grant rule the deny overrode, if any.
    #[getter]
    fn overrides_rule_index(&self) -> Option<usize> {
        self.overridden().map(|h| h.rule.index)
    }

    /// For ``"denied"``: name of the first grant rule the deny overrode, if it has one.
    #[getter]
    fn overrides_rule_name(&self) -> Option<&str> {
        self.overridden().and_then(|h| h.rule.name.as_deref())
    }

    /// For ``"denied"``: the overridden grant's expanded pattern.
    #[getter]
    fn overrides_pattern(&self) -> Option<&str> {
        self.overridden().map(|h| h.pattern.as_str())
    }

    /// The deny that refused it (``"denied"``) or the first grant that gave it
    /// (``"granted"``), as ``((index, name), pattern, source, conditions)``; None when not
    /// granted. The flat properties above are its parts.
    #[getter]
    fn decided_by(&self) -> Option<HitTuple> {
        self.decided().map(hit_tuple)
    }

    /// For ``"denied"``: the first grant the deny overrode, if any rule granted it, as
    /// ``((index, name), pattern, source, conditions)``.
    #[getter]
    fn overridden_grant(&self) -> Option<HitTuple> {
        self.overridden().map(hit_tuple)
    }

    /// Every rule whose ``match`` held, as ``(index, name)``, in policy order.
    #[getter]
    fn matched_rules(&self) -> Vec<RuleTuple> {
        self.inner.matched_rules.iter().map(rule_tuple).collect()
    }

    /// Rules that matched but granted nothing (over the expansion cap), as
    /// ``(index, name)``.
    #[getter]
    fn capped_rules(&self) -> Vec<RuleTuple> {
        self.inner.capped_rules.iter().map(rule_tuple).collect()
    }

    /// The explanation as one log line (the same as ``str()``).
    #[getter]
    fn text(&self) -> String {
        self.inner.to_string()
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

/// Any permission mapper through the core's ``PermissionMapper``: a ``Policy``, another
/// ``PermissionMapper``, or any object with ``permissions(identity) -> Iterable[str] |
/// Permissions``.
///
/// A Python mapper that raises or returns something else (a str, an awaitable: mappers are
/// synchronous) gives ``tj.PluginError`` (``plugin_error``), never a crash.
#[pyclass(frozen, module = "teleport_jwt", name = "PermissionMapper")]
pub(crate) struct PermissionMapper {
    inner: Arc<dyn core::PermissionMapper>,
    describe: String,
}

/// The core mapper for `obj` (a `Policy`, a `PermissionMapper` or any object with
/// `permissions(identity)`), as `PermissionMapper(obj)` wraps it.
pub(crate) fn mapper_of(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn core::PermissionMapper>> {
    PermissionMapper::new(obj).map(|m| m.inner)
}

#[pymethods]
impl PermissionMapper {
    /// Wraps ``mapper``; ``TypeError`` when it has no callable ``permissions``.
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

    /// Everything ``identity`` is granted, and the deny patterns that apply to it.
    fn permissions(&self, py: Python<'_>, identity: PyRef<'_, Identity>) -> PyResult<Permissions> {
        ask::permissions(py, self.inner.as_ref(), &identity)
    }

    /// Does ``identity`` have ``permission``?
    fn allows(
        &self,
        py: Python<'_>,
        identity: PyRef<'_, Identity>,
        permission: &str,
    ) -> PyResult<bool> {
        ask::allows(py, self.inner.as_ref(), &identity, permission)
    }

    /// May ``identity`` list and call the MCP tool ``tool`` (permission ``tool:<tool>``)?
    fn can_call_tool(
        &self,
        py: Python<'_>,
        identity: PyRef<'_, Identity>,
        tool: &str,
    ) -> PyResult<bool> {
        ask::can_call_tool(py, self.inner.as_ref(), &identity, tool)
    }

    /// The tools of ``tools`` that ``identity`` may list and call, in the order given.
    fn filter_tools(
        &self,
        py: Python<'_>,
        identity: PyRef<'_, Identity>,
        #[pyo3(from_py_with = strings)] tools: Vec<String>,
    ) -> PyResult<Vec<String>> {
        ask::filter_tools(py, self.inner.as_ref(), &identity, &tools)
    }

    fn __repr__(&self) -> String {
        format!("PermissionMapper({})", self.describe)
    }
}

/// The core's policy tables (`teleport_jwt::api`), for the parity tests.
pub(crate) fn add_tables(m: &Bound<'_, PyModule>) -> PyResult<()> {
    use teleport_jwt::api;
    m.add("POLICY_OPERATIONS", api::POLICY_OPERATIONS.to_vec())?;
    m.add("MAPPER_OPERATIONS", api::MAPPER_OPERATIONS.to_vec())?;
    m.add(
        "PERMISSIONS_OPERATIONS",
        api::PERMISSIONS_OPERATIONS.to_vec(),
    )?;
    m.add("EXPLANATION_FIELDS", api::EXPLANATION_FIELDS.to_vec())
}
