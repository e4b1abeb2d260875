//! [`Error`]: the one error type of sselink, and how transport failures map
//! onto its kinds.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::parser::LimitExceeded;
use crate::resolver::NameNotResolved;
use crate::tls_failure::TlsFailure;

/// The underlying error behind a network failure, shared so that an
/// [`Error`] stays cheap to clone. Reached through
/// [`std::error::Error::source`].
pub type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong with a stream.
///
/// Transient errors (network, timeouts, retryable statuses) reach the caller
/// inside [`Item::Retrying`](crate::Item::Retrying) while the stream
/// reconnects; terminal ones inside [`Item::Closed`](crate::Item::Closed).
/// Each message says what happened and what to do about it, and
/// [`source`](std::error::Error::source) gives the underlying error where
/// there is one. Two errors are equal when they are of the same kind and read
/// the same.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration cannot work: a URL that does not parse or is not
    /// http(s), a header with CR, LF or NUL, a method that is not a token, a
    /// value out of range. Reported when the stream is created.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// The server ended the response; sselink reconnects unless told not to.
    #[error("the server ended the response")]
    EndOfStream,

    /// The host name did not resolve.
    #[error("the host name did not resolve ({0}); check the URL and the network's DNS")]
    Dns(#[source] Cause),

    /// Nothing listens at the server's address and port.
    #[error(
        "the server refused the connection ({0}); check that it is running and the URL's port"
    )]
    ConnectionRefused(#[source] Cause),

    /// The connection was reset or broken while in use.
    #[error("the connection was reset ({0})")]
    ConnectionReset(#[source] Cause),

    /// The TLS handshake failed: an untrusted, expired or wrong-name
    /// certificate, a client certificate the server refused, or no common
    /// protocol. The message says which and what to do; the error rustls
    /// reported is the source's source. While connecting it closes the
    /// stream unless [`retry_tls_errors`](crate::Builder::retry_tls_errors)
    /// is set.
    #[error("TLS failed: {0}")]
    Tls(#[source] Cause),

    /// The proxy refused the connection (a CONNECT answered with an error
    /// status, such as 407 for missing credentials; a SOCKS proxy refusing),
    /// answered with something that is not its protocol, or could not be
    /// used. A refusal that asking again cannot change (a 4xx but 408 and
    /// 429; SOCKS credentials or destination refused) closes the stream
    /// instead of being retried.
    #[error("the proxy failed ({0}); check the proxy URL and its credentials")]
    Proxy(#[source] Cause),

    /// Another network failure while connecting, sending or reading.
    #[error("network error ({0})")]
    Network(#[source] Cause),

    /// Resolving and connecting took longer than the connect timeout.
    #[error("connecting timed out after {0:?}; the server may be down or unreachable")]
    ConnectTimeout(Duration),

    /// No byte arrived for the idle timeout: the connection is taken as dead.
    #[error("no data for {0:?} (the idle timeout); the server may be silent or the connection dead (raise idle_timeout if it sends rarely)")]
    IdleTimeout(Duration),

    /// The server answered with a status that is not a success.
    #[error("{0}")]
    Status(Box<HttpFailure>),

    /// The response was a success but not an event stream.
    #[error("the server answered with Content-Type {}, not text/event-stream; check the URL", .found.as_deref().map(|t| format!("`{t}`")).unwrap_or_else(|| "missing".into()))]
    ContentType {
        /// The Content-Type received, if any.
        found: Option<String>,
    },

    /// A redirect could not be followed.
    #[error("a redirect could not be followed: {0}")]
    Redirect(String),

    /// The server broke a size limit (line length or event size).
    #[error(transparent)]
    Limit(LimitExceeded),

    /// The stream gave up after the configured number of reconnect attempts.
    #[error(
        "gave up after {attempts} reconnect attempts (max_attempts), the last one because {last}"
    )]
    AttemptsExhausted {
        /// Reconnect attempts made.
        attempts: u32,
        /// The error of the last attempt.
        #[source]
        last: Box<Error>,
    },

    /// The stream gave up because an outage outlasted the time budget.
    #[error("gave up when the outage outlasted the {budget:?} time budget, the last attempt failing because {last}")]
    TimeBudgetExhausted {
        /// The configured budget for one outage.
        budget: Duration,
        /// The error of the last attempt.
        #[source]
        last: Box<Error>,
    },

    /// The header provider panicked or returned a header that cannot be sent.
    #[error("the header provider failed: {0}")]
    HeaderProvider(String),

    /// The operating system refused a resource sselink needs: a thread for
    /// the reader, or memory for the channel.
    #[error("the system refused a resource ({0}); lower the number of streams or raise the process's limits")]
    Resource(#[source] Cause),

    /// The stream was closed while a post was waiting or in flight.
    #[error("the stream was closed")]
    Closed,

    /// A post did not finish within its timeout.
    #[error("{}", deadline_message(*.timeout, .last.as_deref(), *.retry_after, false))]
    Deadline {
        /// The post's timeout.
        timeout: Duration,
        /// Why the last attempt failed, when one did: a retried status (see
        /// [`Error::status`]), a network error, or a response the deadline
        /// cut off ([`Error::IncompleteBody`]).
        last: Option<Box<Error>>,
        /// The wait the server asked for with `Retry-After`, when it lies
        /// beyond the deadline: the post gave up at once rather than wait
        /// in vain.
        retry_after: Option<Duration>,
    },

    /// The server answered a post, but the body of its response was cut
    /// off: the connection broke, or the post's deadline passed, before the
    /// whole body arrived. The server got the post and may have acted on
    /// it.
    #[error(
        "the server answered the post with HTTP {status}, but its response body was cut off \
         after {received}{} bytes ({cause}); the server got the post and may have acted on it, \
         so check before posting again",
        .expected.map(|n| format!(" of {n}")).unwrap_or_default()
    )]
    IncompleteBody {
        /// The response's status.
        status: u16,
        /// The body bytes that arrived.
        received: usize,
        /// The body's announced length (`Content-Length`), if it had one.
        expected: Option<u64>,
        /// Why the body ended early.
        #[source]
        cause: Cause,
    },

    /// The reader thread stopped without saying why. A bug in sselink.
    #[error("sselink's reader thread stopped unexpectedly; please report this bug")]
    ReaderDied,
}

impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.to_string() == other.to_string()
    }
}

impl Eq for Error {}

/// Why a proxy could not be used: it refused the tunnel (a CONNECT
/// answered with an error status, a SOCKS refusal) or answered with
/// something that is not its protocol. The cause inside [`Error::Proxy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProxyFailure {
    /// What happened, in words a user can act on.
    pub(crate) message: String,
    /// True when asking again cannot help (the proxy wants other
    /// credentials or forbids the destination): the stream closes instead of
    /// retrying, and a post stops.
    pub(crate) permanent: bool,
}

impl fmt::Display for ProxyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProxyFailure {}

/// A failed HTTP response: its status, headers and the start of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpFailure {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers, names lowercase, in the order received.
    pub headers: Vec<(String, String)>,
    /// The start of the body, decoded as UTF-8 (lossy), at most
    /// [`HttpFailure::BODY_LIMIT`] bytes.
    pub body: String,
    /// True when the status policy treated the status as permanent.
    pub permanent: bool,
}

impl HttpFailure {
    /// The most body bytes kept from a failed response.
    pub const BODY_LIMIT: usize = 8 * 1024;

    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the server answered HTTP {}", self.status)?;
        let excerpt: String = self.body.trim().chars().take(200).collect();
        if !excerpt.is_empty() {
            write!(f, " ({excerpt})")?;
        }
        let advice = match self.status {
            401 | 403 => "check the credentials or headers",
            404 | 410 => "check the URL",
            _ if self.permanent => "the status policy treats it as permanent",
            _ => "sselink retries",
        };
        write!(f, "; {advice}")
    }
}

impl Error {
    /// True for a proxy's refusal that asking again cannot change: the
    /// stream closes and a post stops, as curl stops at once.
    pub(crate) fn is_permanent_proxy_failure(&self) -> bool {
        match self {
            Error::Proxy(cause) => cause
                .downcast_ref::<ProxyFailure>()
                .is_some_and(|failure| failure.permanent),
            _ => false,
        }
    }

    /// The HTTP status behind this error, if a response caused it.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status(failure) => Some(failure.status),
            Error::AttemptsExhausted { last, .. } | Error::TimeBudgetExhausted { last, .. } => {
                last.status()
            }
            Error::Deadline {
                last: Some(last), ..
            } => last.status(),
            Error::IncompleteBody { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A TLS failure that trying again cannot mend (a certificate refused,
    /// a server that does not speak TLS or shares nothing with sselink):
    /// final unless `retry_tls_errors`. A fault the server reports on its
    /// side is not.
    pub(crate) fn is_lasting_tls_failure(&self) -> bool {
        match self {
            Error::Tls(cause) => cause
                .downcast_ref::<TlsFailure>()
                .is_none_or(TlsFailure::is_lasting),
            _ => false,
        }
    }

    /// This error as sselink logs it: as [`Display`](fmt::Display) shows it,
    /// but without a failed response's body, which is the server's text and
    /// may echo what the request carried.
    pub(crate) fn for_logs(&self) -> String {
        match self {
            Error::Status(failure) => format!("the server answered HTTP {}", failure.status),
            Error::AttemptsExhausted { attempts, last } => format!(
                "gave up after {attempts} reconnect attempts (max_attempts), the last one because {}",
                last.for_logs()
            ),
            Error::TimeBudgetExhausted { budget, last } => format!(
                "gave up when the outage outlasted the {budget:?} time budget, the last attempt failing because {}",
                last.for_logs()
            ),
            Error::Deadline {
                timeout,
                last,
                retry_after,
            } => deadline_message(*timeout, last.as_deref(), *retry_after, true),
            other => other.to_string(),
        }
    }

    /// Maps a transport error onto a kind, keeping it as the cause.
    pub(crate) fn from_ureq(
        error: ureq::Error,
        connect_timeout: Duration,
        idle_timeout: Option<Duration>,
    ) -> Error {
        use ureq::Timeout;
        match error {
            ureq::Error::Timeout(Timeout::Connect | Timeout::Resolve) => {
                Error::ConnectTimeout(connect_timeout)
            }
            ureq::Error::Timeout(Timeout::PerWrite) => Error::Network(Arc::new(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the server took no bytes of the request for {connect_timeout:?}, the \
                     connect timeout; it may be overloaded or not reading the request"
                ),
            ))),
            ureq::Error::Timeout(_) => Error::IdleTimeout(idle_timeout.unwrap_or_default()),
            ureq::Error::Io(io) => Error::from_io(io, connect_timeout, idle_timeout),
            ureq::Error::HostNotFound => Error::Dns(Arc::new(error)),
            ureq::Error::Other(inner) if inner.is::<NameNotResolved>() => Error::Dns(inner.into()),
            ureq::Error::Tls(_) | ureq::Error::Pem(_) | ureq::Error::Rustls(_) => {
                Error::Tls(Arc::new(TlsFailure::new(error)))
            }
            ureq::Error::ConnectProxyFailed(_) | ureq::Error::InvalidProxyUrl => {
                Error::Proxy(Arc::new(error))
            }
            ureq::Error::Other(inner) if inner.is::<ProxyFailure>() => {
                Error::Proxy(Arc::from(inner))
            }
            other => Error::Network(Arc::new(other)),
        }
    }

    /// Maps an I/O error onto a kind. Reading a body, ureq wraps its own
    /// errors (its per-read timeout among them) in an I/O error, and rustls
    /// wraps handshake failures: both are unwrapped first.
    pub(crate) fn from_io(
        io: io::Error,
        connect_timeout: Duration,
        idle_timeout: Option<Duration>,
    ) -> Error {
        if io.get_ref().is_some_and(|inner| inner.is::<ureq::Error>()) {
            if let Some(Ok(inner)) = io.into_inner().map(|e| e.downcast::<ureq::Error>()) {
                return Error::from_ureq(*inner, connect_timeout, idle_timeout);
            }
            return Error::Network(Arc::new(io::Error::other("unknown transport error")));
        }
        if io
            .get_ref()
            .is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return Error::Tls(Arc::new(TlsFailure::new(io)));
        }
        use io::ErrorKind::*;
        match io.kind() {
            TimedOut | WouldBlock => Error::IdleTimeout(idle_timeout.unwrap_or_default()),
            ConnectionRefused => Error::ConnectionRefused(Arc::new(io)),
            ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                Error::ConnectionReset(Arc::new(io))
            }
            _ => Error::Network(Arc::new(io)),
        }
    }
}

/// The text of [`Error::Deadline`]; `logs` leaves out what the server's
/// body said, as [`Error::for_logs`] does.
fn deadline_message(
    timeout: Duration,
    last: Option<&Error>,
    retry_after: Option<Duration>,
    logs: bool,
) -> String {
    let mut text = format!("the post did not finish within {timeout:?} (its timeout)");
    let Some(last) = last else {
        text.push_str("; raise post_timeout if the server needs longer");
        return text;
    };
    let got = match last {
        Error::Status(failure) => {
            let excerpt: String = failure.body.trim().chars().take(200).collect();
            if logs || excerpt.is_empty() {
                format!("got HTTP {}", failure.status)
            } else {
                format!("got HTTP {} ({excerpt})", failure.status)
            }
        }
        other if logs => format!("failed because {}", other.for_logs()),
        other => format!("failed because {other}"),
    };
    match retry_after {
        Some(wait) => text.push_str(&format!(
            ": the last attempt {got}, and the server asked to wait {wait:?} (Retry-After), \
             which lies beyond the deadline; post again after that wait, or raise post_timeout"
        )),
        None => text.push_str(&format!(": the last attempt {got}")),
    }
    text
}

impl From<LimitExceeded> for Error {
    fn from(limit: LimitExceeded) -> Error {
        Error::Limit(limit)
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    const CONNECT: Duration = Duration::from_secs(10);
    const IDLE: Option<Duration> = Some(Duration::from_secs(45));

    fn map(error: ureq::Error) -> Error {
        Error::from_ureq(error, CONNECT, IDLE)
    }

    fn io(kind: io::ErrorKind) -> Error {
        map(ureq::Error::Io(io::Error::new(kind, "from the socket")))
    }

    #[test]
    fn transport_errors_map_to_kinds_a_program_can_match() {
        assert!(matches!(map(ureq::Error::HostNotFound), Error::Dns(_)));
        assert!(matches!(
            io(io::ErrorKind::ConnectionRefused),
            Error::ConnectionRefused(_)
        ));
        for kind in [
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::UnexpectedEof,
        ] {
            assert!(matches!(io(kind), Error::ConnectionReset(_)), "{kind:?}");
        }
        assert!(matches!(map(ureq::Error::Tls("bad")), Error::Tls(_)));
        let handshake = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::General("handshake".into()),
        );
        assert!(matches!(map(ureq::Error::Io(handshake)), Error::Tls(_)));
        assert_eq!(
            map(ureq::Error::Timeout(ureq::Timeout::Connect)),
            Error::ConnectTimeout(CONNECT)
        );
        assert_eq!(
            map(ureq::Error::Timeout(ureq::Timeout::PerRead)),
            Error::IdleTimeout(Duration::from_secs(45))
        );
        assert!(matches!(io(io::ErrorKind::TimedOut), Error::IdleTimeout(_)));
        // A write the server takes no byte of, for the connect timeout.
        let stalled = map(ureq::Error::Timeout(ureq::Timeout::PerWrite));
        assert!(matches!(stalled, Error::Network(_)), "{stalled:?}");
        assert!(
            stalled.to_string().contains("10s, the connect timeout"),
            "{stalled}"
        );
        assert!(matches!(
            map(ureq::Error::ConnectionFailed),
            Error::Network(_)
        ));
        // A ureq error wrapped in an I/O error, as body reads report them.
        let wrapped = io::Error::other(ureq::Error::Timeout(ureq::Timeout::PerRead));
        assert!(matches!(
            map(ureq::Error::Io(wrapped)),
            Error::IdleTimeout(_)
        ));
    }

    #[test]
    fn the_underlying_error_is_the_source() {
        let error = io(io::ErrorKind::ConnectionRefused);
        assert_eq!(error.source().unwrap().to_string(), "from the socket");
        let exhausted = Error::AttemptsExhausted {
            attempts: 3,
            last: Box::new(error),
        };
        assert!(exhausted.source().unwrap().to_string().contains("refused"));
        assert!(Error::EndOfStream.source().is_none());
    }

    #[test]
    fn nested_messages_read_as_one_sentence() {
        let exhausted = Error::AttemptsExhausted {
            attempts: 3,
            last: Box::new(io(io::ErrorKind::ConnectionRefused)),
        };
        assert_eq!(
            exhausted.to_string(),
            "gave up after 3 reconnect attempts (max_attempts), the last one because \
             the server refused the connection (from the socket); check that it is \
             running and the URL's port"
        );
        let budget = Error::TimeBudgetExhausted {
            budget: Duration::from_secs(600),
            last: Box::new(Error::EndOfStream),
        };
        assert_eq!(
            budget.to_string(),
            "gave up when the outage outlasted the 600s time budget, the last attempt \
             failing because the server ended the response"
        );
    }

    #[test]
    fn equality_is_by_kind_and_text() {
        assert_eq!(io(io::ErrorKind::BrokenPipe), io(io::ErrorKind::BrokenPipe));
        assert_ne!(
            Error::Redirect("x".into()),
            Error::InvalidConfig("x".into())
        );
    }
}
