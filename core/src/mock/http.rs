//! Just enough HTTP/1.1 for the mock: read one request head (size-capped), write one
//! `Connection: close` response.

use std::io::{self, Read, Write};

/// The largest request head accepted (request line and headers).
pub(crate) const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The head exceeded [`MAX_REQUEST_HEAD`].
    TooLarge,
    /// I/O error, timeout, TLS failure or end of stream before a full head.
    Io,
}

/// The request line of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    /// The method, e.g. `GET`.
    pub(crate) method: String,
    /// The path without query string or fragment.
    pub(crate) path: String,
}

/// Reads bytes until the end of the request head (`\r\n\r\n`) and returns the head.
pub(crate) fn read_head(stream: &mut impl Read) -> Result<Vec<u8>, ReadError> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return Err(ReadError::Io),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(ReadError::Io),
        };
        // Only the new bytes (and 3 before them) can complete the terminator.
        let search_from = head.len().saturating_sub(3);
        head.extend_from_slice(&buf[..n]);
        if let Some(pos) = find(&head[search_from..], b"\r\n\r\n") {
            head.truncate(search_from + pos + 4);
            return Ok(head);
        }
        if head.len() > MAX_REQUEST_HEAD {
            return Err(ReadError::TooLarge);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses the request line of `head`; `None` when it is not `METHOD SP TARGET SP HTTP/x`.
pub(crate) fn parse_request_line(head: &[u8]) -> Option<Request> {
    let line_end = find(head, b"\r\n")?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let mut parts = line.split(' ');
    let method = parts.next().filter(|m| !m.is_empty())?;
    let target = parts.next()?;
    let version = parts.next()?;
    if parts.next().is_some() || !version.starts_with("HTTP/1.") {
        return None;
    }
    let path = target.split(['?', '#']).next().unwrap_or_default();
    Some(Request {
        method: method.to_string(),
        path: path.to_string(),
    })
}

/// The reason phrase of a status code (a generic one for codes without a common phrase).
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Mock Status",
    }
}

/// True for statuses that must not carry a body.
fn bodyless(status: u16) -> bool {
    status < 200 || status == 204 || status == 304
}

/// Writes a complete response with this body.
pub(crate) fn write_response(
    w: &mut impl Write,
    status: u16,
    extra_headers: &[(&str, &str)],
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    write_head(w, status, extra_headers, content_type, body.len())?;
    if !bodyless(status) {
        w.write_all(body)?;
    }
    w.flush()
}

/// Writes a response head with `Content-Length: body_len` (omitted for bodyless statuses).
pub(crate) fn write_head(
    w: &mut impl Write,
    status: u16,
    extra_headers: &[(&str, &str)],
    content_type: &str,
    body_len: usize,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    if !bodyless(status) {
        head.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {body_len}\r\n"
        ));
    }
    for (name, value) in extra_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    w.write_all(head.as_bytes())
}

/// Writes a syntactically valid JSON document of exactly `len` bytes, streamed in chunks:
/// `{"keys":[],"padding":"aaaa…"}`, or `{}` plus spaces when `len` is too small for that.
pub(crate) fn write_oversized_json(w: &mut impl Write, len: usize) -> io::Result<()> {
    const PREFIX: &[u8] = b"{\"keys\":[],\"padding\":\"";
    const SUFFIX: &[u8] = b"\"}";
    let chunk = [b'a'; 16 * 1024];
    let spaces = [b' '; 16 * 1024];
    let (prefix, filler, suffix): (&[u8], &[u8], &[u8]) = if len >= PREFIX.len() + SUFFIX.len() {
        (PREFIX, &chunk, SUFFIX)
    } else if len >= 2 {
        (b"{}", &spaces, b"")
    } else {
        (b"", &spaces, b"")
    };
    w.write_all(prefix)?;
    let mut remaining = len - prefix.len() - suffix.len();
    while remaining > 0 {
        let n = remaining.min(filler.len());
        w.write_all(&filler[..n])?;
        remaining -= n;
    }
    w.write_all(suffix)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_request_line() {
        let r = parse_request_line(b"GET /.well-known/jwks.json?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(
            r,
            Some(Request {
                method: "GET".into(),
                path: "/.well-known/jwks.json".into()
            })
        );
        assert_eq!(parse_request_line(b"GET /\r\n\r\n"), None);
        assert_eq!(parse_request_line(b"garbage"), None);
    }

    #[test]
    fn reads_head_and_caps_size() {
        let mut ok: &[u8] = b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody";
        assert_eq!(
            read_head(&mut ok).ok(),
            Some(b"GET / HTTP/1.1\r\nA: b\r\n\r\n".to_vec())
        );
        let big = vec![b'a'; MAX_REQUEST_HEAD + 10];
        assert!(matches!(
            read_head(&mut big.as_slice()),
            Err(ReadError::TooLarge)
        ));
    }

    #[test]
    fn oversized_json_has_exact_length_and_parses() -> Result<(), serde_json::Error> {
        for len in [0usize, 1, 2, 5, 24, 25, 100_000] {
            let mut out = Vec::new();
            assert!(write_oversized_json(&mut out, len).is_ok());
            assert_eq!(out.len(), len);
            if len >= 2 {
                serde_json::from_slice::<serde_json::Value>(&out)?;
            }
        }
        Ok(())
    }
}
