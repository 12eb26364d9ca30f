//! [`Explanation`]: why one permission was granted, denied or not granted to one identity,
//! as plain data for support tickets and as one log line (its `Display`).

use std::fmt;

/// The outcome for one permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// A matching rule grants it and no matching rule denies it.
    Granted,
    /// A matching deny rule matches it (whatever grants it).
    Denied,
    /// No matching rule grants it.
    NotGranted,
}

/// Why one permission was granted, denied or not granted to one identity, as plain data for
/// support tickets; its text (`Display` in Rust, `str()` in Python, `text` in Kotlin and Swift)
/// is one log line:
///
/// ```text
/// denied "tool:delete_repo" to "alice": rules[3] "no-deletes-from-leaf": deny "tool:delete_*" (trust_entries: "leaf" matches "leaf*"); overrides rules[2] "admins": grant "tool:*" (roles_any: role "mcp-admin" matches "mcp-admin")
/// ```
///
/// The bindings show two more fields, computed here: `allowed` ([`Explanation::is_allowed`])
/// and `text` (its `Display`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Explanation {
    /// The permission asked about.
    pub permission: String,
    /// The identity's user name.
    pub username: String,
    /// The outcome (the same as the policy's `allows`).
    pub decision: Decision,
    /// The deny that refused it (`denied`) or the first grant that gave it (`granted`).
    pub decided_by: Option<RuleHit>,
    /// For `denied`: the first grant the deny overrode, if any rule granted it.
    pub overridden_grant: Option<RuleHit>,
    /// Every rule whose `match` held for this identity, in policy order.
    pub matched_rules: Vec<RuleRef>,
    /// Rules that matched but granted nothing because of the expansion cap.
    pub capped_rules: Vec<RuleRef>,
}

/// One rule's grant or deny that applied to the permission.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuleHit {
    /// The rule.
    pub rule: RuleRef,
    /// The expanded grant, or the deny glob, that matched the permission.
    pub pattern: String,
    /// The grant template or deny pattern as written in the policy (equal to `pattern` when it
    /// has no template variable).
    pub source: String,
    /// The rule's conditions that held, e.g. `roles_any: role "mcp-dev" matches "mcp-*"`.
    pub conditions: Vec<String>,
}

/// A rule of the policy: its 0-based index in `rules` and its name, if any.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuleRef {
    /// 0-based position in the document's `rules`.
    pub index: usize,
    /// The rule's `name`, when it has one.
    pub name: Option<String>,
}

impl Decision {
    /// The stable snake_case code: `granted`, `denied` or `not_granted`.
    pub const fn code(self) -> &'static str {
        match self {
            Decision::Granted => "granted",
            Decision::Denied => "denied",
            Decision::NotGranted => "not_granted",
        }
    }

    /// True only for [`Decision::Granted`].
    pub const fn is_allowed(self) -> bool {
        matches!(self, Decision::Granted)
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "rules[{}] {n:?}", self.index),
            None => write!(f, "rules[{}]", self.index),
        }
    }
}

impl RuleHit {
    fn write(&self, f: &mut fmt::Formatter<'_>, verb: &str) -> fmt::Result {
        write!(f, "{}: {verb} {:?}", self.rule, self.pattern)?;
        if self.source != self.pattern {
            write!(f, " from {:?}", self.source)?;
        }
        write!(f, " ({})", self.conditions.join(", "))
    }
}

impl Explanation {
    /// True only when the permission is granted.
    pub fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.decision {
            Decision::Granted => "granted",
            Decision::Denied => "denied",
            Decision::NotGranted => "not granted",
        };
        write!(f, "{verb} {:?} to {:?}", self.permission, self.username)?;
        match (&self.decided_by, self.decision) {
            (Some(hit), Decision::Granted) => {
                f.write_str(": ")?;
                hit.write(f, "grant")?;
            }
            (Some(hit), Decision::Denied) => {
                f.write_str(": ")?;
                hit.write(f, "deny")?;
                if let Some(g) = &self.overridden_grant {
                    f.write_str("; overrides ")?;
                    g.write(f, "grant")?;
                }
            }
            _ => {
                f.write_str(": no matching rule grants it")?;
                if self.matched_rules.is_empty() {
                    f.write_str(" (no rule matched)")?;
                } else {
                    let names: Vec<String> =
                        self.matched_rules.iter().map(ToString::to_string).collect();
                    write!(f, " (matched: {})", names.join(", "))?;
                }
            }
        }
        if !self.capped_rules.is_empty() {
            let names: Vec<String> = self.capped_rules.iter().map(ToString::to_string).collect();
            write!(
                f,
                "; over the expansion cap, granting nothing: {}",
                names.join(", ")
            )?;
        }
        Ok(())
    }
}
