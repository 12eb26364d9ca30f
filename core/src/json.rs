//! Strict JSON for untrusted token segments and key documents.
//!
//! `serde_json` keeps the last of two members with the same name; a parser-differential attack
//! relies on exactly that (one library reads the first `alg`, another the last). Here a duplicate
//! member name anywhere in the document is an error. Nesting is bounded by `serde_json`'s own
//! recursion limit (128), so deeply nested input fails fast instead of exhausting the stack.
//!
//! Two readers, one answer. Token headers and payloads are small objects of plain strings,
//! integers and lists, and `serde_json`'s generic machinery costs more than the values it builds,
//! so a small direct reader ([`Fast`]) takes the documents made only of that subset: no escape
//! sequence, no negative, fractional, exponent or over-`u64` number, at most
//! [`FAST_MAX_DEPTH`] levels. Whatever it does not take, for any reason, including every error,
//! goes to the `serde_json` reader with the duplicate check, whose value or error is the answer.
//! The fast reader builds exactly the value `serde_json` builds (the tests and the `json_strict`
//! fuzz target compare both), and only ever hands over, so the refusals (duplicates at any
//! depth, invalid UTF-8, lone surrogates, control characters, trailing data, ...) and their
//! messages are those of the `serde_json` reader.

use std::cmp::Ordering;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses `bytes` as one JSON value, rejecting duplicate member names at any depth, invalid
/// UTF-8 and trailing data. The error text is for messages only.
pub(crate) fn parse_strict(bytes: &[u8]) -> Result<Value, String> {
    match Fast::parse(bytes) {
        Some(value) => Ok(value),
        None => parse_with_serde(bytes),
    }
}

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

/// The reader of record: `serde_json` with the duplicate check.
fn parse_with_serde(bytes: &[u8]) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// Parses `bytes` as a strict JSON object (see [`parse_strict`]).
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    match parse_strict(bytes)? {
        Value::Object(map) => Ok(map),
        other => Err(format!("expected a JSON object, found {}", kind(&other))),
    }
}

/// A short name for the JSON type of `v`, for error messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = ObjectBuilder::new();
        while let Some(key) = map.next_key::<String>()? {
            if !out.admits(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate member name {key:?}"
                )));
            }
            let v = map.next_value_seed(StrictValue)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out.finish()))
    }
}

/// Collects the members of one object and tells a repeated name, cheaply for the usual case.
///
/// Members arriving in strictly ascending name order (as Go's encoder, and so Teleport, writes
/// them) cannot repeat a name: each is compared with the last name only, kept in a vector, and
/// the map is built from it in one pass (`BTreeMap` insertion would compare each new name with
/// most of the earlier ones). At the first name out of order the members so far become a map,
/// and every further name is looked up in it.
struct ObjectBuilder {
    ascending: Vec<(String, Value)>,
    unordered: Option<Map<String, Value>>,
}

impl ObjectBuilder {
    fn new() -> ObjectBuilder {
        ObjectBuilder {
            ascending: Vec::new(),
            unordered: None,
        }
    }

    /// False when the object already has a member `key`. Call before [`ObjectBuilder::insert`].
    fn admits(&mut self, key: &str) -> bool {
        if let Some(out) = &self.unordered {
            return !out.contains_key(key);
        }
        match self
            .ascending
            .last()
            .map(|(last, _)| last.as_str().cmp(key))
        {
            None | Some(Ordering::Less) => true,
            Some(Ordering::Equal) => false,
            Some(Ordering::Greater) => {
                let out: Map<String, Value> =
                    std::mem::take(&mut self.ascending).into_iter().collect();
                let new = !out.contains_key(key);
                self.unordered = Some(out);
                new
            }
        }
    }

    /// Adds a member [`ObjectBuilder::admits`] accepted.
    fn insert(&mut self, key: String, value: Value) {
        match &mut self.unordered {
            Some(out) => {
                out.insert(key, value);
            }
            None => {
                if self.ascending.capacity() == 0 {
                    self.ascending.reserve_exact(16);
                }
                self.ascending.push((key, value));
            }
        }
    }

    fn finish(self) -> Map<String, Value> {
        match self.unordered {
            Some(out) => out,
            // Sorted and free of duplicates: `collect` builds the tree in one pass, reusing the
            // vector as its input buffer.
            None => self.ascending.into_iter().collect(),
        }
    }
}

/// Rough per-member overhead of a `Map<String, Value>` beyond the name's bytes.
pub(crate) const MAP_ENTRY: usize =
    std::mem::size_of::<String>() + std::mem::size_of::<Value>() + 16;

/// Estimated heap bytes behind a parsed object (allocator overhead and tree nodes approximated):
/// what a cache holding it accounts for.
pub(crate) fn heap_of(map: &Map<String, Value>) -> usize {
    map.iter()
        .map(|(k, v)| MAP_ENTRY + k.len() + value_heap(v))
        .sum()
}

/// Heap bytes behind one JSON value (its own inline size is counted by its container).
fn value_heap(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
        Value::String(s) => s.len(),
        Value::Array(items) => items
            .iter()
            .map(|i| std::mem::size_of::<Value>() + value_heap(i))
            .sum(),
        Value::Object(m) => heap_of(m),
    }
}

/// A top-level object checked without building it, see [`skim_object`].
pub(crate) struct Skim<'a> {
    /// Each member's name and value, in document (and name) order.
    pub(crate) members: Vec<(&'a str, Raw<'a>)>,
    /// [`heap_of`] the object [`parse_object`] would build.
    pub(crate) heap: usize,
}

/// Checks `bytes` as [`parse_object`] would and hands back its members as text, building
/// nothing, when the document is an object of the fast reader's subset whose members are in
/// strictly ascending name order at every depth (as Go's encoder, and so Teleport, writes
/// them; so no name repeats). `None` for every other document, valid or not, which the caller
/// then reads with [`parse_object`]. What it takes, [`parse_object`] reads to exactly the values
/// the members' [`Raw`] texts hold.
pub(crate) fn skim_object(bytes: &[u8]) -> Option<Skim<'_>> {
    let mut heap = 0;
    let mut members: Vec<(&str, Raw<'_>)> = Vec::with_capacity(16);
    Fast::whole(bytes, |p| {
        p.ascending_object(|p, name| {
            let start = p.pos;
            p.skip(1, &mut heap)?;
            members.push((name, Raw(p.text.get(start..p.pos)?)));
            heap += MAP_ENTRY + name.len();
            Some(())
        })
    })?;
    Some(Skim { members, heap })
}

/// The text of one JSON value that [`skim_object`] checked: of the fast reader's subset (no
/// escape, numbers only non-negative integers that fit a `u64`), object members in ascending
/// name order. Its readers rely on that; on text that is not so they give nothing (no panic).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw<'a>(&'a str);

impl<'a> Raw<'a> {
    /// A short name of the value's JSON type, as [`kind`] names it.
    pub(crate) fn kind(self) -> &'static str {
        match self.0.as_bytes().first() {
            Some(b'"') => "a string",
            Some(b'[') => "an array",
            Some(b'{') => "an object",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            _ => "a number",
        }
    }

    /// The string, when the value is one (no escape to undo in the subset).
    pub(crate) fn as_str(self) -> Option<&'a str> {
        self.0.strip_prefix('"')?.strip_suffix('"')
    }

    /// The number, when the value is one (always a `u64` in the subset).
    pub(crate) fn as_u64(self) -> Option<u64> {
        self.0
            .starts_with(|c: char| c.is_ascii_digit())
            .then(|| self.0.parse().ok())
            .flatten()
    }

    pub(crate) fn is_null(self) -> bool {
        self.0 == "null"
    }

    /// The items, when the value is an array.
    pub(crate) fn items(self) -> Option<RawItems<'a>> {
        let mut p = Fast {
            text: self.0,
            pos: 0,
        };
        p.expect(b'[')?;
        Some(RawItems(p))
    }

    /// The members, when the value is an object.
    pub(crate) fn members(self) -> Option<RawMembers<'a>> {
        let mut p = Fast {
            text: self.0,
            pos: 0,
        };
        p.expect(b'{')?;
        Some(RawMembers(p))
    }

    /// The value itself, built (for messages).
    pub(crate) fn to_value(self) -> Value {
        Fast {
            text: self.0,
            pos: 0,
        }
        .value(0)
        .unwrap_or(Value::Null)
    }
}

/// The items of a [`Raw`] array.
pub(crate) struct RawItems<'a>(Fast<'a>);

impl<'a> Iterator for RawItems<'a> {
    type Item = Raw<'a>;
    fn next(&mut self) -> Option<Raw<'a>> {
        let p = &mut self.0;
        let start = p.pos;
        p.skip(0, &mut 0)?;
        let item = Raw(p.text.get(start..p.pos)?);
        p.whitespace();
        if p.peek() == Some(b',') {
            p.expect(b',')?;
        } else {
            // `]`: the last item; nothing follows.
            p.pos = p.text.len();
        }
        Some(item)
    }
}

/// The members of a [`Raw`] object, in name order.
pub(crate) struct RawMembers<'a>(Fast<'a>);

impl<'a> Iterator for RawMembers<'a> {
    type Item = (&'a str, Raw<'a>);
    fn next(&mut self) -> Option<(&'a str, Raw<'a>)> {
        let p = &mut self.0;
        if p.peek()? != b'"' {
            return None;
        }
        let name = p.string()?;
        p.whitespace();
        p.expect(b':')?;
        let start = p.pos;
        p.skip(0, &mut 0)?;
        let value = Raw(p.text.get(start..p.pos)?);
        p.whitespace();
        if p.peek() == Some(b',') {
            p.expect(b',')?;
        } else {
            p.pos = p.text.len();
        }
        Some((name, value))
    }
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
const FAST_MAX_DEPTH: usize = 64;

/// The direct reader of the common subset of JSON (see the module docs). Every method returns
/// `None` to hand the whole document over to the `serde_json` reader: on anything outside the
/// subset, on every error, and on a duplicate member name.
struct Fast<'a> {
    /// The whole document, valid UTF-8.
    text: &'a str,
    pos: usize,
}

impl<'a> Fast<'a> {
    fn parse(bytes: &'a [u8]) -> Option<Value> {
        Fast::whole(bytes, |p| p.value(0))
    }

    /// Reads all of `bytes` with `read`: UTF-8, optional whitespace around one value, nothing
    /// after it.
    fn whole<T>(bytes: &'a [u8], read: impl FnOnce(&mut Fast<'a>) -> Option<T>) -> Option<T> {
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
    fn ascending_object(
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
    fn array_items(&mut self, mut item: impl FnMut(&mut Fast<'a>) -> Option<()>) -> Option<()> {
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

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips JSON whitespace: exactly the four characters `serde_json` skips.
    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips `c` (and the whitespace after it), or hands over.
    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then_some(())?;
        self.pos += 1;
        self.whitespace();
        Some(())
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
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
    fn string(&mut self) -> Option<&'a str> {
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

    fn word(&mut self, word: &str) -> Option<()> {
        let end = self.pos + word.len();
        (self.text.as_bytes().get(self.pos..end)? == word.as_bytes()).then_some(())?;
        self.pos = end;
        Some(())
    }

    /// Steps over one value as [`Fast::value`] reads it, building nothing, except that object
    /// members must come in strictly ascending name order (a stricter rule than the duplicate
    /// check). Adds to `heap` what [`heap_of`] counts for the value's contents.
    fn skip(&mut self, depth: usize, heap: &mut usize) -> Option<()> {
        match self.peek()? {
            b'{' => {
                if depth >= FAST_MAX_DEPTH {
                    return None;
                }
                self.ascending_object(|p, name| {
                    p.skip(depth + 1, heap)?;
                    *heap += MAP_ENTRY + name.len();
                    Some(())
                })
            }
            b'[' => {
                if depth >= FAST_MAX_DEPTH {
                    return None;
                }
                self.array_items(|p| {
                    p.skip(depth + 1, heap)?;
                    *heap += std::mem::size_of::<Value>();
                    Some(())
                })
            }
            b'"' => {
                *heap += self.string()?.len();
                Some(())
            }
            b't' => self.word("true"),
            b'f' => self.word("false"),
            b'n' => self.word("null"),
            b'0'..=b'9' => self.integer().map(drop),
            _ => None,
        }
    }

    /// A non-negative integer that fits in a `u64`, without fraction or exponent: what
    /// `serde_json` reads as `Number::from(u64)`.
    fn integer(&mut self) -> Option<Value> {
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

    #[test]
    fn duplicate_members_are_rejected_at_any_depth() {
        assert!(parse_strict(br#"{"a":1,"a":2}"#)
            .unwrap_err()
            .contains("duplicate"));
        assert!(parse_strict(br#"{"x":{"b":1,"b":1}}"#).is_err());
        assert!(parse_strict(br#"[{"k":1,"k":1}]"#).is_err());
        assert!(parse_strict(br#"{"a":1,"b":2}"#).is_ok());
    }

    #[test]
    fn duplicates_are_rejected_in_any_member_order() {
        for doc in [
            &br#"{"a":1,"b":2,"a":3}"#[..],
            br#"{"b":1,"a":2,"b":3}"#,
            br#"{"c":1,"b":2,"a":3,"b":4}"#,
            br#"{"a":1,"b":2,"c":3,"c":4}"#,
            br#"{"b":1,"a":2,"c":3,"d":4,"c":5}"#,
            br#"{"x":{"b":1,"a":2,"b":3}}"#,
        ] {
            let e = parse_strict(doc).unwrap_err();
            assert!(e.contains("duplicate member name"), "{e}");
        }
    }

    #[test]
    fn member_order_does_not_change_the_value() {
        for doc in [
            &br#"{"a":1,"b":[true,null],"c":{"y":"z","x":1.5}}"#[..],
            br#"{"c":{"x":1.5,"y":"z"},"b":[true,null],"a":1}"#,
            br#"{"b":[true,null],"c":{"y":"z","x":1.5},"a":1}"#,
            br#"{"a":1,"c":{"x":1.5,"y":"z"},"b":[true,null]}"#,
        ] {
            let strict = parse_strict(doc).unwrap();
            let lax: Value = serde_json::from_slice(doc).unwrap();
            assert_eq!(strict, lax);
        }
        let many: String = (0..40)
            .rev()
            .map(|i| format!("\"k{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let doc = format!("{{{many}}}");
        assert_eq!(
            parse_strict(doc.as_bytes()).unwrap(),
            serde_json::from_str::<Value>(&doc).unwrap()
        );
        assert!(parse_strict(format!("{{{many},\"k7\":0}}").as_bytes()).is_err());
    }

    #[test]
    fn escaped_duplicates_are_duplicates() {
        // "\u0061" is "a": a differential parser trick.
        assert!(parse_strict(br#"{"a":1,"\u0061":2}"#).is_err());
    }

    #[test]
    fn deep_nesting_and_trailing_data_fail() {
        let deep = "[".repeat(10_000);
        assert!(parse_strict(deep.as_bytes()).is_err());
        assert!(parse_strict(br#"{} {}"#).is_err());
        assert!(parse_strict(b"{\"a\":\"\xff\"}").is_err());
    }

    #[test]
    fn objects_only() {
        assert!(parse_object(b"[]").unwrap_err().contains("an array"));
        assert!(parse_object(b"\"x\"").is_err());
        assert!(parse_object(b"{}").unwrap().is_empty());
    }
}

#[cfg(test)]
mod fast_reader_tests {
    use super::*;

    /// A small xorshift generator: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const NAMES: [&str; 8] = ["a", "b", "aud", "exp", "kid", "\\u0061", "r\\u00e9le", "é"];
    const STRINGS: [&str; 16] = [
        "",
        "x",
        "alice",
        "a b",
        "caf\u{e9}",
        "\\\"",
        "\\n",
        "\\ud800",
        "\\ud83d\\ude00",
        "\u{1f600}",
        "mcp+http://127.0.0.1:8000/mcp",
        "0123456789\\u0041bcdef",
        "0123456789abcdef\\\"",
        "r\u{f4}le-\u{e9}t\u{e9}-0123456789",
        "01234567\u{1}89",
        "0123456789abcdef\u{7f}\u{1f}",
    ];
    const NUMBERS: [&str; 14] = [
        "0",
        "7",
        "1700000270",
        "18446744073709551615",
        "18446744073709551616",
        "-1",
        "-0",
        "1.5",
        "1e3",
        "2E-2",
        "01",
        "00",
        "1.",
        "99999999999999999999999",
    ];

    fn value(r: &mut Rng, depth: usize, out: &mut String) {
        let ws = |r: &mut Rng, out: &mut String| {
            if r.below(6) == 0 {
                out.push_str([" ", "\n", "\t", "\r", "  "][r.below(5)]);
            }
        };
        ws(r, out);
        match if depth > 3 { r.below(5) } else { r.below(8) } {
            0 | 1 => {
                out.push('"');
                out.push_str(STRINGS[r.below(STRINGS.len())]);
                out.push('"');
            }
            2 => out.push_str(NUMBERS[r.below(NUMBERS.len())]),
            3 => out.push_str(["true", "false", "null"][r.below(3)]),
            4 => out.push_str(NUMBERS[r.below(4)]),
            5 => {
                out.push('[');
                for i in 0..r.below(4) {
                    if i > 0 {
                        out.push(',');
                    }
                    value(r, depth + 1, out);
                }
                out.push(']');
            }
            _ => {
                out.push('{');
                let sorted = r.below(2) == 0;
                let n = r.below(5);
                for i in 0..n {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(r, out);
                    out.push('"');
                    if sorted {
                        out.push_str(["a", "b", "c", "d", "e"][i]);
                    } else {
                        out.push_str(NAMES[r.below(NAMES.len())]);
                    }
                    out.push('"');
                    ws(r, out);
                    out.push(':');
                    value(r, depth + 1, out);
                }
                out.push('}');
            }
        }
        ws(r, out);
    }

    fn mutate(r: &mut Rng, doc: &[u8]) -> Vec<u8> {
        let mut d = doc.to_vec();
        let noise = b"\"\\,:{}[]0-.eE \x01\x7f\xff\xc3\xa9tn";
        for _ in 0..1 + r.below(2) {
            let at = if d.is_empty() {
                0
            } else {
                r.below(d.len() + 1)
            };
            match r.below(3) {
                0 if at < d.len() => {
                    d.remove(at);
                }
                1 if at < d.len() => d[at] = noise[r.below(noise.len())],
                _ => d.insert(at, noise[r.below(noise.len())]),
            }
        }
        d
    }

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

    /// Every reader of a [`Raw`] text tells what the built value holds.
    fn raw_agrees(raw: Raw<'_>, v: &Value) {
        assert_eq!(raw.kind(), kind(v), "{raw:?}");
        assert_eq!(raw.as_str(), v.as_str(), "{raw:?}");
        assert_eq!(raw.is_null(), v.is_null(), "{raw:?}");
        assert_eq!(raw.as_u64(), v.as_u64(), "{raw:?}");
        assert_eq!(&raw.to_value(), v, "{raw:?}");
        match (raw.items(), v) {
            (Some(items), Value::Array(values)) => {
                let items: Vec<_> = items.collect();
                assert_eq!(items.len(), values.len(), "{raw:?}");
                items
                    .iter()
                    .zip(values)
                    .for_each(|(r, v)| raw_agrees(*r, v));
            }
            (None, Value::Array(_)) => panic!("{raw:?} has no items"),
            (Some(_), _) => panic!("{raw:?} is not an array"),
            (None, _) => {}
        }
        match (raw.members(), v) {
            (Some(members), Value::Object(map)) => {
                let members: Vec<_> = members.collect();
                assert_eq!(members.len(), map.len(), "{raw:?}");
                for ((name, r), (key, v)) in members.iter().zip(map) {
                    assert_eq!(name, key);
                    raw_agrees(*r, v);
                }
            }
            (None, Value::Object(_)) => panic!("{raw:?} has no members"),
            (Some(_), _) => panic!("{raw:?} is not an object"),
            (None, _) => {}
        }
    }

    /// What the skim takes, `parse_object` reads to the same members, values and heap
    /// estimate; what it leaves, `parse_object` still reads (or refuses) on its own.
    #[test]
    fn skim_agrees_with_parse_object() {
        let mut r = Rng(0x3c6e_f372_fe94_f82b);
        let (mut taken, mut objects) = (0, 0);
        for round in 0..40_000 {
            let mut doc = String::from("{");
            for i in 0..r.below(6) {
                if i > 0 {
                    doc.push(',');
                }
                let name = if r.below(4) == 0 {
                    NAMES[r.below(NAMES.len())]
                } else {
                    ["aud", "exp", "iat", "iss", "roles", "sub", "traits"][i]
                };
                doc.push_str(&format!("\"{name}\":"));
                value(&mut r, 1, &mut doc);
            }
            doc.push('}');
            let doc = if round % 4 == 0 {
                mutate(&mut r, doc.as_bytes())
            } else {
                doc.into_bytes()
            };
            let text = String::from_utf8_lossy(&doc);
            let parsed = parse_object(&doc);
            objects += usize::from(parsed.is_ok());
            let Some(skim) = skim_object(&doc) else {
                continue;
            };
            taken += 1;
            let map = parsed.unwrap_or_else(|e| panic!("skimmed {text} but: {e}"));
            assert_eq!(skim.members.len(), map.len(), "{text}");
            for ((name, raw), (key, v)) in skim.members.iter().zip(&map) {
                assert_eq!(name, key, "{text}");
                raw_agrees(*raw, v);
            }
            assert_eq!(skim.heap, heap_of(&map), "{text}");
        }
        assert!(taken > objects / 3, "the skim took {taken} of {objects}");
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
