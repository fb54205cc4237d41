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

extension AuditCommandTests {
    @Test("keygen writes the private key 0600 and FILE.pub, refuses to overwrite without --force")
    func keygen() async throws {
        let scratch = try AuditScratch()
        let out = scratch.directory + "/keys/anchor.key"
        try FileManager.default.createDirectory(
            atPath: scratch.directory + "/keys",
            withIntermediateDirectories: true
        )
        #expect(try await run(["keygen", "--out", out]) == 0)
        #expect(try permissions(out) == 0o600 && (try permissions(out + ".pub")) == 0o644)
        let key = try #require(AuditSigningKey(text: try String(contentsOfFile: out, encoding: .utf8)))
        let published = try AuditPublicKey.load(out + ".pub", environment: [:])
        #expect(published == key.publicKey)
        #expect(try await run(["keygen", "--out", out]) == 2)
        #expect(try await run(["keygen", "--out", out, "--force"]) == 0)
        #expect(try AuditPublicKey.load(out + ".pub", environment: [:]) != published, "a new key")
        #expect(try await run(["keygen", "--out", scratch.directory + "/no/such/dir/k"]) == 3)
    }

    @Test("verify --anchor: 0 intact, 1 for a cut tail, a rolled-back anchor or another key; 2 without a public key")
    func verifyAnchor() async throws {
        let scratch = try AnchoredScratch()
        try scratch.writeSession(calls: 4)
        let publicFile = scratch.scratch.directory + "/anchor.pub"
        try scratch.publicKey.pem.write(toFile: publicFile, atomically: true, encoding: .utf8)
        let verify = ["verify", scratch.path, "--anchor", scratch.anchorPath]
        #expect(try await run(verify + ["--public-key", publicFile]) == 0)
        #expect(try await run(verify + ["--public-key", scratch.publicKey.base64]) == 0)
        #expect(try await run(verify + ["--public-key", AuditSigningKey().publicKey.base64]) == 1)
        #expect(try await run(verify) == 2, "never the key from the anchor itself")
        #expect(try await run(["verify", scratch.path, "--public-key", publicFile]) == 2)
        #expect(try await run(verify + ["--public-key", "not-a-key"]) == 2)
        let anchor = try scratch.anchorLines()
        try scratch.writeAnchor(Array(anchor.dropLast()))
        #expect(try await run(verify + ["--public-key", publicFile]) == 1)
        try scratch.writeAnchor(anchor)
        let log = try scratch.scratch.lines()
        try scratch.scratch.write(Array(log.dropLast()))
        #expect(try await run(verify + ["--public-key", publicFile]) == 1)
        #expect(try await run(["verify", scratch.path]) == 0, "without the anchor a cut tail cannot be seen")
        try scratch.scratch.write(Array(log.dropFirst()))
        #expect(try await run(["verify", scratch.path]) == 1, "a cut head fails without the anchor too")
        #expect(try await run(["verify", scratch.path, "--allow-truncated-head"]) == 0)
    }

    @Test("verify --config checks the configured anchor with the public half of the configured key")
    func verifyConfiguredAnchor() async throws {
        let scratch = try AnchoredScratch()
        try scratch.writeSession(calls: 2)
        let keyFile = scratch.scratch.directory + "/anchor.key"
        try scratch.signingKey.pem.write(toFile: keyFile, atomically: true, encoding: .utf8)
        chmod(keyFile, 0o600)
        let config = scratch.scratch.directory + "/muxgate.yaml"
        try """
        servers: {}
        audit:
          path: state/audit.jsonl
          anchor: { path: anchor/audit.anchor, key_file: anchor.key }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try await run(["verify", "--config", config]) == 0)
        try scratch.writeAnchor(Array(try scratch.anchorLines().dropLast()))
        #expect(try await run(["verify", "--config", config]) == 1)
        try FileManager.default.removeItem(atPath: scratch.anchorPath)
        #expect(try await run(["verify", "--config", config]) == 1, "a deleted anchor the config expects")
        #expect(try await run(["report", "--config", config, "--html", scratch.scratch.directory + "/r.html"]) == 0)
        let page = try String(contentsOfFile: scratch.scratch.directory + "/r.html", encoding: .utf8)
        #expect(page.contains("anchor missing"))
    }
}
