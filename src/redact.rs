//! What sselink lets into logs and messages: URLs without their userinfo and
//! with every query value hidden, and a filter for the log records of
//! sselink and its dependencies that keeps credentials out of them.
//!
//! # What the `log` records of a stream may carry
//!
//! sselink's own records (targets `sselink::*`) never carry a header value,
//! a query value, URL userinfo or a body. Its dependencies log under these
//! targets (for the ureq and ureq-proto versions sselink is built with):
//!
//! | target | what it logs | the filter |
//! |---|---|---|
//! | `ureq_proto::util` | the raw bytes of every request and response, headers and bodies included, at trace | dropped |
//! | `ureq_proto::client`, `ureq_proto::client::*`, `ureq_proto::ext`, `ureq_proto::server` | protocol state dumps that hold whole requests | dropped |
//! | `ureq::run` | each request and response: the URL (with its query at trace), non-sensitive headers, a redirect's Location | URLs and Location rewritten |
//! | `ureq::pool`, `ureq::body`, `ureq::util`, `ureq::error`, `ureq::unversioned::*`, `ureq::tls::rustls` | connection pool keys, addresses, TLS set-up | URLs rewritten |
//! | `rustls::*`, `rustls_platform_verifier::*` | the TLS handshake (no HTTP data) | URLs rewritten |
//!
//! Any other target is dropped by the filter. A Rust program that installs
//! its own logger can wrap it in [`RedactingLogger`] to apply the same rule,
//! or silence `ureq` and `ureq_proto` (level `off`, or at most `info`, where
//! neither logs anything) in its logger's configuration.

use std::borrow::Cow;

use url::Url;

/// `url` as it may be logged or shown: scheme, host, port and path, the
/// query's parameter names with each value replaced by `***`, and no
/// userinfo or fragment. Nothing of a password or a query value is shown,
/// whatever the text holds:
///
/// - text that does not parse as a URL is cut at the first `?` or `#` and
///   loses anything before an `@` in its authority;
/// - when an `@` comes after the authority (in the path, query or
///   fragment), the userinfo may have run past an unencoded `/`, `?` or `#`
///   (`http://alice:pa/ss@host`), so only the scheme is shown:
///   `http://***`;
/// - text without `scheme://` is shown only when it holds no `@` and, before
///   any `/`, no `:` followed by anything but a port number.
pub fn url_for_logs(url: &str) -> String {
    let Some(authority_start) = authority_start(url) else {
        return no_authority(url);
    };
    let prefix = &url[..authority_start];
    if !is_known_scheme(prefix.strip_suffix("://").unwrap_or_default()) {
        // `alice://@host`: a user name followed by a password that starts
        // with `//` reads as a scheme.
        return hidden("");
    }
    let rest = &url[authority_start..];
    let authority_end = rest.find(AUTHORITY_END).unwrap_or(rest.len());
    if rest[authority_end..].contains('@') {
        return hidden(prefix);
    }
    match Url::parse(url) {
        Ok(parsed) if parsed.has_host() => redacted(&parsed),
        _ => unparsed(prefix, &rest[..authority_end], &rest[authority_end..]),
    }
}

/// The characters that end an authority, as the URL standard reads them
/// for http and https.
const AUTHORITY_END: [char; 4] = ['/', '?', '#', '\\'];

/// Where the authority starts: after `scheme://`, or after `//` at the
/// start (a reference to another host).
fn authority_start(text: &str) -> Option<usize> {
    if text.starts_with("//") {
        return Some(2);
    }
    let colon = text.find(':')?;
    let scheme = &text[..colon];
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    (is_scheme && text[colon..].starts_with("://")).then_some(colon + 3)
}

/// True for the schemes shown: those a URL given to sselink may name
/// (any other word before `://` may be a user name).
fn is_known_scheme(scheme: &str) -> bool {
    const KNOWN: [&str; 12] = [
        "", "http", "https", "ws", "wss", "ftp", "file", "socks", "socks4", "socks4a", "socks5",
        "socks5h",
    ];
    KNOWN.iter().any(|known| scheme.eq_ignore_ascii_case(known))
}

/// Only the scheme (or nothing) of text that may hide a password.
fn hidden(prefix: &str) -> String {
    format!("{}***", prefix.escape_debug())
}

/// Text without an authority: a relative reference such as `/moved?x=1`,
/// or something that is not a URL.
fn no_authority(text: &str) -> String {
    if text.contains('@') {
        return hidden("");
    }
    let end = text.find(['?', '#']).unwrap_or(text.len());
    let before = &text[..end];
    if !before.starts_with('/') && looks_like_userinfo(before) {
        return hidden("");
    }
    let mut out = before.escape_debug().to_string();
    if end < text.len() {
        out.push_str("?***");
    }
    out
}

/// True when `text`, up to its first `/`, holds a `:` followed by anything
/// but digits: `alice:secret` rather than `localhost:3128`.
fn looks_like_userinfo(text: &str) -> bool {
    let head = text.split('/').next().unwrap_or_default();
    head.split_once(':')
        .is_some_and(|(_, after)| !after.chars().all(|c| c.is_ascii_digit()))
}

/// Text with an authority that does not parse: the authority less its
/// userinfo, the path, and `?***` for whatever followed a `?` or `#`.
fn unparsed(prefix: &str, authority: &str, after: &str) -> String {
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if !host.starts_with('[') && looks_like_userinfo(host) {
        return hidden(prefix);
    }
    let end = after.find(['?', '#']).unwrap_or(after.len());
    let mut out = format!("{prefix}{host}{}", &after[..end]);
    if end < after.len() {
        out.push_str("?***");
    }
    out.escape_debug().to_string()
}

/// A parsed URL as [`url_for_logs`] shows it.
pub(crate) fn redacted(url: &Url) -> String {
    let spilled = |part: Option<&str>| part.is_some_and(|p| p.contains('@'));
    if !url.has_host() || !is_known_scheme(url.scheme()) {
        // `alice:secret@host` parses with `alice` as its scheme.
        return "***".into();
    }
    let mut out = String::with_capacity(url.as_str().len());
    out.push_str(url.scheme());
    out.push_str("://");
    if spilled(Some(url.path())) || spilled(url.query()) || spilled(url.fragment()) {
        // The userinfo may have run past an unencoded delimiter.
        out.push_str("***");
        return out;
    }
    if let Some(host) = url.host_str() {
        out.push_str(host);
    }
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(url.path());
    if let Some(query) = url.query() {
        out.push('?');
        push_redacted_query(&mut out, query);
    }
    out
}

/// Each `name=value` as `name=***`; a pair without `=` may be a bare key,
/// so it is `***` whole.
fn push_redacted_query(out: &mut String, query: &str) {
    for (n, pair) in query.split('&').enumerate() {
        if n > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) => {
                out.push_str(name);
                out.push_str("=***");
            }
            None if pair.is_empty() => {}
            None => out.push_str("***"),
        }
    }
}

/// What the filter does with the records of one target.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Treatment {
    /// Forwarded with every URL, and ureq's Location values, rewritten.
    Rewrite,
    /// Never forwarded: the records carry raw bytes or whole requests.
    Drop,
}

/// Every target sselink and its dependencies log under, for the versions in
/// Cargo.lock. A target matches an entry equal to it or below it (`a::b`
/// matches `a`); the longest entry wins.
const TARGETS: [(&str, Treatment); 17] = [
    ("sselink", Treatment::Rewrite),
    ("rustls", Treatment::Rewrite),
    ("rustls_platform_verifier", Treatment::Rewrite),
    ("ureq::run", Treatment::Rewrite),
    ("ureq::pool", Treatment::Rewrite),
    ("ureq::body", Treatment::Rewrite),
    ("ureq::util", Treatment::Rewrite),
    ("ureq::error", Treatment::Rewrite),
    ("ureq::unversioned::transport", Treatment::Rewrite),
    ("ureq::unversioned::resolver", Treatment::Rewrite),
    ("ureq::tls::rustls", Treatment::Rewrite),
    ("ureq_proto::util", Treatment::Drop),
    ("ureq_proto::client", Treatment::Drop),
    ("ureq_proto::ext", Treatment::Drop),
    ("ureq_proto::server", Treatment::Drop),
    ("ureq", Treatment::Drop),
    ("ureq_proto", Treatment::Drop),
];

fn treatment(target: &str) -> Option<Treatment> {
    TARGETS
        .iter()
        .filter(|(known, _)| {
            target == *known
                || target
                    .strip_prefix(known)
                    .is_some_and(|rest| rest.starts_with("::"))
        })
        .max_by_key(|(known, _)| known.len())
        .map(|(_, treatment)| *treatment)
}

/// True when `target` is one the filter knows, by name or as a module below
/// one it names (the catch-all `ureq` and `ureq_proto` entries aside, which
/// drop modules not listed one by one).
pub fn is_known_log_target(target: &str) -> bool {
    TARGETS
        .iter()
        .filter(|(known, _)| !matches!(*known, "ureq" | "ureq_proto"))
        .any(|(known, _)| {
            target == *known
                || target
                    .strip_prefix(known)
                    .is_some_and(|rest| rest.starts_with("::"))
        })
}

/// The message of a log record as it may be shown: `None` when the record
/// must not be forwarded at all (raw bytes or whole requests, or a target the
/// filter does not know), otherwise the message with every URL rewritten by
/// [`url_for_logs`], ureq's Location values hidden the same way, and any
/// other word holding an `@` cut to what follows its last `@` (ureq shows a
/// connection's authority, whose userinfo it masks but for one letter).
pub fn redact_log_message<'m>(target: &str, message: &'m str) -> Option<Cow<'m, str>> {
    match treatment(target)? {
        Treatment::Drop => None,
        Treatment::Rewrite => Some(without_userinfo(rewrite_urls(rewrite_locations(
            Cow::Borrowed(message),
        )))),
    }
}

/// Characters that may close a URL written inside other text, such as a
/// Debug dump (`Some(http://h/p?x=1),`): kept out of the URL when they end
/// it. They cannot carry a secret of their own.
const CLOSERS: &[char] = &[',', ';', ')', ']', '}', '>', '"', '\'', '`'];

/// Characters that may open a URL written inside other text (`(http://h)`,
/// `"http://h"`): kept before it when nothing else stands between them and
/// the word's start.
const OPENERS: &[char] = &['(', '[', '{', '<', '"', '\'', '`'];

/// Every `scheme://...` in `text`, up to the next whitespace, rewritten.
/// A URL ends only at whitespace: `,` `)` `]` `}` and the like are legal
/// inside one, query values included. It starts at its scheme when only
/// [`OPENERS`] precede that in its word; otherwise the whole word is taken
/// as the URL, since what precedes may be userinfo (`//alice:://@host`,
/// `alice(http://@host`).
fn rewrite_urls(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text.contains("://") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = rest.find("://") {
        let scheme_start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .map_or(0, |p| p + 1);
        let word_start = rest[..at]
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(p, c)| p + c.len_utf8());
        let lead = &rest[word_start..scheme_start];
        let start = if lead.chars().all(|c| OPENERS.contains(&c)) {
            scheme_start
        } else {
            word_start
        };
        let end = rest[at..]
            .find(char::is_whitespace)
            .map_or(rest.len(), |p| at + p);
        let candidate = &rest[start..end];
        let url = candidate.trim_end_matches(CLOSERS);
        out.push_str(&rest[..start]);
        out.push_str(&url_for_logs(url));
        // After a query or a fragment the closers may end its last value
        // (`?filter=eq(owner,'secret')`): they are dropped, never shown.
        if !url.contains(['?', '#']) {
            out.push_str(&candidate[url.len()..]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// ureq shows a response's Location (at trace), which may be a relative
/// reference with a query: `"location": "..."` values are rewritten as
/// URLs. The value is Debug-escaped, so `\"` does not end it.
fn rewrite_locations(text: Cow<'_, str>) -> Cow<'_, str> {
    const KEY: &str = "\"location\": \"";
    if !text.contains(KEY) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = rest.find(KEY) {
        let value_start = at + KEY.len();
        let value_end = closing_quote(&rest[value_start..]).map_or(rest.len(), |p| value_start + p);
        out.push_str(&rest[..value_start]);
        out.push_str(&url_for_logs(&rest[value_start..value_end]));
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The position of the first `"` in `text` that no backslash escapes.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

/// Every word of `text` that holds an `@` loses what precedes its last
/// `@` (past any opening bracket or quote): userinfo outside a URL, such as
/// ureq's `u*****:******@host:80`. URLs are rewritten before, and their
/// rewriting leaves no `@`.
fn without_userinfo(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text.contains('@') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..word_end];
        match word.rfind('@') {
            Some(at) => {
                let opened = word.len()
                    - word
                        .trim_start_matches(['(', '[', '{', '<', '"', '\''])
                        .len();
                out.push_str(&word[..opened]);
                // A query or fragment is cut as a URL's is; an `@` in one
                // hides the whole word.
                let cut = word.find(['?', '#']).unwrap_or(word.len());
                if at >= cut {
                    out.push_str("***");
                } else {
                    out.push_str(&word[at + 1..cut]);
                    if cut < word.len() {
                        out.push_str("?***");
                    }
                }
            }
            None => out.push_str(word),
        }
        let space_end = rest[word_end..]
            .find(|c: char| !c.is_whitespace())
            .map_or(rest.len(), |p| word_end + p);
        out.push_str(&rest[word_end..space_end]);
        rest = &rest[space_end..];
    }
    Cow::Owned(out)
}

/// A logger that applies [`redact_log_message`] to every record before
/// handing it to the logger it wraps: records that could carry a credential
/// are dropped, URLs lose their userinfo and query values.
///
/// ```
/// struct Stderr;
/// impl log::Log for Stderr {
///     fn enabled(&self, _: &log::Metadata) -> bool { true }
///     fn log(&self, record: &log::Record) { eprintln!("{} {}", record.target(), record.args()) }
///     fn flush(&self) {}
/// }
/// static LOGGER: sselink::redact::RedactingLogger<Stderr> =
///     sselink::redact::RedactingLogger::new(Stderr);
///
/// log::set_logger(&LOGGER).unwrap();
/// log::set_max_level(log::LevelFilter::Debug);
/// ```
#[derive(Debug)]
pub struct RedactingLogger<L> {
    inner: L,
}

impl<L: log::Log> RedactingLogger<L> {
    /// Wraps `inner`; usable in a `static`.
    pub const fn new(inner: L) -> RedactingLogger<L> {
        RedactingLogger { inner }
    }
}

impl<L: log::Log> log::Log for RedactingLogger<L> {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        treatment(metadata.target()) == Some(Treatment::Rewrite) && self.inner.enabled(metadata)
    }

    fn log(&self, record: &log::Record) {
        let message = record.args().to_string();
        let Some(message) = redact_log_message(record.target(), &message) else {
            return;
        };
        self.inner.log(
            &log::Record::builder()
                .args(format_args!("{message}"))
                .metadata(record.metadata().clone())
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build(),
        );
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_userinfo_and_query_values() {
        assert_eq!(
            url_for_logs("https://user:pw@h.example:8443/a/b?api_key=K&x=1&flag#frag"),
            "https://h.example:8443/a/b?api_key=***&x=***&***"
        );
        assert_eq!(url_for_logs("http://h/e"), "http://h/e");
        assert_eq!(url_for_logs("http://h/e?"), "http://h/e?");
        assert_eq!(
            url_for_logs("http://h/a,b?fields=a,b&access_token=SECRET&a[0]=1"),
            "http://h/a,b?fields=***&access_token=***&a[0]=***"
        );
    }

    #[test]
    fn a_password_with_an_unencoded_delimiter_is_never_shown() {
        for (text, shown) in [
            ("http://alice:pa/ss@host/x", "http://***"),
            ("http://alice:12/ss@host/x", "http://***"),
            ("http://alice:/ss@host/x", "http://***"),
            ("http://alice:pa#ss@host/x", "http://***"),
            ("http://alice:pa?ss@host/x", "http://***"),
            ("http://ali/ce@host/x", "http://***"),
            ("https://u:p@ss@host/x?k=v", "https://host/x?k=***"),
            ("alice:PASS@host/path", "***"),
            ("alice:PASS", "***"),
            ("//alice:PASS@host/path", "//host/path"),
            ("localhost:3128", "localhost:3128"),
            ("http://alice:PASS/x", "http://***"),
            ("http://h/@me?x=1", "http://***"),
        ] {
            assert_eq!(url_for_logs(text), shown, "{text}");
        }
        let parsed = Url::parse("http://alice:12/secret@evil/").unwrap();
        assert_eq!(redacted(&parsed), "http://***");
    }

    #[test]
    fn log_messages_lose_userinfo_query_values_and_locations() {
        let m = |target, text| redact_log_message(target, text).map(Cow::into_owned);
        assert_eq!(
            m("ureq::run", "GET http://u*****:******@h:1/p?api_key=K, x"),
            Some("GET http://h:1/p?api_key=*** x".into())
        );
        // Closers after a query may end its value: dropped, never shown.
        assert_eq!(
            m("ureq::run", "GET http://h/p?filter=eq(owner,'S3CR3T')"),
            Some("GET http://h/p?filter=***".into())
        );
        // Without a query they are punctuation, and kept.
        assert_eq!(
            m("ureq::run", "Some(http://h/p),"),
            Some("Some(http://h/p),".into())
        );
        assert_eq!(
            m("ureq::run", "GET http://h/p?fields=a,b&access_token=SECRET"),
            Some("GET http://h/p?fields=***&access_token=***".into())
        );
        assert_eq!(
            m("ureq::run", "GET http://h/a,b?token=SECRET x"),
            Some("GET http://h/a,b?token=*** x".into())
        );
        assert_eq!(
            m(
                "ureq::run",
                "uri: Some(http://h/?a[0]=1&token=SECRET), next"
            ),
            Some("uri: Some(http://h/?*** next".into())
        );
        assert_eq!(
            m(
                "ureq::pool",
                "Close: PoolKey { scheme: \"http\", authority: u*****:******@h:1, proxy: None }"
            ),
            Some("Close: PoolKey { scheme: \"http\", authority: h:1, proxy: None }".into())
        );
        assert_eq!(
            m(
                "ureq::run",
                r#"Response { headers: {"location": "/moved?token=T"} }"#
            ),
            Some(r#"Response { headers: {"location": "/moved?***"} }"#.into())
        );
        assert_eq!(
            m(
                "ureq::run",
                r#"Response { headers: {"location": "/a\" b?token=T"} }"#
            ),
            Some(r#"Response { headers: {"location": "/a\\\" b?***"} }"#.into()),
            "an escaped quote does not end the value"
        );
        assert_eq!(
            m("sselink::reader", "open: HTTP 200"),
            Some("open: HTTP 200".into())
        );
        assert_eq!(m("ureq_proto::util", "61 75 74 68 authorization"), None);
        assert_eq!(m("ureq_proto::client::amended", "Call { .. }"), None);
        assert_eq!(
            m("ureq::somewhere_new", "x"),
            None,
            "unknown ureq modules are dropped"
        );
        assert_eq!(m("other_crate", "x"), None, "unknown targets are dropped");
        assert_eq!(
            m("ureq::unversioned::transport::tcp", "Connected"),
            Some("Connected".into())
        );
        assert!(is_known_log_target("ureq::unversioned::transport::tcp"));
        assert!(is_known_log_target("rustls::client::hs"));
        assert!(!is_known_log_target("ureq::somewhere_new"));
        assert!(!is_known_log_target("sselinkish"));
    }

    #[test]
    fn userinfo_before_what_reads_as_a_scheme_is_never_shown() {
        let m = |message| redact_log_message("ureq::run", message);
        // The user `Q`, the password `://`: the first `://` follows `Q:`.
        assert_eq!(m("GET //Q:://@a.example"), Some("GET //***".into()));
        // The user `alice(http`, the password `//pw`.
        assert_eq!(m("GET alice(http://pw@h x"), Some("GET *** x".into()));
        assert_eq!(m("to alice:(http://@h"), Some("to ***".into()));
        // Only openers before the scheme: the URL is read from its scheme.
        assert_eq!(
            m("(\"http://h/p?a=1\")"),
            Some("(\"http://h/p?a=***".into())
        );
    }

    #[test]
    fn text_that_does_not_parse_is_cut() {
        assert_eq!(
            url_for_logs("http://u:p@[bad/x?k=SECRET"),
            "http://[bad/x?***"
        );
        assert_eq!(url_for_logs("no url at all"), "no url at all");
        assert_eq!(url_for_logs("a\nb?c"), "a\\nb?***");
    }

    mod generated {
        //! Property: whatever a URL holds, unencoded delimiters in its
        //! userinfo included, no character of its userinfo and none of its
        //! query values is shown, by `url_for_logs` or in a log message.
        //! Userinfo and values are built from marker letters (Q, Z, J, W in
        //! any case) among punctuation; hosts, paths, names and the message
        //! around never hold a marker.

        use proptest::prelude::*;

        use super::super::*;

        const MARKERS: &str = "QZJWqzjw";

        /// Marker letters among `punctuation`.
        fn marked(punctuation: &'static str) -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    4 => proptest::sample::select(MARKERS.chars().collect::<Vec<_>>()),
                    1 => proptest::sample::select(punctuation.chars().collect::<Vec<_>>()),
                ],
                1..12,
            )
            .prop_map(|chars| chars.into_iter().collect())
        }

        /// Userinfo: any punctuation, unencoded.
        fn secret() -> impl Strategy<Value = String> {
            marked(":/?#@[]!$&'()*+,;=%~-._{}\"|^`<>\\")
        }

        /// A query value: any punctuation but `&` and `=`, which would make
        /// what follows them another parameter's name by the URL's syntax.
        fn value() -> impl Strategy<Value = String> {
            marked(":/?#@[]!$'()*+,;%~-._{}\"|^`<>\\")
        }

        fn plain(
            alphabet: &'static str,
            len: std::ops::Range<usize>,
        ) -> impl Strategy<Value = String> {
            proptest::collection::vec(
                proptest::sample::select(alphabet.chars().collect::<Vec<_>>()),
                len,
            )
            .prop_map(|chars| chars.into_iter().collect())
        }

        fn url() -> impl Strategy<Value = String> {
            let scheme = proptest::sample::select(vec![
                "http://",
                "https://",
                "HTTP://",
                "socks5://",
                "//",
                "",
            ]);
            let host = prop_oneof![
                plain("abcdefghiklmnoprstuvy0123456789-", 1..10)
                    .prop_map(|h| format!("{h}.example")),
                Just("127.0.0.1".to_string()),
                Just("[::1]".to_string()),
            ];
            let port = proptest::option::of(0u16..)
                .prop_map(|p| p.map(|p| format!(":{p}")).unwrap_or_default());
            let path = plain(
                "abcdefghiklmnoprstuvy0123456789/,()[]{}!$'*+;=:@~-.%",
                0..16,
            );
            let pair = (
                plain("abcdefghiklmnoprstuvy_[]0123456789.,(){}", 1..8),
                value(),
                any::<bool>(),
            )
                .prop_map(|(name, value, bare)| {
                    if bare {
                        value
                    } else {
                        format!("{name}={value}")
                    }
                });
            let query = proptest::collection::vec(pair, 0..4);
            let userinfo = (secret(), proptest::option::of(secret()));
            let fragment = proptest::option::of(secret());
            (scheme, userinfo, host, port, path, query, fragment).prop_map(
                |(scheme, (user, password), host, port, path, query, fragment)| {
                    let mut url = format!("{scheme}{user}");
                    if let Some(password) = password {
                        url.push(':');
                        url.push_str(&password);
                    }
                    url.push('@');
                    url.push_str(&host);
                    url.push_str(&port);
                    if !path.is_empty() {
                        url.push('/');
                        url.push_str(&path);
                    }
                    if !query.is_empty() {
                        url.push('?');
                        url.push_str(&query.join("&"));
                    }
                    if let Some(fragment) = fragment {
                        url.push('#');
                        url.push_str(&fragment);
                    }
                    url
                },
            )
        }

        fn assert_no_marker(shown: &str, input: &str) -> Result<(), TestCaseError> {
            prop_assert!(
                !shown.contains(|c| MARKERS.contains(c)),
                "{input:?} was shown as {shown:?}"
            );
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4096))]

            #[test]
            fn url_for_logs_shows_no_userinfo_and_no_query_value(url in url()) {
                assert_no_marker(&url_for_logs(&url), &url)?;
            }

            #[test]
            fn a_parsed_url_shows_none_either(url in url()) {
                if let Ok(parsed) = Url::parse(&url) {
                    assert_no_marker(&redacted(&parsed), &url)?;
                    // As ureq logs it: the URL serialised, then masked.
                    let message = format!("GET {} x", parsed.as_str());
                    let shown = redact_log_message("ureq::run", &message).unwrap();
                    assert_no_marker(&shown, &message)?;
                }
            }

            #[test]
            fn log_messages_show_none_either(
                url in url(),
                before in proptest::sample::select(vec!["GET ", "uri: Some(", "(", "\"", "to: ", "{\"location\": \""]),
                after in proptest::sample::select(vec!["", " x", ")", ", next", "\"}", "), ", "] ", "} "]),
                user in secret(),
                host in plain("abcdefghiklmnoprstuvy0123456789.:", 1..12),
            ) {
                // A Location value is Debug-escaped, as ureq shows it.
                let url = if before.contains("location") {
                    url.replace('\\', "\\\\").replace('"', "\\\"")
                } else {
                    url
                };
                let message = format!("{before}{url}{after}");
                let shown = redact_log_message("ureq::run", &message).unwrap();
                assert_no_marker(&shown, &message)?;
                // ureq's pool keys: the authority alone, its user masked but
                // for the first letter.
                let first: String = user.chars().take(1).collect();
                let pool = format!("Close: PoolKey {{ scheme: \"http\", authority: {first}*****:******@{host}, proxy: None }}");
                let shown = redact_log_message("ureq::pool", &pool).unwrap();
                assert_no_marker(&shown, &pool)?;
            }
        }
    }
}
