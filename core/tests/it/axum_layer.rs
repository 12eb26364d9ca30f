//! `teleport_jwt::axum` on a real axum server on 127.0.0.1 (a port chosen by the OS), against
//! the mock Teleport, over real HTTP (ureq): what a client sees for good, missing, expired,
//! tampered and malformed tokens, a key endpoint that is down, missing permissions, server
//! mistakes, and that a cached token is checked without a thread hop.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::{Duration, SystemTime};

use axum::routing::get;
use axum::Router;
use parking_lot::Mutex;
use serde_json::Value;
use teleport_jwt::axum::{Caller, Rejection, TeleportLayer};
use teleport_jwt::mock::{Ca, Failure, MintSpec, MockTeleport};
use teleport_jwt::policy::{Permissions, Policy};
use teleport_jwt::{
    Algorithm, Authorized, Clock, Identity, KeySource, KeysFrom, TeleportJwt, TrustEntry, Verifier,
    VerifierOptions, VerifyError,
};

use crate::common::{self, *};

/// A server on its own single-threaded runtime: the runtime's only worker is this thread, so a
/// verification seen on any other thread ran on the blocking pool.
struct Served {
    addr: SocketAddr,
    worker: ThreadId,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(app: Router) -> Served {
    serve_with(|listener| async move { axum::serve(listener, app).await })
}

/// Runs `server` on a listener of its own until the `Served` is dropped.
fn serve_with<F, Fut, E>(server: F) -> Served
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Debug,
{
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("binds");
            let addr = listener.local_addr().expect("has an address");
            ready_tx
                .send((addr, std::thread::current().id()))
                .expect("test waits");
            tokio::select! {
                served = server(listener) => served.expect("serves"),
                _ = stopped => {}
            }
        });
    });
    let (addr, worker) = ready_rx.recv().expect("server starts");
    Served {
        addr,
        worker,
        stop: Some(stop),
        thread: Some(thread),
    }
}

/// What the client got.
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

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

fn get_with(served: &Served, path: &str, headers: &[(&str, &str)]) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(format!("http://{}{path}", served.addr));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.call().expect("the server answers");
    Answer {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: response.body_mut().read_to_string().expect("a body"),
    }
}

fn with_token(served: &Served, path: &str, token: &str) -> Answer {
    get_with(served, path, &[("Teleport-Jwt-Assertion", token)])
}

/// Counts the requests that reached the handlers.
#[derive(Clone, Default)]
struct Reached(Arc<AtomicUsize>);

fn app(layer: TeleportLayer, reached: &Reached) -> Router {
    let (a, b, c) = (reached.clone(), reached.clone(), reached.clone());
    Router::new()
        .route(
            "/whoami",
            get(move |Caller(me): Caller| async move {
                a.0.fetch_add(1, Ordering::SeqCst);
                format!("{} {:?}", me.username, me.roles)
            }),
        )
        .route(
            "/reports/read",
            get(move |caller: Authorized| async move {
                b.0.fetch_add(1, Ordering::SeqCst);
                caller.require("report:read")?;
                Ok::<_, Rejection>(format!("report for {}", caller.identity.username))
            }),
        )
        .route(
            "/reports/delete",
            get(move |caller: Authorized| async move {
                c.0.fetch_add(1, Ordering::SeqCst);
                caller.require("report:delete")?;
                Ok::<_, Rejection>("deleted")
            }),
        )
        .layer(layer)
}

fn policy() -> Arc<Policy> {
    Arc::new(
        Policy::from_yaml_str(
            "version: 1\nrules:\n  - match: {roles_any: [access]}\n    grant: [\"report:read\"]\n  - match: {roles_any: [admin]}\n    grant: [\"report:*\"]\n",
        )
        .expect("policy loads"),
    )
}

fn expired(m: &MockTeleport) -> String {
    let an_hour_ago = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
        - 3600;
    m.mint(&MintSpec {
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

#[track_caller]
fn assert_unauthorized(answer: &Answer, challenge: &str) {
    assert_eq!(answer.status, 401, "body: {}", answer.body);
    assert_eq!(answer.header("www-authenticate"), Some(challenge));
    assert_eq!(answer.header("retry-after"), None);
    assert_eq!(answer.header("x-teleport-jwt-error"), None, "not exposed");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
}

#[test]
fn good_missing_expired_tampered_and_malformed_tokens() {
    let m = mock(Algorithm::ES256);
    let reached = Reached::default();
    let served = serve(app(TeleportLayer::new(verifier(&m)), &reached));
    let token = m.mint(&MintSpec::default()).expect("mints");

    let ok = with_token(&served, "/whoami", &token);
    assert_eq!((ok.status, ok.body.as_str()), (200, r#"alice ["access"]"#));
    let bearer = format!("Bearer {token}");
    let ok = get_with(&served, "/whoami", &[("Authorization", &bearer)]);
    assert_eq!(
        ok.status, 200,
        "the default rules also read Authorization: Bearer"
    );
    assert_eq!(reached.0.load(Ordering::SeqCst), 2);

    let missing = get_with(&served, "/whoami", &[]);
    assert_unauthorized(&missing, "Bearer");
    assert_eq!(
        missing.json(),
        serde_json::json!({"error": "unauthorized", "error_description": "Teleport token required"})
    );

    let refused = serde_json::json!({"error": "invalid_token", "error_description": "Teleport token refused"});
    for (what, answer) in [
        ("expired", with_token(&served, "/whoami", &expired(&m))),
        (
            "tampered",
            with_token(&served, "/whoami", &tampered(&token)),
        ),
        ("not a JWT", with_token(&served, "/whoami", "not-a-jwt")),
        (
            "wrong scheme",
            get_with(
                &served,
                "/whoami",
                &[("Authorization", "Basic YWxpY2U6cHc=")],
            ),
        ),
        (
            "not ASCII",
            get_with(
                &served,
                "/whoami",
                &[("Teleport-Jwt-Assertion", "t\u{f6}ken")],
            ),
        ),
    ] {
        assert_unauthorized(&answer, r#"Bearer error="invalid_token""#);
        assert_eq!(answer.json(), refused, "{what}");
    }
    assert_eq!(
        reached.0.load(Ordering::SeqCst),
        2,
        "no refused request reached a handler"
    );
}

/// `GET path` with exactly these header lines, in this order, repeated names and names with
/// `_` included, over a plain socket (an HTTP client library may merge or refuse them): the
/// status and body the server answered.
fn raw_get(served: &Served, path: &str, lines: &[(&str, &str)]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in lines {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut stream = std::net::TcpStream::connect(served.addr).expect("connects");
    stream.write_all(request.as_bytes()).expect("sends");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("reads the answer");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, body.to_owned())
}

#[test]
fn finding_09_repeated_and_underscore_headers_get_the_answer_of_every_server() {
    // The table python/tests/test_headers_by_server.py sends to each Python server.
    let m = mock(Algorithm::ES256);
    let layer = TeleportLayer::new(verifier(&m)).expose_reason(true);
    let served = serve(app(layer, &Reached::default()));
    let alice = m.mint(&MintSpec::default()).expect("mints");
    let bob = m
        .mint(&MintSpec {
            username: "bob".into(),
            ..Default::default()
        })
        .expect("mints");
    let (a, b) = (alice.as_str(), bob.as_str());
    let joined = format!("{a}, {a}");
    let bearer = format!("Bearer {a}");
    let bearers = format!("Bearer {a},Bearer {a}");
    const T: &str = "Teleport-Jwt-Assertion";
    const U: &str = "Teleport_Jwt_Assertion";
    let alice_ok = r#"alice ["access"]"#;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Result<&'a str, &'a str>);
    let cases: Vec<Case> = vec![
        ("one header", vec![(T, a)], Ok(alice_ok)),
        ("two identical lines", vec![(T, a), (T, a)], Ok(alice_ok)),
        (
            "one line joined by a proxy",
            vec![(T, &joined)],
            Ok(alice_ok),
        ),
        (
            "two identical bearer lines",
            vec![("Authorization", &bearer), ("Authorization", &bearer)],
            Ok(alice_ok),
        ),
        (
            "one joined bearer line",
            vec![("Authorization", &bearers)],
            Ok(alice_ok),
        ),
        (
            "two different lines",
            vec![(T, a), (T, b)],
            Err("malformed"),
        ),
        ("underscore alone", vec![(U, a)], Err("missing_token")),
        (
            "underscore beside the real header",
            vec![(U, b), (T, a)],
            Ok(alice_ok),
        ),
    ];
    for (what, lines, expected) in cases {
        let (status, body) = raw_get(&served, "/whoami", &lines);
        match expected {
            Ok(text) => assert_eq!((status, body.as_str()), (200, text), "{what}"),
            Err(reason) => {
                assert_eq!(status, 401, "{what}: {body}");
                let refusal: Value = serde_json::from_str(&body).expect("a JSON body");
                assert_eq!(refusal["reason"], reason, "{what}");
            }
        }
    }
    // No rule may name a header with `_`: read here, dropped by WSGI servers.
    let refused = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .configure(|o| o.headers = vec![teleport_jwt::HeaderRule::raw("X_Token")])
        .build()
        .map(|_| ())
        .map_err(|e| e.reason());
    assert_eq!(refused, Err(teleport_jwt::Reason::InvalidConfig));
}

#[test]
fn reasons_are_told_only_when_the_server_opts_in() {
    let m = mock(Algorithm::RS256);
    let layer = TeleportLayer::new(verifier(&m)).expose_reason(true);
    let served = serve(app(layer, &Reached::default()));
    let answer = with_token(&served, "/whoami", &expired(&m));
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.header("www-authenticate"),
        Some(
            r#"Bearer error="invalid_token", error_description="Teleport token refused: expired""#
        )
    );
    assert_eq!(answer.header("x-teleport-jwt-error"), Some("expired"));
    assert_eq!(answer.json()["reason"], "expired");
    // Still no error code without credentials (RFC 6750 section 3.1).
    let missing = get_with(&served, "/whoami", &[]);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        missing.header("x-teleport-jwt-error"),
        Some("missing_token")
    );
}

#[test]
fn key_endpoint_down_from_the_start_is_503_with_retry_after() {
    let m = mock(Algorithm::RS256);
    m.set_failure(Failure::Refuse);
    let v = verifier_with(&m, |o| o.cache.cooldown = Duration::from_secs(5));
    let reached = Reached::default();
    let served = serve(app(TeleportLayer::new(v), &reached));
    let token = m.mint(&MintSpec::default()).expect("mints");
    // The first request makes the fetch (on the blocking pool); the second is answered from
    // its failure, at once.
    for attempt in 0..2 {
        let answer = with_token(&served, "/whoami", &token);
        assert_eq!(answer.status, 503, "attempt {attempt}: {}", answer.body);
        assert_eq!(
            answer.header("retry-after"),
            Some("5"),
            "the verifier's cooldown"
        );
        assert_eq!(answer.header("www-authenticate"), None);
        assert_eq!(answer.json()["error"], "temporarily_unavailable");
    }
    assert_eq!(reached.0.load(Ordering::SeqCst), 0);
    m.set_failure(Failure::None);
}

#[test]
fn permissions_allow_or_refuse_with_403() {
    let m = mock(Algorithm::RS256);
    let v = verifier(&m).with_permissions(policy());
    let served = serve(app(TeleportLayer::new(v), &Reached::default()));
    let reader = m.mint(&MintSpec::default()).expect("mints");
    let read = with_token(&served, "/reports/read", &reader);
    assert_eq!((read.status, read.body.as_str()), (200, "report for alice"));
    let whoami = with_token(&served, "/whoami", &reader);
    assert_eq!(whoami.status, 200, "Caller works when authorizing too");

    let denied = with_token(&served, "/reports/delete", &reader);
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.header("www-authenticate"),
        Some(r#"Bearer error="insufficient_scope""#)
    );
    assert_eq!(
        denied.json(),
        serde_json::json!({"error": "insufficient_scope", "error_description": "permission denied"})
    );

    let admin = m
        .mint(&MintSpec {
            username: "root".into(),
            roles: vec!["admin".into()],
            ..Default::default()
        })
        .expect("mints");
    assert_eq!(with_token(&served, "/reports/delete", &admin).status, 200);
}

#[test]
fn server_mistakes_are_500_not_the_callers_fault() {
    let m = mock(Algorithm::RS256);
    let token = m.mint(&MintSpec::default()).expect("mints");

    // Authorized asked for, but the verifier has no permission mapper.
    let served = serve(app(TeleportLayer::new(verifier(&m)), &Reached::default()));
    let answer = with_token(&served, "/reports/read", &token);
    assert_eq!(answer.status, 500);
    assert_eq!(answer.json()["error"], "server_error");
    assert_eq!(answer.header("www-authenticate"), None);
    drop(served);

    // An extractor with no layer in front of it.
    let bare = Router::new().route(
        "/whoami",
        get(|Caller(me): Caller| async move { me.username.clone() }),
    );
    let served = serve(bare);
    assert_eq!(with_token(&served, "/whoami", &token).status, 500);
    drop(served);

    // A permission mapper that fails, and one that panics: 500, and the server goes on.
    let failing = |_: &Identity| -> Result<Permissions, VerifyError> {
        Err(teleport_jwt::policy::mapper_error("directory unreachable"))
    };
    let panicking =
        |_: &Identity| -> Result<Permissions, VerifyError> { panic!("a bug in the mapper") };
    for mapper in [
        Arc::new(failing) as Arc<dyn teleport_jwt::policy::PermissionMapper>,
        Arc::new(panicking),
    ] {
        let v = verifier(&m).with_permissions(mapper);
        v.warm_up().expect("keys"); // so the mapper runs on the worker thread, inline
        let served = serve(app(TeleportLayer::new(v), &Reached::default()));
        let answer = with_token(&served, "/reports/read", &token);
        assert_eq!(answer.status, 500, "{}", answer.body);
        assert_eq!(
            with_token(&served, "/reports/read", &token).status,
            500,
            "still serving"
        );
    }
}

#[test]
fn anonymous_requests_can_be_let_through_but_bad_tokens_never() {
    let m = mock(Algorithm::RS256);
    let app = Router::new()
        .route(
            "/maybe",
            get(|caller: Option<Caller>| async move {
                caller.map_or_else(|| "anonymous".to_owned(), |c| c.username.clone())
            }),
        )
        .route(
            "/whoami",
            get(|Caller(me): Caller| async move { me.username.clone() }),
        )
        .layer(TeleportLayer::new(verifier(&m)).allow_anonymous());
    let served = serve(app);
    let token = m.mint(&MintSpec::default()).expect("mints");
    assert_eq!(get_with(&served, "/maybe", &[]).body, "anonymous");
    assert_eq!(with_token(&served, "/maybe", &token).body, "alice");
    assert_unauthorized(&get_with(&served, "/whoami", &[]), "Bearer");
    assert_unauthorized(
        &with_token(&served, "/maybe", &expired(&m)),
        r#"Bearer error="invalid_token""#,
    );
}

/// The system clock, remembering which threads asked it the time (each verification asks once).
#[derive(Default)]
struct WatchedClock(Mutex<Vec<ThreadId>>);

impl Clock for WatchedClock {
    fn now(&self) -> SystemTime {
        self.0.lock().push(std::thread::current().id());
        SystemTime::now()
    }
}

/// The mock's JWKS, remembering which threads fetched it.
struct WatchedKeys {
    mock: Arc<MockTeleport>,
    fetched_on: Mutex<Vec<ThreadId>>,
}

impl KeySource for WatchedKeys {
    fn fetch_jwks(&self) -> Result<Vec<u8>, VerifyError> {
        self.fetched_on.lock().push(std::thread::current().id());
        Ok(self.mock.jwks_json(Ca::Jwt).into_bytes())
    }

    fn describe(&self) -> String {
        "the mock's JWKS, watched".into()
    }
}

#[test]
fn only_a_key_fetch_leaves_the_worker_thread() {
    let m = Arc::new(mock(Algorithm::RS256));
    let clock = Arc::new(WatchedClock::default());
    let keys = Arc::new(WatchedKeys {
        mock: m.clone(),
        fetched_on: Mutex::new(Vec::new()),
    });
    let v = Verifier::builder()
        .trust(TrustEntry::new(
            m.cluster_name(),
            vec![AUD.to_owned()],
            KeysFrom::Source(keys.clone()),
        ))
        .clock(clock.clone())
        .build()
        .expect("verifier builds");
    let served = serve(app(TeleportLayer::new(v), &Reached::default()));
    let threads =
        |since: usize| -> HashSet<ThreadId> { clock.0.lock()[since..].iter().copied().collect() };

    let token = m.mint(&MintSpec::default()).expect("mints");
    assert_eq!(with_token(&served, "/whoami", &token).status, 200);
    let fetched_on = keys.fetched_on.lock().clone();
    assert_eq!(fetched_on.len(), 1);
    assert_ne!(
        fetched_on[0], served.worker,
        "the fetch ran on the blocking pool"
    );

    let seen = clock.0.lock().len();
    let other = m
        .mint(&MintSpec {
            username: "bob".into(),
            ..Default::default()
        })
        .expect("mints");
    assert_eq!(with_token(&served, "/whoami", &token).status, 200); // a cache hit
    assert_eq!(with_token(&served, "/whoami", &other).status, 200); // a new token, keys cached
    assert_eq!(
        with_token(&served, "/whoami", &tampered(&other)).status,
        401
    );
    assert_eq!(
        threads(seen),
        HashSet::from([served.worker]),
        "verified on the worker thread, no hop"
    );
    assert_eq!(keys.fetched_on.lock().len(), 1);
}

/// core/README.md's axum quick start, verbatim between the markers: `readme_is_this_code` keeps
/// them identical and `the_readme_axum_service_runs` runs it.
#[rustfmt::skip]
async fn readme_axum(proxy_url: String, cluster_name: String, audience: String, options: VerifierOptions, listener: tokio::net::TcpListener) -> Result<(), Box<dyn std::error::Error>> {
    // README begin: axum
    let verifier = Verifier::teleport_jwt(TeleportJwt { proxy_url, cluster_name, audience, options })?;
    let app = Router::new()
        .route("/whoami", get(|Caller(me): Caller| async move { me.username.clone() }))
        .layer(TeleportLayer::new(verifier));      // refused requests never reach a handler
    axum::serve(listener, app).await?;
    // README end
    Ok(())
}

#[test]
fn the_readme_axum_service_runs() {
    let m = mock(Algorithm::ES256);
    let (proxy_url, cluster_name, options) = (m.proxy_url(), m.cluster_name(), options_for(&m));
    let served = serve_with(move |listener| {
        readme_axum(proxy_url, cluster_name, AUD.to_owned(), options, listener)
    });
    let token = m.mint(&MintSpec::default()).expect("mints");
    let ok = with_token(&served, "/whoami", &token);
    assert_eq!((ok.status, ok.body.as_str()), (200, "alice"));
    assert_unauthorized(&get_with(&served, "/whoami", &[]), "Bearer");
}

#[test]
fn readme_is_this_code() {
    let readme = include_str!("../../README.md");
    let source = include_str!("axum_layer.rs");
    let region = common::marked_region(source, "// README begin: axum");
    assert!(
        common::rust_blocks(readme).contains(&region),
        "core/README.md has no ```rust block equal to the axum quick start in core/tests/it/axum_layer.rs:\n{region}"
    );
}
