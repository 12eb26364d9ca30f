//! The direct reader of the common subset of JSON (see the [module docs](super)): token
//! headers and payloads of plain strings, non-negative integers, booleans, null, arrays and
//! objects, at most [`FAST_MAX_DEPTH`] levels. It builds exactly the value the
//! [strict reader](super::strict) builds, and hands over (`None`) on anything else, so it
//! never refuses a document itself. Also [`flat_string_object`]: a token header as Teleport
//! writes it, read without building anything.

use serde_json::Value;

#[cfg(doc)]
use super::parse_object;
use super::strict::ObjectBuilder;

/// Most members [`flat_string_object`] takes.
const FLAT_MAX_MEMBERS: usize = 8;

/// The members of a flat object of strings, as [`flat_string_object`] read them, in order.
pub(crate) struct FlatObject<'b> {
    members: [(&'b str, &'b str); FLAT_MAX_MEMBERS],
    len: usize,
}

impl<'b> FlatObject<'b> {
    /// Name and value of each member, in document (and name) order.
    pub(crate) fn members(&self) -> &[(&'b str, &'b str)] {
        self.members.get(..self.len).unwrap_or_default()
    }
}

/// Reads `bytes` without building anything when it is an object of at most
/// [`FLAT_MAX_MEMBERS`] members, every value a string, no escape sequence anywhere, and names in
/// strictly ascending order (so none repeats): a token header as Teleport writes it. `None` for
/// every other document, valid or not, which the caller then reads with [`parse_object`]; for
/// the documents it takes, [`parse_object`] gives exactly these members, as `Value::String`s.
pub(crate) fn flat_string_object(bytes: &[u8]) -> Option<FlatObject<'_>> {
    let mut out = FlatObject {
        members: [("", ""); FLAT_MAX_MEMBERS],
        len: 0,
    };
    Fast::whole(bytes, |p| {
        p.ascending_object(|p, name| {
            (p.peek()? == b'"').then_some(())?;
            let value = p.string()?;
            *out.members.get_mut(out.len)? = (name, value);
            out.len += 1;
            Some(())
        })
    })?;
    Some(out)
}

/// The length of the longest prefix of `s` free of `"`, `\\` and control characters (below
/// 0x20), scanned eight bytes at a time.
fn plain_prefix_len(s: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Non-zero when some byte of `w` is below `n` (n <= 0x80), exactly (no false positive).
    let has_below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS;
    let mut i = 0;
    for chunk in s.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let special =
            has_below(w ^ (ONES * 0x22), 1) | has_below(w ^ (ONES * 0x5c), 1) | has_below(w, 0x20);
        if special != 0 {
            break;
        }
        i += 8;
    }
    i + s
        .get(i..)
        .unwrap_or_default()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(s.len() - i)
}

/// Nesting past which [`Fast`] hands over to `serde_json` (whose own limit is 128).
pub(super) const FAST_MAX_DEPTH: usize = 64;

/// The direct reader of the common subset of JSON (see the module docs). Every method returns
/// `None` to hand the whole document over to the `serde_json` reader: on anything outside the
/// subset, on every error, and on a duplicate member name.
pub(super) struct Fast<'a> {
    /// The whole document, valid UTF-8.
    pub(super) text: &'a str,
    pub(super) pos: usize,
}

impl<'a> Fast<'a> {
    pub(super) fn parse(bytes: &'a [u8]) -> Option<Value> {
        Fast::whole(bytes, |p| p.value(0))
    }

    /// Reads all of `bytes` with `read`: UTF-8, optional whitespace around one value, nothing
    /// after it.
    pub(super) fn whole<T>(
        bytes: &'a [u8],
        read: impl FnOnce(&mut Fast<'a>) -> Option<T>,
    ) -> Option<T> {
        // Checking the whole document at once is what `serde_json` does string by string: any
        // byte sequence that is not UTF-8 is an error in a string and outside one alike.
        let text = std::str::from_utf8(bytes).ok()?;
        let mut p = Fast { text, pos: 0 };
        p.whitespace();
        let value = read(&mut p)?;
        p.whitespace();
        (p.pos == text.len()).then_some(value)
    }

    /// Reads an object, the cursor on its `{`: for each member, `member` is called with its
    /// name and the cursor on its value, and must step over that value. Hands over (`None`) on
    /// anything else, or when `member` does.
    fn object_members(
        &mut self,
        mut member: impl FnMut(&mut Fast<'a>, &'a str) -> Option<()>,
    ) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            (self.peek()? == b'"').then_some(())?;
            let name = self.string()?;
            self.whitespace();
            self.expect(b':')?;
            member(self, name)?;
            self.whitespace();
            match self.peek()? {
                b',' => self.expect(b',')?,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// [`Fast::object_members`] for an object whose member names come in strictly ascending
    /// order (so none repeats); any other order hands over.
    pub(super) fn ascending_object(
        &mut self,
        mut value: impl FnMut(&mut Fast<'a>, &'a str) -> Option<()>,
    ) -> Option<()> {
        let mut last: Option<&str> = None;
        self.object_members(|p, name| {
            if last.is_some_and(|l| l >= name) {
                return None;
            }
            last = Some(name);
            value(p, name)
        })
    }

    /// Reads an array, the cursor on its `[`: `item` is called with the cursor on each item
    /// and must step over it.
    pub(super) fn array_items(
        &mut self,
        mut item: impl FnMut(&mut Fast<'a>) -> Option<()>,
    ) -> Option<()> {
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        loop {
            item(self)?;
            self.whitespace();
            match self.peek()? {
                b',' => self.expect(b',')?,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips JSON whitespace: exactly the four characters `serde_json` skips.
    pub(super) fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips `c` (and the whitespace after it), or hands over.
    pub(super) fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then_some(())?;
        self.pos += 1;
        self.whitespace();
        Some(())
    }

    pub(super) fn value(&mut self, depth: usize) -> Option<Value> {
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(|s| Value::String(s.to_owned())),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    /// A string without escapes or control characters; the cursor is on its opening quote.
    pub(super) fn string(&mut self) -> Option<&'a str> {
        let start = self.pos + 1;
        let rest = self.text.as_bytes().get(start..)?;
        let len = plain_prefix_len(rest);
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.pos = start + len + 1;
        // Both ends are ASCII quotes, so always on character boundaries.
        self.text.get(start..start + len)
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        self.word(word)?;
        Some(value)
    }

    pub(super) fn word(&mut self, word: &str) -> Option<()> {
        let end = self.pos + word.len();
        (self.text.as_bytes().get(self.pos..end)? == word.as_bytes()).then_some(())?;
        self.pos = end;
        Some(())
    }

    /// A non-negative integer that fits in a `u64`, without fraction or exponent: what
    /// `serde_json` reads as `Number::from(u64)`.
    pub(super) fn integer(&mut self) -> Option<Value> {
        let digits = self.text.as_bytes().get(self.pos..)?;
        let len = digits.iter().take_while(|c| c.is_ascii_digit()).count();
        // A leading zero ("01") is invalid JSON; a fraction or exponent makes a float.
        let leading_zero = len > 1 && digits.first() == Some(&b'0');
        if leading_zero || matches!(digits.get(len), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let n = digits.get(..len)?.iter().try_fold(0u64, |n, &d| {
            // At most 19 digits always fit; past that, overflow hands over (serde_json reads
            // such a number as a float).
            if len <= 19 {
                Some(n * 10 + u64::from(d - b'0'))
            } else {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            }
        })?;
        self.pos += len;
        Some(Value::from(n))
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        if depth >= FAST_MAX_DEPTH {
            return None;
        }
        let mut items = Vec::new();
        self.array_items(|p| {
            items.push(p.value(depth + 1)?);
            Some(())
        })?;
        Some(Value::Array(items))
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        if depth >= FAST_MAX_DEPTH {
            return None;
        }
        let mut out = ObjectBuilder::new();
        self.object_members(|p, key| {
            out.admits(key).then_some(())?;
            let value = p.value(depth + 1)?;
            out.insert(key.to_owned(), value);
            Some(())
        })?;
        Some(Value::Object(out.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::strict::parse_with_serde;
    use crate::json::test_docs::*;
    use crate::json::{parse_object, parse_strict};

    /// Every document the fast reader takes, `serde_json` (strict and plain) reads to the same
    /// value; everything else gets exactly the `serde_json` reader's answer.
    #[test]
    fn fast_reader_agrees_with_serde_json() {
        let mut r = Rng(0x2545_f491_4f6c_dd1d);
        let (mut fast, mut total) = (0, 0);
        for round in 0..40_000 {
            let mut doc = String::new();
            value(&mut r, 0, &mut doc);
            let doc = doc.into_bytes();
            let doc = if round % 3 == 0 {
                mutate(&mut r, &doc)
            } else {
                doc
            };
            total += 1;
            let reference = parse_with_serde(&doc);
            match Fast::parse(&doc) {
                Some(v) => {
                    fast += 1;
                    let lax: Value = serde_json::from_slice(&doc).expect("serde_json reads it");
                    assert_eq!(
                        reference.as_ref(),
                        Ok(&v),
                        "{}",
                        String::from_utf8_lossy(&doc)
                    );
                    assert_eq!(lax, v, "{}", String::from_utf8_lossy(&doc));
                }
                None => assert_eq!(parse_strict(&doc), reference),
            }
        }
        assert!(
            fast > total / 5,
            "the fast reader took only {fast} of {total}"
        );
    }

    /// What the flat reader takes, `parse_object` reads as the same members, all strings.
    #[test]
    fn flat_string_object_agrees_with_parse_object() {
        let mut r = Rng(0x51_7cc1_b727_220a);
        let mut taken = 0;
        for round in 0..40_000 {
            let mut doc = String::from("{");
            let n = r.below(FLAT_MAX_MEMBERS + 3);
            let sorted = r.below(3) != 0;
            for i in 0..n {
                if i > 0 {
                    doc.push(',');
                }
                if r.below(8) == 0 {
                    doc.push_str([" ", "\n", "\t", "\r"][r.below(4)]);
                }
                doc.push('"');
                if sorted {
                    doc.push_str(
                        [
                            "alg", "crit", "jku", "jwk", "kid", "typ", "x5c", "x5u", "zip", "zz",
                        ][i],
                    );
                } else {
                    doc.push_str(NAMES[r.below(NAMES.len())]);
                }
                doc.push_str("\":");
                if r.below(8) == 0 {
                    value(&mut r, 3, &mut doc);
                } else {
                    doc.push('"');
                    doc.push_str(STRINGS[r.below(STRINGS.len())]);
                    doc.push('"');
                }
            }
            doc.push('}');
            let doc = doc.into_bytes();
            let doc = if round % 4 == 0 {
                mutate(&mut r, &doc)
            } else {
                doc
            };
            let Some(flat) = flat_string_object(&doc) else {
                continue;
            };
            taken += 1;
            let map = parse_object(&doc).expect("parse_object reads what the flat reader took");
            let members: Vec<(&str, &str)> = map
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().expect("a string member")))
                .collect();
            assert_eq!(
                flat.members(),
                &members[..],
                "{}",
                String::from_utf8_lossy(&doc)
            );
        }
        assert!(taken > 3_000, "the flat reader took only {taken}");
        for doc in [
            &br#"{"alg":"RS256","kid":"k","typ":"JWT"}"#[..],
            br#" { "alg" : "ES256" } "#,
            br#"{}"#,
        ] {
            assert!(
                flat_string_object(doc).is_some(),
                "{}",
                String::from_utf8_lossy(doc)
            );
        }
        for doc in [
            &br#"{"typ":"JWT","alg":"RS256"}"#[..],
            br#"{"alg":"RS256","alg":"RS256"}"#,
            br#"{"alg":"RS256","kid":1}"#,
            br#"{"alg":"R\u0053256"}"#,
            br#"{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","i":"9"}"#,
            br#"{"alg":"RS256"} {}"#,
            br#"["alg"]"#,
            br#"{"alg":"RS256",}"#,
        ] {
            assert!(
                flat_string_object(doc).is_none(),
                "{}",
                String::from_utf8_lossy(doc)
            );
        }
    }

    #[test]
    fn plain_prefix_len_matches_a_byte_by_byte_scan() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"abcXYZ019 -_/:.\x7f\x80\xc3\xa9\xff\"\\\x00\x01\x1f\x20\x21";
        for _ in 0..20_000 {
            let len = r.below(40);
            let plain = r.below(4) != 0;
            let s: Vec<u8> = (0..len)
                .map(|_| {
                    let i = r.below(if plain { 17 } else { alphabet.len() });
                    alphabet[i]
                })
                .collect();
            let naive = s
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(s.len());
            assert_eq!(plain_prefix_len(&s), naive, "{s:?}");
        }
    }

    #[test]
    fn fast_reader_hands_over_what_it_does_not_take() {
        for doc in [
            &br#"{"a":"\u0061"}"#[..],
            br#"{"a":-1}"#,
            br#"{"a":1.5}"#,
            br#"{"a":1e2}"#,
            br#"{"a":18446744073709551616}"#,
            br#"{"a":01}"#,
            br#"{"a":1,"a":2}"#,
            br#"{"b":1,"a":2,"b":3}"#,
            br#"{"a":[1,]}"#,
            br#"{"a":1,}"#,
            b"{\"a\":\"\x01\"}",
            b"{\"a\":\"\xff\"}",
            b"\xef\xbb\xbf{}",
            br#"{} x"#,
            br#""#,
            br#"{"a":tru}"#,
            br#"{"a":nul}"#,
            br#"{"a" 1}"#,
        ] {
            assert!(
                Fast::parse(doc).is_none(),
                "{}",
                String::from_utf8_lossy(doc)
            );
        }
        let deep = format!(
            "{}{}",
            "[".repeat(FAST_MAX_DEPTH + 1),
            "]".repeat(FAST_MAX_DEPTH + 1)
        );
        assert!(Fast::parse(deep.as_bytes()).is_none());
        assert!(parse_strict(deep.as_bytes()).is_ok());
        let ok = format!(
            "{}{}",
            "[".repeat(FAST_MAX_DEPTH),
            "]".repeat(FAST_MAX_DEPTH)
        );
        assert!(Fast::parse(ok.as_bytes()).is_some());
        assert_eq!(
            Fast::parse(b" {\"b\" : [ true , null , 0 ] , \"a\":{ }}\n").unwrap(),
            serde_json::json!({"a": {}, "b": [true, null, 0]})
        );
    }
}
