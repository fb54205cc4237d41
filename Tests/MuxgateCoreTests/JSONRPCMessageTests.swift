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

@Suite("JSON-RPC envelope")
struct JSONRPCMessageTests {
    func parse(_ text: String) throws -> JSONRPCMessage { try JSONRPCMessage.parse(Array(text.utf8)) }

    @Test("requests, notifications and responses are told apart")
    func kinds() throws {
        #expect(try parse(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).kind == .request)
        #expect(try parse(#"{"jsonrpc":"2.0","id":"a","method":"ping","params":{}}"#).kind == .request)
        #expect(try parse(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).kind == .notification)
        #expect(try parse(#"{"jsonrpc":"2.0","id":1,"result":{}}"#).kind == .response)
        #expect(try parse(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#).kind == .response)
    }

    @Test(
        "invalid messages name the JSON-RPC error code",
        arguments: [
            ("not json", -32700), (#"{"jsonrpc":"2.0","id":1,"method":"x""#, -32700), ("[1]", -32600), ("1", -32600),
            (#"{"id":1,"method":"x"}"#, -32600), (#"{"jsonrpc":"1.0","id":1,"method":"x"}"#, -32600),
            (#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#, -32600),
            (#"{"jsonrpc":"2.0","id":null,"method":"x"}"#, -32600),
            (#"{"jsonrpc":"2.0","id":{},"method":"x"}"#, -32600), (#"{"jsonrpc":"2.0","id":1,"method":7}"#, -32600),
            (#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#, -32600), (#"{"jsonrpc":"2.0","id":1}"#, -32600),
            (#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":""}}"#, -32600),
            (#"{"jsonrpc":"2.0","result":{}}"#, -32600),
        ]
    )
    func invalid(_ text: String, _ code: Int) {
        #expect {
            try parse(text)
        } throws: { error in
            (error as? JSONRPCMessage.Invalid)?.error.code == code
        }
    }

    @Test("the id of an invalid request is kept for the error answer")
    func invalidKeepsID() {
        #expect {
            try parse(#"{"jsonrpc":"2.0","id":"abc","method":5}"#)
        } throws: { error in
            (error as? JSONRPCMessage.Invalid)?.id?.text == "\"abc\""
        }
    }

    @Test("rewriting the id keeps every other byte")
    func rewriteID() throws {
        let text = #"{"jsonrpc":"2.0", "id": "client-1" ,"result":{"x":1.0,"_meta":{"k":12345678901234567890}}}"#
        let out = try parse(text).rewritten(id: Array("99".utf8))
        #expect(
            String(decoding: out, as: UTF8.self)
                == #"{"jsonrpc":"2.0", "id": 99 ,"result":{"x":1.0,"_meta":{"k":12345678901234567890}}}"#
        )
    }

    @Test("built messages are valid JSON-RPC")
    func builders() throws {
        let error = JSONRPC.error(id: nil, .invalidRequest("bad"))
        #expect(
            String(decoding: error, as: UTF8.self)
                == #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"bad"}}"#
        )
        let request = try JSONRPCMessage.parse(JSONRPC.request(id: Array("3".utf8), method: "tools/list", params: nil))
        #expect(request.kind == .request && request.method == "tools/list" && request.id?.int == 3)
    }
}
