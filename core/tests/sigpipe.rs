//! Finding 10 of issue 21: a socket write to a peer that has gone must not raise SIGPIPE.
//!
//! CPython and the JVM ignore SIGPIPE, and so does every Rust binary (std does it before `main`),
//! but a Swift or C host keeps the default action: the process dies on the first write to a
//! closed connection that is not sent with `MSG_NOSIGNAL` (Linux) or on an `SO_NOSIGPIPE` socket
//! (Apple). This test therefore has no ordinary `main`: `#![no_main]` skips std's start-up, so
//! the binary keeps the SIG_DFL that `std::process::Command` gives every child, like a Swift host
//! does. Each scenario runs in a child process (this binary again) and the parent reports a
//! child killed by a signal as a failure, instead of the whole test dying without a word.
//!
//! - the mock: a client sends a request while the mock hangs, reads what is pending and closes
//!   (FIN); the mock then answers 500 (the Swift suite's stale-serving case): its first write
//!   draws the peer's RST, the next ones go to a dead connection.
//! - the fetcher: a server sends its TLS handshake flight and closes (FIN); the fetcher then
//!   writes its Finished and the request to the dead connection.
#![cfg_attr(unix, no_main)]

#[cfg(not(unix))]
fn main() {}

#[cfg(unix)]
mod unix {
    use std::error::Error;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
    use teleport_jwt::mock::{Failure, MockTeleport};
    use teleport_jwt::{FetchLimits, HttpFetcher, HttpsFetcher, HttpsOptions};

    type TestResult = Result<(), Box<dyn Error>>;
    type Scenario = fn() -> TestResult;

    /// Set in a child: the name of the scenario it runs.
    const SCENARIO_ENV: &str = "TELEPORT_JWT_SIGPIPE_SCENARIO";
    const JWKS: &str = "/.well-known/jwks.json";
    const SIGPIPE: i32 = 13;

    const SCENARIOS: &[(&str, Scenario)] = &[
        (
            "finding_10_mock_answer_to_a_closed_connection_does_not_raise_sigpipe",
            finding_10_mock_answer_to_a_closed_connection_does_not_raise_sigpipe,
        ),
        (
            "finding_10_fetcher_write_to_a_closed_connection_does_not_raise_sigpipe",
            finding_10_fetcher_write_to_a_closed_connection_does_not_raise_sigpipe,
        ),
    ];

    /// The entry point in place of std's: SIGPIPE keeps the disposition this process was
    /// started with. Arguments other than flags filter the scenarios by name, as libtest does.
    #[no_mangle]
    pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
        let outcome = std::panic::catch_unwind(|| match std::env::var(SCENARIO_ENV) {
            Ok(name) => run_child(&name),
            Err(_) => run_parent(),
        });
        outcome.unwrap_or(101)
    }

    fn run_child(name: &str) -> i32 {
        let Some((_, scenario)) = SCENARIOS.iter().find(|(n, _)| *n == name) else {
            eprintln!("no scenario {name}");
            return 2;
        };
        if sigpipe_ignored() {
            eprintln!("SIGPIPE is ignored in the child: the test would prove nothing");
            return 3;
        }
        match scenario() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{name}: {e}");
                1
            }
        }
    }

    fn run_parent() -> i32 {
        let filters: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .collect();
        let Ok(exe) = std::env::current_exe() else {
            eprintln!("cannot find this test binary");
            return 1;
        };
        let chosen: Vec<&str> = SCENARIOS
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| filters.is_empty() || filters.iter().any(|f| n.contains(f.as_str())))
            .collect();
        println!("\nrunning {} tests", chosen.len());
        let mut failed = 0;
        for name in &chosen {
            // Command resets SIGPIPE to SIG_DFL in the child; `no_main` keeps it there.
            let verdict = match Command::new(&exe).env(SCENARIO_ENV, name).status() {
                Ok(s) if s.success() => "ok".to_string(),
                Ok(s) if s.signal() == Some(SIGPIPE) => {
                    "FAILED (killed by SIGPIPE: a socket write without MSG_NOSIGNAL)".to_string()
                }
                Ok(s) => format!("FAILED ({s})"),
                Err(e) => format!("FAILED (could not start: {e})"),
            };
            if verdict != "ok" {
                failed += 1;
            }
            println!("test {name} ... {verdict}");
        }
        let result = if failed == 0 { "ok" } else { "FAILED" };
        println!(
            "\ntest result: {result}. {} passed; {failed} failed\n",
            chosen.len() - failed
        );
        i32::from(failed != 0)
    }

    /// True when this process ignores SIGPIPE (bit 13 of `SigIgn` in /proc/self/status).
    fn sigpipe_ignored() -> bool {
        let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
            return false; // not Linux: Command's reset to SIG_DFL is all there is
        };
        status
            .lines()
            .find_map(|l| l.strip_prefix("SigIgn:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .is_some_and(|mask| mask & (1 << (SIGPIPE - 1)) != 0)
    }

    fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> TestResult {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !done() {
            if Instant::now() > deadline {
                return Err(format!("timed out waiting for {what}").into());
            }
            thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    fn provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }

    /// The mock answers (500, as in the Swift suite's stale-serving case) a client that has
    /// closed its connection while the mock hung; it must live on and answer the next request.
    fn finding_10_mock_answer_to_a_closed_connection_does_not_raise_sigpipe() -> TestResult {
        let mock = MockTeleport::start()?;
        mock.set_failure(Failure::Hang);

        let mut roots = RootCertStore::empty();
        for cert in rustls_pemfile_certs(&mock.ca_pem())? {
            roots.add(cert)?;
        }
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let conn = ClientConnection::new(Arc::new(config), ServerName::try_from("127.0.0.1")?)?;
        let tcp = TcpStream::connect(mock.addr())?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        tls.write_all(format!("GET {JWKS} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())?;
        tls.flush()?;
        wait_until("the mock to read the request", || {
            mock.request_count_for(JWKS) == 1
        })?;

        // Read what the mock sent (session tickets), so that closing sends FIN, not RST.
        let mut tcp = tls.sock;
        tcp.set_nonblocking(true)?;
        let mut sink = [0u8; 4096];
        while matches!(tcp.read(&mut sink), Ok(n) if n > 0) {}
        drop(tcp);

        // The mock now writes the 500 to the closed connection: head, body, close_notify.
        mock.set_failure(Failure::Status(500));
        let fetcher = HttpsFetcher::new(&HttpsOptions {
            ca_pem: Some(mock.ca_pem()),
            ..HttpsOptions::default()
        })?;
        let response = fetcher.get(&mock.jwks_url(), &FetchLimits::default())?;
        assert_eq!(response.status, 500, "the mock answers the next request");
        mock.stop(); // joins the connection threads: every write has happened
        Ok(())
    }

    /// The built-in fetcher writes its handshake's end and its request to a server that has
    /// sent its handshake flight and closed; the fetch fails, the process lives.
    fn finding_10_fetcher_write_to_a_closed_connection_does_not_raise_sigpipe() -> TestResult {
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("https://{}{JWKS}", listener.local_addr()?);

        let server = thread::spawn(move || -> Result<(), String> {
            let (mut tcp, _) = listener.accept().map_err(|e| e.to_string())?;
            let mut conn = ServerConnection::new(Arc::new(config)).map_err(|e| e.to_string())?;
            while !conn.wants_write() {
                if conn.read_tls(&mut tcp).map_err(|e| e.to_string())? == 0 {
                    return Err("the fetcher closed before its ClientHello".into());
                }
                conn.process_new_packets().map_err(|e| e.to_string())?;
            }
            // Through a buffer: std's `write_all` sends with MSG_NOSIGNAL, rustls' would not.
            let mut flight = Vec::new();
            while conn.wants_write() {
                conn.write_tls(&mut flight).map_err(|e| e.to_string())?;
            }
            tcp.write_all(&flight).map_err(|e| e.to_string())?;
            Ok(()) // dropping `tcp` closes the connection: FIN, nothing left unread
        });

        let fetcher = HttpsFetcher::new(&HttpsOptions {
            ca_pem: Some(cert.cert.pem()),
            ..HttpsOptions::default()
        })?;
        let outcome = fetcher.get(&url, &FetchLimits::default());
        server.join().map_err(|_| "server thread panicked")??;
        assert!(outcome.is_err(), "a closed connection is a failed fetch");
        Ok(())
    }

    /// The certificates of a PEM bundle (the mock's CA), parsed with the parser rustls ships.
    fn rustls_pemfile_certs(
        pem: &str,
    ) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, Box<dyn Error>> {
        use rustls::pki_types::pem::PemObject;
        Ok(
            rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()?,
        )
    }
}
