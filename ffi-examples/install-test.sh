#!/usr/bin/env bash
# Installs sselink into a temporary prefix with capi/install.sh and builds the
# C, C++ and Go examples from there, as users would: with pkg-config (shared
# and static), with a CMake project using find_package(sselink REQUIRED)
# (both targets), and as a Go module that requires the package by its
# module path. Then as a packager would: DESTDIR and --libdir, the staged
# tree used where it lies. Runs each program against the C tests' server.
# Called by .ci/test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
for tool in gcc g++ pkg-config cmake python3 go readelf; do
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

# needs BINARY: the libsselink the program records (NEEDED), or nothing.
needs() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(libsselink[^]]*\)\]/\1/p'; }

cmake -S ffi-examples/cpp/cmake -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$work/cmake.log"
cmake --build "$work/cmake" >> "$work/cmake.log" || { cat "$work/cmake.log"; exit 1; }
check "C++ through CMake's find_package(sselink), sselink::sselink" "$("$work/cmake/tail" "$url" 2)"
[ -z "$(needs "$work/cmake/tail")" ] || { echo "FAILED: sselink::sselink, the default, is not the static library" >&2; exit 1; }
check "C++ through CMake, sselink::shared" "$(LD_LIBRARY_PATH="$prefix/lib" "$work/cmake/tail_shared" "$url" 2)"
[ "$(needs "$work/cmake/tail_shared")" = "libsselink.so.$abi" ] || { echo "FAILED: sselink::shared does not link libsselink.so.$abi" >&2; exit 1; }

# Go: a module of the user's own, declaring the oldest Go the package
# supports, requires the package by its module path (replaced by this
# checkout, as it would be fetched once published) and links it through
# pkg-config: libsselink.so by default, libsselink.a with -tags sselink_static.
consumer="$work/go-consumer"
mkdir -p "$consumer"
cat > "$consumer/go.mod" <<MOD
module example.com/consumer

go 1.23

require github.com/sselink/sselink/ffi-examples/go v0.0.0

replace github.com/sselink/sselink/ffi-examples/go => $root/ffi-examples/go
MOD
cat > "$consumer/main.go" <<'GO'
package main

import (
	"context"
	"fmt"
	"os"

	sselink "github.com/sselink/sselink/ffi-examples/go"
)

func main() {
	s, err := sselink.Connect(context.Background(), os.Args[1])
	if err != nil {
		panic(err)
	}
	defer s.Close()
	n := 0
	for ev, err := range s.Events() {
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s\t%s\t%s\n", ev.Type, ev.ID, ev.Data)
		if n++; n == 2 {
			break
		}
	}
}
GO
# -mod=readonly: the package's go.mod must not ask for a newer go line than
# the user's. Go's build cache keys a cgo package by its flags, not by what
# pkg-config answers, so this prefix's include directory goes into
# CGO_CFLAGS: no cached build of another prefix is reused, and none made
# here is reused after this temporary prefix is gone.
(cd "$consumer" && export GOFLAGS=-mod=readonly CGO_CFLAGS="-O2 -g -I$prefix/include" &&
    go build -o "$work/tail_go" . && go build -tags sselink_static -o "$work/tail_go_static" .) ||
    { echo "FAILED: a Go module cannot build with the package" >&2; exit 1; }
check "Go through pkg-config (shared)" "$(LD_LIBRARY_PATH="$prefix/lib" "$work/tail_go" "$url")"
[ "$(needs "$work/tail_go")" = "libsselink.so.$abi" ] || { echo "FAILED: the Go program does not link libsselink.so.$abi" >&2; exit 1; }
check "Go through pkg-config (static, -tags sselink_static)" "$("$work/tail_go_static" "$url")"
[ -z "$(needs "$work/tail_go_static")" ] || { echo "FAILED: -tags sselink_static links libsselink.so" >&2; exit 1; }

# Packagers: DESTDIR stages the files, --libdir places the libraries; the
# installed files name the final places (prefix /usr), and the staged tree
# works where it lies through pkg-config's prefix and the CMake files'
# relative paths.
stage="$work/stage"
multiarch="lib/$(gcc -print-multiarch)"
DESTDIR="$stage" bash capi/install.sh --prefix /usr --libdir "$multiarch" --includedir include/sselink > "$work/stage.log"
staged="$stage/usr/$multiarch"
for file in "$staged/libsselink.a" "$staged/libsselink.so.$abi" "$staged/pkgconfig/sselink.pc" \
    "$staged/cmake/sselink/sselinkConfig.cmake" "$stage/usr/include/sselink/sselink.h"; do
    [ -e "$file" ] || { echo "FAILED: DESTDIR install lacks ${file#"$stage"}" >&2; exit 1; }
done
grep -qx 'prefix=/usr' "$staged/pkgconfig/sselink.pc" &&
    grep -qx "libdir=\${prefix}/$multiarch" "$staged/pkgconfig/sselink.pc" &&
    grep -qx "includedir=\${prefix}/include/sselink" "$staged/pkgconfig/sselink.pc" ||
    { echo "FAILED: the staged sselink.pc does not name /usr/$multiarch:" >&2; cat "$staged/pkgconfig/sselink.pc" >&2; exit 1; }
# Without options: the prefix /usr/local.
DESTDIR="$work/default" bash capi/install.sh > "$work/default.log"
[ -e "$work/default/usr/local/lib/libsselink.so.$abi" ] && [ -e "$work/default/usr/local/include/sselink.h" ] &&
    grep -qx 'prefix=/usr/local' "$work/default/usr/local/lib/pkgconfig/sselink.pc" ||
    { echo "FAILED: the default prefix is not /usr/local" >&2; exit 1; }
echo "ok - DESTDIR, --libdir, --includedir, the default prefix"; passed=$((passed + 1))

# A prefix with characters sed's replacement text gives a meaning to (& and
# |): written into the package files as given, and the install completes.
for odd in '/opt/a&b' '/opt/c|d' '/opt/e\f'; do
    DESTDIR="$work/odd" bash capi/install.sh --prefix "$odd" > "$work/odd.log" ||
        { echo "FAILED: install.sh --prefix '$odd' stopped" >&2; exit 1; }
    line=$(grep '^prefix=' "$work/odd$odd/lib/pkgconfig/sselink.pc")
    [ "$line" = "prefix=$odd" ] || { echo "FAILED: --prefix '$odd' wrote '$line' into sselink.pc" >&2; exit 1; }
    [ -f "$work/odd$odd/lib/cmake/sselink/sselinkConfig.cmake" ] ||
        { echo "FAILED: --prefix '$odd' wrote no CMake file" >&2; exit 1; }
done
echo "ok - a prefix holding & | or \\ is written as given"; passed=$((passed + 1))
stagepc() { PKG_CONFIG_PATH="$staged/pkgconfig" pkg-config --define-variable=prefix="$stage/usr" "$@"; }
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror ffi-examples/c/examples/tail.c -o "$work/tail_staged" $(stagepc --cflags --libs sselink)
check "C through the staged sselink.pc" "$(LD_LIBRARY_PATH="$staged" "$work/tail_staged" "$url" 2 2>/dev/null)"
# The usual static route, as with libcurl: pkg-config --static adds the
# system libraries libsselink.a needs (Libs.private); here with only the
# static library in the directory, as a static-only package ships it.
private=$(stagepc --static --libs sselink)
for needed in -lpthread -ldl -lm; do
    case " $private " in *" $needed "*) ;; *) echo "FAILED: pkg-config --static --libs sselink lacks $needed: $private" >&2; exit 1 ;; esac
done
static_only="$work/static-only"
mkdir -p "$static_only/lib/pkgconfig"
cp "$staged/libsselink.a" "$static_only/lib/"
sed -e "s|^prefix=.*|prefix=$stage/usr|" -e "s|^libdir=.*|libdir=$static_only/lib|" "$staged/pkgconfig/sselink.pc" > "$static_only/lib/pkgconfig/sselink.pc"
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror ffi-examples/c/examples/tail.c -o "$work/tail_private" \
    $(PKG_CONFIG_PATH="$static_only/lib/pkgconfig" pkg-config --static --cflags --libs sselink)
check "C through pkg-config --static sselink" "$("$work/tail_private" "$url" 2 2>/dev/null)"
[ -z "$(needs "$work/tail_private")" ] || { echo "FAILED: the static link needs libsselink.so" >&2; exit 1; }
cmake -S ffi-examples/cpp/cmake -B "$work/cmake-staged" -Dsselink_DIR="$staged/cmake/sselink" \
    -DCMAKE_BUILD_TYPE=Release > "$work/cmake-staged.log"
cmake --build "$work/cmake-staged" >> "$work/cmake-staged.log" || { cat "$work/cmake-staged.log"; exit 1; }
check "C++ through the staged CMake files" "$("$work/cmake-staged/tail" "$url" 2)"
check "C++ through the staged CMake files, sselink::shared" "$(LD_LIBRARY_PATH="$staged" "$work/cmake-staged/tail_shared" "$url" 2)"
echo "install: $passed passed, 0 failed"
