#!/usr/bin/env bash
# Installs sselink into a temporary prefix with capi/install.sh and builds the
# C and C++ examples from there, as users would: with pkg-config (shared and
# static) and with a CMake project using find_package(sselink REQUIRED). Runs
# each against the C tests' server. Called by .ci/test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
for tool in gcc g++ pkg-config cmake python3; do
    command -v "$tool" >/dev/null || { echo "FAILED: $tool is missing (bash .ci/test installs it)" >&2; exit 1; }
done

prefix="$work/prefix"
bash capi/install.sh --prefix "$prefix"
abi=$(cat capi/abi/VERSION)
for file in lib/libsselink.a lib/libsselink.so "lib/libsselink.so.$abi" include/sselink.h include/sselink.hpp \
    lib/pkgconfig/sselink.pc lib/pkgconfig/sselink-static.pc \
    lib/cmake/sselink/sselinkConfig.cmake lib/cmake/sselink/sselinkConfigVersion.cmake; do
    [ -f "$prefix/$file" ] || { echo "FAILED: $file was not installed" >&2; exit 1; }
done

# shellcheck source=c/tests/start_server.sh
source ffi-examples/c/tests/start_server.sh "$work/server.out"
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT
url="$url/events?n=5"
expected=$(printf 'message\t0\tevent 0\nmessage\t1\tevent 1')

passed=0
check() { # name, output
    if [ "$2" = "$expected" ]; then
        echo "ok - $1"; passed=$((passed + 1))
    else
        echo "FAILED: $1 printed: $2" >&2; exit 1
    fi
}
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror ffi-examples/c/examples/tail.c -o "$work/tail_c" $(pkg-config --cflags --libs sselink)
check "C through pkg-config (shared)" "$(LD_LIBRARY_PATH="$prefix/lib" "$work/tail_c" "$url" 2 2>/dev/null)"
# The program records the SONAME, not the unversioned link it was linked with.
needed=$(readelf -d "$work/tail_c" | sed -n 's/.*(NEEDED).*\[\(libsselink[^]]*\)\]/\1/p')
[ "$needed" = "libsselink.so.$abi" ] || { echo "FAILED: tail_c needs '$needed', not libsselink.so.$abi" >&2; exit 1; }
echo "ok - the shared library's SONAME is libsselink.so.$abi"; passed=$((passed + 1))
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror ffi-examples/c/examples/tail.c -o "$work/tail_c_static" $(pkg-config --cflags --libs sselink-static)
check "C through pkg-config (static)" "$("$work/tail_c_static" "$url" 2 2>/dev/null)"
# shellcheck disable=SC2046
g++ -std=c++17 -Wall -Wextra -Wpedantic -Werror ffi-examples/cpp/examples/tail.cpp -o "$work/tail_cpp" \
    $(pkg-config --cflags --libs sselink-static)
check "C++ through pkg-config (static)" "$("$work/tail_cpp" "$url" 2)"

cmake -S ffi-examples/cpp/cmake -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$work/cmake.log"
cmake --build "$work/cmake" >> "$work/cmake.log" || { cat "$work/cmake.log"; exit 1; }
check "C++ through CMake's find_package(sselink)" "$("$work/cmake/tail" "$url" 2)"
echo "install: $passed passed, 0 failed"
