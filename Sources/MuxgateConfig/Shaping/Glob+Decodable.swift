import MuxgateWire

extension Glob: Decodable {
    /// Decodes a pattern written as a string; a malformed one is a `ConfigIssue` at its key path.
    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text, at: ConfigIssue.keyPath(decoder.codingPath))
    }

    /// Compiles a pattern found at `path` in the configuration.
    ///
    /// - Throws: `ConfigIssue` (`invalidValue`) naming the path and what is wrong with the pattern.
    package init(_ pattern: String, at path: [String]) throws(ConfigIssue) {
        do {
            try self.init(pattern)
        } catch {
            throw ConfigIssue(
                code: .invalidValue,
                path: path,
                message: "'\(pattern)' is not a valid glob: \(error.message)"
            )
        }
    }
}
