/// Finding an object that names the same key twice: a value that two readers can read two ways.
///
/// RFC 8259 leaves duplicate names to the reader, and readers disagree: Python and JavaScript keep
/// the last, some C and Java parsers the first, Go matches struct fields without regard to case.
/// A gate that judges one reading while the child runs another can be talked around, so muxgate
/// refuses such requests instead of guessing.
extension JSONSlice {
    /// A key an object repeats: where the object is, and the key (decoded).
    package struct DuplicateKey: Sendable, Equatable, CustomStringConvertible {
        /// The members and indices from this value down to the object (`["params", "arguments"]`).
        package let path: [String]
        /// The repeated key, decoded (`"a"` and `"\u0061"` are the same key).
        package let key: String

        /// `params.arguments` has the key "branch" twice.
        package var description: String {
            let place = path.isEmpty ? "the message" : path.joined(separator: ".")
            return "\(place) has the key \"\(key)\" more than once"
        }
    }

    /// The first object, at any depth, that repeats a key (compared after unescaping, as Swift
    /// compares strings); nil when every object's keys are distinct.
    ///
    /// One pass over the bytes without allocating while keys are plain; an object past 32 keys
    /// switches to a set, so a hostile message cannot make the check quadratic.
    package var firstDuplicateKey: DuplicateKey? {
        guard let offset = duplicateKeyOffset() else { return nil }
        return locateKey(at: offset, path: [])
    }

    /// The offset of the first repeated key's opening quote.
    private func duplicateKeyOffset() -> Int? {
        buffer.withUnsafeBufferPointer { pointer -> Int? in
            let scanner = JSONScanner(pointer)
            var keys = DuplicateKeyFrames()
            var expectKey = false
            var i = range.lowerBound
            while i < range.upperBound {
                switch pointer[i] {
                case UInt8(ascii: "{"):
                    keys.open(isObject: true)
                    expectKey = true
                case UInt8(ascii: "["):
                    keys.open(isObject: false)
                    expectKey = false
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    keys.close()
                    expectKey = false
                case UInt8(ascii: ","):
                    expectKey = keys.inObject
                case UInt8(ascii: "\""):
                    let end = scanner.skipValidatedString(i)
                    if expectKey {
                        if keys.isRepeated(i..<end, in: pointer) { return i }
                        expectKey = false
                    }
                    i = end
                    continue
                default:
                    break
                }
                i += 1
            }
            return nil
        }
    }

    /// The repeated key whose opening quote is at `offset` (from `JSONParseError.duplicateKey`),
    /// with its object's path.
    package func duplicateKey(at offset: Int) -> DuplicateKey? {
        locateKey(at: offset, path: [])
    }

    /// The path to the object whose member key starts at `offset`, and that key.
    private func locateKey(at offset: Int, path: [String]) -> DuplicateKey? {
        switch kind {
        case .object:
            for member in members {
                if member.keyRange.lowerBound == offset { return DuplicateKey(path: path, key: member.key) }
                if member.value.range.contains(offset) {
                    return member.value.locateKey(at: offset, path: path + [member.key])
                }
            }
        case .array:
            for (index, element) in elements.enumerated() where element.range.contains(offset) {
                return element.locateKey(at: offset, path: path + ["[\(index)]"])
            }
        default:
            break
        }
        return nil
    }
}

/// The keys seen so far in each open object of a scan (arrays hold none).
private struct DuplicateKeyFrames {
    /// Past this many keys an object's keys go into a set.
    package static let linearLimit = 32

    private struct Frame {
        package let isObject: Bool
        /// Where its keys start in `keys`.
        package let start: Int
        /// Its keys decoded, once it has more than `linearLimit`.
        package var set: Set<String>?
    }

    private var frames: [Frame] = []
    /// Each open object's key spans (quotes included), innermost last.
    private var keys: [Range<Int>] = []

    package var inObject: Bool { frames.last?.isObject == true }

    package mutating func open(isObject: Bool) {
        frames.append(Frame(isObject: isObject, start: keys.count, set: nil))
    }

    package mutating func close() {
        guard let frame = frames.popLast() else { return }
        keys.removeSubrange(frame.start...)
    }

    /// Records the key at `span` in the innermost object; true when that object had it already.
    package mutating func isRepeated(_ span: Range<Int>, in pointer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard var frame = frames.popLast() else { return false }
        defer { frames.append(frame) }
        if var set = frame.set {
            frame.set = nil
            defer { frame.set = set }
            return !set.insert(Self.decoded(span, pointer)).inserted
        }
        for earlier in keys[frame.start...] where Self.same(earlier, span, pointer) { return true }
        keys.append(span)
        if keys.count - frame.start > Self.linearLimit {
            frame.set = Set(keys[frame.start...].map { Self.decoded($0, pointer) })
        }
        return false
    }

    /// Whether two validated string literals hold the same text: byte for byte when both are plain
    /// ASCII, else as Swift compares strings (after unescaping, and canonically equivalent: `é` and
    /// `e` + U+0301 are one key to muxgate's own dictionaries, so they are one key here too).
    private static func same(_ a: Range<Int>, _ b: Range<Int>, _ pointer: UnsafeBufferPointer<UInt8>) -> Bool {
        let x = UnsafeBufferPointer(rebasing: pointer[(a.lowerBound + 1)..<(a.upperBound - 1)])
        let y = UnsafeBufferPointer(rebasing: pointer[(b.lowerBound + 1)..<(b.upperBound - 1)])
        if isPlain(x) && isPlain(y) { return x.elementsEqual(y) }
        return decoded(a, pointer) == decoded(b, pointer)
    }

    /// ASCII without escapes.
    private static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        !bytes.contains { $0 == UInt8(ascii: "\\") || $0 >= 0x80 }
    }

    private static func decoded(_ span: Range<Int>, _ pointer: UnsafeBufferPointer<UInt8>) -> String {
        JSONSlice.decodeString(pointer, span)
    }
}
