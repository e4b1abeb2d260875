# Sourced by the C and C++ test scripts: run_valgrind LOG COMMAND... runs
# COMMAND under memcheck, shows its own output and the summary, and fails the
# script on any error or any byte definitely or indirectly lost.
run_valgrind() {
    local log=$1 status=0
    shift
    valgrind --error-exitcode=87 --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --fair-sched=yes "$@" > "$log" 2>&1 || status=$?
    grep -v '^==' "$log"
    grep -E 'ERROR SUMMARY|definitely lost|indirectly lost' "$log"
    [ "$status" -eq 0 ] || { echo "FAILED: valgrind reported errors or leaks (exit $status); see $log" >&2; exit 1; }
}
