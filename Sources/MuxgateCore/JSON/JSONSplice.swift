/// A set of byte-range replacements applied to one buffer in a single pass.
///
/// Everything outside the replaced ranges is copied unchanged, so a rewritten message keeps its
/// other fields, key order, whitespace, escapes and number literals exactly.
package struct JSONSplice: Sendable {
    private var edits: [(range: Range<Int>, replacement: [UInt8])] = []

    package init() {}

    package var isEmpty: Bool { edits.isEmpty }

    /// Replaces `range` with `bytes`; ranges must not overlap.
    package mutating func replace(_ range: Range<Int>, with bytes: [UInt8]) {
        edits.append((range, bytes))
    }

    /// Replaces a value with a new one.
    package mutating func replace(_ slice: JSONSlice, with value: JSONValue) {
        replace(slice.range, with: value.encoded)
    }

    /// Applies the edits to `buffer`.
    package func apply(to buffer: [UInt8]) -> [UInt8] {
        guard !edits.isEmpty else { return buffer }
        let sorted = edits.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var out: [UInt8] = []
        out.reserveCapacity(buffer.count + sorted.reduce(0) { $0 + $1.replacement.count })
        var cursor = 0
        for edit in sorted {
            precondition(edit.range.lowerBound >= cursor, "JSONSplice edits overlap")
            out.append(contentsOf: buffer[cursor..<edit.range.lowerBound])
            out.append(contentsOf: edit.replacement)
            cursor = edit.range.upperBound
        }
        out.append(contentsOf: buffer[cursor...])
        return out
    }
}
