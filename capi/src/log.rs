//! An optional log callback for C callers.

use std::ffi::c_void;
use std::sync::{OnceLock, PoisonError, RwLock};

use super::{ffi_guard, sselink_result, sselink_str};

/// Receives one log record: `level` 1 (error) to 5 (trace), the module that
/// logged it, and the message. Both strings are valid only during the call.
/// Called from sselink's reader threads, possibly from several at once.
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
}

// SAFETY: the caller of sselink_set_log_callback promises that the callback
// may be called from any thread with this userdata, as its doc requires.
unsafe impl Send for Sink {}
// SAFETY: as above; the sink itself is never mutated while shared.
unsafe impl Sync for Sink {}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

struct CallbackLogger;

impl log::Log for CallbackLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        let sink = SINK.read().unwrap_or_else(PoisonError::into_inner);
        let Some(sink) = sink.as_ref() else { return };
        let target = format!("{}\0", record.target());
        let message = format!("{}\0", record.args());
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
    }

    fn flush(&self) {}
}

static LOGGER: CallbackLogger = CallbackLogger;
/// Whether sselink's logger became the process's logger (decided once).
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Sends sselink's log records up to `max_level` (0 off, 1 error, 2 warn,
/// 3 info, 4 debug, 5 trace) to `callback` with `userdata`. Replaces any
/// earlier callback; a NULL callback turns logging off. The callback runs on
/// sselink's threads, so it must be thread-safe, return quickly, and not
/// call sselink. Header values are never logged. Returns
/// `SSELINK_RESULT_LOGGER_TAKEN` if the process (a Rust part of it) already
/// installed another logger, `SSELINK_RESULT_INVALID_ARGUMENT` for a level
/// above 5.
///
/// # Safety
///
/// `callback`, if not NULL, must be safe to call from any thread with
/// `userdata` until it is replaced or turned off.
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
        *SINK.write().unwrap_or_else(PoisonError::into_inner) =
            callback.map(|callback| Sink { callback, userdata });
        log::set_max_level(if callback.is_some() {
            level
        } else {
            log::LevelFilter::Off
        });
        sselink_result::SSELINK_RESULT_OK
    })
}
