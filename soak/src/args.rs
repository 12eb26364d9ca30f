//! The command line: `--seconds`, `--threads`, `--rate`, `--alg` (see [`USAGE`]).

use teleport_jwt::Algorithm;

/// What to run: how long, how many worker threads, at what total rate, with which algorithm.
pub(crate) struct Config {
    pub(crate) seconds: f64,
    pub(crate) threads: usize,
    pub(crate) rate: f64,
    pub(crate) algorithm: Algorithm,
}

const USAGE: &str =
    "usage: make soak SOAK_ARGS=\"...\", or cargo run --release -p teleport-jwt-soak -- \
[--seconds S (default 60, at least 7)] [--threads N (default 8)] \
[--rate R verifications/s in total (default 1000)] [--alg rs256|es256 (default rs256)]";

/// The configuration from the command line; exits with the usage (code 0 for `--help`, 2 for
/// a mistake) when there is none.
pub(crate) fn config_or_exit() -> Config {
    match parse_args() {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(if msg == USAGE { 0 } else { 2 });
        }
    }
}

fn parse_args() -> Result<Config, String> {
    let mut c = Config {
        seconds: 60.0,
        threads: 8,
        rate: 1000.0,
        algorithm: Algorithm::RS256,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        if name == "--help" || name == "-h" {
            return Err(USAGE.into());
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?,
        };
        let bad = |what: &str| format!("{name} {value:?}: {what}\n{USAGE}");
        match name {
            "--seconds" => {
                c.seconds = value.parse().map_err(|_| bad("not a number"))?;
                if !(7.0..=3600.0).contains(&c.seconds) {
                    return Err(bad("must be from 7 to 3600"));
                }
            }
            "--threads" => {
                c.threads = value.parse().map_err(|_| bad("not a whole number"))?;
                if !(1..=256).contains(&c.threads) {
                    return Err(bad("must be from 1 to 256"));
                }
            }
            "--rate" => {
                c.rate = value.parse().map_err(|_| bad("not a number"))?;
                if !(1.0..=1_000_000.0).contains(&c.rate) {
                    return Err(bad("must be from 1 to 1000000"));
                }
            }
            "--alg" => {
                c.algorithm = match value.to_ascii_lowercase().as_str() {
                    "rs256" => Algorithm::RS256,
                    "es256" => Algorithm::ES256,
                    _ => return Err(bad("must be rs256 or es256")),
                }
            }
            _ => return Err(format!("unknown argument {arg:?}\n{USAGE}")),
        }
    }
    Ok(c)
}
