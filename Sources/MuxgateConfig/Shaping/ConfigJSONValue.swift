package import MuxgateWire

/// A value written in the configuration (any YAML scalar, sequence or mapping) as the JSON it stands for.
///
/// Plain `true`/`false` are booleans, plain numbers are numbers (a decimal literal keeps its text
/// when it is valid JSON), plain `null`, `~` or nothing is null, quoted scalars are always strings;
/// mappings become objects with their keys sorted, so the encoding is deterministic.
package struct ConfigJSONValue: Sendable, Decodable {
    package let value: JSONValue

    package init(_ value: JSONValue) { self.value = value }

    package init(from decoder: any Decoder) throws {
        if let mapping = try? decoder.container(keyedBy: AnyCodingKey.self) {
            let keys = mapping.allKeys.sorted { $0.stringValue < $1.stringValue }
            value = .object(
                try keys.map { key in (key.stringValue, try mapping.decode(ConfigJSONValue.self, forKey: key).value) }
            )
            return
        }
        if var sequence = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            while !sequence.isAtEnd {
                elements.append(try sequence.decode(ConfigJSONValue.self).value)
            }
            value = .array(elements)
            return
        }
        let scalar = try decoder.singleValueContainer()
        if scalar.decodeNil() {
            value = .null
        } else if let bool = try? scalar.decode(Bool.self) {
            value = .bool(bool)
        } else if let int = try? scalar.decode(Int.self) {
            value = .int(int)
        } else if let double = try? scalar.decode(Double.self) {
            let text = try scalar.decode(String.self)
            if let slice = try? JSONSlice.parse(text), slice.kind == .number {
                value = .number(text)
            } else if double.isFinite {
                value = .number("\(double)")
            } else {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: ConfigIssue.keyPath(decoder.codingPath),
                    message: "'\(text)' has no JSON representation (quote it to pass a string)"
                )
            }
        } else {
            value = .string(try scalar.decode(String.self))
        }
    }
}
