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

/// Misuse and hostile input: each test here reproduced a defect, or checks
/// a promise under misuse (several threads, re-entrant callbacks, extreme
/// values, bytes a server controls).
extension SSELinkTests {
    @Suite struct Adversarial {
        /// A cancellation that came after `post` checked for one but before its
        /// continuation was in place was lost: the post ran to its end (a
        /// response, or `.streamClosed` from the close below) instead of
        /// throwing `CancellationError` at once. 177 of 3,000 were lost (by the check of the cancellation at a varying moment below).
        @Test func aPostCancelledAsItStartsIsNeverLost() async throws {
            var configuration = SSEStream.Configuration()
            configuration.postURL = try url("/silent")
            let outcomes = Collected<String>()
            for round in 0..<40 {
                let stream = try SSEStream(url: url("/silent"), configuration: configuration)
                let posts = Collected<Task<SSEStream.PostResponse, any Error>>()
                // Created and cancelled from a thread outside the cooperative pool,
                // with a varying spin between, so the cancellation lands anywhere.
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    Thread.detachNewThread {
                        var spin = 0
                        for i in 0..<10 {
                            let started = Locked(false)
                            let post = Task {
                                started.withLock { $0 = true }
                                return try await stream.post("{}")
                            }
                            while !started.withLock({ $0 }) {}
                            for _ in 0..<((round * 10 + i) % 300) { spin &+= 1 }
                            post.cancel()
                            posts.append(post)
                        }
                        if spin == -1 { print(spin) }
                        done.resume()
                    }
                }
                stream.close()
                for post in posts.all {
                    let result = try await within("a cancelled post") { await post.result }
                    switch result {
                    case .failure(let error) where error is CancellationError: outcomes.append("cancelled")
                    case .failure(let error): outcomes.append("lost: \(error)")
                    case .success(let response): outcomes.append("lost: \(response.status)")
                    }
                }
            }
            let lost = outcomes.all.filter { $0.hasPrefix("lost") }
            #expect(lost.isEmpty, "\(lost.count) of \(outcomes.all.count) cancellations lost: \(Set(lost))")
        }

        /// `setHandler` and `removeHandler` held a lock of the package's
        /// across `sselink_log_set_callback`, which waits for the calls of the
        /// replaced callback running on other threads. A handler that
        /// removed itself (the C header allows it) while the program removed
        /// the handler deadlocked: the program held the lock and waited for
        /// the handler, the handler waited for the lock. No lock is held
        /// across the C call now.
        @Test func aHandlerMayRemoveItselfWhileTheProgramRemovesIt() async throws {
            let entered = DispatchSemaphore(value: 0)
            let first = Locked(true)
            try SSELog.setHandler(maxLevel: .trace) { _ in
                guard first.withLock({ f -> Bool in defer { f = false }; return f }) else { return }
                entered.signal()
                // Long enough for the program to be inside removeHandler,
                // waiting for this call: nothing signals that wait.
                usleep(300_000)
                SSELog.removeHandler()
            }
            let stream = try SSEStream(url: url("/events?n=1"), configuration: once())
            try await within("removeHandler while the handler removes itself", .seconds(10)) {
                await withCheckedContinuation { (removed: CheckedContinuation<Void, Never>) in
                    DispatchQueue.global().async {
                        _ = entered.wait(timeout: .now() + .seconds(20))
                        SSELog.removeHandler()
                        removed.resume()
                    }
                }
            }
            #expect(stream.close(waitingUpTo: patience))
        }

        /// `maxAttempts`, `timeBudget`, `idleTimeout` and `readerStackSize`
        /// are nil for "never" (or the system's), but a 0 was passed on to C,
        /// where 0 means just that: `maxAttempts = 0` never gave up,
        /// `idleTimeout = .zero` never timed out. A zero is refused now.
        @Test func aZeroThatWouldMeanNilIsRefused() throws {
            let changes: [(String, (inout SSEStream.Configuration) -> Void)] = [
                ("maxAttempts", { $0.maxAttempts = 0 }), ("timeBudget", { $0.timeBudget = .zero }),
                ("idleTimeout", { $0.idleTimeout = .zero }), ("readerStackSize", { $0.readerStackSize = 0 }),
            ]
            for (property, change) in changes {
                var configuration = SSEStream.Configuration()
                change(&configuration)
                let error = #expect(throws: SSEError.self, "\(property) = 0") {
                    try SSEStream(url: url("/silent"), configuration: configuration)
                }
                #expect(error?.kind == .invalidConfiguration)
                #expect(error?.description.hasPrefix("\(property): ") == true, "\(String(describing: error))")
            }
            var configuration = SSEStream.Configuration()
            configuration.maxAttempts = 1
            configuration.timeBudget = .milliseconds(1)
            configuration.idleTimeout = .nanoseconds(1)  // rounded up to a millisecond, not down to 0
            let stream = try SSEStream(url: url("/silent"), configuration: configuration)
            stream.close()
        }
    }
}
