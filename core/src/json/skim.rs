//! Checking a top-level object without building it ([`skim_object`]), and reading the
//! members it checked as text ([`Raw`]): the claim set of a token is built as a map only if
//! someone asks for it. What the skim takes, [`parse_object`] reads to exactly the values the
//! [`Raw`] texts hold, and the heap figure is [`heap_of`]'s.

use serde_json::Value;

use super::fast::{Fast, FAST_MAX_DEPTH};
use super::heap::MAP_ENTRY;
#[cfg(doc)]
use super::{heap_of, kind, parse_object};

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

impl<'a> Fast<'a> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::test_docs::*;
    use crate::json::{heap_of, kind, parse_object};

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
}
