//! The mock's connection socket, whose every write is signal-free.
//!
//! A write to a connection the peer has closed fails with `EPIPE`, and unless it is sent with
//! `MSG_NOSIGNAL` the kernel also raises SIGPIPE, whose default action ends the process. Rust
//! binaries, CPython and the JVM ignore SIGPIPE; a Swift or C host that embeds the library does
//! not, and died mid-suite when a fetcher hung up before the mock's answer was written
//! (finding 10 of issue 21).
//!
//! std's `TcpStream::write` sends with `MSG_NOSIGNAL`, but its `write_vectored` is a plain
//! `writev`, and rustls writes its records with `write_vectored`. [`NoSignalStream`] funnels
//! every write through `TcpStream::write`. On Apple platforms there is no `MSG_NOSIGNAL`: std
//! sets `SO_NOSIGPIPE` on the sockets it creates, the listener included, and accepted sockets
//! inherit it, so `writev` is signal-free there already.
//!
//! The built-in fetcher needs none of this: ureq writes through `TcpStream::write_all`.

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;

/// The most bytes one vectored write gathers into a single `send`.
const MAX_GATHER: usize = 64 * 1024;

/// A `TcpStream` whose writes, vectored ones included, never raise SIGPIPE.
#[derive(Debug)]
pub(crate) struct NoSignalStream(pub(crate) TcpStream);

impl Read for NoSignalStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for NoSignalStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    /// Gathers the slices (up to [`MAX_GATHER`] bytes) and sends them in one `send`: a TLS
    /// flight stays one segment, as with `writev`.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut non_empty = bufs.iter().filter(|b| !b.is_empty());
        let Some(first) = non_empty.next() else {
            return Ok(0);
        };
        let mut rest = non_empty.peekable();
        if first.len() >= MAX_GATHER || rest.peek().is_none() {
            return self.0.write(first);
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let mut gathered = Vec::with_capacity(total.min(MAX_GATHER));
        for buf in std::iter::once(first).chain(rest) {
            let room = MAX_GATHER - gathered.len();
            gathered.extend_from_slice(&buf[..buf.len().min(room)]);
            if gathered.len() == MAX_GATHER {
                break;
            }
        }
        self.0.write(&gathered)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    /// Vectored writes arrive whole and in order, a large slice in parts.
    #[test]
    fn vectored_writes_arrive_in_order() -> io::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let mut stream = NoSignalStream(TcpStream::connect(listener.local_addr()?)?);
        let (mut peer, _) = listener.accept()?;
        let big = vec![7u8; MAX_GATHER + 10];
        let parts = [&b""[..], b"head", b"", b"body", &big];
        let mut expected = Vec::new();
        for part in parts {
            expected.extend_from_slice(part);
        }
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            peer.read_to_end(&mut got).map(|_| got)
        });
        let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
        let mut remaining = &mut slices[..];
        while !remaining.is_empty() {
            let n = stream.write_vectored(remaining)?;
            assert!(n > 0);
            IoSlice::advance_slices(&mut remaining, n);
        }
        drop(stream);
        let got = reader
            .join()
            .map_err(|_| io::Error::other("reader panicked"))??;
        assert_eq!(got, expected);
        Ok(())
    }
}
