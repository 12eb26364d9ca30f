//! The FFI boundary guard: no panic crosses into Kotlin or Swift.
//!
//! The core does not panic on input, but a foreign plug-in can still end a core call early: a
//! foreign `Clock` that throws has no time to give the core, so its adapter unwinds with a
//! [`ForeignFailure`] (see `clock.rs`), and UniFFI itself panics if a foreign value cannot be
//! lifted. Every exported call that reaches the core runs under [`guarded`], which turns the
//! unwind into the plug-in's error, or any other panic into `internal_error`, instead of
//! UniFFI's untyped internal exception. The core's locks are `parking_lot` locks (no poisoning)
//! released on unwind, so the verifier stays usable afterwards.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::VerifyError;

/// The error of a foreign plug-in that had to abandon a core call (carried by `resume_unwind`).
pub(crate) struct ForeignFailure(pub(crate) VerifyError);

/// Runs `f`, turning an unwind into the [`ForeignFailure`]'s error or, for any other panic (a
/// bug), [`VerifyError::InternalError`].
pub(crate) fn guarded<T>(
    what: &str,
    f: impl FnOnce() -> Result<T, VerifyError>,
) -> Result<T, VerifyError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            if let Some(ForeignFailure(e)) = payload.downcast_ref::<ForeignFailure>() {
                return Err(e.clone());
            }
            let detail = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("(no panic message)");
            Err(VerifyError::InternalError {
                message: format!("{what} panicked (a bug, please report it): {detail}"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let r: Result<(), VerifyError> = guarded("verify", || panic!("Callback interface failure"));
        let e = r.unwrap_err();
        assert_eq!(e.code(), "internal_error");
        assert!(e.message().contains("Callback interface failure"));
        assert_eq!(guarded("x", || Ok(1)), Ok(1));
    }

    #[test]
    fn a_foreign_failure_keeps_its_error() {
        let e = VerifyError::PluginError {
            message: "clock broke".into(),
        };
        let carried = e.clone();
        let r: Result<(), VerifyError> = guarded("verify", move || {
            std::panic::resume_unwind(Box::new(ForeignFailure(carried)))
        });
        assert_eq!(r, Err(e));
    }
}
