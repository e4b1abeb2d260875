import Foundation
import Testing
import CSSELink

@testable import SSELink

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension SSELinkTests.Adversarial {
    /// When the process had no descriptor to spare for the read source's
    /// duplicate, a waiting task was woken at once, polled, found nothing
    /// and waited again, round and round: a busy loop for as long as the
    /// descriptors stayed short (thousands of waits in half a second, 16% of
    /// a core here). It sleeps 10 ms between looks now.
    ///
    /// The shortage is the duplicate refused with EMFILE, as the system
    /// refuses it. Lowering the process's descriptor limit instead made
    /// Dispatch itself trap now and then, when one of its own threads needed
    /// a descriptor during the test (seen under ThreadSanitizer in CI).
    @Test func aWaitWithoutADescriptorToSpareDoesNotSpin() async throws {
        let stream = try SSEStream(url: url("/silent"))
        // Taken without waiting through Dispatch: no read source exists yet.
        while true {
            guard let item = try stream.next(timeout: patience) else { return }
            if case .open = item { break }
        }
        let refused = Locked(0)
        try stream.core.makeReadiness { _ in
            refused.withLock { $0 += 1 }
            errno = EMFILE
            return -1
        }
        let waiter = Task { await stream.next() }
        // A sleep: what happens meanwhile is what is measured.
        usleep(500_000)
        let waits = stream.core.waitCount
        stream.close()
        _ = try await within("the waiter") { await waiter.value }
        #expect(refused.withLock { $0 } >= 1, "the waiter never tried to watch the descriptor")
        #expect(waits <= 100, "\(waits) waits in half a second")
    }

    /// `next(timeout:)` threw `.resource` at once when the system refused
    /// the socket pair of the stream's readiness descriptor, though its
    /// documentation names only `.timedOut`, and `next()` waits through the
    /// shortage: a blocking consumer stopped on a passing shortage. It looks
    /// again every 10 ms now, until its timeout.
    @Test func aBlockingWaitWithoutADescriptorWaitsForItsTimeout() async throws {
        let stream = try SSEStream(url: url("/silent"))
        // Nothing has asked for the readiness descriptor yet: the library
        // makes it on the first wait, which is refused as the system refuses
        // a socket pair with no descriptor to spare.
        stream.core.refusesReadinessDescriptor.withLock { $0 = true }
        var items: [String] = []
        var failure: SSEError?
        do {
            while true {
                guard let item = try stream.next(timeout: .milliseconds(300)) else { break }
                items.append("\(item)")
            }
        } catch {
            failure = error
        }
        #expect(failure?.kind == .timedOut, "\(String(describing: failure)) after \(items)")
        stream.close()
    }
}
