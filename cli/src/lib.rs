//! The `teleport-jwt` command-line tool: one implementation, run by the `teleport-jwt` binary
//! of this crate and by the Python wheel (`teleport-jwt` console script,
//! `python -m teleport_jwt`). An application of the [`teleport_jwt`] library, built on its
//! public API only.
//!
//! ```text
//! teleport-jwt inspect TOKEN|-            decode without verifying (labelled UNVERIFIED)
//! teleport-jwt verify --proxy URL ...     verify like the library; exit code per reason
//! teleport-jwt keys --proxy URL           a proxy's keys and the core's decision on each
//! teleport-jwt mock [--user U --role R]   a mock Teleport on loopback, with tokens
//! teleport-jwt policy check FILE          load a policy (errors with line and column)
//! teleport-jwt policy explain FILE ...    why a permission is granted or not
//! ```
//!
//! Every decision comes from the library (verification, key eligibility, policy loading and
//! evaluation); this crate only reads arguments and prints. Bad input is one line on `err`
//! (`teleport-jwt: ...`) and a non-zero exit code, never a panic; the exit codes are
//! [`EXIT_OK`], [`EXIT_FAILURE`], [`EXIT_USAGE`], [`EXIT_NOT_GRANTED`] and, for `verify`,
//! [`exit_code`] of the refusal's reason.

mod args;
mod inspect;
mod keys;
mod mock;
mod policy;
mod time;
mod verify;

use std::ffi::OsString;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use teleport_jwt::error::{Reason, VerifyError};

/// Success: the token verified, the keys are usable, the policy loads, the permission is
/// granted.
pub const EXIT_OK: i32 = 0;
/// The input cannot be used: a token that does not decode, a file that cannot be read, a
/// policy that does not load, keys that cannot be fetched or of which none is usable.
pub const EXIT_FAILURE: i32 = 1;
/// The command line is wrong: an unknown command or option, a missing or malformed value.
pub const EXIT_USAGE: i32 = 2;
/// `policy explain`: the permission is denied or not granted.
pub const EXIT_NOT_GRANTED: i32 = 3;
/// A bug in this tool (a panic was caught); please report it.
pub const EXIT_INTERNAL: i32 = 70;

/// The exit code of `teleport-jwt verify` for a refusal with this reason: 10 to 28, one per
/// reason, in the order of [`Reason::ALL`]. The numbers are a stable contract like the codes.
pub fn exit_code(reason: Reason) -> i32 {
    match reason {
        Reason::Malformed => 10,
        Reason::TokenTooLarge => 11,
        Reason::MissingToken => 12,
        Reason::UnsupportedHeader => 13,
        Reason::UnsupportedAlgorithm => 14,
        Reason::BadSignature => 15,
        Reason::UnknownKey => 16,
        Reason::Expired => 17,
        Reason::NotYetValid => 18,
        Reason::IssuedInFuture => 19,
        Reason::IssuerMismatch => 20,
        Reason::AudienceMismatch => 21,
        Reason::MissingClaim => 22,
        Reason::InvalidClaim => 23,
        Reason::KeySourceUnavailable => 24,
        Reason::InsecureTransport => 25,
        Reason::InvalidConfig => 26,
        Reason::PluginError => 27,
        Reason::InternalError => 28,
        // `Reason` is non-exhaustive: a reason added to the library needs its number here,
        // which `exit_codes_are_distinct_and_clear_of_the_general_ones` demands.
        _ => EXIT_FAILURE,
    }
}

/// Runs the tool on `args` (the arguments after the program name), writing results to `out`
/// and errors to `err`; returns the process exit code. `mock` runs until the process is
/// interrupted; see [`run_until`] to stop it otherwise.
///
/// ```
/// let mut out = Vec::new();
/// let mut err = Vec::new();
/// let code = teleport_jwt_cli::run(["inspect", "not-a-token"], &mut out, &mut err);
/// assert_eq!(code, teleport_jwt_cli::EXIT_FAILURE);
/// assert_eq!(String::from_utf8_lossy(&err).lines().count(), 1);
/// ```
pub fn run<I, T>(args: I, out: impl Write, err: impl Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    run_until(args, out, err, &|| false)
}

/// Like [`run`]; long-running commands (`mock`) poll `stop` about ten times a second and
/// return [`EXIT_OK`] once it answers true (the Python entry point stops on `Ctrl-C` this
/// way).
pub fn run_until<I, T>(
    args: I,
    mut out: impl Write,
    mut err: impl Write,
    stop: &dyn Fn() -> bool,
) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let result = dispatch(args, &mut out, stop);
        // A closed stdout (`| head`) is not worth a message; the exit code says it.
        let flushed = out.flush();
        match (result, flushed) {
            (Ok(code), Ok(())) => Ok(code),
            (Ok(_), Err(e)) => Err(Failure::from(e)),
            (Err(f), _) => Err(f),
        }
    }));
    let failure = match outcome {
        Ok(Ok(code)) => return code,
        Ok(Err(failure)) => failure,
        Err(_) => Failure {
            code: EXIT_INTERNAL,
            message: "internal error: the tool panicked (a bug; please report it)".into(),
        },
    };
    if !failure.message.is_empty() {
        let _ = writeln!(err, "teleport-jwt: {}", one_line(&failure.message));
        let _ = err.flush();
    }
    failure.code
}

/// Why a command stopped: the exit code and the one line for `err` (empty: nothing to say).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: i32,
    pub(crate) message: String,
}

impl Failure {
    /// [`EXIT_USAGE`] with a hint to `--help`.
    pub(crate) fn usage(message: impl std::fmt::Display) -> Failure {
        Failure {
            code: EXIT_USAGE,
            message: format!("{message} (see teleport-jwt --help)"),
        }
    }

    /// [`EXIT_FAILURE`].
    pub(crate) fn input(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_FAILURE,
            message: message.into(),
        }
    }

    /// A library error: its reason decides the code ([`exit_code`]).
    pub(crate) fn refused(e: &VerifyError) -> Failure {
        Failure {
            code: exit_code(e.reason()),
            message: e.to_string(),
        }
    }
}

impl From<lexopt::Error> for Failure {
    fn from(e: lexopt::Error) -> Failure {
        Failure::usage(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Failure {
                code: EXIT_FAILURE,
                message: String::new(),
            };
        }
        Failure::input(format!("cannot write the output: {e}"))
    }
}

pub(crate) type Outcome = Result<i32, Failure>;

/// Text on one line: newlines and other control characters become spaces.
fn one_line(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

const USAGE: &str = "\
teleport-jwt: inspect and verify the JWTs Teleport signs for apps and MCP servers

usage: teleport-jwt COMMAND [OPTIONS]

commands:
  inspect TOKEN|-              decode a token WITHOUT verifying it: header, claims, times, size
  verify [OPTIONS] TOKEN|-     verify a token as a server configured with OPTIONS would
  keys --proxy URL             fetch a proxy's keys and show which ones the library trusts
  mock [--user U --role R]...  run a mock Teleport on loopback and print tokens for users
  policy check FILE            load a permission policy; report errors with line and column
  policy explain FILE ...      explain why a permission is granted, denied or not granted
  help [COMMAND]               this help, or a command's

options:
  -h, --help       help (also after a command)
  -V, --version    the version

exit codes: 0 ok, 1 unusable input, 2 bad command line, 3 permission not granted,
10-28 verify refused the token (one code per reason; see `teleport-jwt help verify`)
";

const COMMANDS: &str = "inspect, verify, keys, mock, policy, help";

fn dispatch(args: Vec<OsString>, out: &mut dyn Write, stop: &dyn Fn() -> bool) -> Outcome {
    use lexopt::Arg::{Long, Short, Value as Positional};
    let mut parser = lexopt::Parser::from_args(args);
    let command = match parser.next()? {
        None => {
            return Err(Failure::usage(format!(
                "no command given (one of: {COMMANDS})"
            )))
        }
        Some(Long("help") | Short('h')) => return help(out, None),
        Some(Long("version") | Short('V')) => {
            writeln!(out, "teleport-jwt {}", env!("CARGO_PKG_VERSION"))?;
            return Ok(EXIT_OK);
        }
        Some(Positional(v)) => args::string(v)?,
        Some(other) => return Err(other.unexpected().into()),
    };
    match command.as_str() {
        "inspect" => inspect::run(&mut parser, out),
        "verify" => verify::run(&mut parser, out),
        "keys" => keys::run(&mut parser, out),
        "mock" => mock::run(&mut parser, out, stop),
        "policy" => policy::run(&mut parser, out),
        "help" => {
            let topic = match parser.next()? {
                None => None,
                Some(Positional(v)) => Some(args::string(v)?),
                Some(other) => return Err(other.unexpected().into()),
            };
            help(out, topic.as_deref())
        }
        other => Err(Failure::usage(format!(
            "unknown command {other:?} (one of: {COMMANDS})"
        ))),
    }
}

fn help(out: &mut dyn Write, topic: Option<&str>) -> Outcome {
    let text = match topic {
        None => USAGE,
        Some("inspect") => inspect::USAGE,
        Some("verify") => verify::USAGE,
        Some("keys") => keys::USAGE,
        Some("mock") => mock::USAGE,
        Some("policy") => policy::USAGE,
        Some(other) => {
            return Err(Failure::usage(format!(
                "no help for {other:?} (one of: {COMMANDS})"
            )))
        }
    };
    out.write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct_and_clear_of_the_general_ones() {
        let mut seen = std::collections::BTreeSet::new();
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(exit_code(*r), 10 + i as i32, "{r}");
            assert!(seen.insert(exit_code(*r)));
        }
        for general in [
            EXIT_OK,
            EXIT_FAILURE,
            EXIT_USAGE,
            EXIT_NOT_GRANTED,
            EXIT_INTERNAL,
        ] {
            assert!(!seen.contains(&general));
        }
    }

    #[test]
    fn errors_are_one_line() {
        assert_eq!(one_line("a\nb\r\n\tc\n"), "a b   c");
    }
}
