//! `make demo`: the main job end to end on loopback, no Teleport cluster needed.
//!
//! Starts a mock Teleport (HTTPS on 127.0.0.1 with its own CA, keys published like Teleport's),
//! verifies a token it minted, and shows a tampered, an expired and a wrong-audience token
//! rejected with their reason codes. Exits non-zero if anything goes differently.

use std::process::ExitCode;
use std::time::Duration;

use teleport_jwt::mock::{MintSpec, MockOptions, MockTeleport};
use teleport_jwt::{Algorithm, Reason, TeleportJwt, Verifier, VerifierOptions};

const AUDIENCE: &str = "mcp+http://127.0.0.1:8000/mcp";

fn main() -> ExitCode {
    match run() {
        Ok(()) => {
            println!("\ndemo: all checks behaved as expected");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\ndemo FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    for algorithm in [Algorithm::RS256, Algorithm::ES256] {
        let teleport = MockTeleport::start_with(MockOptions {
            algorithm,
            ..Default::default()
        })
        .map_err(|e| e.to_string())?;
        println!(
            "== mock Teleport at {} (cluster {}, signing {algorithm})",
            teleport.proxy_url(),
            teleport.cluster_name()
        );
        let verifier = Verifier::teleport_jwt(TeleportJwt {
            proxy_url: teleport.proxy_url(),
            cluster_name: teleport.cluster_name(),
            audience: AUDIENCE.into(),
            options: VerifierOptions {
                ca_pem: Some(teleport.ca_pem()),
                ..Default::default()
            },
        })
        .map_err(|e| e.to_string())?;

        let good = teleport
            .mint(&MintSpec {
                username: "alice".into(),
                roles: vec!["access".into(), "mcp-editor".into()],
                traits: [("github_orgs".to_string(), vec!["acme".to_string()])].into(),
                audience: vec![AUDIENCE.into()],
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
        let headers = [("teleport-jwt-assertion", good.as_str())];
        let id = verifier
            .verify_headers(headers)
            .map_err(|e| e.to_string())?;
        println!(
            "  accepted   user={} roles={:?} traits={:?} kid={} alg={}",
            id.username,
            id.roles,
            id.traits,
            id.key_id.as_deref().unwrap_or("-"),
            id.algorithm
        );

        let tampered = tamper(&good, "alice", "admin")?;
        let expired = teleport
            .mint(&MintSpec {
                issued_at: Some(unix_now() - 3600),
                ttl: Duration::from_secs(600),
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
        let other_audience = teleport
            .mint(&MintSpec {
                audience: vec!["mcp+http://127.0.0.1:9999/other".into()],
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
        for (label, token, want) in [
            (
                "tampered",
                &tampered,
                &[Reason::BadSignature, Reason::Malformed][..],
            ),
            ("expired", &expired, &[Reason::Expired][..]),
            (
                "wrong audience",
                &other_audience,
                &[Reason::AudienceMismatch][..],
            ),
        ] {
            match verifier.verify(token) {
                Ok(id) => return Err(format!("{label} token was accepted as {}", id.username)),
                Err(e) if want.contains(&e.reason()) => {
                    println!("  rejected   {label:<15} -> {}", e);
                }
                Err(e) => return Err(format!("{label} token: unexpected {e}")),
            }
        }
        println!(
            "  key fetches: {} (one per cold cache, reused afterwards)",
            teleport.request_count()
        );
    }
    Ok(())
}

/// The token with `from` replaced by `to` in its claims, the signature left as it was: what
/// an attacker who edits a captured token gets.
fn tamper(token: &str, from: &str, to: &str) -> Result<String, String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let mut parts = token.split('.');
    let (header, payload, signature) = match (parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s)) => (h, p, s),
        _ => return Err("token does not have three parts".into()),
    };
    let claims = URL_SAFE_NO_PAD.decode(payload).map_err(|e| e.to_string())?;
    let edited = String::from_utf8_lossy(&claims).replace(from, to);
    Ok(format!(
        "{header}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(edited)
    ))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
