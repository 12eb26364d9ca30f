//! Permissions as every binding shows them: a [`Policy`]'s loaders and questions, the questions
//! any [`PermissionMapper`] answers, what a [`Permissions`] holds and answers, and the
//! [`Explanation`] record family. Each list below is written once, with its docs; Python
//! (`python/src/policy.rs`) and Kotlin/Swift (`bindings/teleport-jwt-ffi/src/policy.rs`)
//! generate their methods, getters and records from it, the core defines its `Explanation`
//! types from it (`policy/explain.rs`), and the checks at the end of this file expand every
//! operation against the core's own types, so a renamed or retyped core method fails to
//! compile here.
//!
//! # Grammar of an operation
//! `fn name(args) -> Out { core_method(pass, ...) }`: `args` are what a binding receives, by
//! their core types (owned: `String`, `Vec<String>`, `PathBuf`; each binding converts its
//! language's value into them once per type), with `identity` the verified identity (given to
//! the core as `&Identity`); `Out` is the core's answer; the block is how the core is asked:
//! `core_method` on the receiver each list names, with each argument as written (`&text`
//! borrows, `tools` moves). The loaders have no `-> Out`: each answers a `Policy`.
//!
//! Every `describe_*!(callback context...)` calls `callback! { context... <the list> }`: the
//! context tokens (a class name, the class's own methods) pass through first.
//!
//! Not here: each language's conveniences that only it has (Python's `Policy.from_text`,
//! `Permissions.capped_rules`, flat `Explanation.rule_index`; the FFI's
//! `Policy.explain` as text), and constructors, whose defaults follow each language.
//!
//! [`Policy`]: crate::policy::Policy
//! [`PermissionMapper`]: crate::policy::PermissionMapper
//! [`Permissions`]: crate::policy::Permissions
//! [`Explanation`]: crate::policy::Explanation

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
/// core's struct has no such field). The core's types are defined from this list
/// (`policy/explain.rs`), every field type names a core type, and the outer record comes first.
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

/// `[name, ...]` of a policy description, for the parity tables.
macro_rules! policy_names {
    (
        $( $(#[$mdoc:meta])* fn $m:ident($($ma:tt)*) -> $mout:ty { $($mcall:tt)* } )*
        loaders { $( $(#[$ldoc:meta])* fn $loader:ident($($l:tt)*) { $($lcall:tt)* } )* }
        questions { $( $(#[$qdoc:meta])* fn $q:ident($($qa:tt)*) -> $qout:ty { $($qcall:tt)* } )* }
    ) => {
        &[$(stringify!($loader),)* $(stringify!($m),)* $(stringify!($q),)*]
    };
}

/// Joins the two policy descriptions for [`policy_names!`].
macro_rules! describe_policy_with_mapper_questions {
    ($($mapper:tt)*) => {
        crate::describe_policy!(policy_names $($mapper)*)
    };
}

/// Every operation of `Policy`, snake_case: its loaders, the questions of every mapper, and its
/// own questions. Every binding's `Policy` has each (Kotlin and Swift in lowerCamelCase, the
/// loaders as static factories).
pub const POLICY_OPERATIONS: &[&str] =
    crate::describe_mapper_questions!(describe_policy_with_mapper_questions);

macro_rules! mapper_names {
    ($( $(#[$doc:meta])* fn $name:ident($($a:tt)*) -> $out:ty { $($call:tt)* } )*) => {
        &[$(stringify!($name)),*]
    };
}

/// The questions every permission mapper answers, snake_case (Python's `PermissionMapper` has
/// each; Kotlin and Swift implement `permissions` only and ask a `Policy` or the verifier).
pub const MAPPER_OPERATIONS: &[&str] = crate::describe_mapper_questions!(mapper_names);

macro_rules! permissions_names {
    (
        data { $( $(#[$ddoc:meta])* fn $data:ident() -> &$dout:ty; )* }
        questions { $( $(#[$qdoc:meta])* fn $q:ident($($qa:tt)*) -> $qout:ty { $($call:tt)* } )* }
    ) => {
        &[$(stringify!($data),)* $(stringify!($q),)*]
    };
}

/// Everything a `Permissions` holds and answers, snake_case (Python shows the data as
/// properties).
pub const PERMISSIONS_OPERATIONS: &[&str] = crate::describe_permissions!(permissions_names);

macro_rules! explanation_names {
    (
        $(#[$edoc:meta])* enum $enum:ident { $($variants:tt)* }
        $(#[$doc:meta])* struct $top:ident {
            $( $(#[$fdoc:meta])* $field:ident: $fty:ty $(= $method:ident())?, )*
        }
        $($rest:tt)*
    ) => {
        &[$(stringify!($field)),*]
    };
}

/// The fields of an `Explanation`, snake_case, in order (stored and computed alike): every
/// language's explanation has each.
pub const EXPLANATION_FIELDS: &[&str] = crate::describe_explanation!(explanation_names);

/// The checks: every operation of every description, expanded against the core's types with
/// the receiver its list names. Never called; it only has to compile.
#[allow(dead_code)]
mod checks {
    use crate::error::VerifyError;
    use crate::identity::Identity;
    use crate::policy::{Explanation, PermissionMapper, Permissions, Policy, PolicyError};

    /// A value of any type, for arguments (never run).
    fn any<T>() -> T {
        unreachable!("the checks are compiled, not run")
    }

    macro_rules! check_policy {
        (
            loaders { $( $(#[$ldoc:meta])* fn $loader:ident($larg:ident: $lty:ty) {
                $lcore:ident($($lpass:expr),*)
            } )* }
            questions { $( $(#[$qdoc:meta])* fn $q:ident($qid:ident $(, $qarg:ident: $qty:ty)*) -> $qout:ty {
                $qcore:ident($($qpass:expr),*)
            } )* }
        ) => {
            fn policy(policy: &Policy) {
                $({
                    let $larg: $lty = any();
                    let _: Result<Policy, PolicyError> = Policy::$lcore($($lpass),*);
                })*
                $({
                    let $qid: &Identity = any();
                    $(let $qarg: $qty = any();)*
                    let _: $qout = policy.$qcore($($qpass),*);
                })*
            }
        };
    }
    crate::describe_policy!(check_policy);

    macro_rules! check_mapper_questions {
        ($( $(#[$doc:meta])* fn $name:ident($id:ident $(, $arg:ident: $ty:ty)*) -> $out:ty {
            $core:ident($($pass:expr),*)
        } )*) => {
            fn mapper_questions(mapper: &dyn PermissionMapper, policy: &Policy) {
                $({
                    let $id: &Identity = any();
                    $(let $arg: $ty = any();)*
                    let _: Result<$out, VerifyError> = mapper.$core($($pass),*);
                    // A policy answers them through the same trait.
                    $(let $arg: $ty = any();)*
                    let _: Result<$out, VerifyError> = PermissionMapper::$core(policy, $($pass),*);
                })*
            }
        };
    }
    crate::describe_mapper_questions!(check_mapper_questions);

    macro_rules! check_permissions {
        (
            data { $( $(#[$ddoc:meta])* fn $data:ident() -> &$dout:ty; )* }
            questions { $( $(#[$qdoc:meta])* fn $q:ident($($arg:ident: $ty:ty),*) -> $out:ty {
                $core:ident($($pass:expr),*)
            } )* }
        ) => {
            fn permissions(permissions: &Permissions) {
                $(let _: &$dout = permissions.$data();)*
                $({
                    $(let $arg: $ty = any();)*
                    let _: $out = permissions.$core($($pass),*);
                })*
            }
        };
    }
    crate::describe_permissions!(check_permissions);

    /// A computed field is its method's answer; a stored one is the field itself (the core's
    /// struct is defined from the same list, so only the computed ones need checking).
    macro_rules! check_explanation {
        (
            $(#[$edoc:meta])* enum $enum:ident { $($variants:tt)* }
            $( $(#[$sdoc:meta])* struct $s:ident {
                $( $(#[$fdoc:meta])* $field:ident: $fty:ty $(= $method:ident())?, )*
            } )*
        ) => {
            fn explanation(explanation: &Explanation) {
                $($($(let _: $fty = explanation.$method();)?)*)*
            }
        };
    }
    crate::describe_explanation!(check_explanation);

    #[test]
    fn the_parity_tables_list_every_operation() {
        assert_eq!(
            super::POLICY_OPERATIONS,
            [
                "from_yaml",
                "from_toml",
                "from_json",
                "from_file",
                "permissions",
                "allows",
                "can_call_tool",
                "filter_tools",
                "explain"
            ]
        );
        assert_eq!(super::PERMISSIONS_OPERATIONS[..2], ["granted", "denied"]);
        assert_eq!(super::EXPLANATION_FIELDS.len(), 9);
    }
}
