import Foundation
import MuxgateCore
import MuxgateTesting
import Testing

/// What the binary says of its own build: `--version`, and the first line of `check`.
@Suite("The version and commit the binary reports", .serialized)
struct VersionTests {
    @Test("--version prints the version (Package.swift's) and the commit")
    func version() async throws {
        let (status, output, _) = try await Harness.run(["--version"])
        #expect(status == 0)
        let printed = output.trimmingCharacters(in: .newlines)
        #expect(printed == MuxgateVersion.description, "\(output)")
        // `muxgate 0.1.0 (commit 1a2b3c4)`, `… (commit 1a2b3c4-dirty)`, or `… (commit unknown)` from
        // a plain `swift build`.
        let line = #/muxgate [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{7,}(-dirty)?|unknown)\)/#
        #expect(printed.wholeMatch(of: line) != nil, "\(output)")
    }

    @Test("check names the version and the commit first")
    func check() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let config = try TestPaths.write(
            "audit: { enabled: false }\nservers:\n" + Harness.fixture("one", []),
            to: directory,
            name: "muxgate.yaml"
        )
        let (status, output, _) = try await Harness.run(["check", "--config", config], timeout: .seconds(30))
        #expect(status == 0, "\(output)")
        #expect(output.split(separator: "\n").first.map(String.init) == MuxgateVersion.description, "\(output)")
    }
}
