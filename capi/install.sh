#!/usr/bin/env bash
# Builds the C library and installs it for C and C++ programs:
#
#   bash capi/install.sh --prefix /usr/local
#
# installs lib/libsselink.a and lib/libsselink.so, include/sselink.h and
# include/sselink.hpp, lib/pkgconfig/sselink.pc and sselink-static.pc, and
# lib/cmake/sselink/sselinkConfig.cmake (imported target sselink::sselink)
# with its version file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        *) echo "usage: bash capi/install.sh --prefix DIR" >&2; exit 2 ;;
    esac
done
[ -n "$prefix" ] || { echo "usage: bash capi/install.sh --prefix DIR" >&2; exit 2; }
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

cd "$root"
cargo build --release --locked -p sselink-capi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
major=${version%%.*}
minor=${version#*.}; minor=${minor%%.*}

install -d "$prefix/lib/pkgconfig" "$prefix/lib/cmake/sselink" "$prefix/include"
install -m 644 target/release/libsselink.a "$prefix/lib/"
install -m 755 target/release/libsselink.so "$prefix/lib/"
install -m 644 include/sselink.h include/sselink.hpp "$prefix/include/"
fill() {
    sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$prefix/lib|" -e "s|@VERSION@|$version|" \
        -e "s|@MAJOR@|$major|" -e "s|@MINOR@|$minor|" "$1" > "$2"
}
fill capi/sselink.pc.in "$prefix/lib/pkgconfig/sselink.pc"
fill capi/sselink-static.pc.in "$prefix/lib/pkgconfig/sselink-static.pc"
fill capi/sselinkConfig.cmake.in "$prefix/lib/cmake/sselink/sselinkConfig.cmake"
fill capi/sselinkConfigVersion.cmake.in "$prefix/lib/cmake/sselink/sselinkConfigVersion.cmake"
echo "installed sselink $version into $prefix"
