//! What a verifier has been doing, for dashboards and for the 3 a.m. question "why are callers
//! refused?": [`Verifier::stats`](crate::Verifier::stats) returns a [`Stats`] snapshot, and
//! [`Stats::metrics`] the same as Prometheus metric families (one list of names, help texts and
//! labels, which [`Stats::prometheus_text`] and the Python collector both print).
//!
//! Counting costs one relaxed atomic increment per verification and per token-cache lookup; no
//! lock is taken on a cache hit. Key-fetch counts, the latency histogram and the stale state
//! are kept by each trust entry's key cache, updated once per fetch.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `teleport_jwt_verifications_total` | counter | `outcome` = `accepted` or a reason code |
//! | `teleport_jwt_token_cache_lookups_total` | counter | `result` = `hit` / `miss` |
//! | `teleport_jwt_key_fetches_total` | counter | `trust_entry`, `result` = `ok` / `failed` |
//! | `teleport_jwt_key_fetch_duration_seconds` | histogram | `trust_entry` |
//! | `teleport_jwt_unknown_kid_refetches_total` | counter | `trust_entry` |
//! | `teleport_jwt_keys` | gauge | `trust_entry`: keys trusted now |
//! | `teleport_jwt_serving_stale_keys` | gauge | `trust_entry`: 1 while fetches fail and the last good keys serve (tokens still verify) |
//! | `teleport_jwt_keys_unavailable` | gauge | `trust_entry`: 1 while fetches fail and no usable keys are left (tokens are refused) |
//! | `teleport_jwt_stale_since_seconds` | gauge | `trust_entry`: Unix time the current failure streak began (only while stale) |
//! | `teleport_jwt_keys_age_seconds` | gauge | `trust_entry`: age of the cached key set (absent before the first fetch) |
//! | `teleport_jwt_permission_mappings_total` | counter | identities mapped to permissions by `authorize` (once per token) |
//! | `teleport_jwt_policy_capped_rules_total` | counter | rules that matched but granted nothing: their expansion was over the cap |
//! | `teleport_jwt_permission_checks_total` | counter | `decision` = `allowed` / `denied`: checks on permissions `authorize` returned |

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::alg::Algorithm;
use crate::error::{Reason, VerifyError};

/// Upper bounds (seconds) of the key-fetch latency histogram's buckets; `+Inf` is implied.
pub const FETCH_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// A snapshot of a verifier's counters and of its key sources' state.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Verifications that returned an identity (cached or not).
    pub accepted: u64,
    /// Refused verifications by reason code; every code is present, zeros included.
    pub refused: BTreeMap<&'static str, u64>,
    /// Verifications answered from the verified-token cache.
    pub token_cache_hits: u64,
    /// Verifications the verified-token cache could not answer (0 when it is off).
    pub token_cache_misses: u64,
    /// Identities `authorize` mapped to permissions (once per token; a repeated token reuses
    /// its answer).
    pub permission_mappings: u64,
    /// Policy rules that matched an identity but granted nothing because their expansion was
    /// over [`MAX_EXPANSION_PER_RULE`](crate::policy::MAX_EXPANSION_PER_RULE), summed over
    /// mappings (each is also logged).
    pub policy_capped_rules: u64,
    /// Checks (`allows`, `can_call_tool`, each tool of `filter_tools`) on permissions that
    /// `authorize` returned, that allowed.
    pub permission_checks_allowed: u64,
    /// The same checks that denied.
    pub permission_checks_denied: u64,
    /// One entry per trust entry, in configuration order.
    pub key_sources: Vec<KeySourceStats>,
}

/// The key cache of one trust entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct KeySourceStats {
    /// The trust entry's name.
    pub trust_entry: String,
    /// Where its keys come from (a URL, "a static JWKS", ...).
    pub source: String,
    /// Fetches that gave a usable key set.
    pub fetches_ok: u64,
    /// Fetches that failed (transport, status, size, parse).
    pub fetches_failed: u64,
    /// Cumulative counts per [`FETCH_BUCKETS`] bound, then `+Inf` (all fetches).
    pub fetch_duration_buckets: Vec<u64>,
    /// Total seconds spent fetching.
    pub fetch_duration_sum: f64,
    /// Refetches made because a token named a `kid` the cached set lacks.
    pub unknown_kid_refetches: u64,
    /// True while fetches fail and the last good keys are still used: tokens verify, for
    /// the time `keys_age_seconds` leaves until `max_stale`.
    pub serving_stale: bool,
    /// True while fetches fail and no usable keys are left (none fetched yet, or the last
    /// good set is past `max_stale`): this entry's tokens are refused with
    /// `key_source_unavailable`. Never true together with `serving_stale`.
    pub keys_unavailable: bool,
    /// Unix seconds at which the current failure streak began (`None` when the last fetch
    /// succeeded or none was made).
    pub failing_since: Option<i64>,
    /// The last fetch's error, while fetches fail: `"<code>: <message>"`.
    pub last_fetch_error: Option<String>,
    /// Seconds since the cached key set was fetched (`None` before the first success). Past
    /// `max_stale`, its tokens are refused.
    pub keys_age_seconds: Option<f64>,
    /// The keys trusted now.
    pub keys: Vec<KeyInfo>,
}

/// One trusted key, as [`KeySourceStats::keys`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct KeyInfo {
    /// The key's `kid` (`None` for a kid-less key).
    pub kid: Option<String>,
    /// The algorithm it verifies (from the key itself).
    pub algorithm: Algorithm,
}

/// A verifier's own counters (shared by the verifiers `with_permissions` derives).
#[derive(Debug)]
pub(crate) struct Counters {
    accepted: AtomicU64,
    refused: [AtomicU64; Reason::ALL.len()],
    hits: AtomicU64,
    misses: AtomicU64,
    mappings: AtomicU64,
    capped_rules: AtomicU64,
    allowed: AtomicU64,
    denied: AtomicU64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            accepted: AtomicU64::new(0),
            refused: std::array::from_fn(|_| AtomicU64::new(0)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            mappings: AtomicU64::new(0),
            capped_rules: AtomicU64::new(0),
            allowed: AtomicU64::new(0),
            denied: AtomicU64::new(0),
        }
    }
}

impl Counters {
    pub(crate) fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn refused(&self, e: &VerifyError) {
        let reason = e.reason();
        if let Some(i) = Reason::ALL.iter().position(|r| *r == reason) {
            self.refused[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn cache_lookup(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// One identity mapped to permissions, with `capped` rules over the expansion cap.
    pub(crate) fn mapped(&self, capped: usize) {
        self.mappings.fetch_add(1, Ordering::Relaxed);
        if capped > 0 {
            let capped = u64::try_from(capped).unwrap_or(u64::MAX);
            self.capped_rules.fetch_add(capped, Ordering::Relaxed);
        }
    }

    /// One permission check's decision.
    pub(crate) fn decided(&self, allowed: bool) {
        let counter = if allowed { &self.allowed } else { &self.denied };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, key_sources: Vec<KeySourceStats>) -> Stats {
        Stats {
            accepted: self.accepted.load(Ordering::Relaxed),
            refused: Reason::ALL
                .iter()
                .zip(&self.refused)
                .map(|(r, n)| (r.code(), n.load(Ordering::Relaxed)))
                .collect(),
            token_cache_hits: self.hits.load(Ordering::Relaxed),
            token_cache_misses: self.misses.load(Ordering::Relaxed),
            permission_mappings: self.mappings.load(Ordering::Relaxed),
            policy_capped_rules: self.capped_rules.load(Ordering::Relaxed),
            permission_checks_allowed: self.allowed.load(Ordering::Relaxed),
            permission_checks_denied: self.denied.load(Ordering::Relaxed),
            key_sources,
        }
    }
}

/// The fetch counters and histogram of one key cache.
#[derive(Debug, Default)]
pub(crate) struct FetchCounters {
    pub(crate) ok: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) unknown_kid_refetches: AtomicU64,
    buckets: [AtomicU64; FETCH_BUCKETS.len()],
    sum_nanos: AtomicU64,
}

impl FetchCounters {
    pub(crate) fn fetched(&self, ok: bool, took: Duration) {
        let secs = took.as_secs_f64();
        for (bound, n) in FETCH_BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                n.fetch_add(1, Ordering::Relaxed);
            }
        }
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        let counter = if ok { &self.ok } else { &self.failed };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// `(cumulative buckets then +Inf, sum of seconds)`.
    pub(crate) fn histogram(&self) -> (Vec<u64>, f64) {
        let all = self.ok.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed);
        let mut buckets: Vec<u64> = self
            .buckets
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect();
        buckets.push(all);
        let sum = Duration::from_nanos(self.sum_nanos.load(Ordering::Relaxed)).as_secs_f64();
        (buckets, sum)
    }
}

/// One Prometheus metric family: its name, help text, type and samples.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricFamily {
    /// e.g. `teleport_jwt_verifications_total`.
    pub name: &'static str,
    /// One line for `# HELP`.
    pub help: &'static str,
    /// `counter`, `gauge` or `histogram`.
    pub kind: &'static str,
    /// `(suffix, labels, value)`: the suffix is `""`, or `_bucket`/`_sum`/`_count` of a
    /// histogram (its `le` label last among the labels).
    pub samples: Vec<Sample>,
}

/// One sample of a [`MetricFamily`].
pub type Sample = (&'static str, Vec<(&'static str, String)>, f64);

impl Stats {
    /// The snapshot as Prometheus metric families (see the [module docs](self) for the names).
    pub fn metrics(&self) -> Vec<MetricFamily> {
        #[allow(clippy::cast_precision_loss)]
        let n = |v: u64| v as f64;
        let family = |name, help, kind, samples| MetricFamily {
            name,
            help,
            kind,
            samples,
        };
        let per_entry = |f: &dyn Fn(&KeySourceStats) -> Vec<Sample>| -> Vec<Sample> {
            self.key_sources.iter().flat_map(f).collect()
        };
        let entry = |s: &KeySourceStats| ("trust_entry", s.trust_entry.clone());
        let mut verifications = vec![(
            "",
            vec![("outcome", "accepted".to_owned())],
            n(self.accepted),
        )];
        verifications.extend(
            self.refused
                .iter()
                .map(|(code, v)| ("", vec![("outcome", (*code).to_owned())], n(*v))),
        );
        vec![
            family(
                "teleport_jwt_verifications_total",
                "Token verifications by outcome: accepted, or the reason code of the refusal.",
                "counter",
                verifications,
            ),
            family(
                "teleport_jwt_token_cache_lookups_total",
                "Verified-token cache lookups by result.",
                "counter",
                vec![
                    ("", vec![("result", "hit".to_owned())], n(self.token_cache_hits)),
                    ("", vec![("result", "miss".to_owned())], n(self.token_cache_misses)),
                ],
            ),
            family(
                "teleport_jwt_key_fetches_total",
                "Key set fetches by trust entry and result.",
                "counter",
                per_entry(&|s| {
                    vec![
                        ("", vec![entry(s), ("result", "ok".to_owned())], n(s.fetches_ok)),
                        ("", vec![entry(s), ("result", "failed".to_owned())], n(s.fetches_failed)),
                    ]
                }),
            ),
            family(
                "teleport_jwt_key_fetch_duration_seconds",
                "Time a key set fetch took, successful or not.",
                "histogram",
                per_entry(&|s| {
                    let bounds = FETCH_BUCKETS.iter().map(|b| b.to_string()).chain(["+Inf".to_owned()]);
                    let mut out: Vec<Sample> = bounds
                        .zip(&s.fetch_duration_buckets)
                        .map(|(le, v)| ("_bucket", vec![entry(s), ("le", le)], n(*v)))
                        .collect();
                    let count = s.fetch_duration_buckets.last().copied().unwrap_or(0);
                    out.push(("_sum", vec![entry(s)], s.fetch_duration_sum));
                    out.push(("_count", vec![entry(s)], n(count)));
                    out
                }),
            ),
            family(
                "teleport_jwt_unknown_kid_refetches_total",
                "Refetches made because a token named a kid the cached key set lacks.",
                "counter",
                per_entry(&|s| vec![("", vec![entry(s)], n(s.unknown_kid_refetches))]),
            ),
            family(
                "teleport_jwt_keys",
                "Keys trusted now.",
                "gauge",
                per_entry(&|s| vec![("", vec![entry(s)], n(s.keys.len() as u64))]),
            ),
            family(
                "teleport_jwt_serving_stale_keys",
                "1 while key fetches fail and the last good keys are still used.",
                "gauge",
                per_entry(&|s| vec![("", vec![entry(s)], n(u64::from(s.serving_stale)))]),
            ),
            family(
                "teleport_jwt_keys_unavailable",
                "1 while key fetches fail and no usable keys are left: the trust entry's tokens are refused.",
                "gauge",
                per_entry(&|s| vec![("", vec![entry(s)], n(u64::from(s.keys_unavailable)))]),
            ),
            family(
                "teleport_jwt_stale_since_seconds",
                "Unix time at which the current key-fetch failure streak began, while serving stale keys.",
                "gauge",
                per_entry(&|s| match (s.serving_stale, s.failing_since) {
                    #[allow(clippy::cast_precision_loss)]
                    (true, Some(t)) => vec![("", vec![entry(s)], t as f64)],
                    _ => vec![],
                }),
            ),
            family(
                "teleport_jwt_keys_age_seconds",
                "Seconds since the cached key set was fetched.",
                "gauge",
                per_entry(&|s| match s.keys_age_seconds {
                    Some(age) => vec![("", vec![entry(s)], age)],
                    None => vec![],
                }),
            ),
            family(
                "teleport_jwt_permission_mappings_total",
                "Identities mapped to permissions by authorize (once per token).",
                "counter",
                vec![("", vec![], n(self.permission_mappings))],
            ),
            family(
                "teleport_jwt_policy_capped_rules_total",
                "Policy rules that matched but granted nothing because their expansion was over the cap.",
                "counter",
                vec![("", vec![], n(self.policy_capped_rules))],
            ),
            family(
                "teleport_jwt_permission_checks_total",
                "Permission checks on permissions authorize returned, by decision.",
                "counter",
                vec![
                    ("", vec![("decision", "allowed".to_owned())], n(self.permission_checks_allowed)),
                    ("", vec![("decision", "denied".to_owned())], n(self.permission_checks_denied)),
                ],
            ),
        ]
    }

    /// [`Stats::metrics`] in the Prometheus text exposition format (version 0.0.4).
    pub fn prometheus_text(&self) -> String {
        let mut out = String::new();
        for f in self.metrics() {
            out.push_str(&format!(
                "# HELP {} {}\n# TYPE {} {}\n",
                f.name, f.help, f.name, f.kind
            ));
            for (suffix, labels, value) in &f.samples {
                let labels: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                    .collect();
                let labels = if labels.is_empty() {
                    String::new()
                } else {
                    format!("{{{}}}", labels.join(","))
                };
                out.push_str(&format!("{}{suffix}{labels} {value}\n", f.name));
            }
        }
        out
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
