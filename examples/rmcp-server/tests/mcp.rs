//! The rmcp example server on 127.0.0.1 (a port chosen by the OS) against the mock Teleport,
//! driven by rmcp's own streamable-HTTP client (which sends `Teleport-Jwt-Assertion` as a
//! custom header) and, for status codes and headers, by raw HTTP.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rmcp::model::{CallToolRequestParams, ClientConfig, ErrorCode};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use teleport_jwt::mock::{Failure, MintSpec, MockTeleport};
use teleport_jwt::{TrustEntry, Verifier};
use teleport_jwt_example_rmcp::{app, policy, AUDIENCE};

struct Served {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn verifier(teleport: &MockTeleport) -> Verifier {
    Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &teleport.proxy_url(),
            teleport.cluster_name(),
            AUDIENCE,
        ))
        .configure(|o| o.ca_pem = Some(teleport.ca_pem()))
        .permission_mapper(policy().expect("the example policy loads"))
        .build()
        .expect("verifier builds")
}

async fn serve(verifier: Verifier) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app(verifier)).await;
    });
    Served { addr, task }
}

fn reader(teleport: &MockTeleport) -> String {
    teleport
        .mint(&MintSpec {
            roles: vec!["mcp-reader".into()],
            traits: BTreeMap::from([("teams".to_string(), vec!["sales".to_string()])]),
            ..Default::default()
        })
        .expect("mints")
}

fn admin(teleport: &MockTeleport) -> String {
    teleport
        .mint(&MintSpec {
            username: "root".into(),
            roles: vec!["mcp-admin".into()],
            ..Default::default()
        })
        .expect("mints")
}

fn expired(teleport: &MockTeleport) -> String {
    let an_hour_ago = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
        - 3600;
    teleport
        .mint(&MintSpec {
            roles: vec!["mcp-reader".into()],
            issued_at: Some(an_hour_ago),
            ttl: Duration::from_secs(300),
            ..Default::default()
        })
        .expect("mints")
}

/// One signature character changed: a bad signature, not a malformed token.
fn tampered(token: &str) -> String {
    let at = token.len() - 10;
    let new = if &token[at..=at] == "A" { "B" } else { "A" };
    format!("{}{new}{}", &token[..at], &token[at + 1..])
}

/// rmcp's client, sending the token the way Teleport does (or no token at all).
async fn connect(
    served: &Served,
    token: Option<&str>,
) -> Result<RunningService<RoleClient, ClientConfig>, rmcp::service::ClientInitializeError> {
    let mut headers = HashMap::new();
    if let Some(token) = token {
        headers.insert(
            http::HeaderName::from_static("teleport-jwt-assertion"),
            http::HeaderValue::from_str(token).expect("a token is a header value"),
        );
    }
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(format!("http://{}/mcp", served.addr))
            .custom_headers(headers),
    );
    ClientConfig::default().serve(transport).await
}

async fn tool_names(client: &RunningService<RoleClient, ClientConfig>) -> Vec<String> {
    let mut names: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    names.sort();
    names
}

fn call(name: &str, report: Option<&str>) -> CallToolRequestParams {
    let params = CallToolRequestParams::new(name.to_owned());
    match report {
        Some(r) => params.with_arguments(
            serde_json::json!({ "name": r })
                .as_object()
                .cloned()
                .expect("an object"),
        ),
        None => params,
    }
}

fn text(result: &rmcp::model::CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_denied_and_hidden_tools_with_rmcps_client() {
    let teleport = MockTeleport::start().expect("mock starts");
    let served = serve(verifier(&teleport)).await;

    let alice = connect(&served, Some(&reader(&teleport)))
        .await
        .expect("a reader connects");
    assert_eq!(
        tool_names(&alice).await,
        ["list_reports", "read_report", "whoami"],
        "delete_report is hidden from a reader"
    );

    // Allowed: the tools read the caller's identity and permissions.
    let me = alice.call_tool(call("whoami", None)).await.expect("whoami");
    assert_eq!(text(&me), "alice (roles: mcp-reader)");
    let mine = alice
        .call_tool(call("list_reports", None))
        .await
        .expect("list");
    assert_eq!(text(&mine), "sales-q3");
    let read = alice
        .call_tool(call("read_report", Some("sales-q3")))
        .await
        .expect("read");
    assert_eq!(
        (read.is_error, text(&read).as_str()),
        (Some(false), "Sales grew 12%.")
    );

    // Denied: a visible tool, a finer permission missing: a tool error the model can read.
    let denied = alice
        .call_tool(call("read_report", Some("finance-q3")))
        .await
        .expect("a tool result");
    assert_eq!(denied.is_error, Some(true));
    assert_eq!(
        text(&denied),
        "permission denied: alice does not have 'report:finance-q3:read'"
    );

    // Hidden: called by name anyway, refused as an unknown tool, and nothing is deleted.
    match alice
        .call_tool(call("delete_report", Some("sales-q3")))
        .await
    {
        Err(ServiceError::McpError(e)) => {
            assert_eq!(e.code, ErrorCode::INVALID_PARAMS);
            assert_eq!(
                e.message,
                "Unknown tool: delete_report (permission 'tool:delete_report' is not granted to alice)"
            );
        }
        other => panic!("a hidden tool must be refused, got {other:?}"),
    }

    let root = connect(&served, Some(&admin(&teleport)))
        .await
        .expect("an admin connects");
    assert_eq!(
        tool_names(&root).await,
        ["delete_report", "list_reports", "read_report", "whoami"]
    );
    let deleted = root
        .call_tool(call("delete_report", Some("finance-q3")))
        .await
        .expect("delete");
    assert_eq!(text(&deleted), "deleted finance-q3");
    let left = root
        .call_tool(call("list_reports", None))
        .await
        .expect("list");
    assert_eq!(
        text(&left),
        "sales-q3",
        "the servers share one set of reports"
    );
    assert_eq!(
        text(
            &alice
                .call_tool(call("list_reports", None))
                .await
                .expect("list")
        ),
        "sales-q3"
    );

    let _ = alice.cancel().await;
    let _ = root.cancel().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_expired_and_tampered_tokens_are_refused_before_rmcp() {
    let teleport = MockTeleport::start().expect("mock starts");
    let served = serve(verifier(&teleport)).await;
    let good = reader(&teleport);

    for (what, token, challenge) in [
        ("missing", None, "Bearer"),
        (
            "expired",
            Some(expired(&teleport)),
            r#"Bearer error="invalid_token""#,
        ),
        (
            "tampered",
            Some(tampered(&good)),
            r#"Bearer error="invalid_token""#,
        ),
        (
            "not a token",
            Some("not-a-token".to_owned()),
            r#"Bearer error="invalid_token""#,
        ),
    ] {
        // rmcp's client: the session never starts, and it reports the server's challenge.
        let refused = connect(&served, token.as_deref()).await;
        let error = refused.err().unwrap_or_else(|| panic!("{what}: connected"));
        assert_eq!(error.auth_challenge(), Some(challenge), "{what}: {error}");

        // Raw HTTP: the status, the challenge and the body.
        let answer = post_initialize(&served, token).await;
        assert_eq!(answer.status, 401, "{what}");
        assert_eq!(answer.header("www-authenticate"), Some(challenge), "{what}");
        let body: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
        let error = if what == "missing" {
            "unauthorized"
        } else {
            "invalid_token"
        };
        assert_eq!(body["error"], error, "{what}");
        assert!(
            body.get("reason").is_none(),
            "{what}: the reason stays in the log"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_endpoint_down_from_the_start_is_503_with_retry_after() {
    let teleport = MockTeleport::start().expect("mock starts");
    teleport.set_failure(Failure::Refuse);
    let served = serve(verifier(&teleport)).await;
    let token = reader(&teleport);
    for attempt in 0..2 {
        let answer = post_initialize(&served, Some(token.clone())).await;
        assert_eq!(answer.status, 503, "attempt {attempt}: {}", answer.body);
        assert_eq!(
            answer.header("retry-after"),
            Some("30"),
            "the default cooldown"
        );
        assert_eq!(answer.header("www-authenticate"), None);
    }
    assert!(
        connect(&served, Some(&token)).await.is_err(),
        "no session starts"
    );
    teleport.set_failure(Failure::None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_is_read_per_request_not_per_session() {
    let teleport = MockTeleport::start().expect("mock starts");
    let served = serve(verifier(&teleport)).await;
    let (alice, root) = (reader(&teleport), admin(&teleport));

    // alice opens a session; a request in it with root's token gets root's tools, and the
    // same request with alice's token alice's: the session id grants nothing by itself.
    let opened = post_initialize(&served, Some(alice.clone())).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    let session = opened
        .header("mcp-session-id")
        .expect("a session id")
        .to_owned();
    let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let ack = post(&served, Some(alice.clone()), Some(&session), initialized).await;
    assert_eq!(ack.status, 202, "{}", ack.body);
    let list = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;
    let as_root = post(&served, Some(root), Some(&session), list).await;
    assert_eq!(as_root.status, 200, "{}", as_root.body);
    assert!(as_root.body.contains("delete_report"), "{}", as_root.body);
    let as_alice = post(&served, Some(alice), Some(&session), list).await;
    assert!(as_alice.body.contains("read_report"), "{}", as_alice.body);
    assert!(
        !as_alice.body.contains("delete_report"),
        "{}",
        as_alice.body
    );
    // No token, with the session id: refused before rmcp.
    assert_eq!(post(&served, None, Some(&session), list).await.status, 401);
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn post_initialize(served: &Served, token: Option<String>) -> Answer {
    let initialize = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw-http","version":"0"}}}"#;
    post(served, token, None, initialize).await
}

/// A raw JSON-RPC POST to `/mcp` (ureq, on a blocking thread).
async fn post(served: &Served, token: Option<String>, session: Option<&str>, body: &str) -> Answer {
    let url = format!("http://{}/mcp", served.addr);
    let session = session.map(str::to_owned);
    let body = body.to_owned();
    let token = token.map(Arc::<str>::from);
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        let mut request = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream");
        if let Some(token) = &token {
            request = request.header("Teleport-Jwt-Assertion", &**token);
        }
        if let Some(session) = &session {
            request = request
                .header("Mcp-Session-Id", session)
                .header("Mcp-Protocol-Version", "2025-06-18");
        }
        let mut response = request.send(&body).expect("the server answers");
        Answer {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: response.body_mut().read_to_string().unwrap_or_default(),
        }
    })
    .await
    .expect("the request thread ends")
}

/// `/metrics` after a session: a Prometheus scrape, parsed line by line, shows every
/// documented family with the counts this session produced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_from_the_example_server() {
    let teleport = MockTeleport::start().expect("mock starts");
    let served = serve(verifier(&teleport)).await;
    let alice = connect(&served, Some(&reader(&teleport)))
        .await
        .expect("a reader connects");
    let _ = tool_names(&alice).await;
    let denied = alice
        .call_tool(call("read_report", Some("finance-q3")))
        .await
        .expect("a tool result");
    assert_eq!(denied.is_error, Some(true));
    let _ = alice.cancel().await;
    assert_eq!(
        post_initialize(&served, Some(expired(&teleport)))
            .await
            .status,
        401
    );

    let url = format!("http://{}/metrics", served.addr);
    let scrape = tokio::task::spawn_blocking(move || {
        ureq::get(&url)
            .call()
            .expect("/metrics answers without a token")
            .body_mut()
            .read_to_string()
            .expect("text")
    })
    .await
    .expect("the scrape thread ends");
    let mut kinds = BTreeMap::new();
    let mut samples = HashMap::new();
    for line in scrape.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("name and type");
            kinds.insert(name.to_owned(), kind.to_owned());
        } else if !line.starts_with('#') {
            let (series, value) = line.rsplit_once(' ').expect("series and value");
            let value: f64 = value.parse().expect("a number");
            samples.insert(series.to_owned(), value);
        }
    }
    for family in [
        "teleport_jwt_verifications_total",
        "teleport_jwt_token_cache_lookups_total",
        "teleport_jwt_key_fetches_total",
        "teleport_jwt_key_fetch_duration_seconds",
        "teleport_jwt_unknown_kid_refetches_total",
        "teleport_jwt_keys",
        "teleport_jwt_serving_stale_keys",
        "teleport_jwt_keys_age_seconds",
        "teleport_jwt_permission_mappings_total",
        "teleport_jwt_policy_capped_rules_total",
        "teleport_jwt_permission_checks_total",
    ] {
        assert!(
            kinds.contains_key(family),
            "{family} missing from:\n{scrape}"
        );
    }
    let sample = |s: &str| samples.get(s).copied().unwrap_or(-1.0);
    assert!(sample("teleport_jwt_verifications_total{outcome=\"accepted\"}") >= 3.0);
    assert_eq!(
        sample("teleport_jwt_verifications_total{outcome=\"expired\"}"),
        1.0
    );
    assert_eq!(
        sample("teleport_jwt_permission_mappings_total"),
        1.0,
        "one token, mapped once"
    );
    assert!(sample("teleport_jwt_permission_checks_total{decision=\"denied\"}") >= 2.0);
    assert!(sample("teleport_jwt_permission_checks_total{decision=\"allowed\"}") >= 3.0);
}
