//! The native half of the `teleport_jwt` Python package: thin wrappers around the
//! `teleport-jwt` core. Every decision (what is valid, what is fetched, which error) lives in
//! the core; this crate converts arguments, releases the GIL around verification and fetches,
//! turns core errors into the Python exception classes of `teleport_jwt._errors`, and makes
//! sure no Rust panic reaches Python.

#![forbid(unsafe_code)]

use pyo3::prelude::*;

mod cli;
mod convert;
mod errors;
mod headers;
mod identity;
mod logging;
mod mock;
mod options;
mod permissions;
mod plugins;
mod policy;
mod refusal;
mod resource_uri;
mod trust_entry;
mod verifier;

/// Tells every verifier of this process that it is a forked child, so that each rebuilds its
/// fetch lock, key refresher and token cache on next use (`teleport_jwt::fork`). Registered
/// with `os.register_at_fork` when the module loads: a verifier built and warmed before a
/// gunicorn `--preload` or `multiprocessing` fork keeps refreshing its keys in every worker.
#[pyfunction]
fn _after_fork_in_child() {
    teleport_jwt::fork::after_fork_in_child();
}

/// Adds [`_after_fork_in_child`] and registers it to run in every forked child (where the
/// platform forks: `os.register_at_fork` is absent on Windows).
fn register_fork_hook(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_after_fork_in_child, m)?)?;
    let os = m.py().import("os")?;
    if os.hasattr("register_at_fork")? {
        let kwargs = pyo3::types::PyDict::new(m.py());
        kwargs.set_item("after_in_child", m.getattr("_after_fork_in_child")?)?;
        os.call_method("register_at_fork", (), Some(&kwargs))?;
    }
    Ok(())
}

/// The native module `teleport_jwt._teleport_jwt`. Every type is immutable or internally
/// synchronised, so it declares itself safe without the GIL (free-threaded builds).
#[pymodule(gil_used = false)]
fn _teleport_jwt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install(m.py())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    let codes: Vec<&str> = teleport_jwt::Reason::ALL.iter().map(|r| r.code()).collect();
    m.add("REASON_CODES", codes)?;
    let reasons: Vec<(&str, &str)> = teleport_jwt::api::reasons().collect();
    m.add("REASONS", reasons)?;
    m.add(
        "VERIFIER_OPERATIONS",
        teleport_jwt::api::VERIFIER_OPERATIONS.to_vec(),
    )?;
    m.add(
        "OPERATIONS_THAT_NEVER_WAIT",
        teleport_jwt::api::OPERATIONS_THAT_NEVER_WAIT.to_vec(),
    )?;
    m.add(
        "MOCK_OPERATIONS",
        teleport_jwt::api::MOCK_OPERATIONS.to_vec(),
    )?;
    m.add(
        "TRUST_ENTRY_OPTIONS",
        teleport_jwt::api::TRUST_ENTRY_OPTIONS.to_vec(),
    )?;
    let options: Vec<(&str, &str)> = teleport_jwt::api::VERIFIER_OPTIONS
        .iter()
        .map(|(name, kind)| (*name, kind.as_str()))
        .collect();
    m.add("VERIFIER_OPTIONS", options)?;
    policy::add_tables(m)?;
    resource_uri::add(m)?;
    m.add_function(wrap_pyfunction!(refusal::refusal_answer, m)?)?;
    register_fork_hook(m)?;
    m.add(
        "REFUSAL_RETRY_AFTER_SECONDS",
        teleport_jwt::refusal::DEFAULT_RETRY_AFTER_SECS,
    )?;
    m.add(
        "PERMISSION_DENIED",
        teleport_jwt::refusal::PERMISSION_DENIED,
    )?;
    m.add("FETCH_BUCKETS", teleport_jwt::stats::FETCH_BUCKETS.to_vec())?;
    m.add_function(wrap_pyfunction!(cli::cli_main, m)?)?;
    m.add_class::<verifier::Verifier>()?;
    // help(tj.Verifier) lists every keyword option with the core's doc of it.
    let verifier = m.getattr("Verifier")?;
    let base: String = verifier.getattr("__doc__")?.extract()?;
    verifier.setattr("__doc__", options::verifier_help(&base))?;
    m.add_class::<trust_entry::TrustEntry>()?;
    m.add_class::<verifier::Authorized>()?;
    m.add_class::<identity::Identity>()?;
    m.add_class::<mock::MockTeleport>()?;
    m.add_class::<policy::Policy>()?;
    m.add_class::<permissions::Permissions>()?;
    m.add_class::<policy::Explanation>()?;
    m.add_class::<policy::PermissionMapper>()?;
    Ok(())
}
