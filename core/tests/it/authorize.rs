//! `Verifier::authorize`: verification plus the permission mapper, with the mapper's answer
//! cached per token exactly as long as the verification is.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use teleport_jwt::mock::{Ca, MintSpec};
use teleport_jwt::policy::{mapper_error, Permissions, Policy};
use teleport_jwt::{Algorithm, Identity, ManualClock, Reason, TrustEntry, Verifier, VerifyError};

use crate::common::*;

fn example_policy() -> Policy {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/policy/mcp-tools.yaml"
    );
    Policy::from_file(path).expect("the example policy loads")
}

#[test]
fn authorize_returns_identity_and_the_policy_answer() {
    let m = mock(Algorithm::ES256);
    let policy = example_policy();
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options_for(&m))
        .permission_mapper(Arc::new(policy.clone()))
        .build()
        .unwrap();
    for roles in [
        vec!["access".to_string()],
        vec!["mcp-admin".to_string()],
        vec![],
    ] {
        let token = m
            .mint(&MintSpec {
                roles: roles.clone(),
                ..Default::default()
            })
            .unwrap();
        let got = v.authorize(&token).unwrap();
        assert_eq!(got.identity.roles, roles);
        assert_eq!(
            *got.permissions,
            policy.permissions(&got.identity),
            "{roles:?}"
        );
        let again = v.authorize(&token).unwrap();
        assert!(
            Arc::ptr_eq(&got.permissions, &again.permissions),
            "computed once per token"
        );
    }
    let bearer = format!("Bearer {}", m.mint(&MintSpec::default()).unwrap());
    assert!(v
        .authorize_headers([("Authorization", bearer.as_str())])
        .is_ok());
}

#[test]
fn authorize_without_a_mapper_is_a_configuration_error() {
    let m = mock(Algorithm::RS256);
    let e = verifier(&m)
        .authorize(&m.mint(&MintSpec::default()).unwrap())
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidConfig);
}

/// `with_permissions` adds a mapper to a built verifier (as `teleport_jwt.mcp` does with
/// the user's verifier): keys are shared, not fetched again; permissions are its own.
#[test]
fn with_permissions_shares_keys_and_caches_its_own_permissions() {
    let m = mock(Algorithm::RS256);
    let plain = verifier(&m);
    let token = m.mint(&MintSpec::default()).unwrap();
    plain.verify(&token).unwrap();
    let fetches = plain.key_fetch_count();
    assert!(!plain.has_permissions());
    let policy = example_policy();
    let mapped = plain.with_permissions(Arc::new(policy.clone()));
    assert!(mapped.has_permissions());
    let got = mapped.authorize(&token).unwrap();
    assert_eq!(*got.permissions, policy.permissions(&got.identity));
    let again = mapped.authorize(&token).unwrap();
    assert!(Arc::ptr_eq(&got.permissions, &again.permissions));
    assert_eq!(
        plain.key_fetch_count(),
        fetches,
        "the key cache is shared: no new fetch"
    );
    assert_eq!(mapped.key_fetch_count(), fetches);
    assert_eq!(
        plain.authorize(&token).unwrap_err().reason(),
        Reason::InvalidConfig,
        "the original verifier keeps having no mapper"
    );
}

#[test]
fn a_failing_mapper_is_a_plugin_error_and_refusals_still_come_first() {
    let m = mock(Algorithm::RS256);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mapper = move |id: &Identity| -> Result<Permissions, VerifyError> {
        counter.fetch_add(1, Ordering::SeqCst);
        if id.username == "mallory" {
            return Err(mapper_error("directory lookup failed"));
        }
        Ok(Permissions::from(std::collections::BTreeSet::from([
            "tool:*".to_string(),
        ])))
    };
    let clock = Arc::new(ManualClock::at_unix(T0));
    let mut options = options_for(&m);
    options.cache.max_age = Duration::from_secs(600);
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options)
        .clock(clock.clone())
        .permission_mapper(Arc::new(mapper))
        .build()
        .unwrap();
    let bad = m
        .mint(&MintSpec {
            username: "mallory".into(),
            issued_at: Some(T0 as i64),
            ..Default::default()
        })
        .unwrap();
    assert_reason(v.authorize(&bad).map(|a| a.identity), Reason::PluginError);
    // A refused token never reaches the mapper.
    let expired = m
        .mint(&MintSpec {
            issued_at: Some(T0 as i64 - 3600),
            ..Default::default()
        })
        .unwrap();
    let before = calls.load(Ordering::SeqCst);
    assert_reason(v.authorize(&expired).map(|a| a.identity), Reason::Expired);
    assert_eq!(calls.load(Ordering::SeqCst), before);
    // A good token: mapped once, then reused; after a key refresh that drops the key, neither
    // the verification nor the permissions are reused.
    let good = m.mint(&spec_at(T0)).unwrap();
    v.authorize(&good).unwrap();
    v.authorize(&good).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), before + 1);
    m.rotate_now(Ca::Jwt);
    clock.advance(Duration::from_secs(601));
    refresh_in_background(&v, &good);
    assert_reason(v.authorize(&good).map(|a| a.identity), Reason::UnknownKey);
}

/// A verifier for `m` with the default options (4 MiB token cache) and `policy` as mapper.
fn authorizer(m: &teleport_jwt::mock::MockTeleport, policy: &str) -> Verifier {
    Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options_for(m))
        .permission_mapper(Arc::new(Policy::from_yaml_str(policy).unwrap()))
        .build()
        .unwrap()
}

/// A token of `user` with traits `a` and `b` of `n` values each.
fn token_with_traits(m: &teleport_jwt::mock::MockTeleport, user: &str, n: usize) -> String {
    let values = |t: &str| (0..n).map(|i| format!("{t}{i}")).collect::<Vec<_>>();
    m.mint(&MintSpec {
        username: user.into(),
        traits: [
            ("a".to_string(), values("a")),
            ("b".to_string(), values("b")),
        ]
        .into(),
        ..Default::default()
    })
    .unwrap()
}

/// Bytes that the permissions surely take: each granted permission's `String` and text.
fn permission_bytes(p: &Permissions) -> usize {
    p.granted()
        .iter()
        .map(|g| std::mem::size_of::<String>() + g.len())
        .sum()
}

/// Finding 6: the permissions `authorize` keeps with a cached token were not counted against
/// `token_cache_max_bytes`, so a flood of tokens with many permissions each held far more than
/// the budget (465 MB with 9,610 permissions per identity). They are now charged to the entry
/// when stored: what the cache holds, permissions included, stays within the budget.
#[test]
fn finding_06_cached_permissions_count_against_the_token_cache_byte_budget() {
    let m = mock(Algorithm::ES256);
    // 20 x 20 trait values: 400 permissions per identity.
    let v = authorizer(
        &m,
        "version: 1\nrules:\n  - match: {}\n    grant: [\"repo:{{traits.a}}:{{traits.b}}\"]\n",
    );
    let budget = v.options().token_cache_max_bytes;

    // Charged when stored: authorizing a token verified (and cached) before adds at least the
    // permissions' own bytes to the cache's accounted bytes.
    let first = token_with_traits(&m, "user-0", 20);
    v.verify(&first).unwrap();
    let (_, verified) = v.token_cache_usage();
    let got = v.authorize(&first).unwrap();
    assert_eq!(got.permissions.granted().len(), 400);
    let per_identity = permission_bytes(&got.permissions);
    let (entries, authorized) = v.token_cache_usage();
    assert_eq!(entries, 1);
    assert!(
        authorized >= verified + per_identity,
        "{authorized} bytes after authorize, {verified} before, permissions {per_identity}"
    );

    // A flood of distinct tokens: the entries kept, with their permissions, fit the budget.
    for i in 1..1000 {
        let token = token_with_traits(&m, &format!("user-{i}"), 20);
        assert_eq!(
            v.authorize(&token).unwrap().permissions.granted().len(),
            400
        );
    }
    let (entries, bytes) = v.token_cache_usage();
    assert!(bytes <= budget, "{bytes} accounted bytes > {budget}");
    assert!(
        entries * per_identity <= budget,
        "{entries} entries hold at least {} bytes of permissions, over the {budget} budget",
        entries * per_identity
    );
    assert!(
        entries >= 50,
        "entries that fit are still cached: {entries}"
    );
}

/// Finding 6: an entry whose permissions make it larger than one may be (1/64 of the budget)
/// is not kept, exactly as an oversized identity is not cached: the next call verifies and
/// maps again.
#[test]
fn finding_06_a_token_whose_permissions_are_too_big_to_cache_is_not_kept() {
    let m = mock(Algorithm::ES256);
    // 30 x 30 trait values through three templates: 2,700 permissions.
    let v = authorizer(
        &m,
        "version: 1\nrules:\n  - match: {}\n    grant: [\"x:{{traits.a}}:{{traits.b}}\"]\n  - match: {}\n    grant: [\"y:{{traits.a}}:{{traits.b}}\"]\n  - match: {}\n    grant: [\"z:{{traits.a}}:{{traits.b}}\"]\n",
    );
    let token = token_with_traits(&m, "alice", 30);
    let got = v.authorize(&token).unwrap();
    assert_eq!(got.permissions.granted().len(), 2700);
    assert!(got.permissions.allows("y:a3:b29"));
    assert_eq!(v.token_cache_usage(), (0, 0), "the entry was dropped");
    let again = v.authorize(&token).unwrap();
    assert_eq!(*again.permissions, *got.permissions);
    let s = v.stats();
    assert_eq!(s.permission_mappings, 2, "mapped again: nothing was kept");
    assert_eq!((s.token_cache_hits, s.token_cache_misses), (0, 2));
    assert_eq!(v.token_cache_usage(), (0, 0));
}
