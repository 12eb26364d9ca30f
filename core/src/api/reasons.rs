//! (placeholder: filled by the reasons description work)
