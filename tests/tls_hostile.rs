//! Hostile TLS peers against the final-by-default TLS failures (issue 27
//! point 9), from a defect hunt.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use sselink::{CloseReason, Error, Item, Stream};
use support::server::PATIENCE;

/// A TCP server on an https URL that reads the ClientHello, then writes
/// `answer` and closes, on every connection.
fn answering(answer: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/events", listener.local_addr().unwrap());
    thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = tcp.read(&mut buf);
                let _ = tcp.write_all(answer);
                thread::sleep(Duration::from_millis(50));
            });
        }
    });
    url
}

fn outcome(url: &str) -> (bool, Error) {
    let stream = Stream::builder(url)
        .reconnect_delay(Duration::from_millis(10), Duration::from_millis(20))
        .connect()
        .unwrap();
    loop {
        match stream.recv_timeout(PATIENCE).expect("no item") {
            Item::Retrying { error, .. } => return (true, error),
            Item::Closed(CloseReason::Error(error)) => return (false, error),
            Item::Closed(other) => panic!("{other}"),
            _ => {}
        }
    }
}

/// A server that answers the handshake with a fatal `internal_error`
/// alert (RFC 8446 §6.2: an error unrelated to the peer) has a problem of
/// its own, not one with its certificate: the message must not send the
/// user to the certificate and the trusted roots.
#[test]
fn an_internal_error_alert_is_not_blamed_on_the_certificate() {
    let url = answering(b"\x15\x03\x03\x00\x02\x02\x50");
    let (_, error) = outcome(&url);
    let text = error.to_string();
    assert!(!text.contains("certificate"), "{text}");
}

/// The same alert says nothing about this client's settings: a server
/// with a passing fault (RFC 8446 §6.2: "an internal error unrelated to the
/// peer") is retried like any server failure, not given up on for good.
#[test]
fn an_internal_error_alert_is_retried() {
    let url = answering(b"\x15\x03\x03\x00\x02\x02\x50");
    let (retried, error) = outcome(&url);
    assert!(retried, "closed for good: {error}");
}

/// The connect timeout bounds the TLS handshake too (behaviour §5.1): a
/// server that accepts the connection, reads the ClientHello and never
/// answers fails the attempt after the connect timeout, well before the
/// idle timeout.
#[test]
fn the_connect_timeout_bounds_a_handshake_that_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/events", listener.local_addr().unwrap());
    let (hello, hellos) = crossbeam_channel::unbounded();
    thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            let hello = hello.clone();
            thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(PATIENCE));
                let mut buf = [0u8; 4096];
                // The ClientHello, then silence until the client goes.
                if matches!(tcp.read(&mut buf), Ok(n) if n > 0) {
                    let _ = hello.send(buf[0]);
                }
                while matches!(tcp.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    let timeout = Duration::from_millis(300);
    // Ten times the connect timeout; the idle timeout is a hundred.
    let bound = Duration::from_secs(3);
    let started = std::time::Instant::now();
    let stream = Stream::builder(&url)
        .connect_timeout(timeout)
        .idle_timeout(Some(Duration::from_secs(30)))
        .reconnect(false)
        .connect()
        .unwrap();
    let reason = loop {
        let left = bound.saturating_sub(started.elapsed());
        match stream.recv_timeout(left) {
            Ok(Item::Closed(reason)) => break reason,
            Ok(_) => {}
            Err(_) => panic!("the handshake was not over after {bound:?}"),
        }
    };
    assert_eq!(
        hellos.recv_timeout(PATIENCE),
        Ok(0x16),
        "the server got a TLS handshake record"
    );
    assert_eq!(reason, CloseReason::Error(Error::ConnectTimeout(timeout)));
}
