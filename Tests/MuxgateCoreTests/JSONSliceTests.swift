import Foundation
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

@Suite("JSON layer")
struct JSONSliceTests {
    @Test(
        "valid documents round-trip byte for byte",
        arguments: [
            #"{"a":1.0,"b":12345678901234567890,"c":-0.5e-10,"d":[true,false,null],"e":"\u00e9\n"}"#,
            "  { \"spaced\" :\t[ 1 , 2 ]\r\n }  ",
            #"{"line":"a\u2028b","raw":"a"# + "\u{2028}b\u{2029}c\"}",
            "[]", "{}", "\"\"", "0", "-0", "1E+2", "null",
            #"{"emoji":"😀","escaped":"\ud83d\ude00","ctl":"\u0001"}"#,
        ]
    )
    func roundTrip(_ text: String) throws {
        let slice = try JSONSlice.parse(text)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(slice.text == trimmed)
    }

    @Test("number literals stay as written")
    func numberLiterals() throws {
        let slice = try JSONSlice.parse(#"{"f":1.0,"big":12345678901234567890,"neg":-0}"#)
        #expect(slice["f"]?.text == "1.0")
        #expect(slice["f"]?.int == nil)
        #expect(slice["big"]?.text == "12345678901234567890")
        #expect(slice["big"]?.isIntegerLiteral == true)
        #expect(slice["big"]?.int == nil)  // does not fit Int: never rounded
        #expect(slice["neg"]?.int == 0)
    }

    @Test("strings decode escapes, surrogate pairs and raw separators")
    func stringDecoding() throws {
        let slice = try JSONSlice.parse(
            #"{"a":"x\"y\\z\/\b\f\n\r\t","b":"\ud83d\ude00","c":"\u00e9","d":""# + "a\u{2028}b\"}"
        )
        #expect(slice["a"]?.string == "x\"y\\z/\u{8}\u{c}\n\r\t")
        #expect(slice["b"]?.string == "😀")
        #expect(slice["c"]?.string == "é")
        #expect(slice["d"]?.string == "a\u{2028}b")
    }

    @Test("keys written with escapes are found")
    func escapedKeys() throws {
        let slice = try JSONSlice.parse(#"{"n\u0061me":"v","other":1}"#)
        #expect(slice["name"]?.string == "v")
        #expect(slice.members.map(\.key) == ["name", "other"])
    }

    @Test(
        "malformed input is a parse error with an offset, never a crash",
        arguments: [
            "", "{", "[1,]", "{\"a\":}", "{\"a\" 1}", "01", "1.", "-", "+1", ".5", "1e", "tru", "nul", "\"abc",
            "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\u{0}b\"", "{\"a\":1}x", "[1 2]", "{1:2}",
            "\"\\ud800\\u0041\"", "NaN", "Infinity", "'a'",
        ]
    )
    func malformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONSlice.parse(text) }
    }

    @Test(
        "invalid UTF-8 is refused",
        arguments: [
            [0x22, 0xC3, 0x22], [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
            [0x22, 0xE0, 0x80, 0x80, 0x22], [0x22, 0xFF, 0x22],
        ] as [[UInt8]]
    )
    func invalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSONSlice.parse(bytes) }
    }

    @Test("deep nesting is bounded")
    func depth() throws {
        let ok = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        _ = try JSONSlice.parse(ok)
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError(.tooDeep, at: JSONScanner.maximumDepth)) { try JSONSlice.parse(deep) }
    }

    @Test("navigation: members keep document order, last duplicate wins")
    func navigation() throws {
        let slice = try JSONSlice.parse(#"{"z":1,"a":[1,{"x":2}],"z":3}"#)
        #expect(slice.members.map(\.key) == ["z", "a", "z"])
        #expect(slice["z"]?.text == "3")
        #expect(slice["a"]?.elements.count == 2)
        #expect(slice["a"]?.elements[1]["x"]?.int == 2)
        #expect(slice["missing"] == nil)
    }

    @Test("splicing changes only the edited spans")
    func splice() throws {
        let text = #"{"id":7, "params":{"name":"x","f":1.0,"u":"\u00e9"}}"#
        let slice = try JSONSlice.parse(text)
        var splice = JSONSplice()
        splice.replace(slice["id"]!.range, with: Array("42".utf8))
        splice.replace(slice["params"]!["name"]!.range, with: JSONValue.quoted("renamed"))
        let out = String(decoding: splice.apply(to: slice.buffer), as: UTF8.self)
        #expect(out == #"{"id":42, "params":{"name":"renamed","f":1.0,"u":"\u00e9"}}"#)
    }

    @Test("the encoder escapes only what JSON requires")
    func encoder() throws {
        let value = JSONValue.object([
            ("s", .string("q\"b\\n\nt\tc\u{1}é\u{2028}")), ("n", .number("1.0")), ("i", .int(-3)), ("b", .bool(true)),
            ("z", .null), ("a", .array([.raw(Array("[1.50]".utf8)[...])])),
        ])
        let text = value.encodedString
        #expect(
            text
                == "{\"s\":\"q\\\"b\\\\n\\nt\\tc\\u0001é\u{2028}\",\"n\":1.0,\"i\":-3,\"b\":true,\"z\":null,\"a\":[[1.50]]}"
        )
        #expect(!text.utf8.contains(0x0A))
        _ = try JSONSlice.parse(text)
    }

    @Test("conflictsSetting: adding a member next to another edit is fine; over one it is refused")
    func settingNextToEdits() throws {
        let object = try JSONSlice.parse(#"{"a":1,"_meta":{"progressToken":"p"}}"#)
        let meta = try #require(object["_meta"])
        var edits = JSONSplice()
        edits.replace(try #require(meta["progressToken"]).range, with: JSONValue.quoted("mgp.s1.1"))
        #expect(!edits.conflictsSetting("traceparent", in: meta))
        edits.setMember("traceparent", to: JSONValue.quoted("00-x"), in: meta)
        let edited = String(decoding: edits.apply(to: object.buffer), as: UTF8.self)
        #expect(edited == #"{"a":1,"_meta":{"progressToken":"mgp.s1.1","traceparent":"00-x"}}"#)
        _ = try JSONSlice.parse(edited)

        var over = JSONSplice()
        over.replace(try #require(object["a"]).range.lowerBound..<meta.range.upperBound, with: Array("2".utf8))
        #expect(over.conflictsSetting("traceparent", in: meta), "an edit covering the insertion point")
        #expect(over.conflictsSetting("progressToken", in: meta), "an edit covering the member")
        #expect(!JSONSplice().conflictsSetting("x", in: try JSONSlice.parse("{}")))
    }

    /// The encoder checks eight bytes at a time: every byte that needs an escape, at every offset
    /// of a word and across word boundaries, must still get one.
    @Test("string encoding escapes every quote, backslash and control at any offset (property)")
    func stringEncodingProperty() throws {
        var random = SeededGenerator(seed: 0x5EED_2028)
        let alphabet: [String] = [
            "a", "Z", "\"", "\\", "\n", "\u{0}", "\u{1F}", "\u{7F}", "é", "\u{2028}", "😀", " ", "/",
        ]
        for _ in 0..<3000 {
            let length = Int.random(in: 0...40, using: &random)
            let text = (0..<length).map { _ in alphabet.randomElement(using: &random)! }.joined()
            var out: [UInt8] = []
            JSONValue.encodeString(text, into: &out)
            var expected: [UInt8] = [UInt8(ascii: "\"")]
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): expected += [UInt8(ascii: "\\"), byte]
                case 0x0A: expected += Array("\\n".utf8)
                case 0x0D: expected += Array("\\r".utf8)
                case 0x09: expected += Array("\\t".utf8)
                case ..<0x20: expected += Array(String(format: "\\u%04x", byte).utf8)
                default: expected.append(byte)
                }
            }
            expected.append(UInt8(ascii: "\""))
            #expect(out == expected, "\(text.debugDescription)")
            #expect(try JSONSlice.parse(out).string == text)
        }
    }

    /// The string scanners skip eight plain bytes at a time: a byte they must see (a control
    /// character, a quote, invalid UTF-8) is found at any offset and alignment, and a valid
    /// literal reads the same wherever it starts.
    @Test("string scanning finds every byte it must, at any offset and alignment (property)")
    func stringScanningProperty() throws {
        var random = SeededGenerator(seed: 0x5CA7_0008)
        let alphabet: [String] = ["a", "Zq", "\"", "\\", "\n", "\u{1}", "é", "\u{2028}", "😀", " ", "/", "abcdefgh"]
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0...30, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
                .joined()
            var literal: [UInt8] = []
            JSONValue.encodeString(text, into: &literal)
            for padding in 0..<8 {
                let document = Array(repeating: UInt8(ascii: " "), count: padding) + literal
                #expect(try JSONSlice.parse(document).string == text)
                #expect(try JSONSlice.parse(document, distinctKeys: true).string == text)
            }
            // A raw control byte or a byte that cannot start UTF-8, put anywhere inside plain
            // ASCII, is refused where it is.
            let plain = Array(String(repeating: "x", count: Int.random(in: 1...40, using: &random)).utf8)
            let at = Int.random(in: 0..<plain.count, using: &random)
            for bad: UInt8 in [0x01, 0x1F, 0xFF, 0x80] {
                var bytes = [UInt8(ascii: "\"")] + plain + [UInt8(ascii: "\"")]
                bytes[1 + at] = bad
                #expect(throws: JSONParseError.self) { try JSONSlice.parse(bytes) }
                do {
                    _ = try JSONSlice.parse(bytes)
                } catch {
                    #expect(error.offset == 1 + at, "byte \(bad) at \(1 + at)")
                }
            }
            // The walk over validated bytes ends each string where the validator did.
            let object = Array(#"{"k":"#.utf8) + literal + Array(#","z":1}"#.utf8)
            #expect(try JSONSlice.parse(object)["z"]?.int == 1)
        }
    }
}
