import Foundation
import XCTest

@testable import SSELink

final class HeaderProviderTests: ServerTestCase {
    func testAProviderRefreshesATokenTheServerRefusesOnceSeen() async throws {
        let calls = Counter()
        let releases = Counter()
        let prefix = "swift-\(UUID().uuidString)"
        var configuration = fastReconnect()
        configuration.headers["Authorization"] = "Bearer stale"  // replaced by the provider's
        do {
            let tracked = Tracked(releases)
            configuration.headerProvider = {
                _ = tracked  // released with the provider, once
                calls.increment()
                return ["Authorization": "Bearer \(prefix)-\(calls.value)"]
            }
        }
        var stream: SSEStream? = try SSEStream(url: url("/token"), configuration: configuration)
        configuration.headerProvider = nil  // the stream holds the provider now
        for n in 1...3 {
            let echoed = try await event(of: stream!, "token \(n)")
            XCTAssertEqual(echoed.data, "Bearer \(prefix)-\(n)", "a fresh token on every connect")
        }
        XCTAssertEqual(releases.value, 0, "the stream still uses the provider")
        XCTAssertTrue(stream!.close(waitingUpTo: patience))
        stream = nil
        XCTAssertEqual(releases.value, 1, "released once, when the stream is freed")
        XCTAssertGreaterThanOrEqual(calls.value, 3)
    }

    func testAProviderIsReleasedOnceWhenTheConfigurationIsRefused() throws {
        let releases = Counter()
        var configuration = SSEStream.Configuration()
        do {
            let tracked = Tracked(releases)
            configuration.headerProvider = {
                _ = tracked
                return [:]
            }
        }
        configuration.capacity = 0  // refused: the provider never reaches a stream
        XCTAssertThrowsError(try SSEStream(url: url("/silent"), configuration: configuration))
        configuration.headerProvider = nil
        XCTAssertEqual(releases.value, 1)
    }

    func testOneProviderServesManyStreamsAndIsReleasedOnce() async throws {
        let releases = Counter()
        var configuration = SSEStream.Configuration()
        do {
            let tracked = Tracked(releases)
            configuration.headerProvider = {
                _ = tracked
                return ["X-From": "provider"]
            }
        }
        var streams: [SSEStream] = try (0..<3).map { _ in try SSEStream(url: url("/silent"), configuration: configuration) }
        configuration.headerProvider = nil
        for stream in streams { try await opened(stream) }
        for stream in streams { XCTAssertTrue(stream.close(waitingUpTo: patience)) }
        streams.removeLast()
        XCTAssertEqual(releases.value, 0, "two streams still use it")
        streams.removeAll()
        XCTAssertEqual(releases.value, 1, "every stream let go of the provider: released once")
    }

    func testAProviderHeaderThatCannotBeSentClosesTheStream() async throws {
        var configuration = SSEStream.Configuration()
        configuration.headerProvider = { ["Content-Length": "1"] }  // a framing header
        let stream = try SSEStream(url: url("/silent"), configuration: configuration)
        let last = try await item(of: stream, "the closing item") {
            if case .closed = $0 { true } else { false }
        }
        guard case .closed(.error(let error)) = last else { return XCTFail("\(last)") }
        XCTAssertEqual(error.kind, .headerProvider)
    }
}

final class PostTests: ServerTestCase {
    func testAPostGets429Then503Then201() async throws {
        var configuration = SSEStream.Configuration()
        let key = UUID().uuidString
        configuration.postURL = try url("/statuses?key=\(key)&s=429,503,201")
        configuration.postDelay = .milliseconds(10)
        configuration.maxPostDelay = .milliseconds(50)
        let stream = try SSEStream(url: url("/silent"), configuration: configuration)
        let body = #"{"result":42}"#
        let response = try await within("the post") { try await stream.post(body) }
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.attempts, 3, "429 and 503 retried")
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), body)
        XCTAssertEqual(response.header("content-type"), "application/json")
        XCTAssertNil(response.header("x-none"))
    }

    func testAFinalStatusIsAResponseNotAnError() async throws {
        var configuration = SSEStream.Configuration()
        configuration.postURL = try url("/statuses?key=\(UUID().uuidString)&s=409")
        let stream = try SSEStream(url: url("/silent"), configuration: configuration)
        let response = try await within("the post") { try await stream.post(Array("{}".utf8)) }
        XCTAssertEqual(response.status, 409)
        XCTAssertEqual(response.attempts, 1)
    }

    func testAPostOnAClosedStreamThrowsStreamClosed() async throws {
        var configuration = SSEStream.Configuration()
        configuration.postURL = try url("/statuses?key=\(UUID().uuidString)&s=201")
        let stream = try SSEStream(url: url("/silent"), configuration: configuration)
        stream.close()
        do {
            _ = try await within("the post") { try await stream.post("{}") }
            XCTFail("a closed stream does not post")
        } catch let error as SSEError {
            XCTAssertEqual(error.kind, .streamClosed)
        }
    }

    func testACancelledTaskSendsNothing() async throws {
        let key = UUID().uuidString
        var configuration = SSEStream.Configuration()
        // The first request of the key gets 201, any later one 409.
        configuration.postURL = try url("/statuses?key=\(key)&s=201,409")
        let stream = try SSEStream(url: url("/silent"), configuration: configuration)
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await stream.post("{}")
        }
        do {
            _ = try await within("the cancelled post") { try await cancelled.value }
            XCTFail("a cancelled task does not post")
        } catch is CancellationError {}
        let response = try await within("the post") { try await stream.post("{}") }
        XCTAssertEqual(response.status, 201, "the cancelled post never reached the server")
    }

    func testCancellingAWaitingPostReturnsAtOnce() async throws {
        var configuration = SSEStream.Configuration()
        // Every attempt gets 503 with Retry-After 0, and the delay is long.
        configuration.postURL = try url("/statuses?key=\(UUID().uuidString)&s=503")
        configuration.postDelay = .seconds(600)
        configuration.maxPostDelay = .seconds(600)
        configuration.postTimeout = .seconds(3600)
        let stream = try SSEStream(url: url("/silent"), configuration: configuration)
        let post = Task { try await stream.post("{}") }
        post.cancel()
        do {
            _ = try await within("the cancelled post") { try await post.value }
            XCTFail("cancelled")
        } catch is CancellationError {}
        // Closing the stream interrupts the post still running in the background.
        XCTAssertTrue(stream.close(waitingUpTo: patience))
    }
}

/// Log records gathered by a handler.
final class LogRecords: @unchecked Sendable {
    // @unchecked Sendable: `records` is only touched under `lock`.
    private let lock = NSLock()
    private var records: [SSELog.Record] = []

    func append(_ record: SSELog.Record) { lock.withLock { records.append(record) } }
    var all: [SSELog.Record] { lock.withLock { records } }
}

final class LogTests: ServerTestCase {
    override func tearDown() {
        SSELog.removeHandler()
        super.tearDown()
    }

    func testTheLogHandlerNeverReceivesACredential() async throws {
        let records = LogRecords()
        try SSELog.setHandler(maxLevel: .trace) { records.append($0) }
        let secrets = [
            "QUERYSECRET", "USERSECRET", "HEADERSECRET", "COOKIESECRET", "CUSTOMSECRET", "BODYSECRET",
            "LOCATIONSECRET", "PROVIDERSECRET",
        ]
        let base = try url("/redirect").replacingOccurrences(of: "http://", with: "http://user:USERSECRET@")
        var configuration = SSEStream.Configuration()
        configuration.reconnect = false
        configuration.headers["Authorization"] = "Bearer HEADERSECRET"
        configuration.headers["Cookie"] = "session=COOKIESECRET"
        configuration.sensitiveHeaders["X-Api-Key"] = "CUSTOMSECRET"
        configuration.headerProvider = { ["X-Token": "PROVIDERSECRET"] }
        configuration.method = "POST"
        configuration.body = Data("BODYSECRET".utf8)
        let stream = try SSEStream(url: base + "?api_key=QUERYSECRET", configuration: configuration)
        _ = try await event(of: stream, "the event behind the redirect")
        XCTAssertTrue(stream.close(waitingUpTo: patience))
        let text = records.all.map { "\($0.level) \($0.target) \($0.message)" }.joined(separator: "\n")
        for secret in secrets {
            XCTAssertFalse(text.contains(secret), "logged \(secret):\n\(text)")
        }
        XCTAssertTrue(text.contains("/redirect?api_key=***"), "not vacuous: the connect is logged:\n\(text)")
    }

    func testAReplacedHandlerIsReleasedOnceAndNeverCalledAfter() async throws {
        let releases = Counter()
        let firstCalls = Counter()
        do {
            let tracked = Tracked(releases)
            try SSELog.setHandler(maxLevel: .debug) { _ in
                _ = tracked
                firstCalls.increment()
            }
        }
        var configuration = SSEStream.Configuration()
        configuration.reconnect = false
        let stream = try SSEStream(url: url("/events?n=1"), configuration: configuration)
        _ = try await event(of: stream)
        XCTAssertTrue(stream.close(waitingUpTo: patience))
        XCTAssertGreaterThan(firstCalls.value, 0, "the first handler got records")
        let records = LogRecords()
        try SSELog.setHandler(maxLevel: .debug) { records.append($0) }
        // Its closure is gone once no call of it is running any more.
        try await eventually("the first handler's release") { releases.value == 1 }
        let callsBefore = firstCalls.value
        let second = try SSEStream(url: url("/events?n=1"), configuration: configuration)
        _ = try await event(of: second)
        XCTAssertTrue(second.close(waitingUpTo: patience))
        XCTAssertEqual(firstCalls.value, callsBefore, "a replaced handler gets nothing more")
        XCTAssertFalse(records.all.isEmpty, "the new handler gets the records")
        SSELog.removeHandler()
        XCTAssertEqual(releases.value, 1, "released exactly once")
    }

    func testLevelsAreFiltered() async throws {
        let records = LogRecords()
        try SSELog.setHandler(maxLevel: .warn) { records.append($0) }
        var configuration = SSEStream.Configuration()
        configuration.reconnect = false
        let stream = try SSEStream(url: url("/events?n=1"), configuration: configuration)
        _ = try await event(of: stream)
        XCTAssertTrue(stream.close(waitingUpTo: patience))
        XCTAssertTrue(records.all.allSatisfy { $0.level <= .warn }, "\(records.all)")
    }
}
