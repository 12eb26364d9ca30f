//! `cli_main`: the `teleport-jwt` command-line tool (the `teleport-jwt-cli` crate, the code of
//! the Rust `teleport-jwt` binary), for the `teleport-jwt` console script and
//! `python -m teleport_jwt`.

use std::ffi::OsString;
use std::io::{self, Write};
use std::sync::Mutex;

use pyo3::prelude::*;

/// Python's `sys.stdout` or `sys.stderr` as a Rust writer, so the tool's output goes wherever
/// Python's goes (a redirected or captured stream included). The tool writes UTF-8 text only.
struct PyStream {
    name: &'static str,
}

impl PyStream {
    fn call(&self, method: &str, text: Option<&str>) -> io::Result<()> {
        Python::attach(|py| -> PyResult<()> {
            let stream = py.import("sys")?.getattr(self.name)?;
            if stream.is_none() {
                return Ok(()); // pythonw and friends: nowhere to write
            }
            match text {
                Some(t) => stream.call_method1(method, (t,))?,
                None => stream.call_method0(method)?,
            };
            Ok(())
        })
        .map_err(|e| io::Error::other(e.to_string()))
    }
}

impl Write for PyStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.call("write", Some(&String::from_utf8_lossy(buf)))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.call("flush", None)
    }
}

/// Runs `teleport-jwt` with `argv` (the arguments after the program name), writing to
/// `sys.stdout` and `sys.stderr`; returns the exit code. The GIL is released while it runs;
/// `mock` checks for signals ten times a second, so Ctrl-C raises `KeyboardInterrupt`.
#[pyfunction]
pub(crate) fn cli_main(py: Python<'_>, argv: Vec<OsString>) -> PyResult<i32> {
    let interrupted: Mutex<Option<PyErr>> = Mutex::new(None);
    let code = py.detach(|| {
        let stop = || {
            Python::attach(|py| match py.check_signals() {
                Ok(()) => false,
                Err(e) => {
                    if let Ok(mut slot) = interrupted.lock() {
                        *slot = Some(e);
                    }
                    true
                }
            })
        };
        teleport_jwt_cli::run_until(
            argv,
            PyStream { name: "stdout" },
            PyStream { name: "stderr" },
            &stop,
        )
    });
    match interrupted.into_inner() {
        Ok(Some(e)) => Err(e),
        _ => Ok(code),
    }
}
