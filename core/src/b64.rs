//! Base64url as JWS requires it: one spelling per value.
//!
//! Token segments must be canonical unpadded base64url (RFC 7515 section 2): no `=`, no `+` or
//! `/`, no whitespace, and no non-zero trailing bits, so one token cannot be written several ways
//! (which would break any cache keyed on the token string). Key material in a JWKS is decoded the
//! same way except that trailing `=` padding is tolerated, since some issuers pad.

use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

const STRICT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

const KEY_MATERIAL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(false),
);

/// Decodes one token segment, canonical unpadded base64url only.
pub(crate) fn decode_segment(s: &[u8]) -> Option<Vec<u8>> {
    STRICT.decode(s).ok()
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
