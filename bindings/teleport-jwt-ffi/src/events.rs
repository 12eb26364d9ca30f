//! The core's key events (`teleport_jwt::events`) for Kotlin and Swift: a foreign
//! [`KeyEventListener`] given as `VerifierOptions.keyEvents` hears key-set changes, fetch
//! failures, stale serving and recoveries, on the fetching thread, never on the request path of a token whose
//! keys are cached. What it throws is logged and dropped.

use std::sync::Arc;
use std::time::Duration;

use teleport_jwt::events as core;

/// What happened to a trust entry's keys.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
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
        keys_age: Duration,
        /// How long they may keep serving.
        remaining: Duration,
    },
    /// Stale keys stopped serving: a fetch succeeded (`FetchRecovered` follows) or they passed
    /// `cacheMaxStale` (`MaxStaleExceeded` follows).
    ServingStaleEnded {
        /// The trust entry's name.
        trust_entry: String,
        /// How long the stale keys served.
        stale_for: Duration,
    },
    /// A fetch failed and the cached keys are past `cacheMaxStale`: this entry's tokens are
    /// refused (`key_source_unavailable`) until a fetch succeeds. Once per outage.
    MaxStaleExceeded {
        /// The trust entry's name.
        trust_entry: String,
        /// How old the cached keys are.
        keys_age: Duration,
        /// The configured maximum staleness.
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
        let event = match event {
            core::KeyEvent::KeySetChanged {
                trust_entry,
                added,
                removed,
            } => KeyEvent::KeySetChanged {
                trust_entry: trust_entry.clone(),
                added: added.clone(),
                removed: removed.clone(),
            },
            core::KeyEvent::FetchFailed {
                trust_entry,
                error,
                serving_stale,
            } => KeyEvent::FetchFailed {
                trust_entry: trust_entry.clone(),
                code: error.reason().code().to_owned(),
                detail: error.message().to_owned(),
                serving_stale: *serving_stale,
            },
            core::KeyEvent::ServingStaleStarted {
                trust_entry,
                keys_age,
                remaining,
            } => KeyEvent::ServingStaleStarted {
                trust_entry: trust_entry.clone(),
                keys_age: *keys_age,
                remaining: *remaining,
            },
            core::KeyEvent::ServingStaleEnded {
                trust_entry,
                stale_for,
            } => KeyEvent::ServingStaleEnded {
                trust_entry: trust_entry.clone(),
                stale_for: *stale_for,
            },
            core::KeyEvent::MaxStaleExceeded {
                trust_entry,
                keys_age,
                max_stale,
            } => KeyEvent::MaxStaleExceeded {
                trust_entry: trust_entry.clone(),
                keys_age: *keys_age,
                max_stale: *max_stale,
            },
            core::KeyEvent::FetchRecovered {
                trust_entry,
                failed_attempts,
            } => KeyEvent::FetchRecovered {
                trust_entry: trust_entry.clone(),
                failed_attempts: i64::try_from(*failed_attempts).unwrap_or(i64::MAX),
            },
            // An event this binding does not know yet is not passed on.
            _ => return,
        };
        self.0.on_event(event);
    }
}
