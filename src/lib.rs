//! sselink: a blocking Server-Sent Events (EventSource) client with a C ABI.
//!
//! One reader thread per stream connects with `ureq`, parses the response with
//! the spec-exact [`Parser`], and hands [`Item`]s to the caller through a
//! bounded channel. It reconnects with the last event id after a drop, with
//! backoff, and stops at once when [`Stream::close`] is called.
//!
//! ```
//! use std::time::Duration;
//! use sselink::{Item, Stream};
//!
//! #[derive(serde::Deserialize)]
//! struct Delta { text: String }
//!
//! # // A one-shot server on 127.0.0.1 stands in for a real endpoint.
//! # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! # let url = format!("http://{}/events", listener.local_addr().unwrap());
//! # std::thread::spawn(move || {
//! #     use std::io::{Read, Write};
//! #     let (mut socket, _) = listener.accept().unwrap();
//! #     let _ = socket.read(&mut [0u8; 4096]);
//! #     socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n\
//! #         event: delta\ndata: {\"text\":\"Hello\"}\n\nevent: delta\ndata: {\"text\":\", world\"}\n\n").unwrap();
//! # });
//! let stream = Stream::builder(&url)
//!     .header("Authorization", "Bearer secret")
//!     .idle_timeout(Some(Duration::from_secs(45)))
//!     .reconnect(false)
//!     .connect()?;
//! let mut text = String::new();
//! for item in &stream {
//!     match item {
//!         Item::Event(event) if event.is("delta") => {
//!             let delta: Delta = event.json().expect("JSON data");
//!             text.push_str(&delta.text);
//!         }
//!         Item::Retrying { error, delay, .. } => eprintln!("{error}; retrying in {delay:?}"),
//!         Item::Closed(reason) => eprintln!("closed: {reason}"),
//!         _ => {}
//!     }
//! }
//! assert_eq!(text, "Hello, world");
//! # Ok::<(), sselink::Error>(())
//! ```
//!
//! The [`parser`] module is usable on its own, for bytes that arrive some
//! other way.
//!
//! # Threads
//!
//! Each stream owns one reader thread, the only place that blocks on the
//! network. Every [`Stream`] method takes `&self` and works from any thread;
//! [`Stream::close`] wakes receivers and the reader at once.
//!
//! # Logging
//!
//! Through the `log` crate: each connect, redirect and reconnect at debug
//! level, dropped or unsendable input at warn, a terminal error at warn.
//! sselink's own records (targets `sselink::*`) never carry a header value,
//! a query value (URLs show the parameter names, each value as `***`), URL
//! userinfo, a request body, or a failed response's body.
//!
//! Its dependencies log more. At trace, `ureq_proto::util` dumps the raw
//! bytes of every request, credentials included, and `ureq::run` shows whole
//! URLs with their query; at debug, `ureq_proto::client` dumps requests. The
//! full list of targets, and what each may carry, is in [`redact`]. A program
//! that logs at debug or trace should either wrap its logger in
//! [`redact::RedactingLogger`], which drops what could carry a credential and
//! rewrites URLs, or keep the `ureq` and `ureq_proto` targets at `info` or
//! above (they log nothing there). The C library's log callback always
//! applies the redacting filter.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod backoff;
mod chunked;
mod config;
mod error;
mod event;
mod head;
mod item;
pub mod parser;
mod post;
mod proxy;
mod reader;
#[cfg(unix)]
mod readiness;
pub mod redact;
mod redirect;
mod resolver;
mod response;
mod shared;
mod stream;
mod tls_failure;
mod transport;
mod tunnel;

/// This library's version, such as `"0.1.0"` (the C ABI's `sselink_version`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use backoff::{JitterShape, ReconnectPolicy, MAX_SERVER_DELAY, MIN_BACKOFF, MIN_BACKOFF_CAP};
pub use config::{
    Builder, HeaderProvider, Overflow, ProviderFailure, MAX_CAPACITY, MAX_DURATION,
    MAX_RESPONSE_HEAD, MAX_STACK_SIZE, MIN_STACK_SIZE,
};
pub use error::{Cause, Error, HttpFailure};
pub use event::Event;
pub use head::MAX_REQUEST_HEAD;
pub use item::{CloseReason, Item, State};
pub use parser::{Limit, LimitExceeded, Limits, Parsed, Parser};
pub use post::{PostResponse, POST_BODY_LIMIT};
#[cfg(unix)]
pub use readiness::Readiness;
pub use stream::{Events, Iter, RecvError, RecvTimeoutError, Stream, TryRecvError};
