//! Core errors to Python exceptions. The class for each reason code is chosen in ONE place,
//! `teleport_jwt._errors.error_for`; this module only calls it.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use teleport_jwt::{Reason, VerifyError};

static ERROR_FOR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error: an instance of the `VerifyError` subclass that
/// `teleport_jwt._errors.error_for` picks for its code.
pub(crate) fn to_py(py: Python<'_>, e: &VerifyError) -> PyErr {
    let retry_after = e.retry_after().map(|d| d.as_secs_f64());
    exception(py, e.code(), e.message(), retry_after)
}

/// The Python exception for a reason code and message.
pub(crate) fn from_code(py: Python<'_>, code: &str, message: &str) -> PyErr {
    exception(py, code, message, None)
}

fn exception(py: Python<'_>, code: &str, message: &str, retry_after: Option<f64>) -> PyErr {
    let factory = ERROR_FOR.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("teleport_jwt._errors")?
            .getattr("error_for")?
            .unbind())
    });
    let factory = match factory {
        Ok(f) => f,
        Err(e) => {
            return PyRuntimeError::new_err(format!(
                "{code}: {message} (teleport_jwt._errors could not be imported: {e})"
            ))
        }
    };
    match factory.bind(py).call1((code, message, retry_after)) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// A core error of `reason` with `message`, as a Python exception.
pub(crate) fn new(py: Python<'_>, reason: Reason, message: impl Into<String>) -> PyErr {
    to_py(py, &VerifyError::new(reason, message))
}

/// Runs `f`, turning a panic into an error message instead of unwinding into Python.
pub(crate) fn no_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        format!("teleport-jwt internal error (please report): {what}")
    })
}

/// A failure that becomes a Python exception: a core error here, a policy error in
/// `policy.rs` (which also sets `line` and `column`).
pub(crate) trait IntoPyErr {
    fn into_py_err(self, py: Python<'_>) -> PyErr;
}

impl IntoPyErr for VerifyError {
    fn into_py_err(self, py: Python<'_>) -> PyErr {
        to_py(py, &self)
    }
}

/// What a call under [`no_panic`] gave, as a Python result: its error mapped, a panic as
/// `internal_error`.
fn settle<T, E: IntoPyErr>(py: Python<'_>, outcome: Result<Result<T, E>, String>) -> PyResult<T> {
    match outcome {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.into_py_err(py)),
        Err(panic) => Err(from_code(py, Reason::InternalError.code(), &panic)),
    }
}

/// Runs a core call with the GIL held (it is quick) without letting a panic escape; maps its
/// error.
pub(crate) fn guarded<T, E: IntoPyErr>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<T, E>,
) -> PyResult<T> {
    settle(py, no_panic(f))
}

/// Runs a core call without the GIL and without letting a panic escape; maps its error.
pub(crate) fn detached<T: Send, E: IntoPyErr + Send>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<T, E> + Send,
) -> PyResult<T> {
    settle(py, py.detach(|| no_panic(f)))
}
