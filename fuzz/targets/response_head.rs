//! Fuzz target: the response path as the reader sees it from a socket.
//!
//! Input: one control byte, then the bytes a server sends after reading the
//! request: status line, headers, chunked or sized framing, compressed or
//! plain body. A loopback server thread, started once, answers each
//! connection with the current input and closes. The stream (reconnecting
//! off, no redirects followed, options picked by the control byte) must end
//! with `Closed` within a few seconds, every event within the limits.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use sselink::{Item, Stream};

/// What the server answers with next.
static SCRIPT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Starts the loopback server once; returns its URL.
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let url = format!("http://{}/events?x=1", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let script = SCRIPT.lock().unwrap().clone();
                let _ = conn.write_all(&script);
                let _ = conn.shutdown(Shutdown::Write);
            }
        });
        url
    })
}

fn check(input: &[u8]) {
    let Some((&control, script)) = input.split_first() else {
        return;
    };
    *SCRIPT.lock().unwrap() = script.to_vec();
    let max_event = if control & 8 != 0 { 64 } else { 1 << 20 };
    let stream = Stream::builder(server_url())
        .reconnect(false)
        .max_redirects(0)
        .connect_timeout(Duration::from_secs(2))
        .idle_timeout(Some(Duration::from_secs(2)))
        .compressed(control & 1 != 0)
        .comments(control & 2 != 0)
        .any_content_type(control & 4 != 0)
        .max_event_size(max_event)
        .max_line_length(max_event)
        .strict_status(control & 16 != 0)
        .dispatch_incomplete_at_eof(control & 32 != 0)
        .connect()
        .expect("a valid configuration");
    loop {
        match stream.recv_timeout(Duration::from_secs(10)) {
            Ok(Item::Closed(_)) => break,
            Ok(Item::Event(event)) => assert!(event.data().len() <= max_event),
            Ok(_) => {}
            Err(error) => panic!("the stream did not close: {error:?}"),
        }
    }
}

fn main() {
    afl::fuzz!(|data: &[u8]| check(data));
}
