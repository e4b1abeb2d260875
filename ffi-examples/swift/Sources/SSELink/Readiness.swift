import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits for a stream's readiness descriptor (readable while items wait, and
/// once the stream is finished or closed) without holding a thread: waiting
/// tasks are suspended continuations, and one Dispatch read source per stream
/// watches the descriptor through the process's single Dispatch event thread
/// (epoll on Linux, kqueue on Apple platforms). The source is armed only
/// while a task waits, so a readable descriptor nobody waits for costs
/// nothing. `shutDown()` cancels it for good; the stream calls it on close,
/// when it finishes, and when it is freed.
///
/// `@unchecked Sendable` is sound: every mutable field lives in `state`,
/// behind its lock; `descriptor` is immutable; Dispatch sources may be
/// resumed, suspended and cancelled from any thread (each call here is made
/// with the lock held, so they stay balanced).
final class Readiness: @unchecked Sendable {
    /// One waiting `next()`.
    private enum Waiter {
        /// Registered; its continuation not yet in place.
        case pending
        /// Its task was cancelled before the continuation was in place.
        case cancelled
        /// Suspended, waiting for the descriptor.
        case waiting(CheckedContinuation<Void, Never>)
    }

    /// The box Dispatch's handlers capture: a Dispatch source is not
    /// `Sendable` in Swift 6, though Dispatch makes its methods thread-safe.
    private final class Source: @unchecked Sendable {
        let source: any DispatchSourceRead

        init(_ source: any DispatchSourceRead) {
            self.source = source
        }
    }

    private struct State {
        var source: Source?
        var suspended = false
        var shutDown = false
        var nextID: UInt64 = 0
        /// Waits begun so far (for tests).
        var waits = 0
        var waiters: [UInt64: Waiter] = [:]
    }

    /// The queue the read sources' handlers run on: one for every stream of
    /// the process; the handlers only resume continuations.
    private static let queue = DispatchQueue(label: "sselink.readiness")

    /// The stream's readiness descriptor; sselink owns it.
    private let descriptor: Int32
    /// Makes the duplicate the read source watches; -1 when the process has
    /// no descriptor to spare. Tests pass one that fails: running a whole
    /// process out of descriptors also makes Dispatch itself trap.
    private let duplicate: @Sendable (Int32) -> Int32
    private let state = Locked(State())

    init(
        descriptor: Int32,
        duplicate: @escaping @Sendable (Int32) -> Int32 = { fcntl($0, F_DUPFD_CLOEXEC, 0) }
    ) {
        self.descriptor = descriptor
        self.duplicate = duplicate
    }

    /// Returns once the descriptor is readable, the readiness is shut down,
    /// or the calling task is cancelled: the caller polls again either way.
    /// False, at once, when the descriptor cannot be watched (the process
    /// has no descriptor to spare): the caller waits a while before it polls
    /// again, or it would spin.
    @discardableResult
    func wait() async -> Bool {
        let id = state.withLock { state -> UInt64? in
            guard !state.shutDown else { return nil }
            state.waits += 1
            state.nextID += 1
            state.waiters[state.nextID] = .pending
            return state.nextID
        }
        guard let id else { return true }
        let watched = Locked(true)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard case .pending = state.waiters[id], !state.shutDown else {
                        state.waiters[id] = nil  // cancelled, or shut down
                        return true
                    }
                    guard arm(&state) else {
                        state.waiters[id] = nil
                        watched.withLock { $0 = false }
                        return true
                    }
                    state.waiters[id] = .waiting(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                switch state.waiters[id] {
                case .pending:
                    state.waiters[id] = .cancelled
                    return nil
                case .waiting(let continuation):
                    state.waiters[id] = nil
                    return continuation
                case .cancelled, nil:
                    return nil
                }
            }
            continuation?.resume()
        }
        return watched.withLock { $0 }
    }

    /// How many tasks are suspended here now (for tests).
    var suspendedCount: Int {
        state.withLock { state in
            state.waiters.values.count { if case .waiting = $0 { true } else { false } }
        }
    }

    /// How many waits have begun here (for tests).
    var waitCount: Int {
        state.withLock { $0.waits }
    }

    /// Wakes every waiter for good: the stream is closed or finished.
    /// Later waits return at once.
    func shutDown() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.shutDown else { return [] }
            state.shutDown = true
            if let source = state.source?.source {
                source.cancel()
                if state.suspended { source.resume() }  // a suspended source is never released
                state.source = nil
            }
            return Readiness.takeWaiting(&state)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Makes sure the source watches the descriptor; the lock is held. False
    /// when there is no descriptor to spare for the source.
    private func arm(_ state: inout State) -> Bool {
        if let source = state.source {
            if state.suspended {
                state.suspended = false
                source.source.resume()
            }
            return true
        }
        // A duplicate that the source owns and closes once Dispatch is done
        // with it, so the source never watches a descriptor number that
        // sselink_stream_free has closed and the system has reused.
        let own = duplicate(descriptor)
        // No descriptor to spare: the waiter polls again in a while. (No
        // Dispatch timer here: making one needs a descriptor too.)
        guard own >= 0 else { return false }
        let source = Source(DispatchSource.makeReadSource(fileDescriptor: own, queue: Readiness.queue))
        // A strong reference: the source keeps this object until it is
        // cancelled, which `shutDown` does (and the stream's close, finish
        // and deinit all call it). No weak reference: LeakSanitizer takes
        // the side table of a weakly referenced object for a leak.
        source.source.setEventHandler { self.fire() }
        source.source.setCancelHandler { close(own) }
        state.source = source
        state.suspended = false
        source.source.activate()
        return true
    }

    /// The descriptor is readable: resume every waiter, and stop watching
    /// until a waiter comes back (it polls first, which clears the
    /// descriptor when nothing is left).
    private func fire() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let waiting = Readiness.takeWaiting(&state)
            if let source = state.source, !state.suspended {
                state.suspended = true
                source.source.suspend()
            }
            return waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Removes and returns the suspended waiters; pending ones stay.
    private static func takeWaiting(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        var waiting: [CheckedContinuation<Void, Never>] = []
        for (id, waiter) in state.waiters {
            if case .waiting(let continuation) = waiter {
                waiting.append(continuation)
                state.waiters[id] = nil
            }
        }
        return waiting
    }
}
