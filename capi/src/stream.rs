//! `sselink_stream`: connect, poll, close, and the questions a caller asks.

use std::ffi::c_char;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use sselink_core::{CloseReason, Item, RecvTimeoutError, State, Stream, TryRecvError};

use super::item::{sselink_item, ItemBuffers};
use super::{copy_out, ffi_guard, sselink_config, sselink_result, sselink_str, str_arg, try_ref};

use sselink_result::*;

/// A live stream: one reader thread and its channel. Made by
/// `sselink_stream_connect`, released by `sselink_stream_free`.
///
/// Threads: `sselink_stream_close`, `sselink_stream_close_and_wait`,
/// `sselink_stream_restart`, `sselink_stream_state`,
/// `sselink_stream_last_event_id` and `sselink_stream_dropped` may be called
/// from any thread at any time before `sselink_stream_free`, also while
/// another thread is blocked in `sselink_stream_poll`. Polls of one stream
/// from several threads are serialized (a poll with timeout 0 waits for a
/// poll in progress on another thread), and an item's strings are valid only
/// until the next poll of that stream, so poll each stream from one thread
/// at a time.
pub struct sselink_stream {
    stream: Stream,
    /// The strings of the last polled item; held during a poll.
    buffers: Mutex<ItemBuffers>,
}

impl sselink_stream {
    /// The Rust stream behind the handle.
    pub(crate) fn stream(&self) -> &Stream {
        &self.stream
    }

    /// The buffers of the last polled item; waits for a poll in progress.
    fn buffers(&self) -> std::sync::MutexGuard<'_, ItemBuffers> {
        self.buffers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where a stream is now; the Rust `State` of the same name.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sselink_state {
    /// Making the first connection (or the first after a restart).
    SSELINK_STATE_CONNECTING = 0,
    /// Connected: events flow.
    SSELINK_STATE_OPEN = 1,
    /// Waiting to reconnect, or reconnecting, after a failure.
    SSELINK_STATE_RECONNECTING = 2,
    /// Finished.
    SSELINK_STATE_CLOSED = 3,
}

/// Checks `config` and starts a stream: returns at once, the connection is
/// made in the background and its progress arrives through
/// `sselink_stream_poll`. `config` is only read; it can be freed or reused
/// right after.
///
/// On success writes the new stream to `*out`. Otherwise `*out` is not
/// touched and `sselink_config_error(config, ...)` says what is wrong:
/// `SSELINK_RESULT_INVALID_CONFIG` for options that cannot work together,
/// `SSELINK_RESULT_RESOURCE` when the system refuses a thread.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `out` must be NULL or
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_connect(
    config: *const sselink_config,
    out: *mut *mut sselink_stream,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        if out.is_null() {
            return SSELINK_RESULT_NULL_ARGUMENT;
        }
        match config.builder().connect() {
            Ok(stream) => {
                let handle = Box::new(sselink_stream {
                    stream,
                    buffers: Mutex::new(ItemBuffers::default()),
                });
                // SAFETY: `out` is non-NULL and the caller promises it is writable.
                unsafe { out.write(Box::into_raw(handle)) };
                config.record(SSELINK_RESULT_OK, "")
            }
            Err(error) => config.fail(&error),
        }
    })
}

/// Waits for the next item of `stream` and fills `*out` with it.
///
/// `timeout_ms`: negative waits as long as it takes, 0 only looks (but waits
/// for a poll in progress on another thread), positive waits up to that many
/// milliseconds.
///
/// Returns `SSELINK_RESULT_OK` with `*out` filled (see `sselink_item_kind`;
/// the stream's last item is a `SSELINK_ITEM_KIND_CLOSED` item unless the
/// caller closed it), `SSELINK_RESULT_TIMEOUT` when nothing arrived in time,
/// or `SSELINK_RESULT_CLOSED` once the stream is finished: after its closing
/// item, or as soon as `sselink_stream_close` is called, from any thread,
/// also while this poll is waiting. `*out` is written only with
/// `SSELINK_RESULT_OK`; its strings stay valid until the next poll of this
/// stream or `sselink_stream_free`.
///
/// # Safety
///
/// `stream` must be NULL or a live stream (not freed, and not freed by
/// another thread during this call); `out` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_poll(
    stream: *mut sselink_stream,
    timeout_ms: i32,
    out: *mut sselink_item,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let handle = try_ref!(stream);
        if out.is_null() {
            return SSELINK_RESULT_NULL_ARGUMENT;
        }
        let mut buffers = handle
            .buffers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let item = match timeout_ms {
            t if t < 0 => handle.stream.recv().map_err(|_| SSELINK_RESULT_CLOSED),
            0 => handle.stream.try_recv().map_err(|e| match e {
                TryRecvError::Empty => SSELINK_RESULT_TIMEOUT,
                TryRecvError::Closed => SSELINK_RESULT_CLOSED,
            }),
            t => handle
                .stream
                .recv_timeout(Duration::from_millis(t.unsigned_abs().into()))
                .map_err(|e| match e {
                    RecvTimeoutError::Timeout => SSELINK_RESULT_TIMEOUT,
                    RecvTimeoutError::Closed => SSELINK_RESULT_CLOSED,
                }),
        };
        match item {
            Ok(Item::Closed(CloseReason::Caller)) => SSELINK_RESULT_CLOSED,
            Ok(item) => {
                let filled = buffers.fill(item);
                // SAFETY: `out` is non-NULL and the caller promises it is writable.
                unsafe { out.write(filled) };
                SSELINK_RESULT_OK
            }
            Err(code) => code,
        }
    })
}

/// Closes `stream`: returns at once, from any thread, also while another
/// thread is blocked in `sselink_stream_poll` (that poll returns
/// `SSELINK_RESULT_CLOSED`). The connection is shut down (the server sees it
/// closed), no request follows, no item is delivered after this returns.
/// Closing twice, or a NULL stream, does nothing. The handle stays valid
/// until `sselink_stream_free`. The reader thread may still be finishing a
/// TCP connect (bounded by the connect timeout) or a header provider call;
/// `sselink_stream_close_and_wait` waits for it.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_close(stream: *mut sselink_stream) {
    ffi_guard!((), {
        // SAFETY: the caller promises a non-NULL `stream` is live.
        if let Some(handle) = unsafe { stream.as_ref() } {
            handle.stream.close();
        }
    })
}

/// Closes `stream` as `sselink_stream_close` does, then waits up to
/// `timeout_ms` milliseconds (negative: as long as it takes) for its reader
/// thread to exit: `SSELINK_RESULT_OK` when it has, `SSELINK_RESULT_TIMEOUT`
/// when it is still inside a TCP connect or a header provider call. Use it
/// before unloading the library or exiting under a leak checker.
///
/// Called on the stream's own reader thread (from a log callback or the
/// header provider), it closes and returns `SSELINK_RESULT_TIMEOUT` at once
/// whatever `timeout_ms` says: a thread cannot wait for itself to exit. The
/// reader exits when the callback returns.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_close_and_wait(
    stream: *mut sselink_stream,
    timeout_ms: i32,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let handle = try_ref!(stream);
        let timeout = match u64::try_from(timeout_ms) {
            Ok(ms) => Duration::from_millis(ms),
            Err(_) => sselink_core::MAX_DURATION,
        };
        if handle.stream.close_and_wait(timeout) {
            SSELINK_RESULT_OK
        } else {
            SSELINK_RESULT_TIMEOUT
        }
    })
}

/// Closes `stream` if it is not closed and releases it. Call it exactly once
/// per stream, when no other thread uses it any more; NULL is ignored. The
/// strings of its items are invalid afterwards. It does not wait for the
/// reader thread, so a callback on that thread may call it.
///
/// # Safety
///
/// `stream` must be NULL or come from `sselink_stream_connect`, not be freed
/// already, and not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_free(stream: *mut sselink_stream) {
    ffi_guard!((), {
        if !stream.is_null() {
            // SAFETY: the caller promises `stream` came from Box::into_raw in
            // sselink_stream_connect, is freed once, and is no longer shared.
            drop(unsafe { Box::from_raw(stream) });
        }
    })
}

/// Drops the current connection and reconnects at once with the last event
/// id (also cutting a backoff wait short). Any thread. Items already
/// received stay queued: nothing is lost or repeated. Returns
/// `SSELINK_RESULT_CLOSED`, doing nothing, when the stream is finished.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_restart(stream: *mut sselink_stream) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let handle = try_ref!(stream);
        if handle.stream.restart() {
            SSELINK_RESULT_OK
        } else {
            SSELINK_RESULT_CLOSED
        }
    })
}

/// The state of `stream`, from any thread; `SSELINK_STATE_CLOSED` for NULL.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_state(stream: *const sselink_stream) -> sselink_state {
    ffi_guard!(sselink_state::SSELINK_STATE_CLOSED, {
        // SAFETY: the caller promises a non-NULL `stream` is live.
        match unsafe { stream.as_ref() }.map(|h| h.stream.state()) {
            Some(State::Connecting) => sselink_state::SSELINK_STATE_CONNECTING,
            Some(State::Open) => sselink_state::SSELINK_STATE_OPEN,
            Some(State::Reconnecting) => sselink_state::SSELINK_STATE_RECONNECTING,
            Some(State::Closed) | None => sselink_state::SSELINK_STATE_CLOSED,
        }
    })
}

/// Events dropped so far by a drop-oldest or drop-newest overflow policy; 0
/// for NULL.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_dropped(stream: *const sselink_stream) -> u64 {
    ffi_guard!(0, {
        // SAFETY: the caller promises a non-NULL `stream` is live.
        unsafe { stream.as_ref() }.map_or(0, |h| h.stream.dropped())
    })
}

/// The bytes of the events and comments waiting in the stream's channel;
/// 0 for NULL. Any thread.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_queued_bytes(stream: *const sselink_stream) -> usize {
    ffi_guard!(0, {
        // SAFETY: the caller promises a non-NULL `stream` is live.
        unsafe { stream.as_ref() }.map_or(0, |h| h.stream.queued_bytes())
    })
}

/// Writes to `*fd` a file descriptor that is readable while `stream` has
/// items waiting (made on the first call; later calls give the same one), for
/// waiting on many streams with poll, epoll, kqueue or an event loop instead
/// of a blocked thread each. When it is readable, call `sselink_stream_poll`
/// with timeout 0 until it returns `SSELINK_RESULT_TIMEOUT` (or
/// `SSELINK_RESULT_CLOSED`): that makes it unreadable until the next item.
/// It is also readable once the stream is finished or closed. sselink owns
/// it: never read from it or close it; it stays valid until
/// `sselink_stream_free`. Returns `SSELINK_RESULT_RESOURCE` when the system
/// refuses a socket pair.
///
/// # Safety
///
/// `stream` must be NULL or a live stream; `fd` must be NULL or valid for a
/// write.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_fd(
    stream: *const sselink_stream,
    fd: *mut std::ffi::c_int,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let handle = try_ref!(stream);
        if fd.is_null() {
            return SSELINK_RESULT_NULL_ARGUMENT;
        }
        match handle.stream.readiness() {
            Ok(readiness) => {
                use std::os::fd::AsRawFd;
                // SAFETY: `fd` is non-NULL and the caller promises it is writable.
                unsafe { fd.write(readiness.as_raw_fd()) };
                SSELINK_RESULT_OK
            }
            Err(_) => SSELINK_RESULT_RESOURCE,
        }
    })
}

/// The number of response headers the item last polled from `stream`
/// carries: an OPEN item's, or those of the failed response behind a
/// RETRYING or CLOSED item with an `http_status`. 0 otherwise, and for NULL.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_item_header_count(stream: *const sselink_stream) -> usize {
    ffi_guard!(0, {
        // SAFETY: the caller promises a non-NULL `stream` is live.
        unsafe { stream.as_ref() }.map_or(0, |h| h.buffers().header_count())
    })
}

/// Writes the name (lowercase) and value of header `index` of the item last
/// polled from `stream` (see `sselink_stream_item_header_count`). The views
/// stay valid until the next poll of `stream`. Returns
/// `SSELINK_RESULT_INVALID_ARGUMENT` for an index past the last header.
///
/// # Safety
///
/// `stream` must be NULL or a live stream; `name` and `value` must be NULL
/// or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_item_header(
    stream: *const sselink_stream,
    index: usize,
    name: *mut sselink_str,
    value: *mut sselink_str,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let handle = try_ref!(stream);
        if name.is_null() || value.is_null() {
            return SSELINK_RESULT_NULL_ARGUMENT;
        }
        match handle.buffers().header_at(index) {
            Some((n, v)) => {
                // SAFETY: both are non-NULL and the caller promises they are writable.
                unsafe {
                    name.write(n);
                    value.write(v);
                }
                SSELINK_RESULT_OK
            }
            None => SSELINK_RESULT_INVALID_ARGUMENT,
        }
    })
}

/// Writes the value of the header named `name` (case-insensitive; the first
/// if several) of the item last polled from `stream`, valid until the next
/// poll. Returns `SSELINK_RESULT_INVALID_ARGUMENT` when there is none.
///
/// # Safety
///
/// `stream` must be NULL or a live stream; `name` must be valid for reads of
/// `name_len` bytes; `value` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_item_header_value(
    stream: *const sselink_stream,
    name: *const c_char,
    name_len: usize,
    value: *mut sselink_str,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let handle = try_ref!(stream);
        if value.is_null() {
            return SSELINK_RESULT_NULL_ARGUMENT;
        }
        // SAFETY: the caller promises `name` is valid for `name_len` bytes.
        let name = match unsafe { str_arg(name, name_len) } {
            Ok(name) => name,
            Err(code) => return code,
        };
        match handle.buffers().header_value(name) {
            Some(v) => {
                // SAFETY: `value` is non-NULL and the caller promises it is writable.
                unsafe { value.write(v) };
                SSELINK_RESULT_OK
            }
            None => SSELINK_RESULT_INVALID_ARGUMENT,
        }
    })
}

/// The start of the body (at most 8 KiB) of the failed response behind the
/// RETRYING or CLOSED item last polled from `stream`; empty otherwise, and
/// for NULL. Valid until the next poll of `stream`.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_item_body(stream: *const sselink_stream) -> sselink_str {
    ffi_guard!(sselink_str::of_static("\0"), {
        // SAFETY: the caller promises a non-NULL `stream` is live.
        match unsafe { stream.as_ref() } {
            Some(handle) => handle.buffers().body(),
            None => sselink_str::of_static("\0"),
        }
    })
}

/// The kind of error of the last attempt behind the item last polled from
/// `stream`, when that item's `error` is `SSELINK_RESULT_ATTEMPTS_EXHAUSTED`
/// or `SSELINK_RESULT_TIME_BUDGET_EXHAUSTED` (such as
/// `SSELINK_RESULT_CONNECTION_REFUSED`); `SSELINK_RESULT_OK` for any other
/// item, before the first, and for NULL.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_item_cause(
    stream: *const sselink_stream,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        // SAFETY: the caller promises a non-NULL `stream` is live.
        unsafe { stream.as_ref() }.map_or(SSELINK_RESULT_OK, |h| h.buffers().cause())
    })
}

/// Copies the last event id of the items polled so far (or the seeded one)
/// into `buffer`, NUL-terminated, and its length without the NUL into
/// `*len`. Any thread. With `SSELINK_RESULT_BUFFER_TOO_SMALL`, `*len` is the
/// length needed (without the NUL) and `buffer` is not touched; pass a NULL
/// buffer with capacity 0 to ask for the length.
///
/// # Safety
///
/// `stream` must be NULL or a live stream; `buffer` must be NULL or valid
/// for writes of `capacity` bytes; `len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_last_event_id(
    stream: *const sselink_stream,
    buffer: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let handle = try_ref!(stream);
        let id = handle.stream.last_event_id();
        // SAFETY: forwarded with the caller's promises about buffer and len.
        unsafe { copy_out(id.as_bytes(), buffer, capacity, len) }
    })
}
