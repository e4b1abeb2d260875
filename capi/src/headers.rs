//! A header provider for C callers: a callback that adds headers before
//! every connect, so tokens can be refreshed.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use sselink_core::ProviderFailure;

use super::{bytes_arg, ffi_guard, sselink_config, sselink_result, str_arg, try_ref};

use sselink_result::*;

/// The headers a provider call adds, collected for one connect. Only valid
/// during the provider call that received it.
pub struct sselink_headers {
    headers: Vec<(String, String)>,
    /// Why the call failed (`sselink_headers_fail`, or a string that is not
    /// UTF-8): the first reason given.
    failure: Option<String>,
}

impl sselink_headers {
    fn fail(&mut self, reason: String) {
        self.failure.get_or_insert(reason);
    }
}

/// Called before every connect (reconnects included) on the stream's reader
/// thread, and before every post attempt on the thread that called
/// `sselink_stream_post`, with the `userdata` given to
/// `sselink_config_header_provider`; adds headers with `sselink_headers_add`.
/// Each name it adds replaces the configured headers of that name; its
/// headers count as sensitive (never sent to another origin, never logged).
/// When it cannot produce its headers (a token that cannot be fetched), it
/// calls `sselink_headers_fail`: the connect (or post attempt) is not made
/// and the stream closes (or the post fails) with
/// `SSELINK_RESULT_HEADER_PROVIDER` and its reason.
/// It may be called from several threads at once (a reader thread per
/// stream made from the configuration, and posting threads), so it must be
/// thread-safe, and it should return quickly: a close waits for it. Of the
/// other sselink functions it may call only `sselink_headers_*` on the
/// collection it received, and `sselink_stream_close` and
/// `sselink_stream_close_and_wait` (which returns at once on the stream's
/// own reader thread).
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
    /// Calls the provider. A failed call unwinds with a `ProviderFailure`,
    /// which the core turns into `Error::HeaderProvider` with its reason
    /// (`resume_unwind` prints nothing; no C frame is on the way out).
    fn call(&self) -> Vec<(String, String)> {
        let mut headers = sselink_headers {
            headers: Vec::new(),
            failure: None,
        };
        // SAFETY: the callback was registered with the promise that it can be
        // called from any thread with `userdata`; `headers` outlives the call.
        unsafe { (self.callback)(self.userdata, &mut headers) };
        if let Some(reason) = headers.failure {
            std::panic::resume_unwind(Box::new(ProviderFailure(reason)));
        }
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
/// `sselink_stream_free` of them all, or when another provider replaces it),
/// never while sselink holds a lock: it may call the configuration's
/// setters. A NULL `provider` removes the provider; its `release`, if not
/// NULL, is called with `userdata` before this returns. When this returns an
/// error, `release` is not called: `userdata` is still the caller's. A
/// header the provider adds that `sselink_config_header` would refuse, or
/// headers that take the request head over 64 KiB, close the stream with
/// `SSELINK_RESULT_HEADER_PROVIDER`.
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
            let result = config.update(|b| b.header_provider(Vec::new));
            if let (SSELINK_RESULT_OK, Some(release)) = (result, release) {
                // SAFETY: the caller promised `release` may be called once
                // with `userdata` when sselink no longer needs it: it never
                // will, as there is no provider to call.
                unsafe { release(userdata) };
            }
            return result;
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
/// copied; the header itself is checked when the request is built. A name or
/// value that is not UTF-8 gives `SSELINK_RESULT_INVALID_ARGUMENT` and fails
/// the provider call, as `sselink_headers_fail` does: no request is sent
/// without the header.
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
            (Err(code), _) => {
                headers.fail(
                    match code {
                        SSELINK_RESULT_NULL_ARGUMENT => {
                            "a header name is NULL with a nonzero length"
                        }
                        _ => "a header name is not UTF-8",
                    }
                    .into(),
                );
                code
            }
            (Ok(name), Err(code)) => {
                let why = match code {
                    SSELINK_RESULT_NULL_ARGUMENT => "is NULL with a nonzero length",
                    _ => "is not UTF-8",
                };
                headers.fail(format!(
                    "the value of header `{}` {why}",
                    name.escape_debug()
                ));
                code
            }
        }
    })
}

/// Fails the provider call that received `headers`: the connect it was
/// called for is not made and the stream closes with
/// `SSELINK_RESULT_HEADER_PROVIDER` (a post attempt fails with it), the item's
/// message carrying `reason` (`reason_len` bytes of UTF-8). Headers added
/// before or after are dropped. Only the first reason counts.
///
/// # Safety
///
/// `headers` must be NULL or the pointer a provider call received, during
/// that call; `reason` must be valid for reads of `reason_len` bytes (NULL
/// allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn sselink_headers_fail(
    headers: *mut sselink_headers,
    reason: *const c_char,
    reason_len: usize,
) -> sselink_result {
    ffi_guard!(SSELINK_RESULT_PANIC, {
        // SAFETY: the caller promises a non-NULL `headers` is the live
        // collection of the current provider call, used by this thread alone.
        let Some(headers) = (unsafe { headers.as_mut() }) else {
            return SSELINK_RESULT_NULL_ARGUMENT;
        };
        // SAFETY: the caller promises `reason` is valid for `reason_len` bytes.
        let reason = match unsafe { bytes_arg(reason.cast(), reason_len) } {
            Ok([]) => "the provider gave no reason".to_string(),
            Ok(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Err(code) => {
                headers.fail("the provider's reason is NULL with a nonzero length".into());
                return code;
            }
        };
        headers.fail(reason);
        SSELINK_RESULT_OK
    })
}
