//! Small helpers shared by the commands: arguments as text, files and standard input.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;

use crate::Failure;

/// Longest input read from a file or standard input (tokens, headers, CA bundles): 1 MiB,
/// the largest token cap the library accepts.
pub(super) const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// An argument as UTF-8 text.
pub(super) fn string(v: OsString) -> Result<String, Failure> {
    v.into_string()
        .map_err(|v| Failure::usage(format!("argument {v:?} is not valid UTF-8")))
}

/// The value of the option just read, as text.
pub(super) fn value(p: &mut lexopt::Parser) -> Result<String, Failure> {
    string(p.value()?)
}

/// Reads a whole file (at most [`MAX_INPUT_BYTES`]) as text; `-` is standard input.
pub(super) fn read_text(path: &str, what: &str) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let result = if path == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(Path::new(path))
            .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
    };
    let origin = if path == "-" {
        "standard input".to_owned()
    } else {
        path.to_owned()
    };
    result.map_err(|e| Failure::input(format!("cannot read {what} {origin}: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Failure::input(format!(
            "{what} {origin} is larger than {MAX_INPUT_BYTES} bytes"
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| Failure::input(format!("{what} {origin} is not UTF-8 text")))
}

/// The token given as an argument, or read from standard input for `-` (surrounding
/// whitespace removed either way).
pub(super) fn token(arg: &str) -> Result<String, Failure> {
    let text = if arg == "-" {
        read_text("-", "token from")?
    } else {
        arg.to_owned()
    };
    let token = text.trim();
    if token.is_empty() {
        return Err(Failure::input("the token is empty"));
    }
    Ok(token.to_owned())
}

/// `k=v` of `--trait`.
pub(super) fn trait_pair(spec: &str) -> Result<(String, String), Failure> {
    match spec.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(Failure::usage(format!(
            "--trait {spec:?} is not `name=value`"
        ))),
    }
}

/// A number of seconds: `90`, `1.5` or `90s`.
pub(super) fn seconds(option: &str, spec: &str) -> Result<std::time::Duration, Failure> {
    let number = spec.strip_suffix('s').unwrap_or(spec);
    number
        .parse::<f64>()
        .ok()
        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            Failure::usage(format!(
                "{option} {spec:?} is not a number of seconds (e.g. 60)"
            ))
        })
}
