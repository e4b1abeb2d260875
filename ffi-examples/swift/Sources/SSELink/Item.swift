#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Response headers as the server sent them: names in lowercase, in order,
/// a name repeated when the server repeated it.
public struct ResponseHeaders: Sendable, Hashable, RandomAccessCollection {
    /// One header line.
    public struct Field: Sendable, Hashable {
        /// The name, in lowercase.
        public var name: String
        /// The value.
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The header lines, in the order received.
    public var fields: [Field]

    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    /// The value of the first header called `name` (any case), or nil.
    public subscript(name: String) -> String? {
        let wanted = name.lowercased()
        return fields.first { $0.name.lowercased() == wanted }?.value
    }

    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> Field { fields[position] }
}

extension SSEStream {
    /// One server-sent event.
    public struct Event: Sendable, Hashable {
        /// The event type: `message` when the server sent none.
        public var type: String
        /// The data: its lines joined with `\n`. May hold NUL characters.
        public var data: String
        /// The last event id in force: empty when the server sent none yet.
        public var id: String
        /// The reconnection time a `retry` field in this event's block set, or nil.
        public var retry: Duration?

        public init(type: String = "message", data: String, id: String = "", retry: Duration? = nil) {
            self.type = type
            self.data = data
            self.id = id
            self.retry = retry
        }

        /// Decodes the data as JSON into `type`.
        public func decode<T: Decodable>(
            _ type: T.Type, using decoder: JSONDecoder = JSONDecoder()
        ) throws -> T {
            try decoder.decode(type, from: Data(data.utf8))
        }
    }

    /// One thing that happened to a stream, in order: the lifecycle with the
    /// events. A close by the program is no item: the sequence just ends.
    public enum Item: Sendable {
        /// A connection attempt starts (`attempt` 0 for the first).
        case connecting(attempt: Int)
        /// The server accepted the stream.
        case open(status: Int, headers: ResponseHeaders)
        /// A server-sent event.
        case event(Event)
        /// A comment line (with `Configuration.comments`).
        case comment(String)
        /// A transient failure; the stream reconnects after `delay`.
        case retrying(SSEError, delay: Duration, attempt: Int)
        /// The stream is finished, for `CloseReason`: always the last item.
        case closed(CloseReason)
    }

    /// Why a stream finished by itself.
    public enum CloseReason: Sendable {
        /// The server answered 204 No Content: it asks the client to stop.
        case noContent
        /// The connection ended and `Configuration.reconnect` is off.
        case ended
        /// A terminal error: a permanent status, attempts or time budget
        /// exhausted, a limit broken, a wrong content type, ...
        case error(SSEError)
    }

    /// Where a stream is now.
    public enum State: Sendable, Hashable {
        /// Making the first connection (or the first after a restart).
        case connecting
        /// Connected: events flow.
        case open
        /// Between connections, waiting or connecting again.
        case reconnecting
        /// Finished or closed.
        case closed
    }

    /// The final answer to a post, whatever its status.
    public struct PostResponse: Sendable {
        /// The HTTP status.
        public let status: Int
        /// How many attempts the post took, from 1.
        public let attempts: Int
        /// The body (at most 1 MiB).
        public let body: Data
        let response: PostResponseBox

        /// The value of header `name` (any case), or nil.
        public func header(_ name: String) -> String? {
            response.header(name)
        }
    }
}
