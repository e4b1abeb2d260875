//! Tests that kill mutants `cargo mutants` found missed in src/parser.rs
//! (docs/testing.md, "Mutation testing"): each names the mutant it kills.

use sselink::{Limit, Limits, Parsed, Parser};

/// Kills `replace Parser::limits -> Limits with Default::default()`.
#[test]
fn limits_are_the_ones_given() {
    let limits = Limits {
        max_line_length: 5,
        max_event_size: 7,
    };
    assert_eq!(Parser::with_limits(limits).limits(), limits);
    assert_eq!(Parser::new().limits(), Limits::default());
}

/// A body that is only a BOM prefix, ended with dispatch at EOF: those
/// bytes are line content, so they count against the line limit. Kills
/// `replace > with == in Parser::flush_at_eof` and `replace > with <`.
#[test]
fn a_body_of_only_a_bom_prefix_is_line_content_at_eof() {
    let mut parser = Parser::with_limits(Limits {
        max_line_length: 1,
        max_event_size: 16,
    })
    .dispatch_incomplete_at_eof(true);
    let mut items: Vec<Parsed> = Vec::new();
    parser.feed(b"\xEF\xBB", |item| items.push(item)).unwrap();
    let error = parser
        .finish(|item| items.push(item))
        .expect_err("the two BOM bytes are a 2-byte line, over the 1-byte limit");
    assert_eq!(error.limit, Limit::LineLength);
    assert!(items.is_empty(), "{items:?}");
}

/// A repeated `event` field replaces the type: only the last one counts
/// toward the event limit. Kills `replace - with + in
/// Parser::check_event_size`.
#[test]
fn a_replaced_event_type_counts_once_toward_the_event_limit() {
    let mut parser = Parser::with_limits(Limits {
        max_line_length: 64,
        max_event_size: 10,
    });
    let mut items: Vec<Parsed> = Vec::new();
    parser
        .feed(
            b"event: abcdefgh\nevent: abcdefgh\nid: 1\nid: 1\ndata: x\n\n",
            |item| items.push(item),
        )
        .expect("type 8 + id 1 + data 1 bytes is within the 10-byte limit");
    match items.as_slice() {
        [Parsed::Event(event)] => {
            assert_eq!(event.event_type(), "abcdefgh");
            assert_eq!(event.data(), "x");
        }
        other => panic!("expected one event, got {other:?}"),
    }
}
