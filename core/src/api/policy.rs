//! (placeholder: filled by the policy description work)
