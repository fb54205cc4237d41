extension ConfigIssue {
    /// A decoder's position as the key path the loader locates, with sequence indices written `[n]`.
    static func keyPath(_ codingPath: [any CodingKey]) -> [String] {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
    }
}
