//! The core's key events (`teleport_jwt::events`) for Kotlin and Swift: a foreign
//! [`KeyEventListener`] given as `VerifierOptions.keyEvents` hears key-set changes, fetch
//! failures, stale serving and recoveries, on the fetching thread, never on the request path of a token whose
//! keys are cached. What it throws is logged and dropped.
//!
//! [`KeyEvent`] is read from the core event's serde form (the dicts Python gets), so its
//! variants and fields follow the core's names; `every_core_key_event_reads_with_its_values`
//! (in `serde_forms.rs`) reads every variant the core has.

use std::sync::Arc;
use std::time::Duration;

use teleport_jwt::events as core;

use crate::serde_forms::{from_core, seconds};

/// What happened to a trust entry's keys.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum, serde::Deserialize)]
// In this crate's tests a field of the core's form that the record lacks is an error (see
// serde_forms.rs); a release build reads what it knows.
#[cfg_attr(test, serde(deny_unknown_fields))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum KeyEvent {
    /// A fetch brought a key set with other `kid`s (the first fetch included); kid-less keys
    /// are `""`.
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
        /// The reason code (`key_source_unavailable`, ...).
        code: String,
        /// What went wrong.
        #[serde(rename = "message")]
        detail: String,
        /// Whether the last good keys keep verifying.
        serving_stale: bool,
    },
    /// The first failed fetch of an outage found usable keys cached: they keep verifying until
    /// they are `cacheMaxStale` old.
    ServingStaleStarted {
        /// The trust entry's name.
        trust_entry: String,
        /// How old the cached keys were.
        #[serde(deserialize_with = "seconds")]
        keys_age: Duration,
        /// How long they may keep serving.
        #[serde(deserialize_with = "seconds")]
        remaining: Duration,
    },
    /// Stale keys stopped serving: a fetch succeeded (`FetchRecovered` follows) or they passed
    /// `cacheMaxStale` (`MaxStaleExceeded` follows).
    ServingStaleEnded {
        /// The trust entry's name.
        trust_entry: String,
        /// How long the stale keys served.
        #[serde(deserialize_with = "seconds")]
        stale_for: Duration,
    },
    /// A fetch failed and the cached keys are past `cacheMaxStale`: this entry's tokens are
    /// refused (`key_source_unavailable`) until a fetch succeeds. Once per outage.
    MaxStaleExceeded {
        /// The trust entry's name.
        trust_entry: String,
        /// How old the cached keys are.
        #[serde(deserialize_with = "seconds")]
        keys_age: Duration,
        /// The configured maximum staleness.
        #[serde(deserialize_with = "seconds")]
        max_stale: Duration,
    },
    /// A fetch succeeded after failed ones.
    FetchRecovered {
        /// The trust entry's name.
        trust_entry: String,
        /// How many attempts had failed in a row.
        failed_attempts: i64,
    },
}

/// Receives [`KeyEvent`]s; implemented in Kotlin or Swift. Keep it quick (log, count, post to a
/// queue): fetches of that trust entry wait for it.
#[uniffi::export(foreign)]
pub trait KeyEventListener: Send + Sync {
    /// Called once per event.
    fn on_event(&self, event: KeyEvent);
}

/// Adapts a foreign listener to the core's [`core::KeyEvents`].
pub(crate) struct ForeignListener(pub(crate) Arc<dyn KeyEventListener>);

impl core::KeyEvents for ForeignListener {
    fn on_event(&self, event: &core::KeyEvent) {
        // An event this binding cannot read (a variant newer than it) is not passed on.
        if let Some(event) = from_core(event) {
            self.0.on_event(event);
        }
    }
}
