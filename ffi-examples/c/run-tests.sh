#!/usr/bin/env bash
# Builds and runs the C tests and examples against tests/test_server.py:
# warning-free (-Wall -Wextra -Wpedantic -Werror), then under AddressSanitizer
# with UndefinedBehaviorSanitizer, then under valgrind; the examples are
# linked through pkg-config, shared and static, from an install into
# target/prefix made by capi/install.sh. Called by .ci/test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$here/build"
mkdir -p "$build"
cd "$root"

for tool in gcc g++ python3 pkg-config valgrind; do
    command -v "$tool" >/dev/null || { echo "FAILED: $tool is missing (bash .ci/test installs it)" >&2; exit 1; }
done

echo "-- building the Rust library (release)"
cargo build --release --locked -p sselink-capi
libdir="$root/target/release"

cflags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -g -I "$root/include")
static_libs=("$libdir/libsselink.a" -lpthread -ldl -lm -lrt -lutil -lgcc_s)

echo "-- the header compiles cleanly as C11 and as C++17"
printf '#include "sselink.h"\nint main(void) { return sselink_version() == 0; }\n' > "$build/header_check.c"
gcc "${cflags[@]}" -c "$build/header_check.c" -o "$build/header_check_c.o"
cp "$build/header_check.c" "$build/header_check.cpp"
g++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -I "$root/include" -c "$build/header_check.cpp" -o "$build/header_check_cpp.o"

# shellcheck source=/dev/null
source "$here/tests/valgrind.sh"

echo "-- starting the test server"
# shellcheck source=tests/start_server.sh
source "$here/tests/start_server.sh" "$build/server.out"

echo "-- C tests, plain build"
gcc "${cflags[@]}" "$here/tests/test_ffi.c" -o "$build/test_ffi" "${static_libs[@]}"
"$build/test_ffi" "$url"

echo "-- C tests under AddressSanitizer and UndefinedBehaviorSanitizer"
gcc "${cflags[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
    "$here/tests/test_ffi.c" -o "$build/test_ffi_asan" "${static_libs[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/test_ffi_asan" "$url"

echo "-- C tests under valgrind"
run_valgrind "$build/valgrind.log" "$build/test_ffi" "$url"

echo "-- stress: 8 threads, random operations, 1,000 streams (200 under valgrind)"
stress_flags=(-std=gnu11 -Wall -Wextra -Wpedantic -Werror -O1 -g -I "$root/include")
gcc "${stress_flags[@]}" "$here/tests/stress.c" -o "$build/stress" "${static_libs[@]}"
"$build/stress" "$url" 1000
gcc "${stress_flags[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
    "$here/tests/stress.c" -o "$build/stress_asan" "${static_libs[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/stress_asan" "$url" 1000
run_valgrind "$build/stress_valgrind.log" "$build/stress" "$url" 200 3000

# The examples have no watchdog of their own: each run gets 60 s, then fails
# with its name instead of hanging the script.
bounded() {
    local status=0
    timeout 60 "$@" || status=$?
    [ "$status" -ne 124 ] || echo "FAILED: $* did not finish within 60 s" >&2
    return "$status"
}

echo "-- examples through pkg-config, from an install made by capi/install.sh"
prefix="$root/target/prefix"
bash capi/install.sh --prefix "$prefix" > "$build/install.log"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
for example in tail multi; do
    # shellcheck disable=SC2046
    gcc "${cflags[@]}" "$here/examples/$example.c" -o "$build/${example}_shared" $(pkg-config --cflags --libs sselink)
    # shellcheck disable=SC2046
    gcc "${cflags[@]}" "$here/examples/$example.c" -o "$build/${example}_static" $(pkg-config --cflags --libs sselink-static)
done
if ldd "$build/tail_static" | grep -q libsselink; then
    echo "FAILED: the static build links libsselink.so" >&2; exit 1
fi
lines=$(LD_LIBRARY_PATH="$prefix/lib" bounded "$build/tail_shared" "$url/events?n=5" 3 | wc -l)
[ "$lines" -eq 3 ] || { echo "FAILED: tail (shared) printed $lines lines, not 3" >&2; exit 1; }
out=$(bounded "$build/tail_static" "$url/events?n=2" 2 2>/dev/null)
[ "$out" = "$(printf 'message\t0\tevent 0\nmessage\t1\tevent 1')" ] || { echo "FAILED: tail (static) printed: $out" >&2; exit 1; }
multi=$(bounded "$build/multi_static" "$url/ticker?n=5" "$url/events?n=3" "$url/ticker?n=4" | sort)
count=$(echo "$multi" | wc -l)
[ "$count" -eq 12 ] || { echo "FAILED: multi printed $count events, not 12: $multi" >&2; exit 1; }
echo "$multi" | grep -q '^\[1\] event 2$' || { echo "FAILED: multi missed an event" >&2; exit 1; }
echo "examples: 4 passed, 0 failed"
