//! One client of the benchmark, run as its own process so that its CPU time,
//! memory and threads are its own:
//!
//!   client <client> flood   <url> <events>    read that many events
//!   client <client> latency <url> <events>    each event's delay since sent
//!   client <client> idle    <url> <streams>   open that many idle streams
//!   client <client> close   <url> <rounds>    close a stream blocked in a read
//!
//! Clients: sselink (the Rust iterator), sselink-64k (the same with a 64 KiB
//! reader stack), eventsource-client (LaunchDarkly, on a current-thread Tokio
//! runtime), reqwest-eventsource (the same), raw (reads the socket and
//! discards the bytes: the ceiling; flood only). Prints one JSON object.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use futures::StreamExt;
use sselink::{Item, Stream};
use sselink_peers::{cpu_time, monotonic_ns, percentiles, send_time, status};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, client, mode, url, n] = &args[..] else {
        eprintln!("usage: client <client> <flood|latency|idle|close> <url> <n>");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("a count");
    let client = client.as_str();
    let cpu = cpu_time();
    let started = Instant::now();
    let out = match mode.as_str() {
        "flood" | "latency" => {
            let mut delays = Vec::with_capacity(if mode == "latency" { n } else { 0 });
            let mut on_event = |data: &str| {
                if mode == "latency" {
                    let now = monotonic_ns();
                    delays.push(now.saturating_sub(send_time(data).expect("a send time")));
                }
                data.len()
            };
            let bytes = match client {
                "raw" => raw(url, n),
                "eventsource-client" => ld(url, n, &mut on_event),
                "reqwest-eventsource" => reqwest_es(url, n, &mut on_event),
                _ => sselink_events(url, n, stack(client), &mut on_event),
            };
            let secs = started.elapsed().as_secs_f64();
            let cpu = (cpu_time() - cpu).as_secs_f64();
            let (p50, p99, max) = percentiles(&mut delays);
            format!(
                "{{\"events\":{n},\"bytes\":{bytes},\"secs\":{secs},\"cpu\":{cpu},\
                 \"p50_us\":{p50},\"p99_us\":{p99},\"max_us\":{max}}}"
            )
        }
        "idle" => idle(client, url, n),
        "close" => close(client, n),
        other => panic!("unknown mode {other}"),
    };
    println!("{out}");
}

fn stack(client: &str) -> usize {
    if client == "sselink-64k" {
        64 << 10
    } else {
        0
    }
}

fn sselink_events(
    url: &str,
    n: usize,
    stack: usize,
    on_event: &mut impl FnMut(&str) -> usize,
) -> usize {
    let stream = Stream::builder(url)
        .reader_stack_size(stack)
        .connect()
        .expect("connect");
    let mut bytes = 0;
    for event in stream.events().take(n) {
        bytes += on_event(event.expect("an event").data());
    }
    bytes
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime")
}

fn ld(url: &str, n: usize, on_event: &mut impl FnMut(&str) -> usize) -> usize {
    use eventsource_client::{Client, SSE};
    runtime().block_on(async {
        let client = eventsource_client::ClientBuilder::for_url(url)
            .expect("url")
            .build();
        let mut stream = client.stream();
        let (mut seen, mut bytes) = (0, 0);
        while seen < n {
            if let Some(Ok(SSE::Event(event))) = stream.next().await {
                bytes += on_event(&event.data);
                seen += 1;
            }
        }
        bytes
    })
}

fn reqwest_es(url: &str, n: usize, on_event: &mut impl FnMut(&str) -> usize) -> usize {
    use reqwest_eventsource::{Event, EventSource};
    runtime().block_on(async {
        let mut source = EventSource::get(url);
        let (mut seen, mut bytes) = (0, 0);
        while seen < n {
            match source.next().await {
                Some(Ok(Event::Message(message))) => {
                    bytes += on_event(&message.data);
                    seen += 1;
                }
                Some(_) => {}
                None => panic!("the stream ended after {seen} events"),
            }
        }
        source.close();
        bytes
    })
}

/// The ceiling: the response read into one buffer and thrown away, until
/// the bytes of `n` events of the URL's size have come.
fn raw(url: &str, n: usize) -> usize {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let size: usize = path
        .split("size=")
        .nth(1)
        .and_then(|s| s.split('&').next()?.parse().ok())
        .expect("size= in the URL");
    let mut conn = TcpStream::connect(host).expect("connect");
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let head = sselink_peers::HEAD.len();
    let want = head + n * (size + "data: \n\n".len());
    let mut buf = vec![0u8; 256 << 10];
    let mut got = 0;
    while got < want {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => panic!("the stream ended early"),
            Ok(k) => got += k,
        }
    }
    n * size
}

/// Opens `n` streams that receive one event and then nothing, waits until
/// each has its event, and reports the memory and threads they added.
fn idle(client: &str, url: &str, n: usize) -> String {
    let (rss, threads) = (status("VmRSS:"), status("Threads:"));
    let hold = |rss_after: u64, threads_after: u64| {
        format!(
            "{{\"streams\":{n},\"kib_per_stream\":{:.1},\"threads_per_stream\":{:.2}}}",
            rss_after.saturating_sub(rss) as f64 / n as f64,
            threads_after.saturating_sub(threads) as f64 / n as f64
        )
    };
    match client {
        "eventsource-client" | "reqwest-eventsource" => runtime().block_on(async {
            let mut tasks = Vec::new();
            let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(n);
            for _ in 0..n {
                let (url, tx) = (url.to_string(), tx.clone());
                let ld = client == "eventsource-client";
                tasks.push(tokio::spawn(async move {
                    if ld {
                        use eventsource_client::{Client, SSE};
                        let es = eventsource_client::ClientBuilder::for_url(&url)
                            .unwrap()
                            .build();
                        let mut stream = es.stream();
                        while let Some(item) = stream.next().await {
                            if let Ok(SSE::Event(_)) = item {
                                let _ = tx.send(()).await;
                            }
                        }
                    } else {
                        let mut source = reqwest_eventsource::EventSource::get(&url);
                        while let Some(item) = source.next().await {
                            if let Ok(reqwest_eventsource::Event::Message(_)) = item {
                                let _ = tx.send(()).await;
                            }
                        }
                    }
                }));
            }
            for _ in 0..n {
                rx.recv().await.expect("a ready event");
            }
            hold(status("VmRSS:"), status("Threads:"))
        }),
        _ => {
            let streams: Vec<Stream> = (0..n)
                .map(|_| {
                    Stream::builder(url)
                        .reader_stack_size(stack(client))
                        .connect()
                        .expect("connect")
                })
                .collect();
            for stream in &streams {
                stream.events().next().expect("an event").expect("no error");
            }
            hold(status("VmRSS:"), status("Threads:"))
        }
    }
}

/// `rounds` times: a stream blocked reading a silent connection is closed;
/// measures the time from the close call to the server seeing the socket
/// closed (an in-process server, on the same clock).
fn close(client: &str, rounds: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/silent", listener.local_addr().unwrap());
    let mut delays = Vec::new();
    for _ in 0..rounds {
        let (opened_tx, opened_rx) = std::sync::mpsc::channel();
        let server = {
            let listener = listener.try_clone().unwrap();
            std::thread::spawn(move || {
                let (mut conn, _) = listener.accept().unwrap();
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: go\n\n",
                )
                .unwrap();
                opened_tx.send(()).unwrap();
                while matches!(conn.read(&mut buf), Ok(k) if k > 0) {}
                monotonic_ns()
            })
        };
        let closed_at = match client {
            "eventsource-client" | "reqwest-eventsource" => runtime().block_on(async {
                let ld = client == "eventsource-client";
                let task = tokio::spawn({
                    let url = url.clone();
                    async move {
                        if ld {
                            use eventsource_client::Client;
                            let es = eventsource_client::ClientBuilder::for_url(&url)
                                .unwrap()
                                .build();
                            let mut stream = es.stream();
                            while stream.next().await.is_some() {}
                        } else {
                            let mut source = reqwest_eventsource::EventSource::get(&url);
                            while source.next().await.is_some() {}
                        }
                    }
                });
                tokio::task::spawn_blocking(move || {
                    opened_rx.recv_timeout(Duration::from_secs(10)).unwrap()
                })
                .await
                .unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
                let at = monotonic_ns();
                task.abort();
                let _ = task.await;
                at
            }),
            _ => {
                let stream = Stream::builder(&url).connect().unwrap();
                while !matches!(stream.recv().unwrap(), Item::Event(_)) {}
                opened_rx.recv_timeout(Duration::from_secs(10)).unwrap();
                let at = monotonic_ns();
                stream.close();
                drop(stream);
                at
            }
        };
        let eof_at = server.join().unwrap();
        delays.push(eof_at.saturating_sub(closed_at));
    }
    let (p50, p99, max) = percentiles(&mut delays);
    format!("{{\"rounds\":{rounds},\"p50_us\":{p50},\"p99_us\":{p99},\"max_us\":{max}}}")
}
