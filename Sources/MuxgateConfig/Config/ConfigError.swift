import MuxgateWire

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
package struct ConfigIssue: Error {
    package let code: ConfigError.Code
    package let path: [String]
    package let message: String

    package init(code: ConfigError.Code, path: [String], message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// An issue at a decoder's coding path, optionally one key deeper.
    package init(_ code: ConfigError.Code, at codingPath: [any CodingKey], key: String? = nil, message: String) {
        self.init(code: code, path: Self.keyPath(codingPath) + (key.map { [$0] } ?? []), message: message)
    }

    /// A decoder's position as the key path the loader locates, with sequence indices written `[n]`.
    package static func keyPath(_ codingPath: [any CodingKey]) -> [String] {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
    }
}

extension AnyCodingKey {
    /// A key for a sequence index, written `[i]` in key paths.
    package init(index: Int) { self.init(stringValue: "[\(index)]") }
}
