import Foundation
import SSELink
import Testing

// README begin
func follow(url: String, token: String) async throws {
    var configuration = SSEStream.Configuration()
    configuration.headers["Authorization"] = "Bearer \(token)"
    let stream = try SSEStream(url: url, configuration: configuration)
    for try await event in stream.events {  // reconnects and resumes; throws the final error
        print(event.type, event.id, event.data)
    }
}
// README end

extension SSELinkTests {
    /// The Swift example of the README is this file's `follow`, and it runs.
    @Suite struct ReadmeExample {
        @Test func theReadmeShowsThisCode() throws {
            let source = try repositoryFile("ffi-examples/swift/Tests/SSELinkTests/ReadmeExampleTests.swift")
            let begin = try #require(source.range(of: "// README begin\n")).upperBound
            let end = try #require(source.range(of: "// README end\n")).lowerBound
            let code = String(source[begin..<end])
            let readme = try repositoryFile("README.md")
            let block = try #require(
                readme.components(separatedBy: "```swift\n").dropFirst().first?.components(separatedBy: "```").first,
                "a swift block in README.md")
            #expect(block == "import SSELink\n\n" + code, "README.md's Swift example is ReadmeExampleTests.follow")
        }

        @Test func theExampleRuns() async throws {
            // /once sends three events to a request with an Authorization
            // header, then 204 to the reconnect: the loop ends without error.
            let target = try url("/once?key=\(UUID().uuidString)&n=3")
            try await within("the README example") { try await follow(url: target, token: "readme") }
            let refused = try url("/unauthorized")
            await #expect(throws: SSEError.self) {
                try await within("the README example on a 401") { try await follow(url: refused, token: "x") }
            }
        }
    }
}
