//! Evaluating a 50-rule permission policy for one identity, next to verifying that identity's
//! token (warm key cache, no network), in one run, with the ratio printed at the end.
//!
//! ```sh
//! cargo bench -p teleport-jwt --all-features --bench policy -- --measurement-time 3 --warm-up-time 1
//! ```

use std::path::PathBuf;
use std::time::Duration;

use std::hint::black_box;

use criterion::Criterion;
use teleport_jwt::mock::{Ca, MintSpec, MockOptions, MockTeleport};
use teleport_jwt::policy::Policy;
use teleport_jwt::{Algorithm, Identity, KeysFrom, TrustEntry, Verifier};

const GROUP: &str = "policy_vs_verify";
const AUDIENCE: &str = "mcp+http://127.0.0.1:8000/mcp";

/// 50 rules in the shapes real policies have: role globs, trait conditions, user and cluster
/// conditions, trait templates (one with a cartesian product), granted globs and denies.
fn fifty_rule_policy() -> String {
    let mut y = String::from("version: 1\nrules:\n");
    for i in 0..45 {
        let m = match i % 5 {
            0 => format!("roles_any: [\"team{i}-*\", \"mcp-reader\"]"),
            1 => format!("roles_all: [\"team{i}-dev\", access]"),
            2 => format!("traits: {{team: [data, \"ml-{i}*\"]}}"),
            3 => format!("users: [\"svc-{i}-*\", \"alice\"]\n      trust_entries: [root]"),
            _ => format!("roles_any: [\"editor\"]\n      traits: {{level: [\"l{i}\"]}}"),
        };
        y.push_str(&format!(
            "  - name: rule-{i}\n    match:\n      {m}\n    grant:\n      - \"tool:t{i}_*\"\n      - \"repo:{{{{traits.orgs}}}}:perm{i}\"\n      - \"doc:{i}:read\"\n"
        ));
        if i % 9 == 0 {
            y.push_str(
                "      - \"env:{{traits.envs}}:{{traits.regions}}\"\n      - \"home:{{user}}\"\n",
            );
        }
    }
    for i in 0..5 {
        y.push_str(&format!(
            "  - name: deny-{i}\n    match:\n      trust_entries: [\"leaf-{i}*\", root]\n      roles_any: [\"mcp-*\"]\n    deny: [\"tool:t{i}_delete*\", \"repo:*:perm{}\"]\n",
            i * 7
        ));
    }
    y
}

fn spec() -> MintSpec {
    MintSpec {
        username: "alice".into(),
        roles: ["mcp-reader", "team6-dev", "access", "editor", "team13-ops"]
            .map(String::from)
            .to_vec(),
        traits: [
            ("orgs", &["acme", "globex", "initech"][..]),
            ("team", &["data", "ml-12x"][..]),
            ("envs", &["dev", "staging", "prod"][..]),
            ("regions", &["eu", "us"][..]),
            ("logins", &["root", "ubuntu"][..]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect(),
        ..MintSpec::default()
    }
}

/// A verifier on the mock's published keys (static: no network during the benchmark) and a
/// fresh token from the mock. `token_cache` off: every call checks the signature, as the first
/// request of a session does; on: a repeated token skips it (the verifier's default).
fn verifier_and_token(alg: Algorithm, token_cache: bool) -> (Verifier, String) {
    let mock = MockTeleport::start_with(MockOptions {
        algorithm: alg,
        ..MockOptions::default()
    })
    .expect("mock starts");
    let verifier = Verifier::builder()
        .trust(TrustEntry::new(
            mock.cluster_name(),
            vec![AUDIENCE.to_string()],
            KeysFrom::StaticJwks(mock.jwks_json(Ca::Jwt)),
        ))
        .configure(|o| {
            if !token_cache {
                o.token_cache_capacity = 0;
            }
        })
        .build()
        .expect("verifier builds");
    let token = mock.mint(&spec()).expect("mint");
    verifier.warm_up().expect("static keys load");
    (verifier, token)
}

fn benches(c: &mut Criterion) -> (usize, usize) {
    let policy = Policy::from_yaml_str(&fifty_rule_policy()).expect("policy loads");
    assert_eq!(policy.rules().len(), 50);
    let (rs, rs_token) = verifier_and_token(Algorithm::RS256, false);
    let (es, es_token) = verifier_and_token(Algorithm::ES256, false);
    let (cached, cached_token) = verifier_and_token(Algorithm::RS256, true);
    let identity: std::sync::Arc<Identity> = rs.verify(&rs_token).expect("token verifies");
    es.verify(&es_token).expect("ES256 token verifies");
    cached.verify(&cached_token).expect("token verifies");
    let shape = (
        policy.explain(&identity, "?").matched_rules.len(),
        policy.permissions(&identity).granted().len(),
    );

    let mut g = c.benchmark_group(GROUP);
    g.bench_function("policy_permissions_50_rules", |b| {
        b.iter(|| policy.permissions(black_box(&identity)))
    });
    g.bench_function("policy_allows_50_rules", |b| {
        b.iter(|| policy.allows(black_box(&identity), black_box("tool:t5_read")))
    });
    g.bench_function("verify_rs256", |b| {
        b.iter(|| rs.verify(black_box(&rs_token)).expect("verifies"))
    });
    g.bench_function("verify_es256", |b| {
        b.iter(|| es.verify(black_box(&es_token)).expect("verifies"))
    });
    g.bench_function("verify_rs256_token_cache_hit", |b| {
        b.iter(|| cached.verify(black_box(&cached_token)).expect("verifies"))
    });
    g.finish();
    shape
}

fn output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")))
        .join("criterion")
}

/// The median (ns) criterion saved for one benchmark of this run.
fn median_ns(dir: &std::path::Path, id: &str) -> Option<f64> {
    let path = dir.join(GROUP).join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn main() {
    let dir = output_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    let (matched, granted) = benches(&mut c);
    c.final_summary();

    let get = |id| median_ns(&dir, id);
    if let (Some(p), Some(a), Some(rs), Some(es), Some(hit)) = (
        get("policy_permissions_50_rules"),
        get("policy_allows_50_rules"),
        get("verify_rs256"),
        get("verify_es256"),
        get("verify_rs256_token_cache_hit"),
    ) {
        let us = |ns: f64| ns / 1e3;
        println!();
        println!(
            "50-rule policy ({matched} rules match the identity, {granted} permissions granted), medians:"
        );
        println!("  policy.permissions()            {:>9.2} µs", us(p));
        println!("  policy.allows()                 {:>9.2} µs", us(a));
        println!("  verify RS256 (warm keys)        {:>9.2} µs", us(rs));
        println!("  verify ES256 (warm keys)        {:>9.2} µs", us(es));
        println!("  verify RS256, token-cache hit   {:>9.2} µs", us(hit));
        println!(
            "  permissions() / verify: {:.2} of RS256, {:.2} of ES256, {:.2} of a cache hit",
            p / rs,
            p / es,
            p / hit
        );
        println!(
            "  allows() / verify:      {:.2} of RS256, {:.2} of ES256, {:.2} of a cache hit",
            a / rs,
            a / es,
            a / hit
        );
    }
}
