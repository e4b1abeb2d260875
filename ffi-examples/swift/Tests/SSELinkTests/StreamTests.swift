import Foundation
import XCTest

@testable import SSELink

final class StreamTests: ServerTestCase {
    func testItemsCarryTheLifecycleAndTheEventsInOrder() async throws {
        var configuration = SSEStream.Configuration()
        configuration.reconnect = false
        let stream = try SSEStream(url: url("/events?n=3"), configuration: configuration)
        let items = try await within("every item") {
            var items: [SSEStream.Item] = []
            for await item in stream.items { items.append(item) }
            return items
        }
        XCTAssertEqual(items.count, 6, "\(items)")
        guard items.count == 6 else { return }
        guard case .connecting(attempt: 0) = items[0] else { return XCTFail("\(items[0])") }
        guard case .open(let status, let headers) = items[1] else { return XCTFail("\(items[1])") }
        XCTAssertEqual(status, 200)
        XCTAssertEqual(headers["X-Stream"], "test-server")
        XCTAssertEqual(headers["content-type"], "text/event-stream")
        for n in 0..<3 {
            guard case .event(let event) = items[2 + n] else { return XCTFail("\(items[2 + n])") }
            XCTAssertEqual(event, SSEStream.Event(type: "message", data: "event \(n)", id: "\(n)"))
        }
        guard case .closed(.ended) = items[5] else { return XCTFail("\(items[5])") }
        XCTAssertEqual(stream.state, .closed)
        XCTAssertEqual(stream.lastEventID, "2")
        let after = await stream.next()
        XCTAssertNil(after, "nothing after the closing item")
    }

    func testResumesWithLastEventIDAcrossADrop() async throws {
        // /resume sends id 5 and drops the connection; the reconnect must carry it.
        let stream = try SSEStream(url: url("/resume"), configuration: fastReconnect())
        let first = try await event(of: stream)
        XCTAssertEqual(first.id, "5")
        XCTAssertEqual(first.data, "first")
        let second = try await event(of: stream)
        XCTAssertEqual(second.data, "last-event-id=5")
        XCTAssertEqual(second.id, "5", "the id survives the reconnect")
        XCTAssertEqual(stream.lastEventID, "5")
    }

    func testA401EndsTheStreamWithItsStatus() async throws {
        let stream = try SSEStream(url: url("/unauthorized"))
        do {
            try await within("the 401") {
                for try await event in stream.events { XCTFail("no event expected: \(event)") }
            }
            XCTFail("events must throw the 401")
        } catch let error as SSEError {
            XCTAssertEqual(error.kind, .httpStatus)
            XCTAssertEqual(error.status, 401)
            XCTAssertEqual(error.responseBody, #"{"error":"bad token"}"#)
            XCTAssertEqual(error.responseHeaders["content-type"], "application/json")
            XCTAssertTrue(error.description.contains("401"), error.description)
            XCTAssertTrue(error.description.contains("credentials"), "says what to do: \(error.description)")
        }
        XCTAssertEqual(stream.state, .closed)
        let again = try await within("a second iteration") {
            var count = 0
            for try await _ in stream.events { count += 1 }
            return count
        }
        XCTAssertEqual(again, 0, "the error is handed out once; later iterations end")
    }

    func testTheClosingItemCarriesTheErrorToItems() async throws {
        let stream = try SSEStream(url: url("/unauthorized"))
        let last = try await item(of: stream, "the closing item") {
            if case .closed = $0 { true } else { false }
        }
        guard case .closed(.error(let error)) = last else { return XCTFail("\(last)") }
        XCTAssertEqual(error.status, 401)
    }

    func testNoContentEndsTheEventsWithoutAnError() async throws {
        let stream = try SSEStream(url: url("/nocontent"))
        let count = try await within("the 204") {
            var count = 0
            for try await _ in stream.events { count += 1 }
            return count
        }
        XCTAssertEqual(count, 0)
        XCTAssertEqual(stream.state, .closed)
    }

    func testCloseFromAnotherTaskEndsAWaitingConsumer() async throws {
        let stream = try SSEStream(url: url("/silent"))
        try await opened(stream)
        let consumer = Task {
            var events = 0
            for try await _ in stream.events { events += 1 }
            return events
        }
        // The consumer is waiting (or about to): close from this task.
        stream.close()
        let events = try await within("the consumer to end") { try await consumer.value }
        XCTAssertEqual(events, 0)
        XCTAssertEqual(stream.state, .closed)
        let next = await stream.next()
        XCTAssertNil(next, "a closed stream hands out nothing")
        XCTAssertFalse(stream.restart(), "a closed stream does not restart")
        stream.close()  // twice: nothing happens
    }

    func testCloseWakesConsumersThatAreAlreadySuspended() async throws {
        let stream = try SSEStream(url: url("/silent"))
        try await opened(stream)
        let started = AsyncStream<Void>.makeStream()
        let consumers = (0..<4).map { _ in
            Task {
                started.continuation.yield()
                return await stream.next()
            }
        }
        var iterator = started.stream.makeAsyncIterator()
        for _ in 0..<4 { _ = await iterator.next() }
        stream.close()
        for consumer in consumers {
            let item = try await within("a consumer to end") { await consumer.value }
            XCTAssertNil(item)
        }
    }

    func testRestartReconnectsWithTheLastEventID() async throws {
        var configuration = SSEStream.Configuration()
        configuration.lastEventID = "seed-7"
        let stream = try SSEStream(url: url("/resume"), configuration: configuration)
        let first = try await event(of: stream)
        XCTAssertEqual(first.data, "last-event-id=seed-7")
        XCTAssertTrue(stream.restart())
        let reconnect = try await item(of: stream, "the reconnect") {
            if case .connecting = $0 { true } else { false }
        }
        guard case .connecting(let attempt) = reconnect else { return XCTFail("\(reconnect)") }
        XCTAssertGreaterThanOrEqual(attempt, 0)
        let second = try await event(of: stream)
        XCTAssertEqual(second.data, "last-event-id=seed-7")
        stream.close()
        XCTAssertFalse(stream.restart())
    }

    func testFourMiBEvent() async throws {
        let stream = try SSEStream(url: url("/big"))
        let big = try await event(of: stream, "the 4 MiB event")
        XCTAssertEqual(big.data.utf8.count, 4 << 20)
        XCTAssertTrue(big.data.utf8.allSatisfy { $0 == UInt8(ascii: "x") })
    }

    func testDataMayHoldNUL() async throws {
        let stream = try SSEStream(url: url("/nul"))
        let nul = try await event(of: stream)
        XCTAssertEqual(Array(nul.data.utf8), [0x61, 0, 0x62])
    }

    func testBlockingNextWithATimeout() throws {
        var configuration = SSEStream.Configuration()
        configuration.reconnect = false
        let stream = try SSEStream(url: url("/events?n=2"), configuration: configuration)
        var kinds: [String] = []
        while let item = try stream.next(timeout: patience) {
            switch item {
            case .event(let event): kinds.append(event.data)
            case .closed: kinds.append("closed")
            default: break
            }
        }
        XCTAssertEqual(kinds, ["event 0", "event 1", "closed"])

        let silent = try SSEStream(url: url("/silent"))
        var opened = false
        while !opened, let item = try silent.next(timeout: patience) {
            if case .open = item { opened = true }
        }
        XCTAssertTrue(opened)
        XCTAssertThrowsError(try silent.next(timeout: .milliseconds(50))) { error in
            XCTAssertEqual((error as? SSEError)?.kind, .timedOut)
        }
        silent.close()
        XCTAssertNil(try silent.next(timeout: patience), "closed: nil, not a timeout")
    }

    func testCancellingTheConsumingTaskEndsItsWaitButNotTheStream() async throws {
        let stream = try SSEStream(url: url("/silent"))
        try await opened(stream)
        let waiting = AsyncStream<Void>.makeStream()
        let consumer = Task {
            waiting.continuation.yield()
            var events = 0
            for try await _ in stream.events { events += 1 }
            return events
        }
        var iterator = waiting.stream.makeAsyncIterator()
        _ = await iterator.next()
        consumer.cancel()
        let events = try await within("the cancelled consumer to end") { try await consumer.value }
        XCTAssertEqual(events, 0)
        XCTAssertEqual(stream.state, .open, "cancelling the consumer does not close the stream")
        // The stream goes on for the next consumer: a restart is seen.
        XCTAssertTrue(stream.restart())
        _ = try await item(of: stream, "connecting after the restart") {
            if case .connecting = $0 { true } else { false }
        }
        stream.close()
    }

    func testACancelledTaskEndsEvenWhileItemsKeepComing() async throws {
        // A flood: next() always finds an item queued, yet cancellation ends it.
        let stream = try SSEStream(url: url("/events?n=100000"), configuration: fastReconnect())
        let consumer = Task {
            var count = 0
            for await _ in stream.items {
                count += 1
                if count == 10 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return count
        }
        let count = try await within("the flooded consumer to end") { await consumer.value }
        XCTAssertEqual(count, 10)
    }

    func testConcurrentConsumersShareTheItemsExactlyOnce() async throws {
        var configuration = SSEStream.Configuration()
        configuration.reconnect = false
        configuration.capacity = 16
        let total = 2000
        let stream = try SSEStream(url: url("/events?n=\(total)"), configuration: configuration)
        let results = try await within("four consumers") {
            try await withThrowingTaskGroup(of: ([Int], Int).self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var ids: [Int] = []
                        var closings = 0
                        for await item in stream.items {
                            switch item {
                            case .event(let event):
                                let id = Int(event.id) ?? -1
                                XCTAssertEqual(event.data, "event \(id)", "an item's strings are its own")
                                ids.append(id)
                            case .closed: closings += 1
                            default: break
                            }
                        }
                        return (ids, closings)
                    }
                }
                var all: [([Int], Int)] = []
                for try await result in group { all.append(result) }
                return all
            }
        }
        let ids = results.flatMap(\.0)
        XCTAssertEqual(ids.sorted(), Array(0..<total), "every event once")
        XCTAssertEqual(results.map(\.1).reduce(0, +), 1, "one consumer gets the closing item")
        for (consumerIDs, _) in results {
            XCTAssertEqual(consumerIDs, consumerIDs.sorted(), "each consumer sees them in order")
        }
    }

    func testADroppedStreamIsClosedAndFreed() async throws {
        let before = threads(named: "sselink-reader")
        weak var weakStream: SSEStream?
        do {
            let stream = try SSEStream(url: url("/silent"))
            weakStream = stream
            try await opened(stream)
            XCTAssertEqual(threads(named: "sselink-reader"), before + 1)
        }
        XCTAssertNil(weakStream, "no reference is left behind")
        try await eventually("the reader thread to exit") { threads(named: "sselink-reader") == before }
    }

    func testAnIterationKeepsItsStreamAlive() async throws {
        var configuration = SSEStream.Configuration()
        configuration.reconnect = false
        weak var weakStream: SSEStream?
        let items: SSEStream.Items
        do {
            let stream = try SSEStream(url: url("/events?n=2"), configuration: configuration)
            weakStream = stream
            items = stream.items
        }
        XCTAssertNotNil(weakStream, "the sequence holds the stream")
        let count = try await within("the items") {
            var count = 0
            for await item in items {
                if case .event = item { count += 1 }
            }
            return count
        }
        XCTAssertEqual(count, 2)
    }

    func testInvalidConfigurationNamesWhatIsWrong() throws {
        XCTAssertThrowsError(try SSEStream(url: "ftp://example.com/")) { error in
            XCTAssertEqual((error as? SSEError)?.kind, .invalidConfiguration)
            XCTAssertTrue("\(error)".contains("ftp://example.com/"), "\(error)")
        }
        var configuration = SSEStream.Configuration()
        configuration.connectTimeout = .zero
        XCTAssertThrowsError(try SSEStream(url: url("/silent"), configuration: configuration)) { error in
            XCTAssertEqual((error as? SSEError)?.kind, .invalidConfiguration)
            XCTAssertTrue("\(error)".hasPrefix("connectTimeout: "), "\(error)")
        }
        configuration = SSEStream.Configuration()
        configuration.healthyAfter = .seconds(-1)
        XCTAssertThrowsError(try SSEStream(url: url("/silent"), configuration: configuration)) { error in
            XCTAssertTrue("\(error)".hasPrefix("healthyAfter: "), "\(error)")
        }
        configuration = SSEStream.Configuration()
        configuration.headers["X-Bad"] = "line\nbreak"
        XCTAssertThrowsError(try SSEStream(url: url("/silent"), configuration: configuration)) { error in
            XCTAssertTrue("\(error)".hasPrefix("headers[\"X-Bad\"]: "), "\(error)")
        }
        configuration = SSEStream.Configuration()
        configuration.headers["Content-Length"] = "3"
        XCTAssertThrowsError(try SSEStream(url: url("/silent"), configuration: configuration))
        configuration = SSEStream.Configuration()
        configuration.capacity = -1
        XCTAssertThrowsError(try SSEStream(url: url("/silent"), configuration: configuration)) { error in
            XCTAssertTrue("\(error)".hasPrefix("capacity: "), "\(error)")
        }
    }

    func testOptionsReachTheRequest() async throws {
        // /token echoes the Authorization header: a configured header is sent.
        var configuration = SSEStream.Configuration()
        configuration.reconnect = false
        let token = "Bearer options-\(UUID().uuidString)"
        configuration.sensitiveHeaders["Authorization"] = token
        configuration.queryItems = [URLQueryItem(name: "unused", value: "1")]
        let stream = try SSEStream(url: url("/token"), configuration: configuration)
        let echoed = try await event(of: stream)
        XCTAssertEqual(echoed.data, token)
    }

    func testTheLinkedLibraryIsTheHeadersVersion() {
        let version = SSEStream.libraryVersion
        XCTAssertEqual(
            version, "\(headerVersion.major).\(headerVersion.minor).\(headerVersion.patch)",
            "the library pkg-config found is the release include/sselink.h describes")
    }
}
