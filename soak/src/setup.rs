//! The run's fixed settings, and its setup: the mock Teleport, the verifier under test with its
//! short cache policy, the two control verifiers, and the warm-up that fills the token cache
//! before the first phase.

use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use teleport_jwt::mock::{Ca, MintSpec, MockOptions, MockTeleport};
use teleport_jwt::{CachePolicy, KeysFrom, TrustEntry, Verifier, VerifierOptions};

use crate::args::Config;
use crate::report::fmt_ns;
use crate::tokens::{generation, mint, Generation};
use crate::verdict::{KeyInfo, Log};

pub(crate) const AUD: &str = "mcp+http://127.0.0.1:8000/mcp";
pub(crate) const OTHER_AUD: &str = "mcp+http://127.0.0.1:9999/other";
pub(crate) const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The verifier's cache policy: short, so that refreshes happen during the run.
pub(crate) const COOLDOWN: Duration = Duration::from_secs(1);
pub(crate) const MAX_AGE: Duration = Duration::from_secs(4);
pub(crate) const MAX_STALE: Duration = Duration::from_secs(60);
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(2);
/// Scheduling slack added to every window of the classification.
pub(crate) const SLACK: Duration = Duration::from_millis(500);
/// A good verification slower than this is a "slow" one.
pub(crate) const SLOW: Duration = Duration::from_millis(50);
/// The phases whose p99 and fetch count are checked against the healthy phase.
pub(crate) const OUTAGE_PHASES: [&str; 3] = ["hang", "fail-500", "fail-refuse"];
/// How many wrong answers are described in full.
pub(crate) const WRONG_SHOWN: usize = 20;

/// What the controller and the workers share.
pub(crate) struct Shared {
    pub(crate) mock: MockTeleport,
    pub(crate) verifier: Verifier,
    pub(crate) base: Instant,
    pub(crate) stop: AtomicBool,
    /// Index of the current phase (the plan's length once the run is over).
    pub(crate) phase: AtomicUsize,
    pub(crate) generation: RwLock<Arc<Generation>>,
    pub(crate) log: Mutex<Log>,
    pub(crate) generations_made: AtomicUsize,
    pub(crate) token_ttl: Duration,
    /// The control: the same verification work on keys that never change or fail (a static
    /// JWKS of the first key), in full and from the token cache, to tell the machine's own
    /// latency noise (other processes) from the verifier's.
    pub(crate) control_full: Verifier,
    pub(crate) control_cached: Verifier,
    pub(crate) control_tokens: Vec<String>,
    /// While set, workers send bad-sig tokens where they would send unknown-kid ones.
    pub(crate) quiet_forgery: AtomicBool,
}

impl Shared {
    /// Seconds since the run began.
    pub(crate) fn elapsed(&self) -> f64 {
        self.base.elapsed().as_secs_f64()
    }
}

/// Starts the mock and the verifiers, warms them up and says what the run will do.
pub(crate) fn start(config: &Config) -> Arc<Shared> {
    let sh = build(config);
    // Warm up: the first fetch, the refresher thread, and a full token cache. A stream of
    // distinct tokens fills it within seconds, and a full cache evicts on every insert, so the
    // healthy phase must start full to be measured in the same state as the later phases.
    sh.verifier.warm_up().expect("the first key fetch");
    let fill = sh.verifier.options().token_cache_capacity * 3 / 2;
    let fillers = config.threads.clamp(1, 4);
    let fill_started = Instant::now();
    std::thread::scope(|scope| {
        for w in 0..fillers {
            let sh = &sh;
            scope.spawn(move || {
                for i in (w..fill).step_by(fillers) {
                    let t = mint(
                        &sh.mock,
                        &MintSpec {
                            username: format!("warm-{i}"),
                            ..MintSpec::default()
                        },
                    );
                    sh.verifier.verify(&t.token).expect("a good token verifies");
                }
            });
        }
    });
    let mint_cost = (fill_started.elapsed() * fillers as u32) / fill.max(1) as u32;
    for v in [&sh.control_full, &sh.control_cached] {
        for t in &sh.control_tokens {
            v.verify(t).expect("a control token verifies");
        }
    }

    println!(
        "soak: {} threads, {:.0} verifications/s in total, {:.0} s, {} keys; cache: cooldown {}s, \
         max_age {}s (refresh at {}s), max_stale {}s, fetch timeout {}s; mock at {}; token cache \
         pre-filled with {fill} distinct tokens ({} entries; one mint + verify took ~{})",
        config.threads,
        config.rate,
        config.seconds,
        config.algorithm.as_str(),
        COOLDOWN.as_secs(),
        MAX_AGE.as_secs(),
        MAX_AGE.as_secs_f64() * 0.75,
        MAX_STALE.as_secs(),
        FETCH_TIMEOUT.as_secs(),
        sh.mock.proxy_url(),
        sh.verifier.token_cache_usage().0,
        fmt_ns(Some(mint_cost.as_nanos() as u64)),
    );
    Arc::new(sh)
}

fn build(config: &Config) -> Shared {
    let base = Instant::now();
    let mock = MockTeleport::start_with(MockOptions {
        algorithm: config.algorithm,
        ..MockOptions::default()
    })
    .expect("the mock starts");
    let mut options = VerifierOptions {
        ca_pem: Some(mock.ca_pem()),
        ..VerifierOptions::default()
    };
    options.cache = CachePolicy {
        cooldown: COOLDOWN,
        max_age: MAX_AGE,
        max_stale: MAX_STALE,
        ..CachePolicy::default()
    };
    options.fetch.timeout = FETCH_TIMEOUT;
    let verifier = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &mock.proxy_url(),
            mock.cluster_name(),
            AUD,
        ))
        .options(options)
        .build()
        .expect("the verifier builds");
    assert!(
        mock.addr().ip().is_loopback(),
        "the mock must listen on loopback"
    );

    let mut log = Log::default();
    for kid in mock.key_ids(Ca::Jwt) {
        log.keys.insert(
            kid,
            KeyInfo {
                published: base,
                retiring: None,
                retired: None,
            },
        );
    }
    // Longer than the run may last, with every stretch of the plan.
    let token_ttl = Duration::from_secs_f64(config.seconds * 2.0 + 600.0);
    let first = generation(&mock, 0, token_ttl);
    let control = |token_cache_capacity| {
        Verifier::builder()
            .trust(TrustEntry {
                keys: KeysFrom::StaticJwks(mock.jwks_json(Ca::Jwt)),
                ..TrustEntry::teleport_jwt(&mock.proxy_url(), mock.cluster_name(), AUD)
            })
            .configure(|o| o.token_cache_capacity = token_cache_capacity)
            .build()
            .expect("the control verifier builds")
    };
    let control_tokens = first.cached.iter().map(|t| t.token.clone()).collect();
    Shared {
        control_full: control(0),
        control_cached: control(1024),
        control_tokens,
        quiet_forgery: AtomicBool::new(false),
        mock,
        verifier,
        base,
        stop: AtomicBool::new(false),
        phase: AtomicUsize::new(0),
        generation: RwLock::new(Arc::new(first)),
        log: Mutex::new(log),
        generations_made: AtomicUsize::new(0),
        token_ttl,
    }
}
