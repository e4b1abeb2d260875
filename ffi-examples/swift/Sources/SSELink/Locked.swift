#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a pthread mutex.
///
/// Not `Synchronization.Mutex`: on Linux that one waits on a futex directly,
/// which ThreadSanitizer does not see, so every access it protects would be
/// reported as a race. pthread mutexes are intercepted by the sanitizer.
///
/// `@unchecked Sendable` is sound: `value` is read and written only inside
/// `withLock`, that is with `mutex` held, and the mutex itself lives at a
/// fixed address (allocated here, never moved) for the object's lifetime.
final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
