// ssetail follows a Server-Sent Events stream and prints each event as
// "type<TAB>id<TAB>data"; the lifecycle goes to standard error. It ends on
// Ctrl-C, when the server ends the stream, or with -n after that many events.
//
//     swift run ssetail -H 'Authorization: Bearer TOKEN' -n 10 https://example.com/events
import Dispatch
import SSELink

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

func fail(_ message: String, status: Int32) -> Never {
    var standardError = StandardError()
    print("ssetail: \(message)", to: &standardError)
    exit(status)
}

/// Writes to a descriptor at once: a line is out as soon as it is printed,
/// also into a pipe.
func write(_ text: String, to descriptor: Int32) {
    var text = text
    text.withUTF8 { bytes in
        var done = 0
        while done < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if count <= 0 { return }
            done += count
        }
    }
}

func writeStandardError(_ text: String) {
    write(text, to: 2)
}

struct StandardError: TextOutputStream {
    mutating func write(_ text: String) {
        writeStandardError(text)
    }
}

func trimmed(_ text: Substring) -> String {
    String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
}

var arguments = CommandLine.arguments.dropFirst()
var configuration = SSEStream.Configuration()
var count = 0
var target: String?
while let argument = arguments.popFirst() {
    switch argument {
    case "-H":
        guard let header = arguments.popFirst(), let colon = header.firstIndex(of: ":") else {
            fail("-H takes 'Name: value'", status: 2)
        }
        let name = trimmed(header[..<colon])
        let value = trimmed(header[header.index(after: colon)...])
        configuration.headers[name] = value
    case "-n":
        guard let value = arguments.popFirst().flatMap({ Int($0) }), value >= 0 else {
            fail("-n takes a count", status: 2)
        }
        count = value
    default:
        guard target == nil, !argument.hasPrefix("-") else {
            fail("usage: ssetail [-H 'Name: value']... [-n N] URL", status: 2)
        }
        target = argument
    }
}
guard let target else { fail("usage: ssetail [-H 'Name: value']... [-n N] URL", status: 2) }

let stream: SSEStream
do {
    stream = try SSEStream(url: target, configuration: configuration)
} catch {
    fail("\(error)", status: 2)
}

/// Ctrl-C closes the stream, which ends the loop below. (Not in top-level
/// code: its closures belong to the main actor, and this one runs on a
/// Dispatch queue.)
func closeOnInterrupt(_ stream: SSEStream) -> any DispatchSourceSignal {
    signal(SIGINT, SIG_IGN)
    let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    interrupt.setEventHandler { stream.close() }
    interrupt.activate()
    return interrupt
}
let interrupt = closeOnInterrupt(stream)

var standardError = StandardError()
var seen = 0
loop: for await item in stream.items {
    switch item {
    case .event(let event):
        write("\(event.type)\t\(event.id)\t\(event.data)\n", to: 1)
        seen += 1
        if count > 0 && seen >= count { break loop }
    case .open(let status, _):
        print("open: HTTP \(status)", to: &standardError)
    case .retrying(let error, let delay, _):
        print("retrying in \(delay): \(error)", to: &standardError)
    case .closed(.error(let error)):
        fail("\(error)", status: 1)
    case .closed:
        print("closed", to: &standardError)
    case .connecting, .comment:
        break
    }
}
stream.close()
