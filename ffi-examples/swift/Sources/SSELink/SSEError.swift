import CSSELink

/// What went wrong, with the same kinds as the Rust `Error` and the C
/// `sselink_result` codes: a connection that was refused, a failing HTTP
/// status, a configuration value that cannot work, and so on.
///
/// `description` is a sentence a person can act on ("the server answered
/// HTTP 401 ({"error":"bad token"}); check the credentials or headers").
/// Programs match on `kind`, and read `status`, `responseHeaders` and
/// `responseBody` when a response caused the error.
public struct SSEError: Error, Sendable, CustomStringConvertible {
    /// The kinds of error, one per C result code (and Rust `Error` variant).
    public enum Kind: Sendable, Hashable {
        /// A configuration value or the URL cannot work (Rust `InvalidConfig`).
        case invalidConfiguration
        /// The server ended the response; the stream reconnects (`EndOfStream`).
        case endOfStream
        /// The host name did not resolve (`Dns`).
        case dns
        /// The server refused the connection (`ConnectionRefused`).
        case connectionRefused
        /// The connection was reset or broken (`ConnectionReset`).
        case connectionReset
        /// The TLS handshake failed (`Tls`).
        case tls
        /// Another network failure (`Network`).
        case network
        /// The connect timeout ran out (`ConnectTimeout`).
        case connectTimeout
        /// No byte arrived for the idle timeout (`IdleTimeout`).
        case idleTimeout
        /// The server answered with a failing HTTP status: see `status` (`Status`).
        case httpStatus
        /// A 2xx answer that was not `text/event-stream` (`ContentType`).
        case contentType
        /// A redirect could not be followed (`Redirect`).
        case redirect
        /// The server broke the line length or event size limit (`Limit`).
        case limitExceeded
        /// Gave up after `maxAttempts` reconnect attempts (`AttemptsExhausted`).
        case attemptsExhausted
        /// Gave up after an outage outlasted `timeBudget` (`TimeBudgetExhausted`).
        case timeBudgetExhausted
        /// The header provider returned a header that cannot be sent (`HeaderProvider`).
        case headerProvider
        /// The system refused a thread, a socket or memory (`Resource`).
        case resource
        /// The library's reader thread stopped unexpectedly, a bug (`ReaderDied`).
        case readerDied
        /// The stream was closed while a post waited or was in flight (`Closed`).
        case streamClosed
        /// A post did not finish within its timeout (`Deadline`).
        case deadline
        /// The proxy refused the connection or failed (`Proxy`).
        case proxy
        /// The server answered a post but its response body was cut off: the
        /// server got the post and may have acted on it (`IncompleteBody`).
        case incompleteBody
        /// `next(timeout:)` saw no item within its timeout (C `SSELINK_RESULT_TIMEOUT`).
        case timedOut
        /// The process already has a logger that is not sselink's (C `SSELINK_RESULT_LOGGER_TAKEN`).
        case loggerTaken
        /// An argument the C library refused, or a bug it caught (C `INVALID_ARGUMENT`, `NULL_ARGUMENT`, `PANIC`).
        case invalidArgument
        /// A code this version of the package does not name (a newer library).
        case other
    }

    /// What kind of error this is.
    public let kind: Kind
    /// The C library's result code (`sselink_result`), for logs and bug reports.
    public let code: UInt32
    /// The HTTP status of the response behind the error, if one caused it
    /// (also for `attemptsExhausted` and `timeBudgetExhausted`, from the last attempt).
    public let status: Int?
    /// The headers of the failed response (names in lowercase), if any.
    public let responseHeaders: ResponseHeaders
    /// The start of the failed response's body (at most 8 KiB), if any.
    public let responseBody: String
    /// A sentence saying what happened and what to do.
    public let message: String

    public var description: String { message }

    init(
        code: UInt32, message: String = "", status: Int? = nil,
        headers: ResponseHeaders = ResponseHeaders(), body: String = ""
    ) {
        self.code = code
        self.kind = Kind(code: code)
        self.status = status
        self.responseHeaders = headers
        self.responseBody = body
        self.message = message.isEmpty ? SSEError.sentence(for: code) : message
    }

    init(_ result: sselink_result, message: String = "") {
        self.init(code: result.rawValue, message: message)
    }

    /// The C library's sentence for a code.
    static func sentence(for code: UInt32) -> String {
        guard let text = sselink_result_message(Int32(truncatingIfNeeded: code)) else {
            return "sselink result \(code)"
        }
        return String(cString: text)
    }
}

extension SSEError.Kind {
    init(code: UInt32) {
        switch sselink_result(rawValue: code) {
        case .SSELINK_RESULT_INVALID_CONFIG: self = .invalidConfiguration
        case .SSELINK_RESULT_END_OF_STREAM: self = .endOfStream
        case .SSELINK_RESULT_DNS: self = .dns
        case .SSELINK_RESULT_CONNECTION_REFUSED: self = .connectionRefused
        case .SSELINK_RESULT_CONNECTION_RESET: self = .connectionReset
        case .SSELINK_RESULT_TLS: self = .tls
        case .SSELINK_RESULT_NETWORK: self = .network
        case .SSELINK_RESULT_CONNECT_TIMEOUT: self = .connectTimeout
        case .SSELINK_RESULT_IDLE_TIMEOUT: self = .idleTimeout
        case .SSELINK_RESULT_HTTP_STATUS: self = .httpStatus
        case .SSELINK_RESULT_CONTENT_TYPE: self = .contentType
        case .SSELINK_RESULT_REDIRECT: self = .redirect
        case .SSELINK_RESULT_LIMIT_EXCEEDED: self = .limitExceeded
        case .SSELINK_RESULT_ATTEMPTS_EXHAUSTED: self = .attemptsExhausted
        case .SSELINK_RESULT_TIME_BUDGET_EXHAUSTED: self = .timeBudgetExhausted
        case .SSELINK_RESULT_HEADER_PROVIDER: self = .headerProvider
        case .SSELINK_RESULT_RESOURCE: self = .resource
        case .SSELINK_RESULT_READER_DIED: self = .readerDied
        case .SSELINK_RESULT_STREAM_CLOSED, .SSELINK_RESULT_CLOSED: self = .streamClosed
        case .SSELINK_RESULT_DEADLINE: self = .deadline
        case .SSELINK_RESULT_PROXY: self = .proxy
        case .SSELINK_RESULT_INCOMPLETE_BODY: self = .incompleteBody
        case .SSELINK_RESULT_TIMEOUT: self = .timedOut
        case .SSELINK_RESULT_LOGGER_TAKEN: self = .loggerTaken
        case .SSELINK_RESULT_INVALID_ARGUMENT, .SSELINK_RESULT_NULL_ARGUMENT,
            .SSELINK_RESULT_PANIC, .SSELINK_RESULT_BUFFER_TOO_SMALL:
            self = .invalidArgument
        case .SSELINK_RESULT_OK, .SSELINK_RESULT_OTHER_ERROR, nil: self = .other
        @unknown default: self = .other
        }
    }
}
