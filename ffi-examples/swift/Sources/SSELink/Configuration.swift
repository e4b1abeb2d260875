import CSSELink

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension SSEStream {
    /// What a full channel does; `Configuration.overflow`.
    public enum Overflow: Sendable, Hashable {
        /// Wait for the consumer: nothing is lost (the default).
        case block
        /// Drop the oldest queued event or comment, counted by `dropped`.
        case dropOldest
        /// Drop the new event or comment, counted by `dropped`.
        case dropNewest
    }

    /// How jitter applies to reconnect delays; `Configuration.jitterShape`.
    public enum JitterShape: Sendable, Hashable {
        /// Adds up to `jitter` times the delay; never undercuts the server's retry.
        case add
        /// Multiplies by `1 - jitter + jitter * u`, then caps (R1's shape).
        case scale
        /// Adds `jitter * (2u - 1)` times the delay after the cap (R2's shape).
        case around
    }

    /// Every option of a stream, with the library's defaults: the options of
    /// docs/options.md under Swift names (its Swift column). A value that
    /// cannot work is refused by `SSEStream.init`, with an `SSEError` of kind
    /// `.invalidConfiguration` naming the property.
    public struct Configuration: Sendable {
        /// Request headers sent on every connect (`header`). A caller's
        /// `Accept` or `Cache-Control` replaces sselink's; framing headers
        /// (`Content-Length`, `Host`, ...) are refused.
        public var headers: [String: String] = [:]
        /// Headers that carry a credential (`sensitive_header`): never sent
        /// to another origin after a redirect, never logged.
        public var sensitiveHeaders: [String: String] = [:]
        /// Called before every connect and every post attempt, on a library
        /// thread (`header_provider`); its headers replace configured ones of
        /// the same name and count as sensitive. It must be quick and
        /// thread-safe; it cannot throw, and nothing it does reaches C but
        /// the headers it returns.
        public var headerProvider: (@Sendable () -> [String: String])? = nil
        /// Query parameters appended to the URL, percent-encoded (`query`).
        public var queryItems: [URLQueryItem] = []
        /// The request method: any HTTP token (`method`).
        public var method: String = "GET"
        /// A request body, sent again on every connect (`body`).
        public var body: Data? = nil
        /// Seeds the last event id, sent as `Last-Event-ID` (`last_event_id`).
        public var lastEventID: String = ""
        /// Also sends the last event id as this query parameter (`resume_query`).
        public var resumeQuery: String? = nil
        /// Bounds resolving and connecting (`connect_timeout`): more than zero, at most a year.
        public var connectTimeout: Duration = .seconds(10)
        /// No byte for this long: reconnect (`idle_timeout`); nil waits forever.
        /// Zero is refused: sselink would read it as nil.
        public var idleTimeout: Duration? = .seconds(45)
        /// Off: the stream closes when its first connection ends (`reconnect`).
        public var reconnect: Bool = true
        /// The first reconnect delay (`reconnect_delay`, initial).
        public var reconnectDelay: Duration = .seconds(1)
        /// The cap of the doubling reconnect delay (`reconnect_delay`, max).
        public var maxReconnectDelay: Duration = .seconds(30)
        /// Random extra of up to this fraction of each delay, 0 to 1 (`jitter`).
        public var jitter: Double = 0.5
        /// How the jitter applies (`jitter_shape`).
        public var jitterShape: JitterShape = .add
        /// The failure count resets when a connection opens (`reset_on_open`, R1).
        public var resetOnOpen: Bool = false
        /// Off: the server's `retry` field does not change the delay (`server_retry`, R2).
        public var serverRetry: Bool = true
        /// Gives up after this many consecutive failed attempts (`max_attempts`); nil never.
        /// Zero is refused: sselink would read it as nil, never giving up.
        public var maxAttempts: Int? = nil
        /// Gives up when one outage lasts longer (`time_budget`); nil never.
        /// Zero is refused: sselink would read it as nil, never giving up.
        public var timeBudget: Duration? = nil
        /// A connection open this long resets the failure count (`healthy_after`).
        public var healthyAfter: Duration = .seconds(60)
        /// Every non-2xx status closes the stream (`strict_status`).
        public var strictStatus: Bool = false
        /// Statuses retried whatever the policy says (`retry_status`).
        public var retryStatuses: Set<Int> = []
        /// Every non-2xx is retried but the permanent ones and 204 (`retry_all_statuses`, R2).
        public var retryAllStatuses: Bool = false
        /// Any 2xx is an event stream, whatever its Content-Type (`any_content_type`).
        public var anyContentType: Bool = false
        /// Statuses that close the stream whatever the policy says (`permanent_status`).
        public var permanentStatuses: Set<Int> = []
        /// Redirects one connect follows; 0 follows none (`max_redirects`).
        public var maxRedirects: Int = 10
        /// Follows a redirect from `https` to `http` (`insecure_redirects`); off,
        /// such a redirect closes the stream with a redirect error.
        public var insecureRedirects: Bool = false
        /// The longest line accepted, in bytes (`max_line_length`).
        public var maxLineLength: Int = 16 << 20
        /// The largest event accepted, in bytes: data, type and id (`max_event_size`).
        public var maxEventSize: Int = 16 << 20
        /// Dispatches an unfinished event when a response ends cleanly (`dispatch_incomplete_at_eof`).
        public var dispatchIncompleteAtEOF: Bool = false
        /// Events and comments the channel holds, 1 to 65,536 (`capacity`).
        public var capacity: Int = 256
        /// Bytes of events and comments the channel holds (`max_queued_bytes`).
        public var maxQueuedBytes: Int = 64 << 20
        /// What a full channel does (`overflow`).
        public var overflow: Overflow = .block
        /// Drops events whose own numeric id was delivered already (`deduplicate_ids`).
        public var deduplicateIDs: Bool = false
        /// Resumes from the highest numeric id seen (`resume_from_highest_id`, R2).
        public var resumeFromHighestID: Bool = false
        /// Delivers only events of these types (`filter_event_type`); empty: every type.
        public var filterEventTypes: [String] = []
        /// Delivers comment lines as `.comment` items (`comments`).
        public var comments: Bool = false
        /// Where `post` sends (`post_url`); nil: the stream URL without a trailing `/stream`.
        public var postURL: String? = nil
        /// Attempts a post makes at most (`post_attempts`).
        public var postAttempts: Int = 10
        /// The first delay between post attempts (`post_delay`, initial).
        public var postDelay: Duration = .milliseconds(500)
        /// The cap of the delay between post attempts (`post_delay`, max).
        public var maxPostDelay: Duration = .seconds(8)
        /// How long a post may take, all attempts included (`post_timeout`).
        public var postTimeout: Duration = .seconds(60)
        /// More roots to trust, PEM or DER (`root_certificate`).
        public var rootCertificates: [Data] = []
        /// Verifies with the platform's certificate store instead of the bundled roots (`platform_roots`).
        public var platformRoots: Bool = false
        /// Retries TLS failures while connecting like network errors
        /// (`retry_tls_errors`); off, they close the stream and end a post at once.
        public var retryTLSErrors: Bool = false
        /// An `http`, `https` or SOCKS proxy, credentials in the URL (`proxy`); nil: the environment's.
        public var proxy: String? = nil
        /// Hosts that bypass the proxy, as curl matches them (`no_proxy`); nil:
        /// `no_proxy` or `NO_PROXY`; `["*"]` turns proxies off.
        public var noProxy: [String]? = nil
        /// Asks for gzip and decodes it as it arrives (`compressed`).
        public var compressed: Bool = false
        /// A client certificate for mutual TLS: chain and key, PEM or DER (`client_certificate`).
        public var clientCertificate: (chain: Data, key: Data)? = nil
        /// The reader thread's stack in bytes, at least 64 KiB (`reader_stack_size`); nil: the system's.
        /// Zero is refused: sselink would read it as nil.
        public var readerStackSize: Int? = nil

        public init() {}
    }
}

// MARK: - Applying a configuration to a C sselink_config

/// Calls one setter and turns a refusal into an error naming the Swift property.
private func check(
    _ result: sselink_result, _ config: OpaquePointer, _ property: String
) throws(SSEError) {
    guard result == .SSELINK_RESULT_OK else {
        throw SSEError(code: result.rawValue, message: "\(property): \(configError(config))")
    }
}

/// The configuration's message about its last call.
func configError(_ config: OpaquePointer) -> String {
    var length = 0
    _ = sselink_config_error(config, nil, 0, &length)
    var buffer = [CChar](repeating: 0, count: length + 1)
    guard sselink_config_error(config, &buffer, buffer.count, &length) == .SSELINK_RESULT_OK else {
        return ""
    }
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Why the library refuses `url`, in its words (such as "URL `http://`
/// does not parse (empty host)").
func urlError(_ url: String) -> String {
    var length = 0
    _ = withUTF8(url) { sselink_config_url_error($0, $1, nil, 0, &length) }
    var buffer = [CChar](repeating: 0, count: length + 1)
    let result = withUTF8(url) { sselink_config_url_error($0, $1, &buffer, buffer.count, &length) }
    guard result == .SSELINK_RESULT_OK, length > 0 else {
        return "the URL \(url) does not parse, or is not http or https"
    }
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Runs `body` with a view of `text`'s UTF-8 bytes, as the C setters take them.
func withUTF8<R>(_ text: String, _ body: (UnsafePointer<CChar>?, Int) -> R) -> R {
    var text = text
    return text.withUTF8 { bytes in
        bytes.withMemoryRebound(to: CChar.self) { body($0.baseAddress, $0.count) }
    }
}

/// Runs `body` with a view of `data`'s bytes.
func withBytes<R>(_ data: Data, _ body: (UnsafePointer<UInt8>?, Int) -> R) -> R {
    data.withUnsafeBytes { raw in
        let bytes = raw.bindMemory(to: UInt8.self)
        return body(bytes.baseAddress, bytes.count)
    }
}

/// Whole milliseconds for C, rounded up so that a positive duration stays
/// positive; a negative one is refused.
func milliseconds(_ duration: Duration, _ property: String) throws(SSEError) -> UInt64 {
    guard duration >= .zero else {
        throw SSEError(
            code: sselink_result.SSELINK_RESULT_INVALID_CONFIG.rawValue,
            message: "\(property): a duration cannot be negative (\(duration))")
    }
    let (seconds, attoseconds) = duration.components
    let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1000)
    let part = UInt64((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    if overflow { return .max }  // far beyond a year: the library refuses it
    let (sum, overflowSum) = whole.addingReportingOverflow(part)
    return overflowSum ? .max : sum
}

/// A count or size for C; a negative one is refused.
private func count<T: FixedWidthInteger>(_ value: Int, _ property: String) throws(SSEError) -> T {
    guard value >= 0 else {
        throw SSEError(
            code: sselink_result.SSELINK_RESULT_INVALID_CONFIG.rawValue,
            message: "\(property): cannot be negative (\(value))")
    }
    return T(clamping: value)
}

/// An optional whose nil sselink spells 0: a zero the caller set is
/// refused, because the library would read it as nil, the opposite of what
/// it says (a `maxAttempts` of 0 would never give up).
private func notZero<T: Equatable>(_ value: T?, _ zero: T, _ property: String) throws(SSEError) -> T? {
    guard value != zero else {
        throw SSEError(
            code: sselink_result.SSELINK_RESULT_INVALID_CONFIG.rawValue,
            message: "\(property): 0 would mean nil to sselink; set nil for that, or a value above 0")
    }
    return value
}

/// An HTTP status for C.
private func status(_ value: Int, _ property: String) throws(SSEError) -> UInt16 {
    guard let status = UInt16(exactly: value) else {
        throw SSEError(
            code: sselink_result.SSELINK_RESULT_INVALID_CONFIG.rawValue,
            message: "\(property): \(value) is not an HTTP status")
    }
    return status
}

/// The object a C header provider's `userdata` points to: retained once
/// when handed to C, released once by the C library's `release` call.
final class HeaderProviderBox: Sendable {
    let provider: @Sendable () -> [String: String]

    init(_ provider: @escaping @Sendable () -> [String: String]) {
        self.provider = provider
    }
}

extension SSEStream.Configuration {
    /// Sets every option on `config`, each through its C setter, in the
    /// order of include/sselink.h. The parity tests read this function: a
    /// C setter that is not called here fails them.
    func apply(to config: OpaquePointer) throws(SSEError) {
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            try check(
                withUTF8(name) { n, nl in withUTF8(value) { sselink_config_header(config, n, nl, $0, $1) } },
                config, "headers[\"\(name)\"]")
        }
        for (name, value) in sensitiveHeaders.sorted(by: { $0.key < $1.key }) {
            try check(
                withUTF8(name) { n, nl in
                    withUTF8(value) { sselink_config_sensitive_header(config, n, nl, $0, $1) }
                }, config, "sensitiveHeaders[\"\(name)\"]")
        }
        for item in queryItems {
            try check(
                withUTF8(item.name) { n, nl in
                    withUTF8(item.value ?? "") { sselink_config_query(config, n, nl, $0, $1) }
                }, config, "queryItems")
        }
        try check(withUTF8(method) { sselink_config_method(config, $0, $1) }, config, "method")
        if let body {
            try check(withBytes(body) { sselink_config_body(config, $0, $1) }, config, "body")
        }
        if !lastEventID.isEmpty {
            try check(
                withUTF8(lastEventID) { sselink_config_last_event_id(config, $0, $1) }, config, "lastEventID")
        }
        if let resumeQuery {
            try check(
                withUTF8(resumeQuery) { sselink_config_resume_query(config, $0, $1) }, config, "resumeQuery")
        }
        try check(
            sselink_config_connect_timeout(config, milliseconds(connectTimeout, "connectTimeout")),
            config, "connectTimeout")
        try check(
            sselink_config_idle_timeout(
                config,
                notZero(idleTimeout, .zero, "idleTimeout").map { d throws(SSEError) in try milliseconds(d, "idleTimeout") } ?? 0),
            config, "idleTimeout")
        try check(sselink_config_reconnect(config, reconnect), config, "reconnect")
        try check(
            sselink_config_reconnect_delay(
                config, milliseconds(reconnectDelay, "reconnectDelay"),
                milliseconds(maxReconnectDelay, "maxReconnectDelay")),
            config, "reconnectDelay, maxReconnectDelay")
        try check(sselink_config_jitter(config, jitter), config, "jitter")
        try check(
            sselink_config_max_attempts(config, count(notZero(maxAttempts, 0, "maxAttempts") ?? 0, "maxAttempts")), config, "maxAttempts")
        try check(
            sselink_config_time_budget(
                config,
                notZero(timeBudget, .zero, "timeBudget").map { d throws(SSEError) in try milliseconds(d, "timeBudget") } ?? 0),
            config, "timeBudget")
        try check(
            sselink_config_healthy_after(config, milliseconds(healthyAfter, "healthyAfter")), config, "healthyAfter")
        try check(sselink_config_strict_status(config, strictStatus), config, "strictStatus")
        for value in retryStatuses.sorted() {
            try check(
                sselink_config_retry_status(config, status(value, "retryStatuses")), config, "retryStatuses")
        }
        for value in permanentStatuses.sorted() {
            try check(
                sselink_config_permanent_status(config, status(value, "permanentStatuses")), config,
                "permanentStatuses")
        }
        try check(
            sselink_config_max_redirects(config, count(maxRedirects, "maxRedirects")), config, "maxRedirects")
        try check(sselink_config_insecure_redirects(config, insecureRedirects), config, "insecureRedirects")
        try check(
            sselink_config_max_line_length(config, count(maxLineLength, "maxLineLength")), config, "maxLineLength")
        try check(
            sselink_config_max_event_size(config, count(maxEventSize, "maxEventSize")), config, "maxEventSize")
        try check(sselink_config_capacity(config, count(capacity, "capacity")), config, "capacity")
        try check(
            sselink_config_max_queued_bytes(config, count(maxQueuedBytes, "maxQueuedBytes")), config,
            "maxQueuedBytes")
        let overflowValue: sselink_overflow =
            switch overflow {
            case .block: .SSELINK_OVERFLOW_BLOCK
            case .dropOldest: .SSELINK_OVERFLOW_DROP_OLDEST
            case .dropNewest: .SSELINK_OVERFLOW_DROP_NEWEST
            }
        try check(sselink_config_overflow(config, overflowValue.rawValue), config, "overflow")
        let shape: sselink_jitter_shape =
            switch jitterShape {
            case .add: .SSELINK_JITTER_SHAPE_ADD
            case .scale: .SSELINK_JITTER_SHAPE_SCALE
            case .around: .SSELINK_JITTER_SHAPE_AROUND
            }
        try check(sselink_config_jitter_shape(config, shape.rawValue), config, "jitterShape")
        try check(sselink_config_reset_on_open(config, resetOnOpen), config, "resetOnOpen")
        try check(sselink_config_server_retry(config, serverRetry), config, "serverRetry")
        try check(sselink_config_retry_all_statuses(config, retryAllStatuses), config, "retryAllStatuses")
        try check(sselink_config_any_content_type(config, anyContentType), config, "anyContentType")
        try check(
            sselink_config_resume_from_highest_id(config, resumeFromHighestID), config, "resumeFromHighestID")
        for type in filterEventTypes {
            try check(
                withUTF8(type) { sselink_config_filter_event_type(config, $0, $1) }, config, "filterEventTypes")
        }
        if let postURL {
            try check(withUTF8(postURL) { sselink_config_post_url(config, $0, $1) }, config, "postURL")
        }
        try check(
            sselink_config_post_attempts(config, count(postAttempts, "postAttempts")), config, "postAttempts")
        try check(
            sselink_config_post_delay(
                config, milliseconds(postDelay, "postDelay"), milliseconds(maxPostDelay, "maxPostDelay")),
            config, "postDelay, maxPostDelay")
        try check(
            sselink_config_post_timeout(config, milliseconds(postTimeout, "postTimeout")), config, "postTimeout")
        try check(sselink_config_comments(config, comments), config, "comments")
        try check(sselink_config_deduplicate_ids(config, deduplicateIDs), config, "deduplicateIDs")
        try check(
            sselink_config_dispatch_incomplete_at_eof(config, dispatchIncompleteAtEOF), config,
            "dispatchIncompleteAtEOF")
        for certificate in rootCertificates {
            try check(
                withBytes(certificate) { sselink_config_root_certificate(config, $0, $1) }, config,
                "rootCertificates")
        }
        try check(sselink_config_platform_roots(config, platformRoots), config, "platformRoots")
        try check(sselink_config_retry_tls_errors(config, retryTLSErrors), config, "retryTLSErrors")
        if let proxy {
            try check(withUTF8(proxy) { sselink_config_proxy(config, $0, $1) }, config, "proxy")
        }
        if let noProxy {
            try check(
                withUTF8(noProxy.joined(separator: ",")) { sselink_config_no_proxy(config, $0, $1) }, config,
                "noProxy")
        }
        try check(sselink_config_compressed(config, compressed), config, "compressed")
        if let clientCertificate {
            try check(
                withBytes(clientCertificate.chain) { chain, chainLength in
                    withBytes(clientCertificate.key) {
                        sselink_config_client_certificate(config, chain, chainLength, $0, $1)
                    }
                }, config, "clientCertificate")
        }
        try check(
            sselink_config_reader_stack_size(
                config, count(notZero(readerStackSize, 0, "readerStackSize") ?? 0, "readerStackSize")), config,
            "readerStackSize")
        if let headerProvider {
            // Retained here, released once by the library's `release` call
            // when no configuration or stream uses it any more.
            let box = Unmanaged.passRetained(HeaderProviderBox(headerProvider)).toOpaque()
            let result = sselink_config_header_provider(
                config,
                { userdata, headers in
                    guard let userdata, let headers else { return }
                    let box = Unmanaged<HeaderProviderBox>.fromOpaque(userdata).takeUnretainedValue()
                    for (name, value) in box.provider().sorted(by: { $0.key < $1.key }) {
                        // Swift strings are UTF-8, so the library cannot refuse them as not UTF-8;
                        // a header it would refuse fails the connect with .headerProvider.
                        _ = withUTF8(name) { n, nl in withUTF8(value) { sselink_headers_add(headers, n, nl, $0, $1) } }
                    }
                },
                box,
                { userdata in
                    guard let userdata else { return }
                    Unmanaged<HeaderProviderBox>.fromOpaque(userdata).release()
                })
            if result != .SSELINK_RESULT_OK {
                // Not taken by the library: release it here, once.
                Unmanaged<HeaderProviderBox>.fromOpaque(box).release()
                try check(result, config, "headerProvider")
            }
        }
    }
}
