import Foundation
import MuxgateTesting
import MuxgateWire
import Testing

/// What the binary says of its own build: `--version`, and the first line of `check`.
@Suite("The version and commit the binary reports", .serialized)
struct VersionTests {
    /// The commit the binary was built with: the header `make build-info` writes, or "unknown"
    /// without it (a plain `swift build`).
    static func builtCommit() -> String {
        let header = TestPaths.root + "/Sources/CMuxgateCommit/commit.generated.h"
        guard let text = try? String(contentsOfFile: header, encoding: .utf8),
            let match = text.firstMatch(of: #/#define MUXGATE_COMMIT "([^"]*)"/#)
        else { return "unknown" }
        return String(match.1)
    }

    @Test("--version prints the version (Package.swift's) and the commit it was built from")
    func version() async throws {
        let (status, output, _) = try await Harness.run(["--version"])
        #expect(status == 0)
        #expect(output == "muxgate \(MuxgateVersion.current) (commit \(Self.builtCommit()))\n", "\(output)")
        #expect(MuxgateVersion.current.wholeMatch(of: #/[0-9]+\.[0-9]+\.[0-9]+/#) != nil)
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
        let first = output.split(separator: "\n").first.map(String.init)
        #expect(first == "muxgate \(MuxgateVersion.current) (commit \(Self.builtCommit()))", "\(output)")
    }
}
