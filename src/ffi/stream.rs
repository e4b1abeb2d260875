//! `sselink_stream`: connect, poll, close, and the questions a caller asks.

use std::ffi::c_char;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::event::{sselink_event, EventBuffers};
use super::{ffi_guard, sselink_config, sselink_result, try_ref};
use crate::{CloseReason, Item, RecvTimeoutError, State, Stream, TryRecvError};

use sselink_result::*;

/// A live stream: one reader thread and its channel. Made by
/// `sselink_connect`, released by `sselink_stream_free`.
///
/// Threads: `sselink_close`, `sselink_restart`, `sselink_stream_state`,
/// `sselink_stream_last_event_id` and `sselink_stream_dropped` may be called
/// from any thread at any time before `sselink_stream_free`, also while
/// another thread is blocked in `sselink_poll_event`. Polls of one stream
/// from several threads are serialized, and an event's strings are valid
/// only until the next poll of that stream, so poll each stream from one
/// thread at a time.
pub struct sselink_stream {
    stream: Stream,
    /// The strings of the last polled event; held during a poll.
    buffers: Mutex<EventBuffers>,
}

/// Where a stream is now.
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
/// `sselink_poll_event`. `config` is only read; it can be freed or reused
/// right after.
///
/// On success writes the new stream to `*out`. On
/// `SSELINK_RESULT_INVALID_CONFIG`, `sselink_config_error(config)` says what
/// is wrong; `*out` is not touched.
///
/// # Safety
///
/// `config` must be NULL or a live configuration; `out` must be NULL or
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_connect(
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
                    buffers: Mutex::new(EventBuffers::default()),
                });
                // SAFETY: `out` is non-NULL and the caller promises it is writable.
                unsafe { out.write(Box::into_raw(handle)) };
                SSELINK_RESULT_OK
            }
            Err(error) => config.fail(&error),
        }
    })
}

/// Waits for the next item of `stream` and fills `*out` with it.
///
/// `timeout_ms`: negative waits as long as it takes, 0 only looks, positive
/// waits up to that many milliseconds.
///
/// Returns `SSELINK_RESULT_OK` with `*out` filled (see `sselink_event_kind`;
/// the stream's last item is a `SSELINK_EVENT_KIND_CLOSED` event unless the
/// caller closed it), `SSELINK_RESULT_TIMEOUT` when nothing arrived in time,
/// or `SSELINK_RESULT_CLOSED` once the stream is finished: after its closing
/// event, or as soon as `sselink_close` is called, from any thread, also
/// while this poll is waiting. `*out` is written only with
/// `SSELINK_RESULT_OK`; its strings stay valid until the next poll of this
/// stream or `sselink_stream_free`.
///
/// # Safety
///
/// `stream` must be NULL or a live stream (not freed, and not freed by
/// another thread during this call); `out` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn sselink_poll_event(
    stream: *mut sselink_stream,
    timeout_ms: i32,
    out: *mut sselink_event,
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
                .recv_timeout(Duration::from_millis(t as u64))
                .map_err(|e| match e {
                    RecvTimeoutError::Timeout => SSELINK_RESULT_TIMEOUT,
                    RecvTimeoutError::Closed => SSELINK_RESULT_CLOSED,
                }),
        };
        match item {
            Ok(Item::Closed(CloseReason::Caller)) => SSELINK_RESULT_CLOSED,
            Ok(item) => {
                let event = buffers.fill(item);
                // SAFETY: `out` is non-NULL and the caller promises it is writable.
                unsafe { out.write(event) };
                SSELINK_RESULT_OK
            }
            Err(code) => code,
        }
    })
}

/// Closes `stream`: returns at once, from any thread, also while another
/// thread is blocked in `sselink_poll_event` (that poll returns
/// `SSELINK_RESULT_CLOSED`). The connection is shut down (the server sees it
/// closed), no request follows, no event is delivered after this returns.
/// Closing twice, or a NULL stream, does nothing. The handle stays valid
/// until `sselink_stream_free`.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_close(stream: *mut sselink_stream) {
    ffi_guard!((), {
        // SAFETY: the caller promises a non-NULL `stream` is live.
        if let Some(handle) = unsafe { stream.as_ref() } {
            handle.stream.close();
        }
    })
}

/// Closes `stream` if it is not closed and releases it. Call it exactly once
/// per stream, when no other thread uses it any more; NULL is ignored. The
/// strings of its events are invalid afterwards.
///
/// # Safety
///
/// `stream` must be NULL or come from `sselink_connect`, not be freed already,
/// and not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn sselink_stream_free(stream: *mut sselink_stream) {
    ffi_guard!((), {
        if !stream.is_null() {
            // SAFETY: the caller promises `stream` came from Box::into_raw in
            // sselink_connect, is freed once, and is no longer shared.
            drop(unsafe { Box::from_raw(stream) });
        }
    })
}

/// Drops the current connection and reconnects at once with the last event
/// id (also cutting a backoff wait short). Any thread. Events already
/// received stay queued: nothing is lost or repeated.
///
/// # Safety
///
/// `stream` must be NULL or a live stream.
#[no_mangle]
pub unsafe extern "C" fn sselink_restart(stream: *mut sselink_stream) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let handle = try_ref!(stream);
        handle.stream.restart();
        SSELINK_RESULT_OK
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

/// Copies the last event id of the events polled so far (or the seeded one)
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
        if len.is_null() || (buffer.is_null() && capacity > 0) {
            return SSELINK_RESULT_NULL_ARGUMENT;
        }
        let id = handle.stream.last_event_id();
        // SAFETY: `len` is non-NULL and the caller promises it is writable.
        unsafe { len.write(id.len()) };
        if capacity < id.len() + 1 {
            return SSELINK_RESULT_BUFFER_TOO_SMALL;
        }
        // SAFETY: `buffer` is valid for `capacity` >= id.len() + 1 bytes, as
        // the caller promises, and cannot overlap the Rust-owned `id`.
        unsafe {
            std::ptr::copy_nonoverlapping(id.as_ptr(), buffer.cast::<u8>(), id.len());
            buffer.add(id.len()).write(0);
        }
        SSELINK_RESULT_OK
    })
}
