//! `teleport-jwt mock`: a [`MockTeleport`] on loopback for local development, with tokens for
//! the users and roles of the command line.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use serde_json::{json, Value};

use crate::{args, Failure, Outcome, EXIT_OK};
use teleport_jwt::alg::{Algorithm, TokenKind};
use teleport_jwt::mock::{MintSpec, MockOptions, MockTeleport};

pub(super) const USAGE: &str = "\
usage: teleport-jwt mock [--port N] [--cluster NAME] [--algorithm RS256|ES256]
                         [--audience AUD] [--ttl SECONDS] [--ca-out FILE] [--json]
                         [--user U [--role R]... [--trait k=v]...]...

Runs a mock Teleport proxy on https://127.0.0.1:PORT (its own TLS CA) that serves keys like
Teleport, and prints its URLs, its CA certificate and, for every --user, a classic JWT and an
ID token. --role and --trait apply to the --user before them; without --user, one token
pair for alice with role access. Runs until interrupted (Ctrl-C).

options:
  --port N               port on 127.0.0.1 (default: one chosen by the system)
  --cluster NAME         cluster name, iss of classic tokens (default teleport.example.com)
  --algorithm ALG        the JWT CA's algorithm: RS256 (default) or ES256
  --audience AUD         aud of the tokens (default mcp+http://127.0.0.1:8000/mcp)
  --ttl SECONDS          token lifetime (default 3600)
  --user U               a user to mint tokens for (repeatable)
  --role R               a role of the last --user (repeatable)
  --trait k=v            a trait value of the last --user (repeatable)
  --ca-out FILE          also write the CA certificate (PEM) to FILE, for --ca
  --json                 print everything as one JSON line
  -h, --help             this help
";

const DEFAULT_AUDIENCE: &str = "mcp+http://127.0.0.1:8000/mcp";

struct User {
    name: String,
    roles: Vec<String>,
    traits: BTreeMap<String, Vec<String>>,
}

pub(super) fn run(p: &mut lexopt::Parser, out: &mut dyn Write, stop: &dyn Fn() -> bool) -> Outcome {
    use lexopt::Arg::{Long, Short};
    let mut port: u16 = 0;
    let mut options = MockOptions::default();
    let mut audience = DEFAULT_AUDIENCE.to_owned();
    let mut ttl = Duration::from_secs(3600);
    let mut ca_out = None;
    let mut as_json = false;
    let mut users: Vec<User> = Vec::new();
    while let Some(arg) = p.next()? {
        match arg {
            Long("port") => {
                let v = args::value(p)?;
                port = v
                    .parse()
                    .map_err(|_| Failure::usage(format!("--port {v:?} is not a port number")))?;
            }
            Long("cluster") => options.cluster_name = args::value(p)?,
            Long("algorithm") => {
                let v = args::value(p)?;
                options.algorithm = Algorithm::from_jose(&v).ok_or_else(|| {
                    Failure::usage(format!("--algorithm {v:?} is not RS256 or ES256"))
                })?;
            }
            Long("audience") => audience = args::value(p)?,
            Long("ttl") => ttl = args::seconds("--ttl", &args::value(p)?)?,
            Long("ca-out") => ca_out = Some(args::value(p)?),
            Long("json") => as_json = true,
            Long("user") => users.push(User {
                name: args::value(p)?,
                roles: Vec::new(),
                traits: BTreeMap::new(),
            }),
            Long("role") => {
                let role = args::value(p)?;
                last(&mut users, "--role")?.roles.push(role);
            }
            Long("trait") => {
                let (k, v) = args::trait_pair(&args::value(p)?)?;
                last(&mut users, "--trait")?
                    .traits
                    .entry(k)
                    .or_default()
                    .push(v);
            }
            Long("help") | Short('h') => {
                out.write_all(USAGE.as_bytes())?;
                return Ok(EXIT_OK);
            }
            other => return Err(other.unexpected().into()),
        }
    }
    if ttl.is_zero() {
        return Err(Failure::usage("--ttl must be at least 1 second"));
    }
    if users.is_empty() {
        users.push(User {
            name: "alice".into(),
            roles: vec!["access".into()],
            traits: BTreeMap::new(),
        });
    }
    let mock = MockTeleport::start_on_port(options, port)
        .map_err(|e| Failure::input(format!("cannot start the mock on 127.0.0.1:{port}: {e}")))?;
    let ca_pem = mock.ca_pem();
    if let Some(path) = &ca_out {
        std::fs::write(path, &ca_pem)
            .map_err(|e| Failure::input(format!("cannot write the CA to {path}: {e}")))?;
    }
    let mut tokens = Vec::new();
    for user in &users {
        let mint = |kind| {
            mock.mint(&MintSpec {
                username: user.name.clone(),
                roles: user.roles.clone(),
                traits: user.traits.clone(),
                audience: vec![audience.clone()],
                ttl,
                kind,
                ..MintSpec::default()
            })
            .map_err(|e| Failure::input(format!("cannot mint a token for {}: {e}", user.name)))
        };
        tokens.push((
            user,
            mint(TokenKind::TeleportJwt)?,
            mint(TokenKind::IdToken)?,
        ));
    }
    if as_json {
        let list: Vec<Value> = tokens
            .iter()
            .map(|(u, jwt, id)| {
                json!({"user": u.name, "roles": u.roles, "traits": u.traits, "jwt": jwt, "id_token": id})
            })
            .collect();
        let doc = json!({
            "proxy_url": mock.proxy_url(),
            "cluster_name": mock.cluster_name(),
            "jwks_url": mock.jwks_url(),
            "discovery_url": mock.discovery_url(),
            "audience": audience,
            "ca_pem": ca_pem,
            "tokens": list,
        });
        writeln!(out, "{doc}")?;
    } else {
        writeln!(out, "mock Teleport listening on {}", mock.proxy_url())?;
        writeln!(out, "  cluster name    {}", mock.cluster_name())?;
        writeln!(out, "  JWKS            {}", mock.jwks_url())?;
        writeln!(out, "  OIDC discovery  {}", mock.discovery_url())?;
        writeln!(out, "  audience        {audience}")?;
        writeln!(out, "  token lifetime  {}s", ttl.as_secs())?;
        match &ca_out {
            Some(path) => writeln!(out, "CA certificate (also in {path}):")?,
            None => writeln!(out, "CA certificate (save it and pass --ca FILE):")?,
        }
        out.write_all(ca_pem.as_bytes())?;
        if !ca_pem.ends_with('\n') {
            writeln!(out)?;
        }
        for (user, jwt, id_token) in &tokens {
            writeln!(
                out,
                "tokens for {} (roles: {}):",
                user.name,
                user.roles.join(", ")
            )?;
            writeln!(out, "  jwt       {jwt}")?;
            writeln!(out, "  id_token  {id_token}")?;
        }
        let ca_arg = ca_out.as_deref().unwrap_or("CA.pem");
        writeln!(
            out,
            "try: teleport-jwt verify --proxy {} --cluster {} --audience {audience} --ca {ca_arg} TOKEN",
            mock.proxy_url(),
            mock.cluster_name()
        )?;
    }
    writeln!(out, "serving until interrupted (Ctrl-C)")?;
    out.flush()?;
    while !stop() {
        std::thread::sleep(Duration::from_millis(100));
    }
    mock.stop();
    Ok(EXIT_OK)
}

fn last<'a>(users: &'a mut [User], option: &str) -> Result<&'a mut User, Failure> {
    users
        .last_mut()
        .ok_or_else(|| Failure::usage(format!("{option} must follow a --user")))
}
