//! Soak benchmark under faults: `make soak`, or
//! `cargo run --release -p teleport-jwt-soak [-- --seconds 60 --threads 8]`.
//! Not part of `make test`. It exits non-zero when any verification gave a wrong answer.
//!
//! # What it does
//!
//! One [`MockTeleport`](teleport_jwt::mock::MockTeleport) on `127.0.0.1` and one [`Verifier`](teleport_jwt::Verifier) pointed at it with a short cache
//! policy, so that refreshes happen during the run: cooldown 1 s, `max_age` 4 s (background
//! refresh at 3 s), `max_stale` 60 s, fetch timeout 2 s. `--threads` workers (default 8) verify
//! a mix of tokens at a paced total rate (`--rate`, default 1000/s), for `--seconds` (default
//! 60) in all:
//!
//! | kind | share | token |
//! |---|---|---|
//! | fresh | 20 % | good, minted for this one verification (never a token-cache hit) |
//! | cached | 30 % | good, one of 8 minted per key change and reused (token-cache hits) |
//! | unknown-kid | 10 % | trusted `iss`, a made-up `kid` never used twice, junk signature |
//! | bad-sig | 10 % | a good token with one signature byte flipped |
//! | wrong-aud | 10 % | signed by the current key, audience of another server |
//! | expired | 10 % | signed by the current key, expired an hour ago |
//! | control | 10 % | the first 8 cached tokens on the control verifier, half with no token cache |
//!
//! The control verifier's keys are a static JWKS of the first key (never fetched, never
//! failing). It does the same verification work as the real verifier without any key fetching,
//! so its latency per phase is the machine's own noise (the benchmark shares two cores with
//! whatever else runs): when a phase's p99 rises, the control says whether the verifier or the
//! machine is to blame.
//!
//! Before the first phase the verifier fetches its keys and verifies 1.5x its token-cache
//! capacity of distinct tokens: the stream of fresh tokens fills the token cache within
//! seconds anyway, and a full cache evicts on every insert, so the healthy phase is measured
//! in the same steady state as the later ones.
//!
//! Minting is not timed; only `Verifier::verify` is. Tokens are minted with the key the mock
//! signs with at that moment (fresh ones on the spot, the others whenever the controller
//! changes a key), so during a rotation a worker may still hold a token of a key that was just
//! retired: the classification ([`verdict`]) handles that.
//!
//! A controller thread ([`controller`]) walks the mock through the phases of the [`plan`],
//! sampling the mock's JWKS request count and the verifier's fetch count at each boundary.
//! What counts as a wrong answer is in [`verdict`]; what is measured, in [`stats`]; the
//! acceptance checks printed at the end, in [`report`].
//!
//! All traffic goes to the mock on `127.0.0.1`; the run is bounded in time (it stops by itself,
//! with a watchdog) and in requests (paced verifications; fetches bounded by the cache).

mod args;
mod controller;
mod plan;
mod report;
mod run;
mod setup;
mod stats;
mod tokens;
mod verdict;
mod worker;

fn main() {
    let config = args::config_or_exit();
    let plan = plan::plan();
    let unit = plan::unit(&plan, config.seconds);
    let shared = setup::start(&config);
    let outcome = run::run(&shared, &config, plan, unit);
    let wrong = report::print(&shared, outcome);
    if wrong > 0 {
        std::process::exit(1);
    }
}
