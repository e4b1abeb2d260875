//! Fuzz target: the C ABI's argument paths, driven through the C functions.
//!
//! Input: a control byte, the URL, then a list of operations, each an
//! opcode byte and two length-prefixed arguments (a length byte, then that
//! many bytes: any bytes, NUL and invalid UTF-8 included). The URL is given
//! to `sselink_config_new`. Every operation is applied to that configuration
//! and to a second one for a loopback server (the proxy setting only to the
//! first). When the control byte's two low bits are set, the second one's
//! stream is then connected, so the fuzzed method, headers, query, body and
//! ids go into a real request; the server answers 204 and the stream must
//! close. (Connecting costs a thread and a connection, some hundred times the
//! setters, so a quarter of the inputs do it.) `sselink_config_error` is read back into
//! buffers of fuzzed sizes. Every call must return a result, never panic.
//!
//! Outside the C ABI crate this is the one place that calls the C functions
//! from Rust; the calls pass pointers and lengths of live slices.

use std::mem::MaybeUninit;
use std::os::raw::c_char;
use std::sync::OnceLock;

use sselink_c::*;

#[path = "loopback.rs"]
mod loopback;

/// A loopback server, started on first use, that answers every request
/// with 204.
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let base =
            loopback::start(|| b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_vec());
        format!("{base}/events")
    })
}

/// Reads length-prefixed arguments off the input.
struct Args<'a>(&'a [u8]);

impl<'a> Args<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn arg(&mut self) -> &'a [u8] {
        let len = usize::from(self.byte().unwrap_or(0)).min(self.0.len());
        let (arg, rest) = self.0.split_at(len);
        self.0 = rest;
        arg
    }
}

fn ptr(bytes: &[u8]) -> *const c_char {
    bytes.as_ptr().cast()
}

/// Applies one setter to `config`; `first` is false for the loopback
/// configuration, which must not be sent through a fuzzed proxy.
fn apply(config: *mut sselink_config, op: u8, a: &[u8], b: &[u8], first: bool) -> sselink_result {
    // SAFETY: `config` is live; every pointer is a live slice of its length.
    unsafe {
        match op % 16 {
            0 => sselink_config_header(config, ptr(a), a.len(), ptr(b), b.len()),
            1 => sselink_config_sensitive_header(config, ptr(a), a.len(), ptr(b), b.len()),
            2 => sselink_config_query(config, ptr(a), a.len(), ptr(b), b.len()),
            3 => sselink_config_method(config, ptr(a), a.len()),
            4 => sselink_config_body(config, a.as_ptr(), a.len()),
            5 => sselink_config_last_event_id(config, ptr(a), a.len()),
            6 => sselink_config_resume_query(config, ptr(a), a.len()),
            7 => sselink_config_filter_event_type(config, ptr(a), a.len()),
            8 => sselink_config_post_url(config, ptr(a), a.len()),
            9 => sselink_config_root_certificate(config, a.as_ptr(), a.len()),
            10 => {
                sselink_config_client_certificate(config, a.as_ptr(), a.len(), b.as_ptr(), b.len())
            }
            11 if first => sselink_config_proxy(config, ptr(a), a.len()),
            12 => sselink_config_no_proxy(config, ptr(a), a.len()),
            13 => sselink_config_max_line_length(config, usize::from(a.len()) << (b.len() % 64)),
            14 => {
                // A NULL pointer with the fuzzed length: NULL_ARGUMENT unless 0.
                sselink_config_method(config, std::ptr::null(), a.len())
            }
            _ => {
                let mut buffer = vec![0 as c_char; a.len()];
                let mut len = 0usize;
                let result =
                    sselink_config_error(config, buffer.as_mut_ptr(), buffer.len(), &mut len);
                if !buffer.is_empty() {
                    assert_eq!(buffer[len.min(buffer.len() - 1)], 0, "not NUL-terminated");
                }
                result
            }
        }
    }
}

fn check(input: &[u8]) {
    let mut args = Args(input);
    let connect = args.byte().unwrap_or(0) & 3 == 3;
    let url = args.arg();
    let loopback = server_url();
    let mut fuzzed: *mut sselink_config = std::ptr::null_mut();
    let mut local: *mut sselink_config = std::ptr::null_mut();
    // SAFETY: pointers to live slices and to the two out-pointers above.
    unsafe {
        let _ = sselink_config_new(ptr(url), url.len(), &mut fuzzed);
        assert_eq!(
            sselink_config_new(ptr(loopback.as_bytes()), loopback.len(), &mut local),
            sselink_result::SSELINK_RESULT_OK
        );
        sselink_config_reconnect(local, false);
        sselink_config_max_redirects(local, 0);
    }
    while let Some(op) = args.byte() {
        let (a, b) = (args.arg(), args.arg());
        if !fuzzed.is_null() {
            apply(fuzzed, op, a, b, true);
        }
        apply(local, op, a, b, false);
    }
    // SAFETY: `local` is live; `stream` and `item` are written before use.
    unsafe {
        let mut stream: *mut sselink_stream = std::ptr::null_mut();
        if connect
            && sselink_stream_connect(local, &mut stream) == sselink_result::SSELINK_RESULT_OK
        {
            let mut closed = false;
            for _ in 0..64 {
                let mut item = MaybeUninit::<sselink_item>::uninit();
                let result = sselink_stream_poll(stream, 10_000, item.as_mut_ptr());
                assert_eq!(result, sselink_result::SSELINK_RESULT_OK, "poll failed");
                if item.assume_init().kind == sselink_item_kind::SSELINK_ITEM_KIND_CLOSED {
                    closed = true;
                    break;
                }
            }
            assert!(closed, "the stream did not close");
            sselink_stream_free(stream);
        }
        sselink_config_free(fuzzed);
        sselink_config_free(local);
    }
}

fn main() {
    afl::fuzz!(|data: &[u8]| check(data));
}
