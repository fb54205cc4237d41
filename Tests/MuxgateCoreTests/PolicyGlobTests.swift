import Testing

@testable import MuxgateCore

@Suite("Policy globs")
struct PolicyGlobTests {
    @Test(
        "a glob matches the whole name with *, ?, sets, ranges and escapes",
        arguments: [
            ("git_*", "git_status", true),
            ("git_*", "git_", true),
            ("git_*", "xgit_status", false),
            ("*_query", "db_read_query", true),
            ("*_query", "db_read_query_x", false),
            ("db_?", "db_x", true),
            ("db_?", "db_xy", false),
            ("[abc]x", "bx", true),
            ("[!abc]x", "bx", false),
            ("[^abc]x", "dx", true),
            ("[a-c]*", "cat", true),
            ("[a-c]*", "dog", false),
            ("[]]", "]", true),
            ("[a-]", "-", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("*", "", true),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b", "ab_ba", false),
            ("read_query", "read_query", true),
            ("read_query", "Read_query", false),
        ]
    )
    func matches(pattern: String, name: String, expected: Bool) throws {
        let glob = try #require(PolicyGlob(pattern))
        #expect(glob.matches(name) == expected)
    }

    @Test("a malformed glob is refused with a reason", arguments: ["", "[abc", "abc\\", "[z-a]"])
    func malformed(pattern: String) {
        #expect(PolicyGlob(pattern) == nil)
        #expect(PolicyGlob.problem(in: pattern) != nil)
    }

    @Test("a glob without wildcards is literal")
    func literal() throws {
        #expect(try #require(PolicyGlob("git_status")).isLiteral)
        #expect(try !#require(PolicyGlob("git_*")).isLiteral)
    }
}
