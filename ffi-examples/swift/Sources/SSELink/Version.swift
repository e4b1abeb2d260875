import CSSELink

extension SSEStream {
    /// The version of the sselink C library loaded at run time, such as "0.1.0".
    public static var libraryVersion: String {
        sselink_version().map { String(cString: $0) } ?? ""
    }
}

/// The release include/sselink.h describes, as this package was built against it.
let headerVersion = (major: SSELINK_VERSION_MAJOR, minor: SSELINK_VERSION_MINOR, patch: SSELINK_VERSION_PATCH)
