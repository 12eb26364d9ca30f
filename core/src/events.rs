//! Key-source events for operators: the key set of a trust entry changed (a rotation), a fetch
//! failed (and whether the last good keys keep serving), fetches recovered. Give a
//! [`KeyEvents`] to [`crate::VerifierBuilder::key_events`]; it is called on the thread that
//! fetched (a request's or the background refresher's), after the outcome is recorded, and
//! never on the per-request path of a token whose keys are cached. Keep it quick (log, count,
//! send to a channel): fetches of that trust entry wait for it. A panic in it is contained.

use crate::error::VerifyError;

/// What happened to a trust entry's keys.
#[derive(Debug, Clone, PartialEq)]
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
        error: VerifyError,
        /// Whether the last good keys keep verifying (until `max_stale`).
        serving_stale: bool,
    },
    /// A fetch succeeded after failed ones: the stale period, if any, is over.
    FetchRecovered {
        /// The trust entry's name.
        trust_entry: String,
        /// How many attempts had failed in a row.
        failed_attempts: u64,
    },
}

/// Receives [`KeyEvent`]s (see the [module docs](self)).
pub trait KeyEvents: Send + Sync {
    /// Called once per event.
    fn on_event(&self, event: &KeyEvent);
}
