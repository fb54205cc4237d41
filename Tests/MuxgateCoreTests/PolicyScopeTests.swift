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

@Suite("Policy scopes")
struct PolicyScopeTests {
    func classify(
        _ name: String,
        annotations: String? = nil,
        scopes: String? = nil,
        trust: Bool = true
    ) throws -> (Scope, ScopeSource) {
        let slice = try annotations.map { try JSONSlice.parse($0) }
        let config = try scopes.map { try PolicyYAML.decode(ScopesConfig.self, $0) }
        let result = ScopeClassifier.classify(
            childToolName: name,
            annotations: slice,
            scopes: config,
            trustAnnotations: trust
        )
        return (result.scope, result.source)
    }

    @Test(
        "trusted annotations classify: readOnlyHint → read, destructiveHint false → write, else destructive",
        arguments: [
            (#"{"readOnlyHint": true}"#, Scope.read),
            (#"{"readOnlyHint": true, "destructiveHint": true}"#, .read),
            (#"{"destructiveHint": false}"#, .write),
            (#"{"readOnlyHint": false, "destructiveHint": false}"#, .write),
            (#"{"destructiveHint": true}"#, .destructive),
            (#"{}"#, .destructive),
            (#"{"title": "Status", "idempotentHint": true}"#, .destructive),
            (#"{"readOnlyHint": "true"}"#, .destructive),
        ]
    )
    func annotations(json: String, expected: Scope) throws {
        let (scope, source) = try classify("git_status", annotations: json)
        #expect(scope == expected)
        #expect(source == .annotation)
    }

    @Test(
        "sqlite-like tools without annotations are destructive by default",
        arguments: ["read_query", "write_query", "create_table", "list_tables", "describe_table", "append_insight"]
    )
    func noAnnotations(tool: String) throws {
        let (scope, source) = try classify(tool)
        #expect(scope == .destructive)
        #expect(source == .default)
    }

    @Test("annotations that are not an object count as none")
    func annotationsNotObject() throws {
        let (scope, source) = try classify("t", annotations: "null")
        #expect(scope == .destructive)
        #expect(source == .default)
    }

    @Test("the operator's scopes map classifies sqlite's tools; what it leaves out stays destructive")
    func operatorOverride() throws {
        let scopes = """
            read: [read_query, list_tables, describe_table]
            write: [append_insight]
            """
        #expect(try classify("read_query", scopes: scopes) == (.read, .operator))
        #expect(try classify("list_tables", scopes: scopes) == (.read, .operator))
        #expect(try classify("append_insight", scopes: scopes) == (.write, .operator))
        #expect(try classify("write_query", scopes: scopes) == (.destructive, .default))
    }

    @Test("the operator wins over annotations")
    func operatorBeatsAnnotations() throws {
        let result = try classify("git_log", annotations: #"{"readOnlyHint": true}"#, scopes: "destructive: [git_*]")
        #expect(result == (.destructive, .operator))
    }

    @Test("a name in several operator lists gets the most restrictive scope")
    func mostRestrictive() throws {
        let scopes = """
            read: ["*"]
            write: ["*_query"]
            destructive: [write_*]
            """
        #expect(try classify("list_tables", scopes: scopes) == (.read, .operator))
        #expect(try classify("read_query", scopes: scopes) == (.write, .operator))
        #expect(try classify("write_query", scopes: scopes) == (.destructive, .operator))
    }

    @Test("with trust_annotations false, unclassified tools are destructive whatever they claim")
    func untrusted() throws {
        #expect(
            try classify("git_log", annotations: #"{"readOnlyHint": true}"#, trust: false) == (.destructive, .default)
        )
        #expect(
            try classify("git_log", annotations: #"{"readOnlyHint": true}"#, scopes: "read: [git_log]", trust: false)
                == (.read, .operator)
        )
    }

    @Test("scopes reject unknown keys and malformed globs")
    func scopesErrors() throws {
        let unknown = try #require(PolicyYAML.issue(ScopesConfig.self, "reads: [a]"))
        #expect(unknown.code == .unknownKey)
        #expect(unknown.message.contains("did you mean 'read'"))
        let glob = try #require(PolicyYAML.issue(ScopesConfig.self, "write: [ok, \"bad[\"]"))
        #expect(glob.code == .invalidValue)
        #expect(glob.path == ["write", "[1]"])
        #expect(glob.message.contains("never closed"))
    }

    @Test("scopes order by restrictiveness")
    func ordering() {
        #expect(Scope.read < .write && Scope.write < .destructive)
        #expect(ScopeSource.operator.rawValue == "operator")
    }
}
