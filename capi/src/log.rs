//! An optional log callback for C callers, fed through sselink's redacting
//! filter.

use std::cell::RefCell;
use std::ffi::c_void;
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, RwLock};

use sselink_core::redact::redact_log_message;

use super::{ffi_guard, sselink_result, sselink_str};

/// Receives one log record: `level` 1 (error) to 5 (trace), the module that
/// logged it, and the message. Both strings are valid only during the call.
///
/// Called only on sselink's own threads (a stream's reader thread, or the
/// short-lived thread that bounds reading a failed response), never inside a
/// call the program made: holding a lock of its own around
/// `sselink_stream_close` and taking it in the callback is safe. Several
/// threads may call it at once.
///
/// It may close a stream: `sselink_stream_close`, and
/// `sselink_stream_close_and_wait`, which on the stream's own reader thread
/// returns at once (a thread cannot wait for itself to exit); it may free a
/// stream no other thread uses, and replace or turn off the callback. It
/// must not poll with a timeout other than 0 or post: the reader it runs on
/// is not reading meanwhile.
///
/// No record carries a credential: no value of a sensitive header
/// (`Authorization`, `Cookie`, `Proxy-Authorization`, headers set with
/// `sselink_config_sensitive_header` or by a header provider), no query
/// value, no URL userinfo, no body. URLs appear as scheme, host, port, path
/// and the query's parameter names; records of the HTTP client that carry
/// raw bytes or whole requests are never forwarded.
pub type sselink_log_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: u32,
        target: sselink_str,
        message: sselink_str,
    ),
>;

struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, u32, sselink_str, sselink_str),
    userdata: *mut c_void,
    /// The level set with `callback`: a record above it is not passed on,
    /// though it passed the global filter (which changes after the sink
    /// does, and which a record may have passed before either changed).
    max_level: log::LevelFilter,
    /// How many calls of `callback` are in progress, on any thread.
    running: Mutex<usize>,
    /// Signalled when a call ends, for `sselink_log_set_callback` waiting
    /// for the calls of the sink it replaced.
    call_ended: Condvar,
}

// SAFETY: the caller of sselink_log_set_callback promises that the callback
// may be called from any thread with this userdata, as its doc requires.
unsafe impl Send for Sink {}
// SAFETY: as above; the callback and userdata are never mutated while
// shared, and the count is behind a mutex.
unsafe impl Sync for Sink {}

impl Sink {
    /// Waits until no call of this sink is in progress on another thread.
    /// Calls on this thread (when a callback replaces the callback) cannot
    /// end while it waits, so they are not waited for.
    fn wait_for_calls(self: &Arc<Sink>) {
        let here = CALLS_HERE.with(|calls| {
            calls
                .borrow()
                .iter()
                .filter(|&&sink| std::ptr::eq(sink, Arc::as_ptr(self)))
                .count()
        });
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        while *running > here {
            running = self
                .call_ended
                .wait(running)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

static SINK: RwLock<Option<Arc<Sink>>> = RwLock::new(None);

thread_local! {
    /// The sinks whose callback runs on this thread now, innermost last (a
    /// callback may make sselink log again on the same thread).
    static CALLS_HERE: RefCell<Vec<*const Sink>> = const { RefCell::new(Vec::new()) };
}

/// True on the threads sselink starts, which are all named `sselink-...`.
fn on_sselink_thread() -> bool {
    std::thread::current()
        .name()
        .is_some_and(|name| name.starts_with("sselink-"))
}

struct CallbackLogger;

impl log::Log for CallbackLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        on_sselink_thread()
    }

    fn log(&self, record: &log::Record) {
        if !on_sselink_thread() {
            return;
        }
        let message = record.args().to_string();
        let Some(message) = redact_log_message(record.target(), &message) else {
            return;
        };
        // The sink is cloned out and its call counted under the read lock,
        // so a replacement either happens before (and this call uses the new
        // sink) or waits for this call. No lock is held while the callback
        // runs, so a callback that replaces the callback cannot deadlock.
        let sink = {
            let current = SINK.read().unwrap_or_else(PoisonError::into_inner);
            let Some(sink) = current.as_ref().map(Arc::clone) else {
                return;
            };
            if record.level() > sink.max_level {
                return;
            }
            *sink.running.lock().unwrap_or_else(PoisonError::into_inner) += 1;
            sink
        };
        let target = format!("{}\0", record.target());
        let message = format!("{message}\0");
        CALLS_HERE.with(|calls| calls.borrow_mut().push(Arc::as_ptr(&sink)));
        // SAFETY: the callback was registered with the promise that it can
        // be called from any thread; the strings outlive the call.
        unsafe {
            (sink.callback)(
                sink.userdata,
                record.level() as u32,
                sselink_str::of_terminated(target.as_bytes()),
                sselink_str::of_terminated(message.as_bytes()),
            )
        };
        CALLS_HERE.with(|calls| calls.borrow_mut().pop());
        *sink.running.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
        sink.call_ended.notify_all();
    }

    fn flush(&self) {}
}

static LOGGER: CallbackLogger = CallbackLogger;
/// Whether sselink's logger became the process's logger (decided once).
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Sends sselink's log records up to `max_level` (0 off, 1 error, 2 warn,
/// 3 info, 4 debug, 5 trace) to `callback` with `userdata`, through the
/// redacting filter described at `sselink_log_callback`. Replaces any earlier
/// callback; a NULL callback turns logging off. May be called at any time,
/// also from inside the callback. Before it returns, every call of the
/// callback it replaced that was in progress on another thread has
/// returned, so the old `userdata` may be freed then (calls on the calling
/// thread, when a callback replaces itself, go on after it returns); do not
/// call it holding a lock the callback takes. Returns
/// `SSELINK_RESULT_LOGGER_TAKEN` if the process (a Rust part of it) already
/// installed another logger, `SSELINK_RESULT_INVALID_ARGUMENT` for a level
/// above 5.
///
/// # Safety
///
/// `callback`, if not NULL, must be safe to call from any thread with
/// `userdata` until the call that replaces it or turns it off returns (and
/// a callback that replaces itself runs on until it returns).
#[no_mangle]
pub unsafe extern "C" fn sselink_log_set_callback(
    callback: sselink_log_callback,
    userdata: *mut c_void,
    max_level: u32,
) -> sselink_result {
    ffi_guard!(sselink_result::SSELINK_RESULT_PANIC, {
        let level = match max_level {
            0 => log::LevelFilter::Off,
            1 => log::LevelFilter::Error,
            2 => log::LevelFilter::Warn,
            3 => log::LevelFilter::Info,
            4 => log::LevelFilter::Debug,
            5 => log::LevelFilter::Trace,
            _ => return sselink_result::SSELINK_RESULT_INVALID_ARGUMENT,
        };
        if !*INSTALLED.get_or_init(|| log::set_logger(&LOGGER).is_ok()) {
            return sselink_result::SSELINK_RESULT_LOGGER_TAKEN;
        }
        let sink = callback.map(|callback| {
            Arc::new(Sink {
                callback,
                userdata,
                max_level: level,
                running: Mutex::new(0),
                call_ended: Condvar::new(),
            })
        });
        let replaced = std::mem::replace(
            &mut *SINK.write().unwrap_or_else(PoisonError::into_inner),
            sink,
        );
        log::set_max_level(if callback.is_some() {
            level
        } else {
            log::LevelFilter::Off
        });
        if let Some(replaced) = replaced {
            replaced.wait_for_calls();
        }
        sselink_result::SSELINK_RESULT_OK
    })
}
