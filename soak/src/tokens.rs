//! The load: the kinds of token the workers send and their shares, and how each is made
//! (minted by the mock, then forged where the kind says so). Minting is never timed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use teleport_jwt::mock::{MintSpec, MockTeleport};
use teleport_jwt::{Algorithm, Reason};

use crate::setup::OTHER_AUD;

/// One kind of token (the table of the crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Fresh,
    Cached,
    UnknownKid,
    BadSig,
    WrongAud,
    Expired,
    ControlFull,
    ControlCached,
}

impl Kind {
    pub(crate) fn pick(roll: u64) -> Kind {
        match roll % 100 {
            0..=19 => Kind::Fresh,
            20..=49 => Kind::Cached,
            50..=59 => Kind::UnknownKid,
            60..=69 => Kind::BadSig,
            70..=79 => Kind::WrongAud,
            80..=89 => Kind::Expired,
            90..=94 => Kind::ControlFull,
            _ => Kind::ControlCached,
        }
    }

    pub(crate) fn is_good(self) -> bool {
        matches!(self, Kind::Fresh | Kind::Cached)
    }

    pub(crate) fn is_control(self) -> bool {
        matches!(self, Kind::ControlFull | Kind::ControlCached)
    }

    /// The reason a forged token of this kind is refused with, normally (`None`: not forged).
    pub(crate) fn expected_refusal(self) -> Option<Reason> {
        match self {
            Kind::UnknownKid => Some(Reason::UnknownKey),
            Kind::BadSig => Some(Reason::BadSignature),
            Kind::WrongAud => Some(Reason::AudienceMismatch),
            Kind::Expired => Some(Reason::Expired),
            Kind::Fresh | Kind::Cached | Kind::ControlFull | Kind::ControlCached => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Fresh => "fresh",
            Kind::Cached => "cached",
            Kind::UnknownKid => "unknown-kid",
            Kind::BadSig => "bad-sig",
            Kind::WrongAud => "wrong-aud",
            Kind::Expired => "expired",
            Kind::ControlFull => "control-full",
            Kind::ControlCached => "control-cached",
        }
    }
}

/// A token and the `kid` it names.
pub(crate) struct Tok {
    pub(crate) token: String,
    pub(crate) kid: String,
}

/// The tokens minted after a key change, with the key the mock signed with then.
pub(crate) struct Generation {
    pub(crate) cached: Vec<Tok>,
    pub(crate) bad_sig: Vec<Tok>,
    pub(crate) wrong_aud: Vec<Tok>,
    pub(crate) expired: Vec<Tok>,
}

/// Seconds since the epoch.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The `kid` in a token's header.
fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .expect("minted header is base64url");
    let v: Value = serde_json::from_slice(&bytes).expect("minted header is JSON");
    v["kid"]
        .as_str()
        .expect("minted tokens carry a kid")
        .to_string()
}

/// A token the mock signs now, with its `kid`.
pub(crate) fn mint(m: &MockTeleport, spec: &MintSpec) -> Tok {
    let token = m.mint(spec).expect("the mock mints");
    let kid = kid_of(&token);
    Tok { token, kid }
}

/// The same token with one signature byte flipped (still canonical base64url).
fn flip_signature(token: &str) -> String {
    let (signed, sig) = token.rsplit_once('.').expect("compact JWS");
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).expect("signature is base64url");
    let i = bytes.len() / 2;
    bytes[i] ^= 0x5a;
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `ttl`: the lifetime of the reused tokens, longer than the run.
pub(crate) fn generation(m: &MockTeleport, tag: usize, ttl: Duration) -> Generation {
    let good = |i: usize| MintSpec {
        username: format!("cached-{tag}-{i}"),
        ttl,
        ..MintSpec::default()
    };
    let bad_sig = (0..2)
        .map(|i| {
            let t = mint(m, &good(100 + i));
            Tok {
                token: flip_signature(&t.token),
                kid: t.kid,
            }
        })
        .collect();
    let wrong_aud = (0..2)
        .map(|i| {
            mint(
                m,
                &MintSpec {
                    audience: vec![OTHER_AUD.into()],
                    ..good(200 + i)
                },
            )
        })
        .collect();
    let expired = (0..2)
        .map(|i| {
            mint(
                m,
                &MintSpec {
                    issued_at: Some(unix_now() - 7200),
                    ttl: Duration::from_secs(3600),
                    ..good(300 + i)
                },
            )
        })
        .collect();
    Generation {
        cached: (0..8).map(|i| mint(m, &good(i))).collect(),
        bad_sig,
        wrong_aud,
        expired,
    }
}

/// A token of a trusted issuer (`payload`, base64url) naming a `kid` never used before
/// (`soak-made-up-{id}-{n}`), with a junk signature.
pub(crate) fn unknown_kid_token(alg: Algorithm, payload: &str, id: usize, n: u64) -> String {
    let header =
        json!({"alg": alg.as_str(), "kid": format!("soak-made-up-{id}-{n}"), "typ": "JWT"});
    let junk = match alg {
        Algorithm::ES256 => vec![7u8; 64],
        _ => vec![7u8; 256],
    };
    format!(
        "{}.{payload}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(junk)
    )
}
