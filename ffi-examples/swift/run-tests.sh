#!/usr/bin/env bash
# The Swift package's checks, called by .ci/test: installs the C library into
# a local prefix with capi/install.sh, points pkg-config and the loader at
# it, then builds the package with warnings as errors and runs its tests
# (Swift Testing) three times: plain, under AddressSanitizer (leaks
# included) and under ThreadSanitizer. Each build has its own scratch
# directory under target/swift/.
#
# Where no Swift toolchain exists it prints one loud line saying the Swift
# package was not tested and exits 0: the only step of the test command
# allowed to be absent (no registry here serves a Swift toolchain).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

swift=$(command -v swift || true)
if [ -z "$swift" ] && [ -x /opt/swift/usr/bin/swift ]; then
    swift=/opt/swift/usr/bin/swift
    export PATH="/opt/swift/usr/bin:$PATH"
fi
if [ -z "$swift" ]; then
    echo "!!!!! SWIFT NOT TESTED: no Swift toolchain (swift) on this machine; the Swift package (Package.swift, ffi-examples/swift) was neither built nor tested !!!!!" >&2
    exit 0
fi
command -v python3 >/dev/null || { echo "FAILED: python3 is missing (the test servers need it)" >&2; exit 1; }
"$swift" --version 2>&1 | sed -n 1p

echo "-- installing the C library into target/swift/prefix"
prefix="$root/target/swift/prefix"
bash capi/install.sh --prefix "$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "-- the header as clang reads it for Swift: every pointer annotated, no warning"
clang=$(dirname "$(readlink -f "$swift")")/clang
[ -x "$clang" ] || { echo "FAILED: the Swift toolchain's clang is missing beside $swift" >&2; exit 1; }
printf '#include "sselink.h"\n' |
    "$clang" -x c -std=c11 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -Wnullability-completeness -I include -

run() {
    local name=$1
    shift
    echo "-- swift build and swift test: $name"
    "$swift" build --build-tests --scratch-path "target/swift/$name" -Xswiftc -warnings-as-errors "$@"
    "$swift" test --skip-build --disable-xctest --scratch-path "target/swift/$name" "$@"
}

run plain
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 run asan --sanitize=address
TSAN_OPTIONS=halt_on_error=1 run tsan --sanitize=thread
echo "swift: plain, AddressSanitizer and ThreadSanitizer runs passed"
