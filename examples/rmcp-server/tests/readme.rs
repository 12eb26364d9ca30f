//! core/README.md's rmcp quick start is `quick_start` in src/lib.rs, line for line, and it runs:
//! rmcp's client, as a reader, sees only its tools through it.

use std::collections::{BTreeMap, HashMap};

use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use teleport_jwt::mock::{MintSpec, MockTeleport};
use teleport_jwt::VerifierOptions;
use teleport_jwt_example_rmcp::{quick_start, AUDIENCE, POLICY};

/// The lines after `begin` up to `// README end`, without their common indentation.
fn marked_region(source: &str, begin: &str) -> String {
    let lines: Vec<&str> = source
        .lines()
        .skip_while(|l| l.trim() != begin)
        .skip(1)
        .take_while(|l| l.trim() != "// README end")
        .collect();
    assert!(!lines.is_empty(), "no region {begin:?}");
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The contents of every ```rust... fenced block of a Markdown text.
fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.starts_with("```rust") => current = Some(Vec::new()),
            Some(lines) if line.starts_with("```") => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            Some(lines) => lines.push(line),
            None => {}
        }
    }
    blocks
}

#[test]
fn readme_is_this_code() {
    let readme = include_str!("../../../core/README.md");
    let region = marked_region(include_str!("../src/lib.rs"), "// README begin: rmcp");
    assert!(
        rust_blocks(readme).contains(&region),
        "core/README.md has no ```rust block equal to quick_start in examples/rmcp-server/src/lib.rs:\n{region}"
    );
    assert!(region.lines().count() <= 5, "protected in at most 5 lines");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_rmcp_server_runs() {
    let teleport = MockTeleport::start().expect("mock starts");
    let options = VerifierOptions {
        ca_pem: Some(teleport.ca_pem()),
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    let (proxy, cluster) = (teleport.proxy_url(), teleport.cluster_name());
    let server = tokio::spawn(async move {
        quick_start(proxy, cluster, AUDIENCE.into(), options, POLICY, listener).await
    });

    let token = teleport
        .mint(&MintSpec {
            roles: vec!["mcp-reader".into()],
            traits: BTreeMap::from([("teams".to_string(), vec!["sales".to_string()])]),
            ..Default::default()
        })
        .expect("mints");
    let headers = HashMap::from([(
        http::HeaderName::from_static("teleport-jwt-assertion"),
        http::HeaderValue::from_str(&token).expect("a header value"),
    )]);
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(format!("http://{addr}/mcp"))
            .custom_headers(headers),
    );
    let client = ClientConfig::default()
        .serve(transport)
        .await
        .expect("connects");
    let mut names: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["list_reports", "read_report", "whoami"]);
    let me = client
        .call_tool(CallToolRequestParams::new("whoami"))
        .await
        .expect("whoami");
    let text: String = me
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect();
    assert_eq!(text, "alice (roles: mcp-reader)");
    let _ = client.cancel().await;
    server.abort();
}
