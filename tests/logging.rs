//! What is logged: each connect and reconnect at debug level, and never a
//! header credential at debug level or above, from sselink or ureq, through
//! redirects and retries alike; sselink also leaves query strings out. (ureq
//! logs whole URIs at debug and raw socket bytes at trace, as the crate docs
//! warn.) Its own test binary: the logger is global.

mod support;

use std::sync::Mutex;
use std::time::Duration;

use sselink::{Item, Stream};
use support::server::{Conn, Server, PATIENCE};

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        if record.level() <= log::Level::Debug {
            LINES.lock().unwrap().push(format!(
                "{} {} {}",
                record.target(),
                record.level(),
                record.args()
            ));
        }
    }
    fn flush(&self) {}
}

#[test]
fn connects_are_logged_and_credentials_never_are() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let server = Server::start(|mut conn: Conn| {
        match conn.request.index {
            0 => drop(conn.respond(302, &["Location: /moved?token=q"], "")),
            1 => drop(conn.respond(500, &[], "Bearer top-secret echoed back")),
            _ => drop(conn.sse_head().and_then(|()| conn.write("data: x\n\n"))),
        }
        conn.end();
    });
    let stream = Stream::builder(&server.url("/start"))
        .header("Authorization", "Bearer top-secret")
        .sensitive_header("X-Api-Key", "key-secret")
        .header_provider(|| vec![("Cookie".into(), "session=cookie-secret".into())])
        .reconnect_delay(Duration::from_millis(5), Duration::from_millis(5))
        .connect()
        .unwrap();
    loop {
        if let Item::Event(_) = stream.recv_timeout(PATIENCE).unwrap() {
            break;
        }
    }
    stream.close();
    let lines = LINES.lock().unwrap().clone();
    let connects = lines
        .iter()
        .filter(|l| l.starts_with("sselink::reader DEBUG GET http://127.0.0.1"))
        .count();
    assert!(connects >= 3, "connects not logged: {lines:#?}");
    assert!(
        lines.iter().any(|l| l.contains("reconnect attempt 1")),
        "{lines:#?}"
    );
    for secret in ["Bearer top-secret\"", "key-secret", "cookie-secret"] {
        assert!(
            !lines.iter().any(|l| l.contains(secret)),
            "`{secret}` logged: {lines:#?}"
        );
    }
    // ureq logs whole URIs; sselink itself hides every query value.
    let own = lines.iter().filter(|l| l.starts_with("sselink"));
    assert!(
        !own.clone().any(|l| l.contains("token=q")),
        "query logged: {lines:#?}"
    );
    assert!(
        own.clone()
            .any(|l| l.contains("GET http://127.0.0.1") && l.ends_with("/moved?token=***")),
        "{lines:#?}"
    );
}
