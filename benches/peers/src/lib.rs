//! What the load server and the clients share: the monotonic clock both
//! read (one clock for the machine, so a send time written by the server
//! can be subtracted from a receive time read by the client), and the
//! process figures every client reports.

use std::time::Duration;

/// The load server's response head; the raw client counts it off the bytes.
pub const HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";

/// Nanoseconds of CLOCK_MONOTONIC: the same clock in every process here.
pub fn monotonic_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// CPU time this process has used, user and system.
pub fn cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// A field of /proc/self/status, in its own unit (kB for memory).
pub fn status(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

/// The send time the paced mode writes first in each event's data.
pub fn send_time(data: &str) -> Option<u64> {
    data.get(..20)?.trim_start().parse().ok()
}

/// p50, p99 and the maximum of `samples` (nanoseconds), in microseconds.
pub fn percentiles(samples: &mut [u64]) -> (f64, f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize] as f64 / 1e3;
    (at(0.5), at(0.99), at(1.0))
}
