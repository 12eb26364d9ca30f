//! The verifier's settings and the verified identity, each described once for every binding:
//!
//! - [`describe_verifier_settings!`](crate::describe_verifier_settings): every setting of
//!   [`crate::VerifierOptions`], flattened, with its kind and doc; [`VERIFIER_OPTIONS`] and
//!   [`option_doc`] are derived from it, and so are the Kotlin/Swift `VerifierOptions` record
//!   and Python's keyword options.
//! - [`describe_identity_fields!`](crate::describe_identity_fields): every field of
//!   [`crate::Identity`] but its claim set; the Kotlin/Swift `Identity` record and Python's
//!   `Identity` getters are derived from it.
//!
//! The tests below expand both against the core types, so a field renamed, added or removed
//! in the core fails to compile (or fails a test) until its description follows.
//!
//! Each option is documented once: the first paragraph of its field's doc in the core
//! (`VerifierOptions` in `config.rs`, `CachePolicy`, `FetchLimits`) is the text of its item
//! here, which every binding shows; `each_option_doc_is_its_fields_doc` fails when they differ.
//! The field is the source (it sits beside the bounds `validate` enforces); this list carries
//! the same text to the bindings, which cannot read a field's doc.

/// What kind of value a verifier option takes; each language spells it its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A duration: float seconds in Python, `Duration` in Kotlin and Swift.
    Duration,
    /// A count or a size in bytes (never negative).
    Count,
    /// A switch.
    Flag,
    /// Text (a PEM bundle).
    Text,
    /// A list of header rules (`"Teleport-Jwt-Assertion"`, `"Authorization: Bearer"`).
    HeaderRules,
}

crate::names::named_enum!(OptionKind {
    Duration => "duration",
    Count => "count",
    Flag => "flag",
    Text => "text",
    HeaderRules => "header_rules",
});

/// Every setting of [`crate::VerifierOptions`], flattened and in documentation order, for the
/// bindings: each is one option (a Kotlin/Swift record field, a Python keyword argument).
///
/// One item: its doc comment (language-neutral, the default and bounds included: the first
/// paragraph of the core field's doc, word for word), then
/// `name: Kind => path,` where `name` is the snake_case name every binding shows, `Kind` an
/// [`OptionKind`](crate::api::OptionKind) variant, and `path` the field of the core's options
/// it sets (`cache.max_age`). The name is the path flattened (`cache_max_age`).
#[doc(hidden)]
#[macro_export]
macro_rules! describe_verifier_settings {
    ($callback:ident) => {
        $callback! {
            /// Clock-skew allowance for `exp`, `nbf` and `iat` (default 60 s, Teleport's own; at
            /// most 5 min).
            leeway: Duration => leeway,
            /// Longest token accepted, in bytes (default 16384; from 1 to 1048576); longer ones
            /// are refused before decoding.
            max_token_bytes: Count => max_token_bytes,
            /// Headers `verify_headers` reads, in order, each `"Name"` or `"Name: Scheme"`
            /// (default `["Teleport-Jwt-Assertion", "Authorization: Bearer"]`).
            headers: HeaderRules => headers,
            /// How long fetched keys are used before a refresh (default 10 min; from
            /// `cache_cooldown` to 24 h). They are refreshed in the background at 3/4 of it.
            cache_max_age: Duration => cache.max_age,
            /// Minimum time between attempts after a failed fetch (default 30 s; from 1 s to 1
            /// h). Unknown `kid`s refetch at most once per 5 s, or per this when shorter.
            cache_cooldown: Duration => cache.cooldown,
            /// How long the last good keys keep verifying while fetches fail (default 24 h;
            /// from `cache_max_age` to 7 days).
            cache_max_stale: Duration => cache.max_stale,
            /// Largest number of entries accepted in one JWKS (default 100; from 1 to 1000).
            cache_max_keys: Count => cache.max_keys,
            /// Time limit of one key fetch, connect and read (default 5 s; from 1 ms to 60 s).
            fetch_timeout: Duration => fetch.timeout,
            /// Largest accepted key document, in bytes (default 262144; from 1024 to 16 MiB).
            fetch_max_body_bytes: Count => fetch.max_body_bytes,
            /// Extra trusted CA certificates (PEM) for the built-in HTTPS client, for
            /// self-signed development clusters; the system's roots stay trusted.
            ca_pem: Text => ca_pem,
            /// Permit `http://` key URLs on loopback hosts (development and tests only; default
            /// false).
            allow_insecure_http_for_loopback: Flag => allow_insecure_http_for_loopback,
            /// How many verified tokens to remember (default 1024, at most 1000000; 0 turns the
            /// cache off). A repeated token skips the signature check, never the time checks.
            token_cache_capacity: Count => token_cache_capacity,
            /// Memory budget of the verified-token cache in bytes (default 4 MiB, at most 1 GiB;
            /// 0 turns the cache off). A token whose entry would take over 1/64 of it is not
            /// cached.
            token_cache_max_bytes: Count => token_cache_max_bytes,
        }
    };
}

/// `VERIFIER_OPTIONS` and `OPTION_DOCS` from the description.
macro_rules! option_table {
    ($( $(#[doc = $doc:literal])* $name:ident: $kind:ident => $($field:ident).+, )*) => {
        /// Every setting of [`crate::VerifierOptions`], flattened (`cache.max_age` is
        /// `cache_max_age`), with its kind. Each binding takes exactly these (plus its plug-ins).
        pub const VERIFIER_OPTIONS: &[(&str, OptionKind)] =
            &[$((stringify!($name), OptionKind::$kind)),*];

        /// Each option's doc lines as written in the description, and the path of its field
        /// (`cache.max_age`).
        const OPTION_DOCS: &[(&str, &[&str], &str)] =
            &[$((stringify!($name), &[$($doc),*], stringify!($($field).+))),*];
    };
}

crate::describe_verifier_settings!(option_table);

/// The documentation of the verifier option `name` (as [`VERIFIER_OPTIONS`] names it), as one
/// paragraph: the doc comment of `describe_verifier_settings!`, lines joined by single spaces.
/// It is also the first paragraph of the core field's own doc (a test compares them), and
/// every language's docs for the option come from it or are compared with it.
pub fn option_doc(name: &str) -> Option<&'static str> {
    static DOCS: std::sync::OnceLock<Vec<(&str, String)>> = std::sync::OnceLock::new();
    DOCS.get_or_init(|| {
        OPTION_DOCS
            .iter()
            .map(|(name, lines, _)| (*name, one_paragraph(lines.iter().copied())))
            .collect()
    })
    .iter()
    .find(|(n, _)| *n == name)
    .map(|(_, doc)| doc.as_str())
}

/// Doc lines as one paragraph: words separated by single spaces, however they were wrapped.
fn one_paragraph<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    lines
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The options of a trust entry besides its issuer, audiences and keys.
pub const TRUST_ENTRY_OPTIONS: &[&str] = &["name", "require_iat"];

/// Every field of [`crate::Identity`] except `claims` (each binding shows the claim set its own
/// way), in declaration order, for the bindings' identity records and getters.
///
/// One item: its doc comment (language-neutral), then `name: Type,` with the core field's
/// name and type (`String`, `Vec<String>`, `BTreeMap<String, Vec<String>>`, `i64`,
/// `Option<...>`, and the named enums `Algorithm` and `TokenKind`).
#[doc(hidden)]
#[macro_export]
macro_rules! describe_identity_fields {
    ($callback:ident) => {
        $callback! {
            /// The Teleport user name: the `username` claim, or `sub` when it is absent.
            username: ::std::string::String,
            /// The `sub` claim (equal to the user name in Teleport tokens).
            sub: ::std::string::String,
            /// Teleport roles; empty when the claim is null or absent.
            roles: ::std::vec::Vec<::std::string::String>,
            /// Teleport traits, name to values; empty when absent.
            traits: ::std::collections::BTreeMap<
                ::std::string::String,
                ::std::vec::Vec<::std::string::String>,
            >,
            /// The `iss` claim, equal to the issuer of the trust entry that matched.
            issuer: ::std::string::String,
            /// Every audience in the token (one when `aud` was a string).
            audience: ::std::vec::Vec<::std::string::String>,
            /// `exp`, seconds since the Unix epoch.
            expires_at: i64,
            /// `iat`, seconds since the Unix epoch, when present.
            issued_at: ::std::option::Option<i64>,
            /// `nbf`, seconds since the Unix epoch, when present.
            not_before: ::std::option::Option<i64>,
            /// `jti`, when present (newer clusters send a random UUID; it is not a per-request
            /// nonce).
            jti: ::std::option::Option<::std::string::String>,
            /// The `kid` of the key that verified the signature (absent for a kid-less key).
            key_id: ::std::option::Option<::std::string::String>,
            /// The algorithm that verified the signature (`RS256` or `ES256`, taken from the
            /// trusted key).
            algorithm: $crate::Algorithm,
            /// The name of the trust entry that matched.
            trust_entry: ::std::string::String,
            /// The kind of token of that trust entry (`teleport_jwt`, `id_token` or `generic`).
            kind: $crate::TokenKind,
        }
    };
}

/// Compile-time check: the description names every field of [`crate::Identity`] but `claims`,
/// with the core's types (a field added, renamed or retyped in the core fails to build here).
macro_rules! identity_matches_the_core {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty, )*) => {
        const _: fn(crate::Identity) = |id| {
            let crate::Identity { $($field,)* claims: _ } = id;
            $( let _: $ty = $field; )*
        };
    };
}

crate::describe_identity_fields!(identity_matches_the_core);

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{CachePolicy, FetchLimits, HeaderRule, VerifierOptions};

    /// A core setting's type: its kind, and a value unlike the one given.
    trait Setting {
        const KIND: OptionKind;
        fn other(&self) -> Self;
    }

    impl Setting for Duration {
        const KIND: OptionKind = OptionKind::Duration;
        fn other(&self) -> Self {
            *self + Duration::from_secs(1)
        }
    }

    impl Setting for usize {
        const KIND: OptionKind = OptionKind::Count;
        fn other(&self) -> Self {
            self + 1
        }
    }

    impl Setting for bool {
        const KIND: OptionKind = OptionKind::Flag;
        fn other(&self) -> Self {
            !self
        }
    }

    impl Setting for Option<String> {
        const KIND: OptionKind = OptionKind::Text;
        fn other(&self) -> Self {
            Some(format!("{self:?}!"))
        }
    }

    impl Setting for Vec<HeaderRule> {
        const KIND: OptionKind = OptionKind::HeaderRules;
        fn other(&self) -> Self {
            let mut rules = self.clone();
            rules.push(HeaderRule::raw("X-Other"));
            rules
        }
    }

    fn kind_of<T: Setting>(_: &T) -> OptionKind {
        T::KIND
    }

    /// The default options with every described setting changed, after checking that its
    /// kind is its core field's and its name the field's path flattened.
    macro_rules! every_setting_changed {
        ($( $(#[$doc:meta])* $name:ident: $kind:ident => $($field:ident).+, )*) => {{
            let mut o = VerifierOptions::default();
            $(
                assert_eq!(kind_of(&o.$($field).+), OptionKind::$kind, stringify!($name));
                assert_eq!(
                    stringify!($($field).+).replace(' ', "").replace('.', "_"),
                    stringify!($name)
                );
                o.$($field).+ = o.$($field).+.other();
            )*
            o
        }};
    }

    /// The doc comment (`///` lines, without the slashes) of `pub <field>:` in `pub struct
    /// <ty> {` in `source`, if that struct is there.
    fn field_doc<'s>(source: &'s str, ty: &str, field: &str) -> Option<Vec<&'s str>> {
        let (_, body) = source.split_once(&format!("pub struct {ty} {{\n"))?;
        let body = body.split_once("\n}\n").map_or(body, |(b, _)| b);
        let mut doc = Vec::new();
        for line in body.lines().map(str::trim) {
            if let Some(text) = line.strip_prefix("///") {
                doc.push(text);
            } else if line.starts_with(&format!("pub {field}:")) {
                return Some(doc);
            } else {
                doc.clear();
            }
        }
        None
    }

    /// The type of `pub <field>:` in `pub struct <ty> {`.
    fn field_type<'s>(source: &'s str, ty: &str, field: &str) -> Option<&'s str> {
        let (_, body) = source.split_once(&format!("pub struct {ty} {{\n"))?;
        body.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("pub {field}: ")))
            .map(|t| t.trim_end_matches(','))
    }

    /// Every `.rs` file of the core's `src`, read now (so a struct may move between files).
    fn core_sources() -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .expect("core/src is readable")
                .map(|e| e.expect("a directory entry").path())
                .collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(std::fs::read_to_string(&path).expect("a source file"));
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut out,
        );
        out
    }

    #[test]
    fn each_option_doc_is_its_fields_doc() {
        let sources = core_sources();
        let find = |f: &dyn Fn(&str) -> Option<String>| sources.iter().find_map(|s| f(s));
        for (name, _, path) in OPTION_DOCS {
            // `cache.max_age`: the field `max_age` of the type of `VerifierOptions::cache`.
            let path = path.replace(' ', "");
            let mut ty = "VerifierOptions".to_string();
            let mut fields = path.split('.').peekable();
            let mut doc = None;
            while let Some(field) = fields.next() {
                if fields.peek().is_some() {
                    ty = find(&|s| field_type(s, &ty, field).map(str::to_string))
                        .unwrap_or_else(|| panic!("{ty}::{field} has a type"));
                } else {
                    doc = find(&|s| {
                        field_doc(s, &ty, field).map(|lines| {
                            let first = lines.iter().take_while(|l| !l.trim().is_empty());
                            one_paragraph(first.copied())
                        })
                    });
                }
            }
            let doc = doc.unwrap_or_else(|| panic!("no documented field {path} for {name}"));
            let described = option_doc(name).expect("every option has a doc");
            assert_eq!(
                doc, described,
                "the first paragraph of the doc of {path} (the source) differs from the doc of \
                 {name} in describe_verifier_settings!: copy it there"
            );
        }
    }

    #[test]
    fn every_core_setting_is_described_with_its_kind() {
        let d = VerifierOptions::default();
        // Exhaustive: a new core setting fails to compile here until it is described.
        let VerifierOptions {
            leeway,
            max_token_bytes,
            headers,
            cache:
                CachePolicy {
                    max_age,
                    cooldown,
                    max_stale,
                    max_keys,
                },
            fetch:
                FetchLimits {
                    timeout,
                    max_body_bytes,
                },
            ca_pem,
            allow_insecure_http_for_loopback,
            token_cache_capacity,
            token_cache_max_bytes,
        } = crate::describe_verifier_settings!(every_setting_changed);
        let unchanged = [
            ("leeway", leeway == d.leeway),
            ("max_token_bytes", max_token_bytes == d.max_token_bytes),
            ("headers", headers == d.headers),
            ("cache.max_age", max_age == d.cache.max_age),
            ("cache.cooldown", cooldown == d.cache.cooldown),
            ("cache.max_stale", max_stale == d.cache.max_stale),
            ("cache.max_keys", max_keys == d.cache.max_keys),
            ("fetch.timeout", timeout == d.fetch.timeout),
            (
                "fetch.max_body_bytes",
                max_body_bytes == d.fetch.max_body_bytes,
            ),
            ("ca_pem", ca_pem == d.ca_pem),
            (
                "allow_insecure_http_for_loopback",
                allow_insecure_http_for_loopback == d.allow_insecure_http_for_loopback,
            ),
            (
                "token_cache_capacity",
                token_cache_capacity == d.token_cache_capacity,
            ),
            (
                "token_cache_max_bytes",
                token_cache_max_bytes == d.token_cache_max_bytes,
            ),
        ];
        for (field, same) in unchanged {
            assert!(!same, "{field} is not in describe_verifier_settings!");
        }
        assert_eq!(VERIFIER_OPTIONS.len(), unchanged.len());
    }
}
