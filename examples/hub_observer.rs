//! R1, the hub session observer (docs/reference-clients.md), rebuilt on
//! sselink. What it reproduces, and the sselink option behind each:
//!
//! - URL `{base}/api/hub/session/{id}/events`, query `subscribe` (filters
//!   joined with `,`), `api_key`, `org_id`, each only when set: `query`.
//! - Five event types handled, every other ignored in the reader thread:
//!   `filter_event_type`. Data is JSON; the named types get their type
//!   merged in, `message` carries its own: [`HubEvent`] (a serde enum).
//!   Data that is not a JSON object with a type is a `parse_error`, reported
//!   while the stream goes on.
//! - A 1,000-event buffer that drops the oldest: `capacity`, `overflow`.
//! - Reconnect with `1,000 ms * 2^attempts * [0.5, 1)`, capped at 30 s, the
//!   count reset when a connection opens, at most 10 attempts:
//!   `reconnect_delay`, `jitter_shape(Scale)`, `reset_on_open`,
//!   `max_attempts`.
//! - States connecting, connected, reconnecting, closed, and the error codes
//!   connection_failed, auth_failed, max_reconnects_exceeded, parse_error,
//!   each with the session id: mapped from sselink's items.
//!
//! Usage: `hub_observer BASE SESSION [subscribe=task_*,agent_*] [api_key=K]
//! [org_id=O] [initial_ms=1000] [max_ms=30000]` (the last two for tests). Prints one JSON line per state change,
//! event or error; exits 0 when the hub ends the session, 1 on an error.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};
use sselink::{CloseReason, Error, Item, JitterShape, Overflow, Stream};

/// What the hub sends, typed.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
enum HubEvent {
    Snapshot(Map<String, Value>),
    Hydration(Map<String, Value>),
    Presence(Map<String, Value>),
    Broadcast(Map<String, Value>),
    Message(Map<String, Value>),
}

const TYPES: [&str; 5] = ["snapshot", "hydration", "presence", "broadcast", "message"];

/// Decodes one event as R1 does: a JSON object; the SSE type merged in as
/// `type` for the named types, the object's own `type` required for
/// `message`.
fn decode(event: &sselink::Event) -> Result<HubEvent, String> {
    let mut body: Map<String, Value> = event
        .json()
        .map_err(|e| format!("data is not a JSON object: {e}"))?;
    if event.is("message") {
        if !body.get("type").is_some_and(Value::is_string) {
            return Err("a message without a string `type`".into());
        }
        return Ok(HubEvent::Message(body));
    }
    body.insert("type".into(), event.event_type().into());
    Ok(match event.event_type() {
        "snapshot" => HubEvent::Snapshot(body),
        "hydration" => HubEvent::Hydration(body),
        "presence" => HubEvent::Presence(body),
        _ => HubEvent::Broadcast(body),
    })
}

/// R1's error codes, from how sselink closed.
fn error_code(error: &Error) -> &'static str {
    match error {
        Error::AttemptsExhausted { .. } => "max_reconnects_exceeded",
        e if matches!(e.status(), Some(401 | 403)) => "auth_failed",
        _ => "connection_failed",
    }
}

fn print(line: Value) {
    println!("{line}");
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, session, rest @ ..] = args.as_slice() else {
        eprintln!("usage: hub_observer BASE SESSION [subscribe=..] [api_key=..] [org_id=..] [initial_ms=..] [max_ms=..]");
        return std::process::ExitCode::from(2);
    };
    let setting = |name: &str| {
        rest.iter()
            .find_map(|a| a.strip_prefix(name)?.strip_prefix('='))
            .filter(|v| !v.is_empty())
    };
    let mut url = url::Url::parse(base.trim_end_matches('/')).expect("BASE is a URL");
    url.path_segments_mut()
        .expect("BASE can have a path")
        .extend(["api", "hub", "session", session, "events"]);
    let ms = |name, default| {
        Duration::from_millis(setting(name).map_or(default, |v| v.parse().unwrap()))
    };
    let mut builder = Stream::builder(url.as_str())
        .reconnect_delay(ms("initial_ms", 1000), ms("max_ms", 30_000))
        .jitter_shape(JitterShape::Scale)
        .reset_on_open(true)
        .max_attempts(10)
        .capacity(1000)
        .overflow(Overflow::DropOldest);
    for name in TYPES {
        builder = builder.filter_event_type(name);
    }
    for name in ["subscribe", "api_key", "org_id"] {
        if let Some(value) = setting(name) {
            builder = builder.query(name, value);
        }
    }
    let stream = builder.connect().expect("a valid configuration");

    let mut state = "";
    let mut set_state = |next: &'static str| {
        if state != next {
            state = next;
            print(serde_json::json!({ "state": next }));
        }
    };
    for item in &stream {
        match item {
            Item::Connecting { attempt: 0 } => set_state("connecting"),
            Item::Connecting { .. } | Item::Retrying { .. } => set_state("reconnecting"),
            Item::Open { .. } => set_state("connected"),
            Item::Event(event) => match decode(&event) {
                Ok(typed) => print(serde_json::json!({ "id": event.id(), "event": typed })),
                Err(why) => print(serde_json::json!({
                    "error": "parse_error", "message": why, "session": session, "id": event.id()
                })),
            },
            Item::Closed(reason) => {
                set_state("closed");
                if let CloseReason::Error(error) = reason {
                    let message = error.to_string();
                    print(serde_json::json!({
                        "error": error_code(&error), "message": message, "session": session
                    }));
                    return std::process::ExitCode::FAILURE;
                }
            }
            _ => {}
        }
    }
    std::process::ExitCode::SUCCESS
}
