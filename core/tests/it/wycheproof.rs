//! Wycheproof test vectors (C2SP/wycheproof, Apache-2.0, copied unchanged into
//! `tests/vectors/wycheproof/` at the repository root) and the RFC 7515 Appendix A.2/A.3
//! examples, run against the public API:
//!
//! - `json_web_signature_test.json`: whole compact tokens through `dangerous::verify_signature_only`;
//! - `json_web_key_test.json`: key sets through `KeySet::from_jwks_json`, then the token;
//! - `rsa_signature_2048_sha256_test.json`, `ecdsa_secp256r1_sha256_p1363_test.json`: the RS256
//!   and ES256 primitives through `VerifyingKey::from_jwk` and `VerifyingKey::verify`.
//!
//! Every case is run and compared with its label; the few places where we deliberately differ
//! from the label (HMAC and algorithms other than RS256/ES256 are refused; `acceptable` cases
//! get one fixed outcome) are listed in `tests/vectors/wycheproof/DECISIONS.md`. Each test
//! collects every disagreement, naming the tcId, before failing, and asserts how many cases of
//! each kind it ran, so it cannot pass by running nothing.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};
use teleport_jwt::dangerous::{verify_signature_only as verify_compact, DEFAULT_MAX_TOKEN_BYTES};
use teleport_jwt::keys::VerifyingKey;
use teleport_jwt::{KeySet, Reason};

/// Generous cap on JWKS entries: the largest set built here (every public key of the JWS file)
/// has 19 entries.
const MAX_KEYS: usize = 64;

/// The order of P-256 divided by two (rounded down): an `s` above it is "high".
const P256_HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn load(name: &str) -> Value {
    let path = format!(
        "{}/../tests/vectors/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

fn groups(doc: &Value) -> &Vec<Value> {
    doc["testGroups"].as_array().expect("testGroups is a list")
}

fn tests(group: &Value) -> &Vec<Value> {
    group["tests"].as_array().expect("tests is a list")
}

fn tc_id(t: &Value) -> u64 {
    t["tcId"].as_u64().expect("tcId is a number")
}

fn label(t: &Value) -> &str {
    t["result"].as_str().expect("result is a string")
}

fn comment(t: &Value) -> &str {
    t["comment"].as_str().unwrap_or("")
}

fn has_flag(t: &Value, flag: &str) -> bool {
    t["flags"]
        .as_array()
        .is_some_and(|f| f.iter().any(|x| x.as_str() == Some(flag)))
}

fn number_of_tests(doc: &Value) -> usize {
    doc["numberOfTests"].as_u64().expect("numberOfTests") as usize
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd-length hex {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|e| panic!("hex {s:?}: {e}")))
        .collect()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

fn object(v: &Value) -> &Map<String, Value> {
    v.as_object().expect("a JSON object")
}

/// `{"keys": [...]}` as bytes.
fn jwks(keys: &[&Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({ "keys": keys })).expect("serialisable")
}

/// The `alg` of a compact token's header, when the first segment is canonical base64url of a
/// JSON object with a string `alg`. `None` for anything else (missing or broken header).
fn header_alg(token: &str) -> Option<String> {
    let first = token.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(first).ok()?;
    let header: Value = serde_json::from_slice(&bytes).ok()?;
    header.get("alg")?.as_str().map(str::to_owned)
}

fn is_hmac_alg(alg: &str) -> bool {
    alg.len() > 2 && alg[..2].eq_ignore_ascii_case("HS")
}

/// True when `s` (32 bytes, big-endian) is above n/2 for P-256.
fn is_high_s(s: &[u8]) -> bool {
    s.len() == 32 && s > &P256_HALF_ORDER[..]
}

/// Collected disagreements of one test; fails with all of them at once.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.0.push(msg());
        }
    }

    fn finish(self, what: &str) {
        assert!(
            self.0.is_empty(),
            "{what}: {} case(s) disagree:\n  {}",
            self.0.len(),
            self.0.join("\n  ")
        );
    }
}

/// Cases run, by (kind, label).
#[derive(Default)]
struct Tally(BTreeMap<(String, String), usize>);

impl Tally {
    fn add(&mut self, kind: &str, label: &str) {
        *self.0.entry((kind.into(), label.into())).or_default() += 1;
    }

    fn total(&self) -> usize {
        self.0.values().sum()
    }

    fn summary(&self) -> String {
        self.0
            .iter()
            .map(|((k, l), n)| format!("{k}/{l}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn assert_eq(&self, what: &str, expected: &[(&str, &str, usize)]) {
        let want: BTreeMap<(String, String), usize> = expected
            .iter()
            .map(|(k, l, n)| (((*k).into(), (*l).into()), *n))
            .collect();
        assert_eq!(
            self.0, want,
            "{what}: the cases run per kind/result changed (did the vector file change?)"
        );
    }
}

/// Our outcome for every `acceptable` case: (tcId, accepted). Documented in DECISIONS.md. A new
/// `acceptable` case without an entry here fails the test, so every choice stays deliberate.
const JWS_ACCEPTABLE: &[(u64, bool)] = &[];
const JWK_ACCEPTABLE: &[(u64, bool)] = &[];
const RSA2048_ACCEPTABLE: &[(u64, bool)] = &[
    // MissingNull: DigestInfo without the NULL parameter; we require the exact DER encoding.
    (8, false),
];
const P256_ACCEPTABLE: &[(u64, bool)] = &[];

fn acceptable_choice(table: &[(u64, bool)], id: u64) -> Option<bool> {
    table.iter().find(|(t, _)| *t == id).map(|(_, a)| *a)
}

// ---------------------------------------------------------------------------------------------
// json_web_signature_test.json
// ---------------------------------------------------------------------------------------------

/// How a JWS case is judged.
#[derive(Clone, Copy, PartialEq, Eq)]
enum JwsKind {
    /// Header `alg` is RS256 or ES256: the labelled result.
    Rs256Es256,
    /// Header `alg` is `none` in any case: must be rejected.
    AlgNone,
    /// Header `alg` is HS*, or the group's only key is symmetric (`oct`): must be rejected,
    /// whatever the label (HMAC is out of scope).
    Hmac,
    /// Any other `alg` (RS384, RS512, PS*, ES512): unsupported, must be rejected.
    OtherAlg,
    /// No readable header or no `alg`: the labelled result (all such cases are `invalid`).
    NoAlg,
}

impl JwsKind {
    fn name(self) -> &'static str {
        match self {
            JwsKind::Rs256Es256 => "rs256_es256",
            JwsKind::AlgNone => "alg_none",
            JwsKind::Hmac => "hmac",
            JwsKind::OtherAlg => "other_alg",
            JwsKind::NoAlg => "no_alg",
        }
    }
}

#[test]
fn wycheproof_jws_rs256_es256_none_hmac() {
    let doc = load("json_web_signature_test.json");
    let mut failures = Failures::default();
    let mut tally = Tally::default();
    let mut json_serialisation_fed = 0usize;
    let mut not_a_string = Vec::new();

    // Every public key of the file in one set, as a deployment that trusted all of them would
    // hold (ineligible ones are set aside, same-kid duplicates folded). HMAC, `none` and other
    // algorithms must be refused even against these, not merely for lack of a key.
    let all_public: Vec<&Value> = groups(&doc)
        .iter()
        .filter_map(|g| g.get("public"))
        .collect();
    let all_keys = KeySet::from_jwks_json(&jwks(&all_public), MAX_KEYS)
        .unwrap_or_else(|e| panic!("the file's public keys: {e}"));
    let usable: Vec<Option<&str>> = all_keys.keys().iter().map(|k| k.kid()).collect();
    assert_eq!(
        usable.len(),
        4,
        "usable public keys of the file (kid-ec-sign, kid-rsa-sign, RS256_2048, \
         bilbo.baggins@hobbiton.example): {usable:?}"
    );

    for group in groups(&doc) {
        let key = group
            .get("public")
            .or_else(|| group.get("private"))
            .expect("group has a key");
        let symmetric_group = key["kty"].as_str() == Some("oct");
        let set = KeySet::from_jwks_json(&jwks(&[key]), MAX_KEYS);

        for t in tests(group) {
            let id = tc_id(t);
            let lbl = label(t);
            let Some(token) = t["jws"].as_str() else {
                // JSON serialisation given as an object: a compact-only verifier has no way
                // to take it. Counted, and the count is asserted below.
                not_a_string.push(id);
                continue;
            };
            if has_flag(t, "JsonSerialization") {
                json_serialisation_fed += 1;
            }
            let alg = header_alg(token);
            let kind = match alg.as_deref() {
                Some(a) if a.eq_ignore_ascii_case("none") => JwsKind::AlgNone,
                Some(a) if is_hmac_alg(a) => JwsKind::Hmac,
                _ if symmetric_group => JwsKind::Hmac,
                Some("RS256" | "ES256") => JwsKind::Rs256Es256,
                Some(_) => JwsKind::OtherAlg,
                None => JwsKind::NoAlg,
            };
            tally.add(kind.name(), lbl);

            let outcome = match &set {
                Ok(set) => {
                    verify_compact(token, set, DEFAULT_MAX_TOKEN_BYTES).map_err(|e| e.to_string())
                }
                Err(e) => Err(format!("group key set refused: {e}")),
            };
            let expected = match kind {
                JwsKind::AlgNone | JwsKind::Hmac | JwsKind::OtherAlg => false,
                JwsKind::Rs256Es256 | JwsKind::NoAlg => match lbl {
                    "valid" => true,
                    "invalid" => false,
                    _ => match acceptable_choice(JWS_ACCEPTABLE, id) {
                        Some(a) => a,
                        None => {
                            failures.0.push(format!(
                                "tcId {id} ({}): acceptable case without a decision in \
                                 JWS_ACCEPTABLE/DECISIONS.md",
                                comment(t)
                            ));
                            continue;
                        }
                    },
                },
            };
            failures.check(outcome.is_ok() == expected, || {
                format!(
                    "tcId {id} ({}, {}, labelled {lbl}): expected {}, got {:?}",
                    comment(t),
                    kind.name(),
                    if expected { "Ok" } else { "Err" },
                    outcome
                        .as_ref()
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                )
            });
            if let Ok(payload) = &outcome {
                let segment = token.split('.').nth(1).unwrap_or("");
                failures.check(b64(payload) == segment, || {
                    format!("tcId {id}: payload returned is not the token's payload segment")
                });
            }

            if kind != JwsKind::Rs256Es256 && kind != JwsKind::NoAlg {
                let against_all = verify_compact(token, &all_keys, DEFAULT_MAX_TOKEN_BYTES);
                failures.check(against_all.is_err(), || {
                    format!(
                        "tcId {id} ({}, {}): accepted against the file's RS256/ES256 keys",
                        comment(t),
                        kind.name()
                    )
                });
                // With a readable `alg` and the three segments of a compact JWS, the algorithm
                // itself is the reason (a wrong segment count is `malformed` before the header
                // is read).
                if alg.is_some() && token.split('.').count() == 3 {
                    let reason = against_all.as_ref().err().map(|e| e.reason());
                    failures.check(reason == Some(Reason::UnsupportedAlgorithm), || {
                        format!(
                            "tcId {id} ({}): alg {alg:?} refused with {reason:?}, expected \
                             unsupported_algorithm",
                            comment(t)
                        )
                    });
                }
            }
            if id == 32 {
                // rejectsAttackerProvidedEmbeddedJwk: refused for the header, before any key.
                let reason = verify_compact(token, &all_keys, DEFAULT_MAX_TOKEN_BYTES)
                    .err()
                    .map(|e| e.reason());
                failures.check(reason == Some(Reason::UnsupportedHeader), || {
                    format!("tcId 32 (embedded jwk): refused with {reason:?}, expected unsupported_header")
                });
            }
        }
    }

    println!(
        "wycheproof jws: {} | json-serialisation fed as a string: {json_serialisation_fed} | \
         not a string (out of scope, not fed): {} {not_a_string:?}",
        tally.summary(),
        not_a_string.len()
    );
    failures.finish("json_web_signature_test.json");

    assert_eq!(
        tally.total() + not_a_string.len(),
        number_of_tests(&doc),
        "every case of the file is accounted for"
    );
    assert_eq!(
        json_serialisation_fed, 1,
        "JSON-serialised tokens fed as strings"
    );
    assert_eq!(
        not_a_string.len(),
        0,
        "JSON-serialised tokens given as objects"
    );
    tally.assert_eq(
        "json_web_signature_test.json",
        &[
            ("alg_none", "invalid", 5),
            ("hmac", "invalid", 30),
            ("hmac", "valid", 10),
            ("no_alg", "invalid", 10),
            ("other_alg", "invalid", 54),
            ("other_alg", "valid", 26),
            ("rs256_es256", "invalid", 256),
            ("rs256_es256", "valid", 10),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// json_web_key_test.json
// ---------------------------------------------------------------------------------------------

/// What key import must say for each case: `Ok(n)` = the set loads with `n` usable keys,
/// `Err(word)` = the set is refused and the reason mentions `word` (case-insensitive).
fn expected_import(id: u64) -> Result<usize, &'static str> {
    match id {
        1 => Ok(1),                   // mixed set: the oct key is set aside, the EC key stays
        2..=4 => Err("`k`"),          // only symmetric keys (distinct kids, or a duplicate kid)
        5 => Ok(1),                   // RS256 2048-bit key, use sig
        6 => Err("use"),              // use enc, alg RSA1_5
        7 => Err("roca"),             // CVE-2017-15361 modulus
        8 => Err("1024"),             // 1024-bit modulus
        9 => Err("exponent"),         // e = 1
        10..=18 => Err("`k`"),        // HS256/384/512 keys, short, long or empty
        19 => Err("ES521"),           // alg ES521 on a P-256 key
        20 => Err("ES224"),           // alg ES224
        21 => Err("use"),             // use enc
        22 => Err("invalid"),         // point not on the curve
        23 => Err("P-384"),           // crv P-384 with P-256 coordinates
        24 => Err("`n`"),             // kty RSA with EC members
        25 | 26 => Err("`k`"),        // AES keys
        _ => Err("<no expectation>"), // a new case: fails below until it is given one
    }
}

#[test]
fn wycheproof_jwk_import() {
    let doc = load("json_web_key_test.json");
    let mut failures = Failures::default();
    let mut tally = Tally::default();

    for group in groups(&doc) {
        let from_public = group.get("public").is_some();
        let keyset = group
            .get("public")
            .or_else(|| group.get("private"))
            .expect("group has a key set");
        let keys: Vec<&Value> = keyset["keys"]
            .as_array()
            .expect("keys is a list")
            .iter()
            .collect();
        let all_symmetric = keys.iter().all(|k| k["kty"].as_str() == Some("oct"));
        let set = KeySet::from_jwks_json(&serde_json::to_vec(keyset).expect("json"), MAX_KEYS);

        for t in tests(group) {
            let id = tc_id(t);
            let lbl = label(t);
            let token = t["jws"].as_str().expect("compact jws");
            let hmac = all_symmetric || header_alg(token).is_some_and(|a| is_hmac_alg(&a));
            tally.add(if hmac { "hmac" } else { "rsa_ec" }, lbl);
            if !from_public {
                tally.add("private_set_given", lbl);
            }

            // Key import.
            match (expected_import(id), &set) {
                (Ok(n), Ok(s)) => failures.check(s.len() == n, || {
                    format!(
                        "tcId {id} ({}): {} usable key(s), expected {n}",
                        comment(t),
                        s.len()
                    )
                }),
                (Ok(_), Err(e)) => failures.0.push(format!(
                    "tcId {id} ({}): key set refused ({e}), expected it to load",
                    comment(t)
                )),
                (Err(word), Ok(s)) => failures.0.push(format!(
                    "tcId {id} ({}): key set loaded with {} key(s), expected it refused \
                     ({word})",
                    comment(t),
                    s.len()
                )),
                (Err(word), Err(e)) => failures.check(
                    e.message().to_lowercase().contains(&word.to_lowercase()),
                    || {
                        format!(
                            "tcId {id} ({}): key set refused for another reason than \
                             {word:?}: {e}",
                            comment(t)
                        )
                    },
                ),
            }
            if id == 1 {
                // The symmetric key of the mixed set is set aside by name.
                if let Ok(s) = &set {
                    let aside: Vec<Option<&str>> =
                        s.rejected().iter().map(|r| r.kid.as_deref()).collect();
                    failures.check(aside == [Some("kid-aes-sign")], || {
                        format!("tcId 1: keys set aside {aside:?}, expected [kid-aes-sign]")
                    });
                }
            }

            // The token.
            let outcome = match &set {
                Ok(s) => {
                    verify_compact(token, s, DEFAULT_MAX_TOKEN_BYTES).map_err(|e| e.to_string())
                }
                Err(e) => Err(format!("key set refused: {e}")),
            };
            let expected = if hmac {
                false
            } else {
                match lbl {
                    "valid" => true,
                    "invalid" => false,
                    _ => match acceptable_choice(JWK_ACCEPTABLE, id) {
                        Some(a) => a,
                        None => {
                            failures
                                .0
                                .push(format!("tcId {id}: acceptable case without a decision"));
                            continue;
                        }
                    },
                }
            };
            failures.check(outcome.is_ok() == expected, || {
                format!(
                    "tcId {id} ({}, labelled {lbl}{}): expected {}, got {:?}",
                    comment(t),
                    if hmac { ", HMAC: must reject" } else { "" },
                    if expected { "Ok" } else { "Err" },
                    outcome
                        .as_ref()
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                )
            });
        }
    }

    println!("wycheproof jwk: {}", tally.summary());
    failures.finish("json_web_key_test.json");
    tally.assert_eq(
        "json_web_key_test.json",
        &[
            ("hmac", "invalid", 11),
            ("hmac", "valid", 4),
            ("private_set_given", "invalid", 11),
            ("private_set_given", "valid", 4),
            ("rsa_ec", "invalid", 10),
            ("rsa_ec", "valid", 1),
        ],
    );
    assert_eq!(
        tally
            .0
            .iter()
            .filter(|((k, _), _)| k != "private_set_given")
            .map(|(_, n)| n)
            .sum::<usize>(),
        number_of_tests(&doc),
        "every case of the file is accounted for"
    );
}

// ---------------------------------------------------------------------------------------------
// Primitives
// ---------------------------------------------------------------------------------------------

/// Runs every case of a primitive file: the group's key through `from_jwk`, each (msg, sig)
/// through `verify`. Returns the tally; `extra` sees every (case, verified) pair.
fn run_primitive(
    doc: &Value,
    what: &str,
    jwk_of: impl Fn(&Value) -> (Value, bool),
    acceptable: &[(u64, bool)],
    mut extra: impl FnMut(&Value, bool, &mut Failures),
) -> (Tally, usize) {
    let mut failures = Failures::default();
    let mut tally = Tally::default();
    let mut built_from_fields = 0usize;

    for group in groups(doc) {
        let (jwk, from_fields) = jwk_of(group);
        if from_fields {
            built_from_fields += 1;
        }
        let key = VerifyingKey::from_jwk(object(&jwk));
        for t in tests(group) {
            let id = tc_id(t);
            let lbl = label(t);
            let Ok(key) = &key else {
                // A key we refuse: no case of its group may be valid.
                tally.add("key_refused", lbl);
                failures.check(lbl != "valid", || {
                    format!(
                        "tcId {id} ({}): labelled valid but the group key is refused: {}",
                        comment(t),
                        key.as_ref().err().map_or("", String::as_str)
                    )
                });
                continue;
            };
            tally.add("verified", lbl);
            let msg = hex(t["msg"].as_str().expect("msg"));
            let sig = hex(t["sig"].as_str().expect("sig"));
            let ok = key.verify(&msg, &sig);
            let expected = match lbl {
                "valid" => true,
                "invalid" => false,
                _ => match acceptable_choice(acceptable, id) {
                    Some(a) => a,
                    None => {
                        failures.0.push(format!(
                            "tcId {id} ({}): acceptable case without a decision (verify gave \
                             {ok})",
                            comment(t)
                        ));
                        continue;
                    }
                },
            };
            failures.check(ok == expected, || {
                format!(
                    "tcId {id} ({}, flags {}, labelled {lbl}): verify returned {ok}",
                    comment(t),
                    t["flags"]
                )
            });
            extra(t, ok, &mut failures);
        }
    }
    println!(
        "wycheproof {what}: {} | groups whose JWK was built from the key fields: \
         {built_from_fields}",
        tally.summary()
    );
    failures.finish(what);
    assert_eq!(
        tally.total(),
        number_of_tests(doc),
        "{what}: every case is accounted for"
    );
    (tally, built_from_fields)
}

#[test]
fn wycheproof_rsa2048_sha256_primitive() {
    let doc = load("rsa_signature_2048_sha256_test.json");
    let (tally, from_fields) = run_primitive(
        &doc,
        "rsa_signature_2048_sha256_test.json",
        |group| {
            assert_eq!(
                group["keySize"].as_u64(),
                Some(2048),
                "2048-bit groups only"
            );
            if let Some(jwk) = group.get("publicKeyJwk").or_else(|| group.get("keyJwk")) {
                // Cross-check the file's JWK against the raw modulus and exponent.
                let n = hex(group["publicKey"]["modulus"].as_str().expect("modulus"));
                let e = hex(group["publicKey"]["publicExponent"].as_str().expect("e"));
                assert_eq!(
                    jwk["n"].as_str(),
                    Some(b64(strip_leading_zeros(&n)).as_str())
                );
                assert_eq!(
                    jwk["e"].as_str(),
                    Some(b64(strip_leading_zeros(&e)).as_str())
                );
                (jwk.clone(), false)
            } else {
                let n = hex(group["publicKey"]["modulus"].as_str().expect("modulus"));
                let e = hex(group["publicKey"]["publicExponent"].as_str().expect("e"));
                let jwk = json!({
                    "kty": "RSA",
                    "n": b64(strip_leading_zeros(&n)),
                    "e": b64(strip_leading_zeros(&e)),
                });
                (jwk, true)
            }
        },
        RSA2048_ACCEPTABLE,
        |_, _, _| {},
    );
    assert_eq!(from_fields, 0, "every RSA group carries a JWK");
    tally.assert_eq(
        "rsa_signature_2048_sha256_test.json",
        &[
            ("verified", "acceptable", 1),
            ("verified", "invalid", 249),
            ("verified", "valid", 9),
        ],
    );
}

#[test]
fn wycheproof_p256_p1363_primitive() {
    let doc = load("ecdsa_secp256r1_sha256_p1363_test.json");
    let mut high_s_valid = 0usize;
    let (tally, from_fields) = run_primitive(
        &doc,
        "ecdsa_secp256r1_sha256_p1363_test.json",
        |group| {
            let point = hex(group["publicKey"]["uncompressed"].as_str().expect("point"));
            assert_eq!(point.len(), 65, "uncompressed P-256 point");
            assert_eq!(point[0], 4, "uncompressed P-256 point");
            let (x, y) = (b64(&point[1..33]), b64(&point[33..]));
            match group.get("publicKeyJwk") {
                Some(jwk) => {
                    assert_eq!(
                        jwk["x"].as_str(),
                        Some(x.as_str()),
                        "JWK x matches the point"
                    );
                    assert_eq!(
                        jwk["y"].as_str(),
                        Some(y.as_str()),
                        "JWK y matches the point"
                    );
                    (jwk.clone(), false)
                }
                None => (json!({"kty": "EC", "crv": "P-256", "x": x, "y": y}), true),
            }
        },
        P256_ACCEPTABLE,
        |t, ok, failures| {
            let sig = hex(t["sig"].as_str().expect("sig"));
            if label(t) == "valid" && sig.len() == 64 && is_high_s(&sig[32..]) {
                high_s_valid += 1;
                failures.check(ok, || {
                    format!("tcId {}: valid high-S signature refused", tc_id(t))
                });
            }
        },
    );
    println!("wycheproof p256: valid high-S signatures verified: {high_s_valid}");
    assert!(high_s_valid > 0, "the file has valid high-S signatures");
    assert_eq!(from_fields, 9, "groups without publicKeyJwk");
    tally.assert_eq(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        &[("verified", "invalid", 89), ("verified", "valid", 173)],
    );
}

// ---------------------------------------------------------------------------------------------
// RFC 7515 Appendix A.2 and A.3
// ---------------------------------------------------------------------------------------------

/// The payload of every RFC 7515 Appendix A example.
const RFC7515_PAYLOAD: &[u8] =
    b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

#[test]
fn rfc7515_a2_rs256() {
    let jwk = json!({
        "kty": "RSA",
        "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEz\
              P1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63k\
              paSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9k\
              G4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
        "e": "AQAB",
    });
    let token = "eyJhbGciOiJSUzI1NiJ9\
        .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
        .cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5\
        jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1\
        L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYE\
        UipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
    let set = KeySet::from_jwks_json(&jwks(&[&jwk]), MAX_KEYS).expect("RFC 7515 A.2 key loads");
    let payload = verify_compact(token, &set, DEFAULT_MAX_TOKEN_BYTES).expect("A.2 verifies");
    assert_eq!(payload, RFC7515_PAYLOAD);

    // One flipped signature bit must fail (the test is not passing vacuously).
    let mut sig = URL_SAFE_NO_PAD
        .decode(token.rsplit('.').next().expect("signature"))
        .expect("b64");
    sig[10] ^= 1;
    let tampered = format!("{}.{}", &token[..token.rfind('.').expect("dot")], b64(&sig));
    let err = verify_compact(&tampered, &set, DEFAULT_MAX_TOKEN_BYTES).expect_err("tampered");
    assert_eq!(err.reason(), Reason::BadSignature);
}

#[test]
fn rfc7515_a3_es256() {
    let jwk = json!({
        "kty": "EC",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    });
    let token = "eyJhbGciOiJFUzI1NiJ9\
        .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
        .DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    let sig = URL_SAFE_NO_PAD
        .decode(token.rsplit('.').next().expect("signature"))
        .expect("b64");
    assert_eq!(sig.len(), 64);
    assert!(
        is_high_s(&sig[32..]),
        "the RFC's A.3 signature has a high s"
    );

    let set = KeySet::from_jwks_json(&jwks(&[&jwk]), MAX_KEYS).expect("RFC 7515 A.3 key loads");
    let payload = verify_compact(token, &set, DEFAULT_MAX_TOKEN_BYTES).expect("A.3 verifies");
    assert_eq!(payload, RFC7515_PAYLOAD);

    let mut bad = sig.clone();
    bad[0] ^= 1;
    let tampered = format!("{}.{}", &token[..token.rfind('.').expect("dot")], b64(&bad));
    let err = verify_compact(&tampered, &set, DEFAULT_MAX_TOKEN_BYTES).expect_err("tampered");
    assert_eq!(err.reason(), Reason::BadSignature);
}
