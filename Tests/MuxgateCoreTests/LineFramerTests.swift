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

@Suite("Line framing")
struct LineFramerTests {
    func frame(_ chunks: [[UInt8]], cap: Int = 1 << 20) -> [String] {
        var framer = LineFramer(maximumLineBytes: cap)
        var out: [String] = []
        let emit: (LineFramer.Event) -> Void = { event in
            switch event {
            case .line(let bytes): out.append(String(decoding: bytes, as: UTF8.self))
            case .oversized(let count): out.append("<oversized \(count)>")
            }
        }
        for chunk in chunks { chunk.withUnsafeBytes { framer.push($0, emit) } }
        framer.finish(emit)
        return out
    }

    @Test("only \\n splits; U+2028 and U+2029 stay inside a message")
    func separators() {
        let text = "{\"a\":\"x\u{2028}y\u{2029}z\u{85}\"}\n{\"b\":1}\n"
        #expect(frame([Array(text.utf8)]) == ["{\"a\":\"x\u{2028}y\u{2029}z\u{85}\"}", "{\"b\":1}"])
    }

    @Test("a message split across chunks is reassembled; blank lines are skipped; a last line without \\n counts")
    func chunks() {
        #expect(
            frame([Array("{\"a\"".utf8), Array(":1}\n\n  \r\n{\"b\"".utf8), Array(":2}".utf8)]) == [
                "{\"a\":1}", "{\"b\":2}",
            ]
        )
    }

    @Test("an oversized line is dropped whole and reported; the next line is intact")
    func oversized() {
        let big = Array(repeating: UInt8(ascii: "x"), count: 50)
        #expect(frame([big, big, Array("\n{}\n".utf8)], cap: 64) == ["<oversized 100>", "{}"])
    }
}
