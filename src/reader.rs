//! The reader thread: connect, check the response, parse, hand items to the
//! caller, and reconnect. It is the only place that blocks on the network.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{select, Receiver, Sender, TrySendError};
use ureq::http::{self, header, Method, Request, Response, StatusCode};
use ureq::Body;
use url::Url;

use crate::backoff::{Jitter, MAX_SERVER_DELAY};
use crate::config::{check_header, Config, Header, Overflow};
use crate::error::HttpFailure;
use crate::stream::{CloseReason, Item, Shared, State};
use crate::{Error, Parsed, Parser};

/// A type with no values: channels of it only ever disconnect, which is how
/// close and the reader's exit are signalled.
#[derive(Debug)]
pub(crate) enum Never {}

/// What travels from the reader to the handle.
#[derive(Debug)]
pub(crate) enum Message {
    Item(Item),
    /// The last event id changed without an event (a block with only `id`).
    LastEventId(String),
}

/// The caller closed the stream: the reader exits without a word.
struct Stop;

/// How one connection ended.
enum Outcome {
    /// Terminal: send `Closed` and exit.
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

const READ_BUFFER: usize = 16 * 1024;

/// The reader thread's state. Owned by that thread alone.
pub(crate) struct Reader {
    config: Arc<Config>,
    shared: Arc<Shared>,
    items: Sender<Message>,
    /// The handle's end too, so drop-oldest can remove the oldest item.
    queued: Receiver<Message>,
    closing: Receiver<Never>,
    restart_requests: Receiver<()>,
    parser: Parser,
    parsed: Vec<Parsed>,
    reconnection_time: Duration,
    jitter: Jitter,
    dedup: Dedup,
}

impl Reader {
    pub(crate) fn new(
        config: Config,
        shared: Arc<Shared>,
        items: Sender<Message>,
        queued: Receiver<Message>,
        closing: Receiver<Never>,
        restart_requests: Receiver<()>,
    ) -> Reader {
        let mut parser = Parser::with_limits(config.limits)
            .dispatch_incomplete_at_eof(config.dispatch_incomplete_at_eof);
        parser.set_last_event_id(config.last_event_id.clone());
        Reader {
            reconnection_time: config.reconnect.initial_delay,
            config: Arc::new(config),
            shared,
            items,
            queued,
            closing,
            restart_requests,
            parser,
            parsed: Vec::new(),
            jitter: Jitter::new(),
            dedup: Dedup::default(),
        }
    }

    pub(crate) fn run(mut self) {
        let mut failures = 0u32;
        let mut outage_start: Option<Instant> = None;
        let mut attempt = 0u32;
        loop {
            let outcome = match self.connection(attempt) {
                Ok(outcome) => outcome,
                Err(Stop) => return,
            };
            let (error, healthy, retry_after) = match outcome {
                Outcome::Close(reason) => return self.close(reason),
                Outcome::Restart => {
                    log::debug!("restarting at the caller's request");
                    (failures, outage_start, attempt) = (0, None, 0);
                    continue;
                }
                Outcome::Dropped {
                    error,
                    healthy,
                    retry_after,
                } => (error, healthy, retry_after),
            };
            if !self.config.reconnect.enabled {
                return self.close(error.map_or(CloseReason::Ended, CloseReason::Error));
            }
            if healthy {
                (failures, outage_start) = (0, None);
            }
            failures = failures.saturating_add(1);
            let now = Instant::now();
            let outage_began = *outage_start.get_or_insert(now);
            let error = error.unwrap_or(Error::EndOfStream);
            let policy = &self.config.reconnect;
            if let Some(max) = policy.max_attempts {
                if failures > max {
                    let last = Box::new(error);
                    return self.close(CloseReason::Error(Error::AttemptsExhausted {
                        attempts: max,
                        last,
                    }));
                }
            }
            let delay = policy.delay(
                failures,
                self.reconnection_time,
                retry_after,
                self.jitter.unit(),
            );
            if let Some(budget) = policy.time_budget {
                if now.duration_since(outage_began) + delay > budget {
                    let last = Box::new(error);
                    return self.close(CloseReason::Error(Error::TimeBudgetExhausted {
                        budget,
                        last,
                    }));
                }
            }
            log::debug!("reconnect attempt {failures} in {delay:?} after: {error}");
            self.shared.set_state(State::Reconnecting);
            if self
                .send(
                    Item::Retrying {
                        error,
                        delay,
                        attempt: failures,
                    },
                    false,
                )
                .is_err()
            {
                return;
            }
            match self.wait(delay) {
                Err(Stop) => return,
                // A restart starts afresh, as after a healthy connection.
                Ok(true) => (failures, outage_start, attempt) = (0, None, 0),
                Ok(false) => attempt = failures,
            }
        }
    }

    /// Waits out a backoff delay. `Ok(true)` when a restart cut it short.
    fn wait(&self, delay: Duration) -> Result<bool, Stop> {
        select! {
            recv(self.closing) -> _ => Err(Stop),
            recv(self.restart_requests) -> _ => {
                self.shared.take_restart();
                Ok(true)
            }
            default(delay) => Ok(false),
        }
    }

    fn close(&mut self, reason: CloseReason) {
        match &reason {
            CloseReason::Error(error) => log::warn!("stream closed: {error}"),
            reason => log::debug!("stream closed: {reason}"),
        }
        self.shared.set_state(State::Closed);
        let _ = self.send(Item::Closed(reason), false);
    }

    /// One connection attempt, from the request to the end of the response.
    fn connection(&mut self, attempt: u32) -> Result<Outcome, Stop> {
        self.shared.set_state(if attempt == 0 {
            State::Connecting
        } else {
            State::Reconnecting
        });
        self.send(Item::Connecting { attempt }, false)?;
        // This connection fulfils any restart asked for until now. Cleared
        // before the agent is installed: a restart from here on shuts that
        // agent down and is seen when its request fails.
        self.shared.take_restart();
        while self.restart_requests.try_recv().is_ok() {}
        let agent = self.new_agent();
        if !self.shared.install_agent(&agent) {
            return Err(Stop);
        }

        let response = match self.request(&agent) {
            Ok(response) => response,
            Err(outcome) => return self.unless_stopped(outcome),
        };
        let status = response.status();
        if status == StatusCode::NO_CONTENT {
            return Ok(Outcome::Close(CloseReason::NoContent));
        }
        if !status.is_success() {
            return self.unless_stopped(self.failed_response(response));
        }
        if let Err(error) = check_content_type(&response) {
            return Ok(Outcome::Close(CloseReason::Error(error)));
        }
        log::debug!("open: HTTP {}", status.as_u16());
        self.shared.set_state(State::Open);
        self.send(
            Item::Open {
                status: status.as_u16(),
            },
            false,
        )?;
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

    fn new_agent(&self) -> ureq::Agent {
        let config = &self.config;
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .allow_non_standard_methods(true)
            .timeout_resolve(Some(config.connect_timeout))
            .timeout_connect(Some(config.connect_timeout))
            .timeout_per_read(config.idle_timeout)
            .user_agent(concat!("sselink/", env!("CARGO_PKG_VERSION")))
            .tls_config(config.tls.clone())
            .max_idle_connections(0)
            .build()
            .new_agent()
    }

    /// Sends the request and follows redirects. Reconnects always start from
    /// the configured URL.
    fn request(&mut self, agent: &ureq::Agent) -> Result<Response<Body>, Outcome> {
        let config = Arc::clone(&self.config);
        let mut headers: Vec<Header> = config.headers.clone();
        if let Some(provider) = &config.header_provider {
            let provided = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| provider()))
                .map_err(|_| fatal(Error::InvalidConfig("the header provider panicked".into())))?;
            for (name, value) in provided {
                let (name, value) = check_header(&name, &value)
                    .map_err(|e| Outcome::Close(CloseReason::Error(e)))?;
                headers.retain(|h| h.name != name);
                headers.push(Header {
                    name,
                    value,
                    sensitive: true,
                });
            }
        }
        let mut url = self.resume_url();
        let origin = url.origin();
        let mut method = config.method.clone();
        let mut body = config.body.as_deref();
        let mut hops = 0;
        loop {
            let same_origin = url.origin() == origin;
            log::debug!(
                "{method} {}{}",
                url.origin().ascii_serialization(),
                url.path()
            );
            let request = self.build_request(&url, &method, &headers, same_origin, body)?;
            let response = agent.run(request).map_err(|e| self.network_failure(e))?;
            let status = response.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) || config.max_redirects == 0 {
                return Ok(response);
            }
            if hops == config.max_redirects {
                return Err(fatal(Error::Redirect(format!(
                    "more than {} redirects; the server may loop (raise max_redirects if not)",
                    config.max_redirects
                ))));
            }
            hops += 1;
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .unwrap_or("");
            if location.is_empty() {
                return Err(fatal(Error::Redirect(format!(
                    "HTTP {status} without a Location header; the server is misconfigured"
                ))));
            }
            url = url.join(location).map_err(|e| {
                fatal(Error::Redirect(format!(
                    "Location `{location}` is not a URL: {e}"
                )))
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(fatal(Error::Redirect(format!(
                    "Location `{url}` is not http or https"
                ))));
            }
            // As browsers do: 303 always, and 301/302 after a POST, become a GET without body.
            if status == 303 || (matches!(status, 301 | 302) && method == Method::POST) {
                method = Method::GET;
                body = None;
            }
        }
    }

    /// The configured URL, with the resume query parameter if asked for.
    fn resume_url(&self) -> Url {
        let mut url = self.config.url.clone();
        let id = self.parser.last_event_id();
        if let (Some(name), false) = (&self.config.resume_query, id.is_empty()) {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(n, _)| n != name.as_str())
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut()
                .clear()
                .extend_pairs(kept)
                .append_pair(name, id);
        }
        url
    }

    fn build_request(
        &self,
        url: &Url,
        method: &Method,
        headers: &[Header],
        same_origin: bool,
        body: Option<&[u8]>,
    ) -> Result<Request<Vec<u8>>, Outcome> {
        let mut request = Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .header(header::ACCEPT, "text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache");
        let id = self.parser.last_event_id();
        if !id.is_empty() {
            request = request.header("last-event-id", id);
        }
        for h in headers.iter().filter(|h| same_origin || !h.sensitive) {
            request = request.header(h.name.clone(), h.value.clone());
        }
        request
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .map_err(|e: http::Error| {
                fatal(Error::InvalidConfig(format!(
                    "the request cannot be built: {e}"
                )))
            })
    }

    fn network_failure(&self, error: ureq::Error) -> Outcome {
        Outcome::Dropped {
            error: Some(Error::from_ureq(
                error,
                self.config.connect_timeout,
                self.config.idle_timeout,
            )),
            healthy: false,
            retry_after: None,
        }
    }

    /// A non-2xx answer: permanent or retried, with its status, headers and
    /// the start of its body for the caller.
    fn failed_response(&self, response: Response<Body>) -> Outcome {
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let mut excerpt = Vec::new();
        let _ = response
            .into_body()
            .into_reader()
            .take(HttpFailure::BODY_LIMIT as u64)
            .read_to_end(&mut excerpt);
        let permanent = self.config.status_policy.is_permanent(status);
        let failure = Error::Status(Box::new(HttpFailure {
            status,
            headers,
            body: String::from_utf8_lossy(&excerpt).into_owned(),
            permanent,
        }));
        if permanent {
            return Outcome::Close(CloseReason::Error(failure));
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
        self.dedup.new_connection();
        let error = loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break None,
                Ok(n) => n,
                Err(e) => break Some(Error::from_io(e, self.config.idle_timeout)),
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
                return Outcome::Close(CloseReason::Error(limit.into()));
            }
        };
        if error.is_some() {
            // A broken connection: its unfinished event is discarded, even
            // with dispatch_incomplete_at_eof (meant for clean ends).
            self.parser.abort();
            let healthy = delivered || opened.elapsed() >= self.config.reconnect.healthy_after;
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
        let healthy = delivered || opened.elapsed() >= self.config.reconnect.healthy_after;
        Outcome::Dropped {
            error,
            healthy,
            retry_after: None,
        }
    }

    /// Sends what the parser produced. `Ok(true)` when an event went out.
    fn hand_out(&mut self, parsed: &mut Vec<Parsed>) -> Result<bool, Stop> {
        let mut any_event = false;
        for item in parsed.drain(..) {
            match item {
                Parsed::Event(event) => {
                    if self.config.deduplicate && !self.dedup.admit(event.id()) {
                        log::debug!("dropped replayed event id {}", event.id());
                        continue;
                    }
                    any_event = true;
                    self.send(Item::Event(event), true)?;
                }
                Parsed::Comment(text) if self.config.comments => {
                    self.send(Item::Comment(text), true)?
                }
                Parsed::Comment(_) => {}
                Parsed::Retry(time) => self.reconnection_time = time,
                Parsed::LastEventId(id) => self.send_message(Message::LastEventId(id), true)?,
            }
        }
        Ok(any_event)
    }

    fn send(&self, item: Item, droppable: bool) -> Result<(), Stop> {
        self.send_message(Message::Item(item), droppable)
    }

    /// Hands a message to the caller under the overflow policy. `Block`
    /// waits for room. A drop policy never waits: a `droppable` message
    /// (event, comment, id change) that finds the channel full is dropped
    /// (drop-newest) or displaces the oldest queued item (drop-oldest); a
    /// lifecycle item always displaces the oldest queued item, so `Closed`,
    /// sent last, is never lost.
    fn send_message(&self, message: Message, droppable: bool) -> Result<(), Stop> {
        if self.shared.is_closed() {
            return Err(Stop);
        }
        let overflow = self.config.overflow;
        if overflow == Overflow::Block {
            return select! {
                send(self.items, message) -> sent => sent.map_err(|_| Stop),
                recv(self.closing) -> _ => Err(Stop),
            };
        }
        let message = match self.items.try_send(message) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Disconnected(_)) => return Err(Stop),
            Err(TrySendError::Full(message)) => message,
        };
        if droppable && overflow == Overflow::DropNewest {
            count_if_event(&self.shared, &message);
            return Ok(());
        }
        // Make room by removing the oldest item. The reader is the only
        // sender, so the room stays made.
        if let Ok(oldest) = self.queued.try_recv() {
            count_if_event(&self.shared, &oldest);
        }
        match self.items.try_send(message) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(_)) => Err(Stop),
            Err(TrySendError::Full(message)) => {
                count_if_event(&self.shared, &message);
                Ok(())
            }
        }
    }
}

fn count_if_event(shared: &Shared, message: &Message) {
    if matches!(message, Message::Item(Item::Event(_) | Item::Comment(_))) {
        shared.count_dropped();
    }
}

fn fatal(error: Error) -> Outcome {
    Outcome::Close(CloseReason::Error(error))
}

/// The response must say `text/event-stream` (any case, parameters ignored).
fn check_content_type(response: &Response<Body>) -> Result<(), Error> {
    let found = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let essence = found
        .as_deref()
        .and_then(|t| t.split(';').next())
        .map(str::trim);
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case("text/event-stream") => Ok(()),
        _ => Err(Error::ContentType { found }),
    }
}

/// `Retry-After` as delay-seconds or an HTTP date, clamped to an hour.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let delay = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = parse_http_date(value)?;
        at.duration_since(SystemTime::now()).unwrap_or_default()
    };
    Some(delay.min(MAX_SERVER_DELAY))
}

/// An IMF-fixdate, such as `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 5.6.7).
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let mut parts = value.split_ascii_whitespace();
    let _weekday = parts.next()?.strip_suffix(',')?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month_name)? as u64
        + 1;
    let year: u64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (clock.next()??, clock.next()??, clock.next()??);
    if parts.next()? != "GMT"
        || parts.next().is_some()
        || !(1..=31).contains(&day)
        || h > 23
        || m > 59
        || s > 60
        || year < 1970
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), then seconds.
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(days * 86_400 + h * 3600 + m * 60 + s))
}

/// Drops replayed events when ids are increasing sequence numbers, in
/// constant memory: the highest id delivered, and whether the previous event
/// of this connection carried it.
#[derive(Debug, Default)]
struct Dedup {
    highest: Option<u64>,
    previous_on_connection: Option<u64>,
}

impl Dedup {
    fn new_connection(&mut self) {
        self.previous_on_connection = None;
    }

    /// True when the event with this id is new. Events with no `id` of their
    /// own carry the previous one; on the same connection they are new.
    fn admit(&mut self, id: &str) -> bool {
        let Ok(n) = id.parse::<u64>() else {
            return true;
        };
        let continues = self.previous_on_connection == Some(n);
        let admit = match self.highest {
            Some(high) if n < high => false,
            Some(high) if n == high => continues,
            _ => true,
        };
        if admit {
            self.highest = Some(n);
            self.previous_on_connection = Some(n);
        }
        admit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999"),
            Some(MAX_SERVER_DELAY)
        );
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO),
            "past dates mean now"
        );
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"), None);
        let in_a_minute = httpdate_in(60);
        let d = parse_retry_after(&in_a_minute).unwrap();
        assert!(
            d > Duration::from_secs(55) && d <= Duration::from_secs(60),
            "{d:?}"
        );
    }

    /// Formats now + `secs` as an IMF-fixdate, independently of the parser.
    fn httpdate_in(secs: u64) -> String {
        let t = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + secs;
        let (days, rem) = (t / 86_400, t % 86_400);
        // civil_from_days
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + u64::from(m <= 2);
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "Mon, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
            months[m as usize - 1],
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    #[test]
    fn dedup_drops_replays_and_keeps_continuations() {
        let mut d = Dedup::default();
        d.new_connection();
        assert!(
            d.admit("1") && d.admit("2") && d.admit("2"),
            "an id-less event after 2 carries 2"
        );
        assert!(d.admit("abc"), "non-numeric ids pass");
        d.new_connection();
        assert!(!d.admit("1") && !d.admit("2"), "replayed after a resume");
        assert!(!d.admit("2"), "still replay");
        assert!(d.admit("3") && d.admit("3") && d.admit("4"));
    }
}
