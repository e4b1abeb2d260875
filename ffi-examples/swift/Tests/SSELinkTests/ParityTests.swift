import Foundation
import Testing

@testable import SSELink

/// The text of a file of the repository.
func repositoryFile(_ path: String) throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
}

/// The `sselink_config_*` setters of include/sselink.h: the functions that
/// take a configuration first and return a result, as capi/tests/parity.rs
/// reads them.
func headerSetters() throws -> Set<String> {
    let prefix = "enum sselink_result sselink_config_"
    return Set(
        try repositoryFile("include/sselink.h").replacingOccurrences(of: "*SSELINK_NULLABLE ", with: "*")
            .split(separator: "\n")
            .filter { $0.hasPrefix(prefix) && $0.contains("(struct sselink_config *config") }
            .map { String($0.dropFirst(prefix.count).prefix { $0 != "(" }) })
}

/// The C setters Configuration.apply(to:) calls.
func swiftSetterCalls() throws -> Set<String> {
    let source = try repositoryFile("ffi-examples/swift/Sources/SSELink/Configuration.swift")
    let body = try #require(source.range(of: "func apply(to config: OpaquePointer)")).upperBound
    var names = Set<String>()
    var rest = source[body...]
    while let call = rest.range(of: "sselink_config_") {
        let name = rest[call.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        if rest[call.upperBound...].dropFirst(name.count).first == "(" { names.insert(String(name)) }
        rest = rest[call.upperBound...]
    }
    return names.subtracting(["error"])
}

/// docs/options.md's table: option name, the Swift column's properties, and
/// the default column.
func documentedOptions() throws -> [(option: String, swift: [String], defaults: String)] {
    try repositoryFile("docs/options.md").split(separator: "\n").filter { $0.hasPrefix("| `") }.map { row in
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        try #require(cells.count >= 6, "a row of six cells: \(row)")
        let swift = cells[3].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
        }.filter { !$0.isEmpty }
        return (cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`")), swift, cells[4])
    }
}

/// A documented default, normalized: "none" for every way of saying there
/// is no value; durations in milliseconds; sizes in bytes.
func normalizedDefault(_ text: String) -> String {
    let text = text.trimmingCharacters(in: .whitespaces)
    let words = text.split(separator: " ")
    if ["none", "empty", "every type", "the environment's", "`no_proxy`, `NO_PROXY`"].contains(text)
        || text.hasPrefix("stream URL without")
        || (text.hasPrefix("0 (") && text.hasSuffix(")"))
    {
        return "none"
    }
    if words.count == 2, let number = Double(words[0]) {
        switch words[1] {
        case "ms": return "\(Int(number))ms"
        case "s": return "\(Int(number * 1000))ms"
        case "MiB": return "\(Int(number) << 20)"
        default: break
        }
    }
    return text.trimmingCharacters(in: CharacterSet(charactersIn: "`"))
}

/// "1 s, 30 s" as its two parts; a comma inside parentheses does not split.
func topLevelParts(_ text: String) -> [String] {
    var parts = [""]
    var depth = 0
    for character in text {
        switch character {
        case "(": depth += 1
        case ")": depth -= 1
        case "," where depth == 0:
            parts.append("")
            continue
        default: break
        }
        parts[parts.count - 1].append(character)
    }
    return parts
}

/// A Swift default, normalized like `normalizedDefault`.
func normalizedValue(_ value: Any) -> String {
    let mirror = Mirror(reflecting: value)
    if mirror.displayStyle == .optional {
        guard let wrapped = mirror.children.first?.value else { return "none" }
        return normalizedValue(wrapped)
    }
    switch value {
    case let flag as Bool: return flag ? "on" : "off"
    case let duration as Duration:
        let (seconds, attoseconds) = duration.components
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    case let text as String: return text.isEmpty ? "none" : text
    case let collection as any Collection: return collection.isEmpty ? "none" : "\(collection)"
    default: return "\(value)"
    }
}

extension SSELinkTests {
    /// Every option of the C library is in the Swift package: an option
    /// added to C and not to Swift fails here (and in capi/tests/parity.rs).
    @Suite struct OptionParity {
        @Test func configurationCallsEverySetterOfTheHeader() throws {
            let header = try headerSetters()
            let swift = try swiftSetterCalls()
            #expect(header.count >= 40, "too few setters found in include/sselink.h: \(header)")
            #expect(header.subtracting(swift).sorted() == [], "C setters Configuration.apply(to:) never calls")
            #expect(swift.subtracting(header).sorted() == [], "calls of setters the header does not have")
        }

        @Test func everyOptionHasASwiftPropertyInTheDocs() throws {
            let documented = try documentedOptions()
            let header = try headerSetters()
            #expect(Set(documented.map(\.option)) == header, "docs/options.md rows against the C setters")
            let properties = Set(Mirror(reflecting: SSEStream.Configuration()).children.compactMap(\.label))
            for row in documented {
                #expect(!row.swift.isEmpty, "\(row.option) has no Swift property in docs/options.md")
                for name in row.swift {
                    #expect(properties.contains(name), "docs/options.md names \(name), which Configuration lacks")
                }
            }
            let documentedProperties = Set(documented.flatMap(\.swift))
            #expect(properties.subtracting(documentedProperties).sorted() == [], "undocumented properties")
        }

        @Test func everyDefaultIsTheLibrarys() throws {
            let configuration = Mirror(reflecting: SSEStream.Configuration())
            let values = Dictionary(uniqueKeysWithValues: configuration.children.compactMap { child in
                child.label.map { ($0, child.value) }
            })
            for row in try documentedOptions() {
                // "1 s, 30 s" is two properties' defaults; "`no_proxy`, `NO_PROXY`" one's.
                let parts = row.swift.count > 1 ? topLevelParts(row.defaults) : [row.defaults]
                let expected = parts.map(normalizedDefault)
                let actual = row.swift.map { values[$0].map(normalizedValue) ?? "missing" }
                #expect(actual == expected, "\(row.option): docs/options.md says \(row.defaults)")
            }
        }

        @Test func theDefaultsReachTheLibraryAccepted() throws {
            // Every default, applied through its setter, is accepted.
            let stream = try SSEStream(url: url("/silent"))
            stream.close()
        }
    }
}
