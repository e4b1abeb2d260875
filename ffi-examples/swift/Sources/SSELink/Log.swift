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

    /// The handler, read by every call from the library. A call takes the
    /// closure and keeps it alive until it returns, so a closure is released
    /// once, after its last call, and never runs after its release. Once
    /// `setHandler` or `removeHandler` returned, no new call takes the
    /// replaced closure; a call that had already taken it may still finish.
    private static let handler = Locked<(@Sendable (Record) -> Void)?>(nil)
    /// Serializes setHandler and removeHandler, so the level and the handler
    /// the library has are those of the same call.
    private static let setting = Locked(())

    /// Sends the library's records up to `maxLevel` to `handler`, replacing
    /// any earlier handler. `handler` runs on the library's threads (never
    /// inside a call the program made), possibly on several at once; keep it
    /// short. Throws `SSEError` of kind `.loggerTaken` when the process
    /// already has a Rust logger that is not sselink's.
    public static func setHandler(
        maxLevel: Level = .info, _ handler: @escaping @Sendable (Record) -> Void
    ) throws(SSEError) {
        try setting.withLock { (_: inout Void) throws(SSEError) in
            let previous = self.handler.withLock { current in
                defer { current = handler }
                return current
            }
            let result = sselink_log_set_callback(
                { _, level, target, message in
                    guard let handler = SSELog.handler.withLock({ $0 }),
                        let level = Level(rawValue: level)
                    else { return }
                    handler(Record(level: level, target: string(target), message: string(message)))
                }, nil, maxLevel.rawValue)
            if result != .SSELINK_RESULT_OK {
                self.handler.withLock { $0 = previous }
                throw SSEError(result)
            }
        }
    }

    /// Turns logging off; the handler is released once no call of it runs.
    public static func removeHandler() {
        setting.withLock { _ in
            _ = sselink_log_set_callback(nil, nil, 0)
            handler.withLock { $0 = nil }
        }
    }
}
