//! Signing keys as Teleport makes them: generation, signing, JWK serialisation and `kid`.
//!
//! Teleport's `kid` is base64url (no padding) of SHA-256 over the PKCS#1 `RSAPublicKey` DER
//! (RSA) or over the `SubjectPublicKeyInfo` DER (EC). It is not an RFC 7638 thumbprint.

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair as _, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

use super::MockError;
use crate::alg::Algorithm;

/// The fixed DER prefix of a P-256 `SubjectPublicKeyInfo`: SEQUENCE, AlgorithmIdentifier
/// (id-ecPublicKey, prime256v1) and the BIT STRING header; the 65-byte uncompressed point
/// follows.
pub(crate) const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// How many P-256 keys to try at most when a 31-byte coordinate is wanted (about 1 key in 128
/// has one, so failing is a 1 in e^39 event).
pub(crate) const SHORT_COORDINATE_TRIES: usize = 5000;

/// Teleport's `kid` for an RSA public key: base64url (no padding) of SHA-256 over the PKCS#1
/// `RSAPublicKey` DER of modulus `n` and exponent `e` (big-endian; leading zero bytes are
/// ignored).
///
/// ```
/// # use teleport_jwt::mock::teleport_kid_rsa;
/// // RSAPublicKey { n = 0xC001, e = 65537 } is DER 30 0A 02 03 00 C0 01 02 03 01 00 01.
/// assert_eq!(
///     teleport_kid_rsa(&[0xC0, 0x01], &[0x01, 0x00, 0x01]),
///     "469AeZ_LhhiOsVq60DdBz3E7-KdtkA05Vgfg6BMLOCQ"
/// );
/// ```
pub fn teleport_kid_rsa(n: &[u8], e: &[u8]) -> String {
    kid_of_der(&rsa_pkcs1_der(n, e))
}

/// Teleport's `kid` for a P-256 public key: base64url (no padding) of SHA-256 over the
/// `SubjectPublicKeyInfo` DER (the fixed 26-byte P-256 prefix, then `04 || x || y`).
///
/// The coordinates must be left-padded to 32 bytes (a JWK may carry 31-byte coordinates).
pub fn teleport_kid_ec(x: &[u8; 32], y: &[u8; 32]) -> String {
    let mut spki = Vec::with_capacity(P256_SPKI_PREFIX.len() + 65);
    spki.extend_from_slice(&P256_SPKI_PREFIX);
    spki.push(0x04);
    spki.extend_from_slice(x);
    spki.extend_from_slice(y);
    kid_of_der(&spki)
}

/// base64url (no padding) of SHA-256 over `der`.
fn kid_of_der(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, der).as_ref())
}

pub(crate) use crate::keys::jwk::rsa_pkcs1_der;

/// `bytes` without its leading zero bytes (big-integer bytes, as Go's `big.Int.Bytes`).
pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Reads one DER TLV with the expected tag; returns (contents, rest).
fn der_read(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (len_bytes, after) = rest.split_at(count);
        rest = after;
        len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

/// Splits a PKCS#1 `RSAPublicKey` DER into (n, e), both without leading zero bytes.
pub(crate) fn parse_rsa_pkcs1_der(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (seq, rest) = der_read(der, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (n, seq) = der_read(seq, 0x02)?;
    let (e, seq) = der_read(seq, 0x02)?;
    if !seq.is_empty() {
        return None;
    }
    Some((
        strip_leading_zeros(n).to_vec(),
        strip_leading_zeros(e).to_vec(),
    ))
}

/// The private half of a [`MockKey`].
enum Signer {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A signing key of one CA, with its published JWK members and Teleport `kid`.
pub(crate) struct MockKey {
    signer: Signer,
    kid: String,
    /// The JWK members, in Teleport's order, without `kid`.
    jwk_members: Vec<(&'static str, Value)>,
}

impl std::fmt::Debug for MockKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockKey")
            .field("alg", &self.algorithm())
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl MockKey {
    /// A fresh key for `alg`. With `short_ec_coordinate`, P-256 keys are regenerated until `x`
    /// or `y` has a leading zero byte (published as 31 bytes or fewer).
    pub(crate) fn generate(alg: Algorithm, short_ec_coordinate: bool) -> Result<Self, MockError> {
        match alg {
            Algorithm::RS256 => Self::generate_rsa(),
            Algorithm::ES256 if short_ec_coordinate => {
                for _ in 0..SHORT_COORDINATE_TRIES {
                    let key = Self::generate_ec()?;
                    if key.has_short_coordinate() {
                        return Ok(key);
                    }
                }
                Err(MockError::NoShortCoordinate(SHORT_COORDINATE_TRIES))
            }
            Algorithm::ES256 => Self::generate_ec(),
        }
    }

    fn generate_rsa() -> Result<Self, MockError> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|e| MockError::KeyGeneration(format!("RSA-2048: {e}")))?;
        let pkcs1 = pair.public_key().as_ref();
        let (n, e) = parse_rsa_pkcs1_der(pkcs1).ok_or_else(|| {
            MockError::KeyGeneration("aws-lc-rs returned an unparsable RSAPublicKey".into())
        })?;
        // Hash aws-lc's own DER (not our re-encoding), exactly as Teleport hashes Go's.
        let kid = kid_of_der(pkcs1);
        let jwk_members = vec![
            ("kty", Value::from("RSA")),
            ("alg", Value::from("RS256")),
            ("n", Value::from(URL_SAFE_NO_PAD.encode(&n))),
            ("e", Value::from(URL_SAFE_NO_PAD.encode(&e))),
            ("use", Value::from("sig")),
        ];
        Ok(MockKey {
            signer: Signer::Rsa(pair),
            kid,
            jwk_members,
        })
    }

    fn generate_ec() -> Result<Self, MockError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|e| MockError::KeyGeneration(format!("P-256: {e}")))?;
        let point = pair.public_key().as_ref();
        let (x, y) = split_p256_point(point).ok_or_else(|| {
            MockError::KeyGeneration("aws-lc-rs returned an unexpected P-256 point".into())
        })?;
        let kid = teleport_kid_ec(&x, &y);
        // Teleport writes the coordinates as big-integer bytes: no left padding.
        let jwk_members = vec![
            ("kty", Value::from("EC")),
            ("alg", Value::from("ES256")),
            ("crv", Value::from("P-256")),
            (
                "x",
                Value::from(URL_SAFE_NO_PAD.encode(strip_leading_zeros(&x))),
            ),
            (
                "y",
                Value::from(URL_SAFE_NO_PAD.encode(strip_leading_zeros(&y))),
            ),
            ("use", Value::from("sig")),
        ];
        Ok(MockKey {
            signer: Signer::Ec(pair),
            kid,
            jwk_members,
        })
    }

    /// The algorithm this key signs with.
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self.signer {
            Signer::Rsa(_) => Algorithm::RS256,
            Signer::Ec(_) => Algorithm::ES256,
        }
    }

    /// Teleport's `kid` for this key.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// True when an EC coordinate has a leading zero byte (so it is published shorter).
    fn has_short_coordinate(&self) -> bool {
        match &self.signer {
            Signer::Ec(pair) => {
                let point = pair.public_key().as_ref();
                point.get(1) == Some(&0) || point.get(33) == Some(&0)
            }
            Signer::Rsa(_) => false,
        }
    }

    /// The JWK as Teleport publishes it, with this `kid` member (the real one or `""`).
    pub(crate) fn jwk_json(&self, kid: &str) -> String {
        let mut out = String::from("{");
        for (name, value) in self
            .jwk_members
            .iter()
            .map(|(n, v)| (*n, v.clone()))
            .chain(std::iter::once(("kid", Value::from(kid))))
        {
            if out.len() > 1 {
                out.push(',');
            }
            // Serialising a `&str` and a `Value` built from strings cannot fail.
            out.push_str(&Value::from(name).to_string());
            out.push(':');
            out.push_str(&value.to_string());
        }
        out.push('}');
        out
    }

    /// Signs `message` (the JWS signing input) with this key's algorithm: RSASSA-PKCS1-v1_5
    /// SHA-256, or ECDSA P-256 SHA-256 as 64-byte `r || s`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, MockError> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(|e| MockError::Signing(format!("RS256: {e}")))?;
                Ok(sig)
            }
            Signer::Ec(pair) => {
                let sig = pair
                    .sign(&rng, message)
                    .map_err(|e| MockError::Signing(format!("ES256: {e}")))?;
                Ok(sig.as_ref().to_vec())
            }
        }
    }
}

/// Splits an uncompressed P-256 point `04 || x || y` into its 32-byte coordinates.
pub(crate) fn split_p256_point(point: &[u8]) -> Option<([u8; 32], [u8; 32])> {
    if point.len() != 65 || point[0] != 0x04 {
        return None;
    }
    let x: [u8; 32] = point[1..33].try_into().ok()?;
    let y: [u8; 32] = point[33..65].try_into().ok()?;
    Some((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;

    // Expected values computed independently with Python's hashlib:
    // base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").

    #[test]
    fn kid_rsa_small_hand_computed() {
        // 30 0A | 02 03 00 C0 01 | 02 03 01 00 01
        assert_eq!(
            rsa_pkcs1_der(&[0xC0, 0x01], &[0x01, 0x00, 0x01]),
            [0x30, 0x0A, 0x02, 0x03, 0x00, 0xC0, 0x01, 0x02, 0x03, 0x01, 0x00, 0x01]
        );
        let want = "469AeZ_LhhiOsVq60DdBz3E7-KdtkA05Vgfg6BMLOCQ";
        assert_eq!(teleport_kid_rsa(&[0xC0, 0x01], &[0x01, 0x00, 0x01]), want);
        // Leading zero bytes in the input do not change the encoding.
        assert_eq!(teleport_kid_rsa(&[0, 0, 0xC0, 0x01], &[0, 1, 0, 1]), want);
    }

    #[test]
    fn kid_rsa_long_form_length_hand_computed() {
        // n = 0x80 followed by 255 bytes of 0x11 (2048 bits, high bit set), e = 65537:
        // 30 82 01 0A | 02 82 01 01 00 80 11.. | 02 03 01 00 01
        let mut n = vec![0x80u8];
        n.extend(std::iter::repeat_n(0x11u8, 255));
        let der = rsa_pkcs1_der(&n, &[1, 0, 1]);
        assert_eq!(
            &der[..9],
            &[0x30, 0x82, 0x01, 0x0A, 0x02, 0x82, 0x01, 0x01, 0x00]
        );
        assert_eq!(
            teleport_kid_rsa(&n, &[1, 0, 1]),
            "0Gj2Zch75WI7Nu8YuRhbdT7kHx7ml5XLF_16n0S7pDU"
        );
        assert_eq!(parse_rsa_pkcs1_der(&der), Some((n, vec![1, 0, 1])));
    }

    #[test]
    fn kid_ec_hand_computed() {
        assert_eq!(
            teleport_kid_ec(&[1; 32], &[2; 32]),
            "huYRf41Sa_JrcHW6Ef2V3VVisO5gT2z4JxqFL1Ntoj8"
        );
    }

    #[test]
    fn generated_rsa_kid_matches_components() -> Result<(), MockError> {
        let key = MockKey::generate(Algorithm::RS256, false)?;
        let Signer::Rsa(pair) = &key.signer else {
            panic!("RS256 made a non-RSA key");
        };
        let (n, e) = parse_rsa_pkcs1_der(pair.public_key().as_ref())
            .ok_or(MockError::Signing("unparsable".into()))?;
        assert_eq!(n.len(), 256, "2048-bit modulus without leading zero");
        assert_eq!(e, [1, 0, 1]);
        assert_eq!(key.kid(), teleport_kid_rsa(&n, &e));
        let jwk: Value = serde_json::from_str(&key.jwk_json(key.kid()))?;
        assert_eq!(jwk["e"], "AQAB");
        assert_eq!(jwk["kid"], key.kid());
        Ok(())
    }

    #[test]
    fn generated_ec_kid_is_sha256_of_spki() -> Result<(), MockError> {
        let key = MockKey::generate(Algorithm::ES256, false)?;
        let Signer::Ec(pair) = &key.signer else {
            panic!("ES256 made a non-EC key");
        };
        let spki = pair
            .public_key()
            .as_der()
            .map_err(|e| MockError::Signing(e.to_string()))?;
        assert_eq!(&spki.as_ref()[..26], &P256_SPKI_PREFIX);
        assert_eq!(key.kid(), kid_of_der(spki.as_ref()));
        Ok(())
    }

    #[test]
    fn short_coordinate_key_is_published_short() -> Result<(), MockError> {
        let key = MockKey::generate(Algorithm::ES256, true)?;
        let jwk: Value = serde_json::from_str(&key.jwk_json(""))?;
        let len = |m: &str| {
            URL_SAFE_NO_PAD
                .decode(jwk[m].as_str().unwrap_or_default())
                .map(|v| v.len())
                .unwrap_or(0)
        };
        assert!(len("x") < 32 || len("y") < 32, "{jwk}");
        Ok(())
    }
}
