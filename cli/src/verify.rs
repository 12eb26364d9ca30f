//! `teleport-jwt verify`: a token checked by a [`Verifier`] built from the same options as the
//! library's, with an exit code per reason.

use std::io::Write;

use serde_json::{json, Value};

use crate::{args, exit_code, time, Failure, Outcome, EXIT_OK};
use teleport_jwt::config::{TrustEntry, VerifierOptions};
use teleport_jwt::error::{Reason, VerifyError};
use teleport_jwt::headers::HeaderRule;
use teleport_jwt::identity::Identity;
use teleport_jwt::verifier::Verifier;

pub(super) const USAGE: &str = "\
usage: teleport-jwt verify --proxy URL (--cluster NAME | --id-token) --audience AUD [OPTIONS]
                           (TOKEN | - | --headers FILE|-)

Verifies a token exactly as a server configured with these options does, and prints the
identity. Classic Teleport JWTs by default (iss = the cluster name, keys at
<proxy>/.well-known/jwks.json); --id-token for OIDC ID tokens (iss = the proxy URL, keys
through discovery).

options:
  --proxy URL                          the proxy's public address, e.g. https://teleport.example.com
  --cluster NAME                       the cluster name (classic JWTs)
  --audience AUD                       the app's URI as configured in Teleport (repeatable)
  --id-token                           expect a Teleport OIDC ID token
  --ca FILE                            extra trusted CA certificates (PEM) for the key fetch
  --header RULE                        where verify_headers looks, in order: `Name` or
                                       `Name: Scheme` (repeatable; default
                                       Teleport-Jwt-Assertion, then Authorization: Bearer)
  --leeway SECONDS                     clock skew allowed on exp/nbf/iat (default 60, at most 300)
  --allow-insecure-http-for-loopback   permit http:// key URLs on loopback (development only)
  --headers FILE|-                     read the token from request headers instead (`Name: value`
                                       lines; a first request or status line is skipped)
  --json                               print the identity, or {\"code\", \"message\"}, as JSON
  -h, --help                           this help

exit codes: 0 verified, 1 a file (or standard input) cannot be read, 2 bad command line,
and one per refusal reason:
  10 malformed               15 bad_signature      20 issuer_mismatch         25 insecure_transport
  11 token_too_large         16 unknown_key        21 audience_mismatch       26 invalid_config
  12 missing_token           17 expired            22 missing_claim           27 plugin_error
  13 unsupported_header      18 not_yet_valid      23 invalid_claim           28 internal_error
  14 unsupported_algorithm   19 issued_in_future   24 key_source_unavailable
";

enum Input {
    Token(String),
    Headers(String),
}

fn set_input(input: &mut Option<Input>, new: Input) -> Result<(), Failure> {
    if input.is_some() {
        return Err(Failure::usage(
            "give one token source: TOKEN, - or --headers FILE",
        ));
    }
    *input = Some(new);
    Ok(())
}

pub(super) fn run(p: &mut lexopt::Parser, out: &mut dyn Write) -> Outcome {
    use lexopt::Arg::{Long, Short, Value as Positional};
    let mut proxy = None;
    let mut cluster = None;
    let mut audiences: Vec<String> = Vec::new();
    let mut id_token = false;
    let mut ca = None;
    let mut rules: Vec<HeaderRule> = Vec::new();
    let mut leeway = None;
    let mut insecure = false;
    let mut input: Option<Input> = None;
    let mut as_json = false;
    while let Some(arg) = p.next()? {
        match arg {
            Long("proxy") => proxy = Some(args::value(p)?),
            Long("cluster") => cluster = Some(args::value(p)?),
            Long("audience") => audiences.push(args::value(p)?),
            Long("id-token") => id_token = true,
            Long("ca") => ca = Some(args::value(p)?),
            Long("header") => {
                let spec = args::value(p)?;
                rules.push(HeaderRule::parse(&spec).map_err(|e| Failure::usage(e.message()))?);
            }
            Long("leeway") => leeway = Some(args::seconds("--leeway", &args::value(p)?)?),
            Long("allow-insecure-http-for-loopback") => insecure = true,
            Long("headers") => set_input(&mut input, Input::Headers(args::value(p)?))?,
            Long("json") => as_json = true,
            Long("help") | Short('h') => {
                out.write_all(USAGE.as_bytes())?;
                return Ok(EXIT_OK);
            }
            Positional(v) => set_input(&mut input, Input::Token(args::string(v)?))?,
            other => return Err(other.unexpected().into()),
        }
    }
    let proxy = proxy.ok_or_else(|| Failure::usage("verify needs --proxy URL"))?;
    if audiences.is_empty() {
        return Err(Failure::usage(
            "verify needs --audience (the app's URI as configured in Teleport)",
        ));
    }
    let mut entry = match (id_token, cluster) {
        (true, None) => TrustEntry::teleport_id_token(&proxy, audiences[0].clone()),
        (false, Some(cluster)) => TrustEntry::teleport_jwt(&proxy, cluster, audiences[0].clone()),
        (true, Some(_)) => {
            return Err(Failure::usage(
                "--cluster is for classic JWTs; an ID token's issuer is the proxy URL",
            ))
        }
        (false, None) => {
            return Err(Failure::usage(
                "verify needs --cluster NAME (or --id-token for an OIDC ID token)",
            ))
        }
    };
    entry.audiences = audiences;
    let input = input.ok_or_else(|| {
        Failure::usage("verify needs a TOKEN, - (standard input) or --headers FILE")
    })?;

    // Files first: one that cannot be read is unusable input (exit 1), not a refusal.
    let ca_pem = ca
        .map(|path| args::read_text(&path, "CA file"))
        .transpose()?;
    let source = match input {
        Input::Token(arg) if arg == "-" => Input::Token(args::read_text("-", "token from")?),
        Input::Headers(path) => Input::Headers(args::read_text(&path, "headers")?),
        token => token,
    };

    // From here on every problem is the library's: a reason and its exit code.
    let mut options = VerifierOptions {
        ca_pem,
        allow_insecure_http_for_loopback: insecure,
        ..VerifierOptions::default()
    };
    if !rules.is_empty() {
        options.headers = rules;
    }
    if let Some(leeway) = leeway {
        options.leeway = leeway;
    }
    let result = Verifier::builder()
        .trust(entry)
        .options(options)
        .build()
        .and_then(|verifier| match &source {
            Input::Token(token) => verifier.verify(token.trim()),
            Input::Headers(text) => verifier.verify_headers(parse_headers(text)?),
        });
    match result {
        Ok(identity) => {
            if as_json {
                writeln!(out, "{}", identity_json(&identity))?;
            } else {
                write_identity(out, &identity)?;
            }
            Ok(EXIT_OK)
        }
        Err(e) if as_json => {
            writeln!(out, "{}", json!({"code": e.code(), "message": e.message()}))?;
            Ok(exit_code(e.reason()))
        }
        Err(e) => Err(Failure::refused(&e)),
    }
}

/// `Name: value` lines, up to the first blank line after a header; a first line without a
/// colon before its first space (`GET / HTTP/1.1`, `HTTP/1.1 200 OK`) is skipped.
fn parse_headers(text: &str) -> Result<Vec<(String, String)>, VerifyError> {
    let mut headers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if headers.is_empty() {
                continue;
            }
            break;
        }
        let start_line = i == 0 && line.split(' ').next().is_some_and(|w| !w.contains(':'));
        if start_line {
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() && !name.contains(' ') => {
                headers.push((name.to_owned(), value.trim().to_owned()));
            }
            _ => {
                return Err(VerifyError::new(
                    Reason::Malformed,
                    format!("headers line {} is not `Name: value`", i + 1),
                ))
            }
        }
    }
    Ok(headers)
}

fn identity_json(id: &Identity) -> Value {
    json!({
        "username": id.username,
        "sub": id.sub,
        "roles": id.roles,
        "traits": id.traits,
        "issuer": id.issuer,
        "audience": id.audience,
        "expires_at": id.expires_at,
        "issued_at": id.issued_at,
        "not_before": id.not_before,
        "jti": id.jti,
        "key_id": id.key_id,
        "algorithm": id.algorithm.as_str(),
        "trust_entry": id.trust_entry,
        "kind": id.kind.as_str(),
        "claims": Value::Object(id.claims.as_map().clone()),
    })
}

fn write_identity(out: &mut dyn Write, id: &Identity) -> std::io::Result<()> {
    let now = time::now();
    let at = |secs: i64| format!("{} ({})", time::utc(secs), time::relative(secs, now));
    writeln!(out, "verified: {}", id.username)?;
    let roles = if id.roles.is_empty() {
        "(none)".to_owned()
    } else {
        id.roles.join(", ")
    };
    writeln!(out, "  roles       {roles}")?;
    if id.traits.is_empty() {
        writeln!(out, "  traits      (none)")?;
    }
    for (i, (name, values)) in id.traits.iter().enumerate() {
        let label = if i == 0 { "traits" } else { "" };
        writeln!(out, "  {label:<10}  {name} = {}", values.join(", "))?;
    }
    writeln!(
        out,
        "  issuer      {} (trust entry {:?}, {})",
        id.issuer, id.trust_entry, id.kind
    )?;
    writeln!(out, "  audience    {}", id.audience.join(", "))?;
    let kid = id
        .key_id
        .as_deref()
        .map_or("(no kid)".to_owned(), |k| format!("kid {k:?}"));
    writeln!(out, "  key         {kid} ({})", id.algorithm)?;
    writeln!(out, "  expires     {}", at(id.expires_at))?;
    if let Some(iat) = id.issued_at {
        writeln!(out, "  issued      {}", at(iat))?;
    }
    if let Some(nbf) = id.not_before {
        writeln!(out, "  not before  {}", at(nbf))?;
    }
    if let Some(jti) = &id.jti {
        writeln!(out, "  jti         {jti}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_blocks_as_curl_dumps_them() {
        let h = parse_headers(
            "GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a.b.c\r\n\r\nbody: no",
        )
        .unwrap();
        assert_eq!(
            h,
            vec![
                ("Host".to_owned(), "x".to_owned()),
                ("Authorization".to_owned(), "Bearer a.b.c".to_owned())
            ]
        );
        assert_eq!(
            parse_headers("Teleport-Jwt-Assertion: t\n").unwrap().len(),
            1
        );
        assert_eq!(
            parse_headers("A: b\nnonsense\n").unwrap_err().reason(),
            Reason::Malformed
        );
    }
}
