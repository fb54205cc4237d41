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

/// Properties of the gate's readings: a denied URI stays denied however it is spelled, and a
/// secret never survives a scrub however it is surrounded or overlapped.
@Suite("Gate spellings: denied URIs in any spelling, secrets in any text")
struct GateSpellingTests {
    static let catalogue: ResourceCatalogue = {
        let resources = ["fx://note", "fx://notes/ok"].map { try! JSONSlice.parse(#"{"uri":"\#($0)","name":"n"}"#) }
        let templates = [try! JSONSlice.parse(#"{"uriTemplate":"fx://notes/{name}","name":"t"}"#)]
        let filter = ListFilterConfig(deny: [try! Glob("fx://note"), try! Glob("fx://notes/secret*")])
        return ResourceCatalogue(
            sources: [.init(server: "fx", filter: filter, resources: resources, templates: templates)]
        )
    }()

    /// A random spelling of `uri` that a lenient server could read as the same resource.
    static func respell(_ uri: String, _ random: inout SeededGenerator) -> String {
        let scheme = uri.prefix { $0 != ":" }
        var rest = String(uri.dropFirst(scheme.count + 3))
        var out = String(scheme).map { Bool.random(using: &random) ? $0.uppercased() : String($0) }.joined() + "://"
        // Host in any case.
        let host = rest.prefix { $0 != "/" }
        out += host.map { Bool.random(using: &random) ? $0.uppercased() : String($0) }.joined()
        rest = String(rest.dropFirst(host.count))
        var path = ""
        for character in rest {
            switch Int.random(in: 0..<8, using: &random) {
            case 0: path += "%" + hex2(character.asciiValue ?? 0x2F)
            case 1 where character == "/": path += "/./"
            case 2 where character == "/": path += "/x/../"
            case 3 where character == "/": path += "//"
            default: path += String(character)
            }
        }
        out += path
        switch Int.random(in: 0..<4, using: &random) {
        case 0: out += "?v=\(Int.random(in: 0..<99, using: &random))"
        case 1: out += "#frag"
        case 2: out += path.isEmpty ? "/" : ""
        default: break
        }
        return out
    }

    static func hex2(_ byte: UInt8) -> String {
        let text = String(byte, radix: 16, uppercase: Bool.random())
        return text.count == 1 ? "0" + text : text
    }

    @Test("property: every spelling of a denied URI is refused, directly and through muxgate://SERVER/")
    func deniedInAnySpelling() {
        var random = SeededGenerator(seed: 3)
        for _ in 0..<3_000 {
            for denied in ["fx://note", "fx://notes/secret1"] {
                let spelled = Self.respell(denied, &random)
                #expect(Self.catalogue.route(spelled) == nil, "\(spelled) of \(denied)")
                #expect(Self.catalogue.route("muxgate://fx/" + spelled) == nil, "muxgate://fx/\(spelled)")
            }
        }
        // The controls: allowed resources still route, listed or through the template.
        #expect(Self.catalogue.route("fx://notes/ok")?.uri == "fx://notes/ok")
        #expect(Self.catalogue.route("fx://notes/other")?.uri == "fx://notes/other")
        #expect(Self.catalogue.route("muxgate://fx/fx://notes/other")?.uri == "fx://notes/other")
    }

    @Test("property: no secret survives a scrub, whatever surrounds it and whichever secrets overlap")
    func scrubLeavesNone() {
        var random = SeededGenerator(seed: 9)
        let alphabet = Array("abcXYZ019-_=:/ \"{}é")
        for _ in 0..<500 {
            let secrets = Secrets()
            let values = (0..<Int.random(in: 1...4, using: &random)).map { _ in
                String(
                    (0..<Int.random(in: 6...14, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
                )
            }
            // Overlapping ones: a secret that contains another, one that ends where another starts.
            let all = values + [values[0] + values.last!, String(values[0].dropFirst(2)) + "zz-tail"]
            secrets.add(all)
            var text = ""
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                text +=
                    Bool.random(using: &random)
                    ? all.randomElement(using: &random)! : String(alphabet.randomElement(using: &random)!)
            }
            let scrubbed = secrets.scrub(text)
            for value in all where value.utf8.count >= Secrets.minimumLength {
                #expect(!scrubbed.contains(value), "\(value) survived in \(scrubbed) (from \(text))")
            }
        }
    }
}
