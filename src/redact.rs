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
/// userinfo or fragment. Text that does not parse as a URL is cut at the
/// first `?` or `#` and loses anything before an `@` in its authority.
pub fn url_for_logs(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) => redacted(&parsed),
        Err(_) => redacted_text(url),
    }
}

pub(crate) fn redacted(url: &Url) -> String {
    let mut out = String::with_capacity(url.as_str().len());
    out.push_str(url.scheme());
    out.push_str("://");
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
            None => out.push_str(pair),
        }
    }
}

fn redacted_text(text: &str) -> String {
    let end = text.find(['?', '#']).unwrap_or(text.len());
    let (before, _) = text.split_at(end);
    let authority_start = before.find("://").map_or(0, |i| i + 3);
    let authority_end = before[authority_start..]
        .find('/')
        .map_or(before.len(), |i| authority_start + i);
    let mut out = String::from(&before[..authority_start]);
    let authority = &before[authority_start..authority_end];
    out.push_str(
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host),
    );
    out.push_str(&before[authority_end..]);
    if end < text.len() {
        out.push_str("?***");
    }
    out.escape_debug().to_string()
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
/// [`url_for_logs`] and ureq's Location values hidden the same way.
pub fn redact_log_message<'m>(target: &str, message: &'m str) -> Option<Cow<'m, str>> {
    match treatment(target)? {
        Treatment::Drop => None,
        Treatment::Rewrite => Some(rewrite_locations(rewrite_urls(message))),
    }
}

/// Every `scheme://...` in `text`, up to a space or a delimiter, rewritten.
fn rewrite_urls(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .map_or(0, |p| p + 1);
        let end = rest[at + 3..]
            .find(|c: char| c.is_whitespace() || "\"'<>,)}]`".contains(c))
            .map_or(rest.len(), |p| at + 3 + p);
        out.push_str(&rest[..start]);
        out.push_str(&url_for_logs(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// ureq shows a response's Location, which may be a relative reference with
/// a query: `"location": "..."` values are rewritten as URLs.
fn rewrite_locations(text: Cow<'_, str>) -> Cow<'_, str> {
    const KEY: &str = "\"location\": \"";
    if !text.contains(KEY) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = rest.find(KEY) {
        let value_start = at + KEY.len();
        let value_end = rest[value_start..]
            .find('"')
            .map_or(rest.len(), |p| value_start + p);
        out.push_str(&rest[..value_start]);
        out.push_str(&url_for_logs(&rest[value_start..value_end]));
        rest = &rest[value_end..];
    }
    out.push_str(rest);
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
            "https://h.example:8443/a/b?api_key=***&x=***&flag"
        );
        assert_eq!(url_for_logs("http://h/e"), "http://h/e");
        assert_eq!(url_for_logs("http://h/e?"), "http://h/e?");
    }

    #[test]
    fn log_messages_lose_userinfo_query_values_and_locations() {
        let m = |target, text| redact_log_message(target, text).map(Cow::into_owned);
        assert_eq!(
            m("ureq::run", "GET http://u*****:******@h:1/p?api_key=K, x"),
            Some("GET http://h:1/p?api_key=***, x".into())
        );
        assert_eq!(
            m(
                "ureq::run",
                r#"Response { headers: {"location": "/moved?token=T"} }"#
            ),
            Some(r#"Response { headers: {"location": "/moved?***"} }"#.into())
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
    fn text_that_does_not_parse_is_cut() {
        assert_eq!(
            url_for_logs("http://u:p@[bad/x?k=SECRET"),
            "http://[bad/x?***"
        );
        assert_eq!(url_for_logs("no url at all"), "no url at all");
        assert_eq!(url_for_logs("a\nb?c"), "a\\nb?***");
    }
}
