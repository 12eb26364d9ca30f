//! `uniffi-bindgen`, built from the same uniffi version as `teleport-jwt-ffi` so the generated
//! Kotlin and Swift always match the library's scaffolding. A separate crate keeps the CLI's
//! dependencies (clap, templates, cargo_metadata) out of the library build.

fn main() {
    uniffi::uniffi_bindgen_main()
}
