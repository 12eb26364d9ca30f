//! Time, as the verifier sees it: the system clock, or a clock a test controls.
//!
//! Two kinds of time, on purpose. Claims (`exp`, `nbf`, `iat`) are wall-clock dates, so they
//! are checked against [`Clock::now`]. Key cache ages, cooldowns and the maximum staleness are
//! durations, so they run on [`Clock::monotonic`], which never goes back: an NTP correction or
//! a restored VM snapshot that steps the wall clock neither freezes key refreshes nor keeps
//! rotated-out keys trusted for longer.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use crate::error::{err, Reason, VerifyError};

/// The source of "now" for claim checks ([`Clock::now`]) and of elapsed time for the key cache
/// ([`Clock::monotonic`]).
pub trait Clock: Send + Sync {
    /// The current wall-clock time, for claim checks.
    fn now(&self) -> SystemTime;

    /// Time elapsed since a fixed, arbitrary origin; never decreases. For key cache ages,
    /// cooldowns and staleness. The default is the process's monotonic clock
    /// ([`std::time::Instant`]), which is right for every clock that only changes `now`.
    fn monotonic(&self) -> Duration {
        process_monotonic()
    }
}

/// The process's monotonic clock, as time since the first call.
fn process_monotonic() -> Duration {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed()
}

/// The system's wall clock (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to: for tests of expiry, leeway and cache ages.
///
/// [`ManualClock::advance`] lets time pass (both the wall clock and the monotonic clock move);
/// [`ManualClock::set`] steps only the wall clock, as an NTP correction does.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use teleport_jwt::{Clock, ManualClock};
/// let clock = ManualClock::at_unix(1_700_000_000);
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(teleport_jwt::clock::unix_seconds(clock.now()), 1_700_000_060.0);
/// assert_eq!(clock.monotonic(), Duration::from_secs(60));
/// clock.set(UNIX_EPOCH + Duration::from_secs(1_600_000_000)); // the wall clock steps back
/// assert_eq!(clock.monotonic(), Duration::from_secs(60)); // elapsed time does not
/// ```
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<(SystemTime, Duration)>,
}

impl ManualClock {
    /// A clock stopped at `unix_seconds` after the epoch, its monotonic time at zero.
    pub fn at_unix(unix_seconds: u64) -> Self {
        ManualClock {
            state: Mutex::new((
                UNIX_EPOCH + Duration::from_secs(unix_seconds),
                Duration::ZERO,
            )),
        }
    }

    /// Lets `by` pass: the wall clock and the monotonic clock both move forward.
    pub fn advance(&self, by: Duration) {
        let mut state = self.state.lock();
        state.0 += by;
        state.1 += by;
    }

    /// Steps the wall clock to `to` (forward or back) without any time passing: the monotonic
    /// clock stays where it is.
    pub fn set(&self, to: SystemTime) {
        self.state.lock().0 = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.state.lock().0
    }

    fn monotonic(&self) -> Duration {
        self.state.lock().1
    }
}

/// The latest date a binding may pass as "now" (year 9999), far below where `SystemTime`
/// arithmetic could overflow.
pub const MAX_UNIX_SECONDS: f64 = 253_402_300_799.0;

/// `UNIX_EPOCH + unix_seconds`, for times that come from outside (a binding's `now=` argument,
/// a fixed clock): refused with `invalid_config` unless finite and between the epoch and
/// [`MAX_UNIX_SECONDS`], so no caller can make the time arithmetic overflow.
///
/// ```
/// use teleport_jwt::clock::{system_time_from_unix, unix_seconds};
/// assert_eq!(unix_seconds(system_time_from_unix(1_700_000_000.5).unwrap()), 1_700_000_000.5);
/// assert!(system_time_from_unix(1e19).is_err());
/// assert!(system_time_from_unix(f64::NAN).is_err());
/// ```
pub fn system_time_from_unix(unix_seconds: f64) -> Result<SystemTime, VerifyError> {
    if !(unix_seconds.is_finite() && (0.0..=MAX_UNIX_SECONDS).contains(&unix_seconds)) {
        return Err(err(
            Reason::InvalidConfig,
            format!(
                "time {unix_seconds} is not a Unix time between 0 and {MAX_UNIX_SECONDS} (year 9999)"
            ),
        ));
    }
    Ok(UNIX_EPOCH + Duration::from_secs_f64(unix_seconds))
}

/// Seconds since the Unix epoch, fractional; negative before it.
pub fn unix_seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}
