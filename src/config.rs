//! [`Builder`]: everything a stream can be told, checked when it is created.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::{HeaderName, HeaderValue, Method};
use url::Url;

use crate::backoff::ReconnectPolicy;
use crate::parser::Limits;
use crate::{Error, Stream};

/// Headers computed before every connect, for credentials that expire. Called
/// on the reader thread; the headers it returns are never sent to another
/// origin on a redirect and never logged.
pub type HeaderProvider = dyn Fn() -> Vec<(String, String)> + Send + Sync;

/// What the reader does when the channel to the caller is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Wait for the caller: nothing is lost, and TCP flow control slows the
    /// server. The default.
    #[default]
    Block,
    /// The reader never waits: a new item that finds the channel full
    /// displaces the oldest queued one. Dropped events are counted in
    /// [`Stream::dropped`]. When the caller lags that far, an old lifecycle
    /// item may be displaced too; the final `Closed` never is.
    DropOldest,
    /// The reader never waits: a new event that finds the channel full is
    /// dropped (counted in [`Stream::dropped`]); a new lifecycle item
    /// displaces the oldest queued item instead, and `Closed` is never lost.
    DropNewest,
}

/// Which HTTP statuses end a stream for good and which are retried.
///
/// Standard policy (SPEC section 3): 204 closes; 3xx that are not followed
/// redirects and 4xx other than 408 and 429 are permanent; 408, 429, 5xx are
/// retried. [`strict`](StatusPolicy::strict) makes every non-2xx permanent, as
/// the WHATWG text reads. Single statuses can be moved either way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusPolicy {
    strict: bool,
    retry: Vec<u16>,
    permanent: Vec<u16>,
}

impl StatusPolicy {
    /// The standard policy.
    pub fn standard() -> StatusPolicy {
        StatusPolicy::default()
    }

    /// Every status that is not a 2xx closes the stream.
    pub fn strict() -> StatusPolicy {
        StatusPolicy {
            strict: true,
            ..StatusPolicy::default()
        }
    }

    /// Retries `status` whatever the rest of the policy says.
    pub fn retry(mut self, status: u16) -> StatusPolicy {
        self.permanent.retain(|&s| s != status);
        self.retry.push(status);
        self
    }

    /// Closes the stream on `status` whatever the rest of the policy says.
    pub fn permanent(mut self, status: u16) -> StatusPolicy {
        self.retry.retain(|&s| s != status);
        self.permanent.push(status);
        self
    }

    pub(crate) fn with_strict(mut self, strict: bool) -> StatusPolicy {
        self.strict = strict;
        self
    }

    /// True when a response with `status` (not a 2xx) ends the stream.
    pub fn is_permanent(&self, status: u16) -> bool {
        if self.retry.contains(&status) {
            return false;
        }
        if self.permanent.contains(&status) || self.strict {
            return true;
        }
        match status {
            408 | 429 => false,
            300..=499 => true,
            _ => false,
        }
    }
}

/// Builds a [`Stream`]. Made by [`Stream::builder`]; every setter takes and
/// returns the builder, and [`connect`](Builder::connect) checks the whole
/// configuration before anything touches the network.
///
/// ```no_run
/// use std::time::Duration;
///
/// let stream = sselink::Stream::builder("https://example.com/events")
///     .header("Authorization", "Bearer token")
///     .last_event_id("41")
///     .idle_timeout(Some(Duration::from_secs(45)))
///     .connect()?;
/// # Ok::<(), sselink::Error>(())
/// ```
#[derive(Clone)]
pub struct Builder {
    url: String,
    method: String,
    headers: Vec<(String, String, bool)>,
    header_provider: Option<Arc<HeaderProvider>>,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    last_event_id: String,
    connect_timeout: Duration,
    idle_timeout: Option<Duration>,
    reconnect: ReconnectPolicy,
    status_policy: StatusPolicy,
    max_redirects: u32,
    limits: Limits,
    dispatch_incomplete_at_eof: bool,
    capacity: usize,
    overflow: Overflow,
    deduplicate: bool,
    resume_query: Option<String>,
    comments: bool,
    root_certificates: Vec<Vec<u8>>,
    platform_roots: bool,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values are left out: they may hold credentials.
        let names: Vec<&str> = self
            .headers
            .iter()
            .map(|(name, _, _)| name.as_str())
            .collect();
        f.debug_struct("Builder")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("headers", &names)
            .field("header_provider", &self.header_provider.is_some())
            .field("reconnect", &self.reconnect)
            .finish_non_exhaustive()
    }
}

impl Builder {
    pub(crate) fn new(url: &str) -> Builder {
        Builder {
            url: url.to_string(),
            method: "GET".into(),
            headers: Vec::new(),
            header_provider: None,
            query: Vec::new(),
            body: None,
            last_event_id: String::new(),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(45)),
            reconnect: ReconnectPolicy::default(),
            status_policy: StatusPolicy::default(),
            max_redirects: 10,
            limits: Limits::default(),
            dispatch_incomplete_at_eof: false,
            capacity: 256,
            overflow: Overflow::Block,
            deduplicate: false,
            resume_query: None,
            comments: false,
            root_certificates: Vec::new(),
            platform_roots: false,
        }
    }

    /// Adds a request header, sent on every connect. `Authorization`,
    /// `Cookie` and `Proxy-Authorization` are not sent to another origin
    /// after a redirect; see [`sensitive_header`](Builder::sensitive_header)
    /// for others.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Builder {
        self.headers.push((name.into(), value.into(), false));
        self
    }

    /// Adds a request header that carries a credential (an API key, say): it
    /// is never sent to another origin after a redirect, and never logged.
    pub fn sensitive_header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Builder {
        self.headers.push((name.into(), value.into(), true));
        self
    }

    /// Sets a function called on the reader thread before every connect
    /// (reconnects included) whose headers are added to the request, so
    /// tokens can be refreshed. Its headers count as sensitive.
    pub fn header_provider(
        mut self,
        provider: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
    ) -> Builder {
        self.header_provider = Some(Arc::new(provider));
        self
    }

    /// Appends a query parameter to the URL (percent-encoded).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Builder {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets the method: GET by default; POST, REPORT or any HTTP token.
    pub fn method(mut self, method: impl Into<String>) -> Builder {
        self.method = method.into();
        self
    }

    /// Sets a request body, sent again on every connect.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Builder {
        self.body = Some(body.into());
        self
    }

    /// Seeds the last event id, sent as `Last-Event-ID` on the first connect
    /// (to resume where another client stopped).
    pub fn last_event_id(mut self, id: impl Into<String>) -> Builder {
        self.last_event_id = id.into();
        self
    }

    /// Limit on resolving and connecting (TCP and TLS). Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Builder {
        self.connect_timeout = timeout;
        self
    }

    /// The idle timer: when no byte at all arrives for this long (comments
    /// count), the connection is treated as dead and re-established. Reset by
    /// every read, never a deadline for the whole body. Default 45 s; `None`
    /// waits forever.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Builder {
        self.idle_timeout = timeout;
        self
    }

    /// Sets the whole reconnect policy.
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Builder {
        self.reconnect = policy;
        self
    }

    /// Turns reconnecting off: the stream closes when its first connection
    /// ends.
    pub fn no_reconnect(mut self) -> Builder {
        self.reconnect.enabled = false;
        self
    }

    /// Sets the initial reconnection time and the cap of the doubling delay.
    pub fn reconnect_delay(mut self, initial: Duration, max: Duration) -> Builder {
        self.reconnect.initial_delay = initial;
        self.reconnect.max_delay = max;
        self
    }

    /// Gives up after `attempts` consecutive failed reconnect attempts.
    pub fn max_attempts(mut self, attempts: u32) -> Builder {
        self.reconnect.max_attempts = Some(attempts);
        self
    }

    /// Gives up when one outage lasts longer than `budget`.
    pub fn time_budget(mut self, budget: Duration) -> Builder {
        self.reconnect.time_budget = Some(budget);
        self
    }

    /// Sets which statuses are permanent and which are retried.
    pub fn status_policy(mut self, policy: StatusPolicy) -> Builder {
        self.status_policy = policy;
        self
    }

    /// How many redirects one connect follows. Default 10; 0 follows none
    /// (a redirect is then a permanent status).
    pub fn max_redirects(mut self, max: u32) -> Builder {
        self.max_redirects = max;
        self
    }

    /// Sets the line and event size limits.
    pub fn limits(mut self, limits: Limits) -> Builder {
        self.limits = limits;
        self
    }

    /// Shorthand for the event size limit.
    pub fn max_event_size(mut self, bytes: usize) -> Builder {
        self.limits.max_event_size = bytes;
        self
    }

    /// Dispatches an unfinished event when a response ends, for servers that
    /// omit the final blank line. Off by default, as the spec requires.
    pub fn dispatch_incomplete_at_eof(mut self, yes: bool) -> Builder {
        self.dispatch_incomplete_at_eof = yes;
        self
    }

    /// How many items the channel to the caller holds. Default 256; at least 1.
    pub fn capacity(mut self, items: usize) -> Builder {
        self.capacity = items;
        self
    }

    /// What happens when the channel is full. Default [`Overflow::Block`].
    pub fn overflow(mut self, overflow: Overflow) -> Builder {
        self.overflow = overflow;
        self
    }

    /// For servers whose ids are increasing sequence numbers: drops events
    /// whose numeric id was already delivered (replays after a resume).
    /// Memory stays constant. Events with non-numeric ids always pass.
    pub fn deduplicate_ids(mut self, yes: bool) -> Builder {
        self.deduplicate = yes;
        self
    }

    /// Also sends the last event id as query parameter `name` on every
    /// reconnect (for servers that resume from the URL, such as
    /// `from_sequence_num`).
    pub fn resume_query(mut self, name: impl Into<String>) -> Builder {
        self.resume_query = Some(name.into());
        self
    }

    /// Delivers comment lines as [`Item::Comment`](crate::Item::Comment).
    /// Off by default.
    pub fn comments(mut self, yes: bool) -> Builder {
        self.comments = yes;
        self
    }

    /// Trusts one more root certificate (PEM or DER), in addition to the
    /// bundled Mozilla roots. May be called several times.
    pub fn root_certificate(mut self, certificate: impl Into<Vec<u8>>) -> Builder {
        self.root_certificates.push(certificate.into());
        self
    }

    /// Verifies servers with the platform's certificate store instead of
    /// the bundled Mozilla roots. Cannot be combined with
    /// [`root_certificate`](Builder::root_certificate).
    pub fn platform_roots(mut self, yes: bool) -> Builder {
        self.platform_roots = yes;
        self
    }

    pub(crate) fn map_reconnect(mut self, change: impl FnOnce(&mut ReconnectPolicy)) -> Builder {
        change(&mut self.reconnect);
        self
    }

    pub(crate) fn map_status_policy(
        mut self,
        change: impl FnOnce(StatusPolicy) -> StatusPolicy,
    ) -> Builder {
        self.status_policy = change(self.status_policy);
        self
    }

    /// Checks the configuration and starts the stream's reader thread. Returns
    /// at once: the connection is made in the background, and its progress
    /// arrives as items.
    ///
    /// # Panics
    ///
    /// If the operating system refuses to start a thread.
    pub fn connect(self) -> Result<Stream, Error> {
        Ok(Stream::start(self.build()?))
    }

    /// Checks everything and produces the reader's configuration.
    pub(crate) fn build(self) -> Result<Config, Error> {
        let invalid = |message: String| Error::InvalidConfig(message);
        let mut url = Url::parse(&self.url)
            .map_err(|e| invalid(format!("URL `{}` does not parse: {e}", self.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!("URL `{}` is not http or https", self.url)));
        }
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        let method = Method::from_bytes(self.method.as_bytes()).map_err(|_| {
            invalid(format!(
                "method `{}` is not an HTTP token",
                self.method.escape_debug()
            ))
        })?;
        let mut headers = Vec::with_capacity(self.headers.len());
        for (name, value, sensitive) in &self.headers {
            let (name, value) = check_header(name, value)?;
            let sensitive = *sensitive || is_credential(&name);
            headers.push(Header {
                name,
                value,
                sensitive,
            });
        }
        if self.last_event_id.contains(['\0', '\r', '\n']) {
            return Err(invalid("the last event id contains NUL, CR or LF".into()));
        }
        if self.capacity == 0 {
            return Err(invalid("capacity must be at least 1".into()));
        }
        if self.limits.max_line_length == 0 || self.limits.max_event_size == 0 {
            return Err(invalid("size limits must be at least 1 byte".into()));
        }
        if let Some(name) = &self.resume_query {
            if name.is_empty() {
                return Err(invalid("the resume query parameter needs a name".into()));
            }
        }
        let tls = tls_config(&self.root_certificates, self.platform_roots)?;
        Ok(Config {
            url,
            method,
            headers,
            header_provider: self.header_provider,
            body: self.body,
            last_event_id: self.last_event_id,
            connect_timeout: self.connect_timeout,
            idle_timeout: self.idle_timeout,
            reconnect: self.reconnect,
            status_policy: self.status_policy,
            max_redirects: self.max_redirects,
            limits: self.limits,
            dispatch_incomplete_at_eof: self.dispatch_incomplete_at_eof,
            capacity: self.capacity,
            overflow: self.overflow,
            deduplicate: self.deduplicate,
            resume_query: self.resume_query,
            comments: self.comments,
            tls,
        })
    }
}

/// A checked request header.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
    /// Never sent to another origin, never logged.
    pub(crate) sensitive: bool,
}

/// Checks a header name and value: a token name, and a value without CR, LF
/// or NUL.
pub(crate) fn check_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        Error::InvalidConfig(format!(
            "header name `{}` is not an HTTP token",
            name.escape_debug()
        ))
    })?;
    if value.contains(['\r', '\n', '\0']) {
        return Err(Error::InvalidConfig(format!(
            "header `{name}` has CR, LF or NUL in its value"
        )));
    }
    let value = HeaderValue::from_str(value).map_err(|_| {
        Error::InvalidConfig(format!(
            "header `{name}` has a control character in its value"
        ))
    })?;
    Ok((name, value))
}

fn is_credential(name: &HeaderName) -> bool {
    use ureq::http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};
    *name == AUTHORIZATION || *name == COOKIE || *name == PROXY_AUTHORIZATION
}

fn tls_config(extra: &[Vec<u8>], platform: bool) -> Result<ureq::tls::TlsConfig, Error> {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let roots = if platform {
        if !extra.is_empty() {
            return Err(Error::InvalidConfig(
                "extra root certificates cannot be combined with the platform's roots; use one or the other".into(),
            ));
        }
        RootCerts::PlatformVerifier
    } else if extra.is_empty() {
        RootCerts::WebPki
    } else {
        let mut all: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der).to_owned())
            .collect();
        for (n, bytes) in extra.iter().enumerate() {
            all.extend(parse_certificates(bytes).map_err(|why| {
                Error::InvalidConfig(format!("root certificate {} cannot be used: {why}", n + 1))
            })?);
        }
        RootCerts::new_with_certs(&all)
    };
    Ok(TlsConfig::builder().root_certs(roots).build())
}

/// The certificates in PEM text, or one DER certificate.
fn parse_certificates(bytes: &[u8]) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    use ureq::tls::{parse_pem, Certificate, PemItem};
    if !bytes.starts_with(b"-----") && !bytes.trim_ascii_start().starts_with(b"-----") {
        return Ok(vec![Certificate::from_der(bytes).to_owned()]);
    }
    let mut certificates = Vec::new();
    for item in parse_pem(bytes) {
        if let PemItem::Certificate(certificate) = item.map_err(|e| format!("bad PEM: {e}"))? {
            certificates.push(certificate);
        }
    }
    if certificates.is_empty() {
        return Err("no CERTIFICATE block in the PEM text".into());
    }
    Ok(certificates)
}

/// The checked configuration the reader thread works from. Shared read-only.
pub(crate) struct Config {
    pub(crate) url: Url,
    pub(crate) method: Method,
    pub(crate) headers: Vec<Header>,
    pub(crate) header_provider: Option<Arc<HeaderProvider>>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) last_event_id: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) reconnect: ReconnectPolicy,
    pub(crate) status_policy: StatusPolicy,
    pub(crate) max_redirects: u32,
    pub(crate) limits: Limits,
    pub(crate) dispatch_incomplete_at_eof: bool,
    pub(crate) capacity: usize,
    pub(crate) overflow: Overflow,
    pub(crate) deduplicate: bool,
    pub(crate) resume_query: Option<String>,
    pub(crate) comments: bool,
    pub(crate) tls: ureq::tls::TlsConfig,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(builder: Builder) -> String {
        match builder.build() {
            Err(Error::InvalidConfig(message)) => message,
            Err(other) => panic!("not InvalidConfig: {other:?}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn rejects_bad_urls_and_schemes() {
        assert!(error_of(Builder::new("not a url")).contains("does not parse"));
        assert!(error_of(Builder::new("ftp://example.com/")).contains("not http or https"));
        assert!(error_of(Builder::new("file:///etc/passwd")).contains("not http or https"));
        assert!(Builder::new("https://example.com/events").build().is_ok());
    }

    #[test]
    fn rejects_cr_lf_nul_in_headers() {
        for value in ["a\rb", "a\nb", "a\0b"] {
            assert!(
                error_of(Builder::new("http://h/").header("X-A", value)).contains("CR, LF or NUL")
            );
        }
        assert!(error_of(Builder::new("http://h/").header("Bad Name", "v"))
            .contains("not an HTTP token"));
        assert!(
            error_of(Builder::new("http://h/").header("X\r\nY", "v")).contains("not an HTTP token")
        );
    }

    #[test]
    fn rejects_bad_methods_ids_capacity_and_certificates() {
        assert!(error_of(Builder::new("http://h/").method("GE T")).contains("method"));
        assert!(Builder::new("http://h/").method("REPORT").build().is_ok());
        assert!(error_of(Builder::new("http://h/").last_event_id("1\n2")).contains("last event id"));
        assert!(error_of(Builder::new("http://h/").capacity(0)).contains("capacity"));
        assert!(
            error_of(Builder::new("http://h/").root_certificate("-----BEGIN X-----\n"))
                .contains("root certificate 1")
        );
        assert!(error_of(
            Builder::new("http://h/")
                .root_certificate(vec![1])
                .platform_roots(true)
        )
        .contains("platform"));
    }

    #[test]
    fn standard_and_strict_status_policies() {
        let standard = StatusPolicy::standard();
        for permanent in [301, 400, 401, 403, 404, 410, 451] {
            assert!(standard.is_permanent(permanent), "{permanent}");
        }
        for retried in [408, 429, 500, 502, 503, 504] {
            assert!(!standard.is_permanent(retried), "{retried}");
        }
        assert!(StatusPolicy::strict().is_permanent(503));
        assert!(!StatusPolicy::strict().retry(503).is_permanent(503));
        assert!(!standard.clone().retry(404).is_permanent(404));
        assert!(standard.permanent(500).is_permanent(500));
    }

    #[test]
    fn debug_never_shows_header_values() {
        let text = format!(
            "{:?}",
            Builder::new("http://h/").header("Authorization", "Bearer secret")
        );
        assert!(
            text.contains("Authorization") && !text.contains("secret"),
            "{text}"
        );
    }
}
