//! The [`Clock`](teleport_jwt::Clock) plug-in point for foreign code: what "now" is, for claim
//! checks and key cache ages. For tests that pin time (replaying recorded tokens with
//! `verifyHeaders`); servers leave it unset and get the system clock.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::PluginFailure;
use crate::guard::ForeignFailure;

/// A clock implemented in Kotlin or Swift (`VerifierClock`, not `Clock`: Swift 5.7 has a
/// `Clock` protocol of its own, and Kotlin 2 a `kotlin.time.Clock`).
///
/// A clock that throws makes the verification fail with `plugin_error` (or with the
/// reason of the `PluginFailure` it threw); the verifier stays usable.
#[uniffi::export(foreign)]
pub trait VerifierClock: Send + Sync {
    /// Milliseconds since the Unix epoch (negative before it).
    fn now_unix_millis(&self) -> Result<i64, PluginFailure>;
}

/// Adapts a foreign [`VerifierClock`] to the core's [`teleport_jwt::Clock`].
///
/// The core's clock cannot fail, and no time is a safe stand-in, so a failure abandons the
/// core call by unwinding (`resume_unwind`: no panic hook, nothing printed) up to
/// [`crate::guard::guarded`], which returns the clock's error.
pub(crate) struct ForeignClock(pub(crate) Arc<dyn VerifierClock>);

impl teleport_jwt::Clock for ForeignClock {
    fn now(&self) -> SystemTime {
        match self.0.now_unix_millis() {
            Ok(millis) => unix_millis_to_time(millis),
            Err(e) => std::panic::resume_unwind(Box::new(ForeignFailure(e.into()))),
        }
    }
}

/// `UNIX_EPOCH + millis` (the epoch itself when out of `SystemTime`'s range).
pub(crate) fn unix_millis_to_time(millis: i64) -> SystemTime {
    let magnitude = Duration::from_millis(millis.unsigned_abs());
    let t = if millis >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    };
    t.unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_convert_both_ways_of_the_epoch() {
        let t = unix_millis_to_time(1_700_000_000_500);
        assert_eq!(teleport_jwt::clock::unix_seconds(t), 1_700_000_000.5);
        let t = unix_millis_to_time(-2_000);
        assert_eq!(teleport_jwt::clock::unix_seconds(t), -2.0);
    }
}
