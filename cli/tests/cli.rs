//! The `teleport-jwt` binary, run as a user runs it: every command, its output and its exit
//! code, against mock Teleports started here, and bad input (one line on stderr, non-zero).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use teleport_jwt::mock::{Ca, Failure, MintSpec, MockTeleport};
use teleport_jwt::{Reason, TokenKind};

const BIN: &str = env!("CARGO_BIN_EXE_teleport-jwt");
const AUD: &str = "mcp+http://127.0.0.1:8000/mcp";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn run_with(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_BACKTRACE", "1")
        .spawn()
        .expect("the binary starts");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input.as_bytes())
            .expect("stdin takes the input");
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("the binary ends");
    Run {
        code: output.status.code().expect("exited, not killed"),
        out: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        err: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

fn run(args: &[&str]) -> Run {
    run_with(args, None)
}

impl Run {
    /// Success: the code, nothing on stderr.
    fn ok(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.out, self.err
        );
        assert_eq!(self.err, "", "nothing on stderr");
        self
    }

    /// Failure: this code, one line on stderr naming the tool and containing `needle`, no
    /// panic or backtrace.
    fn fails(self, code: i32, needle: &str) -> Run {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.out, self.err
        );
        assert_eq!(self.err.lines().count(), 1, "one line: {:?}", self.err);
        assert!(self.err.starts_with("teleport-jwt: "), "{:?}", self.err);
        assert!(self.err.contains(needle), "{needle:?} in {:?}", self.err);
        for bad in ["panicked", "backtrace", "RUST_BACKTRACE"] {
            assert!(!self.err.contains(bad), "{:?}", self.err);
        }
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(self.out.trim()).expect("stdout is one JSON document")
    }
}

/// A fresh directory for this test's files.
fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "teleport-jwt-cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temp file");
    path.to_str().expect("UTF-8 temp path").to_owned()
}

fn start_mock() -> (MockTeleport, String) {
    let mock = MockTeleport::start().expect("mock starts");
    let ca = write(&temp_dir(), "ca.pem", &mock.ca_pem());
    (mock, ca)
}

fn mint(mock: &MockTeleport, spec: MintSpec) -> String {
    mock.mint(&spec).expect("mint")
}

// ---------------------------------------------------------------------------------------
// The tool itself

#[test]
fn help_version_and_bad_command_lines() {
    let r = run(&["--help"]).ok(0);
    for command in [
        "inspect",
        "verify",
        "keys",
        "mock",
        "policy check",
        "policy explain",
    ] {
        assert!(r.out.contains(command), "{command} in the help");
    }
    let r = run(&["--version"]).ok(0);
    assert_eq!(
        r.out.trim(),
        format!("teleport-jwt {}", env!("CARGO_PKG_VERSION"))
    );
    for command in ["inspect", "verify", "keys", "mock", "policy"] {
        let r = run(&[command, "--help"]).ok(0);
        assert!(
            r.out.starts_with("usage: teleport-jwt "),
            "{command}: {}",
            r.out
        );
        assert_eq!(run(&["help", command]).ok(0).out, r.out);
    }
    run(&[]).fails(2, "no command given");
    run(&["frobnicate"]).fails(2, "unknown command \"frobnicate\"");
    run(&["--frobnicate"]).fails(2, "invalid option '--frobnicate'");
    run(&["inspect", "--frobnicate", "x"]).fails(2, "invalid option '--frobnicate'");
    run(&["verify", "--proxy"]).fails(2, "missing argument for option '--proxy'");
    run(&["keys", "--proxy", "https://x", "extra"]).fails(2, "unexpected argument");
    run(&["help", "nothing"]).fails(2, "no help for");
}

// ---------------------------------------------------------------------------------------
// inspect

#[test]
fn inspect_shows_header_claims_times_and_size_labelled_unverified() {
    let (mock, _) = start_mock();
    let token = mint(&mock, MintSpec::default());
    let r = run(&["inspect", &token]).ok(0);
    assert!(r.out.starts_with("UNVERIFIED: "), "{}", r.out);
    assert!(r.out.contains("header (UNVERIFIED):"));
    assert!(r.out.contains("claims (UNVERIFIED):"));
    assert!(r.out.contains(&format!("size: {} bytes", token.len())));
    assert!(r.out.contains("\"alg\": \"RS256\""));
    assert!(r.out.contains(&mock.signing_key_id(Ca::Jwt)));
    assert!(r.out.contains("\"username\": \"alice\""));
    assert!(r.out.contains("structure: passes"));
    let exp = r
        .out
        .lines()
        .find(|l| l.trim_start().starts_with("exp "))
        .expect("exp line");
    assert!(
        exp.contains(" UTC") && (exp.contains("(in 4m 5") || exp.contains("(in 5m")),
        "{exp}"
    );
    let iat = r
        .out
        .lines()
        .find(|l| l.trim_start().starts_with("iat "))
        .expect("iat line");
    assert!(iat.contains("ago") || iat.contains("(now)"), "{iat}");

    // From standard input, with the Bearer prefix a header carries, and as JSON.
    let r = run_with(
        &["inspect", "--json", "-"],
        Some(&format!("Bearer {token}\n")),
    )
    .ok(0);
    let doc = r.json();
    assert_eq!(doc["verified"], false);
    assert!(doc["warning"]
        .as_str()
        .is_some_and(|w| w.starts_with("UNVERIFIED")));
    assert_eq!(doc["size"]["bytes"], token.len());
    assert_eq!(doc["claims"]["sub"], "alice");
    assert_eq!(doc["header"]["typ"], "JWT");
    assert_eq!(doc["structure"]["ok"], true);
    assert!(doc["times"]["exp"]["utc"]
        .as_str()
        .is_some_and(|t| t.ends_with(" UTC")));
    assert!(doc["times"]["nbf"]["relative"]
        .as_str()
        .is_some_and(|t| t.ends_with(" ago")));
}

#[test]
fn inspect_decodes_what_the_library_would_refuse_and_says_so() {
    let (mock, _) = start_mock();
    let expired = mint(
        &mock,
        MintSpec {
            issued_at: Some(1_700_000_000),
            ..Default::default()
        },
    );
    let r = run(&["inspect", &expired]).ok(0);
    assert!(r.out.contains("exp  2023-11-14 22:18:20 UTC"), "{}", r.out);
    assert!(r.out.contains("ago, expired)"), "{}", r.out);

    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(br#"{"sub":"mallory"}"#)
    );
    let r = run(&["inspect", &none]).ok(0);
    assert!(r.out.contains("\"sub\": \"mallory\""));
    assert!(
        r.out.contains("would refuse it before any key: malformed")
            || r.out
                .contains("would refuse it before any key: unsupported_algorithm"),
        "{}",
        r.out
    );
    assert!(r.out.contains("(no exp, iat or nbf claim)"));
}

#[test]
fn inspect_bad_input_is_one_line_and_non_zero() {
    run(&["inspect", "garbage"]).fails(1, "not a JWT: 1 segment");
    run(&["inspect", "a.b.c.d.e"]).fails(1, "JWE");
    run(&["inspect", "!!!.e30.x"]).fails(1, "header is not base64url");
    let not_json = format!("{}.e30.x", b64(b"not json"));
    run(&["inspect", &not_json]).fails(1, "header is not JSON");
    run_with(&["inspect", "-"], Some("")).fails(1, "the token is empty");
    run(&["inspect"]).fails(2, "inspect needs a TOKEN");
    run(&["inspect", "a", "b"]).fails(2, "unexpected argument");
}

// ---------------------------------------------------------------------------------------
// verify

fn verify_args<'a>(mock_url: &'a str, ca: &'a str) -> Vec<&'a str> {
    vec![
        "verify",
        "--proxy",
        mock_url,
        "--cluster",
        "teleport.example.com",
        "--audience",
        AUD,
        "--ca",
        ca,
    ]
}

fn verify(mock: &MockTeleport, ca: &str, extra: &[&str], stdin: Option<&str>) -> Run {
    let url = mock.proxy_url();
    let mut args = verify_args(&url, ca);
    args.extend_from_slice(extra);
    run_with(&args, stdin)
}

#[test]
fn verify_prints_the_identity_from_an_argument_stdin_or_headers() {
    let (mock, ca) = start_mock();
    let token = mint(
        &mock,
        MintSpec {
            username: "bob".into(),
            roles: vec!["dev".into(), "admin".into()],
            traits: [("logins".to_owned(), vec!["root".to_owned()])].into(),
            ..Default::default()
        },
    );
    let r = verify(&mock, &ca, &[&token], None).ok(0);
    assert!(r.out.starts_with("verified: bob\n"), "{}", r.out);
    assert!(r.out.contains("roles       dev, admin"));
    assert!(r.out.contains("logins = root"));
    assert!(r
        .out
        .contains(&format!("kid {:?} (RS256)", mock.signing_key_id(Ca::Jwt))));

    let r = verify(&mock, &ca, &["--json", "-"], Some(&format!("{token}\n"))).ok(0);
    let id = r.json();
    assert_eq!(id["username"], "bob");
    assert_eq!(id["roles"], serde_json::json!(["dev", "admin"]));
    assert_eq!(id["traits"]["logins"], serde_json::json!(["root"]));
    assert_eq!(id["issuer"], "teleport.example.com");
    assert_eq!(id["kind"], "teleport_jwt");
    assert_eq!(id["algorithm"], "RS256");
    assert_eq!(id["claims"]["sub"], "bob");

    // A request's headers, as curl -D or a proxy log shows them.
    let request = format!("GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n");
    let r = verify(&mock, &ca, &["--headers", "-"], Some(&request)).ok(0);
    assert!(r.out.starts_with("verified: bob"));
    let file = write(&temp_dir(), "headers.txt", &format!("X-Token: {token}\n"));
    verify(
        &mock,
        &ca,
        &["--header", "X-Token", "--headers", &file],
        None,
    )
    .ok(0);
    verify(&mock, &ca, &["--headers", &file, "--json"], None)
        .ok(12)
        .json()["code"]
        .as_str()
        .map(|c| assert_eq!(c, "missing_token"))
        .expect("a code");

    // ID tokens: issuer = proxy URL, keys through discovery.
    let id_token = mint(
        &mock,
        MintSpec {
            kind: TokenKind::IdToken,
            ..Default::default()
        },
    );
    let url = mock.proxy_url();
    let r = run(&[
        "verify",
        "--proxy",
        &url,
        "--id-token",
        "--audience",
        AUD,
        "--ca",
        &ca,
        "--json",
        &id_token,
    ])
    .ok(0);
    assert_eq!(r.json()["kind"], "id_token");
}

#[test]
fn verify_exits_with_the_code_of_each_reason() {
    let (mock, ca) = start_mock();
    let token = mint(&mock, MintSpec::default());
    let url = mock.proxy_url();
    let expired = mint(
        &mock,
        MintSpec {
            issued_at: Some(1_700_000_000),
            ..Default::default()
        },
    );
    // One character in the middle of the signature changed: still canonical base64url.
    let mut tampered = token.clone().into_bytes();
    let i = token.len() - 100;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");
    let id_token = mint(
        &mock,
        MintSpec {
            kind: TokenKind::IdToken,
            ..Default::default()
        },
    );
    let bad_ca = write(&temp_dir(), "bad.pem", "not a certificate\n");
    let cases: Vec<(Reason, Vec<&str>)> = vec![
        (Reason::Malformed, vec!["garbage"]),
        (Reason::Expired, vec![&expired]),
        (Reason::BadSignature, vec![&tampered]),
        (Reason::AudienceMismatch, vec!["--audience", "other"]),
        (Reason::IssuerMismatch, vec![&id_token]),
        (Reason::InvalidConfig, vec!["--leeway", "1000"]),
        (Reason::TokenTooLarge, vec![]),
    ];
    let huge = "a".repeat(20_000);
    for (reason, extra) in cases {
        let mut args = verify_args(&url, &ca);
        args.extend(extra.iter());
        if reason == Reason::AudienceMismatch || reason == Reason::InvalidConfig {
            args.push(&token);
        }
        if reason == Reason::TokenTooLarge {
            args.push(&huge);
        }
        // `--audience other` adds an audience; replace the good one for the mismatch.
        if reason == Reason::AudienceMismatch {
            let i = args.iter().position(|a| *a == AUD).expect("audience");
            args.remove(i);
            args.remove(i - 1);
        }
        let code = teleport_jwt_cli::exit_code(reason);
        run(&args).fails(code, &format!("teleport-jwt: {}: ", reason.code()));
        args.push("--json");
        let doc = run(&args).ok(code).json();
        assert_eq!(doc["code"], reason.code());
        assert!(doc["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // Keys that cannot be fetched: the mock's CA not trusted, or the wrong scheme.
    let r = run(&[
        "verify",
        "--proxy",
        &url,
        "--cluster",
        "teleport.example.com",
        "--audience",
        AUD,
        &token,
    ]);
    r.fails(24, "key_source_unavailable");
    let http = url.replace("https://", "http://");
    run(&[
        "verify",
        "--proxy",
        &http,
        "--cluster",
        "teleport.example.com",
        "--audience",
        AUD,
        &token,
    ])
    .fails(25, "insecure_transport");
    let mut args = verify_args(&url, &bad_ca);
    args.push(&token);
    run(&args).fails(26, "invalid_config: ca_pem");
}

#[test]
fn verify_bad_command_lines_and_files() {
    let (mock, ca) = start_mock();
    let url = mock.proxy_url();
    let token = mint(&mock, MintSpec::default());
    run(&["verify", "--cluster", "c", "--audience", AUD, &token]).fails(2, "needs --proxy");
    run(&["verify", "--proxy", &url, "--audience", AUD, &token]).fails(2, "needs --cluster");
    run(&["verify", "--proxy", &url, "--cluster", "c", &token]).fails(2, "needs --audience");
    run(&[
        "verify",
        "--proxy",
        &url,
        "--cluster",
        "c",
        "--audience",
        AUD,
    ])
    .fails(2, "needs a TOKEN");
    run(&[
        "verify",
        "--proxy",
        &url,
        "--id-token",
        "--cluster",
        "c",
        "--audience",
        AUD,
        &token,
    ])
    .fails(2, "--cluster is for classic JWTs");
    let mut args = verify_args(&url, &ca);
    args.extend(["--leeway", "soon", &token]);
    run(&args).fails(2, "--leeway \"soon\" is not a number of seconds");
    let mut args = verify_args(&url, &ca);
    args.extend(["--header", "Bad Name", &token]);
    run(&args).fails(2, "header rule \"Bad Name\"");
    let mut args = verify_args(&url, &ca);
    args.extend([token.as_str(), "-"]);
    run(&args).fails(2, "give one token source");
    let mut args = verify_args(&url, "/nonexistent/ca.pem");
    args.push(&token);
    run(&args).fails(1, "cannot read CA file /nonexistent/ca.pem");
    let mut args = verify_args(&url, &ca);
    args.extend(["--headers", "/nonexistent/headers"]);
    run(&args).fails(1, "cannot read headers /nonexistent/headers");
    let mut args = verify_args(&url, &ca);
    args.extend(["--headers", "-"]);
    run_with(&args, Some("Host: x\nAuthorization Bearer x\n")).fails(10, "is not `Name: value`");
}

#[test]
fn the_docs_list_the_exit_codes_of_the_tool() {
    let section = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli.md"))
        .expect("docs/cli.md");
    for reason in Reason::ALL {
        let row = format!(
            "| {} | `{}` |",
            teleport_jwt_cli::exit_code(reason),
            reason.code()
        );
        assert!(section.contains(&row), "docs/cli.md row {row}");
    }
    for (code, what) in [
        (0, "verified"),
        (1, "unusable input"),
        (2, "bad command line"),
        (3, "not granted"),
    ] {
        assert!(section.contains(&format!("| {code} | ")), "{code} {what}");
    }
}

// ---------------------------------------------------------------------------------------
// keys

#[test]
fn keys_shows_each_key_with_the_library_decision() {
    let (mock, ca) = start_mock();
    let url = mock.proxy_url();
    let r = run(&["keys", "--proxy", &url, "--ca", &ca]).ok(0);
    assert!(r.out.contains(&format!(
        "JWT CA keys (classic tokens): {}",
        mock.jwks_url()
    )));
    assert!(r.out.contains(&format!(
        "OIDC CA keys (ID tokens): {}",
        mock.discovery_url()
    )));
    assert!(r
        .out
        .contains(&format!("jwks_uri {}", mock.jwks_oidc_url())));
    for ca_kind in [Ca::Jwt, Ca::Oidc] {
        let kid = mock.signing_key_id(ca_kind);
        let line = r
            .out
            .lines()
            .find(|l| l.contains(&kid))
            .expect("the key is listed");
        assert!(
            line.contains("trusted") && line.contains("RSA/RS256"),
            "{line}"
        );
        assert!(
            line.contains("2048 bits") && line.contains("verifies RS256"),
            "{line}"
        );
    }
    assert_eq!(r.out.matches("folded   RSA/RS256").count(), 2, "{}", r.out);
    assert!(r
        .out
        .contains("Teleport's blank-kid twin of the entry with its kid"));
    assert_eq!(
        r.out
            .matches("2 entries: 1 trusted, 1 folded, 0 ignored")
            .count(),
        2
    );

    let r = run(&["keys", "--proxy", &url, "--ca", &ca, "--only", "jwt"]).ok(0);
    assert!(!r.out.contains("OIDC"));
    let r = run(&["keys", "--proxy", &url, "--ca", &ca, "--only", "id_token"]).ok(0);
    assert!(!r.out.contains("JWT CA"));

    // Not fetched: untrusted TLS, a broken proxy, plain http.
    let r = run(&["keys", "--proxy", &url]).fails(1, "not fetched (key_source_unavailable)");
    assert!(
        r.out.contains("UnknownIssuer") || r.out.contains("certificate"),
        "{}",
        r.out
    );
    mock.set_failure(Failure::Garbage);
    run(&["keys", "--proxy", &url, "--ca", &ca, "--only", "jwt"])
        .fails(1, "not a usable JWKS (key_source_unavailable)");
    mock.set_failure(Failure::None);
    run(&[
        "keys",
        "--proxy",
        &url.replace("https", "http"),
        "--only",
        "jwt",
    ])
    .fails(1, "insecure_transport");
    run(&["keys"]).fails(2, "keys needs --proxy");
    run(&["keys", "--proxy", &url, "--only", "both"]).fails(2, "--only \"both\"");
    run(&["keys", "--proxy", &url, "--ca", "/nonexistent.pem"]).fails(1, "cannot read CA file");
    let bad_ca = write(&temp_dir(), "bad.pem", "no certificate here\n");
    run(&["keys", "--proxy", &url, "--ca", &bad_ca]).fails(1, "invalid_config: ca_pem");
}

/// Serves one JWKS document over plain http on loopback, for as many requests as given.
fn serve_jwks(body: String, requests: usize) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        for _ in 0..requests {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(answer.as_bytes()).ok();
        }
    });
    (url, handle)
}

#[test]
fn keys_says_why_a_key_is_ignored() {
    // An HMAC secret, a curve the library does not take, a 1024-bit RSA key, a non-object.
    let jwks = serde_json::json!({"keys": [
        {"kty": "oct", "kid": "hmac", "alg": "HS256", "k": "c2VjcmV0"},
        {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "RSA", "kid": "small", "alg": "RS256", "e": "AQAB", "n": b64(&[0xc1; 128])},
        "not a key"
    ]});
    let (url, server) = serve_jwks(jwks.to_string(), 1);
    let r = run(&[
        "keys",
        "--proxy",
        &url,
        "--only",
        "jwt",
        "--allow-insecure-http-for-loopback",
    ])
    .fails(1, "classic JWT keys: no trusted key");
    server.join().expect("server thread");
    let line = |kid: &str| {
        r.out
            .lines()
            .find(|l| l.contains(&format!("kid \"{kid}\"")))
            .unwrap_or_else(|| panic!("{kid} listed in {}", r.out))
            .to_owned()
    };
    assert!(
        line("hmac").contains("ignored  oct/HS256"),
        "{}",
        line("hmac")
    );
    assert!(line("hmac").contains("private or symmetric member `k`"));
    assert!(
        line("p384").contains("P-384") && line("p384").contains("`crv` \"P-384\" is not supported")
    );
    assert!(
        line("small").contains("1024 bits") && line("small").contains("RSA modulus of 1024 bits")
    );
    assert!(r.out.contains("[3] ignored") && r.out.contains("entry is a string, not an object"));
    assert!(r.out.contains("4 entries: 0 trusted, 0 folded, 4 ignored"));
}

// ---------------------------------------------------------------------------------------
// mock

/// A `teleport-jwt mock` process, killed when dropped.
struct MockProcess {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl MockProcess {
    fn start(args: &[&str]) -> MockProcess {
        let mut child = Command::new(BIN)
            .arg("mock")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        MockProcess { child, lines }
    }

    /// Every line up to the one that says it serves.
    fn until_serving(&mut self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with("serving until interrupted") => return seen,
                Ok(line) => seen.push(line),
                Err(_) => panic!("the mock never said it serves; got {seen:?}"),
            }
        }
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn mock_prints_urls_ca_and_tokens_that_verify_then_runs_until_killed() {
    let dir = temp_dir();
    let ca = dir.join("ca.pem");
    let ca = ca.to_str().expect("UTF-8 path");
    let mut mock = MockProcess::start(&[
        "--json", "--user", "bob", "--role", "dev", "--trait", "team=red", "--user", "carol",
        "--role", "viewer", "--role", "auditor", "--ca-out", ca,
    ]);
    let lines = mock.until_serving();
    assert_eq!(lines.len(), 1, "one JSON line: {lines:?}");
    let doc: Value = serde_json::from_str(&lines[0]).expect("JSON");
    let url = doc["proxy_url"].as_str().expect("proxy_url").to_owned();
    assert!(url.starts_with("https://127.0.0.1:"));
    assert_eq!(doc["jwks_url"], format!("{url}/.well-known/jwks.json"));
    assert_eq!(
        doc["discovery_url"],
        format!("{url}/.well-known/openid-configuration")
    );
    assert_eq!(doc["cluster_name"], "teleport.example.com");
    let pem = std::fs::read_to_string(ca).expect("--ca-out wrote the CA");
    assert_eq!(doc["ca_pem"], pem);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let tokens = doc["tokens"].as_array().expect("tokens");
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[1]["user"], "carol");
    assert_eq!(tokens[1]["roles"], serde_json::json!(["viewer", "auditor"]));

    // The tokens verify against the running mock, through the tool itself.
    let jwt = tokens[0]["jwt"].as_str().expect("jwt");
    let r = run(&[
        "verify",
        "--proxy",
        &url,
        "--cluster",
        "teleport.example.com",
        "--audience",
        AUD,
        "--ca",
        ca,
        "--json",
        jwt,
    ])
    .ok(0);
    let id = r.json();
    assert_eq!(id["username"], "bob");
    assert_eq!(id["traits"]["team"], serde_json::json!(["red"]));
    let id_token = tokens[1]["id_token"].as_str().expect("id_token");
    let r = run(&[
        "verify",
        "--proxy",
        &url,
        "--id-token",
        "--audience",
        AUD,
        "--ca",
        ca,
        "--json",
        id_token,
    ])
    .ok(0);
    assert_eq!(r.json()["username"], "carol");
    run(&["keys", "--proxy", &url, "--ca", ca]).ok(0);

    // Still serving until killed; then the port is free again.
    assert!(
        mock.child.try_wait().expect("status").is_none(),
        "runs until interrupted"
    );
    drop(mock);
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpListener::bind(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the killed mock released its port"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn mock_text_output_on_a_chosen_port() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let port_arg = port.to_string();
    let mut mock = MockProcess::start(&[
        "--port",
        &port_arg,
        "--audience",
        "https://app",
        "--ttl",
        "120",
    ]);
    let text = mock.until_serving().join("\n");
    assert!(
        text.starts_with(&format!(
            "mock Teleport listening on https://127.0.0.1:{port}"
        )),
        "{text}"
    );
    assert!(text.contains("-----BEGIN CERTIFICATE-----"));
    assert!(text.contains("tokens for alice (roles: access):"), "{text}");
    assert!(text.contains("token lifetime  120s"));
    let jwt = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("jwt "))
        .expect("a jwt line")
        .trim();
    let r = run(&["inspect", "--json", jwt]).ok(0);
    assert_eq!(r.json()["claims"]["aud"], "https://app");

    // The port is taken now: a second mock on it fails at once.
    run(&["mock", "--port", &port_arg])
        .fails(1, &format!("cannot start the mock on 127.0.0.1:{port}"));
}

#[test]
fn mock_bad_command_lines() {
    run(&["mock", "--role", "dev"]).fails(2, "--role must follow a --user");
    run(&["mock", "--trait", "a=b"]).fails(2, "--trait must follow a --user");
    run(&["mock", "--user", "u", "--trait", "novalue"]).fails(2, "is not `name=value`");
    run(&["mock", "--port", "http"]).fails(2, "--port \"http\" is not a port number");
    run(&["mock", "--port", "70000"]).fails(2, "is not a port number");
    run(&["mock", "--algorithm", "HS256"]).fails(2, "is not RS256 or ES256");
    run(&["mock", "--ttl", "0"]).fails(2, "--ttl must be at least 1 second");
    run(&["mock", "--ca-out", "/nonexistent/dir/ca.pem"]).fails(1, "cannot write the CA");
}

// ---------------------------------------------------------------------------------------
// policy

const POLICY: &str = "\
rules:
  - name: developers
    match: {roles_any: [\"mcp-*\"]}
    grant: [\"tool:read_*\", \"repo:{{traits.github_orgs}}:read\"]
  - name: nobody-deletes
    match: {}
    deny: [\"tool:delete_*\"]
";

#[test]
fn policy_check_loads_or_points_at_the_line_and_column() {
    let dir = temp_dir();
    let good = write(&dir, "policy.yaml", POLICY);
    let r = run(&["policy", "check", &good]).ok(0);
    assert!(
        r.out.starts_with(&format!("{good}: ok, 2 rules")),
        "{}",
        r.out
    );
    assert!(r
        .out
        .contains("rules[0] \"developers\": grants 2 pattern(s) to matching identities"));
    assert!(r
        .out
        .contains("rules[1] \"nobody-deletes\": denies 1 pattern(s) to everyone"));

    let typo = write(&dir, "typo.yaml", &POLICY.replace("roles_any", "rolez_any"));
    run(&["policy", "check", &typo]).fails(
        1,
        &format!("{typo}: line 3, column 13: rules[0].match: unknown field `rolez_any`"),
    );
    let toml = write(
        &dir,
        "bad.toml",
        "[[rules]]\nname = \"x\"\ngrant = [\"{{traits.team\"]\nmatch = {}\n",
    );
    run(&["policy", "check", &toml]).fails(1, "line 3, column");
    run(&["policy", "check", "/nonexistent/policy.yaml"]).fails(1, "cannot read");
    let txt = write(&dir, "policy.txt", POLICY);
    run(&["policy", "check", &txt]).fails(1, "unknown policy file extension");
    run(&["policy", "check"]).fails(2, "policy check needs a FILE");
    run(&["policy"]).fails(2, "policy needs check or explain");
    run(&["policy", "lint", &good]).fails(2, "unknown policy command \"lint\"");
}

#[test]
fn policy_explain_says_why_and_exits_by_decision() {
    let dir = temp_dir();
    let file = write(&dir, "policy.yaml", POLICY);
    let explain = |extra: &[&str]| {
        let mut args = vec!["policy", "explain", &file];
        args.extend_from_slice(extra);
        run(&args)
    };
    let r = explain(&[
        "--user",
        "alice",
        "--role",
        "mcp-dev",
        "--trait",
        "github_orgs=acme",
        "repo:acme:read",
    ])
    .ok(0);
    assert!(
        r.out.starts_with("granted \"repo:acme:read\" to \"alice\": rules[0] \"developers\": grant \"repo:acme:read\" from \"repo:{{traits.github_orgs}}:read\""),
        "{}",
        r.out
    );
    assert!(r
        .out
        .contains("matched rules: rules[0] \"developers\", rules[1] \"nobody-deletes\""));
    let r = explain(&["--user", "alice", "--role", "mcp-dev", "tool:delete_repo"]).ok(3);
    assert!(
        r.out
            .starts_with("denied \"tool:delete_repo\" to \"alice\": rules[1] \"nobody-deletes\""),
        "{}",
        r.out
    );
    let r = explain(&["--user", "bob", "--role", "viewer", "tool:read_file"]).ok(3);
    assert!(
        r.out
            .starts_with("not granted \"tool:read_file\" to \"bob\": no matching rule grants it"),
        "{}",
        r.out
    );

    explain(&["tool:read_file"]).fails(2, "policy explain needs --user");
    explain(&["--user", "a"]).fails(2, "needs a PERMISSION");
    explain(&["--user", "a", "--trait", "=x", "p"]).fails(2, "is not `name=value`");
    run(&["policy", "explain", "/nonexistent.yaml", "--user", "a", "p"]).fails(1, "cannot read");
}
