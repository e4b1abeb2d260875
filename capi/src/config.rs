//! `sselink_config`: the stream options for C callers. Each setter has the
//! name of the Rust `Builder` setter it calls; durations are milliseconds.

use std::ffi::c_char;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use sselink_core::{Builder, Error, JitterShape, Overflow, Stream};

use super::{bytes_arg, copy_out, ffi_guard, sselink_result, str_arg, try_ref};

use sselink_result::*;

/// A stream configuration. Made by `sselink_config_new`, changed by the
/// `sselink_config_*` setters, used by any number of `sselink_stream_connect`
/// calls, released by `sselink_config_free`. Setters may be called from any
/// thread (they are serialized). A setter that fails leaves the
/// configuration as it was and says why in `sselink_config_error`.
pub struct sselink_config {
    builder: Mutex<Builder>,
    /// The message of the last call with this configuration; empty after a
    /// call that succeeded.
    error: Mutex<String>,
}

impl sselink_config {
    /// A copy of the builder, for connecting.
    pub(crate) fn builder(&self) -> Builder {
        self.builder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records the outcome of a call for `sselink_config_error`: `message`,
    /// or nothing on success.
    pub(crate) fn record(&self, code: sselink_result, message: &str) -> sselink_result {
        let mut slot = self.error.lock().unwrap_or_else(PoisonError::into_inner);
        slot.clear();
        slot.push_str(message);
        code
    }

    /// Records `error` and returns its code.
    pub(crate) fn fail(&self, error: &Error) -> sselink_result {
        self.record(sselink_result::of(error), &error.to_string())
    }

    /// Applies `change` to a copy of the builder and keeps the copy only when
    /// the setter accepted its value: a failing setter, or a panic inside
    /// one, leaves the configuration as it was.
    ///
    /// The builder left over (the old one, or the refused copy) is dropped
    /// after the lock is released: dropping it may run a header provider's
    /// `release`, which may call this configuration's setters.
    pub(crate) fn update(&self, change: impl FnOnce(Builder) -> Builder) -> sselink_result {
        let mut builder = self.builder.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = change(builder.clone());
        if let Some(error) = changed.error() {
            let (code, message) = (sselink_result::of(error), error.to_string());
            drop(builder);
            drop(changed);
            return self.record(code, &message);
        }
        let replaced = std::mem::replace(&mut *builder, changed);
        drop(builder);
        drop(replaced);
        self.record(SSELINK_RESULT_OK, "")
    }

    /// Records a failure of the arguments themselves (NULL, not UTF-8).
    fn bad_argument(&self, code: sselink_result, what: &str) -> sselink_result {
        let message = match code {
            SSELINK_RESULT_NULL_ARGUMENT => format!("{what} is NULL with a nonzero length"),
            _ => format!("{what} is out of range or not UTF-8"),
        };
        self.record(code, &message)
    }
}

/// Creates a configuration for the stream at `url` (`url_len` bytes of
/// UTF-8, no NUL needed) with every default of the Rust API (see each
/// setter). On success writes it to `*out`; free it with
/// `sselink_config_free`. A URL that does not parse, or is not http or
/// https, gives `SSELINK_RESULT_INVALID_CONFIG` and no configuration;
/// `sselink_config_url_error` says why.
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
        let builder = Stream::builder(url);
        if let Some(error) = builder.error() {
            return sselink_result::of(error);
        }
        let config = Box::new(sselink_config {
            builder: Mutex::new(builder),
            error: Mutex::new(String::new()),
        });
        // SAFETY: `out` is non-NULL and the caller promises it is writable.
        unsafe { out.write(Box::into_raw(config)) };
        SSELINK_RESULT_OK
    })
}

/// Copies why `sselink_config_new` refuses `url` (`url_len` bytes) into
/// `buffer`, NUL-terminated, and its length without the NUL into `*len`: the
/// message the Rust API gives, such as "URL `http://` does not parse (empty
/// host)". The message is empty for a URL
/// `sselink_config_new` accepts. With `SSELINK_RESULT_BUFFER_TOO_SMALL`,
/// `*len` is the length needed and `buffer` is untouched: pass NULL and 0 to
/// ask for the length.
///
/// # Safety
///
/// `url` must be valid for reads of `url_len` bytes (NULL allowed with length
/// 0); `buffer` must be NULL or valid for writes of `capacity` bytes; `len`
/// must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_url_error(
    url: *const c_char,
    url_len: usize,
    buffer: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        // SAFETY: the caller promises `url` is valid for `url_len` bytes.
        let message = match unsafe { str_arg(url, url_len) } {
            Ok(url) => Stream::builder(url)
                .error()
                .map_or_else(String::new, Error::to_string),
            Err(SSELINK_RESULT_NULL_ARGUMENT) => "the URL is NULL with a nonzero length".into(),
            Err(_) => "the URL is not UTF-8".into(),
        };
        // SAFETY: forwarded with the caller's promises about buffer and len.
        unsafe { copy_out(message.as_bytes(), buffer, capacity, len) }
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

/// Copies the message of the last call with `config` (a setter or
/// `sselink_stream_connect`) into `buffer`, NUL-terminated, and its length
/// without the NUL into `*len`. The message is empty after a call that
/// succeeded, so it always belongs to the last call; with setters called
/// from several threads at once, "last" is whichever finished last. With
/// `SSELINK_RESULT_BUFFER_TOO_SMALL`, `*len` is the length needed and
/// `buffer` is untouched: pass NULL and 0 to ask for the length.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `buffer` must be NULL or
/// valid for writes of `capacity` bytes; `len` must be NULL or valid for a
/// write.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_error(
    config: *const sselink_config,
    buffer: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        let message = config.error.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: forwarded with the caller's promises about buffer and len.
        unsafe { copy_out(message.as_bytes(), buffer, capacity, len) }
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
    change: impl FnOnce(Builder, &str) -> Builder,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        // SAFETY: the caller promises `value` is valid for `len` bytes.
        match unsafe { str_arg(value, len) } {
            Ok(text) => config.update(|b| change(b, text)),
            Err(code) => config.bad_argument(code, "the string"),
        }
    })
}

/// Applies `change` with two strings, a name and a value.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; each string must be valid
/// for reads of its length (NULL allowed with length 0).
unsafe fn set_pair(
    config: *mut sselink_config,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
    change: impl FnOnce(Builder, &str, &str) -> Builder,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        // SAFETY: the caller promises both strings are valid for their lengths.
        match unsafe { (str_arg(name, name_len), str_arg(value, value_len)) } {
            (Ok(name), Ok(value)) => config.update(|b| change(b, name, value)),
            (Err(code), _) => config.bad_argument(code, "the name"),
            (_, Err(code)) => config.bad_argument(code, "the value"),
        }
    })
}

/// Applies `change` with the bytes at `bytes` (`len` of them).
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `bytes` must be valid for
/// reads of `len` bytes (NULL allowed with length 0).
unsafe fn set_bytes(
    config: *mut sselink_config,
    bytes: *const u8,
    len: usize,
    change: impl FnOnce(Builder, &[u8]) -> Builder,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        // SAFETY: the caller promises `bytes` is valid for `len` bytes.
        match unsafe { bytes_arg(bytes, len) } {
            Ok(bytes) => config.update(|b| change(b, bytes)),
            Err(code) => config.bad_argument(code, "the bytes"),
        }
    })
}

fn millis(value: u64) -> Duration {
    Duration::from_millis(value)
}

/// Adds a request header sent on every connect. A name that is not an HTTP
/// token, a value with a control character, or a header that frames the
/// request (`Content-Length`, `Transfer-Encoding`, `Host`, `Connection` and
/// the like) gives `SSELINK_RESULT_INVALID_CONFIG`, as does a header over
/// 64 KiB; connecting refuses a request head (URL and headers) over 64 KiB.
/// A caller's `Accept` or `Cache-Control` replaces sselink's.
/// `Authorization`, `Cookie` and `Proxy-Authorization` are never sent to
/// another origin after a redirect.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; each string must be valid
/// for reads of its length (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_header(
    config: *mut sselink_config,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe {
        set_pair(
            config,
            name,
            name_len,
            value,
            value_len,
            |b, name, value| b.header(name, value),
        )
    }
}

/// Like `sselink_config_header`, for a header that carries a credential (an
/// API key): never sent to another origin after a redirect, never logged.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; each string must be valid
/// for reads of its length (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_sensitive_header(
    config: *mut sselink_config,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe {
        set_pair(
            config,
            name,
            name_len,
            value,
            value_len,
            |b, name, value| b.sensitive_header(name, value),
        )
    }
}

/// Appends a query parameter to the URL (percent-encoded by sselink).
///
/// # Safety
///
/// `config` must be NULL or a live configuration; each string must be valid
/// for reads of its length (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_query(
    config: *mut sselink_config,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe {
        set_pair(
            config,
            name,
            name_len,
            value,
            value_len,
            |b, name, value| b.query(name, value),
        )
    }
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

/// Sets the request body, sent again on every connect (copied). Default none.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `bytes` must be valid for
/// reads of `bytes_len` bytes (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_body(
    config: *mut sselink_config,
    bytes: *const u8,
    bytes_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe { set_bytes(config, bytes, bytes_len, |b, bytes| b.body(bytes)) }
}

/// Seeds the last event id, sent as `Last-Event-ID` on the first connect.
/// A control character gives `SSELINK_RESULT_INVALID_CONFIG`.
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

/// Also sends the last event id as query parameter `value` on every connect
/// that has one (such as `from_sequence_num`). Default none.
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

/// Limit on resolving and connecting (TCP and TLS), and on each write of the
/// request (a server that takes no byte of it for this long fails the
/// attempt), in milliseconds: from 1 to a year; default 10000.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_connect_timeout(
    config: *mut sselink_config,
    ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.connect_timeout(millis(ms))) }
}

/// The idle timer in milliseconds: when no byte arrives for this long, the
/// connection is treated as dead and re-established. 0 turns it off; at most
/// a year; default 45000.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_idle_timeout(
    config: *mut sselink_config,
    ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.idle_timeout(Some(millis(ms)))) }
}

/// Turns reconnecting on (true, the default) or off: off, the stream
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
    unsafe { set(config, |b| b.reconnect(enabled)) }
}

/// Sets the initial reconnection time and the cap of the doubling delay, in
/// milliseconds (default 1000 and 30000; each at most a year).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_reconnect_delay(
    config: *mut sselink_config,
    initial_ms: u64,
    max_ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe {
        set(config, |b| {
            b.reconnect_delay(millis(initial_ms), millis(max_ms))
        })
    }
}

/// Random extra of up to this fraction of each delay: from 0 to 1; default
/// 0.5. NaN or a value outside gives `SSELINK_RESULT_INVALID_CONFIG`.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_jitter(
    config: *mut sselink_config,
    fraction: f64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.jitter(fraction)) }
}

/// Gives up when this many reconnect attempts in a row have failed; 0 (the
/// default) never gives up. The failed connect or dropped connection that
/// starts an outage is not counted, so a server that never answers is tried
/// 1 + `attempts` times.
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

/// Gives up when one outage lasts longer than this many milliseconds; 0
/// (the default) never gives up.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_time_budget(
    config: *mut sselink_config,
    ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.time_budget(millis(ms))) }
}

/// A connection open this many milliseconds resets the failure count
/// (default 60000; delivering an event does too).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_healthy_after(
    config: *mut sselink_config,
    ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.healthy_after(millis(ms))) }
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
    unsafe { set(config, |b| b.strict_status(strict)) }
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
    unsafe { set(config, |b| b.retry_status(status)) }
}

/// Closes the stream on this HTTP status whatever the rest of the policy
/// says.
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
    unsafe { set(config, |b| b.permanent_status(status)) }
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

/// Follows a redirect from an `https` URL to an `http` one (true). Default
/// false: such a redirect closes the stream with `SSELINK_RESULT_REDIRECT`,
/// since following it would send the request and the stream in clear text.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_insecure_redirects(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.insecure_redirects(enabled)) }
}

/// The longest line accepted, in bytes (default 16 MiB; at least 1).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_max_line_length(
    config: *mut sselink_config,
    bytes: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.max_line_length(bytes)) }
}

/// The largest event accepted, in bytes: data as dispatched, type and id
/// together (default 16 MiB; at least 1).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_max_event_size(
    config: *mut sselink_config,
    bytes: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.max_event_size(bytes)) }
}

/// How many events and comments the channel to the caller holds: from 1 to
/// 65536; default 256. Lifecycle items take no place of it: up to 64 wait
/// apart, and past that the reader waits for the caller under every
/// overflow policy.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_capacity(
    config: *mut sselink_config,
    items: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.capacity(items)) }
}

/// The most bytes of events and comments the channel holds (default 64 MiB;
/// at least 1). With `sselink_config_capacity` it bounds a slow consumer's
/// memory; whichever bound is reached first makes the channel full.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_max_queued_bytes(
    config: *mut sselink_config,
    bytes: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.max_queued_bytes(bytes)) }
}

/// What the reader does when the channel is full:
/// `SSELINK_OVERFLOW_BLOCK` (the default), `SSELINK_OVERFLOW_DROP_OLDEST` or
/// `SSELINK_OVERFLOW_DROP_NEWEST`, given as its number. Another number gives
/// `SSELINK_RESULT_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_overflow(
    config: *mut sselink_config,
    overflow: u32,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        let overflow = match overflow {
            0 => Overflow::Block,
            1 => Overflow::DropOldest,
            2 => Overflow::DropNewest,
            _ => {
                return config.bad_argument(SSELINK_RESULT_INVALID_ARGUMENT, "the overflow policy")
            }
        };
        config.update(|b| b.overflow(overflow))
    })
}

/// What the reader does when the channel to the caller is full; pass the
/// number to `sselink_config_overflow`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sselink_overflow {
    /// Wait for the caller: nothing is lost.
    SSELINK_OVERFLOW_BLOCK = 0,
    /// Never wait for room for an event or comment: a new one displaces the
    /// oldest queued event or comment (itself when none is queued), counted
    /// by `sselink_stream_dropped`. Lifecycle items and the closing item are
    /// never dropped; a dropped event's id still counts for
    /// `sselink_stream_last_event_id`.
    SSELINK_OVERFLOW_DROP_OLDEST = 1,
    /// Never wait for room for an event or comment: a new one that finds the
    /// channel full is dropped, counted by `sselink_stream_dropped`.
    /// Lifecycle items and the closing item are never dropped; a dropped
    /// event's id still counts for `sselink_stream_last_event_id`.
    SSELINK_OVERFLOW_DROP_NEWEST = 2,
}

/// How the jitter applies: `SSELINK_JITTER_SHAPE_ADD` (the default, which
/// only ever lengthens a delay), `SSELINK_JITTER_SHAPE_SCALE` (shortens each
/// delay by up to the jitter fraction) or `SSELINK_JITTER_SHAPE_AROUND`
/// (spreads it both ways after the cap), given as its number; the last two
/// may wait less than the server's `retry`. Another number gives
/// `SSELINK_RESULT_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_jitter_shape(
    config: *mut sselink_config,
    shape: u32,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        let shape = match shape {
            0 => JitterShape::Add,
            1 => JitterShape::Scale,
            2 => JitterShape::Around,
            _ => return config.bad_argument(SSELINK_RESULT_INVALID_ARGUMENT, "the jitter shape"),
        };
        config.update(|b| b.jitter_shape(shape))
    })
}

/// How the jitter applies; pass the number to `sselink_config_jitter_shape`.
/// The Rust `JitterShape` of the same name.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sselink_jitter_shape {
    /// Adds up to `jitter` times the delay; never undercuts the server's retry.
    SSELINK_JITTER_SHAPE_ADD = 0,
    /// Multiplies by `1 - jitter + jitter * u` (a random `u` in [0, 1)),
    /// then caps: never longer than the doubling delay; may undercut the
    /// server's retry.
    SSELINK_JITTER_SHAPE_SCALE = 1,
    /// Adds `jitter * (2u - 1)` times the delay after the cap: plus or minus
    /// `jitter`; may undercut the server's retry and exceed the cap.
    SSELINK_JITTER_SHAPE_AROUND = 2,
}

/// Resets the failure count as soon as a connection opens (true): a server
/// that accepts each connection and then drops it is retried after the
/// first delay every time. Default false: the count resets only after a
/// healthy period or an event.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_reset_on_open(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.reset_on_open(enabled)) }
}

/// Uses the server's `retry` field as the reconnection time (default true);
/// false ignores it, and the delays follow `sselink_config_reconnect_delay`
/// alone.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_server_retry(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.server_retry(enabled)) }
}

/// Retries every non-2xx status except the permanent ones given with
/// `sselink_config_permanent_status` (and 204, which closes). Default
/// false.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_retry_all_statuses(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.retry_all_statuses(enabled)) }
}

/// Accepts any 2xx response as an event stream, whatever its Content-Type.
/// Default false.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_any_content_type(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.any_content_type(enabled)) }
}

/// Resumes from the highest numeric id seen instead of the last, for
/// servers whose ids are sequence numbers: an older id arriving late never
/// moves the resume point back. Default false.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_resume_from_highest_id(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.resume_from_highest_id(enabled)) }
}

/// Delivers only events of this type (call again for more types); the rest
/// never cross the channel. Default: every type.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `value` must be valid for
/// reads of `value_len` bytes (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_filter_event_type(
    config: *mut sselink_config,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe {
        set_string(config, value, value_len, |b, text| {
            b.filter_event_type(text)
        })
    }
}

/// Where `sselink_stream_post` sends: by default the stream URL without a
/// trailing `/stream`.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `value` must be valid for
/// reads of `value_len` bytes (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_post_url(
    config: *mut sselink_config,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe { set_string(config, value, value_len, |b, text| b.post_url(text)) }
}

/// How many attempts a post makes at most (default 10; at least 1).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_post_attempts(
    config: *mut sselink_config,
    attempts: u32,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.post_attempts(attempts)) }
}

/// The first delay between post attempts and its cap, in milliseconds
/// (default 500 and 8000).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_post_delay(
    config: *mut sselink_config,
    initial_ms: u64,
    max_ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.post_delay(millis(initial_ms), millis(max_ms))) }
}

/// How long a post may take, all attempts included, in milliseconds
/// (default 60000; more than zero).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_post_timeout(
    config: *mut sselink_config,
    ms: u64,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.post_timeout(millis(ms))) }
}

/// Delivers comment lines as `SSELINK_ITEM_KIND_COMMENT` items (default
/// false).
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

/// Drops an event whose own numeric id was already delivered (for servers
/// whose ids are increasing sequence numbers). Default false.
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

/// Dispatches an unfinished event when a response ends cleanly (default
/// false).
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

/// Trusts one more root certificate, PEM or DER (copied), in addition to the
/// bundled Mozilla roots. A certificate that does not parse, or empty bytes,
/// gives `SSELINK_RESULT_INVALID_CONFIG`.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `bytes` must be valid for
/// reads of `bytes_len` bytes (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_root_certificate(
    config: *mut sselink_config,
    bytes: *const u8,
    bytes_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe {
        set_bytes(config, bytes, bytes_len, |b, bytes| {
            b.root_certificate(bytes)
        })
    }
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

/// Retries TLS failures met while connecting (true) like network errors.
/// Default false: an untrusted, expired or wrong-name certificate, a client
/// certificate the server refuses, or a handshake without a common protocol
/// closes the stream with `SSELINK_RESULT_TLS` (and ends a post with it), as
/// in curl and browsers, since retrying changes nothing until the
/// certificate or the trusted roots are fixed. A fault the server reports on
/// its own side (an internal_error alert) is retried either way.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_retry_tls_errors(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.retry_tls_errors(enabled)) }
}

/// Connects through the proxy at `value`: `http://[user:password@]host:port`,
/// `https://...` (never shown the client certificate), `socks5://`,
/// `socks5h://`, `socks4://` or `socks4a://`; credentials go to the proxy
/// alone and are never logged. Without it the environment decides
/// (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`; `HTTP_PROXY` not when
/// `REQUEST_METHOD` is set, as in a CGI program).
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `value` must be valid for
/// reads of `value_len` bytes (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_proxy(
    config: *mut sselink_config,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe { set_string(config, value, value_len, |b, text| b.proxy(text)) }
}

/// Hosts that bypass the proxy, comma-separated as `NO_PROXY` is, matched as
/// curl matches them (a name covers the names below it; IP networks as
/// `127.0.0.0/8`); replaces `NO_PROXY`. `*` turns every proxy off, the
/// environment's included.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `value` must be valid for
/// reads of `value_len` bytes (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_no_proxy(
    config: *mut sselink_config,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promises.
    unsafe { set_string(config, value, value_len, |b, text| b.no_proxy(text)) }
}

/// Asks for a gzip-compressed response and decodes it as it arrives
/// (default false); each event still comes as soon as the server flushes it.
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_compressed(
    config: *mut sselink_config,
    enabled: bool,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.compressed(enabled)) }
}

/// Presents a client certificate (mutual TLS) to servers, never to a proxy:
/// `chain` is the certificate and any intermediates as PEM, or one DER
/// certificate; `key` its private key as PEM or DER. Either not parsing, a
/// key that is not a usable RSA, ECDSA or Ed25519 key, or a key that does
/// not belong to the certificate gives `SSELINK_RESULT_INVALID_CONFIG`. The
/// key is parsed once; the library's copies of `key` are overwritten with
/// zeros, and the caller may wipe its own buffer once this returns.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `chain` and `key` must be
/// valid for reads of their lengths (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_client_certificate(
    config: *mut sselink_config,
    chain: *const u8,
    chain_len: usize,
    key: *const u8,
    key_len: usize,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        // SAFETY: the caller promises both are valid for their lengths.
        match unsafe { (bytes_arg(chain, chain_len), bytes_arg(key, key_len)) } {
            (Ok(chain), Ok(key)) => config.update(|b| b.client_certificate(chain, key)),
            (Err(code), _) => config.bad_argument(code, "the certificate chain"),
            (_, Err(code)) => config.bad_argument(code, "the key"),
        }
    })
}

/// The stack size of each stream's reader thread, in bytes: 0 (the
/// default) for the system's default, otherwise from 65536 (64 KiB) to
/// 1073741824 (1 GiB).
///
/// # Safety
///
/// `config` must be NULL (giving `SSELINK_RESULT_NULL_ARGUMENT`) or a live
/// configuration.
#[no_mangle]
pub unsafe extern "C" fn sselink_config_reader_stack_size(
    config: *mut sselink_config,
    bytes: usize,
) -> sselink_result {
    // SAFETY: forwarded with the caller's promise about `config`.
    unsafe { set(config, |b| b.reader_stack_size(bytes)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_config(url: &str) -> *mut sselink_config {
        let mut config = std::ptr::null_mut();
        // SAFETY: `url` is valid for its length and `config` is writable.
        let result = unsafe { sselink_config_new(url.as_ptr().cast(), url.len(), &mut config) };
        assert_eq!(result, SSELINK_RESULT_OK);
        config
    }

    #[test]
    fn a_refused_url_says_why_in_the_rust_words() {
        let mut buffer = [0 as c_char; 256];
        let mut len = 0;
        let url = "http://";
        // SAFETY: every pointer is valid for its length.
        let result = unsafe {
            sselink_config_url_error(
                url.as_ptr().cast(),
                url.len(),
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut len,
            )
        };
        assert_eq!(result, SSELINK_RESULT_OK);
        // SAFETY: sselink_config_url_error NUL-terminated it.
        let text = unsafe { std::ffi::CStr::from_ptr(buffer.as_ptr()) };
        assert!(text.to_str().unwrap().contains("empty host"), "{text:?}");
        assert_eq!(text.to_bytes().len(), len);
    }

    #[test]
    fn a_panic_inside_a_setter_leaves_the_configuration_as_it_was() {
        let config = new_config("http://127.0.0.1:1/kept");
        // SAFETY: `config` is live.
        let result = unsafe { set(config, |_| panic!("a setter bug")) };
        assert_eq!(result, SSELINK_RESULT_PANIC);
        // SAFETY: `config` is live.
        let builder = unsafe { &*config }.builder();
        let shown = format!("{builder:?}");
        assert!(shown.contains("127.0.0.1:1/kept"), "{shown}");
        assert!(builder.error().is_none());
        // SAFETY: `config` is live.
        assert_eq!(
            unsafe { sselink_config_capacity(config, 5) },
            SSELINK_RESULT_OK
        );
        // SAFETY: `config` came from sselink_config_new and is freed once.
        unsafe { sselink_config_free(config) };
    }
}
