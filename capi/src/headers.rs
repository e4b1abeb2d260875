//! A header provider for C callers: a callback that adds headers before
//! every connect, so tokens can be refreshed.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::{ffi_guard, sselink_config, sselink_result, str_arg, try_ref};

use sselink_result::*;

/// The headers a provider call adds, collected for one connect. Only valid
/// during the provider call that received it.
pub struct sselink_headers {
    headers: Vec<(String, String)>,
}

/// Called before every connect (reconnects included) on the stream's reader
/// thread, and before every post attempt on the thread that called
/// `sselink_stream_post`, with the `userdata` given to
/// `sselink_config_header_provider`; adds headers with `sselink_headers_add`.
/// Each name it adds replaces the configured headers of that name; its
/// headers count as sensitive (never sent to another origin, never logged).
/// It may be called from several threads at once (a reader thread per
/// stream made from the configuration, and posting threads), so it must be
/// thread-safe; it must not call other sselink functions, and it should
/// return quickly: a close waits for it.
pub type sselink_header_provider =
    Option<unsafe extern "C" fn(userdata: *mut c_void, headers: *mut sselink_headers)>;

/// Releases the provider's `userdata` once no configuration or stream uses
/// it any more; called once, on whichever thread drops the last use.
pub type sselink_release = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// The provider and its userdata, shared by the configuration and every
/// stream made from it; `release` runs when the last of them is dropped.
struct Provider {
    callback: unsafe extern "C" fn(*mut c_void, *mut sselink_headers),
    userdata: *mut c_void,
    release: sselink_release,
}

// SAFETY: the caller of sselink_config_header_provider promises that the
// callback may be called from any thread with this userdata, and that
// release may run on any thread.
unsafe impl Send for Provider {}
// SAFETY: as above; the provider itself is never mutated while shared.
unsafe impl Sync for Provider {}

impl Provider {
    fn call(&self) -> Vec<(String, String)> {
        let mut headers = sselink_headers {
            headers: Vec::new(),
        };
        // SAFETY: the callback was registered with the promise that it can be
        // called from any thread with `userdata`; `headers` outlives the call.
        unsafe { (self.callback)(self.userdata, &mut headers) };
        headers.headers
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            // SAFETY: the caller promised `release` may be called once with
            // `userdata` when sselink no longer uses it; this is that time.
            unsafe { release(self.userdata) };
        }
    }
}

/// Sets a header provider: `provider` is called with `userdata` before every
/// connect of every stream made from `config` (see
/// `sselink_header_provider`). `release`, if not NULL, is called once with
/// `userdata` when neither the configuration nor any stream made from it
/// uses the provider any more (after `sselink_config_free` and
/// `sselink_stream_free` of them all, or when another provider replaces it).
/// A NULL `provider` removes the provider. A header the provider adds that
/// `sselink_config_header` would refuse, or headers that take the request
/// head over 64 KiB, close the stream with `SSELINK_RESULT_HEADER_PROVIDER`.
///
/// # Safety
///
/// `config` must be NULL or a live configuration. `provider` must be safe to
/// call from any thread with `userdata` until `release` is called (or, with
/// a NULL `release`, as long as any stream made from `config` lives).
#[no_mangle]
pub unsafe extern "C" fn sselink_config_header_provider(
    config: *mut sselink_config,
    provider: sselink_header_provider,
    userdata: *mut c_void,
    release: sselink_release,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        let config = try_ref!(config);
        let Some(callback) = provider else {
            return config.update(|b| b.header_provider(Vec::new));
        };
        let provider = Arc::new(Provider {
            callback,
            userdata,
            release,
        });
        config.update(|b| b.header_provider(move || provider.call()))
    })
}

/// Adds one header to `headers`, inside a provider call. Name and value are
/// copied. Returns `SSELINK_RESULT_INVALID_ARGUMENT` for a string that is not
/// UTF-8; the header itself is checked when the request is built.
///
/// # Safety
///
/// `headers` must be NULL or the pointer a provider call received, during
/// that call; each string must be valid for reads of its length.
#[no_mangle]
pub unsafe extern "C" fn sselink_headers_add(
    headers: *mut sselink_headers,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        // SAFETY: the caller promises a non-NULL `headers` is the live
        // collection of the current provider call, used by this thread alone.
        let Some(headers) = (unsafe { headers.as_mut() }) else {
            return SSELINK_RESULT_NULL_ARGUMENT;
        };
        // SAFETY: the caller promises both strings are valid for their lengths.
        match unsafe { (str_arg(name, name_len), str_arg(value, value_len)) } {
            (Ok(name), Ok(value)) => {
                headers.headers.push((name.to_string(), value.to_string()));
                SSELINK_RESULT_OK
            }
            (Err(code), _) | (_, Err(code)) => code,
        }
    })
}
