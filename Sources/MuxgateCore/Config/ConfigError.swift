/// A configuration that muxgate cannot run with: which file, where in it, and what to do.
package struct ConfigError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case notFound = "config not found"
        case unreadable = "config unreadable"
        case syntax = "YAML syntax error"
        case unknownKey = "unknown key"
        case wrongType = "wrong type"
        case missingKey = "missing key"
        case invalidValue = "invalid value"
        case unsetVariable = "unset variable"
        case duplicateKey = "duplicate key"
    }

    package let code: Code
    package let file: String
    package let line: Int?
    package let column: Int?
    /// The key path, dotted (`servers.git.command`), empty for the whole file.
    package let path: String
    package let message: String

    package init(_ code: Code, file: String, line: Int? = nil, column: Int? = nil, path: String = "", message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    package var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let line, let column, line > 0 { location += ":\(column)" }
        let key = path.isEmpty ? "" : " \(path):"
        return "\(location): \(code.rawValue):\(key) \(message)"
    }
}

/// An error raised while decoding, before the file and line are known; the loader completes it.
struct ConfigIssue: Error {
    let code: ConfigError.Code
    let path: [String]
    let message: String
}
