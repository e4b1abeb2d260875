//! sselink: a blocking Server-Sent Events (EventSource) client with a C ABI.
//!
//! One reader thread per stream connects with `ureq`, parses the response with
//! the spec-exact [`Parser`], and hands [`Item`]s to the caller through a
//! bounded channel. It reconnects with the last event id after a drop, with
//! backoff, and stops at once when [`Stream::close`] is called.
//!
//! ```no_run
//! use std::time::Duration;
//! use sselink::{Item, Stream};
//!
//! #[derive(serde::Deserialize)]
//! struct Delta { text: String }
//!
//! let stream = Stream::builder("https://example.com/events")
//!     .header("Authorization", "Bearer secret")
//!     .idle_timeout(Some(Duration::from_secs(45)))
//!     .connect()?;
//! for item in &stream {
//!     match item {
//!         Item::Event(event) if event.is("delta") => {
//!             let delta: Delta = event.json().expect("JSON data");
//!             print!("{}", delta.text);
//!         }
//!         Item::Retrying { error, delay, .. } => eprintln!("{error}; retrying in {delay:?}"),
//!         Item::Closed(reason) => eprintln!("closed: {reason}"),
//!         _ => {}
//!     }
//! }
//! # Ok::<(), sselink::Error>(())
//! ```
//!
//! The [`parser`] module is usable on its own, for bytes that arrive some
//! other way.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod backoff;
mod config;
mod error;
mod event;
pub mod parser;
mod reader;
mod stream;

pub use backoff::{ReconnectPolicy, MAX_SERVER_DELAY};
pub use config::{Builder, HeaderProvider, Overflow, StatusPolicy};
pub use error::{Error, HttpFailure};
pub use event::Event;
pub use parser::{Limit, LimitExceeded, Limits, Parsed, Parser};
pub use stream::{
    CloseReason, Events, Item, Iter, RecvError, RecvTimeoutError, State, Stream, TryRecvError,
};
