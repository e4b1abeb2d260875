//! The one error type of sselink.

use std::fmt;
use std::time::Duration;

use crate::parser::LimitExceeded;

/// Everything that can go wrong with a stream.
///
/// Transient errors (network, timeouts, retryable statuses) reach the caller
/// inside [`Item::Retrying`](crate::Item::Retrying) while the stream
/// reconnects; terminal ones inside [`Item::Closed`](crate::Item::Closed).
/// Each message says what happened and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration cannot work: a URL that does not parse or is not
    /// http(s), a header with CR, LF or NUL, a method that is not a token.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// The server ended the response; sselink reconnects unless told not to.
    #[error("the server ended the response")]
    EndOfStream,

    /// Connecting, sending or reading failed (DNS, refused, reset, TLS...).
    #[error("network error: {0}; check that the server is reachable (sselink retries)")]
    Network(String),

    /// No byte arrived for the idle timeout, or the connection could not be
    /// made within the connect timeout.
    #[error("{what} timed out after {after:?}; the server may be down or silent (raise the timeout if it sends rarely)")]
    Timeout {
        /// Which step timed out: `connect` or `read` (the idle timer).
        what: &'static str,
        /// The configured timeout.
        after: Duration,
    },

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
    #[error("redirect failed: {0}")]
    Redirect(String),

    /// The server broke a size limit (line length or event size).
    #[error(transparent)]
    Limit(LimitExceeded),

    /// The stream gave up after the configured number of reconnect attempts.
    #[error("gave up after {attempts} reconnect attempts (max_attempts); last error: {last}")]
    AttemptsExhausted {
        /// Reconnect attempts made.
        attempts: u32,
        /// The error of the last attempt.
        last: Box<Error>,
    },

    /// The stream gave up because an outage outlasted the time budget.
    #[error("gave up after the outage lasted past the {budget:?} time budget; last error: {last}")]
    TimeBudgetExhausted {
        /// The configured budget for one outage.
        budget: Duration,
        /// The error of the last attempt.
        last: Box<Error>,
    },
}

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
    /// The HTTP status behind this error, if a response caused it.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status(failure) => Some(failure.status),
            Error::AttemptsExhausted { last, .. } | Error::TimeBudgetExhausted { last, .. } => {
                last.status()
            }
            _ => None,
        }
    }

    pub(crate) fn from_ureq(
        error: ureq::Error,
        connect_timeout: Duration,
        idle_timeout: Option<Duration>,
    ) -> Error {
        use ureq::Timeout;
        match error {
            ureq::Error::Timeout(Timeout::Connect | Timeout::Resolve) => Error::Timeout {
                what: "connect",
                after: connect_timeout,
            },
            ureq::Error::Timeout(_) => Error::Timeout {
                what: "read",
                after: idle_timeout.unwrap_or_default(),
            },
            ureq::Error::Io(io) => Error::from_io(io, idle_timeout),
            other => Error::Network(other.to_string()),
        }
    }

    pub(crate) fn from_io(io: std::io::Error, idle_timeout: Option<Duration>) -> Error {
        // Reading a body, ureq wraps its own errors (its per-read timeout
        // among them) in an I/O error.
        if io.get_ref().is_some_and(|inner| inner.is::<ureq::Error>()) {
            let inner = io.into_inner().expect("checked above");
            let ureq_error = *inner.downcast::<ureq::Error>().expect("checked above");
            return Error::from_ureq(ureq_error, Duration::ZERO, idle_timeout);
        }
        if io.kind() == std::io::ErrorKind::TimedOut {
            return Error::Timeout {
                what: "read",
                after: idle_timeout.unwrap_or_default(),
            };
        }
        Error::Network(io.to_string())
    }
}

impl From<LimitExceeded> for Error {
    fn from(limit: LimitExceeded) -> Error {
        Error::Limit(limit)
    }
}
