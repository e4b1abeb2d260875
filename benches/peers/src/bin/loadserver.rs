//! The loopback SSE load server. Binds 127.0.0.1 on a free port, prints the
//! port on stdout, and serves until killed, one thread per connection:
//!
//! - `/flood?size=S&count=N`: N events of S bytes of data, pre-rendered and
//!   written as fast as TCP takes them, then holds the connection open;
//! - `/paced?rate=R&count=N`: N events of 64 bytes of data, R a second, each
//!   starting with its send time from the monotonic clock (20 digits, ns);
//! - `/idle`: one event (`ready`), then nothing until the client leaves.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use sselink_peers::{monotonic_ns, HEAD};

fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1");
    println!("{}", listener.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let spawned = std::thread::Builder::new()
            .stack_size(128 << 10)
            .spawn(move || serve(conn));
        if let Err(error) = spawned {
            eprintln!("loadserver: no thread for a connection: {error}");
        }
    }
}

/// Reads the request line and head; returns the path with its query.
fn request_target(conn: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let target = line.split_whitespace().nth(1)?.to_string();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header == "\r\n" {
            return Some(target);
        }
    }
}

fn param(target: &str, name: &str) -> Option<u64> {
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .and_then(|value| value.parse().ok())
}

fn serve(mut conn: TcpStream) {
    let Some(target) = request_target(&conn) else {
        return;
    };
    let _ = conn.set_nodelay(true);
    if conn.write_all(HEAD).is_err() {
        return;
    }
    let count = param(&target, "count").unwrap_or(u64::MAX);
    let done = if target.starts_with("/flood") {
        flood(
            &mut conn,
            param(&target, "size").unwrap_or(64) as usize,
            count,
        )
    } else if target.starts_with("/paced") {
        paced(
            &mut conn,
            param(&target, "rate").unwrap_or(1000).max(1),
            count,
        )
    } else {
        conn.write_all(b"data: ready\n\n")
    };
    if done.is_ok() {
        hold(conn);
    }
}

fn flood(conn: &mut TcpStream, size: usize, count: u64) -> std::io::Result<()> {
    let event = format!("data: {}\n\n", "x".repeat(size));
    let per_batch = (256 << 10) / event.len() + 1;
    let batch = event.repeat(per_batch);
    let mut sent = 0u64;
    while sent + per_batch as u64 <= count {
        conn.write_all(batch.as_bytes())?;
        sent += per_batch as u64;
    }
    let rest = (count - sent) as usize;
    conn.write_all(&batch.as_bytes()[..rest * event.len()])
}

fn paced(conn: &mut TcpStream, rate: u64, count: u64) -> std::io::Result<()> {
    let interval = 1_000_000_000 / rate;
    let start = monotonic_ns();
    let padding = "x".repeat(64 - 20);
    for i in 0..count {
        let due = start + i * interval;
        loop {
            let now = monotonic_ns();
            if now >= due {
                break;
            }
            // Sleep while far from the due time, spin for the last stretch.
            if due - now > 200_000 {
                std::thread::sleep(Duration::from_nanos(due - now - 100_000));
            } else {
                std::hint::spin_loop();
            }
        }
        let event = format!("data: {:>20}{padding}\n\n", monotonic_ns());
        conn.write_all(event.as_bytes())?;
    }
    Ok(())
}

/// Keeps the connection open until the client closes it.
fn hold(mut conn: TcpStream) {
    let mut buf = [0u8; 512];
    while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
}
