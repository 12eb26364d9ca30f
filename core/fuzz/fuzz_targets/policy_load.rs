//! Fuzz target: `teleport_jwt::fuzzing::policy_load` must not panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = teleport_jwt::fuzzing::policy_load(data);
});
