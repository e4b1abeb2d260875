import Foundation
import Testing

@testable import SSELink

extension SSELinkTests {
    @Suite struct HeaderProviders {
        @Test func aProviderRefreshesATokenTheServerRefusesOnceSeen() async throws {
            let calls = Counter()
            let releases = Counter()
            let prefix = "swift-\(UUID().uuidString)"
            var configuration = fastReconnect()
            configuration.headers["Authorization"] = "Bearer stale"  // replaced by the provider's
            do {
                let tracked = Tracked(releases)
                configuration.headerProvider = {
                    _ = tracked  // released with the provider, once
                    return ["Authorization": "Bearer \(prefix)-\(calls.increment())"]
                }
            }
            var stream: SSEStream? = try SSEStream(url: url("/token"), configuration: configuration)
            configuration.headerProvider = nil  // the stream holds the provider now
            for n in 1...3 {
                let echoed = try await event(of: stream!, "token \(n)")
                #expect(echoed.data == "Bearer \(prefix)-\(n)", "a fresh token on every connect")
            }
            #expect(releases.value == 0, "the stream still uses the provider")
            #expect(stream!.close(waitingUpTo: patience))
            stream = nil
            #expect(releases.value == 1, "released once, when the stream is freed")
            #expect(calls.value >= 3)
        }

        @Test func aProviderIsReleasedOnceWhenTheConfigurationIsRefused() throws {
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
            #expect(throws: SSEError.self) { try SSEStream(url: url("/silent"), configuration: configuration) }
            configuration.headerProvider = nil
            #expect(releases.value == 1)
        }

        @Test func oneProviderServesManyStreamsAndIsReleasedOnce() async throws {
            let releases = Counter()
            var configuration = SSEStream.Configuration()
            do {
                let tracked = Tracked(releases)
                configuration.headerProvider = {
                    _ = tracked
                    return ["X-From": "provider"]
                }
            }
            var streams = try (0..<3).map { _ in try SSEStream(url: url("/silent"), configuration: configuration) }
            configuration.headerProvider = nil
            for stream in streams { try await opened(stream) }
            for stream in streams { #expect(stream.close(waitingUpTo: patience)) }
            streams.removeLast()
            #expect(releases.value == 0, "two streams still use it")
            streams.removeAll()
            #expect(releases.value == 1, "every stream let go of it: released once")
        }

        @Test func aProviderHeaderThatCannotBeSentClosesTheStream() async throws {
            var configuration = SSEStream.Configuration()
            configuration.headerProvider = { ["Content-Length": "1"] }  // a framing header
            let stream = try SSEStream(url: url("/silent"), configuration: configuration)
            guard case .error(let error) = try await closing(stream) else {
                Issue.record("a closing error")
                return
            }
            #expect(error.kind == .headerProvider)
        }
    }

    @Suite struct Posts {
        @Test func aPostGets429Then503Then201() async throws {
            var configuration = SSEStream.Configuration()
            configuration.postURL = try url("/statuses?key=\(UUID().uuidString)&s=429,503,201")
            configuration.postDelay = .milliseconds(10)
            configuration.maxPostDelay = .milliseconds(50)
            let stream = try SSEStream(url: url("/silent"), configuration: configuration)
            let body = #"{"result":42}"#
            let response = try await within("the post") { try await stream.post(body) }
            #expect(response.status == 201)
            #expect(response.attempts == 3, "429 and 503 retried")
            #expect(String(decoding: response.body, as: UTF8.self) == body)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("x-none") == nil)
        }

        @Test func aFinalStatusIsAResponseNotAnError() async throws {
            var configuration = SSEStream.Configuration()
            configuration.postURL = try url("/statuses?key=\(UUID().uuidString)&s=409")
            let stream = try SSEStream(url: url("/silent"), configuration: configuration)
            let response = try await within("the post") { try await stream.post(Array("{}".utf8)) }
            #expect(response.status == 409)
            #expect(response.attempts == 1)
        }

        @Test func aResponseCutOffThrowsIncompleteBodyWithItsStatus() async throws {
            var configuration = SSEStream.Configuration()
            // 200 announcing 100 body bytes, sending 10, then closing.
            configuration.postURL = try url("/cut")
            let stream = try SSEStream(url: url("/silent"), configuration: configuration)
            let error = await #expect(throws: SSEError.self) {
                try await within("the post") { try await stream.post("{}") }
            }
            #expect(error?.kind == .incompleteBody)
            #expect(error?.status == 200)
            // The library's own account, not the generic sentence of the code.
            #expect(error?.message.contains("after 10 of 100 bytes") == true, "\(String(describing: error?.message))")
            stream.close()
        }

        @Test func aDeadlineCarriesTheLastAttemptsStatus() async throws {
            var configuration = SSEStream.Configuration()
            // Every attempt gets 503; the deadline ends the retries.
            configuration.postURL = try url("/statuses?key=\(UUID().uuidString)&s=503")
            configuration.postDelay = .milliseconds(50)
            configuration.maxPostDelay = .milliseconds(50)
            configuration.postTimeout = .milliseconds(400)
            let stream = try SSEStream(url: url("/silent"), configuration: configuration)
            let error = await #expect(throws: SSEError.self) {
                try await within("the post") { try await stream.post("{}") }
            }
            #expect(error?.kind == .deadline)
            #expect(error?.status == 503)
            stream.close()
        }

        @Test func aPostOnAClosedStreamThrowsStreamClosed() async throws {
            var configuration = SSEStream.Configuration()
            configuration.postURL = try url("/statuses?key=\(UUID().uuidString)&s=201")
            let stream = try SSEStream(url: url("/silent"), configuration: configuration)
            stream.close()
            let error = await #expect(throws: SSEError.self) {
                try await within("the post") { try await stream.post("{}") }
            }
            #expect(error?.kind == .streamClosed)
        }

        @Test func aCancelledTaskSendsNothing() async throws {
            var configuration = SSEStream.Configuration()
            // The first request of the key gets 201, any later one 409.
            configuration.postURL = try url("/statuses?key=\(UUID().uuidString)&s=201,409")
            let stream = try SSEStream(url: url("/silent"), configuration: configuration)
            let cancelled = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await stream.post("{}")
            }
            await #expect(throws: CancellationError.self) {
                try await within("the cancelled post") { try await cancelled.value }
            }
            let response = try await within("the post") { try await stream.post("{}") }
            #expect(response.status == 201, "the cancelled post never reached the server")
        }

        @Test func cancellingAPostInFlightReturnsAtOnce() async throws {
            var configuration = SSEStream.Configuration()
            // Every attempt gets 503, and the delay between attempts is long.
            configuration.postURL = try url("/statuses?key=\(UUID().uuidString)&s=503")
            configuration.postDelay = .seconds(3600)
            configuration.maxPostDelay = .seconds(3600)
            configuration.postTimeout = .seconds(7200)
            let stream = try SSEStream(url: url("/silent"), configuration: configuration)
            let post = Task { try await stream.post("{}") }
            post.cancel()
            await #expect(throws: CancellationError.self) {
                try await within("the cancelled post") { try await post.value }
            }
            // Closing the stream interrupts the post left running in the background.
            #expect(stream.close(waitingUpTo: patience))
        }

        @Test func closeInterruptsAPostInFlight() async throws {
            // The header provider runs before the connect and before every
            // post attempt: its calls say when the post is in flight.
            let calls = AsyncStream<Void>.makeStream()
            var configuration = SSEStream.Configuration()
            configuration.headerProvider = {
                calls.continuation.yield()
                return [:]
            }
            configuration.postURL = try url("/statuses?key=\(UUID().uuidString)&s=503")
            configuration.postDelay = .seconds(3600)
            configuration.maxPostDelay = .seconds(3600)
            configuration.postTimeout = .seconds(7200)
            let stream = try SSEStream(url: url("/silent"), configuration: configuration)
            try await opened(stream)
            try await within("the connect's provider call") { for await _ in calls.stream { return } }
            let post = Task { try await stream.post("{}") }
            try await within("the post's first attempt") { for await _ in calls.stream { return } }
            // The attempt gets a 503, then the post waits an hour, unless closed.
            stream.close()
            let error = await #expect(throws: SSEError.self) {
                try await within("the interrupted post") { try await post.value }
            }
            #expect(error?.kind == .streamClosed)
        }
    }

    @Suite struct Logging {
        @Test func theLogHandlerNeverReceivesACredential() async throws {
            let records = Collected<SSELog.Record>()
            try SSELog.setHandler(maxLevel: .trace) { records.append($0) }
            defer { SSELog.removeHandler() }
            let secrets = [
                "QUERYSECRET", "USERSECRET", "HEADERSECRET", "COOKIESECRET", "CUSTOMSECRET", "BODYSECRET",
                "LOCATIONSECRET", "PROVIDERSECRET",
            ]
            let base = try url("/redirect").replacingOccurrences(of: "http://", with: "http://user:USERSECRET@")
            var configuration = once()
            configuration.headers["Authorization"] = "Bearer HEADERSECRET"
            configuration.headers["Cookie"] = "session=COOKIESECRET"
            configuration.sensitiveHeaders["X-Api-Key"] = "CUSTOMSECRET"
            configuration.headerProvider = { ["X-Token": "PROVIDERSECRET"] }
            configuration.method = "POST"
            configuration.body = Data("BODYSECRET".utf8)
            let stream = try SSEStream(url: base + "?api_key=QUERYSECRET", configuration: configuration)
            _ = try await event(of: stream, "the event behind the redirect")
            #expect(stream.close(waitingUpTo: patience))
            let text = records.all.map { "\($0.level) \($0.target) \($0.message)" }.joined(separator: "\n")
            for secret in secrets {
                #expect(!text.contains(secret), "logged \(secret):\n\(text)")
            }
            #expect(text.contains("/redirect?api_key=***"), "not vacuous: the connect is logged:\n\(text)")
        }

        @Test func aReplacedHandlerIsReleasedOnceAndNeverCalledAfter() async throws {
            defer { SSELog.removeHandler() }
            let releases = Counter()
            let firstCalls = Counter()
            do {
                let tracked = Tracked(releases)
                try SSELog.setHandler(maxLevel: .debug) { _ in
                    _ = tracked
                    _ = firstCalls.increment()
                }
            }
            let stream = try SSEStream(url: url("/events?n=1"), configuration: once())
            _ = try await event(of: stream)
            #expect(stream.close(waitingUpTo: patience))
            #expect(firstCalls.value > 0, "the first handler got records")
            let records = Collected<SSELog.Record>()
            try SSELog.setHandler(maxLevel: .debug) { records.append($0) }
            // A call that had taken the old closure may still be finishing on
            // a library thread; the closure goes when the last such call ends.
            try await eventually("the first handler's release") { releases.value == 1 }
            let callsBefore = firstCalls.value
            let second = try SSEStream(url: url("/events?n=1"), configuration: once())
            _ = try await event(of: second)
            #expect(second.close(waitingUpTo: patience))
            #expect(firstCalls.value == callsBefore, "a replaced handler gets nothing more")
            #expect(!records.all.isEmpty, "the new handler gets the records")
            SSELog.removeHandler()
            #expect(releases.value == 1, "released exactly once")
        }

        @Test func levelsAreFiltered() async throws {
            let records = Collected<SSELog.Record>()
            try SSELog.setHandler(maxLevel: .warn) { records.append($0) }
            defer { SSELog.removeHandler() }
            let stream = try SSEStream(url: url("/unauthorized"), configuration: once())
            _ = try await closing(stream)
            #expect(stream.close(waitingUpTo: patience))
            #expect(!records.all.isEmpty, "a 401 is worth a warning")
            #expect(records.all.allSatisfy { $0.level <= .warn }, "\(records.all)")
        }
    }
}
