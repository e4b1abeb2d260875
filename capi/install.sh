#!/usr/bin/env bash
# Builds the C library and installs it for C and C++ programs:
#
#   bash capi/install.sh --prefix /usr/local
#
# installs lib/libsselink.a and lib/libsselink.so.VERSION with the links
# libsselink.so.ABI (its SONAME) and libsselink.so, include/sselink.h and
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
abi=$(cat capi/abi/VERSION)

install -m 644 target/release/libsselink.a "$prefix/lib/"
# The shared library under its full version, found at run time through its
# SONAME link and at link time through the unversioned one; debug
# information is left out.
install -m 755 target/release/libsselink.so "$prefix/lib/libsselink.so.$version"
strip --strip-debug "$prefix/lib/libsselink.so.$version" "$prefix/lib/libsselink.a"
ln -sf "libsselink.so.$version" "$prefix/lib/libsselink.so.$abi"
ln -sf "libsselink.so.$abi" "$prefix/lib/libsselink.so"
install -m 644 include/sselink.h include/sselink.hpp "$prefix/include/"
fill() {
    sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$prefix/lib|" -e "s|@VERSION@|$version|" \
        -e "s|@MAJOR@|$major|" -e "s|@MINOR@|$minor|" -e "s|@ABI@|$abi|" "$1" > "$2"
}
fill capi/sselink.pc.in "$prefix/lib/pkgconfig/sselink.pc"
fill capi/sselink-static.pc.in "$prefix/lib/pkgconfig/sselink-static.pc"
fill capi/sselinkConfig.cmake.in "$prefix/lib/cmake/sselink/sselinkConfig.cmake"
fill capi/sselinkConfigVersion.cmake.in "$prefix/lib/cmake/sselink/sselinkConfigVersion.cmake"
echo "installed sselink $version into $prefix"
