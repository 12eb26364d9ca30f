//! Deleted at the merge of issue 22; bindings no longer use it.
//!
//! The descriptions the bindings of `main` still expand while issue 22 is under way, kept here
//! unchanged in grammar so they keep compiling: the reasons, the algorithm and mock enums, the
//! verifier's, policy's, mapper's, permissions' and mock's operations, and the explanation
//! records. The core no longer derives anything from them (its types are written where they
//! live, and `api`'s tables are plain lists), so nothing here is checked against the core: do
//! not add to it.

/// Calls `$callback! { $( $(#[doc = ...])* Variant => "code", )* }` with every reason, in the
/// order of `Reason::ALL` (a copy of `enum Reason` in `error.rs`, for the bindings).
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

/// [`Algorithm`](crate::Algorithm) and [`TokenKind`](crate::TokenKind), with their docs and
/// names. The grammar is that of `describe_mock_enums!`: doc comments, `#[default(Variant)]` if
/// the enum has a default, then `pub enum Name { ... }` whose variants are doc comments and
/// `Variant => "name"` (`| "alias"` for other spellings `FromStr` accepts).
#[doc(hidden)]
#[macro_export]
macro_rules! describe_alg_enums {
    ($callback:ident) => {
        $callback! {
            /// A JWS signature algorithm supported for verification, by its JOSE name
            /// (`"ES256"`).
            pub enum Algorithm {
                /// RSASSA-PKCS1-v1_5 with SHA-256, RSA keys of 2048 to 8192 bits.
                RS256 => "RS256",
                /// ECDSA on P-256 with SHA-256, signature as 64-byte raw `r || s`.
                ES256 => "ES256",
            }

            /// Which kind of Teleport token a trust entry accepts.
            #[default(TeleportJwt)]
            pub enum TokenKind {
                /// A classic Teleport JWT (`{{internal.jwt}}`): `iss` is the bare cluster name,
                /// keys at `/.well-known/jwks.json`.
                TeleportJwt => "teleport_jwt" | "jwt",
                /// A Teleport OIDC ID token (`{{internal.id_token}}`): `iss` is
                /// `https://<proxy>`, keys found through `/.well-known/openid-configuration`;
                /// `iat` is required.
                IdToken => "id_token",
                /// Any other issuer configured through the general form.
                Generic => "generic",
            }
        }
    };
}

/// Every operation of [`crate::Verifier`] on a token, on request headers or on nothing, in
/// documentation order, for the bindings. The counters, the statistics and the permission
/// mapper (`key_fetch_count`, `stats`, `with_permissions`, `has_permissions`) take no input
/// of these kinds and are written by hand in each binding.
///
/// One item: its doc comment (language-neutral: names in snake_case, errors by reason code),
/// then one of
///
/// - `fn name(token) -> Answer, at name_at;`: the core's `v.name(token: &str)`, and
///   `v.name_at(token, now: SystemTime)` that checks the claims at a given time (Kotlin and
///   Swift: a method `name_at(token, unix_seconds)`; Python: `name(token, now=None)`).
/// - `fn name(headers) -> Answer, map name_map;`: the core's `v.name(&pairs)`, `pairs` a
///   [`HeaderPairs`](crate::api::HeaderPairs) (Kotlin and Swift: `name(List<Header>)`, and
///   `name_map(Map<String, String>)` for headers held in a map).
/// - `fn name() -> Answer;`: the core's `v.name()`.
///
/// `Answer` is the answer as every binding names it: `Identity`, `Authorized`, `String` (the
/// core's `&str`) or `()`; each binding has a type of that name, converted from the core's
/// answer by one conversion per type. Every operation may wait for a key fetch (but
/// `token_from_headers`), so Python adds an awaitable `name_async` of each.
#[doc(hidden)]
#[macro_export]
macro_rules! describe_verifier_operations {
    ($callback:ident) => {
        $callback! {
            /// Verifies one token and returns the identity it proves.
            fn verify(token) -> Identity, at verify_at;

            /// Verifies the token found in the request's headers, following the configured
            /// header rules in order (default: `Teleport-Jwt-Assertion`, then `Authorization:
            /// Bearer`; the first rule whose header is present decides). Fails with
            /// `missing_token` when no rule's header is present, `malformed` when it is present
            /// but unusable, and otherwise as `verify`.
            fn verify_headers(headers) -> Identity, map verify_header_map;

            /// The token the header rules select from `headers`, without verifying it (for
            /// middleware that hands it on, e.g. as `Authorization: Bearer`). Fails with
            /// `missing_token` or `malformed` exactly as `verify_headers` would.
            fn token_from_headers(headers) -> String, map token_from_header_map;

            /// Verifies one token and maps its identity to permissions with the verifier's
            /// permission mapper (a `Policy` or a mapper of your own). A repeated token costs
            /// neither a signature check nor a mapping: both are cached together. Fails with
            /// `invalid_config` when no mapper is configured, with the token's reason when it
            /// is refused (the mapper is not called then), and with `plugin_error` when the
            /// mapper fails.
            fn authorize(token) -> Authorized, at authorize_at;

            /// `authorize` with the token found by the header rules (fails as `verify_headers`
            /// and `authorize` do).
            fn authorize_headers(headers) -> Authorized, map authorize_header_map;

            /// Fetches the keys of every trust entry now (a start-up check) instead of on the
            /// first request. Fails with the fetch's error, usually `key_source_unavailable`.
            fn warm_up() -> ();
        }
    };
}

/// A [`Policy`](crate::policy::Policy)'s own operations: its `loaders` (each answers a
/// `Result<Policy, PolicyError>` from `Policy::<core_method>`) and the `questions` only a policy
/// answers (on `&Policy`, infallible). The questions every mapper answers are in
/// [`describe_mapper_questions!`](crate::describe_mapper_questions).
#[doc(hidden)]
#[macro_export]
macro_rules! describe_policy {
    ($callback:ident $($context:tt)*) => {
        $callback! {
            $($context)*
            loaders {
                /// A policy from YAML text.
                fn from_yaml(text: String) {
                    from_str_as(&text, $crate::policy::PolicyFormat::Yaml)
                }
                /// A policy from TOML text.
                fn from_toml(text: String) {
                    from_str_as(&text, $crate::policy::PolicyFormat::Toml)
                }
                /// A policy from JSON text.
                fn from_json(text: String) {
                    from_str_as(&text, $crate::policy::PolicyFormat::Json)
                }
                /// A policy file; the format comes from the extension (`.yaml`, `.yml`, `.toml`,
                /// `.json`), and a mistake names the file.
                fn from_file(path: ::std::path::PathBuf) { from_file(&path) }
            }
            questions {
                /// Why `identity` has or lacks `permission`: the decision (always the same as
                /// `allows`), the rule and pattern that decided, the grant a deny overrode, the
                /// rules that matched or were over the expansion cap; its text is one log line.
                fn explain(identity, permission: String) -> $crate::policy::Explanation {
                    explain(identity, &permission)
                }
            }
        }
    };
}

/// The questions every [`PermissionMapper`](crate::policy::PermissionMapper) answers about a
/// verified identity, asked through the trait (`&dyn PermissionMapper`, answering
/// `Result<Out, VerifyError>`), which a `Policy` implements with its own answers. Python's
/// `Policy` and `PermissionMapper` both have them; Kotlin's and Swift's `Policy` has them.
#[doc(hidden)]
#[macro_export]
macro_rules! describe_mapper_questions {
    ($callback:ident $($context:tt)*) => {
        $callback! {
            $($context)*
            /// Everything `identity` is granted, and the deny patterns that apply to it. Compute
            /// it once per request when asking several questions.
            fn permissions(identity) -> $crate::policy::Permissions { permissions(identity) }
            /// Whether `identity` has `permission` (a granted glob grants what it matches; a
            /// deny always wins).
            fn allows(identity, permission: String) -> bool { allows(identity, &permission) }
            /// Whether `identity` may list and call the MCP tool `tool` (permission
            /// `tool:<tool>`).
            fn can_call_tool(identity, tool: String) -> bool { can_call_tool(identity, &tool) }
            /// The tools of `tools` that `identity` may list and call, in the order given.
            fn filter_tools(identity, tools: Vec<String>) -> Vec<String> {
                filter_tools(identity, &tools)
            }
        }
    };
}

/// What a [`Permissions`](crate::policy::Permissions) holds (`data`: borrowed from it, no
/// arguments; Python shows them as properties) and answers (`questions`, on `&Permissions`).
#[doc(hidden)]
#[macro_export]
macro_rules! describe_permissions {
    ($callback:ident $($context:tt)*) => {
        $callback! {
            $($context)*
            data {
                /// The granted permissions and globs, sorted; concrete grants a deny matches are
                /// left out, granted globs stay listed (ask `allows` for a decision).
                fn granted() -> &::std::collections::BTreeSet<String>;
                /// The deny patterns (globs) that apply to this identity, sorted.
                fn denied() -> &::std::collections::BTreeSet<String>;
            }
            questions {
                /// True when `permission` is granted (equal to a grant or matched by a granted
                /// glob) and matched by no deny pattern.
                fn allows(permission: String) -> bool { allows(&permission) }
                /// Whether this identity may list and call the MCP tool `tool` (permission
                /// `tool:<tool>`).
                fn can_call_tool(tool: String) -> bool { can_call_tool(&tool) }
                /// The tools of `tools` this identity may list and call, in the order given:
                /// filter an MCP `tools/list` answer with it.
                fn filter_tools(tools: Vec<String>) -> Vec<String> { filter_tools(tools) }
            }
        }
    };
}

/// The [`Explanation`](crate::policy::Explanation) record family: the `Decision` enum with each
/// variant's stable code, then each `struct` with its fields in order, where
/// `name: Type = method(),` is a field computed by the core's `method` rather than stored (the
/// core's struct has no such field). A copy of the types of `policy/explain.rs`: every field
/// type names a core type, and the outer record comes first.
#[doc(hidden)]
#[macro_export]
macro_rules! describe_explanation {
    ($callback:ident $($context:tt)*) => {
        $callback! {
            $($context)*
            /// The outcome for one permission.
            enum Decision {
                /// A matching rule grants it and no matching rule denies it.
                Granted = "granted",
                /// A matching deny rule matches it (whatever grants it).
                Denied = "denied",
                /// No matching rule grants it.
                NotGranted = "not_granted",
            }
            /// Why one permission was granted, denied or not granted to one identity, as plain data
            /// for support tickets; its text (`Display` in Rust, `str()` in Python, `text` in
            /// Kotlin and Swift) is one log line:
            ///
            /// ```text
            /// denied "tool:delete_repo" to "alice": rules[3] "no-deletes-from-leaf": deny "tool:delete_*" (trust_entries: "leaf" matches "leaf*"); overrides rules[2] "admins": grant "tool:*" (roles_any: role "mcp-admin" matches "mcp-admin")
            /// ```
            struct Explanation {
                /// The permission asked about.
                permission: String,
                /// The identity's user name.
                username: String,
                /// The outcome (the same as the policy's `allows`).
                decision: $crate::policy::Decision,
                /// True only when the permission is granted.
                allowed: bool = is_allowed(),
                /// The deny that refused it (`denied`) or the first grant that gave it
                /// (`granted`).
                decided_by: Option<$crate::policy::RuleHit>,
                /// For `denied`: the first grant the deny overrode, if any rule granted it.
                overridden_grant: Option<$crate::policy::RuleHit>,
                /// Every rule whose `match` held for this identity, in policy order.
                matched_rules: Vec<$crate::policy::RuleRef>,
                /// Rules that matched but granted nothing because of the expansion cap.
                capped_rules: Vec<$crate::policy::RuleRef>,
                /// The explanation as one log line.
                text: String = to_string(),
            }
            /// One rule's grant or deny that applied to the permission.
            struct RuleHit {
                /// The rule.
                rule: $crate::policy::RuleRef,
                /// The expanded grant, or the deny glob, that matched the permission.
                pattern: String,
                /// The grant template or deny pattern as written in the policy (equal to
                /// `pattern` when it has no template variable).
                source: String,
                /// The rule's conditions that held, e.g. `roles_any: role "mcp-dev" matches
                /// "mcp-*"`.
                conditions: Vec<String>,
            }
            /// A rule of the policy: its 0-based index in `rules` and its name, if any.
            struct RuleRef {
                /// 0-based position in the document's `rules`.
                index: usize,
                /// The rule's `name`, when it has one.
                name: Option<String>,
            }
        }
    };
}

/// The operations of `MockTeleport` that every binding offers, with their docs.
///
/// One item: doc comments, then `fn name(arg: Type, ...) -> Output;` in the core's types (no
/// `-> Output` for `()`; arguments owned, as the bindings receive them: `String` where the
/// method borrows a `&str`), then `= method` when the core's method has another name (the
/// fallible `try_*` forms of the rotation operations, which the bindings report as errors
/// rather than panics). Kotlin and Swift take the arguments in this order. Python follows its
/// own conventions: a query without arguments (with an output) is a property, and `ca: Ca`
/// comes last with the default `"jwt"`. The docs are written for every language at once:
/// names in snake_case, no links.
#[doc(hidden)]
#[macro_export]
macro_rules! describe_mock_operations {
    ($callback:ident) => {
        $callback! {
            /// `https://127.0.0.1:<port>`, no trailing slash.
            fn proxy_url() -> String;

            /// The cluster name: `iss` of classic tokens.
            fn cluster_name() -> String;

            /// `iss` of ID tokens: the proxy URL.
            fn id_token_issuer() -> String;

            /// PEM of the mock's own TLS CA certificate: give it to the verifier as its
            /// `ca_pem` option.
            fn ca_pem() -> String;

            /// URL of the JWT CA's key set (`<proxy>/.well-known/jwks.json`).
            fn jwks_url() -> String;

            /// URL of the OIDC CA's key set (`<proxy>/.well-known/jwks-oidc`).
            fn jwks_oidc_url() -> String;

            /// URL of the discovery document (`<proxy>/.well-known/openid-configuration`).
            fn discovery_url() -> String;

            /// The discovery document exactly as served now (JSON text).
            fn discovery_json() -> String;

            /// Requests received on every path, failed ones included, since start or the last
            /// `reset_counts`.
            fn request_count() -> u64;

            /// Requests received on this path (query excluded), e.g. `/.well-known/jwks.json`.
            fn request_count_for_path(path: String) -> u64 = request_count_for;

            /// Zeroes the request counters.
            fn reset_counts();

            /// The JWKS document of `ca` exactly as served now (JSON text).
            fn jwks_json(ca: Ca) -> String;

            /// The (non-blank) `kid`s `ca` publishes now, active key first.
            fn key_ids(ca: Ca) -> Vec<String>;

            /// The `kid` of the key `ca` signs with now.
            fn signing_key_id(ca: Ca) -> String;

            /// The algorithm of the key `ca` signs with now.
            fn signing_algorithm(ca: Ca) -> Algorithm;

            /// The rotation phase of `ca`.
            fn rotation_phase(ca: Ca) -> RotationPhase;

            /// Moves `ca` to `phase`; entering a phase other than standby without a next key
            /// generates one.
            fn set_rotation_phase(ca: Ca, phase: RotationPhase)
                -> Result<(), $crate::mock::MockError> = try_set_rotation_phase;

            /// Completes a rotation of `ca`: the next key becomes the only key (without a
            /// rotation in progress, a new key replaces the current one).
            fn complete_rotation(ca: Ca)
                -> Result<(), $crate::mock::MockError> = try_complete_rotation;

            /// Rotates `ca` with grace period 0: a new key replaces every key at once.
            fn rotate_now(ca: Ca) -> Result<(), $crate::mock::MockError> = try_rotate_now;

            /// The algorithm of keys generated for `ca` from now on, to simulate a signature
            /// suite change at rotation (keys already made keep theirs).
            fn set_next_algorithm(ca: Ca, algorithm: Algorithm);

            /// Serves this `issuer` in the discovery document (none restores the proxy URL),
            /// to test issuer mismatch.
            fn set_discovery_issuer_override(issuer: Option<String>);

            /// Serves this `jwks_uri` in the discovery document (none restores the mock's
            /// own), to test what a verifier does with a discovered URL.
            fn set_discovery_jwks_uri_override(uri: Option<String>);
        }
    };
}

/// The named enums of the mock, with their docs and names: a copy of
/// `mock::{Ca, RotationPhase, KeyChoice, JwtClaims}` from which the Kotlin and Swift binding
/// declares the same variants (Python takes them by name).
///
/// One item: doc comments, `#[default(Variant)]` if it has a default, then `pub enum Name {
/// ... }` whose variants are doc comments and `Variant => "name"`, with `| "alias"` for other
/// spellings `FromStr` accepts (see `names::named_enum!`).
#[doc(hidden)]
#[macro_export]
macro_rules! describe_mock_enums {
    ($callback:ident) => {
        $callback! {
            /// One of the two signing authorities of a Teleport cluster.
            pub enum Ca {
                /// The JWT CA: signs classic app tokens, keys at `/.well-known/jwks.json`.
                Jwt => "jwt",
                /// The OIDC IdP CA: signs ID tokens, keys at `/.well-known/jwks-oidc`.
                Oidc => "oidc" | "id_token",
            }

            /// A phase of Teleport's CA rotation, by Teleport's names (`"update_clients"`).
            #[default(Standby)]
            pub enum RotationPhase {
                /// No rotation: one key, published and signing. Entering standby keeps
                /// whichever key was signing: from `UpdateClients`/`UpdateServers` the next key
                /// becomes the only key (the rotation completes); from `Init`/`Rollback` the
                /// next key is discarded.
                Standby => "standby",
                /// A next key is generated and published; the old key still signs.
                Init => "init",
                /// Both keys published; the next key signs.
                UpdateClients => "update_clients",
                /// Both keys published; the next key signs.
                UpdateServers => "update_servers",
                /// Both keys published; the old key signs again.
                Rollback => "rollback",
            }

            /// Which key of a CA to sign with in `sign_raw_with` (Python: `sign_raw(key=)`).
            pub enum KeyChoice {
                /// The current (old, during a rotation) key.
                Active => "active",
                /// The key being rotated in; only exists outside standby.
                Next => "next",
            }

            /// Teleport's `jwt_claims` app option: which of `roles` and `traits` a token
            /// carries.
            #[default(RolesAndTraits)]
            pub enum JwtClaims {
                /// `roles-and-traits` (Teleport's default): both claims.
                RolesAndTraits => "roles_and_traits",
                /// `roles`: the roles, and `"traits": {}`.
                Roles => "roles",
                /// `traits`: the traits, and `"roles": null`.
                Traits => "traits",
                /// `none`: neither claim.
                None => "none",
            }
        }
    };
}
