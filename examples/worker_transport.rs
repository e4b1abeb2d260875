//! R2, the worker transport (docs/reference-clients.md), rebuilt on
//! sselink: it reads a session's events over SSE and writes results back
//! over POST. What it reproduces, and the sselink option behind each:
//!
//! - `client_event` frames only (`filter_event_type`); the data is the JSON
//!   [`Envelope`], whose `payload` is printed as one JSON line (NDJSON); a
//!   frame that is not JSON is logged and skipped.
//! - Resume from the highest sequence number seen, as `from_sequence_num`
//!   and `Last-Event-ID`, replays dropped: `resume_from_highest_id`,
//!   `resume_query`, `deduplicate_ids`; a handover starts from a given
//!   sequence number (`last_event_id`) and ends by printing the highest one.
//! - 45 s without a byte is a dead connection: `idle_timeout`.
//! - 401, 403, 404 permanent, every other failure retried, `retry:` ignored:
//!   `retry_all_statuses`, `permanent_status`, `server_retry(false)`.
//! - `min(1 s * 2^(n-1), 30 s)` plus or minus 25 %, the count reset by a
//!   successful connection, given up after a 10-minute outage:
//!   `reconnect_delay`, `jitter_shape(Around)`, `jitter(0.25)`,
//!   `reset_on_open`, `time_budget`.
//! - Auth headers fetched fresh before every connect and post, a Cookie
//!   displacing Authorization: `header_provider`.
//! - Results posted to the stream URL without `/stream`, retried on 429,
//!   5xx and network errors (10 attempts, 500 ms doubling to 8 s), the
//!   outcome reported rather than lost: `post`, `post_attempts`,
//!   `post_delay`.
//!
//! Usage: `worker_transport STREAM_URL [from=N] [max_payloads=N] [fast=1]`
//! (fast: 10 ms delays, for tests). Prints each payload, then
//! `{"handover":N}`; exits 0 when the server ends the session (204) or
//! max_payloads is reached, 1 on an error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use sselink::{CloseReason, Item, JitterShape, Stream};

/// The data of a `client_event` frame.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // every field is part of the envelope; not all are used here
struct Envelope {
    event_id: String,
    sequence_num: u64,
    event_type: String,
    source: String,
    payload: Value,
    created_at: String,
}

/// The auth headers of the moment: here a token refreshed on every call,
/// as a credential service would hand out. A Cookie, when there is one,
/// displaces Authorization.
fn auth_headers() -> Vec<(String, String)> {
    static TOKENS: AtomicU64 = AtomicU64::new(0);
    let n = TOKENS.fetch_add(1, Ordering::Relaxed) + 1;
    let cookie: Option<String> = std::env::var("WORKER_COOKIE").ok();
    match cookie {
        Some(cookie) => vec![("Cookie".into(), cookie)],
        None => vec![(
            "Authorization".into(),
            format!("Bearer tok-{}-{n}", std::process::id()),
        )],
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, rest @ ..] = args.as_slice() else {
        eprintln!("usage: worker_transport STREAM_URL [from=N] [max_payloads=N] [fast=1]");
        return std::process::ExitCode::from(2);
    };
    let setting = |name: &str| -> u64 {
        rest.iter()
            .find_map(|a| a.strip_prefix(name)?.strip_prefix('='))
            .map_or(0, |v| v.parse().expect("a number"))
    };
    let fast = setting("fast") == 1;
    let ms = |normal: u64, quick: u64| Duration::from_millis(if fast { quick } else { normal });
    let mut builder = Stream::builder(url)
        .header("anthropic-version", "2023-06-01")
        .header("User-Agent", "worker-transport/1.0")
        .header_provider(auth_headers)
        .filter_event_type("client_event")
        .resume_from_highest_id(true)
        .resume_query("from_sequence_num")
        .deduplicate_ids(true)
        .idle_timeout(Some(Duration::from_secs(45)))
        .retry_all_statuses(true)
        .permanent_status(401)
        .permanent_status(403)
        .permanent_status(404)
        .server_retry(false)
        .reconnect_delay(ms(1000, 10), ms(30_000, 50))
        .jitter_shape(JitterShape::Around)
        .jitter(0.25)
        .reset_on_open(true)
        .time_budget(Duration::from_secs(600))
        .post_attempts(10)
        .post_delay(ms(500, 10), ms(8000, 50));
    let from = setting("from");
    if from > 0 {
        builder = builder.last_event_id(from.to_string());
    }
    let stream = builder.connect().expect("a valid configuration");

    let (max_payloads, mut payloads, mut highest) = (setting("max_payloads"), 0, from);
    let mut code = std::process::ExitCode::SUCCESS;
    for item in &stream {
        match item {
            Item::Event(event) => {
                let envelope: Envelope = match event.json() {
                    Ok(envelope) => envelope,
                    Err(e) => {
                        eprintln!("skipped a client_event that is not a JSON envelope: {e}");
                        continue;
                    }
                };
                if !envelope.payload.get("type").is_some_and(Value::is_string) {
                    eprintln!(
                        "skipped event {}: its payload has no type",
                        envelope.event_id
                    );
                    continue;
                }
                println!("{}", envelope.payload);
                highest = highest.max(envelope.sequence_num);
                let result = serde_json::json!({ "ack": envelope.sequence_num, "event_id": envelope.event_id });
                match stream.post(result.to_string()) {
                    Ok(response) if response.is_success() => {}
                    Ok(response) => {
                        eprintln!("post for {}: HTTP {}", envelope.event_id, response.status)
                    }
                    Err(error) => eprintln!("post for {} failed: {error}", envelope.event_id),
                }
                payloads += 1;
                if payloads == max_payloads {
                    break;
                }
            }
            Item::Retrying { error, delay, .. } => eprintln!("retrying in {delay:?}: {error}"),
            Item::Closed(CloseReason::Error(error)) => {
                eprintln!("closed: {error}");
                code = std::process::ExitCode::FAILURE;
            }
            _ => {}
        }
    }
    println!("{}", serde_json::json!({ "handover": highest }));
    code
}
