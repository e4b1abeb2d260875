//! A host name that does not resolve is a DNS failure, [`Error::Dns`]
//! (behaviour §6.2), for the stream and for a post. Names under `.invalid`
//! never resolve (RFC 6761), so these tests need no network.

mod support;

use std::time::Duration;

use sselink::{Error, Item, Stream};
use support::items::{close_error, next_retry, quick};

#[test]
fn a_stream_to_a_name_that_does_not_resolve_fails_with_the_dns_kind() {
    for url in [
        "http://nothing.invalid/events",
        "https://nothing.invalid/events",
    ] {
        let stream = Stream::builder(url).reconnect(false).connect().unwrap();
        match close_error(&stream) {
            Error::Dns(cause) => {
                assert!(cause.to_string().contains("nothing.invalid"), "{cause}");
                // The lookup's own failure is the cause's source, for a
                // caller that walks the chain. Kills the mutant of
                // `<impl std::error::Error for NameNotResolved>::source`
                // that returns None.
                let lookup = std::error::Error::source(&*cause).expect("no source");
                assert!(lookup.to_string().contains("never resolve"), "{lookup}");
            }
            other => panic!("{url}: expected a DNS failure, got {other:?}"),
        }
    }
}

#[test]
fn a_dns_failure_is_retried_as_a_dns_failure() {
    let stream = quick("http://nothing.invalid/events").connect().unwrap();
    let (error, _) = next_retry(&stream);
    assert!(matches!(error, Error::Dns(_)), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("did not resolve") && text.contains("check the URL"),
        "{text}"
    );
    stream.close();
    assert!(matches!(
        stream.recv_timeout(support::server::PATIENCE),
        Ok(Item::Closed(_))
    ));
}

#[test]
fn a_post_to_a_name_that_does_not_resolve_fails_with_the_dns_kind() {
    let stream = Stream::builder("http://127.0.0.1:9/events")
        .reconnect(false)
        .post_url("http://nothing.invalid/p")
        .post_attempts(2)
        .post_delay(Duration::from_millis(10), Duration::from_millis(10))
        .connect()
        .unwrap();
    match stream.post("{}") {
        Err(Error::AttemptsExhausted { attempts: 2, last }) => {
            assert!(matches!(*last, Error::Dns(_)), "{last:?}")
        }
        other => panic!("expected DNS failures, got {other:?}"),
    }
}
