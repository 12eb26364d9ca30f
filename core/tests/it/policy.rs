//! The permission policy: matching rules, template expansion, deny precedence, globs, explain,
//! load-time errors with line numbers, the plug-in trait, and the shared vector file
//! `tests/vectors/policy_cases.json` (also run by the Python and Kotlin suites).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use teleport_jwt::policy::{
    mapper_error, Decision, Effect, Glob, Match, PermissionMapper, Permissions, Policy,
    PolicyDocument, PolicyFormat, Rule, Template, MAX_EXPANSION_PER_RULE,
};
use teleport_jwt::{Algorithm, Identity, Reason, TokenKind, VerifyError};

fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn identity(username: &str, roles: &[&str], traits: &[(&str, &[&str])], trust: &str) -> Identity {
    Identity {
        username: username.into(),
        sub: username.into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        traits: traits
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect(),
        issuer: trust.into(),
        audience: vec!["aud".into()],
        expires_at: 0,
        issued_at: None,
        not_before: None,
        jti: None,
        key_id: None,
        algorithm: Algorithm::RS256,
        trust_entry: trust.into(),
        kind: TokenKind::TeleportJwt,
        claims: Default::default(),
    }
}

fn user(roles: &[&str]) -> Identity {
    identity("alice", roles, &[], "root")
}

fn yaml(text: &str) -> Policy {
    Policy::from_yaml_str(text).unwrap_or_else(|e| panic!("policy loads: {e}\n{text}"))
}

/// A one-rule policy granting `perm` to whoever matches `m` (a YAML flow mapping).
fn one_rule(m: &str) -> Policy {
    yaml(&format!("rules:\n  - match: {m}\n    grant: [granted]\n"))
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Matching rules, one condition at a time. Each row: match, identity, expected.

#[test]
fn every_match_condition() {
    type Row = (&'static str, Identity, bool);
    let rows: Vec<Row> = vec![
        ("{}", user(&[]), true), // empty match: everyone
        ("{roles_any: [mcp-reader]}", user(&["mcp-reader"]), true),
        ("{roles_any: [mcp-reader]}", user(&["mcp-writer"]), false),
        (
            "{roles_any: [\"mcp-*\"]}",
            user(&["other", "mcp-dev"]),
            true,
        ),
        ("{roles_any: [\"mcp-*\"]}", user(&["xmcp-dev"]), false),
        ("{roles_any: [\"mcp-*\"]}", user(&["MCP-dev"]), false), // case-sensitive
        ("{roles_any: [\"mcp-?\"]}", user(&["mcp-1"]), true),
        ("{roles_any: [\"mcp-?\"]}", user(&["mcp-12"]), false),
        ("{roles_any: [a, b]}", user(&["b"]), true),
        ("{roles_any: [a]}", user(&[]), false),
        ("{roles_all: [a, b]}", user(&["a", "b", "c"]), true),
        ("{roles_all: [a, b]}", user(&["a"]), false),
        (
            "{roles_all: [\"mcp-*\", admin]}",
            user(&["mcp-x", "admin"]),
            true,
        ),
        ("{roles_all: [\"mcp-*\", admin]}", user(&["admin"]), false),
        ("{users: [alice]}", user(&[]), true),
        ("{users: [\"al*\"]}", user(&[]), true),
        ("{users: [bob]}", user(&[]), false),
        ("{trust_entries: [root]}", user(&[]), true),
        ("{trust_entries: [\"leaf-*\"]}", user(&[]), false),
        (
            "{trust_entries: [\"leaf-*\"]}",
            identity("alice", &[], &[], "leaf-eu"),
            true,
        ),
        (
            "{traits: {team: [data]}}",
            identity("a", &[], &[("team", &["ops", "data"])], "root"),
            true,
        ),
        (
            "{traits: {team: [data]}}",
            identity("a", &[], &[("team", &["ops"])], "root"),
            false,
        ),
        ("{traits: {team: [data]}}", user(&[]), false), // missing trait
        (
            "{traits: {team: [data]}}",
            identity("a", &[], &[("team", &[])], "root"),
            false,
        ),
        (
            "{traits: {team: [\"ml-*\"]}}",
            identity("a", &[], &[("team", &["ml-vision"])], "root"),
            true,
        ),
        // Several traits: all must hold.
        (
            "{traits: {team: [data], level: [senior]}}",
            identity("a", &[], &[("team", &["data"])], "root"),
            false,
        ),
        (
            "{traits: {team: [data], level: [senior]}}",
            identity(
                "a",
                &[],
                &[("team", &["data"]), ("level", &["senior"])],
                "root",
            ),
            true,
        ),
        // Several conditions: ANDed.
        ("{roles_any: [a], users: [alice]}", user(&["a"]), true),
        ("{roles_any: [a], users: [bob]}", user(&["a"]), false),
        (
            "{roles_any: [a], trust_entries: [leaf]}",
            user(&["a"]),
            false,
        ),
    ];
    for (m, id, want) in rows {
        let policy = one_rule(m);
        assert_eq!(
            policy.allows(&id, "granted"),
            want,
            "match {m} for {:?} {:?} {:?} {}",
            id.username,
            id.roles,
            id.traits,
            id.trust_entry
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Templates.

fn grants_for(template: &str, id: &Identity) -> BTreeSet<String> {
    let policy = yaml(&format!(
        "rules:\n  - match: {{}}\n    grant: [{}]\n",
        serde_json::to_string(template).unwrap()
    ));
    policy.permissions(id).into_granted()
}

#[test]
fn template_expansion() {
    let id = identity(
        "alice",
        &[],
        &[
            ("orgs", &["acme", "globex"]),
            ("envs", &["dev", "prod"]),
            ("empty", &[]),
            ("one", &["x"]),
            ("tricky", &["{{traits.orgs}}", "{{user}}", "}}", "{{"]),
            ("globby", &["a*", "b?", "", "ok"]),
            (
                "http://schemas.example.com/claims/email",
                &["a@example.com"],
            ),
        ],
        "root",
    );
    let rows: &[(&str, &[&str])] = &[
        ("plain", &["plain"]),
        (
            "repo:{{traits.orgs}}:read",
            &["repo:acme:read", "repo:globex:read"],
        ),
        (
            "repo:{{ traits.orgs }}:read",
            &["repo:acme:read", "repo:globex:read"],
        ),
        ("{{traits.one}}", &["x"]),
        ("repo:{{traits.missing}}:read", &[]),
        ("repo:{{traits.empty}}:read", &[]),
        ("home:{{user}}", &["home:alice"]),
        ("home:{{username}}", &["home:alice"]),
        (
            "{{traits.orgs}}/{{traits.envs}}",
            &["acme/dev", "acme/prod", "globex/dev", "globex/prod"],
        ),
        ("{{traits.orgs}}/{{traits.missing}}", &[]),
        ("{{traits.one}}-{{traits.one}}-{{user}}", &["x-x-alice"]),
        // Substituted text is never expanded again.
        (
            "v:{{traits.tricky}}",
            &["v:{{traits.orgs}}", "v:{{user}}", "v:}}", "v:{{"],
        ),
        // Empty values and values with glob wildcards are skipped.
        ("v:{{traits.globby}}", &["v:ok"]),
        // Globs in the literal part stay globs.
        ("repo:{{traits.orgs}}:*", &["repo:acme:*", "repo:globex:*"]),
        (
            "mail:{{traits[\"http://schemas.example.com/claims/email\"]}}",
            &["mail:a@example.com"],
        ),
    ];
    for (template, want) in rows {
        assert_eq!(
            grants_for(template, &id),
            set(want),
            "template {template:?}"
        );
    }
    // Template text in a value is literal for `allows` too.
    let policy = yaml("rules:\n  - match: {}\n    grant: [\"v:{{traits.tricky}}\"]\n");
    assert!(policy.allows(&id, "v:{{traits.orgs}}"));
    assert!(!policy.allows(&id, "v:acme"));
    // A granted glob from a template covers concrete permissions.
    let policy = yaml("rules:\n  - match: {}\n    grant: [\"repo:{{traits.orgs}}:*\"]\n");
    assert!(policy.allows(&id, "repo:acme:write"));
    assert!(!policy.allows(&id, "repo:initech:write"));
}

#[test]
fn template_api() {
    let t = Template::parse("a:{{traits.x}}:{{user}}").unwrap();
    assert_eq!(t.variables(), vec!["traits.x", "user"]);
    assert!(t.has_variables());
    assert!(!Template::parse("a:b").unwrap().has_variables());
    let id = identity("u", &[], &[("x", &["1", "2", "3"])], "root");
    assert_eq!(t.expansion_size(&id), 3);
    assert_eq!(t.expand(&id), vec!["a:1:u", "a:2:u", "a:3:u"]);
    for bad in [
        "{{traits.x",
        "{{traits.x}",
        "x}}",
        "{{}}",
        "{{ }}",
        "{{trait.x}}",
        "{{external.x}}",
        "{{internal.logins}}",
        "{{traits.}}",
        "{{traits.a b}}",
        "{{traits[x]}}",
        "{{traits[\"\"]}}",
        "{{traits.x}} {{",
        "{{ {{traits.x}} }}",
        "",
        "  ",
    ] {
        assert!(Template::parse(bad).is_err(), "{bad:?} must be refused");
    }
}

#[test]
fn expansion_cap() {
    assert_eq!(MAX_EXPANSION_PER_RULE, 1000);
    let values = |n: usize| (0..n).map(|i| format!("v{i}")).collect::<Vec<_>>();
    let policy = yaml(
        "rules:\n  - name: big\n    match: {}\n    grant: [\"p:{{traits.a}}:{{traits.b}}\"]\n  - name: small\n    match: {}\n    grant: [ok]\n",
    );
    let with = |a: usize, b: usize| {
        let mut id = user(&[]);
        id.traits = BTreeMap::from([("a".into(), values(a)), ("b".into(), values(b))]);
        id
    };
    // Exactly at the cap: granted.
    let p = policy.permissions(&with(40, 25));
    assert_eq!(p.granted().len(), 1000 + 1);
    assert!(p.capped_rules().is_empty());
    // One over: the rule grants nothing, the others still apply.
    let id = with(1001, 1);
    let p = policy.permissions(&id);
    assert_eq!(p.granted(), &set(&["ok"]));
    assert_eq!(p.capped_rules(), &[0]);
    let e = policy.explain(&id, "p:v1:v0");
    assert_eq!(e.decision, Decision::NotGranted);
    assert_eq!(e.capped_rules.len(), 1);
    assert!(e.to_string().contains("expansion cap"), "{e}");
    // A huge product is refused without being built (saturating count).
    let p = policy.permissions(&with(100_000, 100_000));
    assert_eq!(p.capped_rules(), &[0]);
    // The cap counts every template of the rule together.
    let policy =
        yaml("rules:\n  - match: {}\n    grant: [\"a:{{traits.a}}\", \"b:{{traits.a}}\"]\n");
    let mut id = user(&[]);
    id.traits.insert("a".into(), values(600));
    assert!(policy.permissions(&id).is_empty());
}

// ---------------------------------------------------------------------------------------------
// SECURITY-CASES 42: a substituted value is exactly one permission segment. Values with the
// delimiter `:` or a wildcard `*`/`?` are skipped (with a warning); nothing else is special.

/// The test-side statement of the rule: a value may be substituted when it is not empty and
/// has none of `:`, `*`, `?`.
fn sec42_usable(v: &str) -> bool {
    !v.is_empty() && !v.contains([':', '*', '?'])
}

const SEC42_USER_POLICY: &str = r#"
rules:
  - name: own-space
    match: {}
    grant: ["sandbox:{{user}}:*", "home:{{username}}", "inbox:{{ user }}:read"]
  - name: everyone
    match: {}
    grant: ["docs:read"]
"#;

#[test]
fn sec_42_user_name_with_delimiter_is_skipped() {
    let policy = yaml(SEC42_USER_POLICY);
    let alice = identity("alice", &[], &[], "root");
    assert_eq!(
        policy.permissions(&alice).granted(),
        &set(&[
            "docs:read",
            "home:alice",
            "inbox:alice:read",
            "sandbox:alice:*"
        ])
    );
    assert!(policy.allows(&alice, "sandbox:alice:secrets:notes"));

    // The finding: user "alice:secrets" must not land inside alice's sandbox.
    let mallory = identity("alice:secrets", &[], &[], "root");
    let p = policy.permissions(&mallory);
    assert_eq!(p.granted(), &set(&["docs:read"]));
    assert!(p.denied().is_empty());
    for perm in [
        "sandbox:alice:secrets:notes",
        "sandbox:alice:secrets:*",
        "sandbox:alice:secrets",
        "sandbox:alice:notes",
        "home:alice:secrets",
        "home:alice",
        "inbox:alice:secrets:read",
        "inbox:alice:read",
    ] {
        assert!(!policy.allows(&mallory, perm), "{perm}");
        assert!(!p.allows(perm), "{perm}");
        assert_eq!(
            policy.explain(&mallory, perm).decision,
            Decision::NotGranted,
            "{perm}"
        );
    }
    assert!(policy.allows(&mallory, "docs:read"));

    // Every other refused user name: nothing from the templates, the fixed grant stays.
    for name in [
        ":", "alice:", ":alice", "alice:*", "a:b:c", "*", "al*", "a?ice", "",
    ] {
        let id = identity(name, &[], &[], "root");
        assert_eq!(
            policy.permissions(&id).granted(),
            &set(&["docs:read"]),
            "{name:?}"
        );
        assert!(!policy.allows(&id, "sandbox:alice:x"), "{name:?}");
        assert!(
            !policy.allows(&id, &format!("sandbox:{name}:x")),
            "{name:?}"
        );
    }
    // Characters the grammar does not treat specially are kept, literally.
    let odd = identity("[a-z]\\{x}", &[], &[], "root");
    assert_eq!(
        policy.permissions(&odd).granted(),
        &set(&[
            "docs:read",
            "home:[a-z]\\{x}",
            "inbox:[a-z]\\{x}:read",
            "sandbox:[a-z]\\{x}:*"
        ])
    );
    assert!(policy.allows(&odd, "sandbox:[a-z]\\{x}:notes"));
    assert!(!policy.allows(&odd, "sandbox:a\\{x}:notes"));
    assert!(!policy.allows(&odd, "home:b"));
}

#[test]
fn sec_42_trait_value_with_delimiter_is_skipped() {
    let policy = yaml(
        r#"
rules:
  - name: tenants
    match: {}
    grant: ["tenant:{{traits.tenant}}", "repo:{{traits.tenant}}:read"]
  - name: envs
    match: {}
    grant: ["env:{{traits.envs}}:{{traits.regions}}"]
  - name: mail
    match: {}
    grant: ["mail:{{traits[\"http://schemas.example.com/claims/tenant\"]}}"]
"#,
    );
    let id = identity(
        "u",
        &[],
        &[
            (
                "tenant",
                &[
                    "acme:admin",
                    "acme",
                    ":",
                    "globex:*",
                    "initech?",
                    "",
                    "hooli*",
                ],
            ),
            ("envs", &["dev", "prod:eu"]),
            ("regions", &["us", "eu:*"]),
            (
                "http://schemas.example.com/claims/tenant",
                &["a:b", "ok@example.com"],
            ),
        ],
        "root",
    );
    let p = policy.permissions(&id);
    assert_eq!(
        p.granted(),
        &set(&[
            "env:dev:us",
            "mail:ok@example.com",
            "repo:acme:read",
            "tenant:acme"
        ])
    );
    for perm in [
        "tenant:acme:admin",
        "tenant:acme:x",
        "tenant:globex:x",
        "tenant:globex:*",
        "tenant:initechx",
        "tenant:hooli",
        "tenant:",
        "repo:acme:admin:read",
        "repo::read",
        "env:prod:eu:us",
        "env:dev:eu:*",
        "env:dev:eu:x",
        "env:prod:us",
        "mail:a:b",
    ] {
        assert!(!policy.allows(&id, perm), "{perm}");
        assert!(!p.allows(perm), "{perm}");
        assert!(!policy.explain(&id, perm).is_allowed(), "{perm}");
    }
    for perm in ["tenant:acme", "repo:acme:read", "env:dev:us"] {
        assert!(policy.allows(&id, perm), "{perm}");
    }
    // A trait whose only value is refused gives nothing at all.
    let only_bad = identity("u", &[], &[("tenant", &["acme:admin"])], "root");
    assert!(policy.permissions(&only_bad).is_empty());
    assert!(!policy.allows(&only_bad, "tenant:acme:admin"));
    assert!(!policy.allows(&only_bad, "tenant:acme"));

    // The expansion cap counts only the usable values, the same as the expansion.
    let t = Template::parse("tenant:{{traits.tenant}}").unwrap();
    assert_eq!(t.expansion_size(&id), 1);
    assert_eq!(t.expand(&id), vec!["tenant:acme"]);
    let t = Template::parse("env:{{traits.envs}}:{{traits.regions}}").unwrap();
    assert_eq!(t.expansion_size(&id), 1);
    assert_eq!(t.expand(&id), vec!["env:dev:us"]);
    let mut many = user(&[]);
    many.traits.insert(
        "tenant".into(),
        (0..5000)
            .map(|i| format!("t{i}:x"))
            .chain(["ok".into()])
            .collect(),
    );
    let p = policy.permissions(&many);
    assert!(p.capped_rules().is_empty(), "refused values do not count");
    assert_eq!(p.granted(), &set(&["repo:ok:read", "tenant:ok"]));
}

/// One part of a template in the property test: literal text or a variable.
#[derive(Clone, Copy)]
enum Sec42Part {
    Lit(&'static str),
    User,
    Trait,
}

#[test]
fn sec_42_template_never_grants_outside_its_pattern() {
    use Sec42Part::{Lit, Trait, User};
    let templates: &[&[Sec42Part]] = &[
        &[Lit("sandbox:"), User, Lit(":*")],
        &[Lit("tenant:"), Trait],
        &[Lit("repo:"), Trait, Lit(":read")],
        &[Lit("env:"), Trait, Lit(":"), User],
        &[Trait],
        &[Lit("pre-"), Trait, Lit("-post:x")],
        &[Lit("a:"), Trait, Lit(":"), Trait, Lit(":?")],
        &[User, Lit(":home:*")],
    ];
    let long = format!("{}:{}", "x".repeat(300), "y".repeat(300));
    let nasty: Vec<&str> = vec![
        // Refused: the delimiter and the wildcards, anywhere, alone or combined.
        ":",
        "::",
        "a:",
        ":a",
        "alice:secrets",
        "acme:admin",
        "x:y:z",
        "*",
        "**",
        "a*",
        "*a",
        "?",
        "a?b",
        "a:*",
        "*:*",
        "tool:*",
        "\u{0}:",
        "é:ü",
        "\n:x",
        &long,
        "",
        // Kept: nothing else is special in the grammar, and template text is not expanded.
        "a\\b",
        "[a-z]",
        "{a,b}",
        "{{user}}",
        "{{traits.t}}",
        "}}",
        "a b",
        " ",
        "é",
        "a/b",
        "a-b",
        "..",
        "\n",
    ];
    let clean = ["alice", "acme"];
    for parts in templates {
        let source: String = parts
            .iter()
            .map(|p| match p {
                Lit(l) => l.to_string(),
                User => "{{user}}".to_string(),
                Trait => "{{traits.t}}".to_string(),
            })
            .collect();
        let literal: String = parts
            .iter()
            .filter_map(|p| match p {
                Lit(l) => Some(*l),
                _ => None,
            })
            .collect();
        let literal_colons = literal.matches(':').count();
        let literal_wildcards = literal.matches(['*', '?']).count();
        // The template's own pattern: each variable is one segment, of any text.
        let pattern = Glob::new(
            parts
                .iter()
                .map(|p| match p {
                    Lit(l) => l.to_string(),
                    _ => "*".to_string(),
                })
                .collect::<String>(),
        );
        let policy = yaml(&format!(
            "rules:\n  - match: {{}}\n    grant: [{}]\n",
            serde_json::to_string(&source).unwrap()
        ));
        for &n in &nasty {
            // The nasty value as the user name, as a trait value beside a clean one, and both.
            let shapes: [(&str, Vec<&str>); 3] = [
                (n, vec![clean[1]]),
                (clean[0], vec![n, clean[1]]),
                (n, vec![n]),
            ];
            for (username, trait_values) in shapes {
                let id = identity(username, &[], &[("t", trait_values.as_slice())], "root");
                let p = policy.permissions(&id);
                // The model: the cartesian product over the usable values only.
                let mut want: BTreeSet<String> = BTreeSet::from([String::new()]);
                for part in *parts {
                    let choices: Vec<&str> = match part {
                        Lit(l) => vec![*l],
                        User => [username].into_iter().filter(|v| sec42_usable(v)).collect(),
                        Trait => trait_values
                            .iter()
                            .copied()
                            .filter(|v| sec42_usable(v))
                            .collect(),
                    };
                    want = want
                        .iter()
                        .flat_map(|w| choices.iter().map(move |c| format!("{w}{c}")))
                        .collect();
                }
                let ctx = format!("{source:?} user {username:?} t {trait_values:?}");
                assert_eq!(p.granted(), &want, "{ctx}");
                // Structure, independent of the model: same segments, same wildcards, inside
                // the template's pattern.
                for g in p.granted() {
                    assert_eq!(g.matches(':').count(), literal_colons, "{ctx}: {g:?}");
                    assert_eq!(
                        g.matches(['*', '?']).count(),
                        literal_wildcards,
                        "{ctx}: {g:?}"
                    );
                    assert!(pattern.matches(g), "{ctx}: {g:?} outside {pattern:?}");
                }
                // What a literal substitution would have granted: refused unless the value is
                // plain (then it is granted, as literal text).
                let naive = |v: &str| -> String {
                    parts
                        .iter()
                        .map(|p| match p {
                            Lit(l) => l.to_string(),
                            _ => v.to_string(),
                        })
                        .collect()
                };
                if username == n && trait_values == [n] {
                    let probe = naive(n).replace(['*', '?'], "x");
                    assert_eq!(
                        policy.allows(&id, &probe),
                        sec42_usable(n),
                        "{ctx}: {probe:?}"
                    );
                    assert_eq!(
                        policy.explain(&id, &probe).is_allowed(),
                        sec42_usable(n),
                        "{ctx}: {probe:?}"
                    );
                    if !sec42_usable(n) {
                        assert!(p.is_empty(), "{ctx}");
                    }
                }
            }
        }
    }
}

/// Log lines of the current thread (each test runs on its own thread), for the warning tests.
mod sec42_log {
    use std::cell::RefCell;
    use std::sync::Once;

    thread_local! {
        static LINES: RefCell<Vec<(log::Level, String)>> = const { RefCell::new(Vec::new()) };
    }

    struct ThreadLogger;

    impl log::Log for ThreadLogger {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            LINES.with(|l| {
                l.borrow_mut()
                    .push((record.level(), record.args().to_string()))
            });
        }
        fn flush(&self) {}
    }

    /// Installs the logger (once per process) and forgets this thread's earlier lines.
    pub fn start() {
        static INIT: Once = Once::new();
        INIT.call_once(|| {
            log::set_logger(&ThreadLogger).expect("no other logger in this test binary");
            log::set_max_level(log::LevelFilter::Warn);
        });
        take();
    }

    /// This thread's lines since the last call.
    pub fn take() -> Vec<(log::Level, String)> {
        LINES.with(|l| std::mem::take(&mut *l.borrow_mut()))
    }
}

#[test]
fn sec_42_skipped_values_are_logged_once_per_variable_and_expansion() {
    sec42_log::start();
    let policy = yaml(
        "rules:\n  - name: t\n    match: {}\n    grant: [\"tenant:{{traits.tenant}}\", \"sandbox:{{user}}:*\", \"docs:read\"]\n",
    );
    let long_bad = format!("{}:admin", "x".repeat(200));
    let mut id = identity("alice:secrets", &[], &[], "root");
    let mut values: Vec<String> = vec![long_bad.clone(), "ok".into(), String::new()];
    values.extend((0..1000).map(|i| format!("t{i}:x")));
    id.traits.insert("tenant".into(), values);
    id.claims
        .insert("secret_marker".into(), "TOKEN-DO-NOT-LOG".into());

    let p = policy.permissions(&id);
    assert_eq!(p.granted(), &set(&["docs:read", "tenant:ok"]));
    let lines = sec42_log::take();
    // One line per variable, not one per value: 1001 refused values, one warning.
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines.iter().all(|(level, _)| *level == log::Level::Warn));
    let tenant = &lines[0].1;
    assert!(tenant.contains("\"tenant:{{traits.tenant}}\""), "{tenant}");
    assert!(
        tenant.contains("1001 value(s) of {{traits.tenant}}"),
        "{tenant}"
    );
    assert!(tenant.contains("user \"alice:secrets\""), "{tenant}");
    assert!(
        tenant.contains(&format!("\"{}…\"", "x".repeat(64))),
        "the value is shortened: {tenant}"
    );
    assert!(!tenant.contains(&"x".repeat(65)), "{tenant}");
    let user_line = &lines[1].1;
    assert!(user_line.contains("\"sandbox:{{user}}:*\""), "{user_line}");
    assert!(user_line.contains("user \"alice:secrets\""), "{user_line}");
    assert!(user_line.contains("':'"), "{user_line}");
    for (_, line) in &lines {
        assert!(!line.contains("TOKEN-DO-NOT-LOG"), "{line}");
        assert!(!line.contains('\n'), "one line each: {line:?}");
    }

    // `allows` and `explain` expand again, and log again (documented: no rate limit).
    assert!(!policy.allows(&id, "sandbox:alice:secrets:x"));
    assert_eq!(sec42_log::take().len(), 2);
    let _ = policy.explain(&id, "tenant:ok");
    assert_eq!(sec42_log::take().len(), 2);
    // Each evaluation logs at most once per variable, whatever it asks.
    assert!(policy.allows(&id, "docs:read"));
    assert!(sec42_log::take().len() <= 2);

    // Clean values, empty values and a missing trait log nothing.
    let clean = identity("alice", &[], &[("tenant", &["acme", ""])], "root");
    assert_eq!(
        policy.permissions(&clean).granted(),
        &set(&["docs:read", "sandbox:alice:*", "tenant:acme"])
    );
    assert!(policy.permissions(&user(&[])).allows("docs:read"));
    assert!(sec42_log::take().is_empty());

    // A control character in a value cannot forge a log line.
    let forged = identity("bob", &[], &[("tenant", &["x:\nWARN forged"])], "root");
    policy.permissions(&forged);
    let lines = sec42_log::take();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].1.contains("\\nWARN forged"), "{}", lines[0].1);
}

// ---------------------------------------------------------------------------------------------
// The example policies do not depend on traits for a deny: Teleport's `jwt_claims: roles` sends
// `"traits": {}`.

#[test]
fn example_contractor_deny_holds_when_the_token_has_no_traits() {
    let policy = Policy::from_file(repo_root().join("examples/policy/mcp-tools.yaml")).unwrap();
    // `jwt_claims: roles`: roles, no traits.
    let writer = identity("rita", &["mcp-writer", "contractor"], &[], "root");
    let admin = identity("ann", &["mcp-admin", "contractor"], &[], "root");
    for id in [&writer, &admin] {
        assert!(id.traits.is_empty());
        for perm in ["tool:write_file", "tool:delete_file", "repo:acme:write"] {
            assert!(!policy.allows(id, perm), "{} {perm}", id.username);
        }
        assert!(policy.allows(id, "tool:read_file"));
        assert!(policy.allows(id, "tool:create_issue"));
        let e = policy.explain(id, "tool:write_file");
        assert_eq!(e.decision, Decision::Denied);
        assert_eq!(
            e.decided_by.as_ref().unwrap().rule.name.as_deref(),
            Some("contractors-read-only")
        );
    }
    assert!(policy.allows(&admin, "tool:admin_reindex"));
    // With traits too, the role rule decides (it comes first); the trait rule still denies
    // for an identity provider that only sends the trait.
    let by_trait = identity(
        "tom",
        &["mcp-writer"],
        &[("employment", &["contractor"]), ("github_orgs", &["acme"])],
        "root",
    );
    assert!(!policy.allows(&by_trait, "tool:write_file"));
    assert!(!policy.allows(&by_trait, "repo:acme:write"));
    assert_eq!(
        policy.permissions(&by_trait).denied(),
        &set(&["repo:*:write", "tool:delete_*", "tool:write_*"])
    );
    // A writer who is not a contractor keeps write access.
    let employee = identity(
        "eve",
        &["mcp-writer"],
        &[("github_orgs", &["acme"])],
        "root",
    );
    assert!(policy.allows(&employee, "tool:write_file"));
    assert!(policy.allows(&employee, "repo:acme:write"));
    // No deny rule of either example matches on traits alone.
    for file in ["mcp-tools.yaml", "reports.yaml"] {
        let policy = Policy::from_file(repo_root().join("examples/policy").join(file)).unwrap();
        for rule in policy.rules() {
            if let Effect::Deny(_) = rule.effect {
                let m = &rule.when;
                let other = m.roles_any.is_some()
                    || m.roles_all.is_some()
                    || m.users.is_some()
                    || m.trust_entries.is_some();
                let name = rule.name.as_deref().unwrap_or("?");
                assert!(
                    other || name.ends_with("-by-trait"),
                    "{file}: deny rule {name} depends on traits only"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Deny precedence and globs.

#[test]
fn deny_always_wins() {
    for order in [true, false] {
        let grant =
            "  - name: g\n    match: {}\n    grant: [\"tool:*\", \"tool:delete_repo\", docs]\n";
        let deny = "  - name: d\n    match: {roles_any: [contractor]}\n    deny: [\"tool:delete_*\", docs]\n";
        let text = if order {
            format!("rules:\n{grant}{deny}")
        } else {
            format!("rules:\n{deny}{grant}")
        };
        let policy = yaml(&text);
        let c = user(&["contractor"]);
        assert!(policy.allows(&c, "tool:read_file"));
        assert!(
            !policy.allows(&c, "tool:delete_repo"),
            "deny beats a concrete grant"
        );
        assert!(
            !policy.allows(&c, "tool:delete_x"),
            "deny beats a granted glob"
        );
        assert!(!policy.allows(&c, "docs"));
        let p = policy.permissions(&c);
        assert_eq!(
            p.granted(),
            &set(&["tool:*"]),
            "concrete denied grants are dropped"
        );
        assert_eq!(p.denied(), &set(&["docs", "tool:delete_*"]));
        // The deny rule does not match other users.
        let other = user(&["employee"]);
        assert!(policy.allows(&other, "tool:delete_repo"));
        assert!(policy.allows(&other, "docs"));
    }
}

#[test]
fn granted_globs_and_permissions_type() {
    let p = Permissions::new(["tool:read_*", "a?c", "exact"], ["tool:read_secret*"]);
    assert!(p.allows("tool:read_file"));
    assert!(!p.allows("tool:read_secrets"));
    assert!(p.allows("abc") && !p.allows("abbc"));
    assert!(p.allows("exact") && !p.allows("exactly"));
    assert!(!p.allows("tool:write_file"));
    assert!(p.can_call_tool("read_file"));
    assert_eq!(
        p.filter_tools(vec!["write".to_string(), "read_x".to_string()]),
        vec!["read_x".to_string()]
    );
    let empty = Permissions::default();
    assert!(empty.is_empty() && !empty.allows("anything"));
    let from_set: Permissions = set(&["x"]).into();
    assert!(from_set.allows("x"));
    let g = Glob::new("tool:*");
    assert!(g.is_wildcard() && g.matches("tool:") && !Glob::new("x").is_wildcard());
}

// ---------------------------------------------------------------------------------------------
// Explain.

const EXPLAIN_POLICY: &str = r#"
rules:
  - name: readers
    match: {roles_any: ["mcp-*"]}
    grant: ["tool:read_*"]
  - name: admins
    match: {roles_all: [mcp-admin]}
    grant: ["tool:*", "repo:{{traits.orgs}}:write"]
  - name: no-deletes-from-leaf
    match: {trust_entries: ["leaf*"]}
    deny: ["tool:delete_*"]
  - match: {users: [nobody]}
    grant: [x]
"#;

#[test]
fn explain_says_which_rule_and_pattern() {
    let policy = yaml(EXPLAIN_POLICY);
    let leaf_admin = identity("alice", &["mcp-admin"], &[("orgs", &["acme"])], "leaf");

    let e = policy.explain(&leaf_admin, "tool:read_file");
    assert_eq!(e.decision, Decision::Granted);
    let hit = e.decided_by.as_ref().unwrap();
    assert_eq!(hit.rule.name.as_deref(), Some("readers"));
    assert_eq!(hit.rule.index, 0);
    assert_eq!(hit.pattern, "tool:read_*");
    assert_eq!(
        e.to_string(),
        r#"granted "tool:read_file" to "alice": rules[0] "readers": grant "tool:read_*" (roles_any: role "mcp-admin" matches "mcp-*")"#
    );

    let e = policy.explain(&leaf_admin, "repo:acme:write");
    assert_eq!(
        e.to_string(),
        r#"granted "repo:acme:write" to "alice": rules[1] "admins": grant "repo:acme:write" from "repo:{{traits.orgs}}:write" (roles_all: role "mcp-admin" matches "mcp-admin")"#
    );

    let e = policy.explain(&leaf_admin, "tool:delete_repo");
    assert_eq!(e.decision, Decision::Denied);
    assert_eq!(e.decision.code(), "denied");
    assert_eq!(
        e.to_string(),
        r#"denied "tool:delete_repo" to "alice": rules[2] "no-deletes-from-leaf": deny "tool:delete_*" (trust_entries: "leaf" matches "leaf*"); overrides rules[1] "admins": grant "tool:*" (roles_all: role "mcp-admin" matches "mcp-admin")"#
    );

    let e = policy.explain(&user(&["other"]), "tool:read_file");
    assert_eq!(e.decision, Decision::NotGranted);
    assert_eq!(
        e.to_string(),
        r#"not granted "tool:read_file" to "alice": no matching rule grants it (no rule matched)"#
    );
    let e = policy.explain(&user(&["mcp-dev"]), "tool:write_file");
    assert_eq!(
        e.to_string(),
        r#"not granted "tool:write_file" to "alice": no matching rule grants it (matched: rules[0] "readers")"#
    );
    let nobody = identity("nobody", &[], &[], "root");
    let e = policy.explain(&nobody, "y");
    assert_eq!(e.matched_rules[0].to_string(), "rules[3]");
    assert!(!e.is_allowed());
}

#[test]
fn explain_agrees_with_allows() {
    let policy = yaml(EXPLAIN_POLICY);
    let ids = [
        identity("alice", &["mcp-admin"], &[("orgs", &["acme"])], "leaf"),
        identity("bob", &["mcp-dev"], &[], "root"),
        identity("nobody", &[], &[], "root"),
        identity("carol", &["mcp-admin"], &[("orgs", &["a", "b"])], "root"),
    ];
    let perms = [
        "tool:read_file",
        "tool:delete_repo",
        "tool:write",
        "repo:acme:write",
        "repo:b:write",
        "x",
        "",
    ];
    for id in &ids {
        for perm in perms {
            assert_eq!(
                policy.explain(id, perm).is_allowed(),
                policy.allows(id, perm),
                "{} {perm}",
                id.username
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Load-time errors, with line numbers.

#[test]
fn yaml_errors_have_line_numbers() {
    let rows: &[(&str, usize, &str)] = &[
        (
            "version: 1\nrules:\n  - name: a\n    match:\n      rolez: [x]\n    grant: [a]\n",
            5,
            "unknown field `rolez`",
        ),
        (
            "rules:\n  - match: {}\n    grant:\n      - ok\n      - other\n      - \"repo:{{traits.team\"\n",
            6,
            "template \"repo:{{traits.team\" is not closed",
        ),
        (
            "rules:\n  - match: {}\n    grant: [\"{{traits.x}}\", \"{{nope}}\"]\n",
            3,
            "unknown variable \"nope\"",
        ),
        (
            "rules:\n  - match: {}\n    grant: [a]\n  - match: {}\n    deny: [\"x:{{user}}\"]\n",
            5,
            "templates are only allowed in `grant`",
        ),
        (
            "rules:\n  - match: {}\n    grant: [a]\n  - match: {}\n    grant: [a]\n    deny: [b]\n",
            4,
            "both `grant` and `deny`",
        ),
        (
            "rules:\n  - match: {}\n    grant: []\n",
            3,
            "the list is empty",
        ),
        (
            "rules:\n  - match: {}\n    grant: [\"\"]\n",
            3,
            "a permission is empty",
        ),
        (
            "rules:\n  - match: {}\n    grnt: [a]\n",
            3,
            "unknown field `grnt`",
        ),
        (
            "rules:\n  - match:\n      traits: {team: data}\n    grant: [a]\n",
            3,
            "invalid type",
        ),
        ("rules:\n  - match: {}\n    grant: [a]\nextra: 1\n", 4, "unknown field `extra`"),
        ("rules:\n  - match: {\n", 3, ""),
    ];
    for (text, line, reason) in rows {
        let err = Policy::from_yaml_str(text).expect_err(text);
        assert_eq!(err.line(), Some(*line), "{err}\n{text}");
        assert!(err.reason().contains(reason), "{err}");
        assert!(err.column().is_some());
        assert!(
            err.to_string()
                .starts_with(&format!("line {line}, column ")),
            "{err}"
        );
    }
}

#[test]
fn toml_errors_have_line_numbers() {
    let rows: &[(&str, usize, &str)] = &[
        (
            "version = 1\n\n[[rules]]\nname = \"a\"\nmatch = { rolez = [\"x\"] }\ngrant = [\"a\"]\n",
            5,
            "unknown field `rolez`",
        ),
        (
            "[[rules]]\nmatch = {}\ngrant = [\n  \"ok\",\n  \"repo:{{traits.team\",\n]\n",
            5,
            "is not closed",
        ),
        (
            "[[rules]]\nmatch = {}\ngrant = [\"a\"]\n\n[[rules]]\nmatch = {}\n",
            5,
            "needs `grant` or `deny`",
        ),
        (
            "[[rules]]\nmatch = { users = [] }\ngrant = [\"a\"]\n",
            2,
            "empty list",
        ),
        ("[[rules]]\nmatch = {}\ngrant = [\"a\"\n", 3, ""),
        ("version = 7\n[[rules]]\nmatch = {}\ngrant = [\"a\"]\n", 1, "version 7"),
    ];
    for (text, line, reason) in rows {
        let err = Policy::from_toml_str(text).expect_err(text);
        assert_eq!(err.line(), Some(*line), "{err}\n{text}");
        assert!(err.reason().contains(reason), "{err}");
    }
}

#[test]
fn document_level_errors() {
    for (text, reason) in [
        ("rules: []\n", "the list is empty"),
        ("version: 1\n", "missing field `rules`"),
        ("version: 2\nrules:\n  - match: {}\n    grant: [a]\n", "version 2"),
        (
            "rules:\n  - name: a\n    match: {}\n    grant: [x]\n  - name: a\n    match: {}\n    deny: [y]\n",
            "rules[0] and rules[1] are both named \"a\"",
        ),
    ] {
        let err = Policy::from_yaml_str(text).expect_err(text);
        assert!(err.reason().contains(reason), "{err}");
    }
}

#[test]
fn files_json_and_conversion_to_verify_error() {
    let example = repo_root().join("examples/policy/mcp-tools.yaml");
    let policy = Policy::from_file(&example).unwrap();
    assert_eq!(policy.rules().len(), 8);
    assert!(policy.rules().iter().all(|r| r.name.is_some()));

    let dir = std::env::temp_dir().join(format!("tpjwt-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml_path = dir.join("p.TOML");
    std::fs::write(&toml_path, "[[rules]]\nmatch = {}\ngrant = [\"a\"]\n").unwrap();
    assert!(Policy::from_file(&toml_path)
        .unwrap()
        .allows(&user(&[]), "a"));
    let bad = dir.join("bad.yml");
    std::fs::write(&bad, "rules:\n  - match: {}\n    grant: [\"{{user\"]\n").unwrap();
    let err = Policy::from_file(&bad).unwrap_err();
    assert_eq!(err.origin(), Some(bad.display().to_string().as_str()));
    assert!(err
        .to_string()
        .starts_with(&format!("{}: line 3, column ", bad.display())));
    let verify: VerifyError = err.into();
    assert_eq!(verify.reason(), Reason::InvalidConfig);
    assert!(verify.message().contains("not closed"), "{verify}");
    assert!(Policy::from_file(dir.join("p.ini"))
        .unwrap_err()
        .reason()
        .contains("extension"));
    assert!(Policy::from_file(dir.join("missing.yaml"))
        .unwrap_err()
        .reason()
        .contains("cannot read"));
    std::fs::remove_dir_all(&dir).ok();

    let json = Policy::from_json_str(
        r#"{"rules": [{"name": "j", "match": {"users": ["a*"]}, "grant": ["x"]}]}"#,
    )
    .unwrap();
    assert!(json.allows(&user(&[]), "x"));
    let err = Policy::from_json_str("{\"rules\": [\n {\"match\": {}, \"grant\": [\"{{x}}\"]}]}")
        .unwrap_err();
    assert_eq!((err.line(), err.column()), (Some(2), Some(27)));
    assert_eq!(PolicyFormat::from_name("YML"), Some(PolicyFormat::Yaml));
    assert!(Policy::from_str_as(
        "[[rules]]\nmatch = {}\ngrant = [\"a\"]\n",
        PolicyFormat::Toml
    )
    .is_ok());
}

#[test]
fn documents_built_in_code_are_checked_too() {
    let rule = Rule {
        name: Some("r".into()),
        when: Match {
            roles_any: Some(vec![Glob::new("mcp-*")]),
            ..Match::default()
        },
        effect: Effect::Grant(vec![Template::parse("tool:{{traits.tools}}").unwrap()]),
    };
    let doc = PolicyDocument {
        version: 1,
        rules: vec![rule.clone()],
    };
    let policy = Policy::from_document(doc).unwrap();
    let id = identity("a", &["mcp-x"], &[("tools", &["t1"])], "root");
    assert!(policy.can_call_tool(&id, "t1"));
    let mut empty_roles = rule.clone();
    empty_roles.when.roles_any = Some(vec![]);
    let err = Policy::from_document(PolicyDocument {
        version: 1,
        rules: vec![empty_roles],
    })
    .unwrap_err();
    assert!(
        err.reason()
            .starts_with("rules[0]: `roles_any` is an empty list"),
        "{err}"
    );
    let mut templated_deny = rule;
    templated_deny.effect = Effect::Deny(vec![Glob::new("x:{{user}}")]);
    assert!(Policy::from_document(PolicyDocument {
        version: 1,
        rules: vec![templated_deny],
    })
    .is_err());
}

// ---------------------------------------------------------------------------------------------
// The plug-in point.

#[test]
fn permission_mapper_trait() {
    let policy = yaml(EXPLAIN_POLICY);
    let mappers: Vec<Arc<dyn PermissionMapper>> = vec![
        Arc::new(policy.clone()),
        Arc::new(|id: &Identity| -> Result<Permissions, VerifyError> {
            Ok(Permissions::new(
                id.roles.iter().map(|r| format!("tool:{r}_*")),
                ["tool:admin_delete"],
            ))
        }),
    ];
    let id = user(&["mcp-admin"]);
    assert!(mappers[0].can_call_tool(&id, "read_x").unwrap());
    assert!(mappers[1].can_call_tool(&id, "mcp-admin_stats").unwrap());
    assert!(mappers[1].allows(&id, "tool:mcp-admin_x").unwrap());
    let tools = vec!["read_file".to_string(), "delete_repo".to_string()];
    assert_eq!(mappers[0].filter_tools(&id, &tools).unwrap(), tools);

    let failing = |_: &Identity| -> Result<Permissions, VerifyError> {
        Err(mapper_error("directory service timed out"))
    };
    let err = failing.allows(&id, "x").unwrap_err();
    assert_eq!(err.reason(), Reason::PluginError);
    assert_eq!(
        err.to_string(),
        "plugin_error: permission mapper failed: directory service timed out"
    );
}

// ---------------------------------------------------------------------------------------------
// The shared vector file.

fn identity_from(v: &Value) -> Identity {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let mut id = identity(
        v["username"].as_str().unwrap(),
        &[],
        &[],
        v["trust_entry"].as_str().unwrap(),
    );
    id.roles = strings(&v["roles"]);
    id.traits = v["traits"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, vals)| (k.clone(), strings(vals)))
        .collect();
    id
}

#[test]
fn shared_policy_vectors() {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("tests/vectors/policy_cases.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc["description"].as_str().unwrap().contains("Python"));
    let tools: Vec<String> = doc["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let mut policies = BTreeMap::new();
    for (name, p) in doc["policies"].as_object().unwrap() {
        let format = PolicyFormat::from_name(p["format"].as_str().unwrap()).unwrap();
        let source = match (&p["text"], &p["file"]) {
            (Value::String(t), _) => t.clone(),
            (_, Value::String(f)) => std::fs::read_to_string(root.join(f)).unwrap(),
            _ => panic!("policy {name} has neither text nor file"),
        };
        let policy =
            Policy::from_str_as(&source, format).unwrap_or_else(|e| panic!("policy {name}: {e}"));
        policies.insert(name.clone(), policy);
    }
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 14, "the file lost cases");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let policy = &policies[case["policy"].as_str().unwrap()];
        let id = identity_from(&case["identity"]);
        let expect = &case["expect"];
        let p = policy.permissions(&id);
        let want: Vec<&str> = expect["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let got: Vec<&str> = p.granted().iter().map(String::as_str).collect();
        assert_eq!(got, want, "{name}: permissions");
        let denied: Vec<&str> = p.denied().iter().map(String::as_str).collect();
        let want_denied: Vec<&str> = expect["denied"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(denied, want_denied, "{name}: denied");
        for (perm, want) in expect["allows"].as_object().unwrap() {
            assert_eq!(
                policy.allows(&id, perm),
                want.as_bool().unwrap(),
                "{name}: allows {perm}"
            );
            assert_eq!(
                policy.explain(&id, perm).is_allowed(),
                want.as_bool().unwrap()
            );
        }
        let visible: Vec<&str> = expect["tools_visible"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            policy.filter_tools(&id, tools.iter().map(String::as_str)),
            visible,
            "{name}: tools_visible"
        );
        if let Some(capped) = expect.get("capped_rules") {
            let want: Vec<usize> = capped
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(p.capped_rules(), want.as_slice(), "{name}: capped_rules");
        }
        if let Some(explains) = expect.get("explain") {
            for (perm, want) in explains.as_object().unwrap() {
                let e = policy.explain(&id, perm);
                assert_eq!(
                    e.decision.code(),
                    want["decision"],
                    "{name}: explain {perm}"
                );
                let rule = e.decided_by.as_ref().and_then(|h| h.rule.name.as_deref());
                assert_eq!(rule, want["rule"].as_str(), "{name}: explain {perm}: {e}");
                let pattern = e.decided_by.as_ref().map(|h| h.pattern.as_str());
                assert_eq!(pattern, want["pattern"].as_str(), "{name}: explain {perm}");
                if let Some(over) = want.get("overrides_rule") {
                    let got = e
                        .overridden_grant
                        .as_ref()
                        .and_then(|h| h.rule.name.as_deref());
                    assert_eq!(got, over.as_str(), "{name}: explain {perm}: {e}");
                }
            }
        }
    }
    for case in doc["load_errors"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let format = PolicyFormat::from_name(case["format"].as_str().unwrap()).unwrap();
        let err = Policy::from_str_as(case["text"].as_str().unwrap(), format).expect_err(name);
        if let Some(line) = case["line"].as_u64() {
            assert_eq!(err.line(), Some(line as usize), "{name}: {err}");
        }
        assert!(
            err.reason()
                .contains(case["reason_contains"].as_str().unwrap()),
            "{name}: {err}"
        );
    }
}
