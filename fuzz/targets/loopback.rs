//! The loopback server the socket targets share. Started once per fuzzing
//! process; for each connection it reads the request head, writes what
//! `answer` gives, and closes its side.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::time::Duration;

/// Starts the server; returns its base URL, `http://127.0.0.1:PORT`.
pub fn start(answer: fn() -> Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 1 << 20 {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = conn.write_all(&answer());
            let _ = conn.shutdown(Shutdown::Write);
        }
    });
    base
}
