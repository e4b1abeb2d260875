#!/usr/bin/env bash
# Fuzzes sselink with AFL++ (cargo-afl, stable toolchain).
#
#   bash fuzz/run.sh smoke [seconds]   each target for a few seconds (default 10);
#                                      part of the README's test command
#   bash fuzz/run.sh full [execs [target...]]
#                                      each target (default: all) for at least
#                                      `execs` runs (default 10,000,000; with
#                                      FUZZ_JOBS=N, N instances share them), then
#                                      the grown corpus is minimised into
#                                      fuzz/corpus/<target>
#   bash fuzz/run.sh cmin [target...]  only that last step, from every queue
#                                      under fuzz/out/<target>*
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

command -v cargo-afl >/dev/null || cargo install cargo-afl --locked --version 0.18.2
# AFL++ itself is built once per toolchain; "already built" is fine.
if ! built=$(cargo afl config --build 2>&1); then
    grep -q 'already built' <<<"$built" || die "cannot build AFL++: $built"
fi

cargo afl build --release --locked --quiet

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_NO_AFFINITY=1
# Inputs up to 8 KiB (-G): longer ones slow the runs without reaching new
# code (the limits are fuzzed with small limits). AFL++ caps only what it
# makes, so the kept corpus is held to it too: a 44 KiB input of 15,000 C
# setter calls once stalled an instance for 20 minutes.
max_input=8192
limit=()
case "$mode" in
    smoke) limit=(-V "${2:-10}") ;;
    full) execs=${2:-10000000} ;;
    cmin) targets=(parser response_head c_args); [ $# -gt 1 ] && targets=("${@:2}") ;;
    *) die "usage: bash fuzz/run.sh smoke [seconds] | full [execs [target...]] | cmin [target...]" ;;
esac

# Runs one target with `jobs` AFL++ instances (a main and secondaries
# sharing one output folder, each running its share of the executions); its
# summary line, summed over the instances, goes to out/<target>.summary.
fuzz_one() {
    local target=$1 jobs=${2:-1} out="out/$1"
    rm -rf "$out" && mkdir -p out
    local pids=() i role lim=("${limit[@]}")
    [ "$mode" = full ] && lim=(-E $(((execs + jobs - 1) / jobs)))
    for ((i = 0; i < jobs; i++)); do
        role=(-M main)
        [ "$i" -gt 0 ] && role=(-S "s$i")
        [ "$jobs" -eq 1 ] && role=()
        # -t: the socket targets wait for a loopback server; 5 s is a real hang.
        cargo afl fuzz "${lim[@]}" "${role[@]}" -t 5000 -G "$max_input" -i "corpus/$target" -o "$out" \
            "target/release/$target" >"out/$target.$i.log" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        if ! wait "${pids[$i]}"; then
            tail -20 "out/$target.$i.log"
            echo "$target: afl-fuzz could not run" >"out/$target.summary"
            return
        fi
    done
    sum() { awk -F' *: *' -v k="$1" '$1 == k { s += $2 } END { printf "%d", s }' "$out"/*/fuzzer_stats; }
    printf '%-14s %10s execs %9s/s  %6ss  corpus %5s  crashes %s  hangs %s\n' "$target" \
        "$(sum execs_done)" "$(sum execs_per_sec)" "$(sum run_time)" \
        "$(sum corpus_count)" "$(sum saved_crashes)" "$(sum saved_hangs)" >"out/$target.summary"
}

# Minimises the queues of every run of `target` under out/ into
# corpus/<target>, leaving out inputs over the cap.
minimise() {
    local target=$1 queue
    rm -rf "corpus-$target.min" "queue-$target" && mkdir "queue-$target"
    for queue in "out/$target"*/*/queue; do
        find "$queue" -maxdepth 1 -type f -name 'id*' -size -$((max_input + 1))c \
            -exec cp {} "queue-$target/" \;
    done
    # afl-cmin.bash: `cargo afl cmin` (the Python afl-cmin) traced no
    # coverage for the parser target and kept nothing.
    local cmin kept
    cmin=$(find "${XDG_DATA_HOME:-$HOME/.local/share}/afl.rs" -name afl-cmin.bash | sort | tail -1)
    PATH="$(dirname "$cmin"):$PATH" "$cmin" -t 5000 -i "queue-$target" -o "corpus-$target.min" \
        -- "target/release/$target" >/dev/null 2>&1
    kept=$(find "corpus-$target.min" -type f | wc -l)
    [ "$kept" -gt 0 ] || die "minimising the $target corpus kept nothing; fuzz/corpus is unchanged"
    rm -rf "corpus/$target" "queue-$target" && mv "corpus-$target.min" "corpus/$target"
    echo "$target: corpus minimised to $kept inputs"
}

if [ "$mode" = cmin ]; then
    for target in "${targets[@]}"; do minimise "$target"; done
    exit 0
fi

if [ "$mode" = full ]; then
    # Concurrently: the socket targets spend much of their time waiting.
    # FUZZ_JOBS=N gives each target N instances (default 1).
    for target in "${targets[@]}"; do fuzz_one "$target" "${FUZZ_JOBS:-1}" & done
    wait
else
    for target in "${targets[@]}"; do fuzz_one "$target"; done
fi

failed=0
for target in "${targets[@]}"; do
    summary=$(cat "out/$target.summary")
    echo "$summary"
    grep -q 'crashes 0  hangs 0$' <<<"$summary" || { failed=1; continue; }
    if [ "$mode" = full ]; then minimise "$target"; fi
done
[ "$failed" = 0 ] || die "a target crashed, hung or did not run: inputs in fuzz/out/<target>/*/{crashes,hangs}"
