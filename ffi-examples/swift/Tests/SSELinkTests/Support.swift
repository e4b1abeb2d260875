import Foundation
import Testing

@testable import SSELink

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every test of the package, in one suite that runs its tests one at a
/// time (some count the process's threads) with the loopback test server
/// of ffi-examples/c/tests/test_server.py running around them.
@Suite(.serialized, .loopbackServer)
struct SSELinkTests {}

/// The repository's root, from this file's place in it.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // SSELinkTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // swift
    .deletingLastPathComponent()  // ffi-examples
    .deletingLastPathComponent()

/// How long any single wait of a test may take before it fails: generous,
/// for sanitizer builds on a loaded machine. Never a timing assertion.
let patience: Duration = .seconds(30)

// MARK: - Subprocesses (posix_spawn: Foundation's Process leaks under ASan)

/// A child process with its standard output in a pipe.
final class Subprocess: @unchecked Sendable {
    // @unchecked Sendable: `pid` and `output` are set in init and never
    // changed; the system calls on them may come from any thread.
    let pid: pid_t
    let output: Int32

    init(_ arguments: [String]) throws {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw SubprocessError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        close(pipeEnds[1])
        guard spawned == 0 else {
            close(pipeEnds[0])
            throw SubprocessError("cannot run \(arguments[0]): error \(spawned)")
        }
        self.pid = pid
        self.output = pipeEnds[0]
    }

    deinit {
        close(output)
    }

    /// One line of output, without its newline ("" at the end of output).
    func readLine() -> String {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(output, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
        return String(decoding: line, as: UTF8.self)
    }

    /// Every byte of output until the child closes it.
    func readAll() -> String {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(output, &buffer, buffer.count)
            if count <= 0 { break }
            all.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: all, as: UTF8.self)
    }

    /// Waits for the child and returns its exit status (or 128 + signal).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    func terminate() {
        _ = kill(pid, SIGKILL)
    }
}

struct SubprocessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program to its end on a Dispatch thread (its output is read with
/// blocking calls), killed if it outlasts `patience`.
func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    let child = try Subprocess(arguments)
    let killer = Task {
        try await Task.sleep(for: patience)
        child.terminate()
    }
    defer { killer.cancel() }
    return await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let output = child.readAll()
            continuation.resume(returning: (child.wait(), output))
        }
    }
}

/// The directory of the built products (the test bundle sits in it).
let productsDirectory: URL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

// MARK: - The loopback servers

/// A test server run with python3: a script that prints "PORT <n>" first.
final class TestServer: Sendable {
    let child: Subprocess
    let base: String

    @TaskLocal static var current: TestServer?

    init(script: String) throws {
        child = try Subprocess(["python3", repositoryRoot.appendingPathComponent(script).path])
        let line = child.readLine()
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            child.terminate()
            _ = child.wait()
            throw SubprocessError("\(script) did not say its port: \(line)")
        }
        base = "http://127.0.0.1:\(port)"
    }

    func url(_ path: String) -> String { base + path }

    func stop() {
        child.terminate()
        _ = child.wait()
    }
}

/// Runs a suite with ffi-examples/c/tests/test_server.py, started once.
struct LoopbackServer: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try TestServer(script: "ffi-examples/c/tests/test_server.py")
        defer { server.stop() }
        try await TestServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == LoopbackServer {
    static var loopbackServer: Self { Self() }
}

/// The URL of `path` on the suite's test server.
func url(_ path: String) throws -> String {
    try #require(TestServer.current, "the loopback server runs around the tests").url(path)
}

// MARK: - Bounded waits

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body`, failing if it takes longer than `patience`: every wait of
/// the tests is bounded, even by a body that ignores cancellation (it is
/// cancelled and left behind, and the test fails).
func within<T: Sendable>(
    _ what: String, _ limit: Duration = patience, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = Locked<CheckedContinuation<T, any Error>?>(nil)
    let finish = { @Sendable (result: Result<T, any Error>) in
        outcome.withLock { continuation -> CheckedContinuation<T, any Error>? in
            defer { continuation = nil }
            return continuation
        }?.resume(with: result)
    }
    let work = Locked<Task<Void, Never>?>(nil)
    let result: Result<T, any Error>
    do {
        result = .success(
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    outcome.withLock { $0 = continuation }
                    let timer = Task {
                        try? await Task.sleep(for: limit)
                        if Task.isCancelled { return }
                        work.withLock { $0 }?.cancel()
                        finish(.failure(TimedOut(what: what)))
                    }
                    let task = Task {
                        do { finish(.success(try await body())) } catch { finish(.failure(error)) }
                        timer.cancel()
                    }
                    work.withLock { $0 = task }
                }
            } onCancel: {
                work.withLock { $0 }?.cancel()
            })
    } catch {
        result = .failure(error)
    }
    // Unless it timed out, the body's task is over before this returns, and
    // so is everything it held.
    if case .failure(let error) = result, error is TimedOut { throw error }
    await work.withLock { $0 }?.value
    return try result.get()
}

/// Takes items until `match` accepts one, bounded.
func item(
    of stream: SSEStream, _ what: String, where match: @escaping @Sendable (SSEStream.Item) -> Bool
) async throws -> SSEStream.Item {
    try await within(what) {
        while let item = await stream.next() {
            if match(item) { return item }
        }
        throw TimedOut(what: "\(what): the stream ended first")
    }
}

/// Takes the next event, bounded.
func event(of stream: SSEStream, _ what: String = "an event") async throws -> SSEStream.Event {
    let found = try await item(of: stream, what) {
        if case .event = $0 { true } else { false }
    }
    guard case .event(let event) = found else { throw TimedOut(what: what) }
    return event
}

/// Waits until the stream reports `.open`.
func opened(_ stream: SSEStream) async throws {
    _ = try await item(of: stream, "open") {
        if case .open = $0 { true } else { false }
    }
}

/// Takes items up to the closing one, bounded.
func closing(_ stream: SSEStream) async throws -> SSEStream.CloseReason {
    let last = try await item(of: stream, "the closing item") {
        if case .closed = $0 { true } else { false }
    }
    guard case .closed(let reason) = last else { throw TimedOut(what: "the closing item") }
    return reason
}

/// Polls `condition` until it holds, bounded by `patience`: only for what no
/// signal reports (a thread of the library exiting, a closure released on
/// the library's thread).
func eventually(_ what: String, _ condition: () -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: patience)
    while !condition() {
        guard clock.now < deadline else { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

// MARK: - Configurations, counters, threads

/// A configuration that reconnects at once, for tests that drop connections.
func fastReconnect() -> SSEStream.Configuration {
    var configuration = SSEStream.Configuration()
    configuration.reconnectDelay = .milliseconds(10)
    configuration.maxReconnectDelay = .milliseconds(50)
    return configuration
}

/// A configuration that does not reconnect: the stream ends with the response.
func once() -> SSEStream.Configuration {
    var configuration = SSEStream.Configuration()
    configuration.reconnect = false
    return configuration
}

/// Counts, to prove an object is released exactly once.
final class Counter: Sendable {
    private let count = Locked(0)

    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    var value: Int { count.withLock { $0 } }
}

/// An object whose deinit counts, captured by callbacks under test.
final class Tracked: Sendable {
    let counter: Counter

    init(_ counter: Counter) { self.counter = counter }
    deinit { _ = counter.increment() }
}

/// A list several threads append to.
final class Collected<Element: Sendable>: Sendable {
    private let elements = Locked<[Element]>([])

    func append(_ element: Element) { elements.withLock { $0.append(element) } }
    var all: [Element] { elements.withLock { $0 } }
}

/// The names of this process's threads, from /proc.
func threadNames() -> [String] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.map { task in
        let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
        return comm.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The threads of this process, or those named `name`.
func threads(named name: String? = nil) -> Int {
    let names = threadNames()
    guard let name else { return names.count }
    return names.count { $0 == name }
}
