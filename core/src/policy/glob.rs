//! Glob patterns: `*` matches any run of characters (also none, also `:`), `?` matches exactly
//! one character, everything else matches itself, case-sensitively.
//!
//! Deliberately no character classes, no braces and no escapes: role names, user names,
//! cluster names and permissions never need them, and a grammar with nothing to get wrong
//! cannot fail at request time. Hand-written (about 30 lines of matching) instead of `globset`,
//! which would pull in `regex` for features this grammar does not have.

use std::fmt;

/// A compiled glob. Patterns without wildcards compare by equality; `prefix*` and `*` take fast
/// paths; everything else runs a backtracking matcher that is O(pattern × text) at worst (no
/// regex, no recursion).
///
/// ```
/// use teleport_jwt::policy::Glob;
/// let g = Glob::new("tool:read_*");
/// assert!(g.matches("tool:read_file"));
/// assert!(!g.matches("tool:write_file"));
/// assert!(Glob::new("mcp-?").matches("mcp-1"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Glob {
    source: String,
    kind: Kind,
    /// Byte lengths of the literal text before the first and after the last wildcard, for a
    /// quick reject before the general matcher runs.
    prefix: usize,
    suffix: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// No wildcard: equality.
    Exact,
    /// `*` alone: everything.
    Any,
    /// `literal*` with no other wildcard: prefix test.
    Prefix,
    /// Anything else.
    General,
}

/// True when `s` contains a glob wildcard (`*` or `?`).
pub fn has_wildcard(s: &str) -> bool {
    s.bytes().any(|b| b == b'*' || b == b'?')
}

impl Glob {
    /// Compiles a pattern. Every string is a valid pattern; emptiness is checked by the policy
    /// loader, not here.
    pub fn new(pattern: impl Into<String>) -> Glob {
        let source = pattern.into();
        let kind = if !has_wildcard(&source) {
            Kind::Exact
        } else if source == "*" {
            Kind::Any
        } else if source.ends_with('*') && !has_wildcard(&source[..source.len() - 1]) {
            Kind::Prefix
        } else {
            Kind::General
        };
        let prefix = source.find(['*', '?']).unwrap_or(source.len());
        let suffix = source
            .rfind(['*', '?'])
            .map_or(source.len(), |i| source.len() - i - 1);
        Glob {
            source,
            kind,
            prefix,
            suffix,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the pattern has a wildcard, i.e. may match more than one string.
    pub fn is_wildcard(&self) -> bool {
        self.kind != Kind::Exact
    }

    /// True when `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        match self.kind {
            Kind::Exact => self.source == text,
            Kind::Any => true,
            Kind::Prefix => text.starts_with(&self.source[..self.source.len() - 1]),
            Kind::General => {
                let s = self.source.as_bytes();
                let t = text.as_bytes();
                t.len() >= self.prefix + self.suffix
                    && t.starts_with(&s[..self.prefix])
                    && t.ends_with(&s[s.len() - self.suffix..])
                    && wildcard_match(&self.source, text)
            }
        }
    }
}

/// Classic greedy matching with one backtrack point (the last `*`): O(pattern × text) in the
/// worst case, no recursion. Works on bytes when both sides are ASCII (no allocation), on chars
/// otherwise so that `?` is one character, not one byte.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        match_slices(pattern.as_bytes(), text.as_bytes(), b'*', b'?')
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        match_slices(&p, &t, '*', '?')
    }
}

fn match_slices<T: Copy + PartialEq>(p: &[T], t: &[T], star: T, one: T) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None; // (pattern index after '*', text index)
    while ti < t.len() {
        match p.get(pi) {
            Some(&c) if c == star => {
                pi += 1;
                backtrack = Some((pi, ti));
            }
            Some(&c) if c == one || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match backtrack {
                Some((sp, st)) => {
                    pi = sp;
                    ti = st + 1;
                    backtrack = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == star)
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.source)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let rows: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("abc", "ab", false),
            ("*", "", true),
            ("*", "anything:at:all", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ba", false),
            ("*c", "abc", true),
            ("*c", "abd", false),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b*", "xxbxxaxx", false),
            ("tool:read_*", "tool:read_file", true),
            ("tool:*_file", "tool:read_file", true),
            ("tool:*_file", "tool:read_files", false),
            ("**", "x", true),
            ("?", "", false),
            ("", "", true),
            ("", "x", false),
        ];
        for &(p, t, want) in rows {
            assert_eq!(Glob::new(p).matches(t), want, "{p:?} vs {t:?}");
            assert_eq!(wildcard_match(p, t), want, "general {p:?} vs {t:?}");
        }
    }

    #[test]
    fn pathological_pattern_is_not_exponential() {
        let text = "a".repeat(5000);
        let pat = format!("{}b", "*a".repeat(50));
        assert!(!Glob::new(pat).matches(&text));
    }
}
