import ArgumentParser
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

@Suite("Audit commands")
struct AuditCommandTests {
    /// Parses and runs `muxgate audit …`; returns the exit code it ends with.
    func run(_ arguments: [String]) async throws -> Int32 {
        var command = try AuditCommand.parseAsRoot(arguments)
        guard var runnable = command as? any AsyncParsableCommand else {
            try command.run()
            return 0
        }
        do {
            try await runnable.run()
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        }
    }

    @Test("verify exits 0 when intact, 1 when tampered, 3 when unreadable")
    func verifyExitCodes() async throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 3)
        #expect(try await run(["verify", scratch.path]) == 0)
        var lines = try scratch.lines()
        lines.swapAt(2, 3)
        try scratch.write(lines)
        #expect(try await run(["verify", scratch.path]) == 1)
        #expect(try await run(["verify", scratch.directory + "/none.jsonl"]) == 3)
    }

    @Test("verify reads the key from --key-env; an unset variable is a usage error (2)")
    func verifyKey() async throws {
        let scratch = try AuditScratch()
        let key = try #require(ProcessInfo.processInfo.environment["PATH"])
        try scratch.writeSession(calls: 1, key: Array(key.utf8))
        #expect(try await run(["verify", "--key-env", "PATH", scratch.path]) == 0)
        #expect(try await run(["verify", scratch.path]) == 1)
        #expect(try await run(["verify", "--key-env", "MUXGATE_NO_SUCH_VARIABLE_SET", scratch.path]) == 2)
    }

    @Test("the default path comes from the config's audit section, relative to the config file")
    func pathFromConfig() async throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 1)
        let config = scratch.directory + "/muxgate.yaml"
        try "servers: {}\naudit:\n  path: state/audit.jsonl\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try await run(["verify", "--config", config]) == 0)
        try "audit:\n  rotate_bytes: lots\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try await run(["verify", "--config", config]) == 2)
    }

    @Test("show and summary run; bad filters are rejected at parse time")
    func showAndSummary() async throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 2)
        #expect(try await run(["show", scratch.path, "--decision", "allow", "--since", "1h"]) == 0)
        #expect(try await run(["show", scratch.path, "--json", "--limit", "1"]) == 0)
        #expect(try await run(["summary", scratch.path]) == 0)
        #expect(throws: (any Error).self) { try AuditCommand.parseAsRoot(["show", "--decision", "maybe"]) }
        #expect(throws: (any Error).self) { try AuditCommand.parseAsRoot(["show", "--since", "last week"]) }
    }

    @Test("report --html writes the page")
    func report() async throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 2)
        let out = scratch.directory + "/report.html"
        #expect(try await run(["report", scratch.path, "--html", out]) == 0)
        let page = try String(contentsOfFile: out, encoding: .utf8)
        #expect(page.contains("Chain intact") && page.contains("git_status"))
    }
}
