#!/usr/bin/env python3
"""Instructions per event: each client of the end-to-end benchmark (run.py)
run under valgrind's cachegrind, alone: the load server runs natively in its
own process, so only the client's instructions are counted.

    python3 benches/peers/instructions.py          the full run; prints a Markdown table
    python3 benches/peers/instructions.py CLIENT.. the full run of those clients only
    python3 benches/peers/instructions.py --smoke  sselink through Rust, C, Go and Swift at a few
                                                   thousand events; checks, prints

`run.py --smoke` runs the smoke run too (the test command's step).

A client reads `small` events in one run and `large` in another; per event is
(instructions(large) - instructions(small)) / (large - small), so start-up,
connecting and exiting cancel out. The count is cachegrind's `Ir` total over
every thread of the client. Unlike wall-clock time it barely moves with the
load of the machine; it does not see system calls, thread hand-overs or cache
misses, so it complements the interleaved runs of run.py, not replaces them.
"""
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (run.py's builds, load server and clients)

SMOKE = "--smoke" in sys.argv
SSELINK = run.OURS
CLIENTS = SSELINK + run.PEERS
SMOKE_CLIENTS = SSELINK
# Event data size: (small, large) event counts.
COUNTS = {64: (2_000, 202_000), 65536: (20, 2_020)}
SMOKE_COUNTS = {64: (200, 5_200), 65536: (5, 55)}
ROUNDS = 2
VALGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--branch-sim=no", "-q"]
TIMEOUT = 600  # a client's run, in seconds; the smoke run's: SMOKE_TIMEOUT
SMOKE_TIMEOUT = 60


def instructions(server, client, size, n, out, timeout):
    """One run of `client` reading `n` events of `size` bytes of data under
    cachegrind: its Ir total."""
    url = f"{server.base}/flood?size={size}&count={n}"
    wrapper = VALGRIND + [f"--cachegrind-out-file={out}"]
    r = run.checked_run(client, "flood", url, n, wrapper=wrapper, timeout=timeout)
    run.check_bytes(client, r, n * size)
    written = Path(out).read_text() if Path(out).exists() else ""
    for line in written.splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise SystemExit(f"FAILED: no 'summary:' line in {out}, cachegrind's output for {client}")


def per_event(server, client, size, small, large, workdir, timeout):
    """Instructions per event of `client` at `size` bytes of data per event."""
    counts = []
    for n in (small, large):
        out = workdir / f"{client}-{size}-{n}.out"
        counts.append(instructions(server, client, size, n, out, timeout))
        server.settle()
    per = (counts[1] - counts[0]) / (large - small)
    if per <= 0:
        raise SystemExit(f"FAILED: {client} at {size} B: {counts[0]:,} instructions for {small} "
                         f"events, {counts[1]:,} for {large}: no positive figure per event")
    print(f"  instructions {size:>6} B {client:<20} {per:>12,.1f} per event "
          f"({counts[0]:,} for {small:,} events, {counts[1]:,} for {large:,})", flush=True)
    return per


def measure(server, clients, counts, rounds=ROUNDS, timeout=TIMEOUT):
    """{(size, client): [instructions per event, one figure a round]}. The
    clients take turns, round after round, as in run.py."""
    results = {(size, client): [] for size in counts for client in clients}
    with tempfile.TemporaryDirectory(prefix="sselink-cachegrind-") as tmp:
        for _ in range(rounds):
            for size, (small, large) in counts.items():
                for client in clients:
                    results[(size, client)].append(
                        per_event(server, client, size, small, large, Path(tmp), timeout))
    return results


def span(figures, scale=1, digits=0):
    """`low–high` of a client's rounds, or the one figure where they agree."""
    low, high = (f"{min(figures) / scale:,.{digits}f}", f"{max(figures) / scale:,.{digits}f}")
    return low if low == high else f"{low}–{high}"


def smoke(server):
    """The test command's check: sselink through Rust, C, Go and Swift, few events."""
    started = time.time()
    print("instructions per event (cachegrind, smoke)", flush=True)
    measure(server, SMOKE_CLIENTS, SMOKE_COUNTS, rounds=1, timeout=SMOKE_TIMEOUT)
    print(f"  instruction count smoke run passed in {time.time() - started:.0f} s", flush=True)


def chosen_clients():
    """The clients named on the command line, or every client."""
    named = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    unknown = [client for client in named if client not in CLIENTS]
    if unknown:
        raise SystemExit(f"unknown client(s) {', '.join(unknown)}; the clients: {', '.join(CLIENTS)}")
    return named or CLIENTS


def table(results, clients, counts, secs):
    small64, large64 = counts[64]
    small64k, large64k = counts[65536]
    lines = [
        f"Measured by `python3 benches/peers/instructions.py` ({secs / 60:.0f} minutes) on "
        f"{time.strftime('%Y-%m-%d')}, {run.source()}. Machine: {run.machine()}; "
        f"{os.popen('valgrind --version').read().strip()}.",
        f"Per event: ({large64:,} events - {small64:,}) at 64 B, "
        f"({large64k:,} - {small64k:,}) at 64 KiB; {ROUNDS} rounds, the clients taking turns "
        "(a range is the lowest and highest round).",
        "",
        "| client | instructions / event, 64 B | instructions / event, 64 KiB | instructions / byte, 64 KiB |",
        "|---|---:|---:|---:|",
    ]
    for client in clients:
        small, big = results[(64, client)], results[(65536, client)]
        lines.append(f"| {run.name(client)} | {span(small)} | {span(big)} | "
                     f"{span(big, scale=65536, digits=2)} |")
    return "\n".join(lines) + "\n"


def main():
    started = time.time()
    clients = chosen_clients()
    print("building the load server and every client", flush=True)
    run.build()
    with run.LoadServer() as server:
        if SMOKE:
            smoke(server)
            return
        print("instructions per event (cachegrind)", flush=True)
        results = measure(server, clients, COUNTS)
    print(table(results, clients, COUNTS, time.time() - started))


if __name__ == "__main__":
    main()
