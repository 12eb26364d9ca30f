//! Heap accounting: what a parsed JSON object costs a cache that holds it, in estimated heap
//! bytes. The [skim](super::skim) adds up the same figure without building the object.

use serde_json::{Map, Value};

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
