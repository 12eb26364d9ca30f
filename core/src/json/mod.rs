//! Strict JSON for untrusted token segments and key documents.
//!
//! `serde_json` keeps the last of two members with the same name; a parser-differential attack
//! relies on exactly that (one library reads the first `alg`, another the last). Here a duplicate
//! member name anywhere in the document is an error. Nesting is bounded by `serde_json`'s own
//! recursion limit (128), so deeply nested input fails fast instead of exhausting the stack.
//!
//! Two readers, one answer. Token headers and payloads are small objects of plain strings,
//! integers and lists, and `serde_json`'s generic machinery costs more than the values it builds,
//! so a small direct reader ([`fast`]) takes the documents made only of that subset: no escape
//! sequence, no negative, fractional, exponent or over-`u64` number, at most
//! 64 levels. Whatever it does not take, for any reason, including every error,
//! goes to the `serde_json` reader with the duplicate check, whose value or error is the answer.
//! The fast reader builds exactly the value `serde_json` builds (the tests and the `json_strict`
//! fuzz target compare both), and only ever hands over, so the refusals (duplicates at any
//! depth, invalid UTF-8, lone surrogates, control characters, trailing data, ...) and their
//! messages are those of the `serde_json` reader.
//!
//! One file per job:
//! - here, the entry points every caller uses: [`parse_strict`], [`parse_object`], [`kind`];
//! - [`strict`]: the reader of record, `serde_json` with the duplicate check;
//! - [`fast`]: the direct reader of the common subset, and [`flat_string_object`] for headers;
//! - [`skim`]: checking an object without building it, and reading its members as text
//!   ([`Raw`]);
//! - [`heap`]: what a parsed value costs a cache in heap bytes ([`heap_of`]).

mod fast;
mod heap;
mod skim;
mod strict;
#[cfg(test)]
mod test_docs;

use serde_json::{Map, Value};

pub(crate) use fast::flat_string_object;
pub(crate) use heap::{heap_of, MAP_ENTRY};
pub(crate) use skim::{skim_object, Raw, RawItems, RawMembers, Skim};

use fast::Fast;
use strict::parse_with_serde;

/// Parses `bytes` as one JSON value, rejecting duplicate member names at any depth, invalid
/// UTF-8 and trailing data. The error text is for messages only.
pub(crate) fn parse_strict(bytes: &[u8]) -> Result<Value, String> {
    match Fast::parse(bytes) {
        Some(value) => Ok(value),
        None => parse_with_serde(bytes),
    }
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
