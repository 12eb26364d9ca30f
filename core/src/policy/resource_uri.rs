//! Which resource an MCP `resources/read` names: the URI the permission `resource:<uri>` is
//! checked on, or a refusal saying why no permission can name it.
//!
//! The rule, what it refuses and why: [`resource_uri`]. Written once here so that every
//! language's MCP integration (Python's `teleport_jwt.mcp` and `teleport_jwt.fastmcp`, and the
//! next) checks the same resource.

use std::fmt;

/// The permission prefix of MCP resources: reading resource `URI` needs `resource:URI` (a
/// template is listed with `resource:<uriTemplate>`).
pub const RESOURCE_PREFIX: &str = "resource:";

/// Why a resource URI is refused: the decoded URI would differ from the written one in a way
/// no permission pattern can express. Stable codes ([`UriRefusal::code`]), the same in every
/// language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UriRefusal {
    /// A `#fragment`: FastMCP drops it before matching.
    Fragment,
    /// A `?query`: FastMCP drops one its template does not declare, and a declared one is a
    /// parameter outside the permission.
    Query,
    /// `%2F`, `%3F` or `%23`: a `/`, `?` or `#` inside a decoded parameter.
    EncodedDelimiter,
    /// A `.` or `..` path segment, written or encoded.
    DotSegment,
    /// An escape that is still an escape once decoded (`%2570`).
    DoubleEncoding,
    /// A `%` not followed by two hex digits.
    InvalidEscape,
    /// Decoded bytes that are not UTF-8.
    InvalidUtf8,
    /// A `\`, written or `%5C`.
    Backslash,
    /// A control character (U+0000 to U+001F, U+007F), written or encoded.
    ControlCharacter,
    /// A `*`, written or `%2A`.
    Wildcard,
}

impl UriRefusal {
    /// Every refusal, in the order [`resource_uri`] looks for them.
    pub const ALL: [UriRefusal; 10] = [
        UriRefusal::Fragment,
        UriRefusal::Query,
        UriRefusal::InvalidEscape,
        UriRefusal::EncodedDelimiter,
        UriRefusal::InvalidUtf8,
        UriRefusal::ControlCharacter,
        UriRefusal::Backslash,
        UriRefusal::Wildcard,
        UriRefusal::DoubleEncoding,
        UriRefusal::DotSegment,
    ];

    /// The stable code: `fragment`, `query`, `encoded_delimiter`, `dot_segment`,
    /// `double_encoding`, `invalid_escape`, `invalid_utf8`, `backslash`, `control_character`,
    /// `wildcard`.
    pub fn code(self) -> &'static str {
        match self {
            UriRefusal::Fragment => "fragment",
            UriRefusal::Query => "query",
            UriRefusal::EncodedDelimiter => "encoded_delimiter",
            UriRefusal::DotSegment => "dot_segment",
            UriRefusal::DoubleEncoding => "double_encoding",
            UriRefusal::InvalidEscape => "invalid_escape",
            UriRefusal::InvalidUtf8 => "invalid_utf8",
            UriRefusal::Backslash => "backslash",
            UriRefusal::ControlCharacter => "control_character",
            UriRefusal::Wildcard => "wildcard",
        }
    }

    /// What is refused and why, for the caller and the log.
    pub fn describe(self) -> &'static str {
        match self {
            UriRefusal::Fragment => {
                "a URI with a fragment ('#'): the server drops it, so the resource served is not \
                 the one named"
            }
            UriRefusal::Query => {
                "a URI with a query ('?'): the server drops it or passes it as parameters no \
                 permission names"
            }
            UriRefusal::EncodedDelimiter => {
                "a percent-encoded '/', '?' or '#' (%2F, %3F, %23): decoded, it would cross a \
                 boundary of the resource's name"
            }
            UriRefusal::DotSegment => {
                "a '.' or '..' segment (written or encoded): it would resolve to another resource"
            }
            UriRefusal::DoubleEncoding => {
                "a double percent-encoding (%25 followed by two hex digits): it is still encoded \
                 once decoded"
            }
            UriRefusal::InvalidEscape => "a '%' not followed by two hex digits",
            UriRefusal::InvalidUtf8 => "percent-encoded bytes that are not UTF-8",
            UriRefusal::Backslash => {
                "a backslash (written or %5C): a path separator to some servers"
            }
            UriRefusal::ControlCharacter => "a control character (written or encoded, e.g. %00)",
            UriRefusal::Wildcard => {
                "a '*' (written or %2A): a permission pattern cannot name it alone"
            }
        }
    }
}

impl fmt::Display for UriRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused resource URI: the URI as requested and why ([`UriRefusal`]). Its message (for
/// the caller and the log) names the reason, not the URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceUriError {
    reason: UriRefusal,
    uri: String,
}

impl ResourceUriError {
    /// Why.
    pub fn reason(&self) -> UriRefusal {
        self.reason
    }

    /// The URI as requested.
    pub fn uri(&self) -> &str {
        &self.uri
    }
}

impl fmt::Display for ResourceUriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "resource URI refused ({}): {}",
            self.reason.code(),
            self.reason.describe()
        )
    }
}

impl std::error::Error for ResourceUriError {}

/// The URI whose permission a read of `uri` needs: `uri` percent-decoded as the MCP SDKs
/// decode template parameters, its scheme lower-cased; or why it is refused.
///
/// The MCP SDKs do not serve the URI as written. Both the official `mcp` SDK and FastMCP
/// percent-decode every template parameter before the handler sees it (`reports://%70ayroll`
/// reaches the `reports://{name}` handler as `name="payroll"`); FastMCP drops a `#fragment`
/// and a `?query` the template does not declare before matching (`reports://payroll#x` is
/// `payroll`) and resolves `.`/`..` segments; a parameter may hold a decoded `/`
/// (`files://sales-%2F..%2Ffinance-q3` reaches `files://{name}` as `"sales-/../finance-q3"`).
/// A check on the raw text would let a caller read past a deny (`resource:reports://payroll`)
/// or out of a glob grant (`resource:files://sales-*`).
///
/// It therefore decodes the URI as the SDKs decode parameters (every `%XX`, as
/// UTF-8) and lower-cases the scheme (case-insensitive by RFC 3986; FastMCP lower-cases it),
/// so the permission names what the handler is given: `reports://%70ayroll` is checked as
/// `resource:reports://payroll`. It refuses, rather than guesses, every URI whose decoded
/// form would mean something a policy pattern cannot say ([`UriRefusal`] has the list):
///
/// | refused | why |
/// |---|---|
/// | `#` ([`UriRefusal::Fragment`]) | FastMCP drops the fragment: the resource served is not the one written |
/// | `?` ([`UriRefusal::Query`]) | FastMCP drops a query its template does not declare; a declared one is a parameter no permission names |
/// | `%2F`, `%3F`, `%23` ([`UriRefusal::EncodedDelimiter`]) | decoded, the parameter holds a `/`, `?` or `#` the template's pattern never saw |
/// | `.` or `..` segment, written or encoded ([`UriRefusal::DotSegment`]) | resolved by FastMCP, or by the handler's own path join: a glob grant would be escaped |
/// | `%25XX` ([`UriRefusal::DoubleEncoding`]) | still encoded once decoded: a handler that decodes again reads another resource |
/// | `%` without two hex digits ([`UriRefusal::InvalidEscape`]) | not a URI; the SDKs pass it through as text |
/// | bytes that are not UTF-8 ([`UriRefusal::InvalidUtf8`]) | the SDKs replace them with U+FFFD: several URIs, one name |
/// | `\`, written or `%5C` ([`UriRefusal::Backslash`]) | a path separator to Windows and to the SDKs' traversal checks |
/// | control characters, `%00` ([`UriRefusal::ControlCharacter`]) | truncate or split the name in logs and C code |
/// | `*`, written or `%2A` ([`UriRefusal::Wildcard`]) | a permission glob cannot name it alone (globs have no escape) |
///
/// Not here: which resource or template exists (the SDK answers an unknown URI), and what a
/// handler does with its parameters (a handler that folds case or normalises Unicode serves
/// more than one URI under one name; keep such handlers behind a grant that covers them all).
///
/// ```
/// use teleport_jwt::policy::{resource_permission, resource_uri, UriRefusal};
///
/// assert_eq!(resource_uri("reports://%70ayroll").as_deref(), Ok("reports://payroll"));
/// assert_eq!(resource_permission("Reports://payrol%6C").as_deref(), Ok("resource:reports://payroll"));
/// let refused = resource_uri("files://sales-%2F..%2Ffinance-q3").unwrap_err();
/// assert_eq!(refused.reason(), UriRefusal::EncodedDelimiter);
/// assert_eq!(refused.reason().code(), "encoded_delimiter");
/// ```
pub fn resource_uri(uri: &str) -> Result<String, ResourceUriError> {
    let refuse = |reason| ResourceUriError {
        reason,
        uri: uri.to_owned(),
    };
    // Written form: delimiters the SDKs strip, and every escape.
    let raw = uri.as_bytes();
    let mut decoded: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'#' => return Err(refuse(UriRefusal::Fragment)),
            b'?' => return Err(refuse(UriRefusal::Query)),
            b'%' => {
                let byte = match (raw.get(i + 1), raw.get(i + 2)) {
                    (Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h << 4 | l),
                    _ => None,
                }
                .ok_or_else(|| refuse(UriRefusal::InvalidEscape))?;
                if matches!(byte, b'/' | b'?' | b'#') {
                    return Err(refuse(UriRefusal::EncodedDelimiter));
                }
                decoded.push(byte);
                i += 3;
            }
            _ => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    let decoded = String::from_utf8(decoded).map_err(|_| refuse(UriRefusal::InvalidUtf8))?;
    // Decoded form: what the handler is given.
    for c in decoded.chars() {
        if c.is_ascii_control() {
            return Err(refuse(UriRefusal::ControlCharacter));
        }
        if c == '\\' {
            return Err(refuse(UriRefusal::Backslash));
        }
        if c == '*' {
            return Err(refuse(UriRefusal::Wildcard));
        }
    }
    let d = decoded.as_bytes();
    if d.windows(3)
        .any(|w| w[0] == b'%' && hex(w[1]).is_some() && hex(w[2]).is_some())
    {
        return Err(refuse(UriRefusal::DoubleEncoding));
    }
    if decoded.split('/').any(|s| s == "." || s == "..") {
        return Err(refuse(UriRefusal::DotSegment));
    }
    Ok(lowercase_scheme(decoded))
}

/// The permission a read of `uri` needs: `resource:` + [`resource_uri`].
pub fn resource_permission(uri: &str) -> Result<String, ResourceUriError> {
    resource_uri(uri).map(|u| format!("{RESOURCE_PREFIX}{u}"))
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `uri` with its scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`, up to the
/// first `:`) in lower case; unchanged without one.
fn lowercase_scheme(mut uri: String) -> String {
    let Some(colon) = uri.find(':') else {
        return uri;
    };
    let scheme = &uri[..colon];
    let is_scheme = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if is_scheme {
        uri[..colon].make_ascii_lowercase();
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (requested URI, checked URI): what each read is checked on.
    const CHECKED: &[(&str, &str)] = &[
        ("reports://payroll", "reports://payroll"),
        // finding 02: both SDKs decode template parameters.
        ("reports://%70ayroll", "reports://payroll"),
        ("reports://payrol%6C", "reports://payroll"),
        ("reports://payrol%6c", "reports://payroll"),
        ("reports://%70%61%79%72%6F%6C%6C", "reports://payroll"),
        // FastMCP lower-cases the scheme; RFC 3986 makes it case-insensitive.
        ("REPORTS://payroll", "reports://payroll"),
        ("Reports://Payroll", "reports://Payroll"),
        // The same name written two ways is checked once.
        ("reports://pay%20roll", "reports://pay roll"),
        ("reports://pay roll", "reports://pay roll"),
        ("reports://caf%C3%A9", "reports://café"),
        ("reports://café", "reports://café"),
        // Dots that are not segments, and paths without dot segments, stay.
        ("files://sales-q3.tar.gz", "files://sales-q3.tar.gz"),
        ("files://v1..v2", "files://v1..v2"),
        ("files://a/b/c", "files://a/b/c"),
        ("files://a/%2Ehidden", "files://a/.hidden"),
        ("files:///etc", "files:///etc"),
        // Other escapes and characters pass as what they decode to.
        ("reports://100%25", "reports://100%"),
        ("reports://a%2Cb", "reports://a,b"),
        ("reports://a%3Ab", "reports://a:b"),
        ("reports://{name}", "reports://{name}"),
        ("no-scheme", "no-scheme"),
        ("1bad://x", "1bad://x"),
        ("", ""),
    ];

    /// (requested URI, refusal): the URIs no permission can name.
    const REFUSED: &[(&str, UriRefusal)] = &[
        // finding 02: FastMCP drops the fragment and the query.
        ("reports://payroll#x", UriRefusal::Fragment),
        ("reports://payroll#", UriRefusal::Fragment),
        ("reports://payroll?x=1", UriRefusal::Query),
        ("reports://payroll?", UriRefusal::Query),
        ("logs://api?level=error", UriRefusal::Query),
        // finding 02: an encoded '/' escapes `resource:files://sales-*`.
        (
            "files://sales-%2F..%2Ffinance-q3",
            UriRefusal::EncodedDelimiter,
        ),
        (
            "files://sales-%2f..%2ffinance-q3",
            UriRefusal::EncodedDelimiter,
        ),
        ("reports://payroll%2F", UriRefusal::EncodedDelimiter),
        ("reports://payroll%3Fx", UriRefusal::EncodedDelimiter),
        ("reports://payroll%23x", UriRefusal::EncodedDelimiter),
        // Dot segments, written or encoded (FastMCP resolves them; a handler may).
        ("files://sales-/../finance-q3", UriRefusal::DotSegment),
        ("files://a/%2E%2E/b", UriRefusal::DotSegment),
        ("files://a/.%2e/b", UriRefusal::DotSegment),
        ("files://a/./b", UriRefusal::DotSegment),
        ("files://a/..", UriRefusal::DotSegment),
        ("files://..", UriRefusal::DotSegment),
        // Still encoded once decoded.
        ("reports://%2570ayroll", UriRefusal::DoubleEncoding),
        ("reports://%252F", UriRefusal::DoubleEncoding),
        ("reports://%25%37%30ayroll", UriRefusal::DoubleEncoding),
        // Not an escape.
        ("reports://pay%ZZ", UriRefusal::InvalidEscape),
        ("reports://pay%", UriRefusal::InvalidEscape),
        ("reports://pay%4", UriRefusal::InvalidEscape),
        ("reports://pay%%370", UriRefusal::InvalidEscape),
        ("reports://pay%C3", UriRefusal::InvalidUtf8),
        ("reports://pay%FF%FE", UriRefusal::InvalidUtf8),
        ("reports://pay%5Croll", UriRefusal::Backslash),
        ("files://sales-\\..\\finance", UriRefusal::Backslash),
        ("reports://pay%00roll", UriRefusal::ControlCharacter),
        ("reports://pay\nroll", UriRefusal::ControlCharacter),
        ("reports://pay%7Froll", UriRefusal::ControlCharacter),
        ("reports://*", UriRefusal::Wildcard),
        ("reports://pay%2Aroll", UriRefusal::Wildcard),
    ];

    #[test]
    fn finding_02_each_read_is_checked_on_the_uri_served() {
        for (uri, checked) in CHECKED {
            assert_eq!(resource_uri(uri).as_deref(), Ok(*checked), "{uri:?}");
            assert_eq!(
                resource_permission(uri),
                Ok(format!("resource:{checked}")),
                "{uri:?}"
            );
        }
    }

    #[test]
    fn finding_02_uris_no_permission_can_name_are_refused() {
        for (uri, reason) in REFUSED {
            let err = resource_uri(uri).expect_err(uri);
            assert_eq!(err.reason(), *reason, "{uri:?}");
            assert_eq!(err.uri(), *uri);
            assert_eq!(resource_permission(uri), Err(err));
        }
    }

    #[test]
    fn every_refusal_has_a_row_a_code_and_a_description() {
        for reason in UriRefusal::ALL {
            assert!(
                REFUSED.iter().any(|(_, r)| *r == reason),
                "{reason:?} untested"
            );
            assert!(!reason.describe().is_empty());
        }
        let codes: std::collections::BTreeSet<_> =
            UriRefusal::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), UriRefusal::ALL.len());
    }

    #[test]
    fn the_checked_uri_is_a_fixed_point() {
        // Checking the checked URI again gives the same URI: one resource, one name.
        for (_, checked) in CHECKED {
            if !checked.contains('%') {
                assert_eq!(resource_uri(checked).as_deref(), Ok(*checked));
            }
        }
    }

    #[test]
    fn finding_02_the_message_names_the_reason() {
        let err = resource_uri("reports://payroll#x").expect_err("fragment");
        assert_eq!(
            err.to_string(),
            "resource URI refused (fragment): a URI with a fragment ('#'): the server drops it, \
             so the resource served is not the one named"
        );
    }
}
