//! [`Explanation`]: why one permission was granted, denied or not granted to one identity,
//! as plain data for support tickets and as one log line (its `Display`).

use std::fmt;

/// The core's types of the explanation family, from [`crate::describe_explanation!`] (which
/// has their docs): each struct with its stored fields (the computed ones, such as `allowed`,
/// are methods here), and `Decision` with `code()`.
macro_rules! core_explanation_types {
    (
        $(#[$edoc:meta])* enum $enum:ident { $( $(#[$vdoc:meta])* $variant:ident = $code:literal, )* }
        $( $(#[$sdoc:meta])* struct $s:ident { $($fields:tt)* } )*
    ) => {
        $(#[$edoc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $enum {
            $( $(#[$vdoc])* $variant, )*
        }

        impl $enum {
            /// The stable snake_case code: `granted`, `denied` or `not_granted`.
            pub const fn code(self) -> &'static str {
                match self {
                    $( $enum::$variant => $code, )*
                }
            }
        }

        $( core_struct!([$(#[$sdoc])*] $s [] $($fields)*); )*
    };
}

/// One struct of the family: munches its fields, keeping the stored ones.
macro_rules! core_struct {
    ([$($doc:tt)*] $s:ident [$($kept:tt)*]) => {
        $($doc)*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $s {
            $($kept)*
        }
    };
    // A computed field: the core answers it with a method.
    ([$($doc:tt)*] $s:ident [$($kept:tt)*]
        $(#[$fdoc:meta])* $field:ident: $fty:ty = $method:ident(), $($rest:tt)*) => {
        core_struct!([$($doc)*] $s [$($kept)*] $($rest)*);
    };
    ([$($doc:tt)*] $s:ident [$($kept:tt)*]
        $(#[$fdoc:meta])* $field:ident: $fty:ty, $($rest:tt)*) => {
        core_struct!([$($doc)*] $s [$($kept)* $(#[$fdoc])* pub $field: $fty,] $($rest)*);
    };
}

crate::describe_explanation!(core_explanation_types);

impl Decision {
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
