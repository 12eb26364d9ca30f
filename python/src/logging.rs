//! The core's `log` records, delivered to Python's `logging` (through `pyo3-log`).
//!
//! A record of the core keeps its module path as the logger name, `::` read as `.`:
//! `teleport_jwt::keys::cache` is the Python logger `teleport_jwt.keys.cache`, so the whole
//! library is configured through the `teleport_jwt` logger. Records of the crates the core
//! uses (rustls, ureq) go to `teleport_jwt.deps.<crate...>`, and only from WARN up: their
//! debug output is per TLS handshake. Levels are kept (ERROR, WARN, INFO, DEBUG, TRACE as 5),
//! and the Python logger's level is asked on every record (no cached levels), so
//! `logging.getLogger("teleport_jwt").setLevel(...)` applies at any time. The core never puts
//! a token or a signature in a message.

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

const CORE: &str = "teleport_jwt";

struct ToPython(pyo3_log::Logger);

fn is_core(target: &str) -> bool {
    target == CORE || target.starts_with("teleport_jwt::")
}

impl Log for ToPython {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= Level::Debug
            && (metadata.level() <= Level::Warn || is_core(metadata.target()))
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // A background key-refresher thread may log while the interpreter shuts down: then
        // the record is dropped instead of attaching (which would panic).
        if is_core(record.target()) {
            let _ = Python::try_attach(|_| self.0.log(record));
            return;
        }
        let target = format!("{CORE}::deps::{}", record.target());
        let renamed = Record::builder()
            .args(*record.args())
            .level(record.level())
            .target(&target)
            .module_path(record.module_path())
            .file(record.file())
            .line(record.line())
            .build();
        let _ = Python::try_attach(|_| self.0.log(&renamed));
    }

    fn flush(&self) {}
}

/// Installs the bridge once per process (a second import of the module keeps the first).
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?.filter(LevelFilter::Trace);
    if log::set_boxed_logger(Box::new(ToPython(logger))).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
    Ok(())
}
