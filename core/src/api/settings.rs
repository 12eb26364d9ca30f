//! (placeholder: filled by the settings description work)
