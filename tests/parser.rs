//! docs/behaviour.md §1 (parsing) and §6.1 (limits), each rule checked for the
//! whole input, 1-byte and 2-byte chunks and random split points; plus
//! property tests for chunking invariance and agreement with a reference
//! parser written straight from the spec.

mod support;

use std::time::Duration;

use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use sselink::{Event, Limit, LimitExceeded, Limits, Parsed, Parser};
use support::reference::Reference;

/// What one body produced: the items, and the error if a limit broke.
type Outcome = (Vec<Parsed>, Option<LimitExceeded>);

fn feed_chunks(parser: &mut Parser, chunks: &[&[u8]]) -> Outcome {
    let mut items = Vec::new();
    for chunk in chunks {
        if let Err(error) = parser.feed(chunk, |item| items.push(item)) {
            return (items, Some(error));
        }
    }
    let error = parser.finish(|item| items.push(item)).err();
    (items, error)
}

fn split_every(input: &[u8], size: usize) -> Vec<&[u8]> {
    input.chunks(size.max(1)).collect()
}

fn split_at_random(input: &[u8], seed: u64) -> Vec<&[u8]> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut chunks = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let n = rng.random_range(1..=rest.len().min(7));
        let (head, tail) = rest.split_at(n);
        chunks.push(head);
        rest = tail;
    }
    chunks
}

/// Every chunking this suite tries, named for failure messages.
fn chunkings(input: &[u8]) -> Vec<(String, Vec<&[u8]>)> {
    let mut all = vec![
        ("whole".to_string(), vec![input]),
        ("1-byte".to_string(), split_every(input, 1)),
        ("2-byte".to_string(), split_every(input, 2)),
    ];
    for seed in 0..4 {
        all.push((format!("random seed {seed}"), split_at_random(input, seed)));
    }
    all
}

/// Parses `input` as one body with a parser made by `make`, under every
/// chunking, asserts they agree, and returns the common outcome.
fn parse_with(make: impl Fn() -> Parser, input: &[u8]) -> Outcome {
    let mut expected: Option<Outcome> = None;
    for (name, chunks) in chunkings(input) {
        let outcome = feed_chunks(&mut make(), &chunks);
        match &expected {
            None => expected = Some(outcome),
            Some(whole) => assert_eq!(
                &outcome, whole,
                "chunking `{name}` disagrees with the whole input"
            ),
        }
    }
    expected.unwrap()
}

fn parse(input: &[u8]) -> Vec<Parsed> {
    let (items, error) = parse_with(Parser::new, input);
    assert_eq!(error, None);
    items
}

fn events(input: &[u8]) -> Vec<Event> {
    parse(input)
        .into_iter()
        .filter_map(|item| match item {
            Parsed::Event(event) => Some(event),
            _ => None,
        })
        .collect()
}

fn message(data: &str) -> Event {
    Event::new("", data)
}

// behaviour §1.1: UTF-8

#[test]
fn invalid_utf8_becomes_replacement_character() {
    let got = events(b"data: a\xFFb\xE2\x82c\n\n");
    assert_eq!(got, vec![message("a\u{FFFD}b\u{FFFD}c")]);
}

#[test]
fn invalid_utf8_in_field_names_and_ids_is_not_fatal() {
    let got = events(b"\xC0\xC1: x\nid: \xFE7\ndata: ok\n\n");
    assert_eq!(got, vec![message("ok").with_id("\u{FFFD}7")]);
}

#[test]
fn multibyte_character_split_across_chunks_is_decoded_whole() {
    // "€" is E2 82 AC and "😀" is F0 9F 98 80; chunkings above split them everywhere.
    let got = events("data: €😀\n\n".as_bytes());
    assert_eq!(got, vec![message("€😀")]);
    let mut parser = Parser::new();
    let outcome = feed_chunks(&mut parser, &[b"data: \xF0\x9F", b"\x98", b"\x80\n\n"]);
    assert_eq!(outcome.0, vec![Parsed::Event(message("😀"))]);
}

// behaviour §1.2: BOM

#[test]
fn one_leading_bom_is_stripped() {
    assert_eq!(events(b"\xEF\xBB\xBFdata: x\n\n"), vec![message("x")]);
}

#[test]
fn second_bom_is_an_ordinary_character() {
    // The second BOM makes the field name "\u{FEFF}data", which is unknown.
    assert_eq!(events(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n"), vec![]);
    assert_eq!(
        events(b"data: \xEF\xBB\xBFx\n\n"),
        vec![message("\u{FEFF}x")]
    );
}

#[test]
fn bom_prefix_that_is_not_a_bom_is_kept() {
    assert_eq!(events(b"\xEF\xBBdata: x\n\n"), vec![]);
    assert_eq!(events(b"\xEFdata: x\n\ndata: y\n\n"), vec![message("y")]);
}

#[test]
fn bom_is_stripped_once_per_body() {
    let mut parser = Parser::new();
    let first = feed_chunks(&mut parser, &[b"\xEF\xBB", b"\xBFdata: 1\n\n"]);
    let second = feed_chunks(&mut parser, &[b"\xEF", b"\xBB\xBFdata: 2\n\n"]);
    assert_eq!(first.0, vec![Parsed::Event(message("1"))]);
    assert_eq!(second.0, vec![Parsed::Event(message("2"))]);
}

// behaviour §1.3: Line endings

#[test]
fn crlf_lf_and_lone_cr_all_end_lines() {
    let expected = vec![message("a\nb\nc"), message("d")];
    assert_eq!(
        events(b"data: a\r\ndata: b\ndata: c\r\rdata: d\n\r\n"),
        expected
    );
}

#[test]
fn crlf_split_across_chunks_is_one_line_end() {
    // Were CR and LF two ends, the LF would be a blank line dispatching "a" alone.
    let mut parser = Parser::new();
    let (items, _) = feed_chunks(&mut parser, &[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
    assert_eq!(items, vec![Parsed::Event(message("a\nb"))]);
}

#[test]
fn line_ended_by_cr_is_processed_at_once() {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    parser
        .feed(b"data: now\r\r", |item| items.push(item))
        .unwrap();
    assert_eq!(
        items,
        vec![Parsed::Event(message("now"))],
        "dispatched before the next byte"
    );
    parser.feed(b"\n", |item| items.push(item)).unwrap();
    assert_eq!(
        items.len(),
        1,
        "the LF after the CR is not a second blank line"
    );
}

// behaviour §1.4: Lines

#[test]
fn blank_line_dispatches() {
    assert_eq!(
        events(b"data: one\n\ndata: two\n\n"),
        vec![message("one"), message("two")]
    );
}

#[test]
fn comments_are_reported_and_do_not_touch_the_event() {
    let items = parse(b": keepalive\ndata: x\n:  two spaces\n:\n\n");
    assert_eq!(
        items,
        vec![
            Parsed::Comment("keepalive".into()),
            Parsed::Comment(" two spaces".into()),
            Parsed::Comment(String::new()),
            Parsed::Event(message("x")),
        ]
    );
}

#[test]
fn value_loses_exactly_one_leading_space() {
    assert_eq!(events(b"data:x\n\n"), vec![message("x")]);
    assert_eq!(events(b"data:  x \n\n"), vec![message(" x ")]);
    assert_eq!(events(b"data:\tx\n\n"), vec![message("\tx")]);
}

#[test]
fn field_name_ends_at_first_colon() {
    assert_eq!(events(b"data: a:b: c\n\n"), vec![message("a:b: c")]);
}

#[test]
fn line_without_colon_is_a_field_with_empty_value() {
    // "data" alone appends an empty line; two of them give a single LF.
    assert_eq!(events(b"data\ndata\n\n"), vec![message("\n")]);
    assert_eq!(events(b"data\n\n"), vec![message("")]);
}

#[test]
fn field_names_are_case_sensitive_and_unknown_fields_ignored() {
    assert_eq!(
        events(b"Data: no\nDATA: no\nfoo: bar\ndata : no\ndata: yes\n\n"),
        vec![message("yes")]
    );
}

// behaviour §1.5: Fields

#[test]
fn event_field_sets_the_type() {
    let got = events(b"event: delta\nevent: update\ndata: x\n\n");
    assert_eq!(got, vec![Event::new("update", "x")]);
    assert_eq!(got[0].event_type(), "update");
}

#[test]
fn data_lines_are_joined_with_lf() {
    assert_eq!(
        events(b"data: a\ndata:\ndata: c\n\n"),
        vec![message("a\n\nc")]
    );
}

#[test]
fn id_with_nul_is_ignored() {
    let got = events(b"id: 1\n\nid: 2\0x\ndata: a\n\n");
    assert_eq!(got, vec![message("a").with_id("1")]);
}

#[test]
fn empty_id_resets_the_last_event_id() {
    let got = events(b"id: 1\ndata: a\n\nid\ndata: b\n\nid:\ndata: c\n\n");
    assert_eq!(
        got,
        vec![message("a").with_id("1"), message("b"), message("c")]
    );
}

#[test]
fn retry_accepts_only_ascii_digits() {
    let ms = |v: u64| Parsed::Retry(Duration::from_millis(v));
    let items = parse(b"retry: 1500\nretry: 007\nretry: 1a\nretry: -1\nretry: +1\nretry:  1\nretry: 1.5\nretry: 1 \nretry:\nretry\nretry: \xD9\xA1\n");
    assert_eq!(items, vec![ms(1500), ms(7)]);
}

#[test]
fn retry_takes_effect_when_read_not_at_dispatch() {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    parser
        .feed(b"data: x\nretry: 250\n", |item| items.push(item))
        .unwrap();
    assert_eq!(
        items,
        vec![Parsed::Retry(Duration::from_millis(250))],
        "no blank line yet"
    );
    parser.feed(b"\n", |item| items.push(item)).unwrap();
    assert_eq!(
        items[1],
        Parsed::Event(message("x").with_retry(Duration::from_millis(250)))
    );
}

#[test]
fn absurd_retry_is_clamped_without_overflow() {
    let clamp = Duration::from_millis(sselink::parser::MAX_RETRY_MS);
    let items =
        parse(b"retry: 99999999999999999999999999999999999999\nretry: 18446744073709551616\n");
    assert_eq!(items, vec![Parsed::Retry(clamp), Parsed::Retry(clamp)]);
}

// behaviour §1.6: Dispatch

#[test]
fn id_is_stored_at_dispatch_even_without_data() {
    let items = parse(b"id: 5\n\ndata: x\n\n");
    assert_eq!(
        items,
        vec![
            Parsed::LastEventId("5".into()),
            Parsed::Event(message("x").with_id("5"))
        ]
    );
}

#[test]
fn empty_data_dispatches_nothing_and_resets_the_type() {
    let got = events(b"event: ping\n\ndata: x\n\n");
    assert_eq!(got, vec![message("x")]);
    assert_eq!(got[0].event_type(), "message");
}

#[test]
fn one_trailing_lf_is_removed() {
    assert_eq!(events(b"data: a\ndata\n\n"), vec![message("a\n")]);
}

#[test]
fn type_and_data_reset_after_dispatch_but_id_persists() {
    let got = events(b"event: a\nid: 9\ndata: 1\n\ndata: 2\n\n");
    assert_eq!(
        got,
        vec![Event::new("a", "1").with_id("9"), message("2").with_id("9")]
    );
}

#[test]
fn empty_event_field_means_message() {
    let got = events(b"event:\ndata: x\n\n");
    assert_eq!(got[0].event_type(), "message");
    assert!(got[0].is("message"));
}

// behaviour §1.7: End of stream

#[test]
fn unfinished_event_is_discarded_at_end_of_body() {
    assert_eq!(
        events(b"data: done\n\ndata: partial\n"),
        vec![message("done")]
    );
    assert_eq!(
        events(b"data: done\n\ndata: partial"),
        vec![message("done")]
    );
}

#[test]
fn unfinished_event_id_is_not_stored() {
    let mut parser = Parser::new();
    feed_chunks(&mut parser, &[b"id: 1\ndata: a\n\nid: 2\ndata: b\n"]);
    assert_eq!(parser.last_event_id(), "1");
}

#[test]
fn unfinished_event_can_be_dispatched_by_opt_in() {
    let make = || Parser::new().dispatch_incomplete_at_eof(true);
    let (items, _) = parse_with(make, b"data: done\n\nid: 3\ndata: partial");
    assert_eq!(
        items,
        vec![
            Parsed::Event(message("done")),
            Parsed::Event(message("partial").with_id("3"))
        ]
    );
    let (items, _) = parse_with(make, b"data: a\ndata: b\n");
    assert_eq!(items, vec![Parsed::Event(message("a\nb"))]);
}

#[test]
fn abort_discards_the_unfinished_event_even_with_dispatch_at_eof() {
    let mut parser = Parser::new().dispatch_incomplete_at_eof(true);
    parser
        .feed(b"id: 1\ndata: a\n\nid: 2\ndata: cut", |_| {})
        .unwrap();
    parser.abort();
    let mut items = Vec::new();
    parser
        .feed(b"data: next\n\n", |item| items.push(item))
        .unwrap();
    assert_eq!(items, vec![Parsed::Event(message("next").with_id("1"))]);
}

// behaviour §1.8: Across reconnects; NUL in data

#[test]
fn last_event_id_survives_into_the_next_body() {
    let mut parser = Parser::new();
    feed_chunks(&mut parser, &[b"id: 41\ndata: a\n\n"]);
    let (items, _) = feed_chunks(&mut parser, &[b"data: b\n\nid: 42\ndata: c\n\n"]);
    assert_eq!(
        items,
        vec![
            Parsed::Event(message("b").with_id("41")),
            Parsed::Event(message("c").with_id("42"))
        ]
    );
}

#[test]
fn seeded_last_event_id_is_carried() {
    let mut parser = Parser::new();
    parser.set_last_event_id("seed");
    let (items, _) = feed_chunks(&mut parser, &[b"data: x\n\n"]);
    assert_eq!(items, vec![Parsed::Event(message("x").with_id("seed"))]);
}

#[test]
fn nul_in_data_is_preserved() {
    assert_eq!(events(b"data: a\0b\0\n\n"), vec![message("a\0b\0")]);
}

// 6.1 Limits

fn small_limits() -> Parser {
    Parser::with_limits(Limits {
        max_line_length: 16,
        max_event_size: 24,
    })
}

#[test]
fn line_over_the_limit_is_an_error() {
    let (items, error) = parse_with(small_limits, b"data: ok\n\ndata: 0123456789abc\n\n");
    assert_eq!(items, vec![Parsed::Event(message("ok"))]);
    assert_eq!(
        error,
        Some(LimitExceeded {
            limit: Limit::LineLength,
            max: 16
        })
    );
    let (_, error) = parse_with(small_limits, b": 0123456789abcde");
    assert_eq!(
        error.map(|e| e.limit),
        Some(Limit::LineLength),
        "unfinished lines count too"
    );
    let (_, error) = parse_with(small_limits, b"data: 0123456789\n\n");
    assert_eq!(error, None, "exactly the limit is fine");
}

#[test]
fn the_event_limit_counts_the_data_as_dispatched() {
    // 10 + LF + 10 + LF + 2 = 24 bytes of data: exactly the limit. The last
    // line's line feed is not part of the event and does not count.
    let (items, error) = parse_with(
        small_limits,
        b"data: 0123456789\ndata: 0123456789\ndata: 01\n\n",
    );
    assert_eq!(error, None);
    assert_eq!(items.len(), 1);
    let ten = || {
        Parser::with_limits(Limits {
            max_line_length: 100,
            max_event_size: 10,
        })
    };
    let (items, error) = parse_with(ten, b"data: 0123456789\n\n");
    assert_eq!(
        (items.len(), error),
        (1, None),
        "10 bytes under a limit of 10"
    );
    let (_, error) = parse_with(ten, b"data: 0123456789a\n\n");
    assert_eq!(error.map(|e| e.limit), Some(Limit::EventSize), "11 bytes");
    let (_, error) = parse_with(ten, b"data: 01234\ndata: 0123\n\n");
    assert_eq!(error, None, "5 + LF + 4 = 10 bytes");
    let (_, error) = parse_with(ten, b"data: 01234\ndata: 01234\n\n");
    assert_eq!(
        error.map(|e| e.limit),
        Some(Limit::EventSize),
        "5 + LF + 5 = 11 bytes"
    );
}

#[test]
fn the_event_limit_counts_invalid_utf8_as_replaced() {
    // Found by the parser fuzz target: each invalid byte becomes U+FFFD,
    // three bytes, so 4 raw bytes dispatch as 12.
    let ten = || {
        Parser::with_limits(Limits {
            max_line_length: 100,
            max_event_size: 10,
        })
    };
    let (items, error) = parse_with(ten, b"data: \xff\xff\xff\n\n");
    assert_eq!((items.len(), error), (1, None), "3 bytes become 9");
    let (items, error) = parse_with(ten, b"data: \xff\xff\xff\xff\n\n");
    assert_eq!(items, vec![], "4 bytes become 12");
    assert_eq!(error.map(|e| e.limit), Some(Limit::EventSize));
    let (_, error) = parse_with(ten, b"event: \xff\xff\xff\xff\ndata: x\n\n");
    assert_eq!(
        error.map(|e| e.limit),
        Some(Limit::EventSize),
        "the type too"
    );
    let (_, error) = parse_with(ten, b"id: \xff\xff\xff\xff\n\n");
    assert_eq!(error.map(|e| e.limit), Some(Limit::EventSize), "the id too");
}

#[test]
fn one_data_line_may_be_as_long_as_the_default_event_limit() {
    let limits = Limits::default();
    assert_eq!(limits.max_line_length, limits.max_event_size);
    let mut line = b"data: ".to_vec();
    line.resize(6 + 10 * 1024 * 1024, b'x');
    line.extend_from_slice(b"\n\n");
    let mut parser = Parser::new();
    let mut sizes = Vec::new();
    parser
        .feed(&line, |item| {
            if let Parsed::Event(event) = item {
                sizes.push(event.data().len())
            }
        })
        .expect("a 10 MiB data line is within the default limits");
    assert_eq!(sizes, [10 * 1024 * 1024]);
}

#[test]
fn event_over_the_limit_is_an_error() {
    let (items, error) = parse_with(
        small_limits,
        b"data: 0123456789\ndata: 0123456789\ndata: 012\n\n",
    );
    assert!(items.is_empty());
    assert_eq!(
        error,
        Some(LimitExceeded {
            limit: Limit::EventSize,
            max: 24
        })
    );
    let (_, error) = parse_with(
        small_limits,
        b"event: 012345678\nid: 0123456789ab\ndata: 0123\n\n",
    );
    assert_eq!(
        error.map(|e| e.limit),
        Some(Limit::EventSize),
        "type and id count"
    );
}

#[test]
fn limit_breaks_before_buffering_more() {
    // A line that never ends: the error comes with the chunk that crosses the
    // limit, not when the line ends.
    let mut parser = Parser::with_limits(Limits {
        max_line_length: 1000,
        ..Limits::default()
    });
    let chunk = [b'x'; 100];
    let mut fed = 0;
    let error = loop {
        match parser.feed(&chunk, |_| {}) {
            Ok(()) => fed += chunk.len(),
            Err(error) => break error,
        }
        assert!(fed <= 1000, "buffered {fed} bytes past the limit");
    };
    assert_eq!(error.limit, Limit::LineLength);
    assert_eq!(fed, 1000);
    assert!(
        parser.feed(b"\n\n", |_| {}).is_err(),
        "a failed body stays failed"
    );
    parser.finish(|_| {}).unwrap_err();
    assert!(
        parser.feed(b"data: next body\n\n", |_| {}).is_ok(),
        "a new body starts clean"
    );
}

#[test]
fn limit_error_says_which_limit_and_what_to_do() {
    let text = LimitExceeded {
        limit: Limit::EventSize,
        max: 24,
    }
    .to_string();
    assert!(
        text.contains("24") && text.contains("max_event_size"),
        "{text}"
    );
}

// Property tests: chunking invariance and agreement with the reference.

fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"data".to_vec()),
        Just(b"data: ".to_vec()),
        Just(b"event".to_vec()),
        Just(b"event:".to_vec()),
        Just(b"id".to_vec()),
        Just(b"id: ".to_vec()),
        Just(b"retry:".to_vec()),
        Just(b"retry: 12".to_vec()),
        Just(b"Data".to_vec()),
        Just(b":".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\xEF\xBB".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\xFF".to_vec()),
        Just(b"\xE2\x82".to_vec()),
        Just("€é😀".as_bytes().to_vec()),
        "[a-z0-9 ]{0,6}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..4),
    ]
}

fn sse_like() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(fragment(), 0..40).prop_map(|parts| parts.concat())
}

fn cut_points() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0usize..400, 0..12)
}

fn cut<'a>(input: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = points.iter().map(|p| p % (input.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for p in points {
        chunks.push(&input[start..p]);
        start = p;
    }
    chunks.push(&input[start..]);
    chunks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_chunking_gives_the_same_output(input in sse_like(), points in cut_points(), at_eof in any::<bool>()) {
        let make = || Parser::new().dispatch_incomplete_at_eof(at_eof);
        let whole = feed_chunks(&mut make(), &[&input]);
        let chunked = feed_chunks(&mut make(), &cut(&input, &points));
        prop_assert_eq!(chunked, whole);
    }

    #[test]
    fn agrees_with_the_reference_parser(
        bodies in proptest::collection::vec(sse_like(), 1..3),
        points in cut_points(),
        at_eof in any::<bool>(),
    ) {
        let mut parser = Parser::new().dispatch_incomplete_at_eof(at_eof);
        let mut reference = Reference::default();
        for body in &bodies {
            let (items, error) = feed_chunks(&mut parser, &cut(body, &points));
            prop_assert_eq!(error, None);
            prop_assert_eq!(items, reference.parse_body(body, at_eof));
            prop_assert_eq!(parser.last_event_id(), reference.last_event_id.as_str());
        }
    }

    #[test]
    fn limits_hold_for_any_chunking(input in sse_like(), points in cut_points()) {
        let make = || Parser::with_limits(Limits { max_line_length: 12, max_event_size: 20 });
        let whole = feed_chunks(&mut make(), &[&input]);
        let chunked = feed_chunks(&mut make(), &cut(&input, &points));
        // Nothing handed out breaks a limit: no event's data, type and id
        // (as decoded) pass the event limit, no comment the line limit. The
        // type `message` may be the default, which counts nothing.
        for item in &whole.0 {
            match item {
                Parsed::Event(event) => {
                    let typed = match event.event_type() {
                        "message" => 0,
                        other => other.len(),
                    };
                    prop_assert!(event.data().len() + typed + event.id().len() <= 20, "{:?}", event)
                }
                // The line limit counts raw bytes, and a byte decodes to at
                // most one character: the colon and 11 more.
                Parsed::Comment(text) => prop_assert!(text.chars().count() <= 11, "{:?}", text),
                _ => {}
            }
        }
        prop_assert_eq!(chunked, whole);
    }
}
