//! The core's integration tests, as one test binary: each module was a test file of its own,
//! and each of those linked the whole crate again. One binary links it once, and its tests
//! share the test harness's threads instead of running file after file.
//!
//! One test file stays apart: `tests/sigpipe.rs` runs without the test harness (it checks the
//! process's own signal disposition). The command-line tool's tests are in `cli/tests`.
//!
//! A test that changes what every verifier of the process shares (the fork generation) runs
//! in a child process of its own: see [`common::in_own_process`].

mod common;

mod authorize;
mod availability;
#[cfg(all(feature = "axum", feature = "mock"))]
mod axum_layer;
mod events;
mod key_decisions;
mod mock_server;
mod mutation;
#[cfg(all(feature = "yaml", feature = "toml"))]
mod policy;
mod refusal;
mod rotation;
mod security_key_sources;
mod security_tokens;
mod serde_shapes;
mod shared_vectors;
mod stats;
mod try_verify;
mod verify_api;
mod wycheproof;
