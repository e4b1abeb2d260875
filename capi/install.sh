#!/usr/bin/env bash
# Builds the C library and installs it for C, C++ and Go programs:
#
#   bash capi/install.sh --prefix /usr/local
#   DESTDIR=/tmp/stage bash capi/install.sh --prefix /usr --libdir /usr/lib/x86_64-linux-gnu
#
# Options (each also as --name=VALUE):
#   --prefix DIR      where the library is used from (default /usr/local)
#   --libdir DIR      the libraries, pkgconfig/ and cmake/ (default PREFIX/lib;
#                     a relative DIR is taken under PREFIX)
#   --includedir DIR  the headers (default PREFIX/include; relative as above)
# DESTDIR, as in the environment of `make install`, stages the files under
# $DESTDIR while the installed files name the final locations.
#
# Installs into LIBDIR libsselink.a and libsselink.so.VERSION with the links
# libsselink.so.ABI (its SONAME) and libsselink.so; into INCLUDEDIR
# sselink.h and sselink.hpp; LIBDIR/pkgconfig/sselink.pc (the shared library,
# and with --static the system libraries the static one needs) and
# sselink-static.pc (libsselink.a); and LIBDIR/cmake/sselink/sselinkConfig.cmake
# (targets sselink::sselink, the static library, and sselink::shared) with
# its version file. The CMake files find the rest relative to themselves, so
# a staged or moved tree works as it is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: [DESTDIR=DIR] bash capi/install.sh [--prefix DIR] [--libdir DIR] [--includedir DIR]"
prefix=/usr/local
libdir=""
includedir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix | --libdir | --includedir)
            [ $# -ge 2 ] || { echo "$1 needs a directory; $usage" >&2; exit 2; }
            declare "${1#--}=$2"; shift 2 ;;
        --prefix=* | --libdir=* | --includedir=*)
            name=${1%%=*}; declare "${name#--}=${1#*=}"; shift ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
[ -n "$prefix" ] || { echo "$usage" >&2; exit 2; }
# Absolute paths, without requiring them to exist (with DESTDIR they need not).
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac
prefix=$(realpath -m "$prefix")
under_prefix() { case "$1" in "") echo "$prefix/$2" ;; /*) realpath -m "$1" ;; *) realpath -m "$prefix/$1" ;; esac; }
libdir=$(under_prefix "$libdir" lib)
includedir=$(under_prefix "$includedir" include)
destdir=${DESTDIR:-}

cd "$root"
cargo build --release --locked -p sselink-capi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
major=${version%%.*}
minor=${version#*.}; minor=${minor%%.*}
abi=$(cat capi/abi/VERSION)
# The system libraries libsselink.a needs on Linux: the list of
# `cargo rustc --release -p sselink-capi --crate-type staticlib -- --print native-static-libs`.
static_libs="-lpthread -ldl -lm -lrt -lutil -lgcc_s"

lib="$destdir$libdir"
install -d "$lib/pkgconfig" "$lib/cmake/sselink" "$destdir$includedir"
install -m 644 target/release/libsselink.a "$lib/"
# The shared library under its full version, found at run time through its
# SONAME link and at link time through the unversioned one; debug
# information is left out.
install -m 755 target/release/libsselink.so "$lib/libsselink.so.$version"
strip --strip-debug "$lib/libsselink.so.$version" "$lib/libsselink.a"
ln -sf "libsselink.so.$version" "$lib/libsselink.so.$abi"
ln -sf "libsselink.so.$abi" "$lib/libsselink.so"
install -m 644 include/sselink.h include/sselink.hpp "$destdir$includedir/"

# pkg-config files name directories under the prefix through ${prefix}, so
# `pkg-config --define-prefix` can move them.
pc_dir() { case "$1" in "$prefix" | "$prefix"/*) echo "\${prefix}${1#"$prefix"}" ;; *) echo "$1" ;; esac; }
# The CMake files name them relative to their own directory.
cmake_dir="$libdir/cmake/sselink"
fill() {
    # Bash substitution with quoted replacements, not sed: a prefix may hold
    # any character sed's replacement text gives a meaning to (& | \).
    local text cmake_libdir cmake_includedir
    text=$(cat "$1")
    cmake_libdir=$(realpath -m --relative-to="$cmake_dir" "$libdir")
    cmake_includedir=$(realpath -m --relative-to="$cmake_dir" "$includedir")
    text=${text//@PREFIX@/"$prefix"}
    text=${text//@LIBDIR@/"$(pc_dir "$libdir")"}
    text=${text//@INCLUDEDIR@/"$(pc_dir "$includedir")"}
    text=${text//@STATIC_LIBS@/"$static_libs"}
    text=${text//@CMAKE_LIBDIR@/"$cmake_libdir"}
    text=${text//@CMAKE_INCLUDEDIR@/"$cmake_includedir"}
    text=${text//@VERSION@/"$version"}
    text=${text//@MAJOR@/"$major"}
    text=${text//@MINOR@/"$minor"}
    text=${text//@ABI@/"$abi"}
    printf '%s\n' "$text" > "$2"
    chmod 644 "$2"
}
fill capi/sselink.pc.in "$lib/pkgconfig/sselink.pc"
fill capi/sselink-static.pc.in "$lib/pkgconfig/sselink-static.pc"
fill capi/sselinkConfig.cmake.in "$lib/cmake/sselink/sselinkConfig.cmake"
fill capi/sselinkConfigVersion.cmake.in "$lib/cmake/sselink/sselinkConfigVersion.cmake"
echo "installed sselink $version into $destdir$prefix (libraries in $destdir$libdir, headers in $destdir$includedir)"
