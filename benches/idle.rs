//! Resident memory per idle stream: N streams open on a loopback server that
//! sends the head and then nothing, measured from /proc/self/status before
//! and after. `cargo bench --bench idle -- 1000` (default 1000 streams).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use sselink::{State, Stream};

// The tests' reader of /proc (memory and threads), not a copy of it.
#[path = "../tests/support/process.rs"]
mod process;

fn rss_kib() -> usize {
    process::status_bytes("VmRSS:") / 1024
}

fn threads() -> usize {
    process::count_entries("/proc/self/task")
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    // A silent server on a thread of this process, started before the
    // first figure: what it adds per stream is one accepted socket (kernel
    // memory, not resident here) in a Vec, 4 bytes each.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let mut held = Vec::new();
    let accept = std::thread::spawn(move || {
        for socket in listener.incoming().take(count) {
            let mut socket = socket.unwrap();
            let _ = socket.read(&mut [0u8; 4096]);
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n");
            held.push(socket);
        }
        held
    });
    std::thread::sleep(Duration::from_millis(100));
    let (before, threads_before) = (rss_kib(), threads());
    let streams: Vec<Stream> = (0..count)
        .map(|_| Stream::builder(&url).connect().unwrap())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while streams.iter().any(|s| s.state() != State::Open) {
        assert!(Instant::now() < deadline, "streams did not open");
        std::thread::sleep(Duration::from_millis(10));
    }
    let held = accept.join().unwrap();
    let (after, threads_after) = (rss_kib(), threads());
    println!(
        "{count} idle streams: {} KiB resident in all, {:.1} KiB per stream; {} threads ({:.2} per stream)",
        after - before,
        (after - before) as f64 / count as f64,
        threads_after - threads_before,
        (threads_after - threads_before) as f64 / count as f64
    );
    drop(streams);
    drop(held);
}
