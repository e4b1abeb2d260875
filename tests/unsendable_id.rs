//! A last event id that cannot be sent (docs/behaviour.md §2.7): one with
//! a control character, or one too long for a request head, is kept but
//! not sent, and a warning is logged once per id, not at every reconnect.
//! Its own test binary: the logger is global.

mod support;

use std::sync::Mutex;

use sselink::Item;
use support::items::quick;
use support::server::{Conn, Server, PATIENCE};

static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Warnings;

impl log::Log for Warnings {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Warn && metadata.target().starts_with("sselink")
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            WARNINGS.lock().unwrap().push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

#[test]
fn an_unsendable_id_is_warned_about_once_per_id() {
    static LOGGER: Warnings = Warnings;
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    let long = "l".repeat(70 * 1024);
    // Each id comes on two or three connections in a row, each of which
    // ends after its event: the reconnects after them carry the same id.
    let server = Server::start(move |mut conn: Conn| {
        let id = match conn.request.index {
            0..=2 => "bad\u{1}one".to_string(),
            3 | 4 => "bad\u{2}two".to_string(),
            5 | 6 => long.clone(),
            _ => {
                let _ = conn.sse_head();
                conn.client_closed_within(PATIENCE);
                return;
            }
        };
        let _ = conn
            .sse_head()
            .and_then(|()| conn.write(format!("id: {id}\ndata: x\n\n")));
        conn.end();
    });
    let stream = quick(&server.url("/events")).connect().unwrap();
    for index in 0..=7 {
        let request = server.request();
        assert_eq!(request.index, index);
        assert_eq!(request.header("last-event-id"), None, "request {index}");
    }
    // Seven events, each with an id the stream keeps as sent.
    let mut ids = Vec::new();
    while ids.len() < 7 {
        if let Item::Event(event) = support::items::next(&stream) {
            ids.push(event.id().len());
        }
    }
    assert_eq!(ids[..5], [7, 7, 7, 7, 7]);
    assert_eq!(stream.last_event_id().len(), 70 * 1024);
    assert!(stream.close_and_wait(PATIENCE));
    let warnings = WARNINGS.lock().unwrap().clone();
    let count = |text: &str| warnings.iter().filter(|w| w.contains(text)).count();
    assert_eq!(
        count("has a control character and cannot be sent"),
        2,
        "one warning per id: {warnings:#?}"
    );
    assert_eq!(
        count("sent it would make"),
        1,
        "one warning for the long id: {warnings:#?}"
    );
}
