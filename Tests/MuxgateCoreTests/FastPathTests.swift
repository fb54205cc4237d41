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

@Suite("Fast path")
struct FastPathTests {
    @Test(
        "the byte search that picks candidate lines finds \"tools/call\" anywhere, and nothing shorter or else",
        arguments: [
            (#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#, true),
            ("tools/call", true),
            ("xxtools/call", true),
            ("ttools/call", true),
            (#"{"method":"tools/list"}"#, false),
            ("tools/cal", false),
            ("tools/cal l", false),
            ("", false),
        ]
    )
    func mentionsCall(line: String, expected: Bool) {
        #expect(Gateway.mentionsCall(Array(line.utf8)) == expected)
    }
}
