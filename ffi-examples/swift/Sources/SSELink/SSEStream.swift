import CSSELink

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A Server-Sent Events stream: the sselink library's reader thread
/// connects, reconnects with the last event id, and parses; Swift code
/// consumes the events as an async sequence.
///
/// ```swift
/// let stream = try SSEStream(url: "https://example.com/events")
/// for try await event in stream.events {
///     print(event.type, event.id, event.data)
/// }
/// ```
///
/// `events` yields the events and throws the error that ended the stream;
/// `items` yields the lifecycle too. Waiting holds no thread: a waiting task
/// is suspended until the stream's readiness descriptor, watched by
/// Dispatch, says an item is there. Every method works from any thread or
/// task. Several tasks may consume one stream at once: each item goes to
/// exactly one of them, and the closing item (with the final error) to the
/// one that takes it, after which every consumer's sequence ends.
///
/// Cancelling a consuming task ends its sequence promptly (`next()` returns
/// nil) and does not close the stream: another iteration goes on where it
/// stopped. A stream closes with `close()`, or when the last reference to it
/// goes away (an iteration keeps it alive while it runs).
public final class SSEStream: Sendable {
    let core: StreamCore

    /// Starts a stream of `url` and returns at once: the connection is made
    /// in the background and reported through `items`. Throws an
    /// `SSEError` of kind `.invalidConfiguration` for a URL or an option
    /// that cannot work, naming it, or `.resource` when the system refuses
    /// a thread.
    public init(url: String, configuration: Configuration = Configuration()) throws(SSEError) {
        core = try StreamCore(url: url, configuration: configuration)
    }

    /// Starts a stream of `url`; see `init(url:configuration:)` with a string.
    public convenience init(url: URL, configuration: Configuration = Configuration()) throws(SSEError) {
        try self.init(url: url.absoluteString, configuration: configuration)
    }

    deinit {
        core.close()
    }

    /// The events, in order; the error that ended the stream, if any, is
    /// thrown after the last one. Ends when the stream is finished or
    /// closed, or when the consuming task is cancelled.
    public var events: Events { Events(stream: self) }

    /// Everything that happens, in order: connecting, open (status and
    /// headers), each event, comments (opt-in), retrying (error and delay),
    /// and last the closing item with its reason. Ends after the closing
    /// item, when the stream is closed, or when the consuming task is
    /// cancelled.
    public var items: Items { Items(stream: self) }

    /// The next item, waiting without holding a thread; nil once the stream
    /// is finished or closed, or when the calling task is cancelled.
    public func next() async -> Item? {
        await core.next()
    }

    /// The next item, blocking the calling thread up to `timeout` (nil:
    /// as long as it takes), for code that is not async; nil once the stream
    /// is finished or closed. Throws `SSEError` of kind `.timedOut` when
    /// nothing arrived in time. Do not call it from a task: use `next()`.
    public func next(timeout: Duration?) throws(SSEError) -> Item? {
        try core.next(timeout: timeout)
    }

    /// Closes the stream at once, from any thread: the connection is shut,
    /// no request follows, no item is delivered after this returns, and
    /// waiting consumers end. Closing twice does nothing.
    public func close() {
        core.close()
    }

    /// Closes the stream, then waits up to `timeout` for the library's reader
    /// thread to exit (it may be finishing a TCP connect, bounded by the
    /// connect timeout, or a header provider call). True when it has; use it
    /// before exiting under a leak checker. Blocks the calling thread; never
    /// call it from a header provider or a log handler, which run on that
    /// reader thread.
    @discardableResult
    public func close(waitingUpTo timeout: Duration) -> Bool {
        core.close()
        let ms = (try? milliseconds(timeout, "timeout")).map { Int32(clamping: $0) } ?? 0
        return sselink_stream_close_and_wait(core.handle, ms) == .SSELINK_RESULT_OK
    }

    /// Drops the current connection and reconnects at once with the last
    /// event id, also cutting a reconnect delay short. False, doing nothing,
    /// when the stream is finished.
    @discardableResult
    public func restart() -> Bool {
        sselink_stream_restart(core.handle) == .SSELINK_RESULT_OK
    }

    /// The id of the last event handed out (or the seeded one): what a new
    /// stream resumes from, with `Configuration.lastEventID`.
    public var lastEventID: String {
        var length = 0
        _ = sselink_stream_last_event_id(core.handle, nil, 0, &length)
        while true {
            var buffer = [CChar](repeating: 0, count: length + 1)
            switch sselink_stream_last_event_id(core.handle, &buffer, buffer.count, &length) {
            case .SSELINK_RESULT_OK:
                return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            case .SSELINK_RESULT_BUFFER_TOO_SMALL:
                continue  // the id grew meanwhile
            default:
                return ""
            }
        }
    }

    /// Where the stream is now.
    public var state: State {
        switch sselink_stream_state(core.handle) {
        case .SSELINK_STATE_CONNECTING: .connecting
        case .SSELINK_STATE_OPEN: .open
        case .SSELINK_STATE_RECONNECTING: .reconnecting
        case .SSELINK_STATE_CLOSED: .closed
        @unknown default: .reconnecting
        }
    }

    /// Events dropped so far by a `.dropOldest` or `.dropNewest` overflow policy.
    public var dropped: UInt64 {
        sselink_stream_dropped(core.handle)
    }

    /// Bytes of events and comments waiting to be consumed.
    public var queuedBytes: Int {
        sselink_stream_queued_bytes(core.handle)
    }

    /// Posts `body` (JSON) back to the server and returns the final
    /// response, whatever its status: 429, 5xx and network errors are
    /// retried with backoff and `Retry-After` (`postURL`, `postAttempts`,
    /// `postDelay`, `postTimeout`). Throws `SSEError` when there is no
    /// response: `.attemptsExhausted`, `.deadline` (with the last
    /// attempt's `status`), `.streamClosed` (a `close()` interrupts it at
    /// once), `.headerProvider`, `.tls` (final unless `retryTLSErrors`),
    /// `.incompleteBody` (the response was cut off: the server got the post
    /// and may have acted on it; `status` is the response's).
    ///
    /// The request runs on a thread of its own, never on the calling task's
    /// nor on one of Dispatch's pool (`.resource` when the system refuses
    /// that thread). A task cancelled before the call sends nothing and throws
    /// `CancellationError`; cancelled during it, the call returns at once
    /// with `CancellationError` while the request finishes in the
    /// background, so the server may still receive it.
    public func post(_ body: some Collection<UInt8>, timeout: Duration? = nil) async throws -> PostResponse {
        try await core.post(Array(body), timeout: timeout)
    }

    /// Posts a JSON text; see `post(_:timeout:)` with bytes.
    public func post(_ json: String, timeout: Duration? = nil) async throws -> PostResponse {
        try await core.post(Array(json.utf8), timeout: timeout)
    }
}

// MARK: - The sequences

extension SSEStream {
    /// The items of a stream as an async sequence; see `SSEStream.items`.
    public struct Items: AsyncSequence, Sendable {
        public typealias Element = Item
        public typealias Failure = Never

        let stream: SSEStream

        public struct AsyncIterator: AsyncIteratorProtocol {
            let stream: SSEStream

            public mutating func next() async -> Item? {
                await stream.next()
            }

            public mutating func next(isolation actor: isolated (any Actor)?) async -> Item? {
                await stream.next()
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(stream: stream)
        }
    }

    /// The events of a stream as an async sequence; see `SSEStream.events`.
    public struct Events: AsyncSequence, Sendable {
        public typealias Element = Event
        public typealias Failure = SSEError

        let stream: SSEStream

        public struct AsyncIterator: AsyncIteratorProtocol {
            let stream: SSEStream
            var finished = false

            public mutating func next() async throws(SSEError) -> Event? {
                try await next(isolation: nil)
            }

            public mutating func next(isolation actor: isolated (any Actor)?) async throws(SSEError) -> Event? {
                while !finished, let item = await stream.next() {
                    switch item {
                    case .event(let event):
                        return event
                    case .closed(.error(let error)):
                        finished = true
                        throw error
                    case .closed:
                        finished = true
                    case .connecting, .open, .comment, .retrying:
                        continue
                    }
                }
                finished = true
                return nil
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(stream: stream)
        }
    }
}

// MARK: - The core: the C handle and what guards it

/// Owns the C stream. Separate from `SSEStream` so that dropping the last
/// `SSEStream` closes the stream at once, while a post still running in the
/// background keeps the handle valid until it returns; the handle is freed
/// when the last of them lets go.
///
/// `@unchecked Sendable` is sound: `handle` is immutable and the C library
/// allows every call made on it here from any thread at any time before
/// `sselink_stream_free`, which only `deinit` calls, when nothing else can
/// use the object. The one exception, polling (whose item strings live
/// until the next poll), happens only in `take()`, under `polling`'s lock,
/// which also guards the only mutable state.
final class StreamCore: @unchecked Sendable {
    let handle: OpaquePointer
    /// Held around every poll and the copying of its item.
    private let polling = Locked(PollState())
    /// Made on the first wait, from the stream's readiness descriptor.
    private let readiness = Locked<Readiness?>(nil)

    private struct PollState {
        /// The closing item was handed out, or the stream was closed.
        var finished = false
    }

    private enum Taken {
        case item(SSEStream.Item)
        case none
        case finished
    }

    init(url: String, configuration: SSEStream.Configuration) throws(SSEError) {
        var config: OpaquePointer?
        let created = withUTF8(url) { sselink_config_new($0, $1, &config) }
        guard created == .SSELINK_RESULT_OK, let config else {
            throw SSEError(code: created.rawValue, message: urlError(url))
        }
        defer { sselink_config_free(config) }
        try configuration.apply(to: config)
        var stream: OpaquePointer?
        let connected = sselink_stream_connect(config, &stream)
        guard connected == .SSELINK_RESULT_OK, let stream else {
            throw SSEError(code: connected.rawValue, message: configError(config))
        }
        handle = stream
    }

    deinit {
        readiness.withLock { $0 }?.shutDown()
        sselink_stream_free(handle)
    }

    /// How many waits for this stream's readiness have begun (for tests).
    var waitCount: Int {
        readiness.withLock { $0 }?.waitCount ?? 0
    }

    /// How many tasks wait for this stream's readiness now (for tests).
    var suspendedCount: Int {
        readiness.withLock { $0 }?.suspendedCount ?? 0
    }

    func close() {
        sselink_stream_close(handle)
        polling.withLock { $0.finished = true }
        readiness.withLock { $0 }?.shutDown()
    }

    /// Takes the next item without waiting, copying it out of the library's
    /// buffers before anyone can poll again.
    private func take() -> Taken {
        let taken = polling.withLock { state -> Taken in
            if state.finished { return .finished }
            while true {
                var item = sselink_item()
                switch sselink_stream_poll(handle, 0, &item) {
                case .SSELINK_RESULT_OK:
                    guard let converted = convert(item) else { continue }  // a kind this package does not know
                    if case .closed = converted { state.finished = true }
                    return .item(converted)
                case .SSELINK_RESULT_TIMEOUT:
                    return .none
                default:  // SSELINK_RESULT_CLOSED: closed by the caller, or finished
                    state.finished = true
                    return .finished
                }
            }
        }
        if case .finished = taken {
            readiness.withLock { $0 }?.shutDown()
        } else if case .item(.closed) = taken {
            readiness.withLock { $0 }?.shutDown()
        }
        return taken
    }

    /// Tests set it to stand for a system that refuses the socket pair of the
    /// readiness descriptor: running the whole process out of descriptors
    /// also makes Dispatch itself trap now and then.
    let refusesReadinessDescriptor = Locked(false)

    /// The stream's readiness descriptor, made by the library on first use.
    private func readinessDescriptor(_ fd: inout Int32) -> sselink_result {
        if refusesReadinessDescriptor.withLock({ $0 }) { return .SSELINK_RESULT_RESOURCE }
        return sselink_stream_fd(handle, &fd)
    }

    /// Makes the readiness now, its read source's descriptor duplicated by
    /// `duplicate` (for tests: one that fails stands for a process with no
    /// descriptor to spare). No effect once the readiness exists.
    func makeReadiness(duplicate: @escaping @Sendable (Int32) -> Int32) throws(SSEError) {
        _ = try readinessOrMake(duplicate: duplicate)
    }

    /// The readiness of the stream, made on first use.
    private func readinessOrMake(
        duplicate: (@Sendable (Int32) -> Int32)? = nil
    ) throws(SSEError) -> Readiness {
        try readiness.withLock { (readiness: inout Readiness?) throws(SSEError) -> Readiness in
            if let readiness { return readiness }
            var fd: Int32 = -1
            let result = readinessDescriptor(&fd)
            guard result == .SSELINK_RESULT_OK else { throw SSEError(result) }
            let made =
                if let duplicate {
                    Readiness(descriptor: fd, duplicate: duplicate)
                } else {
                    Readiness(descriptor: fd)
                }
            if polling.withLock({ $0.finished }) { made.shutDown() }
            readiness = made
            return made
        }
    }

    func next() async -> SSEStream.Item? {
        while !Task.isCancelled {
            switch take() {
            case .item(let item): return item
            case .finished: return nil
            case .none: break
            }
            guard let readiness = try? readinessOrMake() else {
                // The system refused a socket pair for the readiness
                // descriptor: look again in a while, the only way left.
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            if await !readiness.wait() {
                // No descriptor to spare for watching: look again in a while.
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        return nil
    }

    func next(timeout: Duration?) throws(SSEError) -> SSEStream.Item? {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        while true {
            switch take() {
            case .item(let item): return item
            case .finished: return nil
            case .none: break
            }
            var wait: Int32 = -1
            if let deadline {
                let left = clock.now.duration(to: deadline)
                guard left > .zero else { throw SSEError(.SSELINK_RESULT_TIMEOUT) }
                wait = Int32(clamping: (try? milliseconds(left, "timeout")) ?? 0)
            }
            var fd: Int32 = -1
            let result = readinessDescriptor(&fd)
            if result == .SSELINK_RESULT_RESOURCE {
                // The system refused a socket pair for the readiness
                // descriptor: look again in a while, as `next()` does.
                usleep(UInt32(wait < 0 ? 10 : min(wait, 10)) * 1000)
                continue
            }
            guard result == .SSELINK_RESULT_OK else { throw SSEError(result) }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, wait)  // EINTR or readable: take again
        }
    }

    /// Copies one item out of the library's buffers; the lock is held.
    private func convert(_ item: sselink_item) -> SSEStream.Item? {
        switch item.kind {
        case .SSELINK_ITEM_KIND_CONNECTING:
            return .connecting(attempt: Int(item.attempt))
        case .SSELINK_ITEM_KIND_OPEN:
            return .open(status: Int(item.http_status), headers: headers())
        case .SSELINK_ITEM_KIND_EVENT:
            return .event(
                SSEStream.Event(
                    type: string(item.event_type), data: string(item.data), id: string(item.id),
                    retry: item.retry_ms >= 0 ? .milliseconds(item.retry_ms) : nil))
        case .SSELINK_ITEM_KIND_COMMENT:
            return .comment(string(item.data))
        case .SSELINK_ITEM_KIND_RETRYING:
            return .retrying(
                error(item), delay: .milliseconds(Int64(clamping: item.delay_ms)), attempt: Int(item.attempt))
        case .SSELINK_ITEM_KIND_CLOSED:
            switch item.close_reason {
            case .SSELINK_CLOSE_REASON_NO_CONTENT: return .closed(.noContent)
            case .SSELINK_CLOSE_REASON_ENDED: return .closed(.ended)
            default: return .closed(item.error == .SSELINK_RESULT_OK ? .ended : .error(error(item)))
            }
        @unknown default:
            return nil
        }
    }

    private func error(_ item: sselink_item) -> SSEError {
        SSEError(
            code: item.error.rawValue, message: string(item.message),
            status: item.http_status == 0 ? nil : Int(item.http_status),
            headers: headers(), body: string(sselink_stream_item_body(handle)))
    }

    /// The response headers of the item last polled.
    private func headers() -> ResponseHeaders {
        let count = sselink_stream_item_header_count(handle)
        var fields: [ResponseHeaders.Field] = []
        fields.reserveCapacity(count)
        for index in 0..<count {
            var name = sselink_str()
            var value = sselink_str()
            if sselink_stream_item_header(handle, index, &name, &value) == .SSELINK_RESULT_OK {
                fields.append(ResponseHeaders.Field(name: string(name), value: string(value)))
            }
        }
        return ResponseHeaders(fields)
    }

    /// Where a post's wait stands: the continuation is in place only while
    /// the call runs, and a cancellation that comes before it is kept, so
    /// that it is never lost.
    private enum PostWait {
        /// Not started; the continuation is not in place yet.
        case starting
        /// Cancelled before the continuation was in place: nothing is sent.
        case cancelled
        /// The call runs; the continuation waits for it or for a cancellation.
        case waiting(CheckedContinuation<SSEStream.PostResponse, any Error>)
        /// Resumed, by the call's end or by the cancellation.
        case resumed
    }

    func post(_ body: [UInt8], timeout: Duration?) async throws -> SSEStream.PostResponse {
        try Task.checkCancellation()  // a cancelled task sends nothing
        let timeoutMS: Int32 = try timeout.map { d throws(SSEError) in Int32(clamping: try milliseconds(d, "timeout")) } ?? -1
        let wait = Locked(PostWait.starting)
        /// Takes the continuation, once: whoever comes first resumes it.
        let take = { @Sendable () -> CheckedContinuation<SSEStream.PostResponse, any Error>? in
            wait.withLock { state in
                switch state {
                case .waiting(let continuation):
                    state = .resumed
                    return continuation
                case .starting:
                    state = .cancelled
                    return nil
                case .cancelled, .resumed:
                    return nil
                }
            }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let start = wait.withLock { state -> Bool in
                    guard case .starting = state else { return false }  // cancelled meanwhile
                    state = .waiting(continuation)
                    return true
                }
                guard start else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                // The C call blocks for the whole post: a thread of its own
                // takes it, never one of Dispatch's pool, which on Linux also
                // runs the process's tasks (posts waiting for a slow server
                // would starve them). `self` keeps the handle valid.
                let started = detachThread {
                    let result = Result { () throws(SSEError) in try self.postNow(body, timeoutMS) }
                    take()?.resume(with: result.mapError { $0 as any Error })
                }
                if !started {
                    take()?.resume(throwing: SSEError(.SSELINK_RESULT_RESOURCE, message: "the system refused a thread for the post"))
                }
            }
        } onCancel: {
            take()?.resume(throwing: CancellationError())
        }
    }

    private func postNow(_ body: [UInt8], _ timeoutMS: Int32) throws(SSEError) -> SSEStream.PostResponse {
        var response: OpaquePointer?
        var failure: OpaquePointer?
        let result = body.withUnsafeBufferPointer {
            sselink_stream_post_with_error(handle, $0.baseAddress, $0.count, timeoutMS, &response, &failure)
        }
        defer { sselink_post_error_free(failure) }
        guard result == .SSELINK_RESULT_OK, let response else {
            // No error object (NULL) reads as an empty message and status 0.
            let status = Int(sselink_post_error_status(failure))
            throw SSEError(
                code: result.rawValue, message: string(sselink_post_error_message(failure)),
                status: status == 0 ? nil : status)
        }
        let box = PostResponseBox(response)
        let bodyView = sselink_post_response_body(response)
        return SSEStream.PostResponse(
            status: Int(sselink_post_response_status(response)),
            attempts: Int(sselink_post_response_attempts(response)),
            body: bodyView.ptr.map { Data(bytes: $0, count: bodyView.len) } ?? Data(),
            response: box)
    }
}

/// A C post response, freed when the last `PostResponse` copy goes.
///
/// `@unchecked Sendable` is sound: the pointer is immutable and the C
/// library lets any thread read a live response; only `deinit` frees it.
final class PostResponseBox: @unchecked Sendable {
    private let response: OpaquePointer

    init(_ response: OpaquePointer) {
        self.response = response
    }

    deinit {
        sselink_post_response_free(response)
    }

    func header(_ name: String) -> String? {
        var value = sselink_str()
        let found = withUTF8(name) { sselink_post_response_header(response, $0, $1, &value) }
        return found == .SSELINK_RESULT_OK ? string(value) : nil
    }
}

/// A Swift string from a string the library owns (its length counts, NUL
/// bytes included).
func string(_ view: sselink_str) -> String {
    guard let pointer = view.ptr, view.len > 0 else { return "" }
    return pointer.withMemoryRebound(to: UInt8.self, capacity: view.len) {
        String(decoding: UnsafeBufferPointer(start: $0, count: view.len), as: UTF8.self)
    }
}

/// What a thread of `detachThread` runs; retained once for the thread.
private final class ThreadBody {
    let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
    }
}

#if canImport(Darwin)
private func threadEntry(_ argument: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
    Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue().body()
    return nil
}
#else
private func threadEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let argument else { return nil }
    Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue().body()
    return nil
}
#endif

/// Runs `body` on a new detached thread with a 2 MiB stack; false, without
/// running it, when the system refuses the thread.
func detachThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    let argument = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    // The stack Rust gives its own threads, whatever the system's default
    // (musl's is 128 KiB, little for a TLS handshake and a header provider).
    pthread_attr_setstacksize(&attributes, 2 << 20)
    #if canImport(Darwin)
    var thread: pthread_t?
    #else
    var thread = pthread_t()
    #endif
    guard pthread_create(&thread, &attributes, threadEntry, argument) == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(argument).release()
        return false
    }
    return true
}
