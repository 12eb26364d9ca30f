//! The loopback HTTPS server: a polling accept loop (so it can stop promptly and drop its
//! listener to refuse connections), one thread per connection (at most
//! [`MAX_CONNECTIONS`]), failure injection and request counting.

use std::collections::HashMap;
use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::http::{self, ReadError};
use super::rotation::CaState;
use super::socket::NoSignalStream;
use super::{Ca, Failure, MockError, MockOptions};

/// The most connections served at once; more are closed on accept.
pub const MAX_CONNECTIONS: usize = 64;
/// The longest a [`Failure::Hang`] holds a connection.
pub const HANG_MAX: Duration = Duration::from_secs(30);
/// Read and write timeout of served connections.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the accept loop sleeps when there is nothing to accept.
const ACCEPT_POLL: Duration = Duration::from_millis(10);

/// Path of the classic JWT CA's key set.
pub(crate) const JWKS_PATH: &str = "/.well-known/jwks.json";
/// Path of the OIDC CA's key set.
pub(crate) const JWKS_OIDC_PATH: &str = "/.well-known/jwks-oidc";
/// Path of the OpenID discovery document.
pub(crate) const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// The keys of both CAs.
#[derive(Debug)]
pub(crate) struct Cas {
    pub(crate) jwt: CaState,
    pub(crate) oidc: CaState,
}

impl Cas {
    pub(crate) fn get(&self, ca: Ca) -> &CaState {
        match ca {
            Ca::Jwt => &self.jwt,
            Ca::Oidc => &self.oidc,
        }
    }

    pub(crate) fn get_mut(&mut self, ca: Ca) -> &mut CaState {
        match ca {
            Ca::Jwt => &mut self.jwt,
            Ca::Oidc => &mut self.oidc,
        }
    }
}

/// Live connections, so that shutdown can unblock and join them.
#[derive(Default)]
struct Connections {
    next_id: u64,
    streams: HashMap<u64, TcpStream>,
    handles: Vec<JoinHandle<()>>,
}

/// State shared by the [`super::MockTeleport`] handle, the accept loop and the handlers.
pub(crate) struct Shared {
    pub(crate) addr: SocketAddr,
    pub(crate) proxy_url: String,
    pub(crate) options: MockOptions,
    pub(crate) cas: Mutex<Cas>,
    pub(crate) discovery_issuer_override: Mutex<Option<String>>,
    pub(crate) discovery_jwks_uri_override: Mutex<Option<String>>,
    tls: Arc<ServerConfig>,
    /// Lock order: `listener` before `failure`.
    listener: Mutex<Option<TcpListener>>,
    failure: Mutex<Failure>,
    failure_changed: Condvar,
    stop: AtomicBool,
    total: AtomicU64,
    per_path: Mutex<HashMap<String, u64>>,
    active: AtomicUsize,
    connections: Mutex<Connections>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("proxy_url", &self.proxy_url)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Binds `127.0.0.1:<port>` (0: a port chosen by the OS) and builds the shared state (the
    /// accept loop is not running yet).
    pub(crate) fn bind(
        options: MockOptions,
        cas: Cas,
        tls: Arc<ServerConfig>,
        port: u16,
    ) -> Result<Self, MockError> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        Ok(Shared {
            addr,
            proxy_url: format!("https://127.0.0.1:{}", addr.port()),
            options,
            cas: Mutex::new(cas),
            discovery_issuer_override: Mutex::new(None),
            discovery_jwks_uri_override: Mutex::new(None),
            tls,
            listener: Mutex::new(Some(listener)),
            failure: Mutex::new(Failure::None),
            failure_changed: Condvar::new(),
            stop: AtomicBool::new(false),
            total: AtomicU64::new(0),
            per_path: Mutex::new(HashMap::new()),
            active: AtomicUsize::new(0),
            connections: Mutex::new(Connections::default()),
        })
    }

    /// Starts the accept loop.
    pub(crate) fn spawn_accept_loop(self: &Arc<Self>) -> Result<JoinHandle<()>, MockError> {
        let shared = Arc::clone(self);
        Ok(std::thread::Builder::new()
            .name(format!("mock-teleport-accept-{}", self.addr.port()))
            .spawn(move || shared.accept_loop())?)
    }

    /// The failure mode now in force.
    pub(crate) fn failure(&self) -> Failure {
        self.failure.lock().clone()
    }

    /// Sets the failure mode. `Refuse` closes the listener before returning; clearing it
    /// rebinds the same port before returning (or, if that fails, the accept loop retries).
    pub(crate) fn set_failure(&self, failure: Failure) {
        let mut listener = self.listener.lock();
        let refuse = matches!(failure, Failure::Refuse);
        *self.failure.lock() = failure;
        self.failure_changed.notify_all();
        if refuse {
            *listener = None;
        } else if listener.is_none() {
            *listener = self.rebind();
        }
    }

    /// A new non-blocking listener on the original address, if the port can be had.
    fn rebind(&self) -> Option<TcpListener> {
        let listener = TcpListener::bind(self.addr).ok()?;
        listener.set_nonblocking(true).ok()?;
        Some(listener)
    }

    /// Requests served, all paths.
    pub(crate) fn total_count(&self) -> u64 {
        self.total.load(Ordering::SeqCst)
    }

    /// Requests served for one path.
    pub(crate) fn count_for(&self, path: &str) -> u64 {
        self.per_path.lock().get(path).copied().unwrap_or(0)
    }

    /// Zeroes every counter.
    pub(crate) fn reset_counts(&self) {
        let mut per_path = self.per_path.lock();
        per_path.clear();
        self.total.store(0, Ordering::SeqCst);
    }

    fn count(&self, path: &str) {
        let mut per_path = self.per_path.lock();
        *per_path.entry(path.to_string()).or_insert(0) += 1;
        self.total.fetch_add(1, Ordering::SeqCst);
    }

    /// Stops accepting, ends hangs, unblocks every connection and joins all threads.
    pub(crate) fn shutdown(&self, accept_thread: Option<JoinHandle<()>>) {
        {
            let _failure = self.failure.lock();
            self.stop.store(true, Ordering::SeqCst);
        }
        self.failure_changed.notify_all();
        if let Some(handle) = accept_thread {
            // A panicking accept loop has nothing left to clean up.
            let _ = handle.join();
        }
        *self.listener.lock() = None;
        let handles = {
            let mut conns = self.connections.lock();
            for stream in conns.streams.values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
            std::mem::take(&mut conns.handles)
        };
        for handle in handles {
            let _ = handle.join();
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn accept_loop(self: Arc<Self>) {
        while !self.stopping() {
            let accepted = {
                let mut listener = self.listener.lock();
                if matches!(*self.failure.lock(), Failure::Refuse) {
                    *listener = None;
                } else if listener.is_none() {
                    *listener = self.rebind();
                }
                listener.as_ref().and_then(|l| l.accept().ok())
            };
            match accepted {
                Some((stream, _peer)) => self.dispatch(stream),
                None => std::thread::sleep(ACCEPT_POLL),
            }
        }
    }

    /// Hands an accepted connection to a new thread, or closes it when at capacity.
    fn dispatch(self: &Arc<Self>, stream: TcpStream) {
        if self.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            self.active.fetch_sub(1, Ordering::SeqCst);
            return; // dropping the stream closes it
        }
        let mut conns = self.connections.lock();
        conns.handles.retain(|h| !h.is_finished());
        let id = conns.next_id;
        conns.next_id += 1;
        if let Ok(clone) = stream.try_clone() {
            conns.streams.insert(id, clone);
        }
        let shared = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name(format!("mock-teleport-conn-{id}"))
            .spawn(move || {
                shared.serve(stream);
                shared.connections.lock().streams.remove(&id);
                shared.active.fetch_sub(1, Ordering::SeqCst);
            });
        match spawned {
            Ok(handle) => conns.handles.push(handle),
            Err(_) => {
                conns.streams.remove(&id);
                self.active.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Serves one request on one connection, then closes it.
    fn serve(&self, tcp: TcpStream) {
        let configured = tcp.set_nonblocking(false).is_ok()
            && tcp.set_read_timeout(Some(IO_TIMEOUT)).is_ok()
            && tcp.set_write_timeout(Some(IO_TIMEOUT)).is_ok();
        if !configured || self.stopping() {
            return;
        }
        let _ = tcp.set_nodelay(true);
        let Ok(conn) = ServerConnection::new(Arc::clone(&self.tls)) else {
            return;
        };
        // Every write through `send` with MSG_NOSIGNAL: a client that hangs up early must not
        // end a host process that keeps SIGPIPE's default action (a Swift or C program).
        let mut tls = StreamOwned::new(conn, NoSignalStream(tcp));
        let result = match http::read_head(&mut tls) {
            Ok(head) => self.respond(&mut tls, &head),
            Err(ReadError::TooLarge) => {
                self.count("");
                http::write_response(&mut tls, 431, &[], "text/plain", b"request too large\n")
            }
            Err(ReadError::Io) => return,
        };
        if result.is_ok() {
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    }

    /// Counts the request, applies the failure mode, routes.
    fn respond(&self, w: &mut impl Write, head: &[u8]) -> std::io::Result<()> {
        let Some(request) = http::parse_request_line(head) else {
            self.count("");
            return http::write_response(w, 400, &[], "text/plain", b"bad request\n");
        };
        self.count(&request.path);
        let Some(failure) = self.wait_out_hang() else {
            return Ok(()); // hang ended by stop or timeout: close without answering
        };
        match failure {
            // Refuse acts on the listener; a connection accepted before it is served.
            Failure::None | Failure::Refuse | Failure::Hang => self.route(w, &request),
            Failure::Status(status) => {
                let body = format!("{{\"error\":\"mock failure: status {status}\"}}");
                http::write_response(w, status, &[], "application/json", body.as_bytes())
            }
            Failure::OversizedBody(len) => {
                http::write_head(w, 200, &[], "application/json", len)?;
                http::write_oversized_json(w, len)
            }
            Failure::Garbage => http::write_response(
                w,
                200,
                &[],
                "application/json",
                b"\x89PNG\r\n\x1a\n<html>this is not JSON</html>\xff\xfe\x00",
            ),
            Failure::Redirect(location) => {
                http::write_response(w, 302, &[("Location", &location)], "text/plain", b"")
            }
        }
    }

    /// Waits while the failure mode is `Hang` (at most [`HANG_MAX`]); returns the mode then
    /// in force, or `None` when the hang ended by stop or timeout.
    fn wait_out_hang(&self) -> Option<Failure> {
        let deadline = Instant::now() + HANG_MAX;
        let mut failure = self.failure.lock();
        loop {
            if self.stopping() {
                return None;
            }
            if !matches!(*failure, Failure::Hang) {
                return Some(failure.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            self.failure_changed.wait_for(&mut failure, deadline - now);
        }
    }

    fn route(&self, w: &mut impl Write, request: &http::Request) -> std::io::Result<()> {
        if request.method != "GET" {
            return http::write_response(
                w,
                405,
                &[("Allow", "GET")],
                "application/json",
                b"{\"error\":\"method not allowed\"}",
            );
        }
        let body = match request.path.as_str() {
            JWKS_PATH => self.jwks_json(Ca::Jwt),
            JWKS_OIDC_PATH => self.jwks_json(Ca::Oidc),
            DISCOVERY_PATH => self.discovery_json(),
            _ => {
                return http::write_response(
                    w,
                    404,
                    &[],
                    "application/json",
                    b"{\"error\":\"not found\"}",
                )
            }
        };
        http::write_response(w, 200, &[], "application/json", body.as_bytes())
    }

    /// The JWKS document of `ca` as published now.
    pub(crate) fn jwks_json(&self, ca: Ca) -> String {
        self.cas
            .lock()
            .get(ca)
            .jwks_json(self.options.publish_blank_kid_twin)
    }

    /// The OpenID discovery document, shaped like Teleport's (no authorization or token
    /// endpoint).
    pub(crate) fn discovery_json(&self) -> String {
        let issuer = self
            .discovery_issuer_override
            .lock()
            .clone()
            .unwrap_or_else(|| self.proxy_url.clone());
        let jwks_uri = self
            .discovery_jwks_uri_override
            .lock()
            .clone()
            .unwrap_or_else(|| format!("{}{JWKS_OIDC_PATH}", self.proxy_url));
        let alg = self.cas.lock().oidc.signing_key().algorithm();
        serde_json::json!({
            "issuer": issuer,
            "jwks_uri": jwks_uri,
            "claims": ["iss", "sub", "obo", "aud", "jti", "iat", "exp", "nbf"],
            "id_token_signing_alg_values_supported": [alg.as_str()],
            "response_types_supported": ["id_token"],
            "scopes_supported": ["openid"],
            "subject_types_supported": ["public"],
        })
        .to_string()
    }
}
