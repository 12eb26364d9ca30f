//! The core's [`teleport_jwt::stats::Stats`] as records (`Verifier.stats()`), with the core's
//! field names, and its Prometheus text (`Verifier.prometheusText()`). The records are read
//! from the core's serde form (what Python's `stats()` dict is), so they follow its names.

use std::collections::HashMap;
use std::time::Duration;

use teleport_jwt::Algorithm;

use crate::serde_forms::{from_core, seconds, some_seconds};

/// A verifier's counters and its key sources' state (see docs/operating.md).
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record, serde::Deserialize)]
// In this crate's tests a field of the core's form that the record lacks is an error (see
// serde_forms.rs); a release build reads what it knows.
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct VerifierStats {
    /// Verifications that returned an identity.
    pub accepted: i64,
    /// Refused verifications by reason code (every code, zeros included).
    pub refused: HashMap<String, i64>,
    /// Verifications answered from the verified-token cache.
    pub token_cache_hits: i64,
    /// Verifications the verified-token cache could not answer.
    pub token_cache_misses: i64,
    /// Identities `authorize` mapped to permissions (once per token).
    pub permission_mappings: i64,
    /// Policy rules that matched but granted nothing: their expansion was over the cap.
    pub policy_capped_rules: i64,
    /// Checks on permissions `authorize` returned that allowed.
    pub permission_checks_allowed: i64,
    /// The same checks that denied.
    pub permission_checks_denied: i64,
    /// One per trust entry, in configuration order.
    pub key_sources: Vec<KeySourceStats>,
}

/// The key cache of one trust entry.
#[derive(Debug, Clone, PartialEq, uniffi::Record, serde::Deserialize)]
// In this crate's tests a field of the core's form that the record lacks is an error (see
// serde_forms.rs); a release build reads what it knows.
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct KeySourceStats {
    /// The trust entry's name.
    pub trust_entry: String,
    /// Where its keys come from.
    pub source: String,
    /// Fetches that gave a usable key set.
    pub fetches_ok: i64,
    /// Fetches that failed.
    pub fetches_failed: i64,
    /// Cumulative fetch counts per latency bucket (`fetchBucketBounds()`), then +Inf.
    pub fetch_duration_buckets: Vec<i64>,
    /// Total time spent fetching.
    #[serde(deserialize_with = "seconds")]
    pub fetch_duration_sum: Duration,
    /// Refetches made because a token named a `kid` the cached set lacks.
    pub unknown_kid_refetches: i64,
    /// True while fetches fail and the last good keys are still used (tokens verify).
    pub serving_stale: bool,
    /// True while fetches fail and no usable keys are left: tokens are refused.
    pub keys_unavailable: bool,
    /// Unix seconds at which the current failure streak began.
    pub failing_since: Option<i64>,
    /// The last fetch's error while fetches fail: `"<code>: <message>"`.
    pub last_fetch_error: Option<String>,
    /// How old the cached key set is (null before the first fetch).
    #[serde(rename = "keys_age_seconds", deserialize_with = "some_seconds")]
    pub keys_age: Option<Duration>,
    /// The keys trusted now.
    pub keys: Vec<KeyInfo>,
}

/// One trusted key.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record, serde::Deserialize)]
// In this crate's tests a field of the core's form that the record lacks is an error (see
// serde_forms.rs); a release build reads what it knows.
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct KeyInfo {
    /// Its `kid` (null for a kid-less key).
    pub kid: Option<String>,
    /// The algorithm it verifies.
    pub algorithm: Algorithm,
}

/// Upper bounds of the fetch-latency buckets, in seconds (the core's `FETCH_BUCKETS`).
#[uniffi::export]
pub fn fetch_bucket_bounds() -> Vec<f64> {
    teleport_jwt::stats::FETCH_BUCKETS.to_vec()
}

/// The record of the core's snapshot (empty, and an error logged, only if the binding could
/// not read the core's form: `stats_read_with_their_key_sources` in `serde_forms.rs` tests
/// that it can).
impl From<teleport_jwt::stats::Stats> for VerifierStats {
    fn from(s: teleport_jwt::stats::Stats) -> Self {
        from_core(&s).unwrap_or_default()
    }
}
