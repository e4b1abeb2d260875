#!/usr/bin/env bash
# The C ABI guard: compares the built libsselink.so with the committed
# baseline (capi/abi/libsselink.abi) using libabigail's abidiff, and fails on
# any difference: a changed or removed function, a changed type, a new
# SONAME, and also an added function (so the baseline always describes the
# library exactly). Part of the README's test command.
#
#   bash capi/abi/check.sh            compare (the test command runs this)
#   bash capi/abi/check.sh --update   rewrite the baseline from the build
#
# After a deliberate change, update the baseline in the same commit. If the
# change is incompatible (abidiff says a function was removed or a type or
# signature changed), raise the number in capi/abi/VERSION too: it is the
# SONAME's (libsselink.so.N) and SSELINK_ABI_VERSION's, so programs built
# against the old interface refuse to load the new library instead of
# misbehaving. Additions are compatible and need only the baseline.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
baseline=capi/abi/libsselink.abi
command -v abidw >/dev/null || { echo "FAILED: abidw is missing: apt-get install abigail-tools" >&2; exit 1; }

# Release build with full debug information for this crate, so that abidw
# sees parameter and field types, not only symbol names.
cargo build --release --locked -p sselink-capi --config 'profile.release.package.sselink-capi.debug="full"'
current=$(mktemp)
trap 'rm -f "$current"' EXIT
abidw --no-corpus-path --no-comp-dir-path target/release/libsselink.so --out-file "$current"
# Source paths of dependencies name wherever this machine keeps crates (a
# registry cache or a vendor directory); the baseline says only `crates/`.
# abidiff does not compare paths, so this changes no verdict.
sed -E -i "s#(path=')[^']*/(registry/src/[^/']+|crates)/#\1crates/#g" "$current"

if [ "${1:-}" = --update ]; then
    cp "$current" "$baseline" && chmod 644 "$baseline"
    echo "wrote $baseline; commit it with the change it describes"
    exit 0
fi
[ -f "$baseline" ] || { echo "FAILED: $baseline is missing: bash capi/abi/check.sh --update" >&2; exit 1; }
status=0
abidiff "$baseline" "$current" || status=$?
if [ "$status" -ne 0 ]; then
    echo "FAILED: the C ABI differs from $baseline (abidiff exit $status, above)." >&2
    echo "If the change is deliberate: bash capi/abi/check.sh --update, and for an" >&2
    echo "incompatible change raise capi/abi/VERSION too (see the top of this script)." >&2
    exit 1
fi
echo "C ABI matches $baseline ($(grep -c '<elf-symbol' "$baseline") symbols, ABI $(cat capi/abi/VERSION))"
