//! Tests that kill mutants `cargo mutants` found missed in src/redact.rs
//! (docs/testing.md, "Mutation testing"): each names the mutant it kills.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use log::Log;
use sselink::redact::{redact_log_message, url_for_logs, RedactingLogger};

/// A scheme starts with a letter: `1abc://` is no scheme, so the text is
/// shown as text without an authority (its query hidden), not hidden whole.
/// Kills `replace && with || in authority_start`.
#[test]
fn a_word_starting_with_a_digit_is_no_scheme() {
    assert_eq!(url_for_logs("1abc://host/p?x=1"), "1abc://host/p?***");
}

/// A URL that parses without a host (`file:///...`) is shown through the
/// unparsed path: scheme and path, its query hidden, never `***` whole.
/// Kills `replace match guard parsed.has_host() with true in url_for_logs`.
#[test]
fn a_url_without_a_host_keeps_its_path() {
    assert_eq!(url_for_logs("file:///tmp/x?y=1"), "file:///tmp/x?***");
}

/// In a Location value an escaped backslash (two backslashes) does not escape the
/// quote after it: the value ends there and what follows is left as it is.
/// Kills `replace match guard !escaped with true in closing_quote`.
#[test]
fn an_escaped_backslash_does_not_escape_the_closing_quote() {
    let message = r#""location": "/a\\", "status": 301"#;
    let shown = redact_log_message("ureq::run", message).unwrap();
    // The value, two backslashes, is shown Debug-escaped (four); the quote
    // after it closes it.
    assert_eq!(shown, r#""location": "/a\\\\", "status": 301"#);
}

/// A word with userinfo and a query loses both, and says a query was cut.
/// Kills `replace < with > in without_userinfo`.
#[test]
fn userinfo_outside_a_url_is_cut_and_its_query_marked() {
    let shown = redact_log_message("sselink", "to alice@host?token=1 now").unwrap();
    assert_eq!(shown, "to host?*** now");
}

/// The logger wrapped by `RedactingLogger`: enabled or not, and what it
/// was given.
#[derive(Default)]
struct Inner {
    enabled: bool,
    messages: Mutex<Vec<String>>,
    flushes: AtomicUsize,
}

impl Inner {
    fn new(enabled: bool) -> Inner {
        Inner {
            enabled,
            ..Inner::default()
        }
    }
}

impl log::Log for Inner {
    fn enabled(&self, _: &log::Metadata) -> bool {
        self.enabled
    }
    fn log(&self, record: &log::Record) {
        self.messages
            .lock()
            .unwrap()
            .push(record.args().to_string());
    }
    fn flush(&self) {
        self.flushes.fetch_add(1, Ordering::SeqCst);
    }
}

/// `enabled` is true for a target whose records are forwarded, and only
/// when the wrapped logger is enabled too. Kills `replace
/// <impl log::Log for RedactingLogger<L>>::enabled -> bool with false`,
/// `replace && with ||` and `replace == with !=` in it.
#[test]
fn the_redacting_logger_is_enabled_for_forwarded_targets_only() {
    let metadata = |target| log::Metadata::builder().target(target).build();
    let on = RedactingLogger::new(Inner::new(true));
    let off = RedactingLogger::new(Inner::new(false));
    assert!(on.enabled(&metadata("sselink::reader")));
    assert!(
        !on.enabled(&metadata("ureq_proto::util")),
        "a dropped target"
    );
    assert!(
        !off.enabled(&metadata("sselink::reader")),
        "the inner logger is off"
    );
    assert!(!off.enabled(&metadata("ureq_proto::util")));
}

/// A forwarded record reaches the wrapped logger redacted; a dropped one
/// never does; `flush` is passed on. Kills `replace <impl log::Log for
/// RedactingLogger<L>>::log with ()` and `::flush with ()`.
#[test]
fn the_redacting_logger_forwards_redacted_records_and_flushes() {
    let inner = Inner::new(true);
    let logger = RedactingLogger::new(&inner);
    logger.log(
        &log::Record::builder()
            .target("sselink::reader")
            .args(format_args!("connecting to http://alice:pw@h/p?k=v"))
            .build(),
    );
    logger.log(
        &log::Record::builder()
            .target("ureq_proto::util")
            .args(format_args!("raw bytes"))
            .build(),
    );
    logger.flush();
    assert_eq!(
        *inner.messages.lock().unwrap(),
        ["connecting to http://h/p?k=***"]
    );
    assert_eq!(inner.flushes.load(Ordering::SeqCst), 1);
}
