//! [`Permissions`]: what one identity may do, computed once per request and asked many times
//! (one `tools/list` filter, several `tools/call` checks).
//!
//! A granted permission is either concrete (`tool:read_file`) or a glob (`tool:read_*`), and
//! [`Permissions::allows`] treats a granted glob as granting every permission it matches. Deny
//! patterns are kept beside the grants and checked first, so a deny always wins, even inside a
//! granted glob (`tool:*` granted, `tool:delete_*` denied: `tool:delete_repo` is refused).
//!
//! MCP tools follow one convention: calling the tool `NAME` is the permission `tool:NAME`
//! ([`TOOL_PREFIX`]), so `grant: ["tool:read_*"]` lets a caller list and call every tool whose
//! name starts with `read_`.

use std::collections::{BTreeSet, HashSet};
use std::mem::size_of;
use std::sync::{Arc, OnceLock};

use super::glob::{has_wildcard, Glob};
use crate::stats::Counters;

/// The permission prefix of MCP tools: calling tool `NAME` needs permission `tool:NAME`.
pub const TOOL_PREFIX: &str = "tool:";

/// The permission that calling the MCP tool `tool` needs: `tool:<tool>`.
pub fn tool_permission(tool: &str) -> String {
    format!("{TOOL_PREFIX}{tool}")
}

/// The permissions of one identity: granted permissions and globs, and the deny patterns that
/// apply to it. Plain data; build one yourself in a custom
/// [`PermissionMapper`](crate::policy::PermissionMapper) with [`Permissions::new`] or from a
/// `BTreeSet<String>`.
///
/// ```
/// use teleport_jwt::policy::Permissions;
/// let p = Permissions::new(["tool:*", "docs:read"], ["tool:delete_*"]);
/// assert!(p.allows("tool:read_file"));
/// assert!(!p.allows("tool:delete_repo"));       // deny wins over the granted glob
/// assert!(p.allows("docs:read") && !p.allows("docs:write"));
/// assert_eq!(p.filter_tools(["read_file", "delete_repo"]), vec!["read_file"]);
/// ```
#[derive(Clone, Default)]
pub struct Permissions {
    /// Concrete grants as produced (unsorted, maybe repeated, maybe denied): sorting and
    /// filtering wait until someone asks for the set, so a request that only asks `allows`
    /// never pays for them.
    concrete: Vec<String>,
    grant_globs: Vec<Glob>,
    denied: BTreeSet<String>,
    deny_globs: Vec<Glob>,
    capped_rules: Vec<usize>,
    sorted: OnceLock<BTreeSet<String>>,
    /// The counters of the verifier whose `authorize` returned these permissions: each
    /// decision is counted there (see [`crate::stats::Stats::permission_checks_allowed`]).
    decisions: Option<Arc<Counters>>,
}

/// What the permissions are (granted set, denies, capped rules), not how they are stored or
/// whose counters they report to.
impl std::fmt::Debug for Permissions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permissions")
            .field("granted", self.granted())
            .field("denied", &self.denied)
            .field("capped_rules", &self.capped_rules)
            .finish()
    }
}

impl PartialEq for Permissions {
    fn eq(&self, other: &Self) -> bool {
        self.granted() == other.granted() && self.denied == other.denied
    }
}

impl Eq for Permissions {}

/// Consistent with `==`: the granted set and the denies.
impl std::hash::Hash for Permissions {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.granted().hash(state);
        self.denied.hash(state);
    }
}

impl Permissions {
    /// Granted permissions (concrete or globs) and deny patterns (globs). Concrete grants that
    /// a deny pattern matches are left out of [`Permissions::granted`]; granted globs stay
    /// listed, and [`Permissions::allows`] applies the denies to what they match.
    pub fn new<G, D>(granted: G, denied: D) -> Permissions
    where
        G: IntoIterator,
        G::Item: Into<String>,
        D: IntoIterator,
        D::Item: Into<String>,
    {
        let denied: BTreeSet<String> = denied
            .into_iter()
            .map(Into::into)
            .filter(|d| !d.is_empty())
            .collect();
        let deny_globs: Vec<Glob> = denied.iter().map(|d| Glob::new(d.as_str())).collect();
        let mut concrete = Vec::new();
        let mut globs: Vec<String> = Vec::new();
        for g in granted {
            let g: String = g.into();
            if g.is_empty() {
                continue;
            }
            if has_wildcard(&g) {
                globs.push(g);
            } else {
                concrete.push(g);
            }
        }
        // Each glob once, in first-granted order: a hash set, so that thousands of globs (a
        // template over a large trait) cost linear work, not a comparison with every kept one.
        let first: Vec<bool> = {
            let mut seen = HashSet::with_capacity(globs.len());
            globs.iter().map(|g| seen.insert(SameGlob(g))).collect()
        };
        let grant_globs: Vec<Glob> = globs
            .into_iter()
            .zip(first)
            .filter_map(|(g, first)| first.then(|| Glob::new(g)))
            .collect();
        Permissions {
            concrete,
            grant_globs,
            denied,
            deny_globs,
            capped_rules: Vec::new(),
            sorted: OnceLock::new(),
            decisions: None,
        }
    }

    /// Estimated heap bytes behind these permissions (allocator overhead and tree nodes
    /// approximated), counting the sorted set [`Permissions::granted`] builds on first use
    /// whether built yet or not: what the verified-token cache accounts for when `authorize`
    /// stores them on an entry.
    pub(crate) fn heap_estimate(&self) -> usize {
        const SET_ENTRY: usize = size_of::<String>() + 16;
        let strings = |v: &[String]| v.iter().map(String::len).sum::<usize>();
        let globs = |v: &[Glob]| v.iter().map(|g| g.as_str().len()).sum::<usize>();
        let concrete = self.concrete.capacity() * size_of::<String>() + strings(&self.concrete);
        let grant_globs =
            self.grant_globs.capacity() * size_of::<Glob>() + globs(&self.grant_globs);
        let denied = self
            .denied
            .iter()
            .map(|d| SET_ENTRY + d.len())
            .sum::<usize>();
        let deny_globs = self.deny_globs.capacity() * size_of::<Glob>() + globs(&self.deny_globs);
        // `granted()`: at most every concrete grant and every glob, each copied into a node.
        let sorted = (self.concrete.len() + self.grant_globs.len()) * SET_ENTRY
            + strings(&self.concrete)
            + globs(&self.grant_globs);
        concrete
            + grant_globs
            + denied
            + deny_globs
            + self.capped_rules.capacity() * size_of::<usize>()
            + sorted
    }

    pub(crate) fn with_capped_rules(mut self, capped: Vec<usize>) -> Permissions {
        self.capped_rules = capped;
        self
    }

    /// Counts this value's decisions in `counters` (for the permissions `authorize` returns).
    pub(crate) fn counted_in(mut self, counters: Arc<Counters>) -> Permissions {
        self.decisions = Some(counters);
        self
    }

    /// True when `permission` is granted (equal to a granted permission or matched by a granted
    /// glob) and matched by no deny pattern.
    pub fn allows(&self, permission: &str) -> bool {
        let allowed = !self.deny_globs.iter().any(|d| d.matches(permission))
            && (self.concrete.iter().any(|g| g == permission)
                || self.grant_globs.iter().any(|g| g.matches(permission)));
        if let Some(counters) = &self.decisions {
            counters.decided(allowed);
        }
        allowed
    }

    /// The granted permissions and globs, without the concrete ones a deny matches. Granted
    /// globs are listed as written (`tool:read_*`); ask [`Permissions::allows`] for a decision.
    pub fn granted(&self) -> &BTreeSet<String> {
        self.sorted.get_or_init(|| {
            self.concrete
                .iter()
                .filter(|g| !self.deny_globs.iter().any(|d| d.matches(g)))
                .cloned()
                .chain(self.grant_globs.iter().map(|g| g.as_str().to_owned()))
                .collect()
        })
    }

    /// The deny patterns that apply to this identity.
    pub fn denied(&self) -> &BTreeSet<String> {
        &self.denied
    }

    /// The granted set, by value.
    pub fn into_granted(self) -> BTreeSet<String> {
        self.granted();
        self.sorted.into_inner().unwrap_or_default()
    }

    /// True when nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.granted().is_empty()
    }

    /// Indexes of the rules that matched but granted nothing because their expansion was over
    /// [`MAX_EXPANSION_PER_RULE`](crate::policy::MAX_EXPANSION_PER_RULE) (empty normally).
    pub fn capped_rules(&self) -> &[usize] {
        &self.capped_rules
    }

    /// May this identity list and call the MCP tool `tool` (permission `tool:<tool>`)?
    pub fn can_call_tool(&self, tool: &str) -> bool {
        self.allows(&tool_permission(tool))
    }

    /// The tools this identity may list and call, in the order given: filter an MCP
    /// `tools/list` answer with it.
    pub fn filter_tools<S, I>(&self, tools: I) -> Vec<S>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        tools
            .into_iter()
            .filter(|t| self.can_call_tool(t.as_ref()))
            .collect()
    }
}

impl From<BTreeSet<String>> for Permissions {
    fn from(granted: BTreeSet<String>) -> Self {
        Permissions::new(granted, std::iter::empty::<String>())
    }
}

/// A glob's text as the duplicate check compares it: plain string equality and hash, with each
/// comparison counted in tests (the work the check does, asserted without a clock).
#[derive(Hash)]
struct SameGlob<'a>(&'a str);

impl PartialEq for SameGlob<'_> {
    fn eq(&self, other: &Self) -> bool {
        #[cfg(test)]
        tests::COMPARISONS.with(|c| c.set(c.get() + 1));
        self.0 == other.0
    }
}

impl Eq for SameGlob<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Glob comparisons made by the duplicate check on this thread.
        pub(super) static COMPARISONS: Cell<u64> = const { Cell::new(0) };
    }

    /// Finding 7: 1,000 trait values through 50 glob templates are 50,000 granted globs; a
    /// duplicate check that compares each with every kept one made 1.25 billion comparisons
    /// (9.7 s per new token). Each glob is now compared only with equal-hashed ones.
    #[test]
    fn finding_07_duplicate_glob_grants_are_removed_in_linear_work() {
        let values: Vec<String> = (0..1000).map(|i| format!("org{i}")).collect();
        let mut granted: Vec<String> = Vec::new();
        for rule in 0..50 {
            granted.extend(values.iter().map(|v| format!("repo:{v}:r{rule}*")));
        }
        // Every glob granted again by a second rule, and a concrete grant among them.
        let distinct = granted.len();
        granted.extend(values.iter().map(|v| format!("repo:{v}:r0*")));
        granted.push("docs:read".into());

        COMPARISONS.with(|c| c.set(0));
        let p = Permissions::new(granted, ["repo:org7:r3*"]);
        let comparisons = COMPARISONS.with(Cell::get);

        assert!(
            comparisons <= 2 * distinct as u64,
            "{comparisons} comparisons for {distinct} distinct globs"
        );
        // Same answer as before: each glob once, in first-granted order, denies kept aside.
        assert_eq!(p.grant_globs.len(), distinct);
        assert_eq!(p.grant_globs[0].as_str(), "repo:org0:r0*");
        assert_eq!(p.grant_globs[distinct - 1].as_str(), "repo:org999:r49*");
        assert_eq!(p.granted().len(), distinct + 1);
        assert!(p.allows("repo:org5:r49-x") && p.allows("docs:read"));
        assert!(!p.allows("repo:org7:r3x") && !p.allows("repo:org1000:r0"));
    }
}
