//! The verified caller, as an immutable Python object.

use std::collections::BTreeMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping};
use pyo3::IntoPyObjectExt;

/// A verified Teleport identity (immutable; compares, hashes and pickles).
///
/// Built by ``Verifier.verify*``; tests of permission policies may build an unverified one
/// with :meth:`for_testing`. Only unpickle an identity you pickled: unpickling builds one no
/// token verified.
#[pyclass(frozen, module = "teleport_jwt", name = "Identity")]
pub(crate) struct Identity {
    /// Shared with the verifier's token cache: a repeated token copies nothing.
    pub(crate) inner: std::sync::Arc<teleport_jwt::Identity>,
}

impl From<std::sync::Arc<teleport_jwt::Identity>> for Identity {
    fn from(inner: std::sync::Arc<teleport_jwt::Identity>) -> Self {
        Identity { inner }
    }
}

/// A field of the core's identity as Python receives it: a copy, a named enum by its name.
trait Shown {
    type Out;
    fn shown(&self) -> Self::Out;
}

impl Shown for String {
    type Out = String;
    fn shown(&self) -> String {
        self.clone()
    }
}

impl Shown for Vec<String> {
    type Out = Vec<String>;
    fn shown(&self) -> Vec<String> {
        self.clone()
    }
}

impl Shown for BTreeMap<String, Vec<String>> {
    type Out = BTreeMap<String, Vec<String>>;
    fn shown(&self) -> Self::Out {
        self.clone()
    }
}

impl Shown for i64 {
    type Out = i64;
    fn shown(&self) -> i64 {
        *self
    }
}

impl Shown for Option<i64> {
    type Out = Option<i64>;
    fn shown(&self) -> Option<i64> {
        *self
    }
}

impl Shown for Option<String> {
    type Out = Option<String>;
    fn shown(&self) -> Option<String> {
        self.clone()
    }
}

impl Shown for teleport_jwt::Algorithm {
    type Out = &'static str;
    fn shown(&self) -> &'static str {
        self.as_str()
    }
}

impl Shown for teleport_jwt::TokenKind {
    type Out = &'static str;
    fn shown(&self) -> &'static str {
        self.as_str()
    }
}

/// A read-only property per field of the core's list of identity fields
/// (`teleport_jwt::describe_identity_fields!`), with its doc.
macro_rules! py_identity_getters {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty, )*) => {
        #[pymethods]
        impl Identity {
            $(
                $(#[$doc])*
                #[getter]
                fn $field(&self) -> <$ty as Shown>::Out {
                    Shown::shown(&self.inner.$field)
                }
            )*
        }
    };
}

teleport_jwt::describe_identity_fields!(py_identity_getters);

#[pymethods]
impl Identity {
    /// An identity that NO token verified, for tests of policies and mappers.
    ///
    /// Never build one from request data: identities for authorization come from
    /// ``Verifier.verify*`` only. ``sub`` is ``username``; ``issuer`` and ``trust_entry`` are
    /// ``trust_entry`` (default ``"test"``); roles, traits and audience default to empty;
    /// ``expires_at`` is 0, ``algorithm`` ``"RS256"``, ``kind`` ``"generic"``, ``claims``
    /// empty. Raises ``TypeError`` when ``traits`` is not a mapping of str to lists of str.
    #[staticmethod]
    #[pyo3(signature = (username, *, roles=None, traits=None, trust_entry=None, audience=None))]
    fn for_testing(
        username: String,
        roles: Option<Vec<String>>,
        traits: Option<&Bound<'_, PyAny>>,
        trust_entry: Option<String>,
        audience: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let mut trait_map = BTreeMap::new();
        if let Some(t) = traits {
            let t = t.cast::<PyMapping>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(
                    "traits must be a mapping of str to a list of str",
                )
            })?;
            for item in t.items()?.iter() {
                let (k, v): (String, Vec<String>) = item.extract()?;
                trait_map.insert(k, v);
            }
        }
        let trust_entry = trust_entry.unwrap_or_else(|| "test".to_owned());
        let (roles, traits) = (roles.unwrap_or_default(), trait_map);
        let audience = audience.unwrap_or_default();
        Ok(Identity {
            inner: std::sync::Arc::new(teleport_jwt::Identity {
                sub: username.clone(),
                username,
                roles,
                traits,
                issuer: trust_entry.clone(),
                audience,
                expires_at: 0,
                issued_at: None,
                not_before: None,
                jti: None,
                key_id: None,
                algorithm: teleport_jwt::Algorithm::RS256,
                trust_entry,
                kind: teleport_jwt::TokenKind::Generic,
                claims: Default::default(),
            }),
        })
    }

    /// The whole verified claim set, as ``json.loads`` gives it (a new dict every access).
    #[getter]
    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, self.inner.claims.as_map())?)
    }

    /// True when the identity holds this Teleport role.
    fn has_role(&self, role: &str) -> bool {
        self.inner.has_role(role)
    }

    /// The values of one trait (empty when absent).
    fn trait_values(&self, name: &str) -> Vec<String> {
        self.inner.trait_values(name).to_vec()
    }

    /// The fields as a new dict, keyed by property name (``claims`` excluded).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = pythonize::pythonize(py, &*self.inner)?.cast_into::<PyDict>()?;
        d.del_item("claims")?;
        Ok(d)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Identity>() {
            Ok(o) => *self.inner == *o.get().inner,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.username.hash(&mut h);
        self.inner.issuer.hash(&mut h);
        self.inner.expires_at.hash(&mut h);
        self.inner.jti.hash(&mut h);
        h.finish()
    }

    /// Pickling: an identity pickles as its fields and claims (the core's serde form, as JSON
    /// text), and unpickles equal to itself. Like any pickle, only load one you wrote:
    /// unpickling builds an identity no token verified.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let state = serde_json::to_string(&*slf.get().inner)
            .map_err(|e| PyValueError::new_err(format!("Identity cannot be pickled: {e}")))?;
        Ok((slf.get_type().getattr("_restore")?, (state,)))
    }

    /// The inverse of `__reduce__` (private: pickle's constructor).
    #[staticmethod]
    fn _restore(state: &str) -> PyResult<Self> {
        let inner = serde_json::from_str(state)
            .map_err(|e| PyValueError::new_err(format!("not a pickled Identity: {e}")))?;
        Ok(Identity {
            inner: std::sync::Arc::new(inner),
        })
    }

    /// Python syntax: `Identity(username='alice', roles=['r'], ...)`.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let i = &self.inner;
        Ok(format!(
            "Identity(username={}, roles={}, issuer={}, expires_at={}, algorithm={})",
            i.username.as_str().into_bound_py_any(py)?.repr()?,
            i.roles.clone().into_bound_py_any(py)?.repr()?,
            i.issuer.as_str().into_bound_py_any(py)?.repr()?,
            i.expires_at,
            i.algorithm.as_str().into_bound_py_any(py)?.repr()?,
        ))
    }
}
