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

@Suite("SSE parser")
struct SSEParserTests {
    /// Everything `text` produces, fed in chunks of `chunk` bytes.
    static func parse(_ text: String, chunk: Int = .max, cap: Int = 1 << 20) -> ([SSEParser.Output], String?) {
        var parser = SSEParser(maximumEventBytes: cap)
        var out: [SSEParser.Output] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunk)
            parser.push(bytes[start..<end]) { out.append($0) }
            start = end
        }
        parser.finish()
        return (out, parser.lastEventID)
    }

    static func event(_ data: String, id: String? = nil, type: String = "message") -> SSEParser.Output {
        .event(SSEEvent(id: id, type: type, data: Array(data.utf8)))
    }

    @Test("CR LF, LF and CR endings, split anywhere, give the same events", arguments: [1, 2, 3, 7, 1000])
    func lineEndings(chunk: Int) {
        let expected = [Self.event(#"{"a":1}"#), Self.event(#"{"b":2}"#, id: "7"), Self.event("x")]
        for ending in ["\r\n", "\n", "\r"] {
            let text = ["event: message", #"data: {"a":1}"#, "", "id: 7", #"data: {"b":2}"#, "", "data:x", "", ""]
                .joined(separator: ending)
            let (out, last) = Self.parse(text, chunk: chunk)
            #expect(out == expected, "ending \(ending.debugDescription), chunk \(chunk)")
            #expect(last == "7")
        }
    }

    @Test("comments, priming events, retry and unknown fields; multi-line data; the BOM")
    func fields() {
        let text =
            "\u{FEFF}: ping - keep-alive\n\nid: 4_7\ndata\nretry: 3000\n\nid: 4_8\nevent: message\ndata: line 1\ndata: line 2\nfoo: bar\n\nretry: soon\n\n"
        let (out, last) = Self.parse(text)
        // "data" with no colon is a field with an empty value: that event has (empty) data.
        #expect(out == [.retry(3000), Self.event("", id: "4_7"), Self.event("line 1\nline 2", id: "4_8")])
        #expect(last == "4_8")
    }

    @Test("an event over the cap is dropped and reported, and the stream goes on")
    func oversized() {
        let big = String(repeating: "x", count: 100)
        let (out, _) = Self.parse("data: \(big)\ndata: \(big)\n\ndata: ok\n\n", chunk: 5, cap: 150)
        #expect(out.count == 2)
        if case .oversized(let bytes) = out.first { #expect(bytes > 150) } else { Issue.record("\(out)") }
        #expect(out.last == Self.event("ok"))
    }

    @Test("an event the stream cuts off before its blank line is not delivered")
    func cutOff() {
        let (out, last) = Self.parse("id: 1\ndata: whole\n\nid: 2\ndata: cut")
        #expect(out == [Self.event("whole", id: "1")])
        #expect(last == "1", "resuming must replay the cut event")
    }

    @Test("a BOM-like start that is not one stays data")
    func notABOM() {
        let (out, _) = Self.parse("\u{EF}data: x\n\n")
        #expect(out.isEmpty, "the first field is named \\u{EF}data, not data")
        let bytes: [UInt8] = [0xEF, 0xBB] + Array("\ndata: y\n\n".utf8)
        var parser = SSEParser(maximumEventBytes: 100)
        var events: [SSEParser.Output] = []
        parser.push(bytes) { events.append($0) }
        #expect(events == [Self.event("y")])
    }

    @Test(
        "data split over lines becomes one stdio line with the same value",
        arguments: ["[\r]", "{\"a\" :\n[1,\r\n2]\n}", "[]"]
    )
    func singleLineKeepsTheValue(text: String) throws {
        let line = singleLine(Array(text.utf8))
        #expect(!line.contains(0x0A) && !line.contains(0x0D))
        let before = try JSONSlice.parse(Array(text.utf8))
        let after = try JSONSlice.parse(line)
        #expect(after.elements.count == before.elements.count && after.members.count == before.members.count)
        #expect(line.count == text.utf8.count, "a break becomes a space, nothing is dropped")
    }
}
