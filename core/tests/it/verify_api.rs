//! The verifier as a user meets it: presets, identities, headers, several trust entries.

use std::collections::BTreeMap;

use teleport_jwt::mock::{Ca, JwtClaims, MintSpec};
use teleport_jwt::{
    Algorithm, HeaderRule, KeysFrom, Reason, TeleportIdToken, TeleportJwt, TokenKind, TrustEntry,
    Verifier,
};

use crate::common::*;

#[test]
fn classic_preset_returns_the_full_identity() {
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        let m = mock(alg);
        let v = Verifier::teleport_jwt(TeleportJwt {
            proxy_url: m.proxy_url(),
            cluster_name: m.cluster_name(),
            audience: AUD.into(),
            options: options_for(&m),
        })
        .unwrap();
        let traits = BTreeMap::from([
            (
                "logins".to_string(),
                vec!["root".to_string(), "ubuntu".to_string()],
            ),
            ("github_orgs".to_string(), vec!["acme".to_string()]),
        ]);
        let token = m
            .mint(&MintSpec {
                username: "bob".into(),
                roles: vec!["access".into(), "editor".into()],
                traits: traits.clone(),
                ..Default::default()
            })
            .unwrap();
        let id = v.verify(&token).unwrap();
        assert_eq!(id.username, "bob");
        assert_eq!(id.sub, "bob");
        assert_eq!(id.roles, ["access", "editor"]);
        assert!(id.has_role("editor") && !id.has_role("admin"));
        assert_eq!(id.traits, traits);
        assert_eq!(id.issuer, m.cluster_name());
        assert_eq!(id.audience, [AUD]);
        assert_eq!(id.algorithm, alg);
        assert_eq!(
            id.key_id.as_deref(),
            Some(m.signing_key_id(Ca::Jwt).as_str())
        );
        assert_eq!(id.kind, TokenKind::TeleportJwt);
        assert_eq!(id.trust_entry, m.cluster_name());
        assert!(id.jti.is_some());
        let iat = id.issued_at.unwrap();
        assert_eq!(id.not_before, Some(iat - 10));
        assert_eq!(id.expires_at, iat + 300);
        assert_eq!(id.claims["username"], "bob");
    }
}

#[test]
fn id_token_preset_uses_discovery_and_requires_the_https_issuer() {
    let m = mock(Algorithm::ES256);
    let v = Verifier::teleport_id_token(TeleportIdToken {
        proxy_url: m.proxy_url(),
        audience: AUD.into(),
        options: options_for(&m),
    })
    .unwrap();
    let id_token = m
        .mint(&MintSpec {
            kind: TokenKind::IdToken,
            ..Default::default()
        })
        .unwrap();
    let id = v.verify(&id_token).unwrap();
    assert_eq!(id.issuer, m.proxy_url());
    assert_eq!(id.kind, TokenKind::IdToken);
    assert_eq!(m.request_count_for("/.well-known/openid-configuration"), 1);
    assert_eq!(m.request_count_for("/.well-known/jwks-oidc"), 1);
    assert_eq!(m.request_count_for("/.well-known/jwks.json"), 0);
    // A classic token is from another issuer (and another CA).
    let classic = m.mint(&MintSpec::default()).unwrap();
    assert_reason(v.verify(&classic), Reason::IssuerMismatch);
}

#[test]
fn classic_tokens_are_not_checked_against_the_oidc_keys() {
    // #43306: a classic token carrying the ID-token issuer is signed by the JWT CA, whose keys
    // are not in the discovery jwks_uri.
    let m = mock(Algorithm::RS256);
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_id_token(&m.proxy_url(), AUD))
        .options(options_for(&m))
        .build()
        .unwrap();
    let forged = m
        .mint(&MintSpec {
            claim_overrides: serde_json::Map::from_iter([(
                "iss".to_string(),
                serde_json::json!(m.proxy_url()),
            )]),
            ..Default::default()
        })
        .unwrap();
    let e = v.verify(&forged).unwrap_err();
    assert!(
        matches!(e.reason(), Reason::UnknownKey | Reason::BadSignature),
        "{e}"
    );
}

#[test]
fn several_trust_entries_root_leaf_and_id_tokens() {
    let root = mock(Algorithm::RS256);
    let leaf = teleport_jwt::mock::MockTeleport::start_with(teleport_jwt::mock::MockOptions {
        algorithm: Algorithm::ES256,
        cluster_name: "leaf.example.com".into(),
        ..Default::default()
    })
    .unwrap();
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(&root.proxy_url(), root.cluster_name(), AUD).named("root"))
        .trust(TrustEntry::teleport_jwt(&leaf.proxy_url(), leaf.cluster_name(), AUD).named("leaf"))
        .trust(TrustEntry::teleport_id_token(&root.proxy_url(), AUD).named("root-oidc"))
        .configure(|o| {
            o.ca_pem = Some(format!("{}\n{}", root.ca_pem(), leaf.ca_pem()));
        })
        .build()
        .unwrap();
    let r = v.verify(&root.mint(&MintSpec::default()).unwrap()).unwrap();
    assert_eq!(r.trust_entry, "root");
    let l = v.verify(&leaf.mint(&MintSpec::default()).unwrap()).unwrap();
    assert_eq!(
        (l.trust_entry.as_str(), l.algorithm),
        ("leaf", Algorithm::ES256)
    );
    let o = v
        .verify(
            &root
                .mint(&MintSpec {
                    kind: TokenKind::IdToken,
                    ..Default::default()
                })
                .unwrap(),
        )
        .unwrap();
    assert_eq!(o.trust_entry, "root-oidc");
    // Only the leaf's own JWKS was fetched for the leaf token.
    assert_eq!(leaf.request_count(), 1);
    // The same issuer twice is a configuration error.
    let e = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &root.proxy_url(),
            root.cluster_name(),
            AUD,
        ))
        .trust(TrustEntry::teleport_jwt(
            &leaf.proxy_url(),
            root.cluster_name(),
            AUD,
        ))
        .build()
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidConfig);
}

#[test]
fn jwt_claims_variants_as_teleport_sends_them() {
    let m = mock(Algorithm::ES256);
    let v = verifier(&m);
    let roles = vec!["access".to_string()];
    let traits = BTreeMap::from([
        ("logins".to_string(), vec!["root".to_string()]),
        ("empty".to_string(), vec![]),
    ]);
    for (variant, want_roles, want_traits) in [
        (JwtClaims::RolesAndTraits, true, true),
        (JwtClaims::Roles, true, false),
        (JwtClaims::Traits, false, true),
        (JwtClaims::None, false, false),
    ] {
        let token = m
            .mint(&MintSpec {
                roles: roles.clone(),
                traits: traits.clone(),
                jwt_claims: variant,
                ..Default::default()
            })
            .unwrap();
        let id = v.verify(&token).unwrap();
        assert_eq!(!id.roles.is_empty(), want_roles, "{variant:?}");
        assert_eq!(!id.traits.is_empty(), want_traits, "{variant:?}");
        assert!(
            !id.traits.contains_key("empty"),
            "empty traits are filtered by Teleport"
        );
    }
}

#[test]
fn kid_less_tokens_from_older_clusters_try_every_eligible_key() {
    let m = teleport_jwt::mock::MockTeleport::start_with(teleport_jwt::mock::MockOptions {
        algorithm: Algorithm::RS256,
        kid_in_tokens: false,
        ..Default::default()
    })
    .unwrap();
    m.set_rotation_phase(Ca::Jwt, teleport_jwt::mock::RotationPhase::Init);
    let v = verifier(&m);
    let id = v.verify(&m.mint(&MintSpec::default()).unwrap()).unwrap();
    assert_eq!(
        id.key_id.as_deref(),
        Some(m.signing_key_id(Ca::Jwt).as_str())
    );
    m.set_rotation_phase(Ca::Jwt, teleport_jwt::mock::RotationPhase::UpdateClients);
    v.verify(&m.mint(&MintSpec::default()).unwrap())
        .expect("the second key is tried too");
    assert_eq!(m.request_count(), 1, "both keys were already cached");
}

#[test]
fn verify_headers_follows_the_configured_order() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m);
    let token = m.mint(&MintSpec::default()).unwrap();
    let bearer = format!("Bearer {token}");
    assert!(v
        .verify_headers([("teleport-jwt-assertion", token.as_str())])
        .is_ok());
    assert!(v
        .verify_headers([("Authorization", bearer.as_str())])
        .is_ok());
    let e = v
        .verify_headers([("Content-Type", "text/plain")])
        .unwrap_err();
    assert_eq!(e.reason(), Reason::MissingToken);
    // A present-but-malformed Teleport header does not fall through to Authorization.
    let e = v
        .verify_headers([
            ("Teleport-Jwt-Assertion", "garbage"),
            ("Authorization", bearer.as_str()),
        ])
        .unwrap_err();
    assert_eq!(e.reason(), Reason::Malformed);
    // ID token in Authorization, classic JWT in the Teleport header: the order decides.
    let id_token = m
        .mint(&MintSpec {
            kind: TokenKind::IdToken,
            ..Default::default()
        })
        .unwrap();
    let both = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .trust(TrustEntry::teleport_id_token(&m.proxy_url(), AUD))
        .configure(|o| {
            o.ca_pem = Some(m.ca_pem());
            o.headers = vec![
                HeaderRule::bearer("Authorization"),
                HeaderRule::raw("Teleport-Jwt-Assertion"),
            ];
        })
        .build()
        .unwrap();
    let id_bearer = format!("Bearer {id_token}");
    let id = both
        .verify_headers([
            ("Teleport-Jwt-Assertion", token.as_str()),
            ("authorization", id_bearer.as_str()),
        ])
        .unwrap();
    assert_eq!(id.kind, TokenKind::IdToken);
    // Owned header pairs work too (e.g. from an HTTP framework's map).
    let owned = vec![("Teleport-Jwt-Assertion".to_string(), token.clone())];
    assert!(v.verify_headers(owned).is_ok());
}

#[test]
fn static_jwks_works_offline_and_rejects_an_unusable_document() {
    let m = mock(Algorithm::ES256);
    let v = Verifier::builder()
        .trust(TrustEntry::new(
            m.cluster_name(),
            vec![AUD.into()],
            KeysFrom::StaticJwks(m.jwks_json(Ca::Jwt)),
        ))
        .build()
        .unwrap();
    assert!(v.verify(&m.mint(&MintSpec::default()).unwrap()).is_ok());
    assert_eq!(m.request_count(), 0);
    let e = Verifier::builder()
        .trust(TrustEntry::new(
            "x",
            vec![AUD.into()],
            KeysFrom::StaticJwks(r#"{"keys":[]}"#.into()),
        ))
        .build()
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidConfig);
    let dir = std::env::temp_dir().join(format!("tj-static-{}.json", std::process::id()));
    std::fs::write(&dir, m.jwks_json(Ca::Jwt)).unwrap();
    let from_file = teleport_jwt::StaticJwks::from_file(&dir).unwrap();
    let v = Verifier::builder()
        .trust(TrustEntry::new(
            m.cluster_name(),
            vec![AUD.into()],
            KeysFrom::Source(std::sync::Arc::new(from_file)),
        ))
        .build()
        .unwrap();
    assert!(v.verify(&m.mint(&MintSpec::default()).unwrap()).is_ok());
    std::fs::remove_file(&dir).ok();
}

#[test]
fn an_untrusted_ca_certificate_is_a_fetch_failure() {
    let m = mock(Algorithm::RS256);
    let other = mock(Algorithm::RS256);
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .configure(|o| o.ca_pem = Some(other.ca_pem()))
        .build()
        .unwrap();
    let e = v
        .verify(&m.mint(&MintSpec::default()).unwrap())
        .unwrap_err();
    assert_eq!(e.reason(), Reason::KeySourceUnavailable);
    let e = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .configure(|o| o.ca_pem = Some("not a pem".into()))
        .build()
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidConfig);
}

#[test]
fn custom_http_fetcher_is_used() {
    struct Canned(String, std::sync::atomic::AtomicUsize);
    impl teleport_jwt::HttpFetcher for Canned {
        fn get(
            &self,
            url: &str,
            _: &teleport_jwt::FetchLimits,
        ) -> Result<teleport_jwt::HttpResponse, teleport_jwt::VerifyError> {
            assert!(url.ends_with("/.well-known/jwks.json"));
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(teleport_jwt::HttpResponse {
                status: 200,
                body: self.0.clone().into_bytes(),
            })
        }
    }
    let m = mock(Algorithm::ES256);
    let fetcher = std::sync::Arc::new(Canned(m.jwks_json(Ca::Jwt), Default::default()));
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            "https://teleport.invalid",
            m.cluster_name(),
            AUD,
        ))
        .http_fetcher(fetcher.clone())
        .build()
        .unwrap();
    assert!(v.verify(&m.mint(&MintSpec::default()).unwrap()).is_ok());
    assert_eq!(fetcher.1.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(m.request_count(), 0);
}

#[test]
fn every_reason_code_is_stable_and_round_trips() {
    let codes: Vec<&str> = Reason::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(
        codes,
        [
            "malformed",
            "token_too_large",
            "missing_token",
            "unsupported_header",
            "unsupported_algorithm",
            "bad_signature",
            "unknown_key",
            "expired",
            "not_yet_valid",
            "issued_in_future",
            "issuer_mismatch",
            "audience_mismatch",
            "missing_claim",
            "invalid_claim",
            "key_source_unavailable",
            "insecure_transport",
            "invalid_config",
            "plugin_error",
            "internal_error",
        ]
    );
    for r in Reason::ALL {
        assert_eq!(Reason::from_code(r.code()), Some(r));
    }
}

#[test]
fn repeated_tokens_are_rechecked_for_time_and_key_trust() {
    use std::sync::Arc;
    use std::time::Duration;
    let m = mock(Algorithm::ES256);
    let clock = Arc::new(teleport_jwt::ManualClock::at_unix(T0));
    let v = verifier_with_clock(&m, clock.clone(), Default::default());
    let short = m
        .mint(&MintSpec {
            issued_at: Some(T0 as i64),
            ttl: Duration::from_secs(60),
            ..Default::default()
        })
        .unwrap();
    v.verify(&short).unwrap();
    v.verify(&short).unwrap(); // from the cache
    clock.advance(Duration::from_secs(121)); // past exp + leeway, well within max_age
    assert_reason(v.verify(&short), Reason::Expired);
    // The same cached token at an earlier instant is fine again: times are always rechecked.
    assert!(v
        .verify_at(&short, std::time::UNIX_EPOCH + Duration::from_secs(T0 + 30))
        .is_ok());
    // A disabled cache gives the same answers.
    let mut options = options_for(&m);
    options.token_cache_capacity = 0;
    let uncached = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options)
        .clock(clock)
        .build()
        .unwrap();
    assert_reason(uncached.verify(&short), Reason::Expired);
    assert!(uncached
        .verify_at(&short, std::time::UNIX_EPOCH + Duration::from_secs(T0 + 30))
        .is_ok());
}
