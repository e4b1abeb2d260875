//! What is logged (docs/behaviour.md §6.2, and the crate docs' Logging
//! section): each connect and reconnect at debug, and, through
//! `sselink::redact::RedactingLogger`, never a credential at any level from
//! error to trace: no sensitive header value (Authorization, Cookie, a
//! custom sensitive header, a provided header), no query value, no URL
//! userinfo, no proxy credential, no body, neither from sselink nor from its dependencies. Every
//! dependency target seen is one the filter knows, so a new ureq target makes
//! this test fail until the filter's table is reviewed. Its own test binary:
//! the logger is global.

mod support;

use std::sync::Mutex;
use std::time::Duration;

use sselink::redact::{is_known_log_target, RedactingLogger};
use sselink::{Item, Stream};
use support::server::{Conn, Server, PATIENCE};
use support::tinyproxy::Tinyproxy;

/// Every record that reached the filter: (target, level).
static RAW: Mutex<Vec<(String, log::Level)>> = Mutex::new(Vec::new());
/// What the filter let through: "target LEVEL message".
static SHOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Shown;

impl log::Log for Shown {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        SHOWN.lock().unwrap().push(format!(
            "{} {} {}",
            record.target(),
            record.level(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

/// Notes every record, then hands it to the redacting filter.
struct Tee(RedactingLogger<Shown>);

impl log::Log for Tee {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        RAW.lock()
            .unwrap()
            .push((record.target().to_string(), record.level()));
        self.0.log(record);
    }
    fn flush(&self) {}
}

const SECRETS: [&str; 9] = [
    "PROXYSECRET",
    "HEADERSECRET",
    "COOKIESECRET",
    "CUSTOMSECRET",
    "PROVIDERSECRET",
    "QUERYSECRET",
    "USERSECRET",
    "BODYSECRET",
    "LOCATIONSECRET",
];

/// One stream through a proxy with credentials, a redirect with a query in
/// its Location, a failure and a reconnect, carrying a credential of every
/// kind.
fn run_stream() {
    let proxy = Tinyproxy::start(Some(("user", "PROXYSECRET")));
    let server = Server::start(|mut conn: Conn| {
        match conn.request.index % 3 {
            0 => drop(conn.respond(302, &["Location: /moved?token=LOCATIONSECRET"], "")),
            1 => drop(conn.respond(500, &[], "the server echoes HEADERSECRET")),
            _ => drop(conn.sse_head().and_then(|()| conn.write("data: x\n\n"))),
        }
        conn.end();
    });
    // A comma and brackets before the secret: the redaction of a URL in a
    // message ends only at whitespace.
    let url = format!(
        "http://user:USERSECRET@{}/start,a?fields=a,b&a[0]=1&api_key=QUERYSECRET",
        server.addr()
    );
    let stream = Stream::builder(&url)
        .header("Authorization", "Bearer HEADERSECRET")
        .header("Cookie", "session=COOKIESECRET")
        .sensitive_header("X-Api-Key", "CUSTOMSECRET")
        .header_provider(|| vec![("X-Token".into(), "PROVIDERSECRET".into())])
        .method("POST")
        .body("BODYSECRET")
        .proxy(&proxy.url(Some(("user", "PROXYSECRET"))))
        .reconnect_delay(Duration::from_millis(5), Duration::from_millis(5))
        .connect()
        .unwrap();
    loop {
        if let Item::Event(_) = stream.recv_timeout(PATIENCE).unwrap() {
            break;
        }
    }
    assert!(stream.close_and_wait(PATIENCE));
}

#[test]
fn no_credential_is_logged_at_any_level_and_every_target_is_known() {
    static LOGGER: Tee = Tee(RedactingLogger::new(Shown));
    log::set_logger(&LOGGER).unwrap();
    for level in [
        log::LevelFilter::Error,
        log::LevelFilter::Warn,
        log::LevelFilter::Info,
        log::LevelFilter::Debug,
        log::LevelFilter::Trace,
    ] {
        SHOWN.lock().unwrap().clear();
        log::set_max_level(level);
        run_stream();
        let shown = SHOWN.lock().unwrap().clone();
        for secret in SECRETS {
            assert!(
                !shown.iter().any(|l| l.contains(secret)),
                "{secret} logged at {level}: {shown:#?}"
            );
        }
        // ureq masks userinfo but for the user's first letter (`u*****`).
        assert!(
            !shown
                .iter()
                .any(|l| l.contains("*****:") || l.contains("*****@")),
            "masked userinfo logged at {level}: {shown:#?}"
        );
        if level >= log::LevelFilter::Debug {
            // Not vacuous: connects and reconnects are there, URLs with the
            // query's names and hidden values.
            assert!(
                shown.iter().any(
                    |l| l.starts_with("sselink::reader DEBUG POST http://127.0.0.1:")
                        && l.ends_with("/start,a?fields=***&a[0]=***&api_key=***")
                ),
                "{shown:#?}"
            );
            assert!(
                shown
                    .iter()
                    .any(|l| l.ends_with("/moved?token=***") && l.contains("GET")),
                "the redirect, as a GET: {shown:#?}"
            );
            assert!(
                shown.iter().any(|l| l.contains("reconnect attempt 1")),
                "{shown:#?}"
            );
        }
        if level == log::LevelFilter::Trace {
            assert!(
                shown.iter().any(|l| l.starts_with("ureq")),
                "ureq's records pass, rewritten: {shown:#?}"
            );
        }
    }
    let raw = RAW.lock().unwrap().clone();
    let unknown: Vec<&String> = raw
        .iter()
        .map(|(target, _)| target)
        .filter(|target| !is_known_log_target(target))
        .collect();
    assert!(
        unknown.is_empty(),
        "targets the filter does not know (review redact.rs's table): {unknown:?}"
    );
    assert!(
        raw.iter().any(|(t, _)| t == "ureq_proto::util"),
        "the raw byte dumps were produced, and dropped"
    );
}
