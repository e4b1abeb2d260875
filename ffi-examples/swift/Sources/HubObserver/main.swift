// hub-observer is R1, the hub session observer (docs/reference-clients.md),
// rebuilt on SSELink, as examples/hub_observer.rs and the Go hubobserver
// are. What it reproduces, and the option behind each:
//
//   - URL {base}/api/hub/session/{id}/events with subscribe, api_key and
//     org_id query parameters, each only when set: queryItems.
//   - Five event types handled, every other ignored in the library:
//     filterEventTypes. Data is JSON; the named types get their type merged
//     in, message carries its own. Data that is not a JSON object with a
//     type is a parse_error, reported while the stream goes on.
//   - A 1,000-event buffer that drops the oldest: capacity, overflow.
//   - Reconnect with 1,000 ms * 2^attempts * [0.5, 1), capped at 30 s, the
//     count reset when a connection opens, at most 10 attempts:
//     reconnectDelay, maxReconnectDelay, jitterShape = .scale, resetOnOpen,
//     maxAttempts.
//   - States connecting, connected, reconnecting, closed, and the error
//     codes connection_failed, auth_failed, max_reconnects_exceeded,
//     parse_error, each with the session id: mapped from the stream's items.
//
// Usage: hub-observer BASE SESSION [subscribe=..] [api_key=..] [org_id=..]
// [initial_ms=1000] [max_ms=30000]. One JSON line per state change, event
// or error; exit 0 when the hub ends the session, 1 on an error.
import Foundation
import SSELink

let types = ["snapshot", "hydration", "presence", "broadcast", "message"]

/// Reads one event as R1 does: a JSON object; the SSE type merged in as
/// `type` for the named types, the object's own string `type` required for
/// `message`.
func decode(_ event: SSEStream.Event) -> Result<[String: Any], DecodeError> {
    guard let object = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)),
        var body = object as? [String: Any]
    else {
        return .failure(DecodeError(message: "data is not a JSON object"))
    }
    if event.type == "message" {
        guard body["type"] is String else {
            return .failure(DecodeError(message: "a message without a string type"))
        }
    } else {
        body["type"] = event.type
    }
    return .success(body)
}

struct DecodeError: Error {
    let message: String
}

/// R1's code for how the stream closed.
func errorCode(_ error: SSEError) -> String {
    if error.kind == .attemptsExhausted { return "max_reconnects_exceeded" }
    if error.status == 401 || error.status == 403 { return "auth_failed" }
    return "connection_failed"
}

func emit(_ line: [String: Any]) {
    let data = (try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])) ?? Data("{}".utf8)
    print(String(decoding: data, as: UTF8.self))
}

func run(_ arguments: [String]) async -> Int32 {
    guard arguments.count >= 2 else {
        FileHandle.standardError.write(
            Data("usage: hub-observer BASE SESSION [subscribe=..] [api_key=..] [org_id=..] [initial_ms=..] [max_ms=..]\n".utf8))
        return 2
    }
    var base = arguments[0]
    while base.hasSuffix("/") { base.removeLast() }
    let session = arguments[1]
    func setting(_ name: String) -> String? {
        arguments.dropFirst(2).first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
            .flatMap { $0.isEmpty ? nil : $0 }
    }
    func milliseconds(_ name: String, _ fallback: Int) -> Duration {
        .milliseconds(setting(name).flatMap { Int($0) } ?? fallback)
    }
    var configuration = SSEStream.Configuration()
    configuration.reconnectDelay = milliseconds("initial_ms", 1000)
    configuration.maxReconnectDelay = milliseconds("max_ms", 30_000)
    configuration.jitterShape = .scale
    configuration.resetOnOpen = true
    configuration.maxAttempts = 10
    configuration.capacity = 1000
    configuration.overflow = .dropOldest
    configuration.filterEventTypes = types
    for name in ["subscribe", "api_key", "org_id"] {
        if let value = setting(name) {
            configuration.queryItems.append(URLQueryItem(name: name, value: value))
        }
    }
    var segment = CharacterSet.urlPathAllowed
    segment.remove("/")
    let escaped = session.addingPercentEncoding(withAllowedCharacters: segment) ?? session
    let stream: SSEStream
    do {
        stream = try SSEStream(url: "\(base)/api/hub/session/\(escaped)/events", configuration: configuration)
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        return 2
    }
    defer { stream.close() }

    var state = ""
    func setState(_ next: String) {
        if state != next {
            state = next
            emit(["state": next])
        }
    }
    for await item in stream.items {
        switch item {
        case .connecting(attempt: 0):
            setState("connecting")
        case .connecting, .retrying:
            setState("reconnecting")
        case .open:
            setState("connected")
        case .event(let event):
            switch decode(event) {
            case .success(let body):
                emit(["id": event.id, "event": ["kind": event.type, "body": body]])
            case .failure(let why):
                emit(["error": "parse_error", "message": why.message, "session": session, "id": event.id])
            }
        case .closed(let reason):
            setState("closed")
            if case .error(let error) = reason {
                emit(["error": errorCode(error), "message": error.description, "session": session])
                return 1
            }
        case .comment:
            break
        }
    }
    return 0
}

exit(await run(Array(CommandLine.arguments.dropFirst())))
