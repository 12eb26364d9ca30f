//! Key-source events for operators: the key set of a trust entry changed (a rotation), a fetch
//! failed, the last good keys started or stopped serving in an outage, they grew older than
//! `max_stale` (tokens are refused from then on), fetches recovered. Give a
//! [`KeyEvents`] to [`crate::VerifierBuilder::key_events`]; it is called on the thread that
//! fetched (a request's or the background refresher's), after the outcome is recorded, and
//! never on the per-request path of a token whose keys are cached. Keep it quick (log, count,
//! send to a channel): fetches of that trust entry wait for it. A panic in it is contained.

use std::time::Duration;

use crate::error::VerifyError;

/// What happened to a trust entry's keys.
///
/// Serializes (for bindings and logs) as a flat object tagged with the variant's snake_case
/// name: `{"event": "fetch_failed", "trust_entry": ..., "code": ..., "message": ...,
/// "serving_stale": ...}`; durations are seconds (a float).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum KeyEvent {
    /// A fetch brought a key set whose `kid`s differ from the previous one (the first fetch
    /// included: everything is added). Kid-less keys are listed as `""`.
    KeySetChanged {
        /// The trust entry's name.
        trust_entry: String,
        /// `kid`s trusted now that were not before, sorted.
        added: Vec<String>,
        /// `kid`s no longer trusted, sorted.
        removed: Vec<String>,
    },
    /// A fetch failed.
    FetchFailed {
        /// The trust entry's name.
        trust_entry: String,
        /// Why (`key_source_unavailable`, ...).
        #[serde(flatten)]
        error: VerifyError,
        /// Whether the last good keys keep verifying (until `max_stale`).
        serving_stale: bool,
    },
    /// The first failed fetch of an outage found usable keys cached: they keep verifying
    /// tokens until they are `max_stale` old. Follows the [`KeyEvent::FetchFailed`] of that
    /// fetch.
    ServingStaleStarted {
        /// The trust entry's name.
        trust_entry: String,
        /// How old the cached keys were.
        #[serde(serialize_with = "seconds")]
        keys_age: Duration,
        /// How long they may keep serving: `max_stale` minus `keys_age`.
        #[serde(serialize_with = "seconds")]
        remaining: Duration,
    },
    /// Stale keys stopped serving: a fetch succeeded (then [`KeyEvent::FetchRecovered`]
    /// follows), or they passed `max_stale` (then [`KeyEvent::MaxStaleExceeded`] follows).
    ServingStaleEnded {
        /// The trust entry's name.
        trust_entry: String,
        /// How long the stale keys served.
        #[serde(serialize_with = "seconds")]
        stale_for: Duration,
    },
    /// A fetch failed and the cached keys are older than `max_stale`: tokens of this trust
    /// entry are refused with `key_source_unavailable` until a fetch succeeds. Sent once per
    /// outage.
    MaxStaleExceeded {
        /// The trust entry's name.
        trust_entry: String,
        /// How old the cached keys are.
        #[serde(serialize_with = "seconds")]
        keys_age: Duration,
        /// The configured `max_stale`.
        #[serde(serialize_with = "seconds")]
        max_stale: Duration,
    },
    /// A fetch succeeded after failed ones: the outage is over.
    FetchRecovered {
        /// The trust entry's name.
        trust_entry: String,
        /// How many attempts had failed in a row.
        failed_attempts: u64,
    },
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Receives [`KeyEvent`]s (see the [module docs](self)).
pub trait KeyEvents: Send + Sync {
    /// Called once per event.
    fn on_event(&self, event: &KeyEvent);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Reason;

    #[test]
    fn events_serialize_flat_and_tagged() {
        let failed = KeyEvent::FetchFailed {
            trust_entry: "c".into(),
            error: VerifyError::new(Reason::KeySourceUnavailable, "down"),
            serving_stale: true,
        };
        assert_eq!(
            serde_json::to_value(&failed).ok(),
            Some(
                serde_json::json!({"event": "fetch_failed", "trust_entry": "c",
                "code": "key_source_unavailable", "message": "down", "serving_stale": true})
            )
        );
        let exceeded = KeyEvent::MaxStaleExceeded {
            trust_entry: "c".into(),
            keys_age: Duration::from_millis(1500),
            max_stale: Duration::from_secs(1),
        };
        assert_eq!(
            serde_json::to_value(&exceeded).ok(),
            Some(
                serde_json::json!({"event": "max_stale_exceeded", "trust_entry": "c",
                "keys_age": 1.5, "max_stale": 1.0})
            )
        );
    }
}
