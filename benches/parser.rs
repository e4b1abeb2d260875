//! Parser throughput: sselink against the parsers of `eventsource-stream` and
//! `sseer`, on the same corpora fed in the same chunks.
//!
//! Run with `cargo bench --bench parser`; it prints a Markdown table. Each cell
//! is the best of several timed rounds of about 0.2 s each.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{executor::block_on, stream, StreamExt};
use sselink::{Parsed, Parser};

struct Corpus {
    name: &'static str,
    body: Vec<u8>,
    chunk: usize,
    events: usize,
}

impl Corpus {
    fn chunks(&self) -> Vec<Bytes> {
        self.chunks_of(self.chunk)
    }

    fn chunks_of(&self, size: usize) -> Vec<Bytes> {
        let body = Bytes::from(self.body.clone());
        (0..body.len())
            .step_by(size)
            .map(|at| body.slice(at..(at + size).min(body.len())))
            .collect()
    }
}

fn small_events() -> Corpus {
    let mut body = Vec::new();
    let events = 200_000;
    for i in 0..events {
        body.extend_from_slice(
            format!(
                "data: {{\"id\":{i:07},\"user\":\"alice\",\"action\":\"click\",\"ok\":true}}\n\n"
            )
            .as_bytes(),
        );
    }
    Corpus {
        name: "small events (~60 B JSON)",
        body,
        chunk: 16 * 1024,
        events,
    }
}

fn token_deltas() -> Corpus {
    let mut body = Vec::new();
    let events = 100_000;
    let words = [
        "The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".",
    ];
    for i in 0..events {
        let text = words[i % words.len()];
        body.extend_from_slice(
            format!("event: delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"{text}\"}}}}\n\n")
                .as_bytes(),
        );
    }
    Corpus {
        name: "LLM token deltas, 128 B chunks",
        body,
        chunk: 128,
        events,
    }
}

fn big_events() -> Corpus {
    let line = format!("data: {}\n", "x".repeat(1018)); // 1 KiB a line
    let event = format!("{}\n", line.repeat(1024)); // 1 MiB an event
    let events = 16;
    Corpus {
        name: "1 MiB multi-line events, 16 KiB chunks",
        body: event.repeat(events).into_bytes(),
        chunk: 16 * 1024,
        events,
    }
}

/// Best time of several rounds of `run`, each round repeating it for ~0.3 s.
fn best_time(mut run: impl FnMut() -> usize, expected_events: usize) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..10 {
        let start = Instant::now();
        let mut reps = 0u32;
        while start.elapsed() < Duration::from_millis(200) {
            assert_eq!(black_box(run()), expected_events);
            reps += 1;
        }
        best = best.min(start.elapsed() / reps);
    }
    best
}

fn sselink_events(chunks: &[Bytes]) -> usize {
    let mut parser = Parser::new();
    let mut count = 0;
    let mut sink = |item| {
        if let Parsed::Event(event) = item {
            black_box(event.data().len());
            count += 1;
        }
    };
    for chunk in chunks {
        parser.feed(chunk, &mut sink).unwrap();
    }
    parser.finish(&mut sink).unwrap();
    count
}

fn eventsource_stream_events(chunks: &[Bytes]) -> usize {
    use eventsource_stream::Eventsource;
    let input = stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>));
    block_on(input.eventsource().fold(0, |count, event| {
        black_box(event.unwrap().data.len());
        async move { count + 1 }
    }))
}

fn sseer_events(chunks: &[Bytes]) -> usize {
    let input = stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>));
    block_on(sseer::EventStream::new(input).fold(0, |count, event| {
        black_box(event.unwrap().data.len());
        async move { count + 1 }
    }))
}

/// Parses pre-split chunks and returns the number of events.
type ParseFn = fn(&[Bytes]) -> usize;

fn main() {
    let corpora = [small_events(), token_deltas(), big_events()];
    let parsers: [(&str, ParseFn); 3] = [
        ("sselink", sselink_events),
        ("eventsource-stream 0.2", eventsource_stream_events),
        ("sseer 0.3", sseer_events),
    ];
    println!("| corpus | parser | MB/s | events/s |");
    println!("|---|---|---:|---:|");
    for corpus in &corpora {
        let chunks = corpus.chunks();
        for (name, parse) in parsers {
            let time = best_time(|| parse(&chunks), corpus.events);
            let seconds = time.as_secs_f64();
            println!(
                "| {} | {} | {:.0} | {:.0} |",
                corpus.name,
                name,
                corpus.body.len() as f64 / seconds / 1e6,
                corpus.events as f64 / seconds
            );
        }
    }

    // Linear time whatever the chunking: one 1 MiB event whole and in 64 B chunks.
    let one = Corpus {
        events: 1,
        ..big_events()
    };
    let one = Corpus {
        body: one.body[..one.body.len() / 16].to_vec(),
        ..one
    };
    println!();
    println!("| 1 MiB event fed as | sselink MB/s |");
    println!("|---|---:|");
    let mut times = Vec::new();
    for (label, size) in [("one chunk", one.body.len()), ("64 B chunks", 64)] {
        let chunks = one.chunks_of(size);
        let time = best_time(|| sselink_events(&chunks), 1);
        times.push(time);
        println!(
            "| {label} | {:.0} |",
            one.body.len() as f64 / time.as_secs_f64() / 1e6
        );
    }
    println!();
    println!(
        "64 B chunks / one chunk time ratio: {:.2}",
        times[1].as_secs_f64() / times[0].as_secs_f64()
    );
}
