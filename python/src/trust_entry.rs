//! `TrustEntry`: one trusted issuer, built by the same constructors as the core's presets.

use std::sync::Arc;

use pyo3::prelude::*;
use teleport_jwt::KeysFrom;

use crate::convert::{config_error, jwks_text, one_or_many};
use crate::errors;
use crate::plugins::PyKeySource;

/// One trusted issuer: its ``iss``, accepted audiences and where its keys come from.
///
/// Immutable. Give several to :meth:`Verifier.from_entries`: a token's ``iss`` picks its
/// entry. The key source is checked when the verifier is built.
#[pyclass(frozen, module = "teleport_jwt", name = "TrustEntry")]
#[derive(Clone)]
pub(crate) struct TrustEntry {
    pub(crate) inner: teleport_jwt::TrustEntry,
}

/// The entry with the options every constructor takes (`None`: the preset's default).
fn named(
    mut e: teleport_jwt::TrustEntry,
    name: Option<String>,
    require_iat: Option<bool>,
) -> teleport_jwt::TrustEntry {
    if let Some(n) = name {
        e = e.named(n);
    }
    if let Some(r) = require_iat {
        e.require_iat = r;
    }
    e
}

#[pymethods]
impl TrustEntry {
    /// A general entry: any issuer, with exactly one of ``jwks`` (JSON text, bytes or a
    /// dict), ``jwks_url``, ``discovery_url`` or ``keys`` (``fetch_jwks() -> str | bytes``).
    /// (PyO3 shows no docstring of `__new__`: this one is for Rust readers and the stub.)
    #[new]
    #[pyo3(signature = (issuer, audience, *, jwks=None, jwks_url=None, discovery_url=None, keys=None, name=None, require_iat=None))]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        py: Python<'_>,
        issuer: String,
        audience: &Bound<'_, PyAny>,
        jwks: Option<&Bound<'_, PyAny>>,
        jwks_url: Option<String>,
        discovery_url: Option<String>,
        keys: Option<&Bound<'_, PyAny>>,
        name: Option<String>,
        require_iat: Option<bool>,
    ) -> PyResult<Self> {
        let audiences = one_or_many(audience, "audience")?;
        let given = [
            jwks.is_some(),
            jwks_url.is_some(),
            discovery_url.is_some(),
            keys.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            return Err(errors::to_py(
                py,
                &config_error(format!(
                    "trust entry {issuer:?}: give exactly one of jwks, jwks_url, discovery_url or keys ({given} given)"
                )),
            ));
        }
        let keys_from = if let Some(j) = jwks {
            KeysFrom::StaticJwks(jwks_text(j)?)
        } else if let Some(u) = jwks_url {
            KeysFrom::JwksUrl(u)
        } else if let Some(u) = discovery_url {
            KeysFrom::Discovery(u)
        } else if let Some(k) = keys {
            KeysFrom::Source(Arc::new(PyKeySource::new(k)?))
        } else {
            unreachable!("exactly one key source was checked above")
        };
        let entry = teleport_jwt::TrustEntry::new(issuer, audiences, keys_from);
        Ok(TrustEntry {
            inner: named(entry, name, require_iat),
        })
    }

    /// Classic Teleport JWTs of one cluster: ``iss`` = ``cluster_name``, keys at
    /// ``<proxy_url>/.well-known/jwks.json``.
    ///
    /// ``kind`` is ``"teleport_jwt"``; ``name`` defaults to the cluster name, ``require_iat``
    /// to False.
    #[staticmethod]
    #[pyo3(signature = (proxy_url, cluster_name, audience, *, name=None, require_iat=None))]
    pub(crate) fn teleport_jwt(
        proxy_url: &str,
        cluster_name: String,
        audience: &Bound<'_, PyAny>,
        name: Option<String>,
        require_iat: Option<bool>,
    ) -> PyResult<Self> {
        let audiences = one_or_many(audience, "audience")?;
        let mut e = teleport_jwt::TrustEntry::teleport_jwt(proxy_url, cluster_name, "");
        e.audiences = audiences;
        Ok(TrustEntry {
            inner: named(e, name, require_iat),
        })
    }

    /// Teleport OIDC ID tokens: ``iss`` = ``https://<proxy>`` (``:443`` stripped), keys
    /// through ``<issuer>/.well-known/openid-configuration``.
    ///
    /// ``kind`` is ``"id_token"``; ``name`` defaults to the issuer, ``require_iat`` to True.
    #[staticmethod]
    #[pyo3(signature = (proxy_url, audience, *, name=None, require_iat=None))]
    pub(crate) fn teleport_id_token(
        proxy_url: &str,
        audience: &Bound<'_, PyAny>,
        name: Option<String>,
        require_iat: Option<bool>,
    ) -> PyResult<Self> {
        let audiences = one_or_many(audience, "audience")?;
        let mut e = teleport_jwt::TrustEntry::teleport_id_token(proxy_url, "");
        e.audiences = audiences;
        Ok(TrustEntry {
            inner: named(e, name, require_iat),
        })
    }

    /// The entry's name (the issuer unless renamed), in logs and ``Identity.trust_entry``.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The exact ``iss`` this entry accepts (compared byte for byte).
    #[getter]
    fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The accepted audiences; a token must name at least one.
    #[getter]
    fn audiences(&self) -> Vec<String> {
        self.inner.audiences.clone()
    }

    /// Whether tokens must carry ``iat`` (True for ID tokens by default).
    #[getter]
    fn require_iat(&self) -> bool {
        self.inner.require_iat
    }

    /// ``"teleport_jwt"``, ``"id_token"`` or ``"generic"`` (a ``TrustEntry(...)`` entry).
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.as_str()
    }

    fn __repr__(&self) -> String {
        format!(
            "TrustEntry(name={:?}, issuer={:?}, audiences={:?}, kind={:?})",
            self.inner.name,
            self.inner.issuer,
            self.inner.audiences,
            self.inner.kind.as_str()
        )
    }
}
