#!/usr/bin/env bash
# Builds and runs the C++ tests and example against the C tests' server
# (../c/tests/test_server.py): -std=c++17 -Wall -Wextra -Wpedantic -Werror,
# plain, under AddressSanitizer with UndefinedBehaviorSanitizer, and under
# valgrind; one test built with -fno-exceptions. Called by .ci/test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$here/build"
mkdir -p "$build"
cd "$root"

for tool in g++ python3 valgrind; do
    command -v "$tool" >/dev/null || { echo "FAILED: $tool is missing (bash .ci/test installs it)" >&2; exit 1; }
done

echo "-- building the C library (release)"
cargo build --release --locked -p sselink-capi
lib="$root/target/release/libsselink.a"
cxxflags=(-std=c++17 -Wall -Wextra -Wpedantic -Werror -O1 -g -I "$root/include")
libs=("$lib" -lpthread -ldl -lm -lrt -lutil -lgcc_s)

# shellcheck source=/dev/null
source "$root/ffi-examples/c/tests/valgrind.sh"

echo "-- starting the test server"
# shellcheck source=../c/tests/start_server.sh
source "$root/ffi-examples/c/tests/start_server.sh" "$build/server.out"

echo "-- C++ tests, plain build"
g++ "${cxxflags[@]}" "$here/tests/test_cpp.cpp" -o "$build/test_cpp" "${libs[@]}"
"$build/test_cpp" "$url"

echo "-- without exceptions"
g++ "${cxxflags[@]}" -fno-exceptions "$here/tests/test_noexcept.cpp" -o "$build/test_noexcept" "${libs[@]}"
"$build/test_noexcept" "$url"

echo "-- C++ tests under AddressSanitizer and UndefinedBehaviorSanitizer"
g++ "${cxxflags[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
    "$here/tests/test_cpp.cpp" -o "$build/test_cpp_asan" "${libs[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/test_cpp_asan" "$url"

echo "-- C++ tests under valgrind"
run_valgrind "$build/valgrind.log" "$build/test_cpp" "$url"

echo "-- the example"
g++ "${cxxflags[@]}" "$here/examples/tail.cpp" -o "$build/tail" "${libs[@]}"
out=$("$build/tail" "$url/events?n=5" 2)
[ "$out" = "$(printf 'message\t0\tevent 0\nmessage\t1\tevent 1')" ] || { echo "FAILED: tail printed: $out" >&2; exit 1; }
echo "example: 1 passed, 0 failed"
