import Foundation
import Testing

@testable import SSELink

extension SSELinkTests {
    @Suite struct Streams {
        @Test func itemsCarryTheLifecycleAndTheEventsInOrder() async throws {
            let stream = try SSEStream(url: url("/events?n=3"), configuration: once())
            let items = try await within("every item") {
                var items: [SSEStream.Item] = []
                for await item in stream.items { items.append(item) }
                return items
            }
            try #require(items.count == 6, "\(items)")
            guard case .connecting(attempt: 0) = items[0] else { Issue.record("\(items[0])"); return }
            guard case .open(let status, let headers) = items[1] else { Issue.record("\(items[1])"); return }
            #expect(status == 200)
            #expect(headers["X-Stream"] == "test-server")
            #expect(headers["content-type"] == "text/event-stream")
            for n in 0..<3 {
                guard case .event(let event) = items[2 + n] else { Issue.record("\(items[2 + n])"); return }
                #expect(event == SSEStream.Event(type: "message", data: "event \(n)", id: "\(n)"))
            }
            guard case .closed(.ended) = items[5] else { Issue.record("\(items[5])"); return }
            #expect(stream.state == .closed)
            #expect(stream.lastEventID == "2")
            let after = await stream.next()
            #expect(after == nil, "nothing after the closing item")
        }

        @Test func resumesWithLastEventIDAcrossADrop() async throws {
            // /resume sends id 5 and drops the connection; the reconnect must carry it.
            let stream = try SSEStream(url: url("/resume"), configuration: fastReconnect())
            let first = try await event(of: stream)
            #expect(first.id == "5")
            #expect(first.data == "first")
            let second = try await event(of: stream)
            #expect(second.data == "last-event-id=5")
            #expect(second.id == "5", "the id survives the reconnect")
            #expect(stream.lastEventID == "5")
        }

        @Test func a401EndsTheEventsWithItsStatus() async throws {
            let stream = try SSEStream(url: url("/unauthorized"))
            let error = try await within("the 401") { () async throws -> SSEError? in
                do throws(SSEError) {
                    for try await event in stream.events { Issue.record("no event expected: \(event)") }
                    return nil
                } catch {
                    return error
                }
            }
            let failure = try #require(error as SSEError?, "events throws the error that ended the stream")
            #expect(failure.kind == .httpStatus)
            #expect(failure.status == 401)
            #expect(failure.responseBody == #"{"error":"bad token"}"#)
            #expect(failure.responseHeaders["content-type"] == "application/json")
            #expect(failure.description.contains("401"))
            #expect(failure.description.contains("credentials"), "says what to do: \(failure)")
            #expect(stream.state == .closed)
            let again = try await within("a second iteration") {
                var count = 0
                for try await _ in stream.events { count += 1 }
                return count
            }
            #expect(again == 0, "the error is handed out once; later iterations end")
        }

        @Test func theClosingItemCarriesTheErrorToItems() async throws {
            let stream = try SSEStream(url: url("/unauthorized"))
            guard case .error(let error) = try await closing(stream) else {
                Issue.record("a closing error")
                return
            }
            #expect(error.status == 401)
            #expect(error.kind == .httpStatus)
        }

        @Test func noContentEndsTheEventsWithoutAnError() async throws {
            let stream = try SSEStream(url: url("/nocontent"))
            let count = try await within("the 204") {
                var count = 0
                for try await _ in stream.events { count += 1 }
                return count
            }
            #expect(count == 0)
            #expect(stream.state == .closed)
            let reason = try await within("after the end") { await stream.next() }
            #expect(reason == nil)
        }

        @Test func closeFromAnotherTaskEndsAWaitingConsumer() async throws {
            let stream = try SSEStream(url: url("/silent"))
            try await opened(stream)
            let suspended = AsyncStream<Void>.makeStream()
            let consumer = Task {
                suspended.continuation.yield()
                var events = 0
                for try await _ in stream.events { events += 1 }
                return events
            }
            var started = suspended.stream.makeAsyncIterator()
            _ = await started.next()
            stream.close()
            let events = try await within("the consumer to end") { try await consumer.value }
            #expect(events == 0)
            #expect(stream.state == .closed)
            let next = await stream.next()
            #expect(next == nil, "a closed stream hands out nothing")
            #expect(!stream.restart(), "a closed stream does not restart")
            stream.close()  // twice: nothing happens
        }

        @Test func closeWakesEveryConsumerWaiting() async throws {
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
                #expect(item == nil)
            }
        }

        @Test func restartReconnectsWithTheLastEventID() async throws {
            var configuration = SSEStream.Configuration()
            configuration.lastEventID = "seed-7"
            let stream = try SSEStream(url: url("/resume"), configuration: configuration)
            let first = try await event(of: stream)
            #expect(first.data == "last-event-id=seed-7", "the seeded id is sent")
            #expect(stream.restart())
            _ = try await item(of: stream, "the reconnect") {
                if case .connecting = $0 { true } else { false }
            }
            let second = try await event(of: stream)
            #expect(second.data == "last-event-id=seed-7")
            stream.close()
            #expect(!stream.restart())
        }

        @Test func fourMiBEvent() async throws {
            let stream = try SSEStream(url: url("/big"))
            let big = try await event(of: stream, "the 4 MiB event")
            #expect(big.data.utf8.count == 4 << 20)
            #expect(big.data.utf8.allSatisfy { $0 == UInt8(ascii: "x") })
        }

        @Test func dataMayHoldNUL() async throws {
            let stream = try SSEStream(url: url("/nul"))
            let nul = try await event(of: stream)
            #expect(Array(nul.data.utf8) == [0x61, 0, 0x62])
        }

        @Test func blockingNextWithATimeout() throws {
            let stream = try SSEStream(url: url("/events?n=2"), configuration: once())
            var seen: [String] = []
            while let item = try stream.next(timeout: patience) {
                switch item {
                case .event(let event): seen.append(event.data)
                case .closed: seen.append("closed")
                default: break
                }
            }
            #expect(seen == ["event 0", "event 1", "closed"])

            let silent = try SSEStream(url: url("/silent"))
            var open = false
            while !open, let item = try silent.next(timeout: patience) {
                if case .open = item { open = true }
            }
            #expect(open)
            let error = #expect(throws: SSEError.self) { try silent.next(timeout: .milliseconds(50)) }
            #expect(error?.kind == .timedOut)
            silent.close()
            #expect(try silent.next(timeout: patience) == nil, "closed: nil, not a timeout")
        }

        @Test func cancellingTheConsumingTaskEndsItsWaitButNotTheStream() async throws {
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
            #expect(events == 0)
            #expect(stream.state == .open, "cancelling the consumer does not close the stream")
            // The stream goes on for the next consumer: a restart is seen.
            #expect(stream.restart())
            _ = try await item(of: stream, "connecting after the restart") {
                if case .connecting = $0 { true } else { false }
            }
            stream.close()
        }

        @Test func aCancelledTaskEndsEvenWhileItemsKeepComing() async throws {
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
            #expect(count == 10)
        }

        @Test func concurrentConsumersShareTheItemsExactlyOnce() async throws {
            var configuration = once()
            configuration.capacity = 16
            let total = 2000
            let stream = try SSEStream(url: url("/events?n=\(total)"), configuration: configuration)
            let results = try await within("four consumers") {
                await withTaskGroup(of: ([Int], Int).self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            var ids: [Int] = []
                            var closings = 0
                            for await item in stream.items {
                                switch item {
                                case .event(let event):
                                    let id = Int(event.id) ?? -1
                                    #expect(event.data == "event \(id)", "an item's strings are its own")
                                    ids.append(id)
                                case .closed: closings += 1
                                default: break
                                }
                            }
                            return (ids, closings)
                        }
                    }
                    var all: [([Int], Int)] = []
                    for await result in group { all.append(result) }
                    return all
                }
            }
            #expect(results.flatMap(\.0).sorted() == Array(0..<total), "every event once")
            #expect(results.map(\.1).reduce(0, +) == 1, "one consumer gets the closing item")
            for (ids, _) in results {
                #expect(ids == ids.sorted(), "each consumer sees its events in order")
            }
        }

        @Test func aDroppedStreamIsClosedAndFreed() async throws {
            try await eventually("earlier tests' reader threads to exit") { threads(named: "sselink-reader") == 0 }
            let releases = Counter()
            weak var weakStream: SSEStream?
            do {
                var configuration = SSEStream.Configuration()
                do {
                    let tracked = Tracked(releases)
                    configuration.headerProvider = {
                        _ = tracked
                        return [:]
                    }
                }
                let stream = try SSEStream(url: url("/silent"), configuration: configuration)
                weakStream = stream
                try await opened(stream)
                #expect(threads(named: "sselink-reader") == 1)
            }
            #expect(weakStream == nil, "no reference is left behind")
            // Freed: the library lets go of the provider once the stream is
            // freed and its reader thread is gone.
            try await eventually("the reader thread to exit") { threads(named: "sselink-reader") == 0 }
            try await eventually("the provider's release") { releases.value == 1 }
        }

        @Test func anIterationKeepsItsStreamAlive() async throws {
            weak var weakStream: SSEStream?
            let items: SSEStream.Items
            do {
                let stream = try SSEStream(url: url("/events?n=2"), configuration: once())
                weakStream = stream
                items = stream.items
            }
            #expect(weakStream != nil, "the sequence holds the stream")
            let count = try await within("the items") {
                var count = 0
                for await item in items {
                    if case .event = item { count += 1 }
                }
                return count
            }
            #expect(count == 2)
        }

        @Test func invalidConfigurationNamesWhatIsWrong() throws {
            func refusal(_ change: (inout SSEStream.Configuration) -> Void) throws -> SSEError? {
                var configuration = SSEStream.Configuration()
                change(&configuration)
                return #expect(throws: SSEError.self) {
                    try SSEStream(url: url("/silent"), configuration: configuration)
                }
            }
            let scheme = #expect(throws: SSEError.self) { try SSEStream(url: "ftp://example.com/") }
            #expect(scheme?.kind == .invalidConfiguration)
            #expect(scheme?.description.contains("ftp://example.com/") == true)
            let zero = try refusal { $0.connectTimeout = .zero }
            #expect(zero?.kind == .invalidConfiguration)
            #expect(zero?.description.hasPrefix("connectTimeout: ") == true, "\(String(describing: zero))")
            let negative = try refusal { $0.healthyAfter = .seconds(-1) }
            #expect(negative?.description.hasPrefix("healthyAfter: ") == true)
            let control = try refusal { $0.headers["X-Bad"] = "line\nbreak" }
            #expect(control?.description.hasPrefix("headers[\"X-Bad\"]: ") == true)
            let framing = try refusal { $0.headers["Content-Length"] = "3" }
            #expect(framing?.kind == .invalidConfiguration)
            let capacity = try refusal { $0.capacity = -1 }
            #expect(capacity?.description.hasPrefix("capacity: ") == true)
            let status = try refusal { $0.retryStatuses = [70_000] }
            #expect(status?.description.hasPrefix("retryStatuses: ") == true)
        }

        @Test func headersReachTheRequest() async throws {
            // /token echoes the Authorization header of a request it accepts.
            var configuration = once()
            let token = "Bearer options-\(UUID().uuidString)"
            configuration.sensitiveHeaders["Authorization"] = token
            let stream = try SSEStream(url: url("/token"), configuration: configuration)
            let echoed = try await event(of: stream)
            #expect(echoed.data == token)
        }

        @Test func theLinkedLibraryIsTheHeadersRelease() {
            #expect(
                SSEStream.libraryVersion == "\(headerVersion.major).\(headerVersion.minor).\(headerVersion.patch)",
                "the library pkg-config found is the release include/sselink.h describes")
        }

        @Test func eventsDecodeAsJSON() throws {
            struct Payload: Decodable, Equatable {
                let n: Int
            }
            let event = SSEStream.Event(type: "tick", data: #"{"n":3}"#)
            #expect(try event.decode(Payload.self) == Payload(n: 3))
            #expect(throws: (any Error).self) { try SSEStream.Event(data: "not json").decode(Payload.self) }
        }
    }
}

extension SSELinkTests.Streams {
    @Test func aDropPolicyCountsWhatItDropped() async throws {
        var configuration = once()
        configuration.capacity = 1
        configuration.overflow = .dropNewest
        let total = 1000
        let stream = try SSEStream(url: url("/events?n=\(total)"), configuration: configuration)
        // Nobody consumes until the reader is done: the channel overflows.
        try await eventually("the reader to finish") { stream.state == .closed }
        let events = try await within("the items left") {
            var events = 0
            for await item in stream.items {
                if case .event = item { events += 1 }
            }
            return events
        }
        #expect(stream.dropped > 0)
        #expect(events + Int(stream.dropped) == total, "every event delivered or counted")
    }
}
