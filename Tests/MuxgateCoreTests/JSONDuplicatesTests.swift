import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateCommands
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRemote
@testable import MuxgateRouting
@testable import MuxgateTeam
@testable import MuxgateTelemetry
@testable import MuxgateWire

@Suite("One reading: repeated keys at any depth, keys that differ only by case")
struct JSONDuplicatesTests {
    @Test(
        "a repeated key is found at any depth, compared after unescaping",
        arguments: [
            (#"{"branch":"main","branch":"feature-x"}"#, "the message", "branch"),
            (#"{"params":{"arguments":{"a":1,"b":{"c":[1,{"d":2,"d":3}]}}}}"#, "params.arguments.b.c.[1]", "d"),
            (#"{"a":1,"\u0061":2}"#, "the message", "a"),
            (#"{"a/b":1,"a\/b":2}"#, "the message", "a/b"),
            (#"[{"x":1},{"y":1,"y":2}]"#, "[1]", "y"),
            (#"{"id":1,"method":"tools/call","id":2}"#, "the message", "id"),
            // One key to Swift's dictionaries (canonically equivalent), so one key here.
            (#"{"é":1,"e\u0301":2}"#, "the message", "é"),
        ]
    )
    func repeated(json: String, place: String, key: String) throws {
        let found = try #require(try JSONSlice.parse(json).firstDuplicateKey)
        #expect(found.key == key)
        #expect(found.description.hasPrefix(place), "\(found)")
    }

    @Test(
        "distinct keys pass, however alike",
        arguments: [
            #"{"a":1,"A":2}"#, #"{"a":{"a":{"a":1}}}"#, #"[{"a":1},{"a":2}]"#, #"{"a":"{\"a\":1,\"a\":2}"}"#,
            #"{"é":1,"e":2}"#, #"{}"#, #"[]"#, #""x""#,
        ]
    )
    func distinct(json: String) throws {
        #expect(try JSONSlice.parse(json).firstDuplicateKey == nil)
    }

    @Test("an object with many keys is checked with a set: a repeat past the linear limit is found")
    func manyKeys() throws {
        let keys = (0..<2_000).map { "\"k\($0)\":\($0)" }
        let distinct = "{" + keys.joined(separator: ",") + "}"
        #expect(try JSONSlice.parse(distinct).firstDuplicateKey == nil)
        _ = try JSONSlice.parse(Array(distinct.utf8), distinctKeys: true)
        let text = "{" + (keys + [#""k\u0031999":0"#]).joined(separator: ",") + "}"
        #expect(try JSONSlice.parse(text).firstDuplicateKey?.key == "k1999")
        #expect(throws: JSONParseError.self) { try JSONSlice.parse(Array(text.utf8), distinctKeys: true) }
        let message = try JSONRPCMessage.parse(
            Array(#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":1,"a":2}}"#.utf8),
            oneReading: true
        )
        #expect(message.keysChecked && message.repeatedKeyOffset != nil)
        #expect(Gateway.ambiguity(of: message)?.contains("params has the key \"a\" more than once") == true)
    }

    @Test("property: the scan agrees with decoding every object's members, on generated documents")
    func agreesWithDecoding() throws {
        var random = SeededGenerator(seed: 1)
        for _ in 0..<3_000 {
            let text = Self.document(depth: 0, &random)
            let root = try JSONSlice.parse(text)
            let repeats = Self.hasRepeat(root)
            #expect((root.firstDuplicateKey != nil) == repeats, "\(text)")
            // The validator's own check, what an IDE's message is parsed with, agrees.
            let strict = Result { () throws(JSONParseError) in try JSONSlice.parse(Array(text.utf8), distinctKeys: true)
            }
            switch strict {
            case .success: #expect(!repeats, "\(text)")
            case .failure(let error):
                #expect(repeats && error.reason == .duplicateKey, "\(text): \(error)")
                #expect(root.duplicateKey(at: error.offset) != nil, "\(text)")
            }
        }
    }

    /// A random document whose keys come from a small alphabet, written plain or escaped.
    static func document(depth: Int, _ random: inout SeededGenerator) -> String {
        switch depth > 3 ? 0 : Int.random(in: 0...3, using: &random) {
        case 0: return ["1", "\"s\"", "true", "null", "\"{\\\"a\\\":1}\""].randomElement(using: &random)!
        case 1:
            let count = Int.random(in: 0...3, using: &random)
            return "[" + (0..<count).map { _ in document(depth: depth + 1, &random) }.joined(separator: ",") + "]"
        default:
            let count = Int.random(in: 0...4, using: &random)
            let members = (0..<count).map { _ -> String in
                let key = ["a", "b", "A", "é"].randomElement(using: &random)!
                let written: String =
                    switch Int.random(in: 0...2, using: &random) {
                    case 0: key
                    case 1: key.unicodeScalars.map { "\\u" + hex4($0.value) }.joined()
                    default: key == "a" ? "\\u0061" : key
                    }
                return "\"\(written)\":" + document(depth: depth + 1, &random)
            }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    /// The reference: decode each object's members and look for a key seen twice.
    static func hasRepeat(_ value: JSONSlice) -> Bool {
        switch value.kind {
        case .object:
            let keys = value.members.map(\.key)
            return Set(keys).count != keys.count || value.members.contains { hasRepeat($0.value) }
        case .array:
            return value.elements.contains(where: hasRepeat)
        default:
            return false
        }
    }

    // MARK: - Case

    static let schema = try! JSONSlice.parse(
        #"{"type":"object","properties":{"branch":{"type":"string"},"kind":{"type":"string"},"#
            + #""opts":{"type":"object","properties":{"force":{"type":"boolean"}}},"#
            + #""list":{"type":"array","items":{"type":"object","properties":{"path":{"type":"string"}}}}}}"#
    )

    @Test(
        "a key that differs from a declared name only by case is refused, Unicode folding included",
        arguments: [
            #"{"branch":"main","Branch":"x"}"#, #"{"BRANCH":"main"}"#, #"{"\u212Aind":"x"}"#,
            #"{"opts":{"FORCE":true}}"#, #"{"list":[{"path":"a"},{"Path":"b"}]}"#,
        ]
    )
    func caseConflicts(json: String) throws {
        let names = ArgumentNames(schema: Self.schema)
        let why = try #require(names.caseConflict(in: try JSONSlice.parse(json)))
        #expect(why.contains("differs only by case"))
    }

    @Test("declared names, undeclared distinct names and names outside the schema's reach pass")
    func caseFine() throws {
        let names = ArgumentNames(schema: Self.schema)
        for json in [
            #"{"branch":"main","kind":"k","opts":{"force":true}}"#, #"{"other":1,"Other":2}"#,
            #"{"opts":"not an object"}"#, #"{"list":[{"path":"a","x":1}]}"#,
        ] {
            #expect(names.caseConflict(in: try JSONSlice.parse(json)) == nil, "\(json)")
        }
    }

    @Test("names muxgate reads itself (a rule's argument, an operator-set one) count when the schema omits them")
    func caseExtra() throws {
        let arguments = try JSONSlice.parse(#"{"Repo":"/tmp"}"#)
        #expect(ArgumentNames(schema: nil).caseConflict(in: arguments) == nil)
        #expect(ArgumentNames(schema: nil, also: ["repo"]).caseConflict(in: arguments) != nil)
        #expect(
            ArgumentNames(schema: nil, also: ["repo"]).caseConflict(in: try JSONSlice.parse(#"{"repo":"/x"}"#)) == nil
        )
        #expect(ArgumentNames.fold("ſ") == ArgumentNames.fold("S"))
    }
}

/// Four lowercase hex digits.
func hex4(_ value: UInt32) -> String {
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}
