import Foundation
import XCTest

@testable import SSELink

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

/// A loopback test server run with python3 (a script that prints
/// "PORT <n>" first), stopped by `stop()` or when the test process exits.
final class TestServer: @unchecked Sendable {
    // @unchecked Sendable: `process` and `base` are set in init and never
    // changed; Process's terminate and wait are safe from any thread.
    let process: Process
    let base: String

    init(script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repositoryRoot.appendingPathComponent(script).path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            process.terminate()
            throw XCTSkip("\(script) did not say its port: \(text)")
        }
        self.process = process
        self.base = "http://127.0.0.1:\(port)"
    }

    func url(_ path: String) -> String { base + path }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// The server ffi-examples/c/tests/test_server.py, shared by a test class.
class ServerTestCase: XCTestCase {
    nonisolated(unsafe) static var server: TestServer?

    override class func setUp() {
        super.setUp()
        server = try? TestServer(script: "ffi-examples/c/tests/test_server.py")
    }

    override class func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    func url(_ path: String) throws -> String {
        guard let server = Self.server else { throw XCTSkip("python3 runs the test server") }
        return server.url(path)
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body`, failing if it takes longer than `patience`: every wait of
/// the tests is bounded. `body` must end when cancelled.
func within<T: Sendable>(
    _ what: String, _ limit: Duration = patience, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut(what: what) }
        return value
    }
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

/// A configuration that reconnects at once, for tests that drop connections.
func fastReconnect() -> SSEStream.Configuration {
    var configuration = SSEStream.Configuration()
    configuration.reconnectDelay = .milliseconds(10)
    configuration.maxReconnectDelay = .milliseconds(50)
    return configuration
}

/// Counts deinits, to prove an object is released exactly once.
final class Counter: @unchecked Sendable {
    // @unchecked Sendable: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0

    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// An object whose deinit counts, captured by callbacks under test.
final class Tracked: Sendable {
    let counter: Counter

    init(_ counter: Counter) { self.counter = counter }
    deinit { counter.increment() }
}

/// The threads of this process, and those named `name`, from /proc.
func threads(named name: String? = nil) -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    guard let name else { return tasks.count }
    return tasks.filter { task in
        let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
        return comm.trimmingCharacters(in: .whitespacesAndNewlines) == name
    }.count
}

/// Polls `condition` until it holds, bounded by `patience`: for what no
/// signal reports (a thread of the library exiting).
func eventually(_ what: String, _ condition: () -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: patience)
    while !condition() {
        guard clock.now < deadline else { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}
