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

@Suite("Shaping: glob patterns")
struct ShapingGlobTests {
    @Test(
        "a glob matches the whole text with shell semantics",
        arguments: [
            ("*", "", true), ("*", "anything", true),
            ("git_*", "git_log", true), ("git_*", "git_", true), ("git_*", "xgit_log", false),
            ("*_log", "git_log", true), ("*_log", "git_logs", false),
            ("a*b*c", "abc", true), ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXbYY", false),
            ("a**b", "ab", true), ("*a*", "banana", true), ("*x*", "banana", false),
            ("?", "a", true), ("?", "", false), ("?", "ab", false), ("git_???", "git_log", true),
            ("git_???", "git_logs", false), ("é?", "éa", true),
            ("[abc]", "b", true), ("[abc]", "d", false), ("[a-z]x", "qx", true), ("[a-z]x", "Qx", false),
            ("[!x]", "y", true), ("[!x]", "x", false), ("[^x]", "x", false), ("[!a-c]z", "dz", true),
            ("[]a]", "]", true), ("[]a]", "a", true), ("[a-]", "-", true), ("[-a]", "-", true),
            ("[a\\]]", "]", true), ("[0-9][0-9]", "42", true), ("[0-9][0-9]", "4x", false),
            ("\\*", "*", true), ("\\*", "a", false), ("a\\?", "a?", true), ("a\\?", "ab", false),
            ("\\[x]", "[x]", true), ("git_log", "git_log", true), ("git_log", "git_logs", false),
            ("file:///srv/*", "file:///srv/app/readme.md", true), ("file:///srv/*.md", "file:///srv/a.txt", false),
            ("*/*", "a/b", true),
        ] as [(String, String, Bool)]
    )
    func matching(pattern: String, text: String, expected: Bool) throws {
        let glob = try Glob(pattern)
        #expect(glob.matches(text) == expected, "\(pattern) ~ \(text)")
    }

    @Test(
        "malformed patterns are rejected with a code",
        arguments: [
            ("", GlobError.Code.empty), ("[abc", .unterminatedClass), ("[", .unterminatedClass),
            ("[]", .unterminatedClass), ("[!]", .unterminatedClass), ("git_[a-", .unterminatedClass),
            ("[z-a]", .reversedRange), ("abc\\", .danglingEscape),
        ] as [(String, GlobError.Code)]
    )
    func malformed(pattern: String, code: GlobError.Code) {
        #expect(throws: GlobError.self) { try Glob(pattern) }
        do {
            _ = try Glob(pattern)
        } catch {
            #expect(error.code == code)
            #expect(error.pattern == pattern)
            #expect(!error.message.isEmpty)
        }
    }

    @Test("literal patterns are recognised and unescaped")
    func literals() throws {
        #expect(try Glob("git_log").isLiteral)
        #expect(try Glob("git_log").literal == "git_log")
        #expect(try Glob("a\\*b").literal == "a*b")
        #expect(try !Glob("git_*").isLiteral)
        #expect(try !Glob("[ab]").isLiteral)
        #expect(try Glob("x?").literal == nil)
        #expect(try Glob("git_*").pattern == "git_*")
    }

    @Test("general-first order puts wildcards before literals, broader wildcards first")
    func specificityOrder() throws {
        let globs = try ["git_log", "*", "git_*", "*_log", "a_log"].map { try Glob($0) }
        let sorted = globs.sorted(by: Glob.generalFirst).map(\.pattern)
        #expect(sorted == ["*", "*_log", "git_*", "a_log", "git_log"])
    }

    @Test("matching is linear, not exponential, on adversarial patterns")
    func noExponentialBacktracking() throws {
        let glob = try Glob(String(repeating: "a*", count: 40) + "b")
        let text = String(repeating: "a", count: 5000)
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(!glob.matches(text)) }
        #expect(elapsed < .seconds(5))
    }

    @Test("equal patterns are equal and hash alike")
    func hashable() throws {
        #expect(try Glob("a*") == Glob("a*"))
        #expect(try Glob("a*") != Glob("a?"))
        #expect(try Set([Glob("a*"), Glob("a*"), Glob("b")]).count == 2)
    }
}
