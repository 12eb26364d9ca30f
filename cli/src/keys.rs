//! `teleport-jwt keys`: a proxy's key sets, fetched by the library's own key sources, and the
//! library's decision on every key ([`teleport_jwt::keys::jwks_decisions`]).

use std::io::Write;
use std::sync::Arc;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::Value;

use crate::{args, Failure, Outcome, EXIT_OK};
use teleport_jwt::config::{KeysFrom, TrustEntry};
use teleport_jwt::error::VerifyError;
use teleport_jwt::http::{FetchLimits, HttpFetcher, HttpsFetcher, HttpsOptions};
use teleport_jwt::keys::{
    jwks_decisions, CachePolicy, KeyDecision, KeySource, OidcDiscovery, RemoteJwks,
};

pub(super) const USAGE: &str = "\
usage: teleport-jwt keys --proxy URL [--ca FILE] [--only jwt|id_token]
                         [--allow-insecure-http-for-loopback]

Fetches the proxy's keys as a verifier does: the JWT CA's set at
<proxy>/.well-known/jwks.json (classic tokens) and the OIDC CA's set through
<proxy>/.well-known/openid-configuration (ID tokens). Shows every key with the library's
decision: kid, kty/alg, size or curve, and trusted, folded (Teleport's blank-kid twin, a
duplicate) or ignored and why.

options:
  --proxy URL                          the proxy's public address
  --ca FILE                            extra trusted CA certificates (PEM)
  --only jwt|id_token                  fetch one of the two sets
  --allow-insecure-http-for-loopback   permit http:// on loopback (development only)
  -h, --help                           this help

exit codes: 0 every set fetched has a trusted key, 1 a set cannot be fetched or has none,
2 bad command line
";

pub(super) fn run(p: &mut lexopt::Parser, out: &mut dyn Write) -> Outcome {
    use lexopt::Arg::{Long, Short};
    let mut proxy = None;
    let mut ca = None;
    let mut only = None;
    let mut insecure = false;
    while let Some(arg) = p.next()? {
        match arg {
            Long("proxy") => proxy = Some(args::value(p)?),
            Long("ca") => ca = Some(args::value(p)?),
            Long("only") => {
                only = Some(match args::value(p)?.as_str() {
                    "jwt" | "teleport_jwt" => Only::Jwt,
                    "id_token" | "id-token" | "oidc" => Only::IdToken,
                    other => {
                        return Err(Failure::usage(format!(
                            "--only {other:?} is not jwt or id_token"
                        )))
                    }
                })
            }
            Long("allow-insecure-http-for-loopback") => insecure = true,
            Long("help") | Short('h') => {
                out.write_all(USAGE.as_bytes())?;
                return Ok(EXIT_OK);
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let proxy = proxy.ok_or_else(|| Failure::usage("keys needs --proxy URL"))?;
    let ca_pem = ca
        .map(|path| args::read_text(&path, "CA file"))
        .transpose()?;
    let fetcher: Arc<dyn HttpFetcher> = Arc::new(
        HttpsFetcher::new(&HttpsOptions {
            ca_pem,
            allow_insecure_http_for_loopback: insecure,
        })
        .map_err(|e| Failure::input(e.to_string()))?,
    );
    let limits = FetchLimits::default();
    let mut problems = Vec::new();
    let mut first = true;
    // The URLs come from the library's presets, so they are the ones a verifier fetches.
    if only != Some(Only::IdToken) {
        let entry = TrustEntry::teleport_jwt(&proxy, "-", "-");
        let KeysFrom::JwksUrl(url) = &entry.keys else {
            return Err(Failure::input("the classic preset has no JWKS URL"));
        };
        writeln!(out, "JWT CA keys (classic tokens): {url}")?;
        let fetched = RemoteJwks::new(url.clone(), Arc::clone(&fetcher), limits.clone(), insecure)
            .and_then(|source| source.fetch_jwks());
        if let Some(problem) = show(out, fetched)? {
            problems.push(format!("classic JWT keys: {problem}"));
        }
        first = false;
    }
    if only != Some(Only::Jwt) {
        if !first {
            writeln!(out)?;
        }
        let entry = TrustEntry::teleport_id_token(&proxy, "-");
        let KeysFrom::Discovery(discovery) = &entry.keys else {
            return Err(Failure::input("the ID token preset has no discovery URL"));
        };
        writeln!(out, "OIDC CA keys (ID tokens): {discovery}")?;
        let fetched = OidcDiscovery::new(
            entry.issuer.clone(),
            discovery.clone(),
            Arc::clone(&fetcher),
            limits.clone(),
            insecure,
        )
        .and_then(|d| {
            let uri = d.jwks_uri()?;
            writeln!(out, "  jwks_uri {uri}").ok();
            RemoteJwks::new(uri, Arc::clone(&fetcher), limits.clone(), insecure)?.fetch_jwks()
        });
        if let Some(problem) = show(out, fetched)? {
            problems.push(format!("ID token keys: {problem}"));
        }
    }
    if problems.is_empty() {
        Ok(EXIT_OK)
    } else {
        Err(Failure::input(format!(
            "{} (details above)",
            problems.join("; ")
        )))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    Jwt,
    IdToken,
}

/// Prints one key set with the library's decisions; returns what is wrong with it, if
/// anything (not fetched, not a JWKS, no trusted key).
fn show(
    out: &mut dyn Write,
    fetched: Result<Vec<u8>, VerifyError>,
) -> std::io::Result<Option<String>> {
    let bytes = match fetched {
        Ok(b) => b,
        Err(e) => {
            writeln!(out, "  not fetched: {e}")?;
            return Ok(Some(format!("not fetched ({})", e.code())));
        }
    };
    let decisions = match jwks_decisions(&bytes, CachePolicy::default().max_keys) {
        Ok(d) => d,
        Err(e) => {
            writeln!(out, "  unusable: {e}")?;
            return Ok(Some(format!("not a usable JWKS ({})", e.code())));
        }
    };
    // Only for showing kty, alg and size; the decisions above are the library's.
    let raw: Vec<Value> = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(mut doc)) => match doc.remove("keys") {
            Some(Value::Array(keys)) => keys,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let (mut trusted, mut folded, mut ignored) = (0, 0, 0);
    for (i, (kid, decision)) in decisions.iter().enumerate() {
        let entry = raw.get(i).unwrap_or(&Value::Null);
        let kid = match kid {
            Some(k) => format!("{k:?}"),
            None => "(none)".to_owned(),
        };
        let kty = member(entry, "kty");
        let alg = member(entry, "alg");
        let (word, why) = match decision {
            KeyDecision::Trusted(alg) => {
                trusted += 1;
                ("trusted", format!("verifies {alg}"))
            }
            KeyDecision::BlankKidTwin => {
                folded += 1;
                (
                    "folded",
                    "Teleport's blank-kid twin of the entry with its kid".to_owned(),
                )
            }
            KeyDecision::Duplicate => {
                folded += 1;
                (
                    "folded",
                    "the same key and kid as an earlier entry".to_owned(),
                )
            }
            KeyDecision::Ignored(why) => {
                ignored += 1;
                ("ignored", why.clone())
            }
        };
        let kind = format!("{kty}/{alg}");
        writeln!(
            out,
            "  [{i}] {word:<8} {kind:<10} {:<10} kid {kid} ({why})",
            size(entry)
        )?;
    }
    writeln!(
        out,
        "  {} entr{}: {trusted} trusted, {folded} folded, {ignored} ignored",
        decisions.len(),
        if decisions.len() == 1 { "y" } else { "ies" }
    )?;
    Ok((trusted == 0).then(|| "no trusted key".to_owned()))
}

/// A JWK member (`n`, `e`, `x`, `y`) as the library reads it: base64url, padding tolerated,
/// no stray trailing bits.
const KEY_MATERIAL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(false),
);

fn member(entry: &Value, name: &str) -> String {
    match entry.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "-".to_owned(),
    }
}

/// `2048 bits` for RSA (the modulus as published), the curve for EC, else `-`.
fn size(entry: &Value) -> String {
    match entry.get("kty").and_then(Value::as_str) {
        Some("RSA") => entry
            .get("n")
            .and_then(Value::as_str)
            .and_then(|n| KEY_MATERIAL.decode(n).ok())
            .map(|n| {
                let start = n.iter().position(|&b| b != 0).unwrap_or(n.len());
                let n = &n[start..];
                let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
                format!("{bits} bits")
            })
            .unwrap_or_else(|| "-".to_owned()),
        Some("EC" | "OKP") => member(entry, "crv"),
        _ => "-".to_owned(),
    }
}
