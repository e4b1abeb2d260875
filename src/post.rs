//! The write path: [`Stream::post`](crate::Stream::post) sends a JSON body
//! back to the server, with the stream's headers, and retries what can be
//! retried. Runs on the caller's thread; close interrupts it.

use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{select, Receiver};
use ureq::http::{header, HeaderName, Request};
use url::Url;

use crate::backoff::{Jitter, ReconnectPolicy};
use crate::config::Config;
use crate::error::Error;
use crate::response::parse_retry_after;
use crate::shared::{Never, Shared};

/// The most bytes of a post's response body kept.
pub const POST_BODY_LIMIT: usize = 1 << 20;

/// The final answer to a post: a 2xx, a status that is not retried, or the
/// last retried status once the attempts ran out. Check
/// [`is_success`](PostResponse::is_success).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostResponse {
    /// The HTTP status.
    pub status: u16,
    /// The response headers, names lowercase, in the order received.
    pub headers: Vec<(String, String)>,
    /// The response body, at most [`POST_BODY_LIMIT`] bytes.
    pub body: Vec<u8>,
    /// How many attempts it took, from 1.
    pub attempts: u32,
}

impl PostResponse {
    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What one attempt came to.
enum Attempt {
    /// A final response: 2xx or not retried.
    Done(PostResponse),
    /// Retry after at least `floor` (a `Retry-After`), unless this was the
    /// last attempt; `response` is kept in case it was.
    Retry {
        response: Option<PostResponse>,
        error: Error,
        floor: Option<Duration>,
    },
    /// The deadline passed during the attempt; with the response it cut
    /// off, if one had begun.
    OutOfTime(Option<Error>),
}

/// The URL posts go to: `post_url` when set, otherwise the stream URL with a
/// trailing `/stream` taken off its path.
pub(crate) fn post_url(config: &Config) -> Url {
    if let Some(url) = &config.options.post_url {
        return url.clone();
    }
    let mut url = config.url.clone();
    if let Some(path) = url.path().strip_suffix("/stream") {
        let path = if path.is_empty() { "/" } else { path }.to_string();
        url.set_path(&path);
    }
    url
}

/// Posts `body` under the stream's post policy, within `timeout`, giving up
/// at once when the stream closes.
pub(crate) fn post(
    config: &Arc<Config>,
    shared: &Shared,
    closing: &Receiver<Never>,
    body: &[u8],
    timeout: Duration,
) -> Result<PostResponse, Error> {
    let options = &config.options;
    let policy = ReconnectPolicy {
        initial_delay: options.post_delay.0,
        max_delay: options.post_delay.1,
        ..options.reconnect.clone()
    };
    let url = post_url(config);
    let deadline = Instant::now().checked_add(timeout);
    let mut jitter = Jitter::new();
    let mut attempt = 0;
    // Why the previous attempt failed: what the deadline error reports.
    let mut last: Option<Error> = None;
    let out_of_time = |last: Option<Error>, retry_after: Option<Duration>| Error::Deadline {
        timeout,
        last: last.map(Box::new),
        retry_after,
    };
    loop {
        attempt += 1;
        let Some(left) = time_left(deadline, timeout) else {
            return Err(out_of_time(last, None));
        };
        let outcome = attempt_once(config, shared, &url, body, left, deadline, attempt)?;
        let (response, error, floor) = match outcome {
            Attempt::Done(response) => return Ok(response),
            Attempt::OutOfTime(cut) => return Err(out_of_time(cut.or(last), None)),
            Attempt::Retry {
                response,
                error,
                floor,
            } => (response, error, floor),
        };
        if attempt >= options.post_attempts {
            return match response {
                Some(response) => Ok(response),
                None => Err(Error::AttemptsExhausted {
                    attempts: attempt,
                    last: Box::new(error),
                }),
            };
        }
        let delay = policy.delay(attempt, policy.initial_delay, floor, jitter.unit());
        log::debug!(
            "post attempt {attempt} failed ({}); retrying in {delay:?}",
            error.for_logs()
        );
        let left = time_left(deadline, timeout).unwrap_or_default();
        if left <= delay {
            // The next attempt would start after the deadline: give up now,
            // saying why, and whether the server's Retry-After is the reason.
            let retry_after = floor.filter(|floor| *floor >= left);
            return Err(out_of_time(Some(error), retry_after));
        }
        last = Some(error);
        select! {
            recv(closing) -> _ => return Err(Error::Closed),
            default(delay) => {}
        }
    }
}

/// The time left before `deadline` (all of `timeout` when the deadline is
/// beyond the clock's range); `None` once it has passed.
fn time_left(deadline: Option<Instant>, timeout: Duration) -> Option<Duration> {
    match deadline {
        None => Some(timeout),
        Some(deadline) => deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero()),
    }
}

/// One request, with an agent that close can shut down.
fn attempt_once(
    config: &Config,
    shared: &Shared,
    url: &Url,
    body: &[u8],
    left: Duration,
    deadline: Option<Instant>,
    attempt: u32,
) -> Result<Attempt, Error> {
    let options = &config.options;
    let headers = config.request_headers()?;
    let mut request = Request::post(url.as_str());
    let content_type = HeaderName::from_static("content-type");
    if !headers.iter().any(|h| h.name == content_type) {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    for h in &headers {
        request = request.header(&h.name, &h.value);
    }
    let request = request
        .body(body)
        .map_err(|e| Error::InvalidConfig(format!("the post cannot be built ({e})")))?;
    let size = crate::head::head_size(&request, url);
    if size > crate::head::MAX_REQUEST_HEAD {
        let too_long = crate::head::too_long(size);
        // The configured headers were checked when the stream was made.
        return Err(if options.header_provider.is_some() {
            Error::HeaderProvider(format!(
                "its headers, with the post URL and the configured headers, make {too_long}; \
                 return shorter ones"
            ))
        } else {
            Error::InvalidConfig(format!(
                "the post URL and headers make {too_long}; shorten them"
            ))
        });
    }
    let head = crate::transport::HeadSize::default();
    head.set(size);
    let agent = config.agent(url, options.idle_timeout, Some(left), &head);
    let Some(registration) = shared.register_post(&agent) else {
        return Err(Error::Closed);
    };
    log::debug!("POST {} (attempt {attempt})", crate::redact::redacted(url));
    let outcome = match agent.run(request) {
        Err(_) if shared.is_closed() => Err(Error::Closed),
        Err(ureq::Error::Timeout(ureq::Timeout::Global)) => Ok(Attempt::OutOfTime(None)),
        Err(error) => {
            let error = Error::from_ureq(error, options.connect_timeout, options.idle_timeout);
            let lasting_tls = error.is_lasting_tls_failure() && !options.retry_tls_errors;
            if error.is_permanent_proxy_failure() || lasting_tls {
                // A proxy's final refusal, or a certificate or handshake
                // failure: retrying changes nothing.
                Err(error)
            } else {
                Ok(Attempt::Retry {
                    response: None,
                    error,
                    floor: None,
                })
            }
        }
        Ok(response) => answer(config, shared, response, deadline, attempt),
    };
    drop(registration);
    outcome
}

/// A response to a post: read its body whole (up to [`POST_BODY_LIMIT`]),
/// then decide. A body cut off is an error, never a shorter success.
fn answer(
    config: &Config,
    shared: &Shared,
    response: ureq::http::Response<ureq::Body>,
    deadline: Option<Instant>,
    attempt: u32,
) -> Result<Attempt, Error> {
    let options = &config.options;
    let status = response.status().as_u16();
    let headers = crate::response::header_pairs(response.headers());
    let floor = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let expected = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let retried = status == 429 || (500..600).contains(&status);
    let mut body = Vec::new();
    let read = response
        .into_body()
        .into_reader()
        .take(POST_BODY_LIMIT as u64)
        .read_to_end(&mut body);
    if shared.is_closed() {
        // Close shut the connection down during the read: an error, or, for
        // a body that runs to the connection's end, a clean end that cut it.
        return Err(Error::Closed);
    }
    if let Err(error) = read {
        let passed = deadline.is_some_and(|deadline| Instant::now() >= deadline)
            || is_global_timeout(&error);
        let cause: crate::error::Cause = if passed {
            Arc::new(io::Error::new(
                io::ErrorKind::TimedOut,
                "the post's timeout passed",
            ))
        } else {
            Arc::new(Error::from_io(
                error,
                options.connect_timeout,
                options.idle_timeout,
            ))
        };
        let cut = Error::IncompleteBody {
            status,
            received: body.len(),
            expected,
            cause,
        };
        return match (passed, retried) {
            (true, _) => Ok(Attempt::OutOfTime(Some(cut))),
            (false, true) => Ok(Attempt::Retry {
                response: None,
                error: cut,
                floor,
            }),
            (false, false) => Err(cut),
        };
    }
    let response = PostResponse {
        status,
        headers,
        body,
        attempts: attempt,
    };
    if !retried {
        return Ok(Attempt::Done(response));
    }
    let error = Error::Status(Box::new(crate::error::HttpFailure {
        status,
        headers: response.headers.clone(),
        body: String::from_utf8_lossy(
            &response.body[..response
                .body
                .len()
                .min(crate::error::HttpFailure::BODY_LIMIT)],
        )
        .into_owned(),
        permanent: false,
    }));
    Ok(Attempt::Retry {
        response: Some(response),
        error,
        floor,
    })
}

/// True when `error` is ureq's whole-call timeout, as a body read reports it.
fn is_global_timeout(error: &io::Error) -> bool {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        .is_some_and(|inner| matches!(inner, ureq::Error::Timeout(ureq::Timeout::Global)))
}
