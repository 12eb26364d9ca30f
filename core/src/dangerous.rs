//! The layers under [`crate::Verifier`], without the checks that make a token trustworthy.
//!
//! Nothing here proves who sent a token: [`decode_unverified`] checks only the token's shape
//! and header rules and hands back a payload **no signature has vouched for**;
//! [`verify_signature_only`] checks the signature against a fixed key set but no claim (not
//! `iss`, `aud` or `exp`). They exist for test vectors, tooling and non-JWT payloads; a server
//! deciding who a caller is uses [`crate::Verifier`]. The loud module name follows
//! `jsonwebtoken::dangerous` and `rustls::client::danger`.

pub use crate::jws::compact::{decode as decode_unverified, CompactJws, Header, KeyId};
pub use crate::jws::verify_compact as verify_signature_only;
pub use crate::jws::DEFAULT_MAX_TOKEN_BYTES;
