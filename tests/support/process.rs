//! This test process as /proc sees it: memory and descriptors.

/// A memory figure of this process from /proc/self/status (`VmRSS:`,
/// `VmHWM:`...), in bytes.
pub fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} not in /proc/self/status"));
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in {line:?}"));
    kib * 1024
}

/// How many entries a /proc directory of this process holds:
/// `/proc/self/task` counts threads, `/proc/self/fd` open descriptors.
pub fn count_entries(path: &str) -> usize {
    std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
        .count()
}
