import CSSELink

/// sselink's log records, for a handler of the program's: connects,
/// reconnects, redirects, warnings. Records pass the library's redacting
/// filter first, so none carries a credential: no value of a sensitive
/// header (`Authorization`, `Cookie`, `Proxy-Authorization`,
/// `sensitiveHeaders`, a header provider's), no query value, no URL
/// userinfo, no body.
public enum SSELog {
    /// How much a record matters.
    public enum Level: UInt32, Sendable, Comparable {
        case error = 1
        case warn = 2
        case info = 3
        case debug = 4
        case trace = 5

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One log record.
    public struct Record: Sendable {
        /// Its level.
        public let level: Level
        /// The module that logged it, such as `sselink::reader`.
        public let target: String
        /// The message.
        public let message: String
    }

    /// The handler and level the program set last, and the number of that
    /// setting. Every call from the library reads the handler here: a call
    /// takes the closure and keeps it alive until it returns, so a closure
    /// is released once, after its last call, and never runs after its
    /// release. Once `setHandler` or `removeHandler` returned, no new call
    /// takes the replaced closure; a call that had already taken it may
    /// still finish.
    private struct Setting {
        var handler: (@Sendable (Record) -> Void)?
        var maxLevel: UInt32 = 0
        var generation: UInt64 = 0
    }

    private static let current = Locked(Setting())

    /// The C callback: hands each record to the handler of the moment, if
    /// its level is within the one set with that handler. The library's
    /// filter alone is not enough: it changes after the handler does, and a
    /// record that passed the old filter may arrive later still.
    private static let trampoline: sselink_log_callback = { _, level, target, message in
        guard let (handler, maxLevel) = SSELog.current.withLock({ s in s.handler.map { ($0, s.maxLevel) } }),
            level <= maxLevel, let level = Level(rawValue: level)
        else { return }
        handler(Record(level: level, target: string(target), message: string(message)))
    }

    /// Sends sselink's log records up to `maxLevel` to `handler`, replacing
    /// any earlier handler. `handler` runs on the library's threads (never
    /// inside a call the program made), possibly on several at once; keep it
    /// short. It may itself call `setHandler` or `removeHandler`. Throws
    /// `SSEError` of kind `.loggerTaken` when the process already has a Rust
    /// logger that is not sselink's.
    public static func setHandler(
        maxLevel: Level = .info, _ handler: @escaping @Sendable (Record) -> Void
    ) throws(SSEError) {
        let (previous, generation) = current.withLock { setting in
            defer {
                setting.handler = handler
                setting.maxLevel = maxLevel.rawValue
                setting.generation += 1
            }
            return (setting, setting.generation + 1)
        }
        let result = apply()
        if result != .SSELINK_RESULT_OK {
            // Only when sselink's logger was never installed: no handler of
            // this package ever ran, so the previous setting is restored as is.
            current.withLock { setting in
                if setting.generation == generation {
                    setting.handler = previous.handler
                    setting.maxLevel = previous.maxLevel
                }
            }
            throw SSEError(result)
        }
    }

    /// Turns logging off; the handler is released once no call of it runs.
    public static func removeHandler() {
        current.withLock { setting in
            setting.handler = nil
            setting.maxLevel = 0
            setting.generation += 1
        }
        _ = apply()
    }

    /// Gives the library the level of the latest setting, again until no
    /// other setting came meanwhile, so that concurrent calls end with the
    /// level of the last one. No lock is held during the C call: it waits
    /// for the calls of the callback in progress on other threads, and one
    /// of them may be a handler setting the handler.
    private static func apply() -> sselink_result {
        while true {
            let (on, level, generation) = current.withLock {
                ($0.handler != nil, $0.maxLevel, $0.generation)
            }
            let result = on ? sselink_log_set_callback(trampoline, nil, level) : sselink_log_set_callback(nil, nil, 0)
            if result != .SSELINK_RESULT_OK { return result }
            if current.withLock({ $0.generation == generation }) { return result }
        }
    }
}
