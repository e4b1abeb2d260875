//! Fuzz target: the event-stream parser.
//!
//! Input: one control byte, then the body. The control byte picks
//! `dispatch_incomplete_at_eof` and a chunk-size seed; the body is fed whole
//! and in chunks. The two must give the same items, the same error and the
//! same last event id, and with default limits they must agree with the
//! reference parser written from the WHATWG text. A second parser with tiny
//! limits must never hand out an event larger than its limit.

#[path = "../../tests/support/reference.rs"]
mod reference;

use sselink::parser::{Limits, Parsed, Parser};

type Outcome = (Vec<Parsed>, Option<String>);

fn feed(parser: &mut Parser, chunks: &[&[u8]]) -> Outcome {
    let mut items = Vec::new();
    for chunk in chunks {
        if let Err(error) = parser.feed(chunk, |item| items.push(item)) {
            return (items, Some(error.to_string()));
        }
    }
    let error = parser.finish(|item| items.push(item)).err();
    (items, error.map(|e| e.to_string()))
}

/// Cuts `body` into chunks of 1 to 16 bytes, sizes drawn from `seed`.
fn chunks(body: &[u8], mut seed: u8) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        seed = seed.wrapping_mul(37).wrapping_add(11);
        let n = (usize::from(seed % 16) + 1).min(rest.len());
        let (head, tail) = rest.split_at(n);
        out.push(head);
        rest = tail;
    }
    out
}

fn check(input: &[u8]) {
    let Some((&control, body)) = input.split_first() else {
        return;
    };
    let at_eof = control & 1 == 1;
    let make = || Parser::new().dispatch_incomplete_at_eof(at_eof);

    let mut whole_parser = make();
    let whole = feed(&mut whole_parser, &[body]);
    let mut chunked_parser = make();
    let chunked = feed(&mut chunked_parser, &chunks(body, control));
    assert_eq!(whole, chunked, "chunking changed the output");
    assert_eq!(whole_parser.last_event_id(), chunked_parser.last_event_id());

    let mut reference = reference::Reference::default();
    assert_eq!(whole.1, None, "default limits broken by a fuzz input");
    assert_eq!(
        whole.0,
        reference.parse_body(body, at_eof),
        "differs from the reference"
    );
    assert_eq!(whole_parser.last_event_id(), reference.last_event_id);

    let limits = Limits {
        max_line_length: 12,
        max_event_size: 20,
    };
    let mut tiny = Parser::with_limits(limits).dispatch_incomplete_at_eof(at_eof);
    let (items, _) = feed(&mut tiny, &chunks(body, control.rotate_left(3)));
    for item in items {
        if let Parsed::Event(event) = item {
            assert!(
                event.data().len() <= limits.max_event_size,
                "event over the limit"
            );
        }
    }
}

fn main() {
    afl::fuzz!(|data: &[u8]| check(data));
}
