//! The C ABI. Everything here is `extern "C"`, catches panics, checks its
//! pointers, and writes out-parameters only on success. The header
//! `include/sselink.h` is generated from these items by cbindgen.
//!
//! Ownership in short: `sselink_config_new` / `sselink_config_free`,
//! `sselink_connect` / `sselink_stream_free`. Strings going in are pointer
//! plus length, UTF-8, not necessarily NUL-terminated. Strings coming out are
//! [`sselink_str`]: pointer plus length, NUL-terminated as a convenience, owned
//! by sselink, with the lifetime stated where they are returned.

#![allow(non_camel_case_types)]

mod config;
mod event;
mod log;
mod stream;

use std::ffi::c_char;

use crate::Error;

pub use self::config::*;
pub use self::event::*;
pub use self::log::*;
pub use self::stream::*;

/// Runs `$body`, turning a panic into `$fallback`: no panic crosses the C ABI.
macro_rules! ffi_guard {
    ($fallback:expr, $body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => $fallback,
        }
    };
}
pub(crate) use ffi_guard;

/// Evaluates to a shared reference to `*$ptr`, or returns
/// `SSELINK_RESULT_NULL_ARGUMENT` from the enclosing function when it is NULL.
macro_rules! try_ref {
    ($ptr:expr) => {
        // SAFETY: the caller promises that a non-NULL pointer is valid for
        // the duration of the call, as every function's doc states.
        match unsafe { $ptr.as_ref() } {
            Some(value) => value,
            None => return $crate::ffi::sselink_result::SSELINK_RESULT_NULL_ARGUMENT,
        }
    };
}
pub(crate) use try_ref;

/// What a call did. `SSELINK_RESULT_OK` is 0; every error kind of the Rust
/// API has its own code (from `SSELINK_RESULT_INVALID_CONFIG` on), so a
/// closing event's `error` says exactly what ended a stream.
/// `sselink_result_message` turns any code into a sentence.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sselink_result {
    /// Success.
    SSELINK_RESULT_OK = 0,
    /// `sselink_poll_event`: nothing arrived within the timeout.
    SSELINK_RESULT_TIMEOUT = 1,
    /// `sselink_poll_event`: the stream is finished (closed by the caller, or
    /// its closing event was already returned).
    SSELINK_RESULT_CLOSED = 2,
    /// A required pointer argument was NULL.
    SSELINK_RESULT_NULL_ARGUMENT = 3,
    /// An argument is out of range, or a string is not UTF-8.
    SSELINK_RESULT_INVALID_ARGUMENT = 4,
    /// The caller's buffer is too small; the needed length was written.
    SSELINK_RESULT_BUFFER_TOO_SMALL = 5,
    /// A bug in sselink: a panic was caught at the C boundary.
    SSELINK_RESULT_PANIC = 6,
    /// The process already has a logger that is not sselink's.
    SSELINK_RESULT_LOGGER_TAKEN = 7,
    /// Invalid configuration: URL, scheme, header, method, certificate.
    SSELINK_RESULT_INVALID_CONFIG = 100,
    /// Connecting, sending or reading failed (DNS, refused, reset, TLS).
    SSELINK_RESULT_NETWORK = 101,
    /// The connect timeout or the idle timeout ran out.
    SSELINK_RESULT_NETWORK_TIMEOUT = 102,
    /// The server answered with a failing HTTP status (see `http_status`).
    SSELINK_RESULT_HTTP_STATUS = 103,
    /// A 2xx answer that was not `text/event-stream`.
    SSELINK_RESULT_CONTENT_TYPE = 104,
    /// A redirect without Location, to a non-HTTP URL, or too many.
    SSELINK_RESULT_REDIRECT = 105,
    /// The server broke the line length or event size limit.
    SSELINK_RESULT_LIMIT_EXCEEDED = 106,
    /// Gave up after the maximum number of reconnect attempts.
    SSELINK_RESULT_ATTEMPTS_EXHAUSTED = 107,
    /// Gave up after an outage outlasted the time budget.
    SSELINK_RESULT_TIME_BUDGET_EXHAUSTED = 108,
    /// The server ended the response (an `ERROR` event's cause; the stream
    /// reconnects).
    SSELINK_RESULT_END_OF_STREAM = 109,
}

impl sselink_result {
    /// The code of each error kind of the Rust API, one to one.
    pub(crate) fn of(error: &Error) -> sselink_result {
        use sselink_result::*;
        match error {
            Error::InvalidConfig(_) => SSELINK_RESULT_INVALID_CONFIG,
            Error::Network(_) => SSELINK_RESULT_NETWORK,
            Error::Timeout { .. } => SSELINK_RESULT_NETWORK_TIMEOUT,
            Error::Status(_) => SSELINK_RESULT_HTTP_STATUS,
            Error::ContentType { .. } => SSELINK_RESULT_CONTENT_TYPE,
            Error::Redirect(_) => SSELINK_RESULT_REDIRECT,
            Error::Limit(_) => SSELINK_RESULT_LIMIT_EXCEEDED,
            Error::AttemptsExhausted { .. } => SSELINK_RESULT_ATTEMPTS_EXHAUSTED,
            Error::TimeBudgetExhausted { .. } => SSELINK_RESULT_TIME_BUDGET_EXHAUSTED,
            Error::EndOfStream => SSELINK_RESULT_END_OF_STREAM,
        }
    }
}

/// A string sselink owns: `len` bytes at `ptr`, followed by a NUL that
/// `len` does not count. The bytes may contain NUL themselves (event data
/// can): use `len`. Valid for the lifetime stated where it is returned.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sselink_str {
    /// The first byte; never NULL.
    pub ptr: *const c_char,
    /// The number of bytes, without the terminating NUL.
    pub len: usize,
}

impl sselink_str {
    /// A view of `bytes`, which must end with a NUL not counted in the view.
    pub(crate) fn of_terminated(bytes: &[u8]) -> sselink_str {
        debug_assert_eq!(bytes.last(), Some(&0));
        sselink_str {
            ptr: bytes.as_ptr().cast(),
            len: bytes.len() - 1,
        }
    }

    pub(crate) fn of_static(text: &'static str) -> sselink_str {
        debug_assert!(text.ends_with('\0'));
        sselink_str::of_terminated(text.as_bytes())
    }
}

/// Copies `text` into `buffer` with a terminating NUL, reusing its capacity.
pub(crate) fn fill_terminated<'b>(buffer: &'b mut Vec<u8>, text: &[u8]) -> &'b [u8] {
    buffer.clear();
    buffer.extend_from_slice(text);
    buffer.push(0);
    buffer
}

/// Borrows `len` bytes at `ptr` as UTF-8. NULL is allowed when `len` is 0.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for reads of `len` bytes for `'a`.
pub(crate) unsafe fn str_arg<'a>(
    ptr: *const c_char,
    len: usize,
) -> Result<&'a str, sselink_result> {
    if ptr.is_null() {
        return if len == 0 {
            Ok("")
        } else {
            Err(sselink_result::SSELINK_RESULT_NULL_ARGUMENT)
        };
    }
    // SAFETY: non-NULL and, as the caller promises, valid for `len` bytes.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|_| sselink_result::SSELINK_RESULT_INVALID_ARGUMENT)
}

/// Borrows `len` bytes at `ptr`. NULL is allowed when `len` is 0.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for reads of `len` bytes for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], sselink_result> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(sselink_result::SSELINK_RESULT_NULL_ARGUMENT)
        };
    }
    // SAFETY: non-NULL and, as the caller promises, valid for `len` bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The library version, such as `"0.1.0"`: a static NUL-terminated string.
#[no_mangle]
pub extern "C" fn sselink_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A sentence describing `result`: a static NUL-terminated string, never
/// NULL (unknown codes get a sentence too).
#[no_mangle]
pub extern "C" fn sselink_result_message(result: i32) -> *const c_char {
    result_message(result).as_ptr().cast()
}

fn result_message(result: i32) -> &'static str {
    use sselink_result::*;
    const MESSAGES: [(sselink_result, &str); 18] = [
        (SSELINK_RESULT_OK, "success\0"),
        (
            SSELINK_RESULT_TIMEOUT,
            "no event arrived within the timeout\0",
        ),
        (SSELINK_RESULT_CLOSED, "the stream is closed\0"),
        (
            SSELINK_RESULT_NULL_ARGUMENT,
            "a required pointer argument was NULL\0",
        ),
        (
            SSELINK_RESULT_INVALID_ARGUMENT,
            "an argument is out of range or not UTF-8\0",
        ),
        (
            SSELINK_RESULT_BUFFER_TOO_SMALL,
            "the buffer is too small; the needed length was written\0",
        ),
        (
            SSELINK_RESULT_PANIC,
            "internal error in sselink (a panic was caught); please report it\0",
        ),
        (
            SSELINK_RESULT_LOGGER_TAKEN,
            "the process already has another logger\0",
        ),
        (SSELINK_RESULT_INVALID_CONFIG, "invalid configuration\0"),
        (SSELINK_RESULT_NETWORK, "network error\0"),
        (SSELINK_RESULT_NETWORK_TIMEOUT, "connect or idle timeout\0"),
        (
            SSELINK_RESULT_HTTP_STATUS,
            "the server answered with a failing HTTP status\0",
        ),
        (
            SSELINK_RESULT_CONTENT_TYPE,
            "the response is not text/event-stream\0",
        ),
        (
            SSELINK_RESULT_REDIRECT,
            "a redirect could not be followed\0",
        ),
        (
            SSELINK_RESULT_LIMIT_EXCEEDED,
            "the server broke a size limit\0",
        ),
        (
            SSELINK_RESULT_ATTEMPTS_EXHAUSTED,
            "gave up after the maximum reconnect attempts\0",
        ),
        (
            SSELINK_RESULT_TIME_BUDGET_EXHAUSTED,
            "gave up after the reconnect time budget\0",
        ),
        (
            SSELINK_RESULT_END_OF_STREAM,
            "the server ended the response\0",
        ),
    ];
    MESSAGES
        .iter()
        .find(|(code, _)| *code as i32 == result)
        .map_or("unknown result code\0", |(_, message)| message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_message() {
        let codes: Vec<i32> = [
            0, 1, 2, 3, 4, 5, 6, 7, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109,
        ]
        .to_vec();
        let messages: std::collections::HashSet<&str> =
            codes.iter().map(|&c| result_message(c)).collect();
        assert_eq!(messages.len(), codes.len());
        assert_eq!(result_message(9999), "unknown result code\0");
    }

    #[test]
    fn error_kinds_map_one_to_one() {
        use std::time::Duration;
        let errors = [
            Error::InvalidConfig(String::new()),
            Error::Network(String::new()),
            Error::Timeout {
                what: "read",
                after: Duration::ZERO,
            },
            Error::Status(Box::new(crate::HttpFailure {
                status: 500,
                headers: vec![],
                body: String::new(),
                permanent: false,
            })),
            Error::ContentType { found: None },
            Error::Redirect(String::new()),
            Error::Limit(crate::LimitExceeded {
                limit: crate::Limit::LineLength,
                max: 1,
            }),
            Error::AttemptsExhausted {
                attempts: 1,
                last: Box::new(Error::Network(String::new())),
            },
            Error::TimeBudgetExhausted {
                budget: Duration::ZERO,
                last: Box::new(Error::Network(String::new())),
            },
            Error::EndOfStream,
        ];
        let codes: std::collections::HashSet<i32> = errors
            .iter()
            .map(|e| sselink_result::of(e) as i32)
            .collect();
        assert_eq!(codes.len(), errors.len());
        assert!(codes
            .iter()
            .all(|&c| c >= 100 && result_message(c) != "unknown result code\0"));
    }
}
