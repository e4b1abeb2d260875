//! Hostile and broken servers (docs/behaviour.md §6): each ends in a clear
//! error within the configured limits, without a stall, in bounded memory.
//! Each scenario's peak resident memory is measured on its own: Linux resets
//! the high-water mark when "5" is written to /proc/self/clear_refs. One
//! test, so that no other test shares the process's peak. The figures are
//! printed (`cargo test --test hostile -- --nocapture`) and kept in
//! RELIABILITY.md.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sselink::{CloseReason, Error, Item, Limit, Stream};
use support::process::status_bytes;
use support::server::{Conn, Server, PATIENCE};
use support::tls::{https_server, test_ca};

/// Why the stream closed. A scenario streams up to the 16 MiB limits,
/// which takes seconds in a debug build on a busy machine: the bound is
/// six times the usual patience.
fn closed(stream: &Stream) -> CloseReason {
    loop {
        match stream.recv_timeout(PATIENCE * 6) {
            Ok(Item::Closed(reason)) => return reason,
            Ok(_) => {}
            Err(e) => panic!("the stream did not close in time: {e:?}"),
        }
    }
}

/// Runs one scenario: resets the peak, runs `scenario`, and returns how far
/// the peak rose above the resident memory at the start.
fn peak_of(name: &str, scenario: impl FnOnce() -> String) -> usize {
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting the peak RSS");
    let start = status_bytes("VmRSS:");
    let started = Instant::now();
    let outcome = scenario();
    let rise = status_bytes("VmHWM:").saturating_sub(start);
    eprintln!(
        "hostile: {name}: {outcome} after {} ms, peak +{:.1} MiB",
        started.elapsed().as_millis(),
        rise as f64 / (1 << 20) as f64
    );
    rise
}

/// Writes `chunk` until the client goes.
fn endless(chunk: &'static [u8]) -> Server {
    Server::start(move |mut conn: Conn| {
        let _ = conn.sse_head();
        while conn.write(chunk).is_ok() {}
    })
}

fn limit_of(reason: &CloseReason) -> Option<Limit> {
    match reason {
        CloseReason::Error(Error::Limit(limit)) => Some(limit.limit),
        _ => None,
    }
}

#[test]
fn hostile_servers_end_in_clear_errors_in_bounded_memory() {
    let mut peaks = Vec::new();

    peaks.push(peak_of("an endless line", || {
        let server = endless(&[b'x'; 64 * 1024]);
        let stream = Stream::builder(&server.url("/")).connect().unwrap();
        let reason = closed(&stream);
        assert_eq!(limit_of(&reason), Some(Limit::LineLength), "{reason}");
        reason.to_string()
    }));

    peaks.push(peak_of("an endless event of tiny data lines", || {
        let server = endless(b"data: x\ndata: y\ndata: z\ndata: w\n");
        let stream = Stream::builder(&server.url("/")).connect().unwrap();
        let reason = closed(&stream);
        assert_eq!(limit_of(&reason), Some(Limit::EventSize), "{reason}");
        reason.to_string()
    }));

    peaks.push(peak_of("1 GiB without a newline", || {
        let server = Server::start(|mut conn: Conn| {
            let _ = conn.sse_head();
            let chunk = vec![b'y'; 1 << 20];
            for _ in 0..1024 {
                if conn.write(&chunk).is_err() {
                    return;
                }
            }
        });
        let stream = Stream::builder(&server.url("/")).connect().unwrap();
        let reason = closed(&stream);
        assert_eq!(limit_of(&reason), Some(Limit::LineLength), "{reason}");
        reason.to_string()
    }));

    peaks.push(peak_of("a storm of invalid UTF-8", || {
        let server = Server::start(|mut conn: Conn| {
            let _ = conn.sse_head();
            let mut body = Vec::new();
            for i in 0..20_000u32 {
                body.extend_from_slice(b"data: ");
                body.extend(i.to_le_bytes().iter().map(|b| b | 0x80));
                body.extend_from_slice(b"\xff\xfe\xc0\xe0\x80\n\n");
            }
            let _ = conn.write(body);
            conn.end();
        });
        let stream = Stream::builder(&server.url("/"))
            .reconnect(false)
            .connect()
            .unwrap();
        let mut events = 0;
        // Each wait bounded, and no more than the events sent.
        while events <= 20_000 {
            match support::items::next(&stream) {
                Item::Event(event) => {
                    assert!(event.data().contains('\u{FFFD}'));
                    events += 1;
                }
                Item::Closed(_) => break,
                _ => {}
            }
        }
        assert_eq!(events, 20_000);
        format!("{events} events, every invalid sequence as U+FFFD")
    }));

    peaks.push(peak_of("one byte every 20 ms", || {
        let server = Server::start(|mut conn: Conn| {
            let _ = conn.sse_head();
            for byte in b"data: slow\n\n".iter().chain(b": tick\n".iter().cycle()) {
                if conn.write([*byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let stream = Stream::builder(&server.url("/"))
            .idle_timeout(Some(Duration::from_secs(5)))
            .connect()
            .unwrap();
        let event = support::items::next_event(&stream);
        assert_eq!(event.data(), "slow");
        // Still open and dripping: close is at once.
        assert!(stream.recv_timeout(Duration::from_millis(300)).is_err());
        let closing = Instant::now();
        assert!(stream.close_and_wait(PATIENCE));
        format!(
            "the event arrived; close took {} µs",
            closing.elapsed().as_micros()
        )
    }));

    peaks.push(peak_of("1 MiB of response headers", || {
        let server = Server::start(|mut conn: Conn| {
            let big = format!("X-Big: {}\r\n", "h".repeat(1 << 20));
            let _ = conn.write(format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n{big}\r\n"
            ));
            conn.client_closed_within(PATIENCE);
        });
        let stream = Stream::builder(&server.url("/"))
            .max_attempts(1)
            .connect()
            .unwrap();
        let reason = closed(&stream);
        let CloseReason::Error(Error::AttemptsExhausted { last, .. }) = &reason else {
            panic!("{reason}")
        };
        assert!(
            last.to_string().contains("response header is too big"),
            "{last}"
        );
        reason.to_string()
    }));

    peaks.push(peak_of("a redirect loop", || {
        let server = Server::start(|mut conn: Conn| {
            let _ = conn.respond(302, &["Location: /again"], "");
            conn.end();
        });
        let stream = Stream::builder(&server.url("/")).connect().unwrap();
        let reason = closed(&stream);
        assert!(
            matches!(&reason, CloseReason::Error(Error::Redirect(m)) if m.contains("more than 10 redirects")),
            "{reason}"
        );
        reason.to_string()
    }));

    peaks.push(peak_of("bad chunk sizes", || {
        let server = Server::start(|mut conn: Conn| {
            let _ = conn.write(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                 Transfer-Encoding: chunked\r\n\r\nzz\r\ndata: x\n\n\r\n",
            );
            conn.end();
        });
        let stream = Stream::builder(&server.url("/"))
            .max_attempts(1)
            .reconnect_delay(Duration::from_millis(10), Duration::from_millis(10))
            .connect()
            .unwrap();
        let reason = closed(&stream);
        assert!(
            matches!(reason, CloseReason::Error(Error::AttemptsExhausted { .. })),
            "{reason}"
        );
        reason.to_string()
    }));

    peaks.push(peak_of("a lying Content-Length", || {
        // Each connection delivers one event and is cut 976 bytes short: a
        // healthy connection each time, so the stream goes on reconnecting;
        // the cut event must never be dispatched, even with
        // dispatch_incomplete_at_eof.
        let server = Server::start(|mut conn: Conn| {
            let _ = conn.write(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                 Content-Length: 1000\r\n\r\ndata: short\n\ndata: cut",
            );
            conn.end();
        });
        let stream = Stream::builder(&server.url("/"))
            .reconnect_delay(Duration::from_millis(10), Duration::from_millis(10))
            .dispatch_incomplete_at_eof(true)
            .connect()
            .unwrap();
        let mut data = Vec::new();
        let mut retries = Vec::new();
        while data.len() < 3 {
            match support::items::next(&stream) {
                Item::Event(event) => data.push(event.into_data()),
                Item::Retrying { error, .. } => retries.push(error.to_string()),
                Item::Closed(reason) => panic!("{reason}"),
                _ => {}
            }
        }
        assert_eq!(
            data,
            ["short", "short", "short"],
            "the cut event is never dispatched"
        );
        format!("3 connections, each cut: {}", retries[0])
    }));

    peaks.push(peak_of("a certificate for another name", || {
        let ca = test_ca();
        let url = https_server(Arc::clone(&ca.wrong_name_config));
        let stream = Stream::builder(&url)
            .root_certificate(ca.ca_pem.clone())
            .reconnect(false)
            .connect()
            .unwrap();
        let reason = closed(&stream);
        assert!(
            matches!(&reason, CloseReason::Error(Error::Tls(_))),
            "{reason}"
        );
        assert!(
            reason
                .to_string()
                .contains("is for wrong.example, not for 127.0.0.1"),
            "{reason}"
        );
        reason.to_string()
    }));

    peaks.push(peak_of("a proxy answering CONNECT with garbage", || {
        let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
        std::thread::spawn(move || {
            for mut socket in proxy.incoming().flatten() {
                // The whole request first, and no close before the client's:
                // unread bytes or an early close would make the answer an RST
                // that can overtake the garbage (a connection reset instead).
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                socket.set_read_timeout(Some(PATIENCE)).unwrap();
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf) {
                        Ok(n) if n > 0 => request.extend_from_slice(&buf[..n]),
                        _ => break,
                    }
                }
                let _ = socket.write_all(b"\x00\xffgarbage, not HTTP\r\n\r\n");
                while matches!(socket.read(&mut buf), Ok(n) if n > 0) {}
            }
        });
        let stream = Stream::builder("http://127.0.0.1:9/events")
            .proxy(&proxy_url)
            .reconnect(false)
            .connect()
            .unwrap();
        let reason = closed(&stream);
        assert!(
            matches!(reason, CloseReason::Error(Error::Proxy(_))),
            "{reason}"
        );
        reason.to_string()
    }));

    // The line and event limits are 16 MiB; a stream may hold one line, one
    // event and its decoded copy, and a 64 KiB input buffer.
    for (n, peak) in peaks.iter().enumerate() {
        assert!(*peak < 96 << 20, "scenario {n}: peak +{} MiB", peak >> 20);
    }
}
