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

@Suite("Namespacing")
struct NamingTests {
    let naming = Naming(entry: "muxgate")

    func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy(Naming.isAllowed)
    }

    @Test("names are server + separator + tool, without a doubled prefix")
    func basic() {
        let items = [
            Naming.Item(server: "git", name: "git_status"), .init(server: "time", name: "get_current_time"),
            .init(server: "db", name: "read.query"),
        ]
        let names = naming.assign(items)
        #expect(names[items[0]] == "git_status")
        #expect(names[items[1]] == "time_get_current_time")
        #expect(names[items[2]] == "db_read_query")
    }

    @Test("a dropped prefix that would collide falls back to the full name")
    func prefixCollision() {
        let a = Naming.Item(server: "git", name: "git_status")
        let b = Naming.Item(server: "git", name: "status")
        let names = naming.assign([a, b])
        #expect(names[a] == "git_git_status")
        #expect(names[b] == "git_status")
    }

    @Test("names that collide after sanitising get distinct hashed names")
    func sanitizedCollision() {
        let a = Naming.Item(server: "x", name: "a.b")
        let b = Naming.Item(server: "x", name: "a/b")
        let c = Naming.Item(server: "x_a", name: "b")
        let names = naming.assign([a, b, c])
        #expect(Set(names.values).count == 3)
        #expect(names.values.allSatisfy(isValid))
    }

    @Test("long names fit the budget with mcp__<entry>__ and stay recognisable")
    func budget() {
        let entry = "my-muxgate-entry"
        let naming = Naming(entry: entry)
        let long = Naming.Item(server: "database", name: String(repeating: "very_long_tool_name_", count: 8))
        let name = naming.assign([long])[long]!
        #expect(("mcp__" + entry + "__" + name).count <= 64)
        #expect(name.hasPrefix("database_very_long"))
        #expect(name.count == naming.budget)
    }

    @Test("property: valid, unique, within budget and stable, for many random sets", arguments: 0..<20)
    func properties(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let alphabet = Array("ab_-.:/é x0")
        var items: Set<Naming.Item> = []
        for _ in 0..<60 {
            let server = ["a", "ab", "a_b", "git", String(repeating: "s", count: 40)].randomElement(using: &generator)!
            let length = Int.random(in: 1...90, using: &generator)
            let name = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            items.insert(.init(server: server, name: name))
        }
        let names = naming.assign(items)
        #expect(names.count == items.count)
        #expect(Set(names.values).count == items.count)
        #expect(names.values.allSatisfy { isValid($0) && $0.count <= naming.budget })
        #expect(naming.assign(items.shuffled(using: &generator)) == names)
    }
}

/// A small deterministic generator (SplitMix64) so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
