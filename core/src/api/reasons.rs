//! The reason codes, described once.
//!
//! `describe_reasons!` holds every `Reason`: its
//! variant name (which is also its exception type name in every language), its stable
//! snake_case code and its documentation. The core derives `Reason`, `Reason::ALL`,
//! `Reason::code` and `Reason::type_name` from it (`crate::error`); the Kotlin/Swift binding
//! derives its `VerifyError` variants (with these docs) from it; Python's exception classes are
//! checked against the table it gives (`api::reasons`).

/// Calls `$callback! { $( $(#[doc = ...])* Variant => "code", )* }` with every reason, in the
/// order of `Reason::ALL`. Adding a reason here adds it to the core and to every binding.
#[doc(hidden)]
#[macro_export]
macro_rules! describe_reasons {
    ($callback:ident) => {
        $callback! {
            /// `malformed`: not a well-formed compact JWS/JWT: wrong segment count, non-canonical
            /// base64url, JSON that is not an object, duplicate member names, invalid UTF-8, a
            /// `typ` other than `JWT`, or a header present in the request but unusable.
            Malformed => "malformed",
            /// `token_too_large`: the token is longer than the configured cap (default 16 KiB); it
            /// was refused before any decoding.
            TokenTooLarge => "token_too_large",
            /// `missing_token`: none of the configured headers is present in the request.
            MissingToken => "missing_token",
            /// `unsupported_header`: the JWS header carries `crit`, or a key-carrying member
            /// (`jwk`, `jku`, `x5u`, `x5c`) that a verifier must never trust.
            UnsupportedHeader => "unsupported_header",
            /// `unsupported_algorithm`: `alg` is not one this verifier accepts (only RS256 and
            /// ES256; never `none` or HMAC), or it does not match the algorithm of the trusted key.
            UnsupportedAlgorithm => "unsupported_algorithm",
            /// `bad_signature`: the signature does not verify with the selected key (includes
            /// wrong-length and DER-encoded ECDSA signatures).
            BadSignature => "bad_signature",
            /// `unknown_key`: no trusted key matches the token's `kid` (or, for a token without
            /// `kid`, no eligible key verifies it), even after the rate-limited refetch.
            UnknownKey => "unknown_key",
            /// `expired`: `exp` is in the past by more than the leeway.
            Expired => "expired",
            /// `not_yet_valid`: `nbf` is in the future by more than the leeway.
            NotYetValid => "not_yet_valid",
            /// `issued_in_future`: `iat` is in the future by more than the leeway.
            IssuedInFuture => "issued_in_future",
            /// `issuer_mismatch`: `iss` matches no trusted issuer (compared byte for byte), or a
            /// discovery document names another issuer.
            IssuerMismatch => "issuer_mismatch",
            /// `audience_mismatch`: none of the token's audiences is a configured audience.
            AudienceMismatch => "audience_mismatch",
            /// `missing_claim`: a required claim (`exp`, `iss`, `aud`, `sub`, `iat` for ID tokens)
            /// is absent.
            MissingClaim => "missing_claim",
            /// `invalid_claim`: a claim has the wrong type or an impossible value (a string `exp`,
            /// a negative time, an empty `aud` list, `roles` that is not a list of strings, ...).
            InvalidClaim => "invalid_claim",
            /// `key_source_unavailable`: keys could not be obtained (fetch failed, invalid JWKS or
            /// discovery document) and no last good key set is young enough to use.
            KeySourceUnavailable => "key_source_unavailable",
            /// `insecure_transport`: a key URL is not `https://` (plain `http://` is allowed only
            /// for loopback hosts and only with `allow_insecure_http_for_loopback`).
            InsecureTransport => "insecure_transport",
            /// `invalid_config`: the verifier configuration is unusable (no audience, no issuer, a
            /// negative leeway, a bad CA bundle, ...).
            InvalidConfig => "invalid_config",
            /// `plugin_error`: a user-supplied plug-in (HTTP fetcher, key source, permission
            /// mapper) failed or, in a foreign language, threw.
            PluginError => "plugin_error",
            /// `internal_error`: a bug in this library (for example a panic caught at a language
            /// boundary). Never expected; please report it.
            InternalError => "internal_error",
        }
    };
}
