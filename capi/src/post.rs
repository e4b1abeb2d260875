//! `sselink_stream_post`: the write path for C callers, and the response it
//! returns.

use std::ffi::c_char;
use std::time::Duration;

use sselink_core::PostResponse;

use super::{bytes_arg, ffi_guard, sselink_result, sselink_str, sselink_stream, str_arg, try_ref};

use sselink_result::*;

/// The final response to a post: made by `sselink_stream_post`, released by
/// `sselink_post_response_free`. Owns its strings; any thread may read it.
pub struct sselink_post_response {
    status: u16,
    attempts: u32,
    /// The body followed by a NUL that the body's length does not count.
    body: Vec<u8>,
    /// The headers' names and values, each followed by a NUL.
    headers: Vec<(Vec<u8>, Vec<u8>)>,
}

impl sselink_post_response {
    fn new(response: PostResponse) -> sselink_post_response {
        let terminated = |text: &[u8]| {
            let mut bytes = Vec::with_capacity(text.len() + 1);
            bytes.extend_from_slice(text);
            bytes.push(0);
            bytes
        };
        sselink_post_response {
            status: response.status,
            attempts: response.attempts,
            body: terminated(&response.body),
            headers: response
                .headers
                .iter()
                .map(|(name, value)| (terminated(name.as_bytes()), terminated(value.as_bytes())))
                .collect(),
        }
    }
}

/// Why a post gave no response: made by `sselink_stream_post_with_error`,
/// released by `sselink_post_error_free`. Owns its message; any thread may
/// read it.
pub struct sselink_post_error {
    /// The message followed by a NUL that its length does not count.
    message: Vec<u8>,
    status: u16,
}

/// Posts `body` (`body_len` bytes of JSON) back to the server and waits for
/// the outcome, on the calling thread: see the Rust `Stream::post`. It goes
/// to the configured `post_url` (by default the stream URL without a
/// trailing `/stream`) with the stream's headers (the provider's fetched
/// afresh for each attempt) and `Content-Type: application/json` unless a
/// header sets another; 429, 5xx and network errors are retried with backoff
/// and `Retry-After`. `timeout_ms` bounds it all (negative: the configured
/// `post_timeout`).
///
/// Returns `SSELINK_RESULT_OK` with the final response in `*out` (whatever
/// its status: check `sselink_post_response_status`), or the reason there is
/// none: `SSELINK_RESULT_ATTEMPTS_EXHAUSTED` after network errors,
/// `SSELINK_RESULT_DEADLINE`, `SSELINK_RESULT_STREAM_CLOSED` when the stream
/// is closed before or during the post (`sselink_stream_close` from another
/// thread interrupts it at once), `SSELINK_RESULT_HEADER_PROVIDER`,
/// `SSELINK_RESULT_TLS` (final unless `retry_tls_errors`),
/// `SSELINK_RESULT_INCOMPLETE_BODY` when the response was cut off. Any
/// thread may post, also while another polls. `sselink_stream_post_with_error`
/// also says why, with the last HTTP status.
///
/// # Safety
///
/// `stream` must be NULL or a live stream; `body` must be valid for reads of
/// `body_len` bytes (NULL allowed with length 0); `out` must be NULL or valid
/// for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_post(
    stream: *mut sselink_stream,
    body: *const u8,
    body_len: usize,
    timeout_ms: i32,
    out: *mut *mut sselink_post_response,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises; no error is asked for.
    unsafe {
        post(
            stream,
            body,
            body_len,
            timeout_ms,
            out,
            std::ptr::null_mut(),
        )
    }
}

/// `sselink_stream_post`, telling why when there is no response: when the
/// result is an error kind (a code from `SSELINK_RESULT_INVALID_CONFIG`, 100,
/// on) and `error` is not NULL, `*error` receives a new
/// `sselink_post_error` with the message (what happened and what to do) and
/// the last HTTP status, which the caller releases with
/// `sselink_post_error_free`. For a `SSELINK_RESULT_DEADLINE` that is the
/// status of the last attempt, and the message says when the server's
/// `Retry-After` lies beyond the deadline. `*error` is written only then;
/// `*out` only on success, as with `sselink_stream_post`.
///
/// # Safety
///
/// As `sselink_stream_post`; `error` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_post_with_error(
    stream: *mut sselink_stream,
    body: *const u8,
    body_len: usize,
    timeout_ms: i32,
    out: *mut *mut sselink_post_response,
    error: *mut *mut sselink_post_error,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe { post(stream, body, body_len, timeout_ms, out, error) }
}

/// Both post functions: `error` NULL asks for no error.
///
/// # Safety
///
/// As `sselink_stream_post_with_error`.
unsafe fn post(
    stream: *mut sselink_stream,
    body: *const u8,
    body_len: usize,
    timeout_ms: i32,
    out: *mut *mut sselink_post_response,
    error: *mut *mut sselink_post_error,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let handle = try_ref!(stream);
        if out.is_null() {
            return SSELINK_RESULT_NULL_ARGUMENT;
        }
        // SAFETY: the caller promises `body` is valid for `body_len` bytes.
        let body = match unsafe { bytes_arg(body, body_len) } {
            Ok(body) => body,
            Err(code) => return code,
        };
        let outcome = match u64::try_from(timeout_ms) {
            Ok(ms) => handle.stream().post_within(body, Duration::from_millis(ms)),
            Err(_) => handle.stream().post(body),
        };
        match outcome {
            Ok(response) => {
                let boxed = Box::new(sselink_post_response::new(response));
                // SAFETY: `out` is non-NULL and the caller promises it is writable.
                unsafe { out.write(Box::into_raw(boxed)) };
                SSELINK_RESULT_OK
            }
            Err(failure) => {
                if !error.is_null() {
                    let mut message = failure.to_string().into_bytes();
                    message.push(0);
                    let boxed = Box::new(sselink_post_error {
                        message,
                        status: failure.status().unwrap_or(0),
                    });
                    // SAFETY: `error` is non-NULL and the caller promises it
                    // is writable.
                    unsafe { error.write(Box::into_raw(boxed)) };
                }
                sselink_result::of(&failure)
            }
        }
    })
}

/// What went wrong with the post, in a sentence that says what to do, valid
/// until `sselink_post_error_free`; an empty string for NULL.
///
/// # Safety
///
/// `error` must be NULL or a live post error.
#[no_mangle]
pub unsafe extern "C" fn sselink_post_error_message(
    error: *const sselink_post_error,
) -> sselink_str {
    ffi_guard!(sselink_str::of_static("\0"), {
        // SAFETY: the caller promises a non-NULL `error` is live.
        match unsafe { error.as_ref() } {
            Some(e) => sselink_str::of_terminated(&e.message),
            None => sselink_str::of_static("\0"),
        }
    })
}

/// The HTTP status behind the failure: the last attempt's for
/// `SSELINK_RESULT_DEADLINE` and `SSELINK_RESULT_ATTEMPTS_EXHAUSTED`, the
/// response's for `SSELINK_RESULT_INCOMPLETE_BODY`; 0 when no response
/// caused it, and for NULL.
///
/// # Safety
///
/// `error` must be NULL or a live post error.
#[no_mangle]
pub unsafe extern "C" fn sselink_post_error_status(error: *const sselink_post_error) -> u16 {
    ffi_guard!(0, {
        // SAFETY: the caller promises a non-NULL `error` is live.
        unsafe { error.as_ref() }.map_or(0, |e| e.status)
    })
}

/// Releases a post error; NULL is ignored.
///
/// # Safety
///
/// `error` must be NULL or come from `sselink_stream_post_with_error`, not be
/// freed already, and not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn sselink_post_error_free(error: *mut sselink_post_error) {
    ffi_guard!((), {
        if !error.is_null() {
            // SAFETY: the caller promises `error` came from Box::into_raw in
            // sselink_stream_post_with_error and is freed once.
            drop(unsafe { Box::from_raw(error) });
        }
    })
}

/// The HTTP status of `response`; 0 for NULL.
///
/// # Safety
///
/// `response` must be NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn sselink_post_response_status(
    response: *const sselink_post_response,
) -> u16 {
    ffi_guard!(0, {
        // SAFETY: the caller promises a non-NULL `response` is live.
        unsafe { response.as_ref() }.map_or(0, |r| r.status)
    })
}

/// How many attempts the post took, from 1; 0 for NULL.
///
/// # Safety
///
/// `response` must be NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn sselink_post_response_attempts(
    response: *const sselink_post_response,
) -> u32 {
    ffi_guard!(0, {
        // SAFETY: the caller promises a non-NULL `response` is live.
        unsafe { response.as_ref() }.map_or(0, |r| r.attempts)
    })
}

/// The body of `response` (at most 1 MiB), valid until
/// `sselink_post_response_free`; an empty string for NULL.
///
/// # Safety
///
/// `response` must be NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn sselink_post_response_body(
    response: *const sselink_post_response,
) -> sselink_str {
    ffi_guard!(sselink_str::of_static("\0"), {
        // SAFETY: the caller promises a non-NULL `response` is live.
        match unsafe { response.as_ref() } {
            Some(r) => sselink_str::of_terminated(&r.body),
            None => sselink_str::of_static("\0"),
        }
    })
}

/// Writes the value of header `name` (case-insensitive) of `response` to
/// `*value`, valid until `sselink_post_response_free`. Returns
/// `SSELINK_RESULT_INVALID_ARGUMENT` when the response has no such header.
///
/// # Safety
///
/// `response` must be NULL or a live response; `name` must be valid for
/// reads of `name_len` bytes; `value` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_post_response_header(
    response: *const sselink_post_response,
    name: *const c_char,
    name_len: usize,
    value: *mut sselink_str,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let response = try_ref!(response);
        if value.is_null() {
            return SSELINK_RESULT_NULL_ARGUMENT;
        }
        // SAFETY: the caller promises `name` is valid for `name_len` bytes.
        let name = match unsafe { str_arg(name, name_len) } {
            Ok(name) => name,
            Err(code) => return code,
        };
        let found = response
            .headers
            .iter()
            .find(|(n, _)| n[..n.len() - 1].eq_ignore_ascii_case(name.as_bytes()));
        match found {
            Some((_, v)) => {
                // SAFETY: `value` is non-NULL and the caller promises it is
                // writable.
                unsafe { value.write(sselink_str::of_terminated(v)) };
                SSELINK_RESULT_OK
            }
            None => SSELINK_RESULT_INVALID_ARGUMENT,
        }
    })
}

/// Releases a post response; NULL is ignored.
///
/// # Safety
///
/// `response` must be NULL or come from `sselink_stream_post`, not be freed
/// already, and not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn sselink_post_response_free(response: *mut sselink_post_response) {
    ffi_guard!((), {
        if !response.is_null() {
            // SAFETY: the caller promises `response` came from Box::into_raw
            // in sselink_stream_post and is freed once.
            drop(unsafe { Box::from_raw(response) });
        }
    })
}
