//! Close latency: how long `close()` takes to return, and how long until the
//! server sees the connection closed or the reader thread exits, with the
//! reader blocked in a read, in a TCP connect, and in a 30 s backoff.
//!
//! Also ssecat's exit after SIGINT and SIGTERM (from sending the signal, with
//! `kill`, to the process's exit), which needs the release example built:
//! `cargo build --release -p ssecat && cargo bench --bench close`.
//! It prints a Markdown table.

#[path = "../tests/support/server.rs"]
#[allow(dead_code)]
mod server;

use std::time::{Duration, Instant};

use crossbeam_channel::bounded;
use server::{Conn, FullBacklog, Server, PATIENCE};
use sselink::{Item, Stream};

fn wait_for(stream: &Stream, wanted: impl Fn(&Item) -> bool) {
    loop {
        let item = stream.recv_timeout(PATIENCE).expect("no item in time");
        if wanted(&item) {
            return;
        }
    }
}

struct Samples(Vec<Duration>);

impl Samples {
    fn row(mut self, what: &str) {
        self.0.sort();
        let median = self.0[self.0.len() / 2];
        let max = *self.0.last().unwrap();
        println!(
            "| {what} | {} | {:.0} | {:.0} |",
            self.0.len(),
            micros(median),
            micros(max)
        );
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn blocked_in_read(runs: usize) -> (Samples, Samples, Samples) {
    let (conn_tx, conn_rx) = bounded::<Conn>(1);
    let server = Server::start(move |mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write("data: first\n\n"));
        let _ = conn_tx.send(conn);
    });
    let (mut returns, mut eof, mut exit) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let stream = Stream::builder(&server.url("/")).connect().unwrap();
        wait_for(&stream, |item| matches!(item, Item::Event(_)));
        let mut conn = conn_rx.recv_timeout(PATIENCE).unwrap();
        // The reader is now blocked reading the silent connection.
        std::thread::sleep(Duration::from_millis(5));
        let (eof_tx, eof_rx) = bounded(1);
        let watcher = std::thread::spawn(move || {
            assert!(conn.client_closed_within(PATIENCE));
            eof_tx.send(Instant::now()).unwrap();
        });
        std::thread::sleep(Duration::from_millis(5));
        let start = Instant::now();
        stream.close();
        returns.push(start.elapsed());
        assert!(stream.close_and_wait(PATIENCE));
        exit.push(start.elapsed());
        eof.push(
            eof_rx
                .recv_timeout(PATIENCE)
                .unwrap()
                .saturating_duration_since(start),
        );
        watcher.join().unwrap();
    }
    (Samples(returns), Samples(eof), Samples(exit))
}

fn blocked_in_connect(runs: usize) -> Samples {
    let backlog = FullBacklog::new();
    let addr = backlog.addr;
    let mut closed = Vec::new();
    for _ in 0..runs {
        let stream = Stream::builder(&format!("http://{addr}/"))
            .connect_timeout(Duration::from_secs(60))
            .connect()
            .unwrap();
        wait_for(&stream, |item| matches!(item, Item::Connecting { .. }));
        std::thread::sleep(Duration::from_millis(20));
        let start = Instant::now();
        stream.close();
        wait_for(&stream, |item| matches!(item, Item::Closed(_)));
        closed.push(start.elapsed());
    }
    Samples(closed)
}

fn blocked_in_backoff(runs: usize) -> Samples {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(503, &["Retry-After: 30"], "");
        conn.end();
    });
    let mut exit = Vec::new();
    for _ in 0..runs {
        let stream = Stream::builder(&server.url("/")).connect().unwrap();
        wait_for(&stream, |item| matches!(item, Item::Retrying { .. }));
        let start = Instant::now();
        assert!(stream.close_and_wait(PATIENCE));
        exit.push(start.elapsed());
    }
    Samples(exit)
}

/// Time from `kill -SIG` to ssecat's exit, with the connection open.
fn ssecat_signal(signal: &str, expected_code: i32, runs: usize) -> Samples {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let ssecat = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/ssecat");
    assert!(
        ssecat.exists(),
        "build it first: cargo build --release -p ssecat"
    );
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write("data: first\n\n"));
        conn.client_closed_within(PATIENCE);
    });
    let mut exit = Vec::new();
    for _ in 0..runs {
        let mut child = Command::new(&ssecat)
            .arg(server.url("/"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let start = Instant::now();
        Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        let status = child.wait().unwrap();
        exit.push(start.elapsed());
        assert_eq!(status.code(), Some(expected_code));
    }
    Samples(exit)
}

fn main() {
    println!("| reader blocked in | runs | median µs | max µs |");
    println!("|---|---:|---:|---:|");
    let (returns, eof, exit) = blocked_in_read(50);
    returns.row("read: `close()` returns");
    eof.row("read: server sees EOF");
    exit.row("read: reader thread exited");
    blocked_in_connect(20).row("TCP connect: `Closed` received");
    blocked_in_backoff(50).row("30 s backoff: reader thread exited");
    ssecat_signal("-INT", 130, 20).row("ssecat: `kill -INT` to exit 130");
    ssecat_signal("-TERM", 143, 20).row("ssecat: `kill -TERM` to exit 143");
}
