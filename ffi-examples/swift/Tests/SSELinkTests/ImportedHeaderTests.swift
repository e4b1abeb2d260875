import CSSELink
import Testing

/// The C header as Swift imports it, spelled out: every function the
/// wrapper calls, with the Swift type the wrapper was written against. A
/// header change that alters one (a parameter type, a lost annotation that
/// turns an enum into a struct) stops this file from compiling.
enum ImportedSignatures {
    typealias Config = OpaquePointer?
    typealias Stream = OpaquePointer?
    typealias Text = UnsafePointer<CChar>?
    typealias Bytes = UnsafePointer<UInt8>?

    /// Binds each function to its expected type: this is where a changed
    /// header fails to compile. Returns a few of them for the test to call.
    static func bind() -> (
        version: () -> UnsafePointer<CChar>?, state: (Stream) -> sselink_state,
        restart: (Stream) -> sselink_result, setters: Int
    ) {
        let version: () -> UnsafePointer<CChar>? = sselink_version
        let resultMessage: (Int32) -> UnsafePointer<CChar>? = sselink_result_message
        let configNew: (Text, Int, UnsafeMutablePointer<OpaquePointer?>?) -> sselink_result = sselink_config_new
        let configFree: (Config) -> Void = sselink_config_free
        let configError: (Config, UnsafeMutablePointer<CChar>?, Int, UnsafeMutablePointer<Int>?) -> sselink_result =
            sselink_config_error
        let urlError: (Text, Int, UnsafeMutablePointer<CChar>?, Int, UnsafeMutablePointer<Int>?) -> sselink_result =
            sselink_config_url_error
        let header: (Config, Text, Int, Text, Int) -> sselink_result = sselink_config_header
        let sensitiveHeader: (Config, Text, Int, Text, Int) -> sselink_result = sselink_config_sensitive_header
        let query: (Config, Text, Int, Text, Int) -> sselink_result = sselink_config_query
        let text: [(Config, Text, Int) -> sselink_result] = [
            sselink_config_method, sselink_config_last_event_id, sselink_config_resume_query,
            sselink_config_filter_event_type, sselink_config_post_url, sselink_config_proxy, sselink_config_no_proxy,
        ]
        let bytes: [(Config, Bytes, Int) -> sselink_result] = [sselink_config_body, sselink_config_root_certificate]
        let milliseconds: [(Config, UInt64) -> sselink_result] = [
            sselink_config_connect_timeout, sselink_config_idle_timeout, sselink_config_time_budget,
            sselink_config_healthy_after, sselink_config_post_timeout,
        ]
        let twoMilliseconds: [(Config, UInt64, UInt64) -> sselink_result] = [
            sselink_config_reconnect_delay, sselink_config_post_delay,
        ]
        let flags: [(Config, Bool) -> sselink_result] = [
            sselink_config_reconnect, sselink_config_strict_status, sselink_config_reset_on_open,
            sselink_config_server_retry, sselink_config_retry_all_statuses, sselink_config_any_content_type,
            sselink_config_resume_from_highest_id, sselink_config_comments, sselink_config_deduplicate_ids,
            sselink_config_dispatch_incomplete_at_eof, sselink_config_platform_roots, sselink_config_compressed,
        ]
        let counts32: [(Config, UInt32) -> sselink_result] = [
            sselink_config_max_attempts, sselink_config_max_redirects, sselink_config_post_attempts,
            sselink_config_overflow, sselink_config_jitter_shape,
        ]
        let sizes: [(Config, Int) -> sselink_result] = [
            sselink_config_max_line_length, sselink_config_max_event_size, sselink_config_capacity,
            sselink_config_max_queued_bytes, sselink_config_reader_stack_size,
        ]
        let statuses: [(Config, UInt16) -> sselink_result] = [
            sselink_config_retry_status, sselink_config_permanent_status,
        ]
        let jitter: (Config, Double) -> sselink_result = sselink_config_jitter
        let clientCertificate: (Config, Bytes, Int, Bytes, Int) -> sselink_result =
            sselink_config_client_certificate
        let headerProvider:
            (Config, sselink_header_provider?, UnsafeMutableRawPointer?, sselink_release?) -> sselink_result =
                sselink_config_header_provider
        let provider: sselink_header_provider = { (_: UnsafeMutableRawPointer?, _: OpaquePointer?) in }
        let release: sselink_release = { (_: UnsafeMutableRawPointer?) in }
        let headersAdd: (OpaquePointer?, Text, Int, Text, Int) -> sselink_result = sselink_headers_add
        let logSetCallback: (sselink_log_callback?, UnsafeMutableRawPointer?, UInt32) -> sselink_result =
            sselink_log_set_callback
        let logCallback: sselink_log_callback = {
            (_: UnsafeMutableRawPointer?, _: UInt32, _: sselink_str, _: sselink_str) in
        }
        let connect: (Config, UnsafeMutablePointer<OpaquePointer?>?) -> sselink_result = sselink_stream_connect
        let poll: (Stream, Int32, UnsafeMutablePointer<sselink_item>?) -> sselink_result = sselink_stream_poll
        let close: (Stream) -> Void = sselink_stream_close
        let closeAndWait: (Stream, Int32) -> sselink_result = sselink_stream_close_and_wait
        let free: (Stream) -> Void = sselink_stream_free
        let restart: (Stream) -> sselink_result = sselink_stream_restart
        let state: (Stream) -> sselink_state = sselink_stream_state
        let dropped: (Stream) -> UInt64 = sselink_stream_dropped
        let queuedBytes: (Stream) -> Int = sselink_stream_queued_bytes
        let fd: (Stream, UnsafeMutablePointer<Int32>?) -> sselink_result = sselink_stream_fd
        let itemHeaderCount: (Stream) -> Int = sselink_stream_item_header_count
        let itemHeader:
            (Stream, Int, UnsafeMutablePointer<sselink_str>?, UnsafeMutablePointer<sselink_str>?) -> sselink_result =
                sselink_stream_item_header
        let itemBody: (Stream) -> sselink_str = sselink_stream_item_body
        let lastEventID: (Stream, UnsafeMutablePointer<CChar>?, Int, UnsafeMutablePointer<Int>?) -> sselink_result =
            sselink_stream_last_event_id
        let post: (Stream, Bytes, Int, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> sselink_result =
            sselink_stream_post
        let postStatus: (OpaquePointer?) -> UInt16 = sselink_post_response_status
        let postAttempts: (OpaquePointer?) -> UInt32 = sselink_post_response_attempts
        let postBody: (OpaquePointer?) -> sselink_str = sselink_post_response_body
        let postHeader: (OpaquePointer?, Text, Int, UnsafeMutablePointer<sselink_str>?) -> sselink_result =
            sselink_post_response_header
        let postFree: (OpaquePointer?) -> Void = sselink_post_response_free
        _ = (
            resultMessage, configNew, configFree, configError, urlError, header, sensitiveHeader, query, jitter,
            clientCertificate, headerProvider, provider, release, headersAdd, logSetCallback, logCallback, connect,
            poll, close, closeAndWait, free, dropped, queuedBytes, fd, itemHeaderCount, itemHeader, itemBody,
            lastEventID, post, postStatus, postAttempts, postBody, postHeader, postFree
        )
        let setters = [text.count, bytes.count, milliseconds.count, twoMilliseconds.count, flags.count,
            counts32.count, sizes.count, statuses.count].reduce(0, +)
        return (version, state, restart, setters)
    }

    /// The item as the wrapper reads it: field names and types.
    static func fields(of item: sselink_item) -> (
        sselink_item_kind, sselink_str, sselink_str, sselink_str, Int64, UInt16, sselink_result,
        sselink_close_reason, sselink_str, UInt64, UInt32
    ) {
        (
            item.kind, item.event_type, item.data, item.id, item.retry_ms, item.http_status, item.error,
            item.close_reason, item.message, item.delay_ms, item.attempt
        )
    }

    /// The string view: a nullable pointer and a length.
    static func parts(of text: sselink_str) -> (UnsafePointer<CChar>?, Int) { (text.ptr, text.len) }
}

/// An open enum: every value of the header has a case, and a value a newer
/// library adds reaches `@unknown default` instead of undefined behaviour.
func kindName(_ kind: sselink_item_kind) -> String {
    switch kind {
    case .SSELINK_ITEM_KIND_CONNECTING: "connecting"
    case .SSELINK_ITEM_KIND_OPEN: "open"
    case .SSELINK_ITEM_KIND_EVENT: "event"
    case .SSELINK_ITEM_KIND_COMMENT: "comment"
    case .SSELINK_ITEM_KIND_RETRYING: "retrying"
    case .SSELINK_ITEM_KIND_CLOSED: "closed"
    @unknown default: "unknown"
    }
}

extension SSELinkTests {
    @Suite struct ImportedHeader {
        @Test func theEnumsAreOpenSwiftEnums() throws {
            #expect(kindName(.SSELINK_ITEM_KIND_EVENT) == "event")
            let future = try #require(sselink_item_kind(rawValue: 99), "an open enum takes any value")
            #expect(kindName(future) == "unknown")
            #expect(sselink_result.SSELINK_RESULT_OK.rawValue == 0)
            #expect(sselink_result.SSELINK_RESULT_INVALID_CONFIG.rawValue == 100)
            #expect(sselink_state(rawValue: 3) == .SSELINK_STATE_CLOSED)
            #expect(sselink_overflow.SSELINK_OVERFLOW_DROP_NEWEST.rawValue == 2)
            #expect(sselink_jitter_shape.SSELINK_JITTER_SHAPE_AROUND.rawValue == 2)
            #expect(sselink_close_reason.SSELINK_CLOSE_REASON_ERROR.rawValue == 3)
        }

        @Test func theSignaturesAreTheWrappers() {
            // Compiling ImportedSignatures is the test; these calls show the
            // values are real functions of the linked library.
            let bound = ImportedSignatures.bind()
            #expect(bound.version() != nil)
            #expect(bound.state(nil) == .SSELINK_STATE_CLOSED)
            #expect(bound.restart(nil) == .SSELINK_RESULT_NULL_ARGUMENT)
            #expect(bound.setters > 30)
            var item = sselink_item()
            item.retry_ms = -1
            #expect(ImportedSignatures.fields(of: item).4 == -1)
            #expect(ImportedSignatures.parts(of: sselink_item_body_of_nothing()).1 == 0)
        }
    }
}

/// `sselink_stream_item_body` of no stream: an empty string.
func sselink_item_body_of_nothing() -> sselink_str {
    sselink_stream_item_body(nil)
}
