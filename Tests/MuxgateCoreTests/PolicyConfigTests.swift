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

@Suite("Policy configuration")
struct PolicyConfigTests {
    static let example = """
        profile: developer
        hide_denied: true
        profiles:
          readonly:  { allow: [read] }
          developer: { allow: [read, write], ask: [destructive] }
          ci-bot:    { allow: [read, "db_write_query"], deny: ["git_*"] }
        rules:
          - tool: db_read_query
            argument: query
            sql: read_only
            reason: read queries only
          - tool: "ci_*"
            argument: pipeline
            must_match: '^(lint|test)$'
          - tool: git_checkout
            argument: branch_name
            must_not_match: '^(main|master)$'
            effect: ask
          - tool: "fs_*"
            argument: path
            under: /srv/app
        """

    @Test("the issue's example decodes: profile, profiles, and one rule of each kind")
    func example() throws {
        let config = try PolicyYAML.decode(PolicyConfig.self, Self.example)
        #expect(config.profile == "developer")
        #expect(config.hideDenied)
        #expect(config.profiles.keys.sorted() == ["ci-bot", "developer", "readonly"])
        let bot = try #require(config.profiles["ci-bot"])
        #expect(bot.allow == [.scope(.read), .tool(try Glob("db_write_query"))])
        #expect(bot.deny == [.tool(try Glob("git_*"))])
        #expect(config.rules.count == 4)
        #expect(config.rules.map(\.tool.pattern) == ["db_read_query", "ci_*", "git_checkout", "fs_*"])
        #expect(config.rules.map(\.argument) == ["query", "pipeline", "branch_name", "path"])
        #expect(config.rules.map(\.effect) == [.deny, .deny, .ask, .deny])
        #expect(config.rules[0].reason == "read queries only")
        #expect(
            config.rules.map(\.checkDescription) == [
                "sql: read_only", "must_match: '^(lint|test)$'", "must_not_match: '^(main|master)$'",
                "under: /srv/app",
            ]
        )
        #expect(config.profileNames == ["ci-bot", "developer", "full", "readonly"])
    }

    @Test("hide_denied defaults to true; profiles and rules may be left out")
    func defaults() throws {
        let config = try PolicyYAML.decode(PolicyConfig.self, "profile: readonly")
        #expect(config.hideDenied)
        #expect(config.profiles.isEmpty)
        #expect(config.rules.isEmpty)
        #expect(try !PolicyYAML.decode(PolicyConfig.self, "{profile: full, hide_denied: false}").hideDenied)
    }

    @Test(
        "invalid policies are refused with the key path and a useful message",
        arguments: [
            ("profil: developer", ConfigError.Code.unknownKey, ["profil"], "did you mean 'profile'"),
            ("profile: develper", .invalidValue, ["profile"], "did you mean 'developer'"),
            (
                "profile: nope", .invalidValue, ["profile"],
                "there is no profile 'nope'; known profiles: developer, full, readonly"
            ),
            (
                "{profile: bot, profiles: {ci: {allow: [read]}}}", .invalidValue, ["profile"],
                "known profiles: ci, developer, full, readonly"
            ),
            ("profiles: {x: {alow: [read]}}", .unknownKey, ["profiles", "x", "alow"], "did you mean 'allow'"),
            (
                "profiles: {x: {allow: [read, 'git_[']}}", .invalidValue, ["profiles", "x", "allow", "[1]"],
                "never closed"
            ),
            (
                "rules: [{tool: ci_*, argument: p, must_match: '^(lint'}]", .invalidValue,
                ["rules", "[0]", "must_match"], "not a valid regular expression"
            ),
            (
                "rules: [{tool: ci_*, argument: p, must_not_match: '[a-'}]", .invalidValue,
                ["rules", "[0]", "must_not_match"], "not a valid regular expression"
            ),
            (
                "rules: [{tool: fs_*, argument: p, must_match: '^a', under: /srv}]", .invalidValue, ["rules", "[0]"],
                "this one has must_match, under"
            ),
            ("rules: [{tool: fs_*, argument: p}]", .missingKey, ["rules", "[0]"], "needs one check"),
            ("rules: [{argument: p, sql: read_only}]", .missingKey, ["rules", "[0]"], "needs 'tool'"),
            ("rules: [{tool: db, sql: read_only}]", .missingKey, ["rules", "[0]"], "needs 'argument'"),
            (
                "rules: [{tool: db, argument: '', sql: read_only}]", .invalidValue, ["rules", "[0]", "argument"],
                "empty"
            ),
            (
                "rules: [{tool: db, argument: q, sql: writable}]", .invalidValue, ["rules", "[0]", "sql"],
                "use read_only"
            ),
            ("rules: [{tool: fs, argument: p, under: srv/app}]", .invalidValue, ["rules", "[0]", "under"], "absolute"),
            (
                "rules: [{tool: db, argument: q, sql: read_only, effect: allow}]", .invalidValue,
                ["rules", "[0]", "effect"], "use deny or ask"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, efect: ask}]", .unknownKey, ["rules", "[0]", "efect"],
                "effect"
            ),
            ("rules: [{tool: '', argument: q, sql: read_only}]", .invalidValue, ["rules", "[0]", "tool"], "empty"),
            (
                "rules: [{tool: db, argument: q, sql: read_only, functions: ['my fn']}]", .invalidValue,
                ["rules", "[0]", "functions"], "'my fn' is not a function name"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, functions: [main.fn]}]", .invalidValue,
                ["rules", "[0]", "functions"], "SQLite's functions have no schema"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, dialect: postgres, functions: [a.b.c]}]",
                .invalidValue, ["rules", "[0]", "functions"], "or schema.name"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, keywords: [colour]}]", .invalidValue,
                ["rules", "[0]", "keywords"], "'colour' is not a SQLite keyword"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, dialect: postgres, keywords: [share]}]",
                .invalidValue, ["rules", "[0]", "keywords"], "a read-only rule cannot allow it"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, dialect: postgres, keywords: [operator]}]",
                .invalidValue, ["rules", "[0]", "keywords"], "a read-only rule cannot allow it"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, operators: ['+++']}]", .invalidValue,
                ["rules", "[0]", "operators"], "'operators' is for dialect: postgres"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, dialect: postgres, operators: [abc]}]",
                .invalidValue, ["rules", "[0]", "operators"], "not an operator name"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, dialect: postgres, database: /x.db}]", .invalidValue,
                ["rules", "[0]", "database"], "'database' is for dialect: sqlite"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, database: shop.db}]", .invalidValue,
                ["rules", "[0]", "database"], "not an absolute path"
            ),
            (
                "rules: [{tool: db, argument: q, must_match: x, functions: [f]}]", .invalidValue,
                ["rules", "[0]", "functions"], "goes with a sql check only"
            ),
            (
                "rules: [{tool: db, argument: q, sql: read_only, function: [f]}]", .unknownKey,
                ["rules", "[0]", "function"], "functions"
            ),
        ]
    )
    func invalid(yaml: String, code: ConfigError.Code, path: [String], message: String) throws {
        let issue = try #require(PolicyYAML.issue(PolicyConfig.self, yaml))
        #expect(issue.code == code)
        #expect(issue.path.last == path.last)
        // rejectUnknownKeys (Config/StrictDecoding.swift) writes sequence indices as Yams names them.
        if !path.contains(where: { $0.hasPrefix("[") }) || code != .unknownKey {
            #expect(issue.path == path)
        }
        #expect(issue.message.contains(message), "\(issue.message)")
    }

    @Test("error paths start at policy when the section is nested in a config")
    func nestedPath() throws {
        struct Root: Decodable { let policy: PolicyConfig }
        let issue = try #require(PolicyYAML.issue(Root.self, "policy: {profile: x}"))
        #expect(issue.path == ["policy", "profile"])
        let rule = try #require(
            PolicyYAML.issue(
                Root.self,
                "policy: {rules: [{tool: a, argument: b, sql: read_only}, {tool: a, argument: b}]}"
            )
        )
        #expect(rule.path == ["policy", "rules", "[1]"])
    }

    @Test("a sql rule's functions:, keywords: and operators: extend its lists")
    func sqlExtensions() throws {
        let config = try PolicyYAML.decode(
            PolicyConfig.self,
            """
            profile: readonly
            rules:
              - { tool: db, argument: q, sql: read_only, functions: [My_Report], keywords: [match] }
              - { tool: pg, argument: q, sql: read_only, dialect: postgres, functions: [reporting.monthly, MixedCase],
                  keywords: [owner], operators: ['<<->>'] }
            """
        )
        guard case .sqlReadOnly(let sqlite) = config.rules[0].check,
            case .sqlReadOnly(let postgres) = config.rules[1].check
        else {
            Issue.record("not sql rules")
            return
        }
        #expect(sqlite == SQLReadOnly.Rule(dialect: .sqlite, functions: ["my_report"], keywords: ["MATCH"]))
        #expect(
            postgres
                == SQLReadOnly.Rule(
                    dialect: .postgres,
                    functions: ["reporting.monthly", "MixedCase"],
                    keywords: ["OWNER"],
                    operators: ["<<->>"]
                )
        )
        #expect(config.rules[0].failure(in: try JSONSlice.parse(#"{"q": "SELECT my_report(1)"}"#)) == nil)
        let refusal = config.rules[0].failure(in: try JSONSlice.parse(#"{"q": "SELECT other(1)"}"#))
        #expect(refusal?.contains("add 'other' to the rule's functions:") == true, "\(refusal ?? "")")
    }

    @Test("a configured profile with a built-in's name replaces it")
    func overrideBuiltIn() throws {
        let config = try PolicyYAML.decode(PolicyConfig.self, "profiles: {readonly: {allow: [read, write]}}")
        #expect(config.allProfiles["readonly"]?.allow == [.scope(.read), .scope(.write)])
        #expect(config.allProfiles["developer"] == PolicyProfile.builtIns["developer"])
    }
}
