#!/usr/bin/env bash
# Fuzzes sselink with AFL++ (cargo-afl, stable toolchain).
#
#   bash fuzz/run.sh smoke [seconds]   each target for a few seconds (default 10);
#                                      part of the README's test command
#   bash fuzz/run.sh full [execs [target...]]
#                                      each target (default: all) for at least
#                                      `execs` runs (default 10,000,000), then
#                                      the grown corpus is minimised into
#                                      fuzz/corpus/<target>
#
# Any crash or hang fails the run; the inputs that caused them are kept under
# fuzz/out/<target>/default/crashes and hangs. Reproduce one with
# `fuzz/target/release/<target> < that-file`.
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-smoke}
targets=(parser response_head c_args)
[ $# -gt 2 ] && targets=("${@:3}")
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

command -v cargo-afl >/dev/null || cargo install cargo-afl --locked --version '^0.18'
# AFL++ itself is built once per toolchain; "already built" is fine.
if ! built=$(cargo afl config --build 2>&1); then
    grep -q 'already built' <<<"$built" || die "cannot build AFL++: $built"
fi

cargo afl build --release --locked --quiet

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_NO_AFFINITY=1
case "$mode" in
    smoke) limit=(-V "${2:-10}") ;;
    full) limit=(-E "${2:-10000000}") ;;
    *) die "usage: bash fuzz/run.sh smoke [seconds] | full [execs]" ;;
esac

# Runs one target; its summary line goes to out/<target>.summary.
fuzz_one() {
    local target=$1 out="out/$1"
    rm -rf "$out" && mkdir -p out
    # -t: the socket targets wait for a loopback server; 5 s is a real hang.
    if ! cargo afl fuzz "${limit[@]}" -t 5000 -i "corpus/$target" -o "$out" \
        "target/release/$target" >"out/$target.log" 2>&1; then
        tail -20 "out/$target.log"
        echo "$target: afl-fuzz could not run" >"out/$target.summary"
        return
    fi
    local stats="$out/default/fuzzer_stats"
    value() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
    printf '%-14s %10s execs %9s/s  %6ss  corpus %5s  crashes %s  hangs %s\n' "$target" \
        "$(value execs_done)" "$(value execs_per_sec)" "$(value run_time)" \
        "$(value corpus_count)" "$(value saved_crashes)" "$(value saved_hangs)" >"out/$target.summary"
}

if [ "$mode" = full ]; then
    # Concurrently: the socket targets spend much of their time waiting.
    for target in "${targets[@]}"; do fuzz_one "$target" & done
    wait
else
    for target in "${targets[@]}"; do fuzz_one "$target"; done
fi

failed=0
for target in "${targets[@]}"; do
    summary=$(cat "out/$target.summary")
    echo "$summary"
    grep -q 'crashes 0  hangs 0$' <<<"$summary" || { failed=1; continue; }
    if [ "$mode" = full ]; then
        rm -rf "corpus-$target.min"
        cargo afl cmin -i "out/$target/default/queue" -o "corpus-$target.min" \
            -- "target/release/$target" >/dev/null
        rm -rf "corpus/$target" && mv "corpus-$target.min" "corpus/$target"
    fi
done
[ "$failed" = 0 ] || die "a target crashed, hung or did not run: inputs in fuzz/out/<target>/default/{crashes,hangs}"
