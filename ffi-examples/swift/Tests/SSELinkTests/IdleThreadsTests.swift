import Foundation
import Testing

@testable import SSELink

extension SSELinkTests {
    /// Waiting holds no thread: many streams, each with a task waiting for
    /// its next item, add the library's reader threads and nothing per
    /// stream on the Swift side. SSELINK_SWIFT_IDLE_STREAMS sets how many
    /// (200 by default; the figure in the README is for 1,000).
    @Suite struct IdleStreams {
        @Test func waitingTasksHoldNoThread() async throws {
            let count = ProcessInfo.processInfo.environment["SSELINK_SWIFT_IDLE_STREAMS"].flatMap { Int($0) } ?? 200
            try await eventually("earlier tests' reader threads to exit") { threads(named: "sselink-reader") == 0 }
            let threadsBefore = threads()
            let readersBefore = threads(named: "sselink-reader")
            let streams = try (0..<count).map { _ in try SSEStream(url: url("/silent")) }
            let opened = AsyncStream<Void>.makeStream()
            let consumers = streams.map { stream in
                Task {
                    while let item = await stream.next() {
                        if case .open = item { break }
                    }
                    opened.continuation.yield()
                    return await stream.next()  // nothing comes until the stream is closed
                }
            }
            try await within("every stream to open") {
                var open = 0
                for await _ in opened.stream {
                    open += 1
                    if open == count { return }
                }
            }
            // Each consumer suspends in its wait (polled: nothing reports it).
            try await eventually("every consumer to wait") { streams.allSatisfy { $0.core.suspendedCount == 1 } }
            // The cooperative pool is free: all those waits block none of its threads.
            let answer = try await within("a task on the cooperative pool") { await Task { 42 }.value }
            #expect(answer == 42)

            let threadsNow = threads()
            let readers = threads(named: "sselink-reader") - readersBefore
            let others = threadsNow - threadsBefore - readers
            print(
                "idle streams: \(count); threads before \(threadsBefore), with the streams \(threadsNow): "
                    + "\(readers) reader threads of the library, \(others) other new threads; "
                    + "the rest: \(threadNames().filter { $0 != "sselink-reader" }.sorted())")
            #expect(readers == count, "one reader thread per stream, in the library")
            #expect(others <= 16, "no thread per stream on the Swift side: \(others) new threads for \(count) streams")

            for stream in streams { stream.close() }
            for consumer in consumers {
                let item = try await within("a consumer to end") { await consumer.value }
                #expect(item == nil)
            }
        }
    }
}
