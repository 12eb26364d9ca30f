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
use teleport_jwt::VerifierOptions;
use teleport_jwt_example_rmcp::{quick_start, AUDIENCE, POLICY};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut mock = None;
    let (proxy_url, cluster_name, options) = match (
        std::env::var("TELEPORT_PROXY_URL"),
        std::env::var("TELEPORT_CLUSTER"),
    ) {
        (Ok(proxy), Ok(cluster)) => (proxy, cluster, VerifierOptions::default()),
        _ => {
            let teleport = MockTeleport::start()?;
            let token = teleport.mint(&MintSpec {
                roles: vec!["mcp-reader".into()],
                traits: [("teams".to_string(), vec!["sales".to_string()])].into(),
                ..Default::default()
            })?;
            println!(
                "mock Teleport at {}; call with the header",
                teleport.proxy_url()
            );
            println!("  Teleport-Jwt-Assertion: {token}");
            let options = VerifierOptions {
                ca_pem: Some(teleport.ca_pem()),
                ..Default::default()
            };
            let found = (teleport.proxy_url(), teleport.cluster_name(), options);
            mock = Some(teleport);
            found
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    println!("MCP server on http://127.0.0.1:8000/mcp (Ctrl-C stops it)");
    tokio::select! {
        served = quick_start(proxy_url, cluster_name, AUDIENCE.into(), options, POLICY, listener) => served?,
        _ = tokio::signal::ctrl_c() => {}
    }
    drop(mock);
    Ok(())
}
