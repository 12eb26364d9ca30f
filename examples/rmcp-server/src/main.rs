//! `cargo run -p teleport-jwt-example-rmcp`: the reports MCP server on http://127.0.0.1:8000/mcp.
//!
//! Behind a real Teleport (an MCP app with `uri: mcp+http://127.0.0.1:8000/mcp`):
//!
//! ```sh
//! TELEPORT_PROXY_URL=https://teleport.example.com TELEPORT_CLUSTER=teleport.example.com \
//!     cargo run -p teleport-jwt-example-rmcp
//! ```
//!
//! Without them it starts a mock Teleport on loopback and prints a token to call it with.

use teleport_jwt::mock::{MintSpec, MockTeleport};
use teleport_jwt::{TrustEntry, Verifier};
use teleport_jwt_example_rmcp::{app, policy, AUDIENCE};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut mock = None;
    let verifier = match (
        std::env::var("TELEPORT_PROXY_URL"),
        std::env::var("TELEPORT_CLUSTER"),
    ) {
        (Ok(proxy), Ok(cluster)) => Verifier::builder()
            .trust(TrustEntry::teleport_jwt(&proxy, cluster, AUDIENCE))
            .permission_mapper(policy()?)
            .build()?,
        _ => {
            let teleport = MockTeleport::start()?;
            let token = teleport.mint(&MintSpec {
                roles: vec!["mcp-reader".into()],
                traits: [("teams".to_string(), vec!["sales".to_string()])].into(),
                ..Default::default()
            })?;
            println!("mock Teleport at {}; call with:", teleport.proxy_url());
            println!("  Teleport-Jwt-Assertion: {token}");
            let verifier = Verifier::builder()
                .trust(TrustEntry::teleport_jwt(
                    &teleport.proxy_url(),
                    teleport.cluster_name(),
                    AUDIENCE,
                ))
                .configure(|o| o.ca_pem = Some(teleport.ca_pem()))
                .permission_mapper(policy()?)
                .build()?;
            mock = Some(teleport);
            verifier
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    println!("MCP server on http://127.0.0.1:8000/mcp");
    axum::serve(listener, app(verifier))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    drop(mock);
    Ok(())
}
