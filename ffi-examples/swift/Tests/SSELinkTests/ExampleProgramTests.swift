import Foundation
import Testing

@testable import SSELink

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The JSON lines a program printed.
func jsonLines(_ output: String) throws -> [[String: Any]] {
    try output.split(separator: "\n").map { line in
        try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "a JSON object: \(line)")
    }
}

/// A port nothing listens on.
func closedPort() throws -> Int {
    let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
        }
    }
    try #require(bound)
    return Int(UInt16(bigEndian: address.sin_port))
}

extension SSELinkTests {
    /// The hub observer (R1) against tests/reference/hub_server.py, with the
    /// checks of the Rust and Go versions' tests.
    @Suite struct HubObserver {
        let program = productsDirectory.appendingPathComponent("hub-observer").path

        @Test func seesEverySubscribedEventOnceAcrossTheDrop() async throws {
            let hub = try TestServer(script: "tests/reference/hub_server.py")
            defer { hub.stop() }
            let (status, output) = try await run([
                program, hub.url("/"), "s1", "subscribe=task_*,agent_*", "api_key=hub-key", "org_id=org-1",
                "initial_ms=10",
            ])
            #expect(status == 0, "\(output)")
            let lines = try jsonLines(output)
            // 4 is a type R1 ignores, 5 a message the subscription filters out.
            #expect(lines.compactMap { $0["id"] as? String } == ["1", "2", "3", "6", "7", "8", "9", "10", "11", "12"])
            let kinds = lines.compactMap { ($0["event"] as? [String: Any])?["kind"] as? String }
            #expect(
                kinds == [
                    "snapshot", "hydration", "message", "presence", "broadcast", "message", "message", "presence",
                    "snapshot",
                ])
            let first = try #require(lines.first { $0["event"] != nil }?["event"] as? [String: Any])
            #expect((first["body"] as? [String: Any])?["type"] as? String == "snapshot", "the type merged in")
            let parseErrors = lines.filter { $0["error"] as? String == "parse_error" }
            #expect(parseErrors.count == 1)
            #expect(parseErrors.first?["id"] as? String == "7")
            #expect(parseErrors.first?["session"] as? String == "s1")
            #expect(
                lines.compactMap { $0["state"] as? String } == [
                    "connecting", "connected", "reconnecting", "connected", "reconnecting", "closed",
                ])
        }

        @Test func reportsAuthFailedAndMaxReconnectsExceeded() async throws {
            let hub = try TestServer(script: "tests/reference/hub_server.py")
            defer { hub.stop() }
            let (status, output) = try await run([program, hub.url("/"), "s1", "api_key=wrong", "org_id=org-1"])
            #expect(status == 1)
            let last = try #require(try jsonLines(output).last)
            #expect(last["error"] as? String == "auth_failed")
            #expect(last["session"] as? String == "s1")

            // Nothing listens: ten failed attempts, then it gives up.
            let (exhausted, lines) = try await run([
                program, "http://127.0.0.1:\(closedPort())/", "s1", "initial_ms=10", "max_ms=20",
            ])
            #expect(exhausted == 1)
            let gaveUp = try #require(try jsonLines(lines).last)
            #expect(gaveUp["error"] as? String == "max_reconnects_exceeded", "\(gaveUp)")
            #expect((gaveUp["message"] as? String)?.contains("10 reconnect attempts") == true, "\(gaveUp)")
        }
    }

    @Suite struct SSETail {
        let program = productsDirectory.appendingPathComponent("ssetail").path

        @Test func printsTypeIDAndDataOfTheFirstEvents() async throws {
            let (status, output) = try await run([program, "-n", "2", url("/events?n=5")])
            #expect(status == 0)
            #expect(output == "message\t0\tevent 0\nmessage\t1\tevent 1\n")
        }

        @Test func ctrlCClosesTheStreamAndExits() async throws {
            // A slow ticker: its first line says ssetail is in its loop,
            // with Ctrl-C handled.
            let child = try Subprocess([program, url("/ticker?n=100000")])
            let killer = Task {
                try await Task.sleep(for: patience)
                child.terminate()
            }
            defer { killer.cancel() }
            let (first, status) = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    let first = child.readLine()
                    _ = kill(child.pid, SIGINT)
                    continuation.resume(returning: (first, child.wait()))
                }
            }
            #expect(first == "message\t0\ttick 0")
            #expect(status == 0, "Ctrl-C closes the stream and ends the loop")
        }

        @Test func sendsHeadersAndExitsOneOnAFinalError() async throws {
            let token = "Bearer tail-\(UUID().uuidString)"
            let (status, output) = try await run([program, "-H", "Authorization: \(token)", "-n", "1", url("/token")])
            #expect(status == 0)
            #expect(output == "message\t\t\(token)\n")
            let (failed, nothing) = try await run([program, url("/unauthorized")])
            #expect(failed == 1)
            #expect(nothing.isEmpty)
        }
    }
}
