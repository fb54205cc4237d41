extension JSONValue {
    /// An indented rendering (two spaces a level, one member or element a line) for files people
    /// review in diffs. Keys keep their order: canonicalise first for a stable text.
    package func pretty(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        let inner = String(repeating: "  ", count: indent + 1)
        switch self {
        case .object(let members) where !members.isEmpty:
            let lines = members.map {
                inner + JSONValue.string($0.0).encodedString + ": " + $0.1.pretty(indent: indent + 1)
            }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + pad + "}"
        case .array(let elements) where !elements.isEmpty:
            return "[\n" + elements.map { inner + $0.pretty(indent: indent + 1) }.joined(separator: ",\n") + "\n" + pad
                + "]"
        case .raw(let bytes):
            guard let slice = try? JSONSlice.parse(Array(bytes)) else { return encodedString }
            return slice.value.prettySlice(slice, indent: indent)
        default:
            return encodedString
        }
    }

    private func prettySlice(_ slice: JSONSlice, indent: Int) -> String {
        switch slice.kind {
        case .object: JSONValue.object(slice.members.map { ($0.key, $0.value.value) }).pretty(indent: indent)
        case .array: JSONValue.array(slice.elements.map(\.value)).pretty(indent: indent)
        default: slice.text
        }
    }
}
