// The Swift client of the benchmark: sselink through the SSELink package,
// reading events as a Swift program does, with `for try await` over
// `stream.events`.
//
//     SSELinkBenchClient flood   <url> <events>
//     SSELinkBenchClient latency <url> <events>
//     SSELinkBenchClient idle    <url> <streams>
//
// Prints one JSON object, as the Rust, C and Go clients do (run.py reads it).
//
// The measuring runs in a detached task (off the main actor) while the main
// thread waits on a semaphore: top-level `await` would hand the main thread
// to Dispatch's main queue, which valgrind (instructions.py) cannot run.
import Dispatch
import SSELink

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes `text` to standard error (descriptor 2: `stderr` is shared
/// mutable state to Swift 6).
func complain(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

func fail(_ message: String) -> Never {
    complain("client: \(message)\n")
    exit(1)
}

/// Nanoseconds of `clock`: CLOCK_MONOTONIC is the load server's clock too.
func nanoseconds(_ clock: clockid_t) -> UInt64 {
    var time = timespec()
    clock_gettime(clock, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// A field of /proc/self/status in its own unit (kB for VmRSS).
func statusField(_ field: String) -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix(field) {
            return Int(text.dropFirst(field.count).split(whereSeparator: \.isWhitespace).first ?? "") ?? 0
        }
    }
    return 0
}

func open(_ url: String) -> SSEStream {
    do {
        return try SSEStream(url: url)
    } catch {
        fail("cannot connect to \(url): \(error)")
    }
}

/// The next event of `events`; exits when the stream ends first.
func nextEvent(_ events: inout SSEStream.Events.AsyncIterator) async -> SSEStream.Event {
    do {
        guard let event = try await events.next() else { fail("the stream closed early") }
        return event
    } catch {
        fail("closed: \(error)")
    }
}

func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double {
    Double(sorted[Int(Double(sorted.count - 1) * fraction + 0.5)]) / 1e3
}

/// The measuring, for the `mode` run.py asks for; prints the JSON line.
func measure(mode: String, url: String, count: Int) async {
    let start = nanoseconds(CLOCK_MONOTONIC)
    let cpuStart = nanoseconds(CLOCK_PROCESS_CPUTIME_ID)
    switch mode {
    case "idle":
        let rss = statusField("VmRSS:")
        let threads = statusField("Threads:")
        let streams = (0..<count).map { _ in open(url) }
        for stream in streams {
            var events = stream.events.makeAsyncIterator()
            _ = await nextEvent(&events)
        }
        let perStream = Double(statusField("VmRSS:") - rss) / Double(max(count, 1))
        let threadsPerStream = Double(statusField("Threads:") - threads) / Double(max(count, 1))
        print("{\"streams\":\(count),\"kib_per_stream\":\(perStream),\"threads_per_stream\":\(threadsPerStream)}")
        for stream in streams { stream.close() }
    default:
        let latency = mode == "latency"
        var delays: [UInt64] = []
        if latency { delays.reserveCapacity(count) }
        let stream = open(url)
        var events = stream.events.makeAsyncIterator()
        var bytes = 0
        for _ in 0..<count {
            let event = await nextEvent(&events)
            bytes += event.data.utf8.count
            if latency {
                // The send time: 20 bytes, the digits right-aligned.
                guard let sent = UInt64(event.data.prefix(20).drop { $0 == " " }) else {
                    fail("no send time in \(event.data.prefix(20))")
                }
                let now = nanoseconds(CLOCK_MONOTONIC)
                delays.append(now > sent ? now - sent : 0)
            }
        }
        let seconds = Double(nanoseconds(CLOCK_MONOTONIC) - start) / 1e9
        let cpu = Double(nanoseconds(CLOCK_PROCESS_CPUTIME_ID) - cpuStart) / 1e9
        stream.close()
        delays.sort()
        let (p50, p99, worst) = delays.isEmpty
            ? (0, 0, 0)
            : (percentile(delays, 0.5), percentile(delays, 0.99), Double(delays[delays.count - 1]) / 1e3)
        print("{\"events\":\(count),\"bytes\":\(bytes),\"secs\":\(seconds),\"cpu\":\(cpu),"
            + "\"p50_us\":\(p50),\"p99_us\":\(p99),\"max_us\":\(worst)}")
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 4, ["flood", "latency", "idle"].contains(arguments[1]),
    let count = Int(arguments[3]), count >= 0
else {
    complain("usage: SSELinkBenchClient flood|latency|idle URL N\n")
    exit(2)
}
let finished = DispatchSemaphore(value: 0)
Task.detached { [mode = arguments[1], url = arguments[2]] in
    await measure(mode: mode, url: url, count: count)
    finished.signal()
}
finished.wait()
