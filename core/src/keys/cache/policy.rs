//! [`CachePolicy`]: the knobs of a key cache (ages, cooldown, staleness, size), their defaults
//! and their bounds, and the unknown-`kid` refetch rate that follows from them.

use std::time::Duration;

use crate::error::{err, Reason, VerifyError};

/// How keys are cached and refreshed. See the [module docs](super) for the exact rules; the
/// bounds are checked when the verifier is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// How long fetched keys are used before a refresh (default 10 min; from `cache_cooldown`
    /// to 24 h). They are refreshed in the background at 3/4 of it.
    pub max_age: Duration,
    /// Minimum time between attempts after a failed fetch (default 30 s; from 1 s to 1 h).
    /// Unknown `kid`s refetch at most once per 5 s, or per this when shorter.
    ///
    /// The unknown-`kid` interval is [`CachePolicy::unknown_kid_interval`].
    pub cooldown: Duration,
    /// How long the last good keys keep verifying while fetches fail (default 24 h; from
    /// `cache_max_age` to 7 days).
    pub max_stale: Duration,
    /// Largest number of entries accepted in one JWKS (default 100; from 1 to 1000).
    pub max_keys: usize,
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            max_age: Duration::from_secs(600),
            cooldown: Duration::from_secs(30),
            max_stale: Duration::from_secs(24 * 3600),
            max_keys: 100,
        }
    }
}

impl CachePolicy {
    /// Checks the bounds documented on each field.
    pub(crate) fn validate(&self) -> Result<(), VerifyError> {
        let secs = |d: Duration| d.as_secs_f64();
        let bad = |what: String| Err(err(Reason::InvalidConfig, what));
        if self.cooldown < Duration::from_secs(1) || self.cooldown > Duration::from_secs(3600) {
            return bad(format!(
                "cache cooldown is {}s; it must be from 1s to 3600s (it rate-limits key fetches)",
                secs(self.cooldown)
            ));
        }
        if self.max_age < self.cooldown || self.max_age > Duration::from_secs(24 * 3600) {
            return bad(format!(
                "cache max_age is {}s; it must be at least the cooldown ({}s) and at most 86400s",
                secs(self.max_age),
                secs(self.cooldown)
            ));
        }
        if self.max_stale < self.max_age || self.max_stale > Duration::from_secs(7 * 24 * 3600) {
            return bad(format!(
                "cache max_stale is {}s; it must be at least max_age ({}s) and at most 604800s (7 days)",
                secs(self.max_stale),
                secs(self.max_age)
            ));
        }
        if self.max_keys == 0 || self.max_keys > 1000 {
            return bad(format!(
                "cache max_keys is {}; it must be from 1 to 1000",
                self.max_keys
            ));
        }
        Ok(())
    }

    /// Age at which the background refresher fetches a healthy set again.
    pub(super) fn refresh_ahead(&self) -> Duration {
        self.max_age * 3 / 4
    }
}

/// The rate of refetches caused by unknown `kid`s once their burst of two is spent (the
/// cooldown, when it is shorter): how long a flood of forged `kid`s can delay a real new key.
pub const UNKNOWN_KID_INTERVAL: Duration = Duration::from_secs(5);

impl CachePolicy {
    /// One unknown-`kid` refetch per this, after a burst of two: [`UNKNOWN_KID_INTERVAL`], or
    /// the cooldown when that is shorter.
    pub fn unknown_kid_interval(&self) -> Duration {
        self.cooldown.min(UNKNOWN_KID_INTERVAL)
    }
}
