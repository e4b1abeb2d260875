//! The built-in demo server: an event stream on 127.0.0.1 that drops its
//! connection once, resumes from `Last-Event-ID`, and finally answers 204 so
//! the client stops.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Events in the whole demo.
const TOTAL: u64 = 12;
/// The first connection is dropped after this event.
const DROP_AFTER: u64 = 6;
const INTERVAL: Duration = Duration::from_millis(250);

/// Starts the demo server on a free port and returns its stream URL. The
/// server runs on background threads until the process exits.
pub fn start() -> io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/demo", listener.local_addr()?);
    let started = Instant::now();
    thread::spawn(move || {
        for connection in listener.incoming().flatten() {
            thread::spawn(move || {
                let _ = serve(connection, started);
            });
        }
    });
    Ok(url)
}

fn serve(mut connection: TcpStream, started: Instant) -> io::Result<()> {
    let last_event_id = read_last_event_id(&connection)?;
    let first = last_event_id.map_or(1, |id| id + 1);
    if first > TOTAL {
        // Everything was delivered: 204 tells an EventSource to stop.
        return connection.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    }
    connection.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
    )?;
    connection.write_all(b": sselink demo server\nretry: 500\n\n")?;
    let last = if first <= DROP_AFTER {
        DROP_AFTER
    } else {
        TOTAL
    };
    for n in first..=last {
        thread::sleep(INTERVAL);
        let at = started.elapsed().as_secs_f64();
        let event = format!(
            "id: {n}\nevent: tick\ndata: {{\"n\":{n},\"of\":{TOTAL},\"at\":\"{at:.2}s\"}}\n\n"
        );
        connection.write_all(event.as_bytes())?;
    }
    // Dropping the connection here: after event 6 a network failure, after
    // event 12 a clean end. Either way the client reconnects with its id.
    Ok(())
}

/// Reads the request head and returns its `Last-Event-ID`, if numeric.
fn read_last_event_id(connection: &TcpStream) -> io::Result<Option<u64>> {
    let mut reader = BufReader::new(connection);
    let mut line = String::new();
    let mut last_event_id = None;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            return Ok(last_event_id);
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("last-event-id") {
                last_event_id = value.trim().parse().ok();
            }
        }
    }
}
