//! A stream's TLS settings are built once: its trust roots and client key
//! are parsed at its first TLS connection, not again at each reconnect.
//! Seen through ureq's debug records of the TLS set-up. Its own test
//! binary: the logger is global.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sselink::{Item, Stream};
use support::server::PATIENCE;
use support::tls::{https_server, test_ca};

static RECORDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Noted;

impl log::Log for Noted {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target().starts_with("ureq::tls")
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            RECORDS.lock().unwrap().push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

#[test]
fn roots_and_client_key_are_parsed_once_per_stream() {
    static LOGGER: Noted = Noted;
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
    let ca = test_ca();
    // Each connection serves one event and ends: the stream reconnects.
    let url = https_server(Arc::clone(&ca.mutual_config));
    let stream = Stream::builder(&url)
        .root_certificate(ca.ca_pem.clone())
        .client_certificate(ca.client_pem.clone(), ca.client_key_pem.clone())
        .idle_timeout(Some(Duration::from_millis(200)))
        .reconnect_delay(Duration::from_millis(5), Duration::from_millis(5))
        .jitter(0.0)
        .connect()
        .unwrap();
    let mut events = 0;
    while events < 3 {
        if let Item::Event(_) = stream.recv_timeout(PATIENCE).unwrap() {
            events += 1;
        }
    }
    assert!(stream.close_and_wait(PATIENCE));
    let records = RECORDS.lock().unwrap().clone();
    let count = |text: &str| records.iter().filter(|r| r.contains(text)).count();
    assert_eq!(count("root certs"), 1, "{records:#?}");
    assert_eq!(count("client certficiate"), 1, "{records:#?}");
    assert!(count("Wrapped TLS") >= 3, "three connections: {records:#?}");
}
