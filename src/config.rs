//! [`Builder`]: every option a stream has, each checked as it is set, and the
//! [`Config`] the reader thread works from.
//!
//! Every option lives in [`Options`], which flows from the builder into the
//! reader untouched: adding one means a field with its default here, a
//! setter on [`Builder`], the C setter, and a line in `docs/options.md`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::{HeaderName, HeaderValue, Method};
use url::Url;

use crate::backoff::{JitterShape, ReconnectPolicy};
use crate::error::Error;
use crate::parser::Limits;
use crate::proxy::NoProxy;

/// Headers computed before every connect and every post attempt, for
/// credentials that expire. Called on the reader thread for connects and on
/// the posting thread for posts; the headers it returns are never sent to
/// another origin on a redirect and never logged.
pub type HeaderProvider = dyn Fn() -> Vec<(String, String)> + Send + Sync;

/// The longest duration any setting accepts: one year. Longer ones would only
/// overflow clocks; an idle timeout of `None` waits forever.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// The largest channel capacity, in events and comments.
pub const MAX_CAPACITY: usize = 1 << 16;

/// The smallest reader thread stack accepted, in bytes.
pub const MIN_STACK_SIZE: usize = 64 * 1024;

/// The largest reader thread stack accepted, in bytes: 1 GiB, the limit Java
/// and Go put on a thread's stack. A larger one is a mistake, refused by the
/// setter rather than by the system when the stream starts.
pub const MAX_STACK_SIZE: usize = 1 << 30;

/// What a header provider of the C ABI unwinds with (through
/// `std::panic::resume_unwind`, which prints nothing) when it cannot produce
/// its headers: the attempt fails with [`Error::HeaderProvider`] carrying
/// this reason as it is. For the bindings; a Rust provider that panics gets
/// "it panicked".
#[doc(hidden)]
#[derive(Debug)]
pub struct ProviderFailure(pub String);

/// The largest response head (status line and headers) accepted, in bytes;
/// a larger one ends the attempt with an error. Event-stream responses carry
/// a few hundred bytes of headers, and proxies such as nginx refuse an
/// upstream head over 8 KiB by default.
pub const MAX_RESPONSE_HEAD: usize = 16 * 1024;

/// What the reader does when the channel to the caller is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Wait for the caller: nothing is lost, and TCP flow control slows the
    /// server. The default.
    #[default]
    Block,
    /// The reader never waits for room for an event or comment: a new one
    /// that finds the channel full displaces the oldest queued event or
    /// comment (itself when none is queued). Each one dropped is counted in
    /// [`Stream::dropped`](crate::Stream::dropped). Lifecycle items and the
    /// final `Closed` are never dropped, and an event's id still counts for
    /// [`Stream::last_event_id`](crate::Stream::last_event_id).
    DropOldest,
    /// The reader never waits for room for an event or comment: a new one
    /// that finds the channel full is dropped and counted in
    /// [`Stream::dropped`](crate::Stream::dropped). Lifecycle items and the
    /// final `Closed` are never dropped, and an event's id still counts for
    /// [`Stream::last_event_id`](crate::Stream::last_event_id).
    DropNewest,
}

/// Which HTTP statuses end a stream for good and which are retried.
///
/// Standard policy: 204 closes; 3xx that are not followed redirects and 4xx
/// other than 408 and 429 are permanent; 408, 429, 5xx are retried. Strict
/// makes every non-2xx permanent, as the WHATWG text reads. Single statuses
/// can be moved either way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct StatusPolicy {
    pub(crate) strict: bool,
    pub(crate) retry_all: bool,
    pub(crate) retry: Vec<u16>,
    pub(crate) permanent: Vec<u16>,
}

impl StatusPolicy {
    /// True when a response with `status` (not a 2xx) ends the stream.
    pub(crate) fn is_permanent(&self, status: u16) -> bool {
        if self.retry.contains(&status) {
            return false;
        }
        if self.permanent.contains(&status) || self.strict {
            return true;
        }
        if self.retry_all {
            return false;
        }
        match status {
            408 | 429 => false,
            300..=499 => true,
            _ => false,
        }
    }
}

/// A request header as the caller gave it.
#[derive(Clone)]
pub(crate) struct HeaderOption {
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
    /// Never sent to another origin, never logged.
    pub(crate) sensitive: bool,
}

/// Every option of a stream, with its default. Filled by [`Builder`], read by
/// the reader; nothing in between copies it field by field.
#[derive(Clone)]
pub(crate) struct Options {
    pub(crate) url: String,
    pub(crate) method: Method,
    pub(crate) headers: Vec<HeaderOption>,
    pub(crate) header_provider: Option<Arc<HeaderProvider>>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) last_event_id: String,
    pub(crate) resume_query: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) reconnect: ReconnectPolicy,
    pub(crate) status_policy: StatusPolicy,
    pub(crate) max_redirects: u32,
    pub(crate) insecure_redirects: bool,
    pub(crate) limits: Limits,
    pub(crate) dispatch_incomplete_at_eof: bool,
    pub(crate) capacity: usize,
    pub(crate) max_queued_bytes: usize,
    pub(crate) overflow: Overflow,
    pub(crate) deduplicate_ids: bool,
    pub(crate) resume_from_highest_id: bool,
    pub(crate) reset_on_open: bool,
    pub(crate) server_retry: bool,
    pub(crate) any_content_type: bool,
    pub(crate) event_types: Vec<String>,
    pub(crate) comments: bool,
    pub(crate) post_url: Option<Url>,
    pub(crate) post_attempts: u32,
    pub(crate) post_delay: (Duration, Duration),
    pub(crate) post_timeout: Duration,
    /// The extra roots, parsed when set.
    pub(crate) root_certificates: Vec<ureq::tls::Certificate<'static>>,
    pub(crate) platform_roots: bool,
    pub(crate) retry_tls_errors: bool,
    pub(crate) proxy: Option<String>,
    pub(crate) no_proxy: Option<String>,
    pub(crate) compressed: bool,
    /// The client certificate chain and its key, parsed and checked when
    /// set; the key's one copy lives here (shared, never cloned).
    pub(crate) client_certificate: Option<ureq::tls::ClientCert>,
    pub(crate) reader_stack_size: usize,
}

impl Options {
    fn new(url: &str) -> Options {
        Options {
            url: url.to_string(),
            method: Method::GET,
            headers: Vec::new(),
            header_provider: None,
            query: Vec::new(),
            body: None,
            last_event_id: String::new(),
            resume_query: None,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(45)),
            reconnect: ReconnectPolicy::default(),
            status_policy: StatusPolicy::default(),
            max_redirects: 10,
            insecure_redirects: false,
            limits: Limits::default(),
            dispatch_incomplete_at_eof: false,
            capacity: 256,
            max_queued_bytes: 64 << 20,
            overflow: Overflow::Block,
            deduplicate_ids: false,
            resume_from_highest_id: false,
            reset_on_open: false,
            server_retry: true,
            any_content_type: false,
            event_types: Vec::new(),
            comments: false,
            post_url: None,
            post_attempts: 10,
            post_delay: (Duration::from_millis(500), Duration::from_secs(8)),
            post_timeout: Duration::from_secs(60),
            root_certificates: Vec::new(),
            platform_roots: false,
            retry_tls_errors: false,
            proxy: None,
            no_proxy: None,
            compressed: false,
            client_certificate: None,
            reader_stack_size: 0,
        }
    }
}

/// Builds a [`Stream`](crate::Stream). Made by
/// [`Stream::builder`](crate::Stream::builder); every setter takes and
/// returns the builder. A setter given a value that cannot work records an
/// [`Error::InvalidConfig`] (the first one is kept, see
/// [`error`](Builder::error)) and [`connect`](Builder::connect) returns it
/// before anything touches the network.
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
    options: Options,
    error: Option<Error>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values and the query are left out: they may hold credentials.
        let names: Vec<&str> = self
            .options
            .headers
            .iter()
            .map(|h| h.name.as_str())
            .collect();
        f.debug_struct("Builder")
            .field("url", &crate::redact::url_for_logs(&self.options.url))
            .field("method", &self.options.method)
            .field("headers", &names)
            .field("header_provider", &self.options.header_provider.is_some())
            .field("reconnect", &self.options.reconnect)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// Header names sselink sets itself from the request it sends: a caller's
/// value would break the framing of the request or of the connection.
const FRAMING_HEADERS: [&str; 10] = [
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

impl Builder {
    /// A builder for the stream at `url`, with every default.
    pub(crate) fn new(url: &str) -> Builder {
        let mut builder = Builder {
            options: Options::new(url),
            error: None,
        };
        if let Err(why) = parse_url(url) {
            builder.error = Some(Error::InvalidConfig(why));
        }
        builder
    }

    /// The first invalid setting given to this builder, if any:
    /// [`connect`](Builder::connect) returns it.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Records `why` as the builder's error unless one is recorded already.
    fn invalid(mut self, why: String) -> Builder {
        self.error.get_or_insert(Error::InvalidConfig(why));
        self
    }

    /// Applies `set` when `check` passes, records the error otherwise.
    fn checked(mut self, check: Result<(), String>, set: impl FnOnce(&mut Options)) -> Builder {
        match check {
            Ok(()) => {
                set(&mut self.options);
                self
            }
            Err(why) => self.invalid(why),
        }
    }

    /// Adds a request header, sent on every connect. A name that is not an
    /// HTTP token, a value with a control character, or a header that frames
    /// the request (`Content-Length`, `Transfer-Encoding`, `Host`,
    /// `Connection` and the like, which sselink sets) is an error. A caller's
    /// `Accept` or `Cache-Control` replaces sselink's; see
    /// [`last_event_id`](Builder::last_event_id) for `Last-Event-ID`.
    /// `Authorization`, `Cookie` and `Proxy-Authorization` are not sent to
    /// another origin after a redirect; see
    /// [`sensitive_header`](Builder::sensitive_header) for others. The URL
    /// and the headers together may take up to
    /// [`MAX_REQUEST_HEAD`](crate::MAX_REQUEST_HEAD): a header longer on
    /// its own is refused here, and [`connect`](Builder::connect) refuses
    /// more together.
    pub fn header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Builder {
        self.add_header(name.as_ref(), value.as_ref(), false)
    }

    /// Adds a request header that carries a credential (an API key, say): it
    /// is never sent to another origin after a redirect, and never logged.
    pub fn sensitive_header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Builder {
        self.add_header(name.as_ref(), value.as_ref(), true)
    }

    fn add_header(self, name: &str, value: &str, sensitive: bool) -> Builder {
        match check_header(name, value) {
            Ok((name, value)) => {
                let sensitive = sensitive || is_credential(&name);
                self.checked(Ok(()), |o| {
                    o.headers.push(HeaderOption {
                        name,
                        value,
                        sensitive,
                    })
                })
            }
            Err(why) => self.invalid(why),
        }
    }

    /// Sets a function called before every connect (reconnects included, on
    /// the reader thread) and every post attempt (on the thread that posts)
    /// whose headers are added to the request, each replacing a header of the
    /// same name, so tokens can be refreshed. It must be thread-safe. Its
    /// headers count as sensitive. If it panics, returns a header that
    /// [`header`](Builder::header) would refuse, or returns headers that
    /// take the request head over [`MAX_REQUEST_HEAD`](crate::MAX_REQUEST_HEAD),
    /// the stream closes with [`Error::HeaderProvider`] (a post returns it).
    pub fn header_provider(
        mut self,
        provider: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
    ) -> Builder {
        self.options.header_provider = Some(Arc::new(provider));
        self
    }

    /// Appends a query parameter to the URL (percent-encoded).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Builder {
        self.options.query.push((name.into(), value.into()));
        self
    }

    /// Sets the method: GET by default; POST, REPORT or any HTTP token.
    pub fn method(self, method: impl AsRef<str>) -> Builder {
        let text = method.as_ref();
        match Method::from_bytes(text.as_bytes()) {
            Ok(method) => self.checked(Ok(()), |o| o.method = method),
            Err(_) => {
                let why = format!("method `{}` is not an HTTP token", text.escape_debug());
                self.invalid(why)
            }
        }
    }

    /// Sets a request body, sent again on every connect.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Builder {
        self.options.body = Some(body.into());
        self
    }

    /// Seeds the last event id, sent as `Last-Event-ID` on the first connect
    /// (to resume where another client stopped). It must fit in a header: a
    /// control character is an error. `Last-Event-ID` given as a header
    /// seeds it too, and is sent only while the stream has no id of its own.
    pub fn last_event_id(self, id: impl Into<String>) -> Builder {
        let id = id.into();
        let check = if id.chars().any(|c| c.is_control() && c != '\t') {
            Err("the last event id has a control character, which a header cannot carry".into())
        } else {
            Ok(())
        };
        self.checked(check, |o| o.last_event_id = id)
    }

    /// Also sends the last event id as query parameter `name` on every
    /// connect that has one (for servers that resume from the URL, such as
    /// `from_sequence_num`). The rest of the query is sent as configured.
    pub fn resume_query(self, name: impl Into<String>) -> Builder {
        let name = name.into();
        let check = if name.is_empty() {
            Err("the resume query parameter needs a name".into())
        } else {
            Ok(())
        };
        self.checked(check, |o| o.resume_query = Some(name))
    }

    /// Limit on resolving and connecting (TCP and TLS), and on each write of
    /// the request: a server that takes no byte of the request for this long
    /// fails the attempt (the stream reconnects, a post tries again).
    /// Default 10 s; from 1 ms to [`MAX_DURATION`].
    pub fn connect_timeout(self, timeout: Duration) -> Builder {
        let check = if timeout.is_zero() {
            Err("the connect timeout must be more than zero".into())
        } else {
            check_duration("connect_timeout", timeout)
        };
        self.checked(check, |o| o.connect_timeout = timeout)
    }

    /// The idle timer: when no byte at all arrives for this long (comments
    /// count), the connection is treated as dead and re-established. Reset by
    /// every read, never a deadline for the whole body. Default 45 s; `None`
    /// or zero waits forever; at most [`MAX_DURATION`].
    pub fn idle_timeout(self, timeout: Option<Duration>) -> Builder {
        let timeout = timeout.filter(|t| !t.is_zero());
        let check = timeout.map_or(Ok(()), |t| check_duration("idle_timeout", t));
        self.checked(check, |o| o.idle_timeout = timeout)
    }

    /// Turns reconnecting on (the default) or off: off, the stream closes
    /// when its first connection ends.
    pub fn reconnect(mut self, enabled: bool) -> Builder {
        self.options.reconnect.enabled = enabled;
        self
    }

    /// Sets the initial reconnection time (default 1 s) and the cap of the
    /// doubling delay (default 30 s); each at most [`MAX_DURATION`].
    pub fn reconnect_delay(self, initial: Duration, max: Duration) -> Builder {
        let check = check_duration("the initial reconnect delay", initial)
            .and_then(|()| check_duration("the maximum reconnect delay", max));
        self.checked(check, |o| {
            o.reconnect.initial_delay = initial;
            o.reconnect.max_delay = max;
        })
    }

    /// Random extra of up to this fraction of each delay (default 0.5); from
    /// 0 to 1.
    pub fn jitter(self, fraction: f64) -> Builder {
        let check = if (0.0..=1.0).contains(&fraction) {
            Ok(())
        } else {
            Err(format!("jitter must be between 0 and 1, not {fraction}"))
        };
        self.checked(check, |o| o.reconnect.jitter = fraction)
    }

    /// How the jitter applies (default [`JitterShape::Add`], which only ever
    /// lengthens a delay); [`JitterShape::Scale`] shortens each delay by up
    /// to the jitter fraction, and [`JitterShape::Around`] spreads it both
    /// ways after the cap. Both may wait less than the server's `retry`.
    pub fn jitter_shape(mut self, shape: JitterShape) -> Builder {
        self.options.reconnect.shape = shape;
        self
    }

    /// Resets the failure count as soon as a connection opens (true): a
    /// server that accepts each connection and then drops it is retried
    /// after the first delay every time. By default (false) the count
    /// resets only after a healthy period or an event, so the delay keeps
    /// doubling while connections open and drop at once.
    pub fn reset_on_open(mut self, yes: bool) -> Builder {
        self.options.reset_on_open = yes;
        self
    }

    /// Uses the server's `retry` field as the reconnection time (true, the
    /// default, as the standard says); false ignores it, and the delays
    /// follow [`reconnect_delay`](Builder::reconnect_delay) alone. The field
    /// still reaches the caller in [`Event::retry`](crate::Event::retry).
    pub fn server_retry(mut self, yes: bool) -> Builder {
        self.options.server_retry = yes;
        self
    }

    /// Gives up when `attempts` reconnect attempts in a row have failed; 0
    /// (the default) never gives up. An outage starts with a failed connect
    /// or a dropped connection, which is not counted, and ends with a
    /// healthy connection ([`healthy_after`](Builder::healthy_after)); a
    /// connection that opens and drops before it is healthy counts as a
    /// failed attempt. So a server that never answers is tried
    /// `1 + attempts` times.
    pub fn max_attempts(mut self, attempts: u32) -> Builder {
        self.options.reconnect.max_attempts = attempts;
        self
    }

    /// Gives up when one outage lasts longer than `budget`; zero (the
    /// default) never gives up.
    pub fn time_budget(self, budget: Duration) -> Builder {
        let check = check_duration("time_budget", budget);
        self.checked(check, |o| o.reconnect.time_budget = budget)
    }

    /// A connection open this long resets the failure count (delivering an
    /// event does too). Default 60 s.
    pub fn healthy_after(self, period: Duration) -> Builder {
        let check = check_duration("healthy_after", period);
        self.checked(check, |o| o.reconnect.healthy_after = period)
    }

    /// Strict status policy (true): every status that is not a 2xx closes
    /// the stream, as the WHATWG text reads. Default false: 408, 429 and 5xx
    /// are retried, other 3xx and 4xx close.
    pub fn strict_status(mut self, strict: bool) -> Builder {
        self.options.status_policy.strict = strict;
        self
    }

    /// Retries every status that is not a 2xx (true) except those given to
    /// [`permanent_status`](Builder::permanent_status) and 204, which always
    /// closes: with `permanent_status` 401, 403 and 404, only a refused
    /// credential or a wrong URL ends the stream. Default false.
    pub fn retry_all_statuses(mut self, yes: bool) -> Builder {
        self.options.status_policy.retry_all = yes;
        self
    }

    /// Accepts any 2xx response as an event stream, whatever its
    /// Content-Type (true). Default false: only `text/event-stream`.
    pub fn any_content_type(mut self, yes: bool) -> Builder {
        self.options.any_content_type = yes;
        self
    }

    /// Retries `status` whatever the rest of the status policy says.
    pub fn retry_status(mut self, status: u16) -> Builder {
        let policy = &mut self.options.status_policy;
        policy.permanent.retain(|&s| s != status);
        policy.retry.push(status);
        self
    }

    /// Closes the stream on `status` whatever the rest of the status policy
    /// says.
    pub fn permanent_status(mut self, status: u16) -> Builder {
        let policy = &mut self.options.status_policy;
        policy.retry.retain(|&s| s != status);
        policy.permanent.push(status);
        self
    }

    /// How many redirects one connect follows. Default 10; 0 follows none
    /// (a redirect is then a permanent status).
    pub fn max_redirects(mut self, max: u32) -> Builder {
        self.options.max_redirects = max;
        self
    }

    /// Follows a redirect from an `https` URL to an `http` one (true).
    /// Default false: such a redirect closes the stream with
    /// [`Error::Redirect`], because following it would send the request, its
    /// body and headers, and the whole stream after it in clear text,
    /// though the caller asked for `https` (browsers block it as mixed
    /// content; curl has `--proto-redir`). Credentials never follow a
    /// redirect to another origin either way.
    pub fn insecure_redirects(mut self, yes: bool) -> Builder {
        self.options.insecure_redirects = yes;
        self
    }

    /// The longest line accepted, in bytes (default 16 MiB); at least 1.
    pub fn max_line_length(self, bytes: usize) -> Builder {
        let check = check_nonzero("max_line_length", bytes);
        self.checked(check, |o| o.limits.max_line_length = bytes)
    }

    /// The largest event accepted, in bytes: its data as dispatched, type and
    /// id together (default 16 MiB); at least 1.
    pub fn max_event_size(self, bytes: usize) -> Builder {
        let check = check_nonzero("max_event_size", bytes);
        self.checked(check, |o| o.limits.max_event_size = bytes)
    }

    /// Dispatches an unfinished event when a response ends cleanly, for
    /// servers that omit the final blank line. Off by default, as the spec
    /// requires. A connection that breaks, or that a restart or close cuts,
    /// never dispatches its unfinished event.
    pub fn dispatch_incomplete_at_eof(mut self, yes: bool) -> Builder {
        self.options.dispatch_incomplete_at_eof = yes;
        self
    }

    /// How many events and comments the channel to the caller holds.
    /// Default 256; from 1 to [`MAX_CAPACITY`]. Lifecycle items (connecting,
    /// open, retrying) take no place of it: up to 64 of them wait apart, and
    /// past that the reader waits for the caller, under every
    /// [`overflow`](Builder::overflow) policy. Id changes that no event
    /// carries take no place either.
    pub fn capacity(self, items: usize) -> Builder {
        let check = if items == 0 || items > MAX_CAPACITY {
            Err(format!(
                "capacity must be between 1 and {MAX_CAPACITY} items, not {items}"
            ))
        } else {
            Ok(())
        };
        self.checked(check, |o| o.capacity = items)
    }

    /// The most bytes of events and comments (their data, type and id) the
    /// channel holds; default 64 MiB, at least 1. With
    /// [`capacity`](Builder::capacity) it bounds a slow consumer's memory:
    /// whichever bound is reached first makes the channel full, and the
    /// [`overflow`](Builder::overflow) policy applies. One item larger than
    /// the bound still passes when the channel is empty.
    pub fn max_queued_bytes(self, bytes: usize) -> Builder {
        let check = check_nonzero("max_queued_bytes", bytes);
        self.checked(check, |o| o.max_queued_bytes = bytes)
    }

    /// What happens when the channel is full. Default [`Overflow::Block`].
    pub fn overflow(mut self, overflow: Overflow) -> Builder {
        self.options.overflow = overflow;
        self
    }

    /// For servers whose ids are increasing sequence numbers: drops an event
    /// whose own numeric id was already delivered (a replay after a resume).
    /// A numeric [`last_event_id`](Builder::last_event_id) seed counts as
    /// delivered. Events without an id of their own, and non-numeric ids,
    /// always pass. Memory stays constant. Off by default.
    pub fn deduplicate_ids(mut self, yes: bool) -> Builder {
        self.options.deduplicate_ids = yes;
        self
    }

    /// Resumes from the highest numeric id seen so far (true) instead of the
    /// last one (false, the default), in `Last-Event-ID` and the resume query
    /// parameter: for servers whose ids are sequence numbers, so that an
    /// older id arriving late never moves the resume point back. Without a
    /// numeric id yet, the last id is sent.
    pub fn resume_from_highest_id(mut self, yes: bool) -> Builder {
        self.options.resume_from_highest_id = yes;
        self
    }

    /// Delivers only events of type `name` (and of the other names given the
    /// same way); the rest are dropped in the reader thread and never cross
    /// the channel, though their ids still move the last event id. Default:
    /// every type. `message` names events without an `event` field.
    pub fn filter_event_type(mut self, name: impl Into<String>) -> Builder {
        self.options.event_types.push(name.into());
        self
    }

    /// Delivers comment lines as [`Item::Comment`](crate::Item::Comment).
    /// Off by default.
    pub fn comments(mut self, yes: bool) -> Builder {
        self.options.comments = yes;
        self
    }

    /// Where [`Stream::post`](crate::Stream::post) sends: by default the
    /// stream URL with a trailing `/stream` taken off its path (and its query
    /// as configured).
    pub fn post_url(self, url: &str) -> Builder {
        match parse_url(url) {
            Ok(url) => self.checked(Ok(()), |o| o.post_url = Some(url)),
            Err(why) => self.invalid(format!("post_url: {why}")),
        }
    }

    /// How many attempts a post makes at most (default 10; at least 1).
    /// 429, 5xx and network errors are retried; other statuses are final.
    pub fn post_attempts(self, attempts: u32) -> Builder {
        let check = if attempts == 0 {
            Err("post_attempts must be at least 1".into())
        } else {
            Ok(())
        };
        self.checked(check, |o| o.post_attempts = attempts)
    }

    /// The first delay between post attempts and the cap of its doubling
    /// (default 500 ms and 8 s); the stream's jitter applies, and a
    /// `Retry-After` sets a floor.
    pub fn post_delay(self, initial: Duration, max: Duration) -> Builder {
        let check = check_duration("the initial post delay", initial)
            .and_then(|()| check_duration("the maximum post delay", max));
        self.checked(check, |o| o.post_delay = (initial, max))
    }

    /// How long a post may take, all attempts and waits included (default
    /// 60 s; more than zero, at most a year).
    pub fn post_timeout(self, timeout: Duration) -> Builder {
        let check = if timeout.is_zero() {
            Err("the post timeout must be more than zero".into())
        } else {
            check_duration("post_timeout", timeout)
        };
        self.checked(check, |o| o.post_timeout = timeout)
    }

    /// Trusts one more root certificate (PEM, one or more, or DER), in
    /// addition to the bundled Mozilla roots. May be called several times. A
    /// certificate that does not parse is an error.
    pub fn root_certificate(self, certificate: impl Into<Vec<u8>>) -> Builder {
        match parse_certificates(&certificate.into()) {
            Ok(certificates) => self.checked(Ok(()), |o| o.root_certificates.extend(certificates)),
            Err(why) => self.invalid(format!("the root certificate cannot be used: {why}")),
        }
    }

    /// Verifies servers with the platform's certificate store instead of
    /// the bundled Mozilla roots (true). Off by default. Cannot be combined
    /// with [`root_certificate`](Builder::root_certificate).
    pub fn platform_roots(mut self, yes: bool) -> Builder {
        self.options.platform_roots = yes;
        self
    }

    /// Retries TLS failures met while connecting (true) like network
    /// errors. By default (false) they are final, as in curl and browsers:
    /// an untrusted, expired or wrong-name certificate, a client
    /// certificate the server refuses, or a handshake without a common
    /// protocol closes the stream with [`Error::Tls`], and ends a post with
    /// it, since trying again changes nothing until someone fixes the
    /// certificate or the trusted roots. A fault the server reports on its
    /// own side (an `internal_error` alert) is retried either way. Set it
    /// for a server whose certificate is being replaced while the stream
    /// waits.
    pub fn retry_tls_errors(mut self, yes: bool) -> Builder {
        self.options.retry_tls_errors = yes;
        self
    }

    /// Connects through the proxy at `url`: `http://[user:password@]host:port`
    /// (HTTP, with CONNECT for every stream), `https://...` (the same, to a
    /// proxy reached over TLS; it is verified like a server and never sees
    /// the [`client_certificate`](Builder::client_certificate)), or
    /// `socks5://`, `socks5h://` (the proxy resolves the host), `socks4://`,
    /// `socks4a://`. Credentials in the URL are sent to the proxy alone
    /// and never logged. Without this option the environment decides:
    /// `ALL_PROXY`, then `HTTPS_PROXY`, then `HTTP_PROXY` (the first set,
    /// each name upper then lower case, whatever the stream's scheme);
    /// in a CGI program (`REQUEST_METHOD` set) `HTTP_PROXY` is ignored,
    /// because a request's `Proxy` header sets it there (httpoxy). A proxy
    /// from the environment that does not parse is an error at
    /// [`connect`](Builder::connect), never a silent direct connection.
    /// See [`no_proxy`](Builder::no_proxy) for the hosts that bypass it.
    pub fn proxy(self, url: &str) -> Builder {
        let check = parse_proxy(url).map(drop);
        self.checked(check, |o| o.proxy = Some(url.to_string()))
    }

    /// Hosts that bypass the proxy (whichever: this builder's or the
    /// environment's), replacing the environment's `no_proxy` or `NO_PROXY`,
    /// matched as curl matches them: entries separated by commas (blanks
    /// around them ignored); a name matches itself and the names below it
    /// (`example.com` covers `api.example.com`; `.example.com` and
    /// `*.example.com` mean the same), without case and without a trailing
    /// dot; an IP address or network (`127.0.0.0/8`, `::1`, `[::1]`,
    /// `fe80::/10`) matches the addresses in it. `*` alone turns every proxy
    /// off; an empty list bypasses none.
    pub fn no_proxy(mut self, hosts: impl Into<String>) -> Builder {
        self.options.no_proxy = Some(hosts.into());
        self
    }

    /// Asks for a compressed response (`Accept-Encoding: gzip`) and decodes
    /// it as it arrives: each event still comes as soon as the server
    /// flushes it. Off by default, as compression buys little on small
    /// events and a proxy may buffer a compressed stream. A gzip response is
    /// decoded whatever this says, within the same line and event limits.
    pub fn compressed(mut self, yes: bool) -> Builder {
        self.options.compressed = yes;
        self
    }

    /// Presents a client certificate (mutual TLS) to servers, never to a
    /// proxy: `chain` is the certificate, then any intermediates, as PEM or
    /// one DER certificate; `key` its private key as PEM (PKCS#8, PKCS#1 or
    /// SEC1) or DER. Both are checked when set: a chain that does not parse,
    /// a key that is not a usable RSA, ECDSA or Ed25519 key, or a key that
    /// does not belong to the certificate is an error. The key is parsed
    /// once; the copy given here is overwritten with zeros when parsed.
    pub fn client_certificate(self, chain: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> Builder {
        let mut key = key.into();
        match take_client_certificate(&chain.into(), &mut key) {
            Ok(identity) => self.checked(Ok(()), |o| o.client_certificate = Some(identity)),
            Err(why) => self.invalid(why),
        }
    }

    /// The stack size of the stream's reader thread, in bytes: 0 (the
    /// default) takes the standard library's default (2 MiB, of which only
    /// the pages used become resident); otherwise from [`MIN_STACK_SIZE`]
    /// (64 KiB) to [`MAX_STACK_SIZE`] (1 GiB).
    pub fn reader_stack_size(self, bytes: usize) -> Builder {
        let check = if bytes != 0 && !(MIN_STACK_SIZE..=MAX_STACK_SIZE).contains(&bytes) {
            Err(format!(
                "reader_stack_size must be 0 or from {MIN_STACK_SIZE} to {MAX_STACK_SIZE} bytes, not {bytes}"
            ))
        } else {
            Ok(())
        };
        self.checked(check, |o| o.reader_stack_size = bytes)
    }

    /// Checks what can only be checked together and produces the reader's
    /// configuration. Reads the environment's proxy variables.
    pub(crate) fn build(self) -> Result<Config, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let options = self.options;
        let mut url = parse_url(&options.url).map_err(Error::InvalidConfig)?;
        if !options.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&options.query);
        }
        check_heads(&options, &url).map_err(Error::InvalidConfig)?;
        let (tls, proxy_tls) = tls_configs(&options).map_err(Error::InvalidConfig)?;
        let env = |name: &str| std::env::var(name).ok();
        let no_proxy = match &options.no_proxy {
            Some(list) => NoProxy::parse(list),
            None => NoProxy::parse(&crate::proxy::no_proxy_from_env(env).unwrap_or_default()),
        };
        let proxy = if no_proxy.is_everything() {
            None
        } else if let Some(given) = &options.proxy {
            Some(parse_proxy(given).map_err(Error::InvalidConfig)?)
        } else if let Some((name, value)) = crate::proxy::proxy_from_env(env) {
            let proxy = parse_proxy(&value).map_err(|why| {
                Error::InvalidConfig(format!(
                    "the environment's {name}: {why}; correct or unset it (no_proxy(\"*\") \
                     turns proxies off)"
                ))
            })?;
            Some(proxy)
        } else {
            None
        };
        Ok(Config {
            options,
            url,
            tls,
            proxy_tls,
            proxy,
            no_proxy,
            chains: Arc::default(),
        })
    }
}

/// Outside the setters' block: `capi/tests/parity.rs` reads that block as
/// the list of options.
impl Builder {
    /// Every option's value in this builder, named as in `docs/options.md`,
    /// in one plain form: durations as `N ms`, sizes as `N B`, switches as
    /// `on` or `off`, choices by their name in snake case (`drop_oldest`),
    /// counts and fractions as numbers, and `set` or `unset` for an option
    /// with no single value (headers, a proxy, certificates: what unset
    /// means is each option's own rule). For `capi/tests/parity.rs`, which
    /// compares the values of a new builder with the defaults Rust, C, C++
    /// and Go document, and for nothing else: no secret is shown.
    #[doc(hidden)]
    pub fn option_values(&self) -> Vec<(&'static str, String)> {
        fn ms(d: Duration) -> String {
            format!("{} ms", d.as_millis())
        }
        fn bytes(n: usize) -> String {
            format!("{n} B")
        }
        fn switch(on: bool) -> String {
            if on { "on" } else { "off" }.to_string()
        }
        fn set(present: bool) -> String {
            if present { "set" } else { "unset" }.to_string()
        }
        let o = &self.options;
        let r = &o.reconnect;
        let overflow = match o.overflow {
            Overflow::Block => "block",
            Overflow::DropOldest => "drop_oldest",
            Overflow::DropNewest => "drop_newest",
        };
        let shape = match r.shape {
            JitterShape::Add => "add",
            JitterShape::Scale => "scale",
            JitterShape::Around => "around",
        };
        vec![
            ("header", set(o.headers.iter().any(|h| !h.sensitive))),
            (
                "sensitive_header",
                set(o.headers.iter().any(|h| h.sensitive)),
            ),
            ("header_provider", set(o.header_provider.is_some())),
            ("query", set(!o.query.is_empty())),
            ("method", o.method.as_str().to_string()),
            ("body", set(o.body.is_some())),
            ("last_event_id", set(!o.last_event_id.is_empty())),
            ("resume_query", set(o.resume_query.is_some())),
            ("connect_timeout", ms(o.connect_timeout)),
            ("idle_timeout", ms(o.idle_timeout.unwrap_or_default())),
            ("reconnect", switch(r.enabled)),
            (
                "reconnect_delay",
                format!("{}, {}", ms(r.initial_delay), ms(r.max_delay)),
            ),
            ("jitter", r.jitter.to_string()),
            ("jitter_shape", shape.to_string()),
            ("reset_on_open", switch(o.reset_on_open)),
            ("server_retry", switch(o.server_retry)),
            ("max_attempts", r.max_attempts.to_string()),
            ("time_budget", ms(r.time_budget)),
            ("healthy_after", ms(r.healthy_after)),
            ("strict_status", switch(o.status_policy.strict)),
            ("retry_status", set(!o.status_policy.retry.is_empty())),
            ("retry_all_statuses", switch(o.status_policy.retry_all)),
            ("any_content_type", switch(o.any_content_type)),
            (
                "permanent_status",
                set(!o.status_policy.permanent.is_empty()),
            ),
            ("max_redirects", o.max_redirects.to_string()),
            ("insecure_redirects", switch(o.insecure_redirects)),
            ("max_line_length", bytes(o.limits.max_line_length)),
            ("max_event_size", bytes(o.limits.max_event_size)),
            (
                "dispatch_incomplete_at_eof",
                switch(o.dispatch_incomplete_at_eof),
            ),
            ("capacity", o.capacity.to_string()),
            ("max_queued_bytes", bytes(o.max_queued_bytes)),
            ("overflow", overflow.to_string()),
            ("deduplicate_ids", switch(o.deduplicate_ids)),
            ("resume_from_highest_id", switch(o.resume_from_highest_id)),
            ("filter_event_type", set(!o.event_types.is_empty())),
            ("comments", switch(o.comments)),
            ("post_url", set(o.post_url.is_some())),
            ("post_attempts", o.post_attempts.to_string()),
            (
                "post_delay",
                format!("{}, {}", ms(o.post_delay.0), ms(o.post_delay.1)),
            ),
            ("post_timeout", ms(o.post_timeout)),
            ("root_certificate", set(!o.root_certificates.is_empty())),
            ("platform_roots", switch(o.platform_roots)),
            ("retry_tls_errors", switch(o.retry_tls_errors)),
            ("proxy", set(o.proxy.is_some())),
            ("no_proxy", set(o.no_proxy.is_some())),
            ("compressed", switch(o.compressed)),
            ("client_certificate", set(o.client_certificate.is_some())),
            ("reader_stack_size", bytes(o.reader_stack_size)),
        ]
    }
}

/// The checked configuration the reader thread works from: the options as
/// given, and what was derived from them. Shared read-only.
pub(crate) struct Config {
    pub(crate) options: Options,
    /// The URL with the query parameters added.
    pub(crate) url: Url,
    tls: ureq::tls::TlsConfig,
    /// For the TLS connection to an `https://` proxy: the same roots, no
    /// client certificate.
    proxy_tls: ureq::tls::TlsConfig,
    /// The proxy of every connection and post, unless `no_proxy` lists the
    /// host.
    proxy: Option<ureq::Proxy>,
    no_proxy: NoProxy,
    /// The connector chains every connection of the stream shares.
    chains: Arc<crate::tunnel::Chains>,
}

impl Config {
    /// The proxy a request to `url` goes through, if any.
    pub(crate) fn proxy_for(&self, url: &Url) -> Option<&ureq::Proxy> {
        self.proxy.as_ref().filter(|_| !self.no_proxy.bypasses(url))
    }

    /// A fresh agent for requests to `url`, with the stream's connect, TLS
    /// and proxy settings: one per connection or post, so that close can
    /// shut each down. `per_read` is the idle timer; `deadline` bounds a
    /// whole call (posts only); `head` carries the size of each request
    /// head to the connection made for it.
    pub(crate) fn agent(
        &self,
        url: &Url,
        per_read: Option<Duration>,
        deadline: Option<Duration>,
        head: &crate::transport::HeadSize,
    ) -> ureq::Agent {
        let proxy = self.proxy_for(url).cloned();
        let proxy_tls = match &proxy {
            Some(p) if p.protocol() == ureq::ProxyProtocol::Https => Some(Arc::new(
                self.agent_config(per_read, deadline, self.proxy_tls.clone(), None),
            )),
            _ => None,
        };
        let config = self.agent_config(per_read, deadline, self.tls.clone(), proxy);
        // Every connection reads and writes through sselink's buffers,
        // which start small and grow (src/transport.rs); TLS and proxies go
        // through the stream's connector chains under them (src/tunnel.rs).
        // Failed name lookups are marked as DNS failures (src/resolver.rs).
        ureq::Agent::with_parts(
            config,
            crate::transport::LeanConnector::new(Arc::clone(&self.chains), proxy_tls, head.clone()),
            crate::resolver::MarkingResolver::default(),
        )
    }

    fn agent_config(
        &self,
        per_read: Option<Duration>,
        deadline: Option<Duration>,
        tls: ureq::tls::TlsConfig,
        proxy: Option<ureq::Proxy>,
    ) -> ureq::config::Config {
        let options = &self.options;
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .allow_non_standard_methods(true)
            .timeout_resolve(Some(options.connect_timeout))
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(per_read)
            // A server that takes no request bytes for the connect timeout
            // (one that accepts and never reads, say) fails the attempt.
            .timeout_per_write(Some(options.connect_timeout))
            .timeout_global(deadline)
            .user_agent(concat!("sselink/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .proxy(proxy)
            .accept_encoding(if options.compressed {
                ureq::config::AutoHeaderValue::Default
            } else {
                ureq::config::AutoHeaderValue::None
            })
            .max_idle_connections(0)
            // ureq's defaults are 128 KiB each, zeroed and so resident for
            // every open stream. The input buffer must hold a whole response
            // head, and a head that fills it must be an error, not a stall:
            // so the buffer is a little larger than the head limit. ureq's
            // own transports (TLS, proxies) are handed requests in pieces,
            // so 2 KiB serves for their output; sselink's buffers in front
            // of them fit each request head (src/transport.rs).
            .max_response_header_size(MAX_RESPONSE_HEAD)
            .input_buffer_size(MAX_RESPONSE_HEAD + 4 * 1024)
            .output_buffer_size(crate::transport::OUTPUT)
            .build()
    }

    /// The caller's headers with the provider's on top, each provided name
    /// replacing the configured ones: what every request carries. Calls the
    /// provider, on the calling thread.
    pub(crate) fn request_headers(&self) -> Result<Vec<HeaderOption>, Error> {
        let mut headers = self.options.headers.clone();
        let Some(provider) = &self.options.header_provider else {
            return Ok(headers);
        };
        let provided = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| provider()))
            .map_err(|payload| {
                Error::HeaderProvider(match payload.downcast::<ProviderFailure>() {
                    Ok(failure) => failure.0,
                    Err(_) => "it panicked".into(),
                })
            })?;
        let mut names = std::collections::HashSet::with_capacity(provided.len());
        let mut checked = Vec::with_capacity(provided.len());
        for (name, value) in provided {
            let (name, value) = check_header(&name, &value).map_err(Error::HeaderProvider)?;
            names.insert(name.clone());
            checked.push(HeaderOption {
                name,
                value,
                sensitive: true,
            });
        }
        headers.retain(|h| !names.contains(&h.name));
        headers.extend(checked);
        Ok(headers)
    }
}

/// `url` parsed, when it is an http(s) URL that can be sent as written.
/// Messages never echo a password, whatever the text holds.
fn parse_url(url: &str) -> Result<Url, String> {
    if url.contains(['\r', '\n', '\t']) {
        // A URL parser silently drops them: refuse instead, as for headers.
        return Err("the URL has a CR, LF or tab; remove it".into());
    }
    let shown = crate::redact::url_for_logs(url);
    if !url.contains("://") {
        return Err(format!(
            "URL `{shown}` does not start with http:// or https://"
        ));
    }
    let parsed = Url::parse(url).map_err(|e| format!("URL `{shown}` does not parse ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("URL `{shown}` is not http or https"));
    }
    Ok(parsed)
}

/// A proxy URL parsed: `http`, `https` or SOCKS (`socks4`, `socks4a`,
/// `socks5`, `socks5h`; `socks` is `socks5`); without a scheme, `http`.
/// Messages never echo a password.
fn parse_proxy(url: &str) -> Result<ureq::Proxy, String> {
    if url.contains(['\r', '\n', '\t']) {
        return Err("the proxy URL has a CR, LF or tab; remove it".into());
    }
    let shown = crate::redact::url_for_logs(url);
    ureq::Proxy::new(url).map_err(|e| {
        format!(
            "proxy `{shown}` does not parse ({e}); write it as \
             scheme://[user:password@]host:port with http, https, socks4, socks4a, socks5 or \
             socks5h, and percent-encode reserved characters in the password"
        )
    })
}

/// Checks that the stream's request and a post's fit in
/// [`MAX_REQUEST_HEAD`](crate::head::MAX_REQUEST_HEAD) as configured (a
/// header provider's headers are checked at each connect and post).
fn check_heads(options: &Options, url: &Url) -> Result<(), String> {
    use crate::head::{field, size, too_long, MAX_REQUEST_HEAD};
    let headers: usize = options
        .headers
        .iter()
        .map(|h| field(h.name.as_str(), h.value.len()))
        .sum();
    // Accept and Cache-Control, the seeded id, and the id in the query.
    let id = &options.last_event_id;
    let own = field("accept", 17) + field("cache-control", 8);
    let own = own
        + if id.is_empty() {
            0
        } else {
            field("last-event-id", id.len())
        };
    let mut resumed = url.clone();
    if let (Some(name), false) = (&options.resume_query, id.is_empty()) {
        resumed.query_pairs_mut().append_pair(name, id);
    }
    let stream = size(options.method.as_str(), &resumed, headers + own);
    if stream > MAX_REQUEST_HEAD {
        return Err(format!(
            "the URL and headers make {}; shorten them",
            too_long(stream)
        ));
    }
    // The default post URL is the stream's, at most as long.
    let post_url = options.post_url.as_ref().unwrap_or(url);
    let post = size("POST", post_url, headers + field("content-type", 16));
    if post > MAX_REQUEST_HEAD {
        return Err(format!(
            "the post URL and headers make {}; shorten them",
            too_long(post)
        ));
    }
    Ok(())
}

fn check_duration(setting: &str, duration: Duration) -> Result<(), String> {
    if duration > MAX_DURATION {
        return Err(format!(
            "{setting} must be at most a year ({} s), not {duration:?}",
            MAX_DURATION.as_secs()
        ));
    }
    Ok(())
}

fn check_nonzero(setting: &str, bytes: usize) -> Result<(), String> {
    if bytes == 0 {
        return Err(format!("{setting} must be at least 1 byte"));
    }
    Ok(())
}

/// Checks a header a caller or a header provider gives: a token name that
/// sselink does not reserve, and a value without control characters.
pub(crate) fn check_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("header name `{}` is not an HTTP token", name.escape_debug()))?;
    if FRAMING_HEADERS.contains(&name.as_str()) {
        return Err(format!(
            "header `{name}` frames the request and is set by sselink; leave it out"
        ));
    }
    if value.contains(['\r', '\n', '\0']) {
        return Err(format!("header `{name}` has CR, LF or NUL in its value"));
    }
    let value = HeaderValue::from_str(value)
        .map_err(|_| format!("header `{name}` has a control character in its value"))?;
    let size = crate::head::field(name.as_str(), value.len());
    if size > crate::head::MAX_REQUEST_HEAD {
        return Err(format!(
            "header `{name}` alone makes {}; shorten it",
            crate::head::too_long(size)
        ));
    }
    Ok((name, value))
}

fn is_credential(name: &HeaderName) -> bool {
    use ureq::http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};
    *name == AUTHORIZATION || *name == COOKIE || *name == PROXY_AUTHORIZATION
}

/// The TLS settings of the stream's servers and of an `https://` proxy:
/// the same trust roots, a client certificate for servers alone. The
/// crypto provider is set (ring, as the certificates were checked with), so
/// a process-wide default cannot make a checked key unusable at connect.
fn tls_configs(options: &Options) -> Result<(ureq::tls::TlsConfig, ureq::tls::TlsConfig), String> {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let (extra, platform) = (&options.root_certificates, options.platform_roots);
    let roots = if platform {
        if !extra.is_empty() {
            return Err("extra root certificates cannot be combined with the platform's roots; use one or the other".into());
        }
        RootCerts::PlatformVerifier
    } else if extra.is_empty() {
        RootCerts::WebPki
    } else {
        let mut all: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect();
        all.extend(extra.iter().cloned());
        RootCerts::new_with_certs(&all)
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = |client: Option<ureq::tls::ClientCert>| {
        TlsConfig::builder()
            .root_certs(roots.clone())
            .client_cert(client)
            .unversioned_rustls_crypto_provider(Arc::clone(&provider))
            .build()
    };
    Ok((config(options.client_certificate.clone()), config(None)))
}

/// [`parse_client_certificate`], then `key` overwritten with zeros, whether
/// it was usable or not.
fn take_client_certificate(chain: &[u8], key: &mut [u8]) -> Result<ureq::tls::ClientCert, String> {
    let parsed = parse_client_certificate(chain, key);
    wipe(key);
    parsed
}

/// A client certificate chain and its key, each checked, and checked to
/// belong together, with the same provider the connections use. Every copy
/// of the key made here but the one returned is overwritten with zeros.
fn parse_client_certificate(chain: &[u8], key: &[u8]) -> Result<ureq::tls::ClientCert, String> {
    use rustls::pki_types::pem::{PemObject, SectionKind};
    use ureq::tls::{ClientCert, PrivateKey};
    let certificates = parse_certificates(chain)
        .map_err(|why| format!("the client certificate cannot be used: {why}"))?;
    let bad_key = |why: String| format!("the client key cannot be used: {why}");
    // The key as DER, in a buffer of ours to wipe.
    let mut decoded = Vec::new();
    let der: &[u8] = if key.trim_ascii_start().starts_with(b"-----") {
        for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(key) {
            let (kind, mut bytes) = section.map_err(|e| bad_key(format!("bad PEM ({e})")))?;
            let is_key = matches!(
                kind,
                SectionKind::PrivateKey | SectionKind::RsaPrivateKey | SectionKind::EcPrivateKey
            );
            if is_key && decoded.is_empty() {
                decoded = bytes;
            } else {
                wipe(&mut bytes);
            }
        }
        if decoded.is_empty() {
            return Err(bad_key("no PRIVATE KEY block in the PEM text".into()));
        }
        &decoded
    } else {
        key
    };
    let checked = check_key(&certificates, der).map_err(bad_key);
    let pem = checked.and_then(|label| {
        let mut pem = pem_text(label, der);
        let parsed = PrivateKey::from_pem(pem.as_bytes()).map_err(|e| bad_key(e.to_string()));
        wipe_string(&mut pem);
        parsed
    });
    wipe(&mut decoded);
    Ok(ClientCert::new_with_certs(&certificates, pem?))
}

/// Checks that `der` is a key rustls can sign with and that it belongs to
/// the first certificate of `chain`; returns its PEM label, which is how
/// ureq learns a key's kind.
fn check_key(
    chain: &[ureq::tls::Certificate<'static>],
    der: &[u8],
) -> Result<&'static str, String> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use rustls::sign::CertifiedKey;
    let key = PrivateKeyDer::try_from(der).map_err(|e| e.to_string())?;
    let label = match &key {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    };
    let signing = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| format!("not a usable RSA, ECDSA or Ed25519 key ({e})"))?;
    let certificates = chain
        .iter()
        .map(|c| CertificateDer::from(c.der()).into_owned())
        .collect();
    match CertifiedKey::new(certificates, signing).keys_match() {
        // rustls accepts a key whose public half it cannot compute.
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(label)
        }
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => Err(
            "it does not belong to the certificate (their public keys differ); give the key \
             the certificate was issued for, or the certificate first in the chain"
                .into(),
        ),
        Err(e) => Err(format!("the certificate and key cannot be paired ({e})")),
    }
}

/// `der` as PEM text under `label`, in one buffer allocated once (so no
/// partial copy is left behind by a reallocation).
fn pem_text(label: &str, der: &[u8]) -> String {
    let encoded = der.len().div_ceil(3) * 4;
    let mut out = String::with_capacity(2 * label.len() + encoded + encoded / 64 + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    push_base64(&mut out, der);
    out.push_str("\n-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// Appends standard base64 with padding, in lines of 64 characters, as
/// PEM wants.
fn push_base64(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (n, chunk) in bytes.chunks(3).enumerate() {
        if n > 0 && n % 16 == 0 {
            out.push('\n');
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(v >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

/// Overwrites `bytes` with zeros, in a way the optimiser keeps.
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(&*bytes);
}

fn wipe_string(text: &mut String) {
    let mut bytes = std::mem::take(text).into_bytes();
    wipe(&mut bytes);
}

/// The certificates in PEM text, or one DER certificate, each checked to be
/// usable as a trust anchor.
fn parse_certificates(bytes: &[u8]) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    use ureq::tls::{parse_pem, Certificate, PemItem};
    let certificates = if bytes.trim_ascii_start().starts_with(b"-----") {
        let mut certificates = Vec::new();
        for item in parse_pem(bytes) {
            if let PemItem::Certificate(certificate) = item.map_err(|e| format!("bad PEM ({e})"))? {
                certificates.push(certificate);
            }
        }
        if certificates.is_empty() {
            return Err("no CERTIFICATE block in the PEM text".into());
        }
        certificates
    } else {
        vec![Certificate::from_der(bytes).to_owned()]
    };
    for certificate in &certificates {
        let der = rustls::pki_types::CertificateDer::from(certificate.der());
        rustls::RootCertStore::empty()
            .add(der)
            .map_err(|e| format!("not a certificate ({e})"))?;
    }
    Ok(certificates)
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

    fn b() -> Builder {
        Builder::new("http://h/")
    }

    #[test]
    fn rejects_bad_urls_and_schemes() {
        assert!(error_of(Builder::new("not a url")).contains("does not start with http"));
        assert!(error_of(Builder::new("http://[::1")).contains("does not parse"));
        assert!(error_of(Builder::new("ftp://example.com/")).contains("not http or https"));
        assert!(error_of(Builder::new("file:///etc/passwd")).contains("not http or https"));
        assert!(Builder::new("https://example.com/events").build().is_ok());
    }

    #[test]
    fn rejects_control_characters_in_headers() {
        for value in ["a\rb", "a\nb", "a\0b"] {
            assert!(error_of(b().header("X-A", value)).contains("CR, LF or NUL"));
        }
        assert!(error_of(b().header("X-A", "a\x01b")).contains("control character"));
        assert!(error_of(b().header("Bad Name", "v")).contains("not an HTTP token"));
        assert!(error_of(b().header("X\r\nY", "v")).contains("not an HTTP token"));
        assert!(
            b().header("X-A", "caf\u{e9}").build().is_ok(),
            "opaque bytes"
        );
    }

    #[test]
    fn rejects_headers_that_frame_the_request() {
        for name in [
            "Content-Length",
            "transfer-encoding",
            "Host",
            "Connection",
            "TE",
            "Upgrade",
        ] {
            assert!(
                error_of(b().header(name, "5")).contains("frames the request"),
                "{name}"
            );
            assert!(check_header(name, "5").is_err(), "{name}");
        }
        assert!(b().header("Accept", "text/plain").build().is_ok());
    }

    #[test]
    fn the_first_error_is_kept_and_later_setters_do_not_hide_it() {
        let builder = b().jitter(f64::NAN).capacity(0).header("X-Ok", "1");
        assert!(error_of(builder).contains("jitter"));
    }

    #[test]
    fn rejects_bad_methods_ids_capacity_and_certificates() {
        assert!(error_of(b().method("GE T")).contains("method"));
        assert!(b().method("REPORT").build().is_ok());
        for id in ["1\n2", "a\u{1}b", "x\u{7f}", "\r"] {
            assert!(
                error_of(b().last_event_id(id)).contains("last event id"),
                "{id:?}"
            );
        }
        assert!(b().last_event_id("caf\u{e9} 7").build().is_ok());
        assert!(error_of(b().capacity(0)).contains("capacity"));
        assert!(error_of(b().capacity(usize::MAX)).contains("capacity"));
        assert!(error_of(b().capacity(1 << 40)).contains("capacity"));
        assert!(b().capacity(MAX_CAPACITY).build().is_ok());
        assert!(error_of(b().root_certificate("-----BEGIN X-----\n")).contains("root certificate"));
        assert!(
            error_of(b().root_certificate(vec![1, 2, 3])).contains("not a certificate"),
            "garbage DER is refused, not ignored"
        );
        assert!(error_of(b().root_certificate(Vec::new())).contains("root certificate"));
        assert!(error_of(b().reader_stack_size(100)).contains("reader_stack_size"));
        assert!(error_of(b().reader_stack_size(usize::MAX)).contains("reader_stack_size"));
        assert!(error_of(b().reader_stack_size(MAX_STACK_SIZE + 1)).contains("1073741824"));
        assert!(b().reader_stack_size(MAX_STACK_SIZE).build().is_ok());
    }

    #[test]
    fn a_provider_failure_carries_its_reason_as_it_is() {
        let config = b()
            .header_provider(|| {
                std::panic::resume_unwind(Box::new(ProviderFailure("token store down".into())))
            })
            .build()
            .unwrap();
        match config.request_headers() {
            Err(Error::HeaderProvider(reason)) => assert_eq!(reason, "token store down"),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("the provider's failure was ignored"),
        }
    }

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        let base64 = |bytes: &[u8]| {
            let mut out = String::new();
            push_base64(&mut out, bytes);
            out
        };
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff; 48]).len(), 64);
        assert!(base64(&[0; 49]).contains('\n'));
        use rustls::pki_types::pem::{PemObject, SectionKind};
        for len in [1, 47, 48, 49, 1217] {
            let der: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let pem = pem_text("EC PRIVATE KEY", &der);
            let sections: Vec<_> = <(SectionKind, Vec<u8>)>::pem_slice_iter(pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(sections, vec![(SectionKind::EcPrivateKey, der)], "{len}");
        }
    }

    #[test]
    fn the_key_given_is_overwritten_with_zeros_whether_usable_or_not() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let other = rcgen::KeyPair::generate().unwrap();
        for (given, usable) in [
            (key.serialize_pem(), true),
            (other.serialize_pem(), false),
            ("not a key".to_string(), false),
        ] {
            let mut bytes = given.into_bytes();
            let parsed = take_client_certificate(cert.pem().as_bytes(), &mut bytes);
            assert_eq!(parsed.is_ok(), usable);
            assert!(bytes.iter().all(|&b| b == 0), "the key's bytes were kept");
        }
    }

    #[test]
    fn client_certificates_are_checked_when_set() {
        assert!(
            error_of(b().client_certificate(vec![1, 2], vec![3])).contains("client certificate")
        );
    }

    #[test]
    fn proxies_are_checked_when_set_without_showing_credentials() {
        assert!(b().proxy("http://user:pw@127.0.0.1:3128").build().is_ok());
        for socks in [
            "socks5://u:pw@127.0.0.1:1080",
            "socks5h://h:1",
            "socks4://h:1",
            "socks://h",
        ] {
            assert!(b().proxy(socks).build().is_ok(), "{socks}");
        }
        let bad = error_of(b().proxy("ftp://user:SECRET@127.0.0.1:1080"));
        assert!(
            bad.contains("does not parse") && !bad.contains("SECRET"),
            "{bad}"
        );
        assert!(error_of(b().proxy("http://[::1")).contains("does not parse"));
        let none = b()
            .proxy("http://127.0.0.1:3128")
            .no_proxy("*")
            .build()
            .unwrap();
        assert!(none.proxy.is_none());
        let listed = b()
            .proxy("http://u:p@127.0.0.1:3128")
            .no_proxy("localhost, 10.0.0.0/8")
            .build()
            .unwrap();
        let proxy = listed.proxy.clone().unwrap();
        assert_eq!(
            (proxy.host(), proxy.port(), proxy.username()),
            ("127.0.0.1", 3128, Some("u"))
        );
        let to = |url: &str| listed.proxy_for(&Url::parse(url).unwrap()).is_some();
        assert!(to("http://example.com/") && !to("http://localhost/") && !to("https://10.1.2.3/"));
    }

    #[test]
    fn rejects_durations_that_cannot_work() {
        assert!(error_of(b().connect_timeout(Duration::ZERO)).contains("more than zero"));
        for huge in [
            Duration::MAX,
            Duration::from_secs(u64::MAX),
            MAX_DURATION + Duration::from_nanos(1),
        ] {
            assert!(error_of(b().connect_timeout(huge)).contains("at most a year"));
            assert!(error_of(b().idle_timeout(Some(huge))).contains("at most a year"));
            assert!(error_of(b().reconnect_delay(huge, huge)).contains("at most a year"));
            assert!(error_of(b().time_budget(huge)).contains("at most a year"));
            assert!(error_of(b().healthy_after(huge)).contains("at most a year"));
        }
        let zero_idle = b().idle_timeout(Some(Duration::ZERO)).build().unwrap();
        assert_eq!(zero_idle.options.idle_timeout, None, "zero means none");
        assert!(b().connect_timeout(MAX_DURATION).build().is_ok());
        for jitter in [f64::NAN, -0.1, 1.1, f64::INFINITY] {
            assert!(error_of(b().jitter(jitter)).contains("jitter"));
        }
    }

    #[test]
    fn status_policy_standard_strict_and_moved_statuses() {
        let standard = b().build().unwrap().options.status_policy;
        for permanent in [301, 400, 401, 403, 404, 410, 451] {
            assert!(standard.is_permanent(permanent), "{permanent}");
        }
        for retried in [408, 429, 500, 502, 503, 504] {
            assert!(!standard.is_permanent(retried), "{retried}");
        }
        let strict = b()
            .strict_status(true)
            .build()
            .unwrap()
            .options
            .status_policy;
        assert!(strict.is_permanent(503));
        let moved = b()
            .strict_status(true)
            .retry_status(503)
            .retry_status(404)
            .permanent_status(500)
            .build()
            .unwrap()
            .options
            .status_policy;
        assert!(!moved.is_permanent(503) && !moved.is_permanent(404));
        assert!(moved.is_permanent(500));
    }

    #[test]
    fn no_error_or_debug_text_shows_a_password_whatever_the_url() {
        let urls = [
            "alice:PASSWORD@host/path",
            "alice:PASSWORD@host",
            "http://alice:PASS/WORD@host/path",
            "http://alice:PASS#WORD@host/path",
            "http://alice:PASS?WORD@host/path",
            "http://alice:12/PASSWORD@host/path",
            "https://alice:PASS%2FWORD@[::1/path",
            "ftp://alice:PASSWORD@host/",
            "http://alice:PASSWORD@host:99999/",
            "http://alice:PASS\nWORD@host/",
        ];
        for url in urls {
            let builder = Builder::new(url);
            let posted = b().post_url(url);
            let proxied = b().proxy(url);
            for text in [
                format!("{builder:?}"),
                format!("{:?}", builder.error()),
                format!("{posted:?}"),
                format!("{proxied:?}"),
                format!("{:?}", proxied.error()),
                builder.error().map(ToString::to_string).unwrap_or_default(),
                posted.error().map(ToString::to_string).unwrap_or_default(),
                proxied.error().map(ToString::to_string).unwrap_or_default(),
            ] {
                assert!(
                    !text.contains("PASS") && !text.contains("WORD"),
                    "{url:?}: {text}"
                );
            }
        }
        // Not vacuous: the scheme-less one is refused, saying why.
        assert!(error_of(Builder::new("alice:PASSWORD@host/path")).contains("http://"));
    }

    #[test]
    fn cr_lf_and_tab_in_a_url_are_refused() {
        for url in [
            "http://h/ev\nents",
            "http://h/ev\rents",
            "http://h/ev\tents",
            "http://h\n/",
        ] {
            assert!(
                error_of(Builder::new(url)).contains("CR, LF or tab"),
                "{url:?}"
            );
            assert!(
                error_of(b().post_url(url)).contains("CR, LF or tab"),
                "{url:?}"
            );
            assert!(
                error_of(b().proxy(url)).contains("CR, LF or tab"),
                "{url:?}"
            );
        }
    }

    #[test]
    fn debug_never_shows_header_values_or_query_values() {
        let text = format!(
            "{:?}",
            Builder::new("http://user:pw@h/e?api_key=SECRET")
                .header("Authorization", "Bearer secret")
        );
        assert!(
            text.contains("authorization")
                && !text.contains("secret")
                && !text.contains("SECRET")
                && !text.contains("pw"),
            "{text}"
        );
    }
}
