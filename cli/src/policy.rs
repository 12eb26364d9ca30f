//! `teleport-jwt policy check|explain`: a policy file loaded and evaluated by
//! [`teleport_jwt::policy::Policy`].

use std::collections::BTreeMap;
use std::io::Write;

use crate::{args, Failure, Outcome, EXIT_NOT_GRANTED, EXIT_OK};
use teleport_jwt::alg::{Algorithm, TokenKind};
use teleport_jwt::identity::Identity;
use teleport_jwt::policy::{Decision, Effect, Policy};

pub(super) const USAGE: &str = "\
usage: teleport-jwt policy check FILE
       teleport-jwt policy explain FILE --user U [--role R]... [--trait k=v]...
                                   [--trust-entry NAME] PERMISSION

check    loads a policy (.yaml, .yml, .toml or .json) as the library does; a mistake is
         reported with its line and column
explain  says why PERMISSION (e.g. tool:read_file) is granted, denied or not granted to the
         identity given by --user, --role, --trait and --trust-entry (the trust entry, i.e.
         cluster, a token was verified by; default teleport.example.com)

exit codes: 0 the policy loads / the permission is granted, 1 the policy does not load,
2 bad command line, 3 the permission is denied or not granted
";

pub(super) fn run(p: &mut lexopt::Parser, out: &mut dyn Write) -> Outcome {
    use lexopt::Arg::{Long, Short, Value as Positional};
    let sub = match p.next()? {
        Some(Positional(v)) => args::string(v)?,
        Some(Long("help") | Short('h')) => {
            out.write_all(USAGE.as_bytes())?;
            return Ok(EXIT_OK);
        }
        Some(other) => return Err(other.unexpected().into()),
        None => return Err(Failure::usage("policy needs check or explain")),
    };
    match sub.as_str() {
        "check" => check(p, out),
        "explain" => explain(p, out),
        other => Err(Failure::usage(format!(
            "unknown policy command {other:?} (check or explain)"
        ))),
    }
}

fn load(path: &str) -> Result<Policy, Failure> {
    Policy::from_file(path).map_err(|e| Failure::input(e.to_string()))
}

fn check(p: &mut lexopt::Parser, out: &mut dyn Write) -> Outcome {
    use lexopt::Arg::{Long, Short, Value as Positional};
    let mut file = None;
    while let Some(arg) = p.next()? {
        match arg {
            Long("help") | Short('h') => {
                out.write_all(USAGE.as_bytes())?;
                return Ok(EXIT_OK);
            }
            Positional(v) if file.is_none() => file = Some(args::string(v)?),
            other => return Err(other.unexpected().into()),
        }
    }
    let file = file.ok_or_else(|| Failure::usage("policy check needs a FILE"))?;
    let policy = load(&file)?;
    let rules = policy.rules();
    writeln!(
        out,
        "{file}: ok, {} rule{}",
        rules.len(),
        if rules.len() == 1 { "" } else { "s" }
    )?;
    for (i, rule) in rules.iter().enumerate() {
        let name = rule
            .name
            .as_deref()
            .map_or(String::new(), |n| format!(" {n:?}"));
        let what = match &rule.effect {
            Effect::Grant(t) => format!("grants {}", t.len()),
            Effect::Deny(g) => format!("denies {}", g.len()),
        };
        let scope = if rule.when.is_empty() {
            "everyone"
        } else {
            "matching identities"
        };
        writeln!(out, "  rules[{i}]{name}: {what} pattern(s) to {scope}")?;
    }
    Ok(EXIT_OK)
}

fn explain(p: &mut lexopt::Parser, out: &mut dyn Write) -> Outcome {
    use lexopt::Arg::{Long, Short, Value as Positional};
    let mut file = None;
    let mut permission = None;
    let mut user = None;
    let mut roles = Vec::new();
    let mut traits: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut trust_entry = "teleport.example.com".to_owned();
    while let Some(arg) = p.next()? {
        match arg {
            Long("user") => user = Some(args::value(p)?),
            Long("role") => roles.push(args::value(p)?),
            Long("trait") => {
                let (k, v) = args::trait_pair(&args::value(p)?)?;
                traits.entry(k).or_default().push(v);
            }
            Long("trust-entry") => trust_entry = args::value(p)?,
            Long("help") | Short('h') => {
                out.write_all(USAGE.as_bytes())?;
                return Ok(EXIT_OK);
            }
            Positional(v) if file.is_none() => file = Some(args::string(v)?),
            Positional(v) if permission.is_none() => permission = Some(args::string(v)?),
            other => return Err(other.unexpected().into()),
        }
    }
    let file = file.ok_or_else(|| Failure::usage("policy explain needs a FILE"))?;
    let permission = permission
        .ok_or_else(|| Failure::usage("policy explain needs a PERMISSION (e.g. tool:read_file)"))?;
    let user = user.ok_or_else(|| Failure::usage("policy explain needs --user"))?;
    let policy = load(&file)?;
    let identity = Identity {
        username: user.clone(),
        sub: user,
        roles,
        traits,
        issuer: trust_entry.clone(),
        audience: Vec::new(),
        expires_at: 0,
        issued_at: None,
        not_before: None,
        jti: None,
        key_id: None,
        algorithm: Algorithm::RS256,
        trust_entry,
        kind: TokenKind::TeleportJwt,
        claims: Default::default(),
    };
    let explanation = policy.explain(&identity, &permission);
    writeln!(out, "{explanation}")?;
    // A "not granted" line already lists the rules that matched.
    if explanation.decision != Decision::NotGranted {
        let matched: Vec<String> = explanation
            .matched_rules
            .iter()
            .map(ToString::to_string)
            .collect();
        writeln!(out, "  matched rules: {}", matched.join(", "))?;
    }
    Ok(if explanation.is_allowed() {
        EXIT_OK
    } else {
        EXIT_NOT_GRANTED
    })
}
