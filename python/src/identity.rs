//! The verified caller, as an immutable Python object.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyMapping};

use crate::convert::from_json;

/// A verified Teleport identity (immutable). Built by `Verifier.verify*`; tests of permission
/// policies may build an unverified one with `Identity.for_testing`.
#[pyclass(frozen, module = "teleport_jwt", name = "Identity")]
pub(crate) struct Identity {
    /// Shared with the verifier's token cache: a repeated token copies nothing.
    pub(crate) inner: std::sync::Arc<teleport_jwt::Identity>,
}

#[pymethods]
impl Identity {
    /// An identity that NO token verified, for tests of policies and mappers (the same fields
    /// the shared policy vectors set). Never build one from request data: identities for
    /// authorization come from `Verifier.verify*` only. `expires_at` is 0, `kind` "generic",
    /// `issuer` the trust entry (default "test"), `claims` empty.
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

    /// The Teleport user name (`username`, or `sub` when absent).
    #[getter]
    fn username(&self) -> &str {
        &self.inner.username
    }

    /// The `sub` claim.
    #[getter]
    fn sub(&self) -> &str {
        &self.inner.sub
    }

    /// Teleport roles (a new list on every access).
    #[getter]
    fn roles(&self) -> Vec<String> {
        self.inner.roles.clone()
    }

    /// Teleport traits, name to values (a new dict on every access).
    #[getter]
    fn traits<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.inner.traits {
            d.set_item(k, PyList::new(py, v)?)?;
        }
        Ok(d)
    }

    /// The `iss` claim (the issuer of the trust entry that matched).
    #[getter]
    fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Every audience in the token.
    #[getter]
    fn audience(&self) -> Vec<String> {
        self.inner.audience.clone()
    }

    /// `exp`, Unix seconds.
    #[getter]
    fn expires_at(&self) -> i64 {
        self.inner.expires_at
    }

    /// `iat`, Unix seconds, when present.
    #[getter]
    fn issued_at(&self) -> Option<i64> {
        self.inner.issued_at
    }

    /// `nbf`, Unix seconds, when present.
    #[getter]
    fn not_before(&self) -> Option<i64> {
        self.inner.not_before
    }

    /// `jti`, when present.
    #[getter]
    fn jti(&self) -> Option<&str> {
        self.inner.jti.as_deref()
    }

    /// The `kid` of the key that verified the signature.
    #[getter]
    fn key_id(&self) -> Option<&str> {
        self.inner.key_id.as_deref()
    }

    /// `"RS256"` or `"ES256"`: the algorithm of the trusted key that verified the signature.
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm.as_str()
    }

    /// The name of the trust entry that matched.
    #[getter]
    fn trust_entry(&self) -> &str {
        &self.inner.trust_entry
    }

    /// `"teleport_jwt"`, `"id_token"` or `"generic"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.as_str()
    }

    /// The whole verified claim set (a new dict on every access).
    #[getter]
    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        from_json(
            py,
            &serde_json::Value::Object(self.inner.claims.as_map().clone()),
        )
    }

    /// True when the identity holds this Teleport role.
    fn has_role(&self, role: &str) -> bool {
        self.inner.has_role(role)
    }

    /// The values of one trait (empty when absent).
    fn trait_values(&self, name: &str) -> Vec<String> {
        self.inner.trait_values(name).to_vec()
    }

    /// The fields as a dict (claims excluded).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("username", self.username())?;
        d.set_item("sub", self.sub())?;
        d.set_item("roles", self.roles())?;
        d.set_item("traits", self.traits(py)?)?;
        d.set_item("issuer", self.issuer())?;
        d.set_item("audience", self.audience())?;
        d.set_item("expires_at", self.expires_at())?;
        d.set_item("issued_at", self.issued_at())?;
        d.set_item("not_before", self.not_before())?;
        d.set_item("jti", self.jti())?;
        d.set_item("key_id", self.key_id())?;
        d.set_item("algorithm", self.algorithm())?;
        d.set_item("trust_entry", self.trust_entry())?;
        d.set_item("kind", self.kind())?;
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

    /// Pickling: an identity pickles as its fields and claims, and unpickles equal to itself.
    /// Like any pickle, only load one you wrote: unpickling builds an identity no token
    /// verified.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let i = &slf.get().inner;
        let state = serde_json::json!({
            "username": i.username, "sub": i.sub, "roles": i.roles, "traits": i.traits,
            "issuer": i.issuer, "audience": i.audience, "expires_at": i.expires_at,
            "issued_at": i.issued_at, "not_before": i.not_before, "jti": i.jti,
            "key_id": i.key_id, "algorithm": i.algorithm.as_str(),
            "trust_entry": i.trust_entry, "kind": i.kind.as_str(),
            "claims": serde_json::Value::Object(i.claims.as_map().clone()),
        });
        Ok((slf.get_type().getattr("_restore")?, (state.to_string(),)))
    }

    /// The inverse of `__reduce__` (private: pickle's constructor).
    #[staticmethod]
    fn _restore(state: &str) -> PyResult<Self> {
        let bad = |what: &str| {
            pyo3::exceptions::PyValueError::new_err(format!("not a pickled Identity: {what}"))
        };
        let v: serde_json::Value = serde_json::from_str(state).map_err(|e| bad(&e.to_string()))?;
        let field = |k: &str| v.get(k).cloned().unwrap_or(serde_json::Value::Null);
        fn take<T: serde::de::DeserializeOwned>(v: serde_json::Value, k: &str) -> PyResult<T> {
            serde_json::from_value(v).map_err(|e| {
                pyo3::exceptions::PyValueError::new_err(format!("not a pickled Identity: {k}: {e}"))
            })
        }
        let algorithm: String = take(field("algorithm"), "algorithm")?;
        let kind: String = take(field("kind"), "kind")?;
        let claims: serde_json::Map<String, serde_json::Value> = take(field("claims"), "claims")?;
        Ok(Identity {
            inner: std::sync::Arc::new(teleport_jwt::Identity {
                username: take(field("username"), "username")?,
                sub: take(field("sub"), "sub")?,
                roles: take(field("roles"), "roles")?,
                traits: take(field("traits"), "traits")?,
                issuer: take(field("issuer"), "issuer")?,
                audience: take(field("audience"), "audience")?,
                expires_at: take(field("expires_at"), "expires_at")?,
                issued_at: take(field("issued_at"), "issued_at")?,
                not_before: take(field("not_before"), "not_before")?,
                jti: take(field("jti"), "jti")?,
                key_id: take(field("key_id"), "key_id")?,
                algorithm: algorithm.parse().map_err(|_| bad("algorithm"))?,
                trust_entry: take(field("trust_entry"), "trust_entry")?,
                kind: kind.parse().map_err(|_| bad("kind"))?,
                claims: claims.into(),
            }),
        })
    }

    /// Python syntax: `Identity(username='alice', roles=['r'], ...)`.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        use pyo3::IntoPyObjectExt;
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
