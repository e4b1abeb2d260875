#!/usr/bin/env python3
"""The end-to-end benchmark: sselink (Rust, C, Go, Swift) and its peers against one
loopback load server, in one run on one machine.

    python3 benches/peers/run.py           the full run; writes benches/RESULTS.md
    python3 benches/peers/run.py --smoke   a few seconds of each figure, for the
                                           test command; checks, writes nothing
                                           (and instructions.py's smoke run)

Instructions per event, under valgrind: instructions.py, beside this file.

Builds what it runs: the load server and the Rust clients (this folder's
crate), the C library and the C client, the Go client (benches/peers/go) and
the Swift client (benches/peers/swift, a target of the root Package.swift).
Where no Swift toolchain exists the Swift client is left out, with one loud
line (as the Swift tests are).
Each client runs as its own process and prints one JSON object; the load
server runs in another process, so a client's CPU time is its own.
"""
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SMOKE = "--smoke" in sys.argv
BIN = HERE / "target" / "release"
BUILD = HERE / "target" / "clients"
PREFIX = ROOT / "target" / "prefix"

RUST = ["sselink", "eventsource-client", "reqwest-eventsource"]
GO = ["sselink-go", "go-sse", "r3labs-sse"]
SSELINK = {"sselink": "Rust iterator", "sselink-64k": "Rust, 64 KiB reader stack",
           "sselink-c": "C ABI", "sselink-go": "Go package", "sselink-swift": "Swift async sequence"}
PEERS = ["eventsource-client", "reqwest-eventsource", "go-sse", "r3labs-sse"]
SWIFT = shutil.which("swift") or next(
    (p for p in ["/opt/swift/usr/bin/swift"] if os.access(p, os.X_OK)), None)
SWIFT_BUILD = ROOT / "target" / "swift" / "bench"
# sselink's clients in every table (the Swift one where a toolchain exists);
# the close table has no C or Swift client.
OURS = ["sselink", "sselink-c", "sselink-go"] + (["sselink-swift"] if SWIFT else [])

SIZES = {64: 2_000_000, 1024: 500_000, 65536: 20_000}
SMOKE_SIZES = {64: 20_000, 1024: 5_000, 65536: 100}
RATES = [1_000, 50_000]
RUNS = 1 if SMOKE else 5
LATENCY_SECS = 0.2 if SMOKE else 5
IDLE = [20] if SMOKE else [1_000, 10_000]
CLOSE_ROUNDS = 5 if SMOKE else 200


def sh(*cmd, cwd=ROOT, env=None):
    subprocess.run(cmd, cwd=cwd, check=True, env=env)


def build():
    BUILD.mkdir(parents=True, exist_ok=True)
    sh("cargo", "build", "--release", "--locked", "-q", cwd=HERE)
    sh("cargo", "build", "--release", "--locked", "-q", "-p", "sselink-capi")
    sh("gcc", "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Iinclude",
       "benches/peers/c/client.c", "-o", str(BUILD / "c-client"),
       "target/release/libsselink.a", "-lpthread", "-ldl", "-lm")
    # The Go client links the Go package as a user's program does: through
    # pkg-config, against an install made by capi/install.sh (statically,
    # with the package's sselink_static tag, as the C client links).
    sh("bash", "capi/install.sh", "--prefix", str(PREFIX))
    env = dict(os.environ, PKG_CONFIG_PATH=str(PREFIX / "lib" / "pkgconfig"))
    sh("go", "build", "-tags", "sselink_static", "-o", str(BUILD / "go-client"), ".",
       cwd=HERE / "go", env=env)
    # The Swift client links the shared library of that install, found
    # through pkg-config; the rpath lets it run without LD_LIBRARY_PATH.
    if not SWIFT:
        print("!!!!! SWIFT NOT MEASURED: no Swift toolchain (swift) on this machine; "
              "the sselink-swift client is left out !!!!!", file=sys.stderr, flush=True)
        return
    sh(SWIFT, "build", "-c", "release", "--product", "SSELinkBenchClient",
       "--scratch-path", str(SWIFT_BUILD), "-Xswiftc", "-warnings-as-errors",
       "-Xlinker", "-rpath", "-Xlinker", str(PREFIX / "lib"), env=env)


def command(client, mode, url, n):
    if client == "sselink-c":
        return [str(BUILD / "c-client"), mode, url, str(n)]
    if client in GO:
        return [str(BUILD / "go-client"), client, mode, url, str(n)]
    if client == "sselink-swift":
        return [str(SWIFT_BUILD / "release" / "SSELinkBenchClient"), mode, url, str(n)]
    return [str(BIN / "client"), client, mode, url, str(n)]


def run(client, mode, url, n, timeout=600, wrapper=()):
    """One client process; `wrapper` goes before its command (valgrind, say)."""
    out = subprocess.run([*wrapper, *command(client, mode, url, n)], capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"FAILED: {client} {mode} {url} {n}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


class LoadServer:
    def __enter__(self):
        self.proc = subprocess.Popen([str(BIN / "loadserver")], stdout=subprocess.PIPE, text=True)
        self.base = f"http://127.0.0.1:{self.proc.stdout.readline().strip()}"
        return self

    def settle(self, timeout=120):
        """Waits until the connections of the last run have ended: each holds a
        server thread, and threads take process ids (pid_max is 32,768 here)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
            threads = int(next(l for l in status.splitlines() if l.startswith("Threads:")).split()[1])
            if threads < 50:
                return
            time.sleep(0.2)
        raise SystemExit(f"FAILED: the load server still has {threads} threads after {timeout} s")

    def __exit__(self, *_):
        self.proc.kill()
        self.proc.wait()


def checked_run(client, mode, url, n, **options):
    r = run(client, mode, url, n, **options)
    if r["events"] != n:
        raise SystemExit(f"FAILED: {client} read {r['events']} events, not {n}")
    return r


def check_bytes(client, r, expected):
    if r["bytes"] != expected:
        raise SystemExit(f"FAILED: {client} got {r['bytes']} bytes of data, not {expected}")


def throughput(server):
    """Each client's run with the median time of RUNS. The clients take turns,
    round after round, so that a slow spell of this shared machine falls on
    all of them rather than on one client's runs."""
    sizes = SMOKE_SIZES if SMOKE else SIZES
    clients = ["raw"] + OURS + PEERS
    table = {}
    for size, n in sizes.items():
        url = f"{server.base}/flood?size={size}&count={n}"
        runs = {client: [] for client in clients}
        for _ in range(RUNS):
            for client in clients:
                runs[client].append(checked_run(client, "flood", url, n))
        for client in clients:
            results = sorted(runs[client], key=lambda r: r["secs"])
            r = results[len(results) // 2]
            check_bytes(client, r, n * size)
            table[(size, client)] = {
                "events_s": n / r["secs"],
                "mb_s": n * size / r["secs"] / 1e6,
                "cpu_per_m": r["cpu"] / n * 1e6,
                "spread": (n / results[-1]["secs"], n / results[0]["secs"]),
            }
            print(f"  flood {size:>6} B {client:<20} {n / r['secs']:>12,.0f} events/s", flush=True)
    return table


def latency(server):
    table = {}
    for rate in RATES:
        n = max(1, int(rate * LATENCY_SECS))
        url = f"{server.base}/paced?rate={rate}&count={n}"
        for client in OURS + PEERS:
            r = run(client, "latency", url, n)
            table[(rate, client)] = r
            print(f"  paced {rate:>6}/s {client:<20} p50 {r['p50_us']:.1f} p99 {r['p99_us']:.1f} "
                  f"max {r['max_us']:.1f} us", flush=True)
    return table


def idle(server):
    table = {}
    for n in IDLE:
        for client in ["sselink", "sselink-64k"] + OURS[1:] + PEERS:
            server.settle()
            try:
                r = run(client, "idle", f"{server.base}/idle", n)
            except SystemExit as failure:
                if SMOKE:
                    raise
                # Recorded, not fatal: a limit of this machine, reported as such.
                reason = next((l for l in str(failure).splitlines() if "sselink:" in l or "panic" in l),
                              str(failure).splitlines()[-1])
                r = {"error": reason.strip()}
                print(f"  idle {n:>6} {client:<20} failed: {r['error']}", flush=True)
                table[(n, client)] = r
                continue
            table[(n, client)] = r
            print(f"  idle {n:>6} {client:<20} {r['kib_per_stream']:.1f} KiB/stream "
                  f"{r['threads_per_stream']:.2f} threads/stream", flush=True)
    return table


def closing():
    table = {}
    for client in ["sselink", "sselink-go"] + PEERS:
        r = run(client, "close", "-", CLOSE_ROUNDS)
        table[client] = r
        print(f"  close {client:<20} p50 {r['p50_us']:.1f} p99 {r['p99_us']:.1f} us", flush=True)
    return table


def name(client):
    return f"sselink ({SSELINK[client]})" if client in SSELINK else client


def source():
    """The commit measured, and whether the working tree differed from it."""
    git = lambda *args: subprocess.run(["git", *args], cwd=ROOT, capture_output=True,
                                       text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!benches/RESULTS.md")
    return f"commit {commit}" + (" with uncommitted changes" if changed else "")


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    version = lambda *cmd: subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    return (f"{os.cpu_count()} cores ({cpu}), {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') >> 30} GiB, "
            f"{platform.system()} {platform.release()}; {version('rustc', '--version')}; "
            f"{version('go', 'version')}; {version('gcc', '--version')}"
            + (f"; {version(SWIFT, '--version')}" if SWIFT else ""))


def report(flood, lat, idl, cls, secs):
    best_peer = lambda key: max(PEERS, key=key)
    lines = [
        "# Benchmarks against peers: results",
        "",
        "Written by `python3 benches/peers/run.py` (the whole run: "
        f"{secs / 60:.0f} minutes) on {time.strftime('%Y-%m-%d')}, {source()}. Machine: {machine()}.",
        "",
        "Every client reads the same loopback load server (benches/peers/src/bin/loadserver.rs,",
        "its own process) and runs as its own process. The Rust peers run on a current-thread",
        "Tokio runtime; the Go ones as their documentation shows. Throughput is the median of",
        f"{RUNS} runs, the clients taking turns round after round; the range is the slowest and",
        "the fastest of them. `raw` reads the socket and throws the bytes away (the ceiling).",
        "",
        "## Throughput",
        "",
        "| event data | client | events/s | range of runs, events/s | MB/s of data | vs best peer |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size in (SMOKE_SIZES if SMOKE else SIZES):
        peer = best_peer(lambda c: flood[(size, c)]["events_s"])
        top = flood[(size, peer)]["events_s"]
        for client in ["raw"] + OURS + PEERS:
            f = flood[(size, client)]
            low, high = f["spread"]
            lines.append(f"| {size} B | {name(client)} | {f['events_s']:,.0f} | {low:,.0f} to {high:,.0f} | "
                         f"{f['mb_s']:,.0f} | {f['events_s'] / top:.2f}x |")
    lines += ["", "## CPU seconds per million events (64 B)", "",
              "| client | CPU s / M events |", "|---|---:|"]
    for client in OURS + PEERS:
        lines.append(f"| {name(client)} | {flood[(64, client)]['cpu_per_m']:.3f} |")
    lines += ["", "## Latency, from the server's write to the client's loop", "",
              "Each event carries its send time from CLOCK_MONOTONIC; the client subtracts it from",
              f"its own reading on arrival. {LATENCY_SECS} s at each rate.", "",
              "| rate | client | p50 µs | p99 µs | max µs |", "|---:|---|---:|---:|---:|"]
    for rate in RATES:
        for client in OURS + PEERS:
            r = lat[(rate, client)]
            lines.append(f"| {rate:,}/s | {name(client)} | {r['p50_us']:.1f} | {r['p99_us']:.1f} | "
                         f"{r['max_us']:.1f} |")
    lines += ["", "## Idle streams in one process", "",
              "Resident memory and OS threads added per stream, once every stream has its first",
              "event (VmRSS and Threads from /proc/self/status, before and after).", "",
              "| streams | client | KiB per stream | threads per stream |", "|---:|---|---:|---:|"]
    for n in IDLE:
        for client in ["sselink", "sselink-64k"] + OURS[1:] + PEERS:
            r = idl[(n, client)]
            if "error" in r:
                lines.append(f"| {n:,} | {name(client)} | failed: {r['error']} | |")
                continue
            lines.append(f"| {n:,} | {name(client)} | {r['kib_per_stream']:.1f} | "
                         f"{r['threads_per_stream']:.2f} |")
    lines += ["", "## Close", "",
              "From the close call (or dropping the stream, or cancelling its context) on a stream",
              "blocked reading a silent connection, to the server seeing the socket closed.",
              f"{CLOSE_ROUNDS} rounds each.", "",
              "| client | p50 µs | p99 µs | max µs |", "|---|---:|---:|---:|"]
    for client in ["sselink", "sselink-go"] + PEERS:
        r = cls[client]
        lines.append(f"| {name(client)} | {r['p50_us']:.1f} | {r['p99_us']:.1f} | {r['max_us']:.1f} |")

    peer64 = max(flood[(64, c)]["events_s"] for c in PEERS)
    raw64k = flood[(65536, "raw")]["mb_s"]
    idle_max = max(IDLE)
    targets = [
        ("64 B events/s, Rust iterator, vs the fastest peer", ">= 2x",
         f"{flood[(64, 'sselink')]['events_s'] / peer64:.2f}x",
         flood[(64, "sselink")]["events_s"] >= 2 * peer64),
        ("64 B events/s, Rust iterator", ">= 5,000,000",
         f"{flood[(64, 'sselink')]['events_s']:,.0f}", flood[(64, "sselink")]["events_s"] >= 5e6),
        ("64 KiB MB/s vs the raw baseline", ">= 80%",
         f"{flood[(65536, 'sselink')]['mb_s'] / raw64k:.0%}",
         flood[(65536, "sselink")]["mb_s"] >= 0.8 * raw64k),
        ("p99 latency at 1,000 events/s", "< 100 µs", f"{lat[(1000, 'sselink')]['p99_us']:.1f} µs",
         lat[(1000, "sselink")]["p99_us"] < 100),
        (f"resident memory per idle stream ({idle_max:,} streams)", "<= 64 KiB",
         f"{idl[(idle_max, 'sselink')]['kib_per_stream']:.1f} KiB",
         idl[(idle_max, "sselink")]["kib_per_stream"] <= 64),
        ("10,000 concurrent streams in one process (Rust)", "yes",
         "yes" if "kib_per_stream" in idl.get((10_000, "sselink"), {}) else "no",
         "kib_per_stream" in idl.get((10_000, "sselink"), {})),
        ("close, p99", "< 10 ms", f"{cls['sselink']['p99_us'] / 1000:.2f} ms",
         cls["sselink"]["p99_us"] < 10_000),
    ]
    lines += ["", "## sselink's targets", "", "| target | goal | measured | met |", "|---|---|---:|---|"]
    for what, goal, got, met in targets:
        lines.append(f"| {what} | {goal} | {got} | {'yes' if met else '**no**'} |")
    return "\n".join(lines) + "\n"


def raise_fd_limit(want=65_536):
    """10,000 streams need more descriptors than a default limit allows (the Go
    package holds a readiness descriptor per stream besides the socket)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        print(f"note: open files limited to {hard}; 10,000 streams may not fit", flush=True)


def main():
    started = time.time()
    raise_fd_limit()
    print("building the load server and every client", flush=True)
    build()
    with LoadServer() as server:
        print("throughput", flush=True)
        flood = throughput(server)
        print("latency", flush=True)
        lat = latency(server)
        print("idle streams", flush=True)
        idl = idle(server)
        if SMOKE:
            import instructions  # its full run is its own command: instructions.py
            instructions.smoke(server)
    print("close", flush=True)
    cls = closing()
    text = report(flood, lat, idl, cls, time.time() - started)
    if SMOKE:
        print(f"benchmark smoke run passed in {time.time() - started:.0f} s (nothing written)")
    else:
        (ROOT / "benches" / "RESULTS.md").write_text(text)
        print(text)


if __name__ == "__main__":
    main()
