//! The reader of record: `serde_json` with a duplicate-member check at every depth. Its value
//! or error is the answer for every document the [fast reader](super::fast) hands over.
//!
//! [`ObjectBuilder`] collects an object's members and tells a repeated name; the fast reader
//! builds its objects with it too, so both readers refuse and order members alike.

use std::cmp::Ordering;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The reader of record: `serde_json` with the duplicate check.
pub(super) fn parse_with_serde(bytes: &[u8]) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
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
pub(super) struct ObjectBuilder {
    ascending: Vec<(String, Value)>,
    unordered: Option<Map<String, Value>>,
}

impl ObjectBuilder {
    pub(super) fn new() -> ObjectBuilder {
        ObjectBuilder {
            ascending: Vec::new(),
            unordered: None,
        }
    }

    /// False when the object already has a member `key`. Call before [`ObjectBuilder::insert`].
    pub(super) fn admits(&mut self, key: &str) -> bool {
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
    pub(super) fn insert(&mut self, key: String, value: Value) {
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

    pub(super) fn finish(self) -> Map<String, Value> {
        match self.unordered {
            Some(out) => out,
            // Sorted and free of duplicates: `collect` builds the tree in one pass, reusing the
            // vector as its input buffer.
            None => self.ascending.into_iter().collect(),
        }
    }
}
