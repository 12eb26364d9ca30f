//! Loading a [`Policy`] from YAML (feature `yaml`), TOML (feature `toml`) or JSON (always),
//! from a string or a file; errors carry the line and column.
//!
//! YAML is read with `serde_norway` (the maintained fork of `serde_yaml`), TOML with `toml`
//! (spans on every error), JSON with `serde_json`. All three deserialize the same
//! [`PolicyDocument`], whose checks run during deserialization so the parser's position is
//! attached to every error, including "unknown field" and bad templates.

use std::path::Path;

use super::document::PolicyDocument;
use super::error::{refine_position, take_failed_value, PolicyError};
use super::Policy;

/// A policy file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyFormat {
    /// YAML 1.1 (`.yaml`, `.yml`); needs the `yaml` feature (on by default).
    Yaml,
    /// TOML (`.toml`); needs the `toml` feature (on by default).
    Toml,
    /// JSON (`.json`); always available.
    Json,
}

impl PolicyFormat {
    /// The format of a file name by its extension (case-insensitive): `yaml`/`yml`, `toml`,
    /// `json`.
    pub fn from_path(path: &Path) -> Option<PolicyFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "yaml" | "yml" => Some(PolicyFormat::Yaml),
            "toml" => Some(PolicyFormat::Toml),
            "json" => Some(PolicyFormat::Json),
            _ => None,
        }
    }

    /// The format for a name: `yaml`, `toml` or `json` (case-insensitive), for bindings and
    /// command lines.
    pub fn from_name(name: &str) -> Option<PolicyFormat> {
        match name.to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Some(PolicyFormat::Yaml),
            "toml" => Some(PolicyFormat::Toml),
            "json" => Some(PolicyFormat::Json),
            _ => None,
        }
    }
}

impl Policy {
    /// Loads a policy from text in the given format.
    pub fn from_str_as(text: &str, format: PolicyFormat) -> Result<Policy, PolicyError> {
        take_failed_value();
        let parsed = match format {
            PolicyFormat::Yaml => parse_yaml(text),
            PolicyFormat::Toml => parse_toml(text),
            PolicyFormat::Json => parse_json(text),
        };
        let failed = take_failed_value();
        parsed
            .map(Policy::from_checked)
            .map_err(|e| refine_position(e, text, failed))
    }

    /// Loads a policy from YAML text.
    #[cfg(feature = "yaml")]
    pub fn from_yaml_str(text: &str) -> Result<Policy, PolicyError> {
        Policy::from_str_as(text, PolicyFormat::Yaml)
    }

    /// Loads a policy from TOML text.
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Policy, PolicyError> {
        Policy::from_str_as(text, PolicyFormat::Toml)
    }

    /// Loads a policy from JSON text.
    pub fn from_json_str(text: &str) -> Result<Policy, PolicyError> {
        Policy::from_str_as(text, PolicyFormat::Json)
    }

    /// Loads a policy file; the format comes from the extension (`.yaml`, `.yml`, `.toml`,
    /// `.json`). Errors name the file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Policy, PolicyError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let format = PolicyFormat::from_path(path).ok_or_else(|| {
            PolicyError::new("unknown policy file extension (use .yaml, .yml, .toml or .json)")
                .in_origin(origin.clone())
        })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| PolicyError::new(format!("cannot read: {e}")).in_origin(origin.clone()))?;
        Policy::from_str_as(&text, format).map_err(|e| e.in_origin(origin))
    }

    /// A document the deserializer already checked.
    fn from_checked(doc: PolicyDocument) -> Policy {
        Policy {
            doc: std::sync::Arc::new(doc),
        }
    }
}

#[cfg(feature = "yaml")]
fn parse_yaml(text: &str) -> Result<PolicyDocument, PolicyError> {
    serde_norway::from_str(text).map_err(|e| {
        let full = e.to_string();
        match e.location() {
            Some(loc) => {
                let suffix = format!(" at line {} column {}", loc.line(), loc.column());
                let reason = full.strip_suffix(&suffix).unwrap_or(&full);
                PolicyError::at(loc.line(), loc.column(), reason)
            }
            None => PolicyError::new(full),
        }
    })
}

#[cfg(not(feature = "yaml"))]
fn parse_yaml(_: &str) -> Result<PolicyDocument, PolicyError> {
    Err(PolicyError::new(
        "YAML policies need the `yaml` feature of teleport-jwt",
    ))
}

#[cfg(feature = "toml")]
fn parse_toml(text: &str) -> Result<PolicyDocument, PolicyError> {
    toml::from_str(text).map_err(|e| {
        let reason = e.message().trim_end().to_string();
        match e.span() {
            Some(span) => {
                let (line, column) = super::error::line_col(text, span.start);
                PolicyError::at(line, column, reason)
            }
            None => PolicyError::new(reason),
        }
    })
}

#[cfg(not(feature = "toml"))]
fn parse_toml(_: &str) -> Result<PolicyDocument, PolicyError> {
    Err(PolicyError::new(
        "TOML policies need the `toml` feature of teleport-jwt",
    ))
}

fn parse_json(text: &str) -> Result<PolicyDocument, PolicyError> {
    serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let reason = full.strip_suffix(&suffix).unwrap_or(&full);
        if e.line() == 0 {
            PolicyError::new(reason)
        } else {
            PolicyError::at(e.line(), e.column().max(1), reason)
        }
    })
}
