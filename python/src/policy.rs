//! Permissions: the core's `teleport_jwt::policy` as Python objects. `Policy` loads and
//! evaluates rules, `Permissions` is one identity's result, `Explanation` says why, and
//! `PermissionMapper` runs any mapper (a `Policy`, or a Python object with `permissions()`)
//! through the core's `PermissionMapper` trait. Every decision is the core's; evaluation is a
//! few microseconds and cannot fail, so it runs with the GIL held (loading releases it).
//!
//! What Kotlin and Swift have too (the loaders, the questions, `Permissions`' data and
//! questions, the explanation's fields) is generated, docstrings included, from the core's
//! descriptions (`core/src/api/policy.rs`) through one conversion per type: [`PyArg`] in,
//! [`ToPy`] out. Written here: Python's own conveniences (`from_text`, `capped_rules`, the flat
//! explanation properties, the dunder methods) and the constructors.

use std::collections::BTreeSet;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyFrozenSet, PyList, PyTuple};
use pyo3::IntoPyObjectExt;
use teleport_jwt::policy::{self as core, PolicyFormat};
use teleport_jwt::{Reason, VerifyError};

use crate::convert::{PyArg, ToPy};
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

crate::convert::to_py! {
    // Sets are frozensets; a decision is its code (`"granted"`, `"denied"`, `"not_granted"`).
    &BTreeSet<String> => |v, py| Ok(PyFrozenSet::new(py, v)?.into_any());
    &core::Decision => |v, py| v.code().into_bound_py_any(py);
    // The core's answers, in their Python classes.
    core::Permissions => |v, py| Permissions { inner: Arc::new(v) }.into_bound_py_any(py);
    core::Explanation => |v, py| Explanation { inner: v }.into_bound_py_any(py);
}

/// What one identity may do: granted permissions and globs, and the deny patterns that apply.
/// Immutable. Built by `Policy.permissions` or a mapper, or directly:
/// `Permissions(granted=["tool:read_*"], denied=["tool:read_secrets"])`.
#[pyclass(frozen, module = "teleport_jwt", name = "Permissions")]
pub(crate) struct Permissions {
    pub(crate) inner: Arc<core::Permissions>,
}

/// What a `Permissions` holds (properties) and answers, from the core's description.
macro_rules! py_permissions {
    (
        $class:ident
        data { $( $(#[$ddoc:meta])* fn $data:ident() -> &$dout:ty; )* }
        questions { $( $(#[$qdoc:meta])* fn $q:ident($($arg:ident: $ty:ty),*) -> $out:ty {
            $core:ident($($pass:expr),*)
        } )* }
    ) => {
        #[pymethods]
        impl $class {
            $(
                $(#[$ddoc])*
                #[getter]
                fn $data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    self.inner.$data().to_py(py)
                }
            )*

            $(
                $(#[$qdoc])*
                fn $q<'py>(
                    &self,
                    py: Python<'py>,
                    $(#[pyo3(from_py_with = <$ty as PyArg>::from_py)] $arg: $ty),*
                ) -> PyResult<Bound<'py, PyAny>> {
                    self.inner.$core($($pass),*).to_py(py)
                }
            )*
        }
    };
}

#[pymethods]
impl Permissions {
    #[new]
    #[pyo3(signature = (granted=None, denied=None))]
    fn new(
        granted: Option<&Bound<'_, PyAny>>,
        denied: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let strings =
            |v: Option<&Bound<'_, PyAny>>| v.map(<Vec<String> as PyArg>::from_py).transpose();
        Ok(Permissions {
            inner: Arc::new(core::Permissions::new(
                strings(granted)?.unwrap_or_default(),
                strings(denied)?.unwrap_or_default(),
            )),
        })
    }

    /// Indexes of rules that matched but granted nothing (over the expansion cap).
    #[getter]
    fn capped_rules(&self) -> Vec<usize> {
        self.inner.capped_rules().to_vec()
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

teleport_jwt::describe_permissions!(py_permissions Permissions);

/// Why a permission was granted, denied or not granted to an identity. `str()` is one log line.
#[pyclass(frozen, module = "teleport_jwt", name = "Explanation")]
pub(crate) struct Explanation {
    inner: core::Explanation,
}

/// The flat properties' sources (Python's conveniences: the parts of `decided_by` and
/// `overridden_grant`).
impl Explanation {
    fn decided(&self) -> Option<&core::RuleHit> {
        self.inner.decided_by.as_ref()
    }

    fn overridden(&self) -> Option<&core::RuleHit> {
        self.inner.overridden_grant.as_ref()
    }
}

/// The explanation's fields as properties, and each part record (`RuleHit`, `RuleRef`) as a
/// tuple of its fields, from the core's description.
macro_rules! py_explanation {
    (
        $class:ident
        $(#[$edoc:meta])* enum $enum:ident { $($variants:tt)* }
        $(#[$doc:meta])* struct $top:ident {
            $( $(#[$fdoc:meta])* $field:ident: $fty:ty $(= $method:ident())?, )*
        }
        $( $(#[$pdoc:meta])* struct $part:ident {
            $( $(#[$pfdoc:meta])* $pfield:ident: $pfty:ty $(= $pmethod:ident())?, )*
        } )*
    ) => {
        #[pymethods]
        impl $class {
            $(
                $(#[$fdoc])*
                #[getter]
                fn $field<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    py_field!(self.inner, $field $(= $method())?).to_py(py)
                }
            )*
        }

        $(
            $(#[$pdoc])*
            impl ToPy for &core::$part {
                fn to_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    let fields = [$( py_field!(self, $pfield $(= $pmethod())?).to_py(py)?, )*];
                    Ok(PyTuple::new(py, fields)?.into_any())
                }
            }
        )*
    };
}

/// One field of a record: the core's stored field, or its method's answer.
macro_rules! py_field {
    ($value:expr, $field:ident = $method:ident()) => {
        $value.$method()
    };
    ($value:expr, $field:ident) => {
        &$value.$field
    };
}

#[pymethods]
impl Explanation {
    /// 0-based index of the rule that decided (the deny, or the first grant); None when not
    /// granted.
    #[getter]
    fn rule_index(&self) -> Option<usize> {
        self.decided().map(|h| h.rule.index)
    }

    /// The `name` of the rule that decided, when it has one.
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

    /// For `"denied"`: index of the first grant rule the deny overrode, if any.
    #[getter]
    fn overrides_rule_index(&self) -> Option<usize> {
        self.overridden().map(|h| h.rule.index)
    }

    /// For `"denied"`: name of the first grant rule the deny overrode, if it has one.
    #[getter]
    fn overrides_rule_name(&self) -> Option<&str> {
        self.overridden().and_then(|h| h.rule.name.as_deref())
    }

    /// For `"denied"`: the overridden grant's expanded pattern.
    #[getter]
    fn overrides_pattern(&self) -> Option<&str> {
        self.overridden().map(|h| h.pattern.as_str())
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

teleport_jwt::describe_explanation!(py_explanation Explanation);

/// The questions every mapper answers, from the core's description, asked through the core's
/// `PermissionMapper` trait (which a core `Policy` implements with the same answers as its own
/// methods), in a `#[pymethods]` block of their own (PyO3's `multiple-pymethods`). The class
/// gives `fn mapper(&self)`.
macro_rules! py_mapper_questions {
    (
        $class:ident
        $( $(#[$doc:meta])* fn $name:ident($id:ident $(, $arg:ident: $ty:ty)*) -> $out:ty {
            $core:ident($($pass:expr),*)
        } )*
    ) => {
        #[pymethods]
        impl $class {
            $(
                $(#[$doc])*
                fn $name<'py>(
                    &self,
                    py: Python<'py>,
                    $id: PyRef<'_, Identity>,
                    $(#[pyo3(from_py_with = <$ty as PyArg>::from_py)] $arg: $ty),*
                ) -> PyResult<Bound<'py, PyAny>> {
                    let $id: &teleport_jwt::Identity = &$id.inner;
                    guarded(py, || self.mapper().$core($($pass),*))?.to_py(py)
                }
            )*
        }
    };
}

/// The policy's loaders (static methods) and own questions, from the core's description, and
/// the questions every mapper answers.
macro_rules! py_policy {
    (
        $class:ident
        loaders { $( $(#[$ldoc:meta])* fn $loader:ident($larg:ident: $lty:ty) {
            $lcore:ident($($lpass:expr),*)
        } )* }
        questions { $( $(#[$qdoc:meta])* fn $q:ident($qid:ident $(, $qarg:ident: $qty:ty)*) -> $qout:ty {
            $qcore:ident($($qpass:expr),*)
        } )* }
    ) => {
        teleport_jwt::describe_mapper_questions!(py_mapper_questions $class);

        #[pymethods]
        impl $class {
            $(
                $(#[$ldoc])*
                #[staticmethod]
                fn $loader(
                    py: Python<'_>,
                    #[pyo3(from_py_with = <$lty as PyArg>::from_py)] $larg: $lty,
                ) -> PyResult<Self> {
                    let inner = detached(py, || core::Policy::$lcore($($lpass),*))?;
                    Ok(Policy {
                        inner: Arc::new(inner),
                    })
                }
            )*

            $(
                $(#[$qdoc])*
                fn $q<'py>(
                    &self,
                    py: Python<'py>,
                    $qid: PyRef<'_, Identity>,
                    $(#[pyo3(from_py_with = <$qty as PyArg>::from_py)] $qarg: $qty),*
                ) -> PyResult<Bound<'py, PyAny>> {
                    let $qid: &teleport_jwt::Identity = &$qid.inner;
                    guarded(py, || Ok::<_, VerifyError>(self.inner.$qcore($($qpass),*)))?.to_py(py)
                }
            )*
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

#[pymethods]
impl Policy {
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

teleport_jwt::describe_policy!(py_policy Policy);

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

#[pymethods]
impl PermissionMapper {
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
}

teleport_jwt::describe_mapper_questions!(py_mapper_questions PermissionMapper);

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
