import MuxgateWire

/// A coding key for any string, used to list the keys a mapping really has.
package struct AnyCodingKey: CodingKey {
    package let stringValue: String
    package var intValue: Int? { nil }
    package init(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws a `ConfigIssue` naming the first key of this mapping that `Keys` does not know.
    ///
    /// Codable silently ignores unknown keys; in a configuration a typo must not pass unnoticed.
    package func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        let known = Keys.allCases.map(\.stringValue)
        for key in container.allKeys where !known.contains(key.stringValue) {
            let path = ConfigIssue.keyPath(codingPath) + [key.stringValue]
            var message = "'\(key.stringValue)' is not a known key here"
            if let guess = known.min(by: { editDistance($0, key.stringValue) < editDistance($1, key.stringValue) }),
                editDistance(guess, key.stringValue) <= max(2, guess.count / 3)
            {
                message += " (did you mean '\(guess)'?)"
            } else {
                message += " (known: \(known.joined(separator: ", ")))"
            }
            throw ConfigIssue(code: .unknownKey, path: path, message: message)
        }
    }
}

extension KeyedDecodingContainer {
    /// A string member that must name one of `Choice`'s cases; nil when it is absent.
    ///
    /// - Parameters:
    ///   - path: The key path of this mapping (`ConfigIssue.keyPath`).
    ///   - what: What the value should have been, with the choices: "a failure policy (use deny or warn)".
    /// - Throws: `ConfigIssue` (`invalidValue`) naming the key and the choices.
    package func decodeChoice<Choice: RawRepresentable>(
        _ type: Choice.Type,
        forKey key: Key,
        at path: [String],
        _ what: String
    ) throws -> Choice? where Choice.RawValue == String {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            throw ConfigIssue(code: .invalidValue, path: path + [key.stringValue], message: "'\(text)' is not \(what)")
        }
        return choice
    }
}

/// The Levenshtein distance between two short strings.
package func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
