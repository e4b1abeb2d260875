//! sselink: a blocking Server-Sent Events (EventSource) client with a C ABI.
//!
//! The [`parser`] module turns response-body bytes into [`Event`]s following
//! the WHATWG event-stream rules, for any chunking of the bytes.

#![deny(missing_docs)]

mod event;
pub mod parser;

pub use event::Event;
pub use parser::{Limit, LimitExceeded, Limits, Parsed, Parser};
