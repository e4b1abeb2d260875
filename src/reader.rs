//! The reader thread: connect, check the response, parse, hand items to the
//! caller, and reconnect. It is the only place that blocks on the network.
//! Policy lives elsewhere: delays and giving up in [`crate::backoff`],
//! redirects in [`crate::redirect`], response checks in [`crate::response`].

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{select, Receiver, Sender};
use ureq::http::{header, HeaderName, HeaderValue, Method, Request, Response};
use ureq::Body;
use url::Url;

use crate::backoff::{Jitter, Next, Outage};
use crate::config::{Config, HeaderOption, Overflow};
use crate::error::{Error, HttpFailure};
use crate::event::EventId;
use crate::head::{head_size, too_long, MAX_REQUEST_HEAD};
use crate::item::{CloseReason, Item, State};
use crate::parser::{Parsed, Parser};
use crate::redirect::{is_redirect, next_hop};
use crate::response::{check_content_type, header_pairs, parse_retry_after};
use crate::shared::{Batch, IdChange, Message, Never, Shared};
use crate::transport::HeadSize;

/// The caller closed the stream: the reader exits without a word.
pub(crate) struct Stop;

/// How one connection ended.
enum Outcome {
    /// Terminal: record the reason and exit.
    Close(CloseReason),
    /// The caller asked for a restart: reconnect at once.
    Restart,
    /// Dropped or failed: maybe reconnect.
    Dropped {
        /// `None` for a clean end of the response.
        error: Option<Error>,
        /// The connection delivered an event or lasted the healthy period.
        healthy: bool,
        /// A `Retry-After` floor for the next delay.
        retry_after: Option<Duration>,
    },
}

impl Outcome {
    fn failed(error: Error) -> Outcome {
        Outcome::Dropped {
            error: Some(error),
            healthy: false,
            retry_after: None,
        }
    }

    fn fatal(error: Error) -> Outcome {
        Outcome::Close(CloseReason::Error(error))
    }
}

const READ_BUFFER: usize = 4 * 1024;

/// How long the start of a failed response's body may take to read: it is
/// only informational.
const EXCERPT_DEADLINE: Duration = Duration::from_secs(1);

/// The channels that connect a reader to its handle.
pub(crate) struct Channels {
    pub(crate) items: Sender<Batch>,
    /// The handle's end too, so drop-oldest can remove the oldest item.
    pub(crate) queued: Receiver<Batch>,
    pub(crate) closing: Receiver<Never>,
    pub(crate) restart_requests: Receiver<()>,
    /// A receiver took bytes out of the channel.
    pub(crate) room: Receiver<()>,
    /// Emptied batches, to fill again.
    pub(crate) spare: Receiver<Batch>,
}

/// The reader thread's state. Owned by that thread alone.
pub(crate) struct Reader {
    config: Arc<Config>,
    shared: Arc<Shared>,
    channels: Channels,
    parser: Parser,
    parsed: Vec<Parsed>,
    reconnection_time: Duration,
    jitter: Jitter,
    outage: Outage,
    highest_id: Option<u64>,
    /// The highest numeric id seen on any event or id change.
    highest_seen: Option<u64>,
    /// The messages of the read in progress, sent as one batch when it is
    /// parsed (or sooner, when the queue's bounds say so).
    batch: Batch,
    /// The bytes `batch` counts against the byte bound.
    batch_bytes: usize,
    /// The lifecycle items among `batch`'s messages.
    batch_lifecycle: usize,
    /// The queue's messages and bytes as last read, plus those sent since:
    /// receivers only lower the real figures, so room these show is there.
    /// Reading the shared counters for every message cost a cache miss each.
    known_items: usize,
    known_lifecycle: usize,
    known_bytes: usize,
    /// The last event id that could not be sent as a header, warned about once.
    unsendable_id: Option<String>,
    /// The number the next message sent will carry.
    seq: u64,
    /// An id change that no message carries (an id-only block, a filtered
    /// or dropped event), with the number of the message it precedes: handed
    /// to the receivers with the batch, replacing any earlier one.
    next_id: Option<(u64, EventId)>,
    /// How many id changes were handed to the receivers.
    id_changes: u64,
    /// The id of the last event queued whose id was counted against the
    /// byte bound: an id is counted once, in the first queued event that
    /// carries it (held, so that its address is never reused meanwhile).
    counted_id: EventId,
}

impl Reader {
    pub(crate) fn new(config: Arc<Config>, shared: Arc<Shared>, channels: Channels) -> Reader {
        let options = &config.options;
        let mut parser = Parser::with_limits(options.limits)
            .dispatch_incomplete_at_eof(options.dispatch_incomplete_at_eof);
        parser.set_last_event_id(options.last_event_id.clone());
        let highest_seen = options.last_event_id.parse().ok();
        Reader {
            reconnection_time: options.reconnect.initial_delay,
            config,
            shared,
            channels,
            parser,
            parsed: Vec::new(),
            jitter: Jitter::new(),
            outage: Outage::default(),
            // A seeded numeric id was delivered by the stream handed over from.
            highest_id: highest_seen,
            highest_seen,
            batch: Batch::default(),
            batch_bytes: 0,
            batch_lifecycle: 0,
            known_items: 0,
            known_lifecycle: 0,
            known_bytes: 0,
            unsendable_id: None,
            seq: 0,
            next_id: None,
            id_changes: 0,
            counted_id: EventId::default(),
        }
    }

    pub(crate) fn run(mut self: Box<Self>) {
        let mut attempt = 0u32;
        loop {
            let outcome = match self.connection(attempt) {
                Ok(outcome) => outcome,
                Err(Stop) => return,
            };
            self.shared.clear_agent();
            let (error, healthy, retry_after) = match outcome {
                Outcome::Close(reason) => return self.finish(reason),
                Outcome::Restart => {
                    log::debug!("restarting at the caller's request");
                    self.outage.reset();
                    attempt = 0;
                    continue;
                }
                Outcome::Dropped {
                    error,
                    healthy,
                    retry_after,
                } => (error, healthy, retry_after),
            };
            if !self.config.options.reconnect.enabled {
                return self.finish(error.map_or(CloseReason::Ended, CloseReason::Error));
            }
            let next = self.outage.failed(
                &self.config.options.reconnect,
                Instant::now(),
                healthy,
                error.clone().unwrap_or(Error::EndOfStream),
                self.reconnection_time,
                retry_after,
                self.jitter.unit(),
            );
            let (next_attempt, delay) = match next {
                Next::Retry { attempt, delay } => (attempt, delay),
                Next::GiveUp(error) => return self.finish(CloseReason::Error(error)),
            };
            let error = error.unwrap_or(Error::EndOfStream);
            log::debug!(
                "reconnect attempt {next_attempt} in {delay:?} after: {}",
                error.for_logs()
            );
            self.shared.set_state(State::Reconnecting);
            let retrying = Item::Retrying {
                error,
                delay,
                attempt: next_attempt,
            };
            if self.send(retrying).is_err() {
                return;
            }
            match self.wait(delay) {
                Err(Stop) => return,
                // A restart starts afresh, as after a healthy connection.
                Ok(true) => {
                    self.outage.reset();
                    attempt = 0;
                }
                Ok(false) => attempt = next_attempt,
            }
        }
    }

    /// Waits out a backoff delay. `Ok(true)` when a restart cut it short.
    fn wait(&self, delay: Duration) -> Result<bool, Stop> {
        let deadline = Instant::now().checked_add(delay);
        loop {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                return Ok(false);
            }
            let woken = match left {
                Some(left) => select! {
                    recv(self.channels.closing) -> _ => return Err(Stop),
                    recv(self.channels.restart_requests) -> _ => true,
                    default(left) => false,
                },
                None => select! {
                    recv(self.channels.closing) -> _ => return Err(Stop),
                    recv(self.channels.restart_requests) -> _ => true,
                },
            };
            if !woken {
                return Ok(false);
            }
            // A token whose restart a connection already fulfilled is stale.
            if self.shared.take_restart() {
                return Ok(true);
            }
        }
    }

    /// Records why the stream ended; receivers hand it out after the queue.
    fn finish(&mut self, reason: CloseReason) {
        match &reason {
            CloseReason::Error(error) => log::warn!("stream closed: {}", error.for_logs()),
            reason => log::debug!("stream closed: {reason}"),
        }
        self.shared.finish(reason);
    }

    /// One connection attempt, from the request to the end of the response.
    fn connection(&mut self, attempt: u32) -> Result<Outcome, Stop> {
        self.shared.set_state(if attempt == 0 {
            State::Connecting
        } else {
            State::Reconnecting
        });
        self.send(Item::Connecting { attempt })?;
        // Tokens of restarts this connection fulfils.
        while self.channels.restart_requests.try_recv().is_ok() {}
        let head = HeadSize::default();
        let (response, agent) = match self.request(&head) {
            Ok(answer) => answer,
            Err(outcome) => return self.unless_stopped(outcome),
        };
        let status = response.status().as_u16();
        if status == 204 {
            return Ok(Outcome::Close(CloseReason::NoContent));
        }
        if !response.status().is_success() {
            let outcome = self.failed_response(response, &agent);
            return self.unless_stopped(outcome);
        }
        let content_type = response.headers().get(header::CONTENT_TYPE);
        if !self.config.options.any_content_type {
            if let Err(error) = check_content_type(content_type.map(HeaderValue::as_bytes)) {
                return Ok(Outcome::fatal(error));
            }
        }
        log::debug!("open: HTTP {status}");
        if self.config.options.reset_on_open {
            self.outage.reset();
        }
        self.shared.set_state(State::Open);
        let headers = header_pairs(response.headers());
        self.send(Item::Open { status, headers })?;
        let outcome = self.read_body(response.into_body());
        self.unless_stopped(outcome)
    }

    /// Turns an outcome caused by close or restart into what they ask for.
    fn unless_stopped(&self, outcome: Outcome) -> Result<Outcome, Stop> {
        if self.shared.is_closed() {
            return Err(Stop);
        }
        if matches!(outcome, Outcome::Dropped { .. }) && self.shared.take_restart() {
            return Ok(Outcome::Restart);
        }
        Ok(outcome)
    }

    /// An agent for requests to `url`, installed for close and restart to
    /// shut down; `head` carries each request head's size to its connection.
    fn install_agent(&self, url: &Url, head: &HeadSize) -> Result<ureq::Agent, Outcome> {
        let agent = self
            .config
            .agent(url, self.config.options.idle_timeout, None, head);
        if !self.shared.install_agent(&agent) {
            // Closed: the caller of `request` sees it and stops.
            return Err(Outcome::Close(CloseReason::Caller));
        }
        Ok(agent)
    }

    fn headers(&self) -> Result<Vec<HeaderOption>, Outcome> {
        self.config.request_headers().map_err(Outcome::fatal)
    }

    /// Sends the request and follows redirects; returns the response and the
    /// agent that got it. Each hop goes through the proxy its host calls
    /// for, with an agent of its own when that differs. Reconnects always
    /// start from the configured URL. Each request's head is measured first:
    /// its connection gets an output buffer to fit it (through `head`), and
    /// one over [`MAX_REQUEST_HEAD`] is not sent.
    fn request(&mut self, head: &HeadSize) -> Result<(Response<Body>, ureq::Agent), Outcome> {
        let config = Arc::clone(&self.config);
        let options = &config.options;
        let headers = self.headers()?;
        let mut id = self.sendable_id();
        let mut url = self.resume_url(id.as_ref());
        let origin = url.origin();
        let mut method = options.method.clone();
        let mut body = options.body.as_deref();
        let mut hops = 0;
        let mut agent = self.install_agent(&url, head)?;
        loop {
            let same_origin = url.origin() == origin;
            let has_body = body.is_some();
            let mut fitted =
                self.fitting_request(&url, &method, &headers, same_origin, has_body, id.as_ref())?;
            if let (Err(size), true) = (&fitted, id.is_some()) {
                // The server's id is too long to send, as one with a
                // control character is (behaviour §2.7).
                self.warn_long_id(*size);
                id = None;
                if hops == 0 {
                    url = config.url.clone();
                }
                fitted =
                    self.fitting_request(&url, &method, &headers, same_origin, has_body, None)?;
            }
            let (request, size) =
                fitted.map_err(|size| Outcome::fatal(self.head_too_long(size, hops > 0)))?;
            head.set(size);
            log::debug!("{method} {}", crate::redact::redacted(&url));
            let sent = match body {
                Some(body) => agent.run(request.map(|()| body)),
                None => agent.run(request),
            };
            let response = sent.map_err(|e| self.network_failure(e))?;
            let status = response.status().as_u16();
            if !is_redirect(status) || options.max_redirects == 0 {
                return Ok((response, agent));
            }
            if hops == options.max_redirects {
                return Err(Outcome::fatal(Error::Redirect(format!(
                    "more than {} redirects; the server may loop (raise max_redirects if not)",
                    options.max_redirects
                ))));
            }
            hops += 1;
            let location = response.headers().get(header::LOCATION);
            let hop = next_hop(
                &url,
                status,
                location.map(HeaderValue::as_bytes),
                &method,
                options.insecure_redirects,
            )
            .map_err(Outcome::fatal)?;
            if config.proxy_for(&hop.url) != config.proxy_for(&url) {
                agent = self.install_agent(&hop.url, head)?;
            }
            url = hop.url;
            method = hop.method;
            if !hop.keeps_body {
                body = None;
            }
        }
    }

    /// [`build_request`](Reader::build_request) with the size of its head,
    /// or `Err` with that size when it is over [`MAX_REQUEST_HEAD`] (a URL
    /// that long is not even built: the `http` crate refuses it).
    fn fitting_request(
        &self,
        url: &Url,
        method: &Method,
        headers: &[HeaderOption],
        same_origin: bool,
        has_body: bool,
        own_id: Option<&HeaderValue>,
    ) -> Result<Result<(Request<()>, usize), usize>, Outcome> {
        let bare = crate::head::size(method.as_str(), url, 0);
        if bare > MAX_REQUEST_HEAD {
            return Ok(Err(bare));
        }
        let request = self.build_request(url, method, headers, same_origin, has_body, own_id)?;
        let size = head_size(&request, url);
        Ok(if size > MAX_REQUEST_HEAD {
            Err(size)
        } else {
            Ok((request, size))
        })
    }

    /// Why a request head of `size` bytes is not sent: the header
    /// provider's headers, a redirect's target, or (when neither) the
    /// configuration, which [`Builder::connect`](crate::Builder::connect)
    /// checks already.
    fn head_too_long(&self, size: usize, redirected: bool) -> Error {
        if redirected {
            return Error::Redirect(format!(
                "its target, with the request's headers, makes {}",
                too_long(size)
            ));
        }
        if self.config.options.header_provider.is_some() {
            return Error::HeaderProvider(format!(
                "its headers, with the URL and the configured headers, make {}; return shorter ones",
                too_long(size)
            ));
        }
        Error::InvalidConfig(format!(
            "the URL and headers make {}; shorten them",
            too_long(size)
        ))
    }

    /// Warns, once per id, that the server's last event id is too long to
    /// send.
    fn warn_long_id(&mut self, size: usize) {
        let id = self.parser.last_event_id();
        if self.unsendable_id.as_deref() != Some(id) {
            log::warn!(
                "the server's last event id is {} bytes, and sent it would make {}; \
                 reconnecting without Last-Event-ID",
                id.len(),
                too_long(size)
            );
            self.unsendable_id = Some(id.to_string());
        }
    }

    /// The configured URL, with the resume query parameter carrying `id`
    /// when there is one. Every other byte of the query stays as
    /// configured.
    fn resume_url(&self, id: Option<&HeaderValue>) -> Url {
        let config = &self.config;
        let mut url = config.url.clone();
        let Some(name) = &config.options.resume_query else {
            return url;
        };
        let Some(id) = id else {
            return url;
        };
        let id = String::from_utf8_lossy(id.as_bytes()).into_owned();
        let encoded_name: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
        let mut query: Vec<&str> = url
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty() && !is_param(pair, name))
            .collect();
        let encoded_id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let resume = format!("{encoded_name}={encoded_id}");
        query.push(&resume);
        url.set_query(Some(&query.join("&")));
        url
    }

    /// The last event id, when it can travel in a header; `None` when there
    /// is none or it holds a control character (warned about once per id).
    fn sendable_id(&mut self) -> Option<HeaderValue> {
        if let (true, Some(highest)) = (
            self.config.options.resume_from_highest_id,
            self.highest_seen,
        ) {
            return Some(HeaderValue::from(highest));
        }
        let id = self.parser.last_event_id();
        if id.is_empty() {
            return None;
        }
        match HeaderValue::from_str(id) {
            Ok(value) => Some(value),
            Err(_) => {
                if self.unsendable_id.as_deref() != Some(id) {
                    log::warn!(
                        "the server's last event id has a control character and cannot be sent; \
                         reconnecting without Last-Event-ID"
                    );
                    self.unsendable_id = Some(id.to_string());
                }
                None
            }
        }
    }

    /// The request to `url`, carrying `own_id` as `Last-Event-ID`.
    fn build_request(
        &self,
        url: &Url,
        method: &Method,
        headers: &[HeaderOption],
        same_origin: bool,
        has_body: bool,
        own_id: Option<&HeaderValue>,
    ) -> Result<Request<()>, Outcome> {
        let sent = |name: &HeaderName| headers.iter().any(|h| h.name == name);
        let mut request = Request::builder().method(method.clone()).uri(url.as_str());
        if !sent(&header::ACCEPT) {
            request = request.header(header::ACCEPT, "text/event-stream");
        }
        if !sent(&header::CACHE_CONTROL) {
            request = request.header(header::CACHE_CONTROL, "no-cache");
        }
        let last_event_id = HeaderName::from_static("last-event-id");
        if let Some(id) = own_id {
            request = request.header(&last_event_id, id);
        }
        for h in headers {
            let skip = (!same_origin && h.sensitive)
                || (own_id.is_some() && h.name == last_event_id)
                || (!has_body && h.name == header::CONTENT_TYPE);
            if !skip {
                request = request.header(&h.name, &h.value);
            }
        }
        request.body(()).map_err(|e| {
            Outcome::fatal(Error::InvalidConfig(format!(
                "the request cannot be built ({e})"
            )))
        })
    }

    /// A failed request: retried, but for a proxy's final refusal (407 and
    /// the like), which asking again cannot change.
    fn network_failure(&self, error: ureq::Error) -> Outcome {
        let options = &self.config.options;
        let error = Error::from_ureq(error, options.connect_timeout, options.idle_timeout);
        // A proxy's final refusal, or a certificate or handshake failure,
        // does not go away by retrying; a TLS failure that a restart's
        // shutdown caused mid-handshake is no failure.
        let lasting_tls = error.is_lasting_tls_failure()
            && !options.retry_tls_errors
            && !self.shared.restart_pending();
        if error.is_permanent_proxy_failure() || lasting_tls {
            return Outcome::fatal(error);
        }
        Outcome::failed(error)
    }

    /// A non-2xx answer: permanent or retried, with its status, headers and
    /// the start of its body for the caller.
    fn failed_response(&self, response: Response<Body>, agent: &ureq::Agent) -> Outcome {
        let status = response.status().as_u16();
        let headers = header_pairs(response.headers());
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let excerpt = read_excerpt(response.into_body(), agent);
        let permanent = self.config.options.status_policy.is_permanent(status);
        let failure = Error::Status(Box::new(HttpFailure {
            status,
            headers,
            body: String::from_utf8_lossy(&excerpt).into_owned(),
            permanent,
        }));
        if permanent {
            return Outcome::fatal(failure);
        }
        Outcome::Dropped {
            error: Some(failure),
            healthy: false,
            retry_after,
        }
    }

    /// Reads and parses the body until it ends or fails.
    fn read_body(&mut self, body: Body) -> Outcome {
        let opened = Instant::now();
        let mut delivered = false;
        let mut reader = body.into_reader();
        let mut buffer = vec![0u8; READ_BUFFER];
        let error = loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break None,
                Ok(n) => n,
                Err(e) => {
                    let options = &self.config.options;
                    break Some(Error::from_io(
                        e,
                        options.connect_timeout,
                        options.idle_timeout,
                    ));
                }
            };
            let mut parsed = std::mem::take(&mut self.parsed);
            let result = self.parser.feed(&buffer[..n], |item| parsed.push(item));
            let handed = self.hand_out(&mut parsed);
            self.parsed = parsed;
            match handed {
                Ok(any_event) => delivered |= any_event,
                Err(Stop) => return Outcome::Close(CloseReason::Caller),
            }
            if let Err(limit) = result {
                self.parser.abort();
                return Outcome::fatal(limit.into());
            }
        };
        let healthy = delivered || opened.elapsed() >= self.config.options.reconnect.healthy_after;
        // A broken connection, or one that close or restart cut (which can
        // look like a clean end), never dispatches its unfinished event.
        if error.is_some() || self.shared.is_closed() || self.shared.restart_pending() {
            self.parser.abort();
            return Outcome::Dropped {
                error,
                healthy,
                retry_after: None,
            };
        }
        let mut parsed = std::mem::take(&mut self.parsed);
        let _ = self.parser.finish(|item| parsed.push(item));
        let handed = self.hand_out(&mut parsed);
        self.parsed = parsed;
        if handed.is_err() {
            return Outcome::Close(CloseReason::Caller);
        }
        Outcome::Dropped {
            error: None,
            healthy,
            retry_after: None,
        }
    }

    /// Sends what the parser produced, as one batch. `Ok(true)` when an
    /// event went out.
    fn hand_out(&mut self, parsed: &mut Vec<Parsed>) -> Result<bool, Stop> {
        let mut any_event = false;
        for item in parsed.drain(..) {
            match item {
                Parsed::Event(event) => {
                    any_event = true;
                    let options = &self.config.options;
                    if options.deduplicate_ids && self.is_replay(&event) {
                        log::debug!("dropped a replayed event");
                        continue;
                    }
                    self.note_numeric_id(event.id());
                    let types = &self.config.options.event_types;
                    if !types.is_empty() && !types.iter().any(|t| event.is(t)) {
                        // Filtered out, but its id still counts for resuming.
                        self.passed_over(event);
                        continue;
                    }
                    self.queue(Item::Event(event))?;
                }
                Parsed::Comment(text) if self.config.options.comments => {
                    self.queue(Item::Comment(text))?
                }
                Parsed::Comment(_) => {}
                Parsed::Retry(time) if self.config.options.server_retry => {
                    self.reconnection_time = time
                }
                Parsed::Retry(_) => {}
                Parsed::LastEventId(id) => {
                    self.note_numeric_id(&id);
                    self.next_id = Some((self.seq, EventId::from(id)));
                }
            }
        }
        self.flush()?;
        Ok(any_event)
    }

    /// Keeps the highest numeric id seen, for `resume_from_highest_id`.
    fn note_numeric_id(&mut self, id: &str) {
        if let Ok(n) = id.parse::<u64>() {
            self.highest_seen = Some(self.highest_seen.map_or(n, |h| h.max(n)));
        }
    }

    /// True for an event whose own numeric id was delivered already. Events
    /// without an id of their own, and non-numeric ids, are never replays.
    fn is_replay(&mut self, event: &crate::event::Event) -> bool {
        if !event.has_own_id() {
            return false;
        }
        let Ok(n) = event.id().parse::<u64>() else {
            return false;
        };
        if self.highest_id.is_some_and(|high| n <= high) {
            return true;
        }
        self.highest_id = Some(n);
        false
    }

    /// Sends a lifecycle item at once.
    fn send(&mut self, item: Item) -> Result<(), Stop> {
        self.queue(item)?;
        self.flush()
    }

    /// An event that is not handed out (filtered or dropped): an id of its
    /// own still takes effect, in its place.
    fn passed_over(&mut self, event: crate::event::Event) {
        if event.has_own_id() {
            self.next_id = Some((self.seq, event.id));
        }
    }

    /// Adds an item to the batch under the overflow policy.
    ///
    /// Events and comments fill the queue: it is full at `capacity` of them
    /// or `max_queued_bytes` bytes, counting the batch. Then the batch is
    /// sent, and `Block` waits for room; a drop policy drops an event or
    /// comment and counts it: the one that found the queue full
    /// (drop-newest), or the oldest queued (drop-oldest; the new one itself
    /// when none is queued). Lifecycle items are never dropped and never
    /// displace an event: they are bounded apart, at [`LIFECYCLE_BOUND`]
    /// queued, past which the reader waits under every policy.
    fn queue(&mut self, item: Item) -> Result<(), Stop> {
        if self.shared.is_closed() {
            return Err(Stop);
        }
        let bytes = self.item_bytes(&item);
        let droppable = matches!(item, Item::Event(_) | Item::Comment(_));
        if !self.has_room(droppable, bytes) {
            self.flush()?;
            let overflow = self.config.options.overflow;
            if !droppable || overflow == Overflow::Block {
                self.wait_for_room(droppable, bytes)?;
            }
            while !self.has_room(droppable, bytes) {
                // The reader is the only sender, so the room it makes stays made.
                if overflow == Overflow::DropOldest && self.drop_oldest() {
                    continue;
                }
                self.shared.count_dropped();
                if let Item::Event(event) = item {
                    self.passed_over(event);
                }
                return Ok(());
            }
        }
        let message = Message {
            seq: self.seq,
            bytes,
            item,
        };
        if let Item::Event(event) = &message.item {
            if !event.id.is_same_copy(&self.counted_id) {
                self.counted_id = event.id.clone();
            }
        }
        self.seq += 1;
        self.batch_bytes += bytes;
        self.batch_lifecycle += usize::from(!droppable);
        self.batch.push(message);
        Ok(())
    }

    /// What an item counts against the byte bound: its strings. An event's
    /// id counts in the first queued event that carries its copy; the
    /// events after it that carry the same copy share it.
    fn item_bytes(&self, item: &Item) -> usize {
        match item {
            Item::Event(event) => {
                let id = if event.id.is_same_copy(&self.counted_id) {
                    0
                } else {
                    event.id().len()
                };
                event.data().len() + event.event_type().len() + id
            }
            Item::Comment(text) => text.len(),
            _ => 0,
        }
    }

    /// Sends the batch, if it holds anything. The channel is unbounded (it
    /// allocates as it fills, not `capacity` slots up front); the bounds
    /// are kept by [`queue`](Reader::queue), so this never waits.
    fn flush(&mut self) -> Result<(), Stop> {
        if self.batch.is_empty() {
            // No message after the change is sent: receivers may have it now.
            if let Some(change) = self.take_id_change() {
                self.shared.taken().set_next_id(change);
            }
            return Ok(());
        }
        // Messages after the change may be in this batch: it goes with them.
        self.batch.id_change = self.take_id_change();
        let next = match self.channels.spare.try_recv() {
            Ok(spare) => spare,
            Err(_) => Batch {
                messages: Vec::with_capacity(self.batch.len()),
                text: String::with_capacity(self.batch.text.len()),
                id_change: None,
            },
        };
        let batch = std::mem::replace(&mut self.batch, next);
        // Counted before it is sent: a receiver may take it at once.
        let bytes = std::mem::take(&mut self.batch_bytes);
        let lifecycle = std::mem::take(&mut self.batch_lifecycle);
        self.known_items += batch.len();
        self.known_lifecycle += lifecycle;
        self.known_bytes = self.known_bytes.saturating_add(bytes);
        let before = self.shared.add_queued(batch.len(), lifecycle, bytes);
        self.channels.items.send(batch).map_err(|_| Stop)?;
        // The queue went from empty to holding items: a readiness
        // descriptor, if there is one, becomes readable.
        if before == 0 {
            self.shared.wake();
        }
        Ok(())
    }

    /// The pending id change, numbered, to hand to the receivers.
    fn take_id_change(&mut self) -> Option<IdChange> {
        let (before, id) = self.next_id.take()?;
        self.id_changes += 1;
        Some(IdChange {
            before,
            version: self.id_changes,
            id,
        })
    }

    /// Drops the oldest queued event or comment, for drop-oldest. False when
    /// none is queued.
    fn drop_oldest(&self) -> bool {
        let mut taken = self.shared.taken();
        let Some(oldest) = taken.remove_oldest_droppable(&self.channels.queued) else {
            return false;
        };
        taken.note_left(&oldest);
        drop(taken);
        self.shared.remove_queued(&oldest);
        self.shared.count_dropped();
        true
    }

    /// True when one more message of `bytes` fits beside the queue and the
    /// batch: an event or comment (`droppable`) while fewer than `capacity`
    /// of them are queued and `bytes` more stay under the byte bound, a
    /// lifecycle item while fewer than [`LIFECYCLE_BOUND`] are. An empty
    /// queue takes any message, so one larger than the byte bound cannot
    /// stall the stream.
    fn has_room(&mut self, droppable: bool, bytes: usize) -> bool {
        if self.fits(droppable, bytes) {
            return true;
        }
        self.known_items = self.shared.queued_items();
        self.known_lifecycle = self.shared.queued_lifecycle();
        self.known_bytes = self.shared.queued_bytes();
        self.fits(droppable, bytes)
    }

    /// [`has_room`](Reader::has_room) by the known figures.
    fn fits(&self, droppable: bool, bytes: usize) -> bool {
        let lifecycle = self.known_lifecycle + self.batch_lifecycle;
        if !droppable {
            return lifecycle < LIFECYCLE_BOUND;
        }
        let options = &self.config.options;
        let items = (self.known_items + self.batch.len()).saturating_sub(lifecycle);
        let queued = self.known_bytes.saturating_add(self.batch_bytes);
        items < options.capacity
            && (queued == 0 || queued.saturating_add(bytes) <= options.max_queued_bytes)
    }

    /// Waits until one more message of `bytes` fits; receivers signal `room`
    /// after every message they take out.
    fn wait_for_room(&mut self, droppable: bool, bytes: usize) -> Result<(), Stop> {
        while !self.has_room(droppable, bytes) {
            select! {
                recv(self.channels.room) -> _ => {}
                recv(self.channels.closing) -> _ => return Err(Stop),
            }
        }
        Ok(())
    }
}

/// How many lifecycle items (connecting, open, retrying) may wait in the
/// queue, apart from the events and comments `capacity` bounds. They are
/// never dropped; a reader whose consumer has not taken this many waits
/// before it reconnects again.
pub(crate) const LIFECYCLE_BOUND: usize = 64;

/// True when `pair` (`name=value` or `name`, as sent) names parameter `name`.
fn is_param(pair: &str, name: &str) -> bool {
    let raw_name = pair.split_once('=').map_or(pair, |(n, _)| n);
    url::form_urlencoded::parse(raw_name.as_bytes())
        .next()
        .is_some_and(|(decoded, _)| decoded == name)
}

/// Reads the start of a failed response's body, at most
/// [`HttpFailure::BODY_LIMIT`] bytes and for at most [`EXCERPT_DEADLINE`]:
/// a watchdog shuts the connection down when a slow body outlasts it.
fn read_excerpt(body: Body, agent: &ureq::Agent) -> Vec<u8> {
    let (done, finished) = crossbeam_channel::bounded::<Never>(0);
    let watched = agent.clone();
    let watchdog = std::thread::Builder::new()
        .name("sselink-excerpt".into())
        .stack_size(crate::config::MIN_STACK_SIZE)
        .spawn(move || {
            if let Err(crossbeam_channel::RecvTimeoutError::Timeout) =
                finished.recv_timeout(EXCERPT_DEADLINE)
            {
                watched.shutdown();
            }
        });
    let mut excerpt = Vec::new();
    let started = Instant::now();
    let mut reader = body.into_reader().take(HttpFailure::BODY_LIMIT as u64);
    let mut chunk = [0u8; 1024];
    while started.elapsed() < EXCERPT_DEADLINE {
        match reader.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => excerpt.extend_from_slice(&chunk[..n]),
        }
        // Without a watchdog thread, a silent body waits for the idle timer.
        if watchdog.is_err() && started.elapsed() >= EXCERPT_DEADLINE {
            break;
        }
    }
    drop(done);
    excerpt
}
