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

/// Each test gets a fresh tree:
///
/// ```
/// ROOT/base/file.txt      ROOT/base/sub/           ROOT/outside/secret    ROOT/base2/
/// ROOT/base/out      → ROOT/outside                (a symlink pointing outside)
/// ROOT/base/up       → ../outside                  (relative, outside)
/// ROOT/base/in       → ROOT/base/sub               (a symlink to a directory inside)
/// ROOT/base/rel_in   → sub                         (relative, inside)
/// ROOT/base/dangling → ROOT/outside/nothing        (dangling, outside)
/// ROOT/base/dangling_in → ROOT/base/sub/new        (dangling, inside)
/// ROOT/base/loop     → ROOT/base/loop
/// ROOT/base_link     → ROOT/base
/// ROOT/base/deep     → ROOT/base/sub/a/b           (a symlink deep inside: `deep/../..` differs
///                                                   when read by the kernel and as text)
/// ```
/// Relative paths resolve against the working directory the test gives (the base unless said).
@Suite("Policy under: path containment")
final class PolicyPathContainmentTests {
    let root: String
    var base: String { root + "/base" }

    init() throws {
        let files = FileManager.default
        root = files.temporaryDirectory.path + "/muxgate-policy-" + UUID().uuidString
        for directory in ["base/sub/a/b", "outside", "base2"] {
            try files.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/base/file.txt"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: root + "/outside/secret"))
        let links = [
            ("base/out", root + "/outside"),
            ("base/up", "../outside"),
            ("base/in", root + "/base/sub"),
            ("base/rel_in", "sub"),
            ("base/dangling", root + "/outside/nothing"),
            ("base/dangling_in", root + "/base/sub/new"),
            ("base/loop", root + "/base/loop"),
            ("base_link", root + "/base"),
            ("base/deep", root + "/base/sub/a/b"),
        ]
        for (link, target) in links {
            try files.createSymbolicLink(atPath: root + "/" + link, withDestinationPath: target)
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    enum Expected: Sendable { case inside, outside, invalid }

    func verdict(_ path: String, under base: String, workingDirectory: String? = nil) -> Expected {
        switch PathContainment.check(path, under: base, workingDirectory: workingDirectory ?? base) {
        case .inside: .inside
        case .outside: .outside
        case .invalid: .invalid
        }
    }

    @Test(
        "paths are judged after .., symlinks and absolute-path tricks",
        arguments: [
            ("{base}/file.txt", Expected.inside),
            ("file.txt", .inside),
            ("./sub/../file.txt", .inside),
            ("{base}", .inside),
            ("{base}/", .inside),
            ("{base}//sub///", .inside),
            ("new/dir/file", .inside),
            ("in/x", .inside),
            ("rel_in/new", .inside),
            ("dangling_in", .inside),
            ("out/../base/file.txt", .inside),
            ("../outside/secret", .outside),
            ("sub/../../outside", .outside),
            ("{base}/../base2/x", .outside),
            ("{root}/base2", .outside),
            ("{root}/base2/../base/../base2", .outside),
            ("out", .outside),
            ("out/secret", .outside),
            ("out/../outside/secret", .outside),
            ("up/secret", .outside),
            ("dangling", .outside),
            ("missing/../out/secret", .outside),
            ("/etc/passwd", .outside),
            ("/../../../etc", .outside),
            ("{root}", .outside),
            ("loop", .invalid),
            ("loop/x", .invalid),
            ("", .invalid),
            ("~/x", .invalid),
            ("~", .invalid),
            ("a\u{0}b", .invalid),
            // The kernel reads base/sub/x, a child that normalizes text first reads ROOT/x.
            ("deep/../../x", .outside),
            ("deep/../../../outside/secret", .outside),
            ("deep/../x", .inside),
            ("in/../file.txt", .inside),
            ("out/..", .outside),
            ("{base}/out/../base/file.txt", .inside),
        ]
    )
    func contained(path: String, expected: Expected) {
        let resolved = path.replacingOccurrences(of: "{base}", with: base).replacingOccurrences(
            of: "{root}",
            with: root
        )
        #expect(verdict(resolved, under: base) == expected, "\(resolved)")
    }

    @Test("a base reached through a symlink is canonical too")
    func symlinkedBase() {
        #expect(verdict(base + "/file.txt", under: root + "/base_link") == .inside)
        #expect(verdict("file.txt", under: root + "/base_link/") == .inside)
        #expect(verdict(root + "/outside/secret", under: root + "/base_link") == .outside)
    }

    @Test("containment is component-wise: /srv/app2 is not under /srv/app")
    func componentWise() {
        #expect(PathContainment.isInside("/srv/app", "/srv/app"))
        #expect(PathContainment.isInside("/srv/app/x", "/srv/app"))
        #expect(!PathContainment.isInside("/srv/app2", "/srv/app"))
        #expect(PathContainment.isInside("/anything", "/"))
        #expect(verdict(root + "/base2", under: base) == .outside)
        #expect(verdict(root + "/base/../base2", under: base) == .outside)
    }

    @Test("the canonical path is reported")
    func canonicalReported() {
        let expectedOutside = PathContainment.canonicalize(root + "/outside/secret")
        guard case .success(let outside) = expectedOutside else {
            Issue.record("cannot canonicalize the fixture")
            return
        }
        #expect(
            PathContainment.check("out/secret", under: base, workingDirectory: base) == .outside(canonical: outside)
        )
    }

    @Test("a relative or unusable base is refused")
    func badBase() {
        #expect(verdict("x", under: "srv/app") == .invalid)
        #expect(verdict("x", under: "") == .invalid)
    }

    @Test("a relative path resolves against the child's working directory, not the base")
    func relativeToWorkingDirectory() {
        #expect(verdict("secret", under: base, workingDirectory: root + "/outside") == .outside)
        #expect(verdict("base/file.txt", under: base, workingDirectory: root) == .inside)
        #expect(verdict("file.txt", under: base, workingDirectory: root) == .outside, "ROOT/file.txt is not in base")
        // Through a symlinked working directory, as getcwd() reads it: physically.
        #expect(verdict("../outside/secret", under: base, workingDirectory: root + "/base_link") == .outside)
        #expect(verdict("sub", under: base, workingDirectory: root + "/base_link") == .inside)
        // A remote server: no working directory known here.
        #expect(PathContainment.check("file.txt", under: base, workingDirectory: nil) != .inside(canonical: base))
        if case .invalid(let why) = PathContainment.check("file.txt", under: base, workingDirectory: nil) {
            #expect(why.contains("absolute path"))
        } else {
            Issue.record("a relative path with no working directory must be refused")
        }
        #expect(verdict(base + "/file.txt", under: base, workingDirectory: nil) == .inside)
    }

    @Test("property: inside exactly when the kernel's walk and the walk of the text-normalized path are both inside")
    func agreesWithTheKernel() throws {
        // Components that exist (so realpath(3) can be the oracle), in any order.
        let parts = [".", "..", "sub", "in", "rel_in", "out", "up", "deep", "a", "b", "file.txt", "base", "outside"]
        var random = SeededGenerator(seed: 5)
        guard let realBase = realPath(base) else { throw PathTestError() }
        var judged = 0
        for _ in 0..<8_000 {
            let count = Int.random(in: 1...6, using: &random)
            let relative = (0..<count).map { _ in parts.randomElement(using: &random)! }.joined(separator: "/")
            let absolute = base + "/" + relative
            // The oracle needs both readings to exist.
            guard let kernel = realPath(absolute), let text = realPath(PathContainment.lexical(absolute)) else {
                continue
            }
            judged += 1
            let expected =
                PathContainment.isInside(kernel, realBase) && PathContainment.isInside(text, realBase)
                ? Expected.inside : .outside
            #expect(verdict(relative, under: base) == expected, "\(relative): kernel \(kernel), text \(text)")
        }
        #expect(judged > 500, "the generator must reach existing paths")
    }

    struct PathTestError: Error {}

    private func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
