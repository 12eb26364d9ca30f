//! (placeholder: filled by the mock description work)
