//! `sselink_config`: a builder for C callers.

use std::ffi::c_char;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::{bytes_arg, ffi_guard, fill_terminated, sselink_result, sselink_str, str_arg, try_ref};
use crate::config::check_header;
use crate::{Builder, Error, Limits, Overflow};

use sselink_result::*;

/// A stream configuration. Made by `sselink_config_new`, changed by the
/// `sselink_config_*` setters, used by any number of `sselink_connect` calls,
/// released by `sselink_config_free`. Setters may be called from any thread
/// (they are serialized); a setter that fails leaves the configuration as it
/// was and explains why in `sselink_config_error`.
pub struct sselink_config {
    builder: Mutex<Builder>,
    /// The last error message, NUL-terminated.
    error: Mutex<Vec<u8>>,
}

impl sselink_config {
    pub(crate) fn builder(&self) -> Builder {
        self.builder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records `error` for `sselink_config_error` and returns its code.
    pub(crate) fn fail(&self, error: &Error) -> sselink_result {
        let mut slot = self.error.lock().unwrap_or_else(PoisonError::into_inner);
        fill_terminated(&mut slot, error.to_string().as_bytes());
        sselink_result::of(error)
    }

    fn update(&self, change: impl FnOnce(Builder) -> Builder) -> sselink_result {
        let mut builder = self.builder.lock().unwrap_or_else(PoisonError::into_inner);
        let taken = std::mem::replace(&mut *builder, Builder::new(""));
        *builder = change(taken);
        SSELINK_RESULT_OK
    }
}

/// Creates a configuration for the stream at `url` (`url_len` bytes of
/// UTF-8, no NUL needed) with every default of the Rust API: GET, idle
/// timeout 45 s, connect timeout 10 s, reconnect after 1 s doubling to 30 s
/// with jitter, 256-item channel that blocks when full.
///
/// On success writes a new configuration to `*out`; free it with
/// `sselink_config_free`. The URL is checked by `sselink_connect`.
///
/// # Safety
///
/// `url` must be valid for reads of `url_len` bytes; `out` must be NULL or
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_new(
    url: *const c_char,
    url_len: usize,
    out: *mut *mut sselink_config,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        if out.is_null() {
            return SSELINK_RESULT_NULL_ARGUMENT;
        }
        // SAFETY: the caller promises `url` is valid for `url_len` bytes.
        let url = match unsafe { str_arg(url, url_len) } {
            Ok(url) => url,
            Err(code) => return code,
        };
        let config = Box::new(sselink_config {
            builder: Mutex::new(Builder::new(url)),
            error: Mutex::new(vec![0]),
        });
        // SAFETY: `out` is non-NULL and the caller promises it is writable.
        unsafe { out.write(Box::into_raw(config)) };
        SSELINK_RESULT_OK
    })
}

/// Releases a configuration. Streams made from it are not affected. NULL is
/// ignored.
///
/// # Safety
///
/// `config` must be NULL or come from `sselink_config_new`, not be freed
/// already, and not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_free(config: *mut sselink_config) {
    ffi_guard!((), {
        if !config.is_null() {
            // SAFETY: the caller promises `config` came from Box::into_raw in
            // sselink_config_new and is freed once.
            drop(unsafe { Box::from_raw(config) });
        }
    })
}

/// The message of the last failed setter or `sselink_connect` with this
/// configuration (empty if none): valid until the next call with `config`.
/// A NULL `config` gives an empty string.
///
/// # Safety
///
/// `config` must be NULL or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_error(config: *const sselink_config) -> sselink_str {
    ffi_guard!(sselink_str::of_static("internal error\0"), {
        // SAFETY: the caller promises a non-NULL `config` is live.
        match unsafe { config.as_ref() } {
            None => sselink_str::of_static("\0"),
            Some(config) => {
                let slot = config.error.lock().unwrap_or_else(PoisonError::into_inner);
                // The buffer lives in `config`; it changes only on the next
                // call with `config`, as documented.
                sselink_str::of_terminated(&slot)
            }
        }
    })
}

/// Applies `change` to the builder of `config`.
///
/// # Safety
///
/// `config` must be NULL or a live configuration.
unsafe fn set(
    config: *mut sselink_config,
    change: impl FnOnce(Builder) -> Builder,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        config.update(change)
    })
}

/// Applies `change` with the string at `value` (`len` bytes of UTF-8).
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `value` must be valid for
/// reads of `len` bytes (NULL allowed with length 0).
unsafe fn set_string(
    config: *mut sselink_config,
    value: *const c_char,
    len: usize,
    change: impl FnOnce(Builder, String) -> Builder,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        // SAFETY: the caller promises `value` is valid for `len` bytes.
        match unsafe { str_arg(value, len) } {
            Ok(text) => {
                let text = text.to_string();
                config.update(|b| change(b, text))
            }
            Err(code) => code,
        }
    })
}

unsafe fn header(
    config: *mut sselink_config,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
    sensitive: bool,
) -> sselink_result {
    let config = try_ref!(config);
    // SAFETY: the caller promises both strings are valid for their lengths.
    let (name, value) = match unsafe { (str_arg(name, name_len), str_arg(value, value_len)) } {
        (Ok(name), Ok(value)) => (name.to_string(), value.to_string()),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    if let Err(error) = check_header(&name, &value) {
        return config.fail(&error);
    }
    config.update(|b| {
        if sensitive {
            b.sensitive_header(name, value)
        } else {
            b.header(name, value)
        }
    })
}

/// Adds a request header sent on every connect. A name that is not an HTTP
/// token, or a value with CR, LF or NUL, gives `SSELINK_RESULT_INVALID_CONFIG`.
/// `Authorization`, `Cookie` and `Proxy-Authorization` are never sent to
/// another origin after a redirect.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; each string must be valid
/// for reads of its length.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_header(
    config: *mut sselink_config,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    ffi_guard!(SSELINK_RESULT_PANIC, {
        unsafe { header(config, name, name_len, value, value_len, false) }
    })
}

/// Like `sselink_config_header`, for a header that carries a credential (an
/// API key): never sent to another origin after a redirect, never logged.
///
/// # Safety
///
/// As for `sselink_config_header`.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_sensitive_header(
    config: *mut sselink_config,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    ffi_guard!(SSELINK_RESULT_PANIC, {
        unsafe { header(config, name, name_len, value, value_len, true) }
    })
}

/// Appends a query parameter to the URL (percent-encoded by sselink).
///
/// # Safety
///
/// `config` must be NULL or a live configuration; each string must be valid
/// for reads of its length.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_query(
    config: *mut sselink_config,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        // SAFETY: the caller promises both strings are valid for their lengths.
        match unsafe { (str_arg(name, name_len), str_arg(value, value_len)) } {
            (Ok(name), Ok(value)) => {
                let (name, value) = (name.to_string(), value.to_string());
                config.update(|b| b.query(name, value))
            }
            (Err(code), _) | (_, Err(code)) => code,
        }
    })
}

/// Sets the method: `GET` by default; `POST`, `REPORT` or any HTTP token.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `value` must be valid for
/// reads of `value_len` bytes (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_method(
    config: *mut sselink_config,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe { set_string(config, value, value_len, |b, text| b.method(text)) }
}

/// Seeds the last event id, sent as `Last-Event-ID` on the first connect.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `value` must be valid for
/// reads of `value_len` bytes (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_last_event_id(
    config: *mut sselink_config,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe { set_string(config, value, value_len, |b, text| b.last_event_id(text)) }
}

/// Also sends the last event id as query parameter `value` on every
/// reconnect (such as `from_sequence_num`).
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `value` must be valid for
/// reads of `value_len` bytes (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_resume_query(
    config: *mut sselink_config,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe { set_string(config, value, value_len, |b, text| b.resume_query(text)) }
}

/// Sets the request body, sent again on every connect (copied).
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `body` must be valid for
/// reads of `body_len` bytes (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_body(
    config: *mut sselink_config,
    body: *const u8,
    body_len: usize,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        // SAFETY: the caller promises `body` is valid for `body_len` bytes.
        match unsafe { bytes_arg(body, body_len) } {
            Ok(body) => {
                let body = body.to_vec();
                config.update(|b| b.body(body))
            }
            Err(code) => code,
        }
    })
}

/// Trusts one more root certificate, PEM or DER (copied), in addition to the
/// bundled Mozilla roots. A certificate that does not parse is reported by
/// `sselink_connect`.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `certificate` must be
/// valid for reads of `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_root_certificate(
    config: *mut sselink_config,
    certificate: *const u8,
    len: usize,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        // SAFETY: the caller promises `certificate` is valid for `len` bytes.
        match unsafe { bytes_arg(certificate, len) } {
            Ok(bytes) if !bytes.is_empty() => {
                let bytes = bytes.to_vec();
                config.update(|b| b.root_certificate(bytes))
            }
            Ok(_) => SSELINK_RESULT_INVALID_ARGUMENT,
            Err(code) => code,
        }
    })
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Limit on resolving and connecting (TCP and TLS), in milliseconds.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_connect_timeout_ms(
    config: *mut sselink_config,
    ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.connect_timeout(millis(ms))) }
}

/// The idle timer in milliseconds: no byte for this long and the
/// connection is re-established. 0 waits forever.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_idle_timeout_ms(
    config: *mut sselink_config,
    ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.idle_timeout((ms > 0).then(|| millis(ms)))) }
}

/// Sets the reconnection time before the server sends `retry` and the cap of
/// the doubling delay, in milliseconds.
///
/// # Safety
///
/// `config` must be NULL or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_reconnect_delay_ms(
    config: *mut sselink_config,
    initial_ms: u64,
    max_ms: u64,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        config.update(|b| b.reconnect_delay(millis(initial_ms), millis(max_ms)))
    })
}

/// Sets the random extra added to each delay, as a fraction of it: 0 to 1
/// (default 0.5). Anything else gives `SSELINK_RESULT_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `config` must be NULL or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_jitter(
    config: *mut sselink_config,
    fraction: f64,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        if !(0.0..=1.0).contains(&fraction) {
            return SSELINK_RESULT_INVALID_ARGUMENT;
        }
        config.update(|b| b.map_reconnect(|r| r.jitter = fraction))
    })
}

/// Turns reconnecting on (the default, true) or off: off, the stream
/// closes when its first connection ends.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_reconnect(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.map_reconnect(|r| r.enabled = enabled)) }
}

/// Gives up after this many consecutive failed reconnect attempts.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_max_attempts(
    config: *mut sselink_config,
    attempts: u32,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.max_attempts(attempts)) }
}

/// Gives up when one outage lasts longer than this many milliseconds.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_time_budget_ms(
    config: *mut sselink_config,
    ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.time_budget(millis(ms))) }
}

/// A connection open this long, in milliseconds, resets the failure count
/// (default 60000; delivering an event does too).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_healthy_after_ms(
    config: *mut sselink_config,
    ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe {
        set(config, |b| {
            b.map_reconnect(|r| r.healthy_after = millis(ms))
        })
    }
}

/// Strict status policy (true): every non-2xx status closes the stream.
/// Default false: 408, 429 and 5xx are retried.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_strict_status(
    config: *mut sselink_config,
    strict: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.map_status_policy(|p| p.with_strict(strict))) }
}

/// Retries this HTTP status whatever the rest of the policy says.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_retry_status(
    config: *mut sselink_config,
    status: u16,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.map_status_policy(|p| p.retry(status))) }
}

/// Closes the stream on this HTTP status whatever the rest of the policy says.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_permanent_status(
    config: *mut sselink_config,
    status: u16,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.map_status_policy(|p| p.permanent(status))) }
}

/// How many redirects one connect follows (default 10; 0 follows none).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_max_redirects(
    config: *mut sselink_config,
    max: u32,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.max_redirects(max)) }
}

/// Sets the longest line and the largest event accepted, in bytes (default
/// 8 MiB and 16 MiB). 0 gives `SSELINK_RESULT_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `config` must be NULL or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_limits(
    config: *mut sselink_config,
    max_line_length: usize,
    max_event_size: usize,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        if max_line_length == 0 || max_event_size == 0 {
            return SSELINK_RESULT_INVALID_ARGUMENT;
        }
        config.update(|b| {
            b.limits(Limits {
                max_line_length,
                max_event_size,
            })
        })
    })
}

/// Sets how many items the channel holds (default 256) and what happens when
/// it is full: `SSELINK_OVERFLOW_BLOCK` (default), `SSELINK_OVERFLOW_DROP_OLDEST`
/// or `SSELINK_OVERFLOW_DROP_NEWEST` (given as its number). A capacity of 0
/// or an unknown policy gives `SSELINK_RESULT_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `config` must be NULL or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_channel(
    config: *mut sselink_config,
    capacity: usize,
    overflow: u32,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        let overflow = match overflow {
            0 => Overflow::Block,
            1 => Overflow::DropOldest,
            2 => Overflow::DropNewest,
            _ => return SSELINK_RESULT_INVALID_ARGUMENT,
        };
        if capacity == 0 {
            return SSELINK_RESULT_INVALID_ARGUMENT;
        }
        config.update(|b| b.capacity(capacity).overflow(overflow))
    })
}

/// What the reader does when the channel to the caller is full; pass the
/// number to `sselink_config_channel`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sselink_overflow {
    /// Wait for the caller: nothing is lost.
    SSELINK_OVERFLOW_BLOCK = 0,
    /// Never wait: a new item displaces the oldest queued one (dropped
    /// events are counted by `sselink_stream_dropped`; the closing event is
    /// never lost).
    SSELINK_OVERFLOW_DROP_OLDEST = 1,
    /// Never wait: a new event is dropped when the channel is full (counted
    /// by `sselink_stream_dropped`); lifecycle events displace the oldest.
    SSELINK_OVERFLOW_DROP_NEWEST = 2,
}

/// Delivers comment lines as `SSELINK_EVENT_KIND_COMMENT` events (default false).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_comments(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.comments(enabled)) }
}

/// Drops events whose numeric id was already delivered (for servers whose
/// ids are increasing sequence numbers). Default false.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_deduplicate_ids(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.deduplicate_ids(enabled)) }
}

/// Dispatches an unfinished event when a response ends (default false).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_dispatch_incomplete_at_eof(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.dispatch_incomplete_at_eof(enabled)) }
}

/// Verifies servers with the platform's certificate store instead of the
/// bundled roots (default false).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_platform_roots(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.platform_roots(enabled)) }
}
