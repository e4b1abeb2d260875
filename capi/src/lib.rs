//! The C ABI of sselink: `libsselink.a` and `libsselink.so`, described by
//! `include/sselink.h`, which cbindgen generates from this crate.
//!
//! Everything here is `extern "C"`, catches panics, checks its pointers, and
//! writes out-parameters only on success. It uses the public API of the
//! `sselink` crate and nothing else, and is the only code of the project
//! with `unsafe` in it.
//!
//! Ownership in short: `sselink_config_new` / `sselink_config_free`,
//! `sselink_stream_connect` / `sselink_stream_free`. Strings going in are
//! pointer plus length, UTF-8, not necessarily NUL-terminated. Strings coming
//! out are [`sselink_str`]: pointer plus length, NUL-terminated as a
//! convenience, owned by sselink, with the lifetime stated where they are
//! returned.

#![allow(non_camel_case_types)]
#![deny(missing_docs)]

mod config;
mod headers;
mod item;
mod log;
mod post;
mod stream;

use std::ffi::c_char;

use sselink_core::Error;

pub use self::config::*;
pub use self::headers::*;
pub use self::item::*;
pub use self::log::*;
pub use self::post::*;
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
            None => return $crate::sselink_result::SSELINK_RESULT_NULL_ARGUMENT,
        }
    };
}
pub(crate) use try_ref;

/// What a call did. `SSELINK_RESULT_OK` is 0. Codes below 100 are about the
/// call itself; from `SSELINK_RESULT_INVALID_CONFIG` (100) on, each code is
/// one kind of the Rust `Error`, so an item's `error` says exactly what went
/// wrong. `sselink_result_message` turns any code into a sentence.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sselink_result {
    /// Success.
    SSELINK_RESULT_OK = 0,
    /// Nothing happened within the timeout (`sselink_stream_poll`,
    /// `sselink_stream_close_and_wait`).
    SSELINK_RESULT_TIMEOUT = 1,
    /// The stream is finished: closed by the caller, or its closing item was
    /// already returned.
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
    /// Invalid configuration (Rust `Error::InvalidConfig`): URL, scheme,
    /// header, method, certificate, a value out of range.
    SSELINK_RESULT_INVALID_CONFIG = 100,
    /// The server ended the response (`Error::EndOfStream`; the stream
    /// reconnects).
    SSELINK_RESULT_END_OF_STREAM = 101,
    /// The host name did not resolve (`Error::Dns`).
    SSELINK_RESULT_DNS = 102,
    /// The server refused the connection (`Error::ConnectionRefused`).
    SSELINK_RESULT_CONNECTION_REFUSED = 103,
    /// The connection was reset or broken (`Error::ConnectionReset`).
    SSELINK_RESULT_CONNECTION_RESET = 104,
    /// The TLS handshake failed (`Error::Tls`).
    SSELINK_RESULT_TLS = 105,
    /// Another network failure (`Error::Network`).
    SSELINK_RESULT_NETWORK = 106,
    /// The connect timeout ran out (`Error::ConnectTimeout`).
    SSELINK_RESULT_CONNECT_TIMEOUT = 107,
    /// The idle timeout ran out (`Error::IdleTimeout`).
    SSELINK_RESULT_IDLE_TIMEOUT = 108,
    /// The server answered with a failing HTTP status (`Error::Status`; see
    /// the item's `http_status`).
    SSELINK_RESULT_HTTP_STATUS = 109,
    /// A 2xx answer that was not `text/event-stream` (`Error::ContentType`).
    SSELINK_RESULT_CONTENT_TYPE = 110,
    /// A redirect could not be followed (`Error::Redirect`).
    SSELINK_RESULT_REDIRECT = 111,
    /// The server broke the line length or event size limit (`Error::Limit`).
    SSELINK_RESULT_LIMIT_EXCEEDED = 112,
    /// Gave up after the maximum number of reconnect attempts
    /// (`Error::AttemptsExhausted`).
    SSELINK_RESULT_ATTEMPTS_EXHAUSTED = 113,
    /// Gave up after an outage outlasted the time budget
    /// (`Error::TimeBudgetExhausted`).
    SSELINK_RESULT_TIME_BUDGET_EXHAUSTED = 114,
    /// The header provider panicked or returned a header that cannot be sent
    /// (`Error::HeaderProvider`).
    SSELINK_RESULT_HEADER_PROVIDER = 115,
    /// The system refused a thread or memory (`Error::Resource`).
    SSELINK_RESULT_RESOURCE = 116,
    /// The reader thread stopped unexpectedly, a bug (`Error::ReaderDied`).
    SSELINK_RESULT_READER_DIED = 117,
    /// The stream was closed while a post waited or was in flight
    /// (`Error::Closed`).
    SSELINK_RESULT_STREAM_CLOSED = 118,
    /// A post did not finish within its timeout (`Error::Deadline`); the
    /// error of `sselink_stream_post_with_error` gives the last attempt's
    /// status and says why.
    SSELINK_RESULT_DEADLINE = 119,
    /// The proxy refused the connection or failed (`Error::Proxy`).
    SSELINK_RESULT_PROXY = 120,
    /// The server answered a post, but the body of its response was cut off
    /// (`Error::IncompleteBody`): the server got the post and may have acted
    /// on it.
    SSELINK_RESULT_INCOMPLETE_BODY = 121,
    /// An error kind this version of the header does not name.
    SSELINK_RESULT_OTHER_ERROR = 199,
}

impl sselink_result {
    /// The code of each error kind of the Rust API, one to one.
    pub(crate) fn of(error: &Error) -> sselink_result {
        use sselink_result::*;
        match error {
            Error::InvalidConfig(_) => SSELINK_RESULT_INVALID_CONFIG,
            Error::EndOfStream => SSELINK_RESULT_END_OF_STREAM,
            Error::Dns(_) => SSELINK_RESULT_DNS,
            Error::ConnectionRefused(_) => SSELINK_RESULT_CONNECTION_REFUSED,
            Error::ConnectionReset(_) => SSELINK_RESULT_CONNECTION_RESET,
            Error::Tls(_) => SSELINK_RESULT_TLS,
            Error::Network(_) => SSELINK_RESULT_NETWORK,
            Error::ConnectTimeout(_) => SSELINK_RESULT_CONNECT_TIMEOUT,
            Error::IdleTimeout(_) => SSELINK_RESULT_IDLE_TIMEOUT,
            Error::Status(_) => SSELINK_RESULT_HTTP_STATUS,
            Error::ContentType { .. } => SSELINK_RESULT_CONTENT_TYPE,
            Error::Redirect(_) => SSELINK_RESULT_REDIRECT,
            Error::Limit(_) => SSELINK_RESULT_LIMIT_EXCEEDED,
            Error::AttemptsExhausted { .. } => SSELINK_RESULT_ATTEMPTS_EXHAUSTED,
            Error::TimeBudgetExhausted { .. } => SSELINK_RESULT_TIME_BUDGET_EXHAUSTED,
            Error::HeaderProvider(_) => SSELINK_RESULT_HEADER_PROVIDER,
            Error::Resource(_) => SSELINK_RESULT_RESOURCE,
            Error::ReaderDied => SSELINK_RESULT_READER_DIED,
            Error::Closed => SSELINK_RESULT_STREAM_CLOSED,
            Error::Deadline { .. } => SSELINK_RESULT_DEADLINE,
            Error::Proxy(_) => SSELINK_RESULT_PROXY,
            Error::IncompleteBody { .. } => SSELINK_RESULT_INCOMPLETE_BODY,
            _ => SSELINK_RESULT_OTHER_ERROR,
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

/// Copies `text` and a NUL into the caller's `buffer` of `capacity` bytes,
/// writing its length (without the NUL) to `*len`: the snprintf pattern of
/// every function that hands out a string the caller keeps. With
/// `SSELINK_RESULT_BUFFER_TOO_SMALL`, `*len` is the length needed and the
/// buffer is untouched.
///
/// # Safety
///
/// `buffer` must be NULL or valid for writes of `capacity` bytes; `len` must
/// be NULL or valid for a write.
pub(crate) unsafe fn copy_out(
    text: &[u8],
    buffer: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> sselink_result {
    if len.is_null() || (buffer.is_null() && capacity > 0) {
        return sselink_result::SSELINK_RESULT_NULL_ARGUMENT;
    }
    // SAFETY: `len` is non-NULL and the caller promises it is writable.
    unsafe { len.write(text.len()) };
    if capacity < text.len() + 1 {
        return sselink_result::SSELINK_RESULT_BUFFER_TOO_SMALL;
    }
    // SAFETY: `buffer` is valid for `capacity` >= text.len() + 1 bytes, as
    // the caller promises, and cannot overlap the Rust-owned `text`.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buffer.cast::<u8>(), text.len());
        buffer.add(text.len()).write(0);
    }
    sselink_result::SSELINK_RESULT_OK
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
    // SAFETY: forwarded with the caller's promise.
    let bytes = unsafe { bytes_arg(ptr.cast(), len) }?;
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
    if len > isize::MAX as usize {
        return Err(sselink_result::SSELINK_RESULT_INVALID_ARGUMENT);
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
    const MESSAGES: [(sselink_result, &str); 31] = [
        (SSELINK_RESULT_OK, "success\0"),
        (
            SSELINK_RESULT_TIMEOUT,
            "nothing happened within the timeout\0",
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
        (
            SSELINK_RESULT_END_OF_STREAM,
            "the server ended the response\0",
        ),
        (SSELINK_RESULT_DNS, "the host name did not resolve\0"),
        (
            SSELINK_RESULT_CONNECTION_REFUSED,
            "the server refused the connection\0",
        ),
        (
            SSELINK_RESULT_CONNECTION_RESET,
            "the connection was reset\0",
        ),
        (SSELINK_RESULT_TLS, "the TLS handshake failed\0"),
        (SSELINK_RESULT_NETWORK, "network error\0"),
        (SSELINK_RESULT_CONNECT_TIMEOUT, "connecting timed out\0"),
        (
            SSELINK_RESULT_IDLE_TIMEOUT,
            "no data arrived within the idle timeout\0",
        ),
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
            SSELINK_RESULT_HEADER_PROVIDER,
            "the header provider failed\0",
        ),
        (
            SSELINK_RESULT_RESOURCE,
            "the system refused a thread or memory\0",
        ),
        (
            SSELINK_RESULT_READER_DIED,
            "the reader thread stopped unexpectedly; please report it\0",
        ),
        (
            SSELINK_RESULT_STREAM_CLOSED,
            "the stream was closed during the post\0",
        ),
        (
            SSELINK_RESULT_DEADLINE,
            "the post did not finish within its timeout\0",
        ),
        (SSELINK_RESULT_PROXY, "the proxy refused or failed\0"),
        (
            SSELINK_RESULT_INCOMPLETE_BODY,
            "the response to the post was cut off\0",
        ),
        (
            SSELINK_RESULT_OTHER_ERROR,
            "an error this version does not name\0",
        ),
    ];
    MESSAGES
        .iter()
        .find(|(code, _)| *code as i32 == result)
        .map_or("unknown result code\0", |(_, message)| message)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_code_has_its_own_message() {
        let codes: Vec<i32> = [0, 1, 2, 3, 4, 5, 6, 7]
            .into_iter()
            .chain(100..=121)
            .chain([199])
            .collect();
        let messages: std::collections::HashSet<&str> =
            codes.iter().map(|&c| result_message(c)).collect();
        assert_eq!(messages.len(), codes.len());
        assert_eq!(result_message(9999), "unknown result code\0");
    }

    #[test]
    fn error_kinds_map_one_to_one() {
        let cause = || -> sselink_core::Cause { Arc::new(std::io::Error::other("x")) };
        let errors = [
            Error::InvalidConfig(String::new()),
            Error::EndOfStream,
            Error::Dns(cause()),
            Error::ConnectionRefused(cause()),
            Error::ConnectionReset(cause()),
            Error::Tls(cause()),
            Error::Network(cause()),
            Error::ConnectTimeout(Duration::ZERO),
            Error::IdleTimeout(Duration::ZERO),
            Error::Status(Box::new(sselink_core::HttpFailure {
                status: 500,
                headers: vec![],
                body: String::new(),
                permanent: false,
            })),
            Error::ContentType { found: None },
            Error::Redirect(String::new()),
            Error::Limit(sselink_core::LimitExceeded {
                limit: sselink_core::Limit::LineLength,
                max: 1,
            }),
            Error::AttemptsExhausted {
                attempts: 1,
                last: Box::new(Error::EndOfStream),
            },
            Error::TimeBudgetExhausted {
                budget: Duration::ZERO,
                last: Box::new(Error::EndOfStream),
            },
            Error::HeaderProvider(String::new()),
            Error::Resource(cause()),
            Error::ReaderDied,
            Error::Closed,
            Error::Deadline {
                timeout: Duration::ZERO,
                last: None,
                retry_after: None,
            },
            Error::Proxy(cause()),
            Error::IncompleteBody {
                status: 200,
                received: 0,
                expected: None,
                cause: cause(),
            },
        ];
        let codes: std::collections::HashSet<i32> = errors
            .iter()
            .map(|e| sselink_result::of(e) as i32)
            .collect();
        assert_eq!(codes.len(), errors.len());
        assert!(codes
            .iter()
            .all(|&c| (100..199).contains(&c) && result_message(c) != "unknown result code\0"));
    }
}
