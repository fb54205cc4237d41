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

@Suite("Shaping: input schemas")
struct ShapingSchemaTests {
    typealias F = ShapingFixtures

    static let schemas = ["a": #"{"type":"string"}"#, "b": #"{"type":"integer"}"#, "c": #"{"type":"boolean"}"#]

    static func compact(properties: [String], required: [String]) -> String {
        let members = properties.map { "\"\($0)\":\(schemas[$0]!)" }.joined(separator: ",")
        let list = required.isEmpty ? "" : ",\"required\":[" + required.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        return #"{"name":"t","inputSchema":{"type":"object","properties":{"# + members + "}" + list + "}}"
    }

    static func hiding(_ names: [String]) throws -> ToolShaper {
        let rules = names.map { "\($0): { value: 1, hide: true }" }.joined(separator: ", ")
        return try F.shaper("arguments: { t: { \(rules) } }")
    }

    @Test(
        "hidden arguments leave properties and required with correct commas (first, middle, last, several, all)",
        arguments: [["a"], ["b"], ["c"], ["a", "b"], ["b", "c"], ["a", "c"], ["a", "b", "c"], ["zz"]]
    )
    func hiddenCompact(hidden: [String]) throws {
        let original = Self.compact(properties: ["a", "b", "c"], required: ["a", "b", "c"])
        let kept = ["a", "b", "c"].filter { !hidden.contains($0) }
        let shaped = try #require(try F.shape(Self.hiding(hidden), original))
        #expect(F.text(shaped) == Self.compact(properties: kept, required: kept))
    }

    @Test("hiding in pretty-printed JSON keeps the other bytes, whitespace included")
    func hiddenPretty() throws {
        let original = """
            {
              "name": "t",
              "inputSchema": {
                "type": "object",
                "properties": {
                  "a": {"type": "string"},
                  "b": {"type": "integer"},
                  "c": {"type": "boolean"}
                },
                "required": [ "a", "b", "c" ]
              }
            }
            """
        let first = try F.text(F.shape(Self.hiding(["a"]), original))
        #expect(
            first
                == original.replacingFirst("\"a\": {\"type\": \"string\"},\n      ", with: "")
                .replacingFirst("\"a\", ", with: "")
        )
        let last = try F.text(F.shape(Self.hiding(["c"]), original))
        #expect(
            last
                == original.replacingFirst(",\n      \"c\": {\"type\": \"boolean\"}", with: "")
                .replacingFirst(", \"c\"", with: "")
        )
        let all = try F.text(F.shape(Self.hiding(["a", "b", "c"]), original))
        let members =
            "\"a\": {\"type\": \"string\"},\n      \"b\": {\"type\": \"integer\"},\n      \"c\": {\"type\": \"boolean\"}"
        #expect(
            all
                == original.replacingFirst(members, with: "")
                .replacingFirst(",\n    \"required\": [ \"a\", \"b\", \"c\" ]", with: "")
        )
        // The expectations above would pass vacuously if a target text were not found.
        for shaped in [first, last, all] {
            #expect(try (#require(shaped)).utf8.count < original.utf8.count)
        }
    }

    @Test("required is removed as a member when it would be empty, wherever it sits")
    func requiredRemovedWhenEmpty() throws {
        let shaper = try Self.hiding(["a"])
        let first = #"{"name":"t","inputSchema":{"required":["a"],"type":"object","properties":{"a":{},"b":{}}}}"#
        #expect(
            F.text(try F.shape(shaper, first)) == #"{"name":"t","inputSchema":{"type":"object","properties":{"b":{}}}}"#
        )
        let spaced = #"{"name":"t","inputSchema":{"type":"object", "required" : [ "a" ] }}"#
        #expect(F.text(try F.shape(shaper, spaced)) == #"{"name":"t","inputSchema":{"type":"object" }}"#)
        let empty = #"{"name":"t","inputSchema":{"type":"object","required":[]}}"#
        #expect(F.text(try F.shape(shaper, empty)) == empty)
        let other = #"{"name":"t","inputSchema":{"required":["b",1,"a"]}}"#
        #expect(F.text(try F.shape(shaper, other)) == #"{"name":"t","inputSchema":{"required":["b",1]}}"#)
    }

    @Test("a hidden argument's nested descriptions go with it, without overlapping edits")
    func hiddenWithInvisibleDescription() throws {
        let tool =
            #"{"name":"t","inputSchema":{"properties":{"a":{"description":"x\u200b"},"b":{"description":"y\u200b"}}}}"#
        let shaped = try F.text(F.shape(Self.hiding(["a"]), tool))
        #expect(shaped == #"{"name":"t","inputSchema":{"properties":{"b":{"description":"y"}}}}"#)
    }

    @Test("defaults are written into the schema and drop the argument from required")
    func defaultsDocumented() throws {
        let shaper = try F.shaper("arguments: { git_log: { max_count: { default: 20 } } }")
        let shaped = try #require(try F.shape(shaper, F.gitLog))
        #expect(F.text(shaped) == F.gitLog.replacingFirst(#""default":10"#, with: #""default":20"#))

        let cases: [(rules: String, before: String, after: String)] = [
            // property without a default: appended after its last member
            (
                "a: { default: [1, x] }",
                #"{"type":"object","properties":{"a":{"type":"array"}},"required":["a","b"]}"#,
                #"{"type":"object","properties":{"a":{"type":"array","default":[1,"x"]}},"required":["b"]}"#
            ),
            // property missing: added to properties
            (
                "n: { default: { k: v } }", #"{"type":"object","properties":{"a":{}}}"#,
                #"{"type":"object","properties":{"a":{},"n":{"default":{"k":"v"}}}}"#
            ),
            // empty properties and an empty property object
            (
                "a: { default: true }\n    n: { default: 1 }", #"{"properties":{"a":{ }}}"#,
                #"{"properties":{"a":{"default":true },"n":{"default":1}}}"#
            ),
            // no properties at all: added to the schema
            ("n: { default: null }", #"{"type":"object"}"#, #"{"type":"object","properties":{"n":{"default":null}}}"#),
            ("n: { default: 1 }", #"{}"#, #"{"properties":{"n":{"default":1}}}"#),
            // a removed last property and an added one share the tail edit
            (
                "c: { value: 1, hide: true }\n    n: { default: 1 }", #"{"properties":{"a":{},"b":{}, "c":{}}}"#,
                #"{"properties":{"a":{},"b":{},"n":{"default":1}}}"#
            ),
            // every property removed and one added
            (
                "a: { value: 1, hide: true }\n    n: { default: 1 }", #"{"properties":{ "a":{} }}"#,
                #"{"properties":{ "n":{"default":1} }}"#
            ),
            // a default and a hidden argument together
            (
                "a: { default: 1 }\n    b: { value: 2, hide: true }",
                #"{"properties":{"a":{},"b":{}},"required":["a","b"]}"#, #"{"properties":{"a":{"default":1}}}"#
            ),
        ]
        for (rules, before, after) in cases {
            let shaper = try F.shaper("arguments:\n  t:\n    \(rules)")
            let tool = #"{"name":"t","inputSchema":"# + before + "}"
            #expect(F.text(try F.shape(shaper, tool)) == #"{"name":"t","inputSchema":"# + after + "}", "\(rules)")
        }
    }

    @Test("the most specific glob's rule wins for an argument")
    func specificRuleWins() throws {
        let shaper = try F.shaper(
            """
            arguments:
              "*": { a: { value: 1, hide: true } }
              "t*": { a: { default: 2 } }
              t: { a: { default: 3 } }
            """
        )
        let tool = #"{"name":"t","inputSchema":{"properties":{"a":{}}}}"#
        #expect(F.text(try F.shape(shaper, tool)) == #"{"name":"t","inputSchema":{"properties":{"a":{"default":3}}}}"#)
        let other = #"{"name":"tx","inputSchema":{"properties":{"a":{}}}}"#
        #expect(
            F.text(try F.shape(shaper, other)) == #"{"name":"tx","inputSchema":{"properties":{"a":{"default":2}}}}"#
        )
        let hidden = #"{"name":"u","inputSchema":{"properties":{"a":{}}}}"#
        #expect(F.text(try F.shape(shaper, hidden)) == #"{"name":"u","inputSchema":{"properties":{}}}"#)
    }

    @Test("a schema that is not an object is left alone")
    func oddSchema() throws {
        let shaper = try Self.hiding(["a"])
        for schema in ["true", "null", #"{"properties":true,"required":"a"}"#] {
            let tool = #"{"name":"t","inputSchema":"# + schema + "}"
            #expect(F.text(try F.shape(shaper, tool)) == tool)
        }
    }
}
