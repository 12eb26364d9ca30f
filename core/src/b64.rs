//! Base64url as JWS requires it: one spelling per value.
//!
//! Token segments must be canonical unpadded base64url (RFC 7515 section 2): no `=`, no `+` or
//! `/`, no whitespace, and no non-zero trailing bits, so one token cannot be written several ways
//! (which would break any cache keyed on the token string). Key material in a JWKS is decoded the
//! same way except that trailing `=` padding is tolerated, since some issuers pad.
//!
//! Token segments go through a small table-driven decoder that writes into exactly-sized (or
//! caller-provided) memory; its tests check it against the `base64` crate's strict engine,
//! which still decodes the key material.

use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

const KEY_MATERIAL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(false),
);

/// Marks a byte outside the base64url alphabet; every valid entry is below 64.
const INVALID: u8 = 0xff;

/// The value of each base64url character (`A-Z a-z 0-9 - _`), [`INVALID`] for every other byte.
const DECODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0u8;
    while i < 26 {
        t[(b'A' + i) as usize] = i;
        t[(b'a' + i) as usize] = 26 + i;
        i += 1;
    }
    let mut d = 0u8;
    while d < 10 {
        t[(b'0' + d) as usize] = 52 + d;
        d += 1;
    }
    t[b'-' as usize] = 62;
    t[b'_' as usize] = 63;
    t
};

/// The decoded length of a segment of `len` characters; `None` when no canonical unpadded
/// base64url text has that length (`4k + 1`).
pub(crate) fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        1 => None,
        r => Some(len / 4 * 3 + r.saturating_sub(1)),
    }
}

/// Decodes one token segment, canonical unpadded base64url only, into exactly-sized memory.
pub(crate) fn decode_segment(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; decoded_len(s.len())?];
    decode_segment_into(s, &mut out)?;
    Some(out)
}

/// Decodes one token segment (as [`decode_segment`]) into the start of `out`, and returns the
/// decoded length; `None` when the text is not canonical or `out` is too short. On `None` the
/// contents of `out` are unspecified.
pub(crate) fn decode_segment_into(s: &[u8], out: &mut [u8]) -> Option<usize> {
    let n = decoded_len(s.len())?;
    let out = out.get_mut(..n)?;
    let quads = s.len() / 4;
    let (body, tail) = s.split_at(quads * 4);
    let (out_body, out_tail) = out.split_at_mut(quads * 3);
    // OR of every character's value: any INVALID sets a bit no valid value has (0xc0).
    let mut seen = 0u8;
    for (q, o) in body.chunks_exact(4).zip(out_body.chunks_exact_mut(3)) {
        let (a, b, c, d) = (
            DECODE[usize::from(q[0])],
            DECODE[usize::from(q[1])],
            DECODE[usize::from(q[2])],
            DECODE[usize::from(q[3])],
        );
        seen |= a | b | c | d;
        let w = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        o[0] = (w >> 16) as u8;
        o[1] = (w >> 8) as u8;
        o[2] = w as u8;
    }
    // The last 2 or 3 characters carry 1 or 2 bytes; the bits past them must be zero, so that
    // each value has exactly one spelling.
    match (tail, &mut *out_tail) {
        ([], []) => {}
        ([x, y], [o0]) => {
            let (a, b) = (DECODE[usize::from(*x)], DECODE[usize::from(*y)]);
            seen |= a | b;
            if b & 0x0f != 0 {
                return None;
            }
            *o0 = a << 2 | b >> 4;
        }
        ([x, y, z], [o0, o1]) => {
            let (a, b, c) = (
                DECODE[usize::from(*x)],
                DECODE[usize::from(*y)],
                DECODE[usize::from(*z)],
            );
            seen |= a | b | c;
            if c & 0x03 != 0 {
                return None;
            }
            *o0 = a << 2 | b >> 4;
            *o1 = b << 4 | c >> 2;
        }
        _ => return None,
    }
    if seen & 0xc0 != 0 {
        return None;
    }
    Some(n)
}

/// Decodes a JWK member (`n`, `e`, `x`, `y`): base64url, padding tolerated.
pub(crate) fn decode_key_material(s: &str) -> Option<Vec<u8>> {
    KEY_MATERIAL.decode(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_canonical_spellings_are_refused() {
        assert_eq!(decode_segment(b"eyJ9").as_deref(), Some(&b"{\"}"[..]));
        assert!(decode_segment(b"eyJ9=").is_none(), "padding");
        assert!(decode_segment(b"ey+9").is_none(), "standard alphabet");
        assert!(decode_segment(b"ey/9").is_none(), "standard alphabet");
        assert!(decode_segment(b"ey J9").is_none(), "whitespace");
        assert!(decode_segment(b"eyJ9\n").is_none(), "newline");
        // "QQ" is the canonical spelling of "A"; "QR" differs only in trailing bits.
        assert_eq!(decode_segment(b"QQ").as_deref(), Some(&b"A"[..]));
        assert!(decode_segment(b"QR").is_none(), "non-zero trailing bits");
        assert!(decode_segment(b"Q").is_none(), "impossible length");
        assert!(decode_segment(b"QQ.").is_none(), "dot");
        assert!(decode_segment(b"QQ\0").is_none(), "NUL");
        assert!(decode_segment("QQ\u{e9}".as_bytes()).is_none(), "non-ASCII");
        assert_eq!(decode_segment(b"").as_deref(), Some(&b""[..]));
    }

    /// The strict engine of the `base64` crate, the reference the hand-written decoder must
    /// agree with on every input.
    const REFERENCE: GeneralPurpose = GeneralPurpose::new(
        &URL_SAFE,
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(false),
    );

    #[test]
    fn agrees_with_the_reference_engine() {
        // Every byte value alone, in pairs and triples at the end of a quad, then random texts
        // over the alphabet plus a few foreign bytes, of every length up to 70.
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for b in 0..=255u8 {
            inputs.push(vec![b]);
            for prefix in [&b""[..], b"QUFB"] {
                for tail in [
                    vec![b'Q', b],
                    vec![b, b'A'],
                    vec![b'Q', b'Q', b],
                    vec![b'A', b'A', b'A', b],
                ] {
                    inputs.push([prefix, &tail].concat());
                }
            }
        }
        let pool =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_AQgw+/=. \n\xff";
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..70 {
            for _ in 0..200 {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        // Mostly alphabet characters, so that many texts are valid.
                        let i = (state % 1000) as usize;
                        pool[if i < 985 {
                            i % 64
                        } else {
                            64 + i % (pool.len() - 64)
                        }]
                    })
                    .collect();
                inputs.push(text);
            }
        }
        let mut valid = 0;
        for text in &inputs {
            let ours = decode_segment(text);
            assert_eq!(
                ours,
                REFERENCE.decode(text).ok(),
                "{:?}",
                String::from_utf8_lossy(text)
            );
            valid += usize::from(ours.is_some());
            if let Some(v) = &ours {
                let mut exact = vec![0u8; v.len()];
                assert_eq!(decode_segment_into(text, &mut exact), Some(v.len()));
                assert_eq!(&exact, v);
                if !v.is_empty() {
                    let mut short = vec![0u8; v.len() - 1];
                    assert_eq!(decode_segment_into(text, &mut short), None);
                }
            }
        }
        assert!(valid > inputs.len() / 10, "only {valid} valid inputs");
    }

    #[test]
    fn key_material_tolerates_padding_only() {
        assert_eq!(
            decode_key_material("AQAB").as_deref(),
            Some(&[1u8, 0, 1][..])
        );
        assert_eq!(decode_key_material("QQ==").as_deref(), Some(&b"A"[..]));
        assert!(decode_key_material("QR").is_none());
        assert!(decode_key_material("a+b/").is_none());
    }
}
