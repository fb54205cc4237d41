/// The discovery engine could not load its model or read its cache: what failed, for which file, what to do.
package struct DiscoveryError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// The model file is missing or unreadable.
        case modelUnreadable = "model unreadable"
        /// The model file is not one `scripts/convert-minilm.py` wrote, or is cut short.
        case invalidModel = "invalid model"
        /// The embedding cache could not be written.
        case cacheUnwritable = "embedding cache unwritable"
        /// An embedding endpoint failed or answered something that is not an embedding.
        case embedderFailed = "embedder failed"
    }

    package let code: Code
    /// The file concerned (empty when none).
    package let path: String
    package let message: String

    package init(_ code: Code, path: String = "", _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    package var description: String {
        path.isEmpty ? "\(code.rawValue): \(message)" : "\(code.rawValue): \(path): \(message)"
    }
}
