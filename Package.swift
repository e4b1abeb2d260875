// swift-tools-version:6.0
// The Swift package of sselink, a Server-Sent Events client over the sselink
// C library. Its sources live in ffi-examples/swift/ (README there); this
// file sits at the repository root because SwiftPM looks for it there.
//
// Build and install the C library first, then point pkg-config at it:
//
//     bash capi/install.sh --prefix /usr/local        # or any prefix
//     export PKG_CONFIG_PATH=/usr/local/lib/pkgconfig
//     swift build && swift test
import PackageDescription

let package = Package(
    name: "sselink",
    // Synchronization's Mutex sets the floor on Apple platforms (untested there).
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "SSELink", targets: ["SSELink"]),
        .executable(name: "ssetail", targets: ["ssetail"]),
        .executable(name: "hub-observer", targets: ["HubObserver"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSSELink",
            path: "ffi-examples/swift/Sources/CSSELink",
            pkgConfig: "sselink"
        ),
        .target(
            name: "SSELink",
            dependencies: ["CSSELink"],
            path: "ffi-examples/swift/Sources/SSELink"
        ),
        .executableTarget(
            name: "ssetail",
            dependencies: ["SSELink"],
            path: "ffi-examples/swift/Sources/ssetail"
        ),
        .executableTarget(
            name: "HubObserver",
            dependencies: ["SSELink"],
            path: "ffi-examples/swift/Sources/HubObserver"
        ),
        // The benchmark's Swift client (benches/peers/run.py builds and runs
        // it); not a product.
        .executableTarget(
            name: "SSELinkBenchClient",
            dependencies: ["SSELink"],
            path: "benches/peers/swift"
        ),
        .testTarget(
            name: "SSELinkTests",
            dependencies: ["SSELink", "CSSELink", "HubObserver"],
            path: "ffi-examples/swift/Tests/SSELinkTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
