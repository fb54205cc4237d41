/// A set of byte-range replacements applied to one buffer in a single pass.
///
/// Everything outside the replaced ranges is copied unchanged, so a rewritten message keeps its
/// other fields, key order, whitespace, escapes and number literals exactly. Positions are offsets
/// in the slices' shared buffer; edits must not overlap (`conflicts` says whether one would).
package struct JSONSplice: Sendable {
    private(set) var edits: [(range: Range<Int>, bytes: [UInt8])] = []

    package init() {}

    package var isEmpty: Bool { edits.isEmpty }

    /// Replaces `range` with `bytes` (an empty range inserts).
    package mutating func replace(_ range: Range<Int>, with bytes: [UInt8]) {
        edits.append((range, bytes))
    }

    /// Replaces a value with a new one.
    package mutating func replace(_ slice: JSONSlice, with value: JSONValue) {
        replace(slice.range, with: value.encoded)
    }

    /// Applies the edits to the whole of `buffer`.
    package func apply(to buffer: [UInt8]) -> [UInt8] {
        guard !edits.isEmpty else { return buffer }
        return apply(to: buffer, within: 0..<buffer.count)
    }

    /// The bytes of `range` in `buffer` with the edits applied.
    package func apply(to buffer: [UInt8], within range: Range<Int>) -> [UInt8] {
        let sorted = edits.sorted {
            ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
        }
        var out: [UInt8] = []
        // One more byte: most results get a newline appended next, in place.
        out.reserveCapacity(range.count + sorted.reduce(0) { $0 + $1.bytes.count } + 1)
        var cursor = range.lowerBound
        for edit in sorted {
            precondition(
                edit.range.lowerBound >= cursor && edit.range.upperBound <= range.upperBound,
                "JSONSplice edits overlap"
            )
            out += buffer[cursor..<edit.range.lowerBound]
            out += edit.bytes
            cursor = edit.range.upperBound
        }
        out += buffer[cursor..<range.upperBound]
        return out
    }

    /// True when an edit of `range` would touch bytes another edit already changes.
    package func conflicts(_ range: Range<Int>) -> Bool {
        edits.contains { edit in
            if edit.range.isEmpty {
                return range.lowerBound < edit.range.lowerBound && edit.range.lowerBound < range.upperBound
            }
            return edit.range.lowerBound < range.upperBound && range.lowerBound < edit.range.upperBound
        }
    }

    /// Removes the members `removing` selects and appends `appending` (key, encoded value).
    package mutating func editMembers(
        of object: JSONSlice,
        removing: (JSONSlice.Member) -> Bool = { _ in false },
        appending: [(key: String, value: [UInt8])] = []
    ) {
        let members = object.members
        var text: [UInt8] = []
        for (index, member) in appending.enumerated() {
            if index > 0 { text.append(UInt8(ascii: ",")) }
            text += JSONValue.quoted(member.key) + [UInt8(ascii: ":")] + member.value
        }
        edit(
            items: members.map { $0.keyRange.lowerBound..<$0.value.range.upperBound },
            removed: members.map(removing),
            in: object.range,
            appending: text
        )
    }

    /// Sets `key` to `value` in an object: replaces the value of its last occurrence, or appends it.
    package mutating func setMember(_ key: String, to value: [UInt8], in object: JSONSlice) {
        if let existing = object[key] {
            replace(existing.range, with: value)
        } else {
            editMembers(of: object, appending: [(key, value)])
        }
    }

    /// True when `setMember(key, to:, in: object)` would touch bytes another edit already changes.
    package func conflictsSetting(_ key: String, in object: JSONSlice) -> Bool {
        if let existing = object[key] { return conflicts(existing.range) }
        let point = object.members.last.map { $0.value.range.upperBound } ?? object.range.lowerBound + 1
        return conflicts(point..<point)
    }

    /// Removes the elements `removing` selects from an array.
    package mutating func removeElements(of array: JSONSlice, where removing: (JSONSlice) -> Bool) {
        let elements = array.elements
        edit(items: elements.map(\.range), removed: elements.map(removing), in: array.range, appending: [])
    }

    /// Removes items of a container and appends `appending` (comma-separated items, already encoded).
    ///
    /// A removed item followed by a kept one takes everything up to that one's start (its own
    /// trailing comma and whitespace); removed items after the last kept one take everything from
    /// the end of the last kept one (the comma before them). The container's own whitespace stays.
    private mutating func edit(items: [Range<Int>], removed: [Bool], in container: Range<Int>, appending: [UInt8]) {
        guard let lastKept = removed.lastIndex(of: false) else {
            if let first = items.first, let last = items.last {
                replace(first.lowerBound..<last.upperBound, with: appending)
            } else if !appending.isEmpty {
                replace((container.lowerBound + 1)..<(container.lowerBound + 1), with: appending)
            }
            return
        }
        for index in 0..<lastKept where removed[index] {
            replace(items[index].lowerBound..<items[index + 1].lowerBound, with: [])
        }
        let tail = items[lastKept].upperBound..<items[items.count - 1].upperBound
        let text = appending.isEmpty ? [] : [UInt8(ascii: ",")] + appending
        if !tail.isEmpty || !text.isEmpty {
            replace(tail, with: text)
        }
    }
}
