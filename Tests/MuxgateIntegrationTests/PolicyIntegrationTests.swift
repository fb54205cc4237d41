import Foundation
import MuxgateAudit
import MuxgateCLI
import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateTesting
import MuxgateWire
import Testing

/// Permission scopes end to end, against the real reference servers and the official client.
@Suite("Policy: scopes, profiles, argument rules, approval", .serialized)
struct PolicyIntegrationTests {
    let repository: String

    init() async throws {
        try await TestEnvironment.shared.preparePython()
        repository = try TestEnvironment.shared.makeGitRepository()
    }

    func gitServer(_ extra: String = "") -> String {
        """
        \(TestPaths.loadedStartup)
        servers:
          git:
            command: \(TestPaths.root)/.venv/bin/mcp-server-git
            args: [--repository, "\(repository)"]
        \(extra)
        """
    }

    func git(_ arguments: [String]) throws -> String {
        try TestEnvironment.shared.runBlocking("/usr/bin/git", ["-C", repository] + arguments)
    }

    @Test("readonly: write tools are hidden and denied before the child; the repository is unchanged")
    func readonlyGit() async throws {
        try TestPaths.write("new\n", to: repository, name: "new.txt")
        let commitsBefore = try git(["rev-list", "--count", "HEAD"])
        let harness = try Harness.start(gitServer() + "policy: { profile: readonly }\n")
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let names = Set(try await harness.toolNames())
        #expect(
            names == [
                "git_status", "git_diff_unstaged", "git_diff_staged", "git_diff", "git_log", "git_show", "git_branch",
            ]
        )
        let repo = #""repo_path":"\#(repository)""#
        let add = try #require(await harness.call("git_add", "{\(repo),\"files\":[\"new.txt\"]}", id: 2))
        #expect(add.result?["isError"]?.bool == true)
        #expect(add.firstText?.contains("profile readonly") == true, "\(add.root.text)")
        let commit = try #require(await harness.call("git_commit", "{\(repo),\"message\":\"sneaky\"}", id: 3))
        #expect(commit.result?["isError"]?.bool == true)
        let status = await harness.call("git_status", "{\(repo)}", id: 4)
        #expect(status?.firstText?.contains("new.txt") == true)
        let log = await harness.call("git_log", "{\(repo)}", id: 5)
        #expect(log?.firstText?.contains("initial commit") == true)
        #expect(await harness.shutDown())
        #expect(try git(["rev-list", "--count", "HEAD"]) == commitsBefore)
        #expect(try git(["diff", "--cached", "--name-only"]).isEmpty, "nothing was staged")
        #expect(harness.muxgate.stderr.contains("policy profile 'readonly'"))
    }

    @Test("developer: a destructive tool asks; a client without elicitation gets a denial, not a hang")
    func askWithoutElicitation() async throws {
        let harness = try Harness.start(gitServer() + "policy: { profile: developer }\n")
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let names = try await harness.toolNames()
        #expect(names.contains("git_reset") && names.contains("git_add"), "ask tools stay listed")
        let started = ContinuousClock.now
        let reset = try #require(await harness.call("git_reset", #"{"repo_path":"\#(repository)"}"#, id: 2))
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(reset.result?["isError"]?.bool == true)
        #expect(reset.firstText?.contains("elicitation") == true, "\(reset.root.text)")
        #expect(await harness.shutDown())
    }

    // In the initialize era the approval is a request to the client; in 2026-07-28 an input-required round trip.
    @Test("developer: the official client's elicitation answer decides, accept runs the call, decline does not")
    func askWithElicitation() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let config = try TestPaths.write(
            gitServer() + "policy: { profile: developer }\n",
            to: directory,
            name: "muxgate.yaml"
        )
        let script = try TestPaths.write(
            #"{"calls": [{"tool": "git_reset", "arguments": {"repo_path": "\#(repository)"}}]}"#,
            to: directory,
            name: "script.json"
        )
        for mode in ["legacy", "auto", "discover"] {
            try TestPaths.write("staged\n", to: repository, name: "staged.txt")
            try git(["add", "staged.txt"])
            func run(_ answer: String) async throws -> JSONSlice {
                let output = try await TestEnvironment.shared.run(
                    TestPaths.python,
                    [
                        TestPaths.clientScript, "--elicitation", answer, "--mode", mode, "script", script, "--",
                        TestPaths.muxgate, "serve", "--config", config,
                    ]
                )
                return try #require(try JSONSlice.parse(output)["results"]?.elements.first)
            }
            let declined = try await run("decline")
            #expect(declined["isError"]?.bool == true, "\(mode)")
            #expect(declined["content"]?.text.contains("decline") == true, "\(mode): \(declined.text)")
            #expect(try git(["diff", "--cached", "--name-only"]).contains("staged.txt"), "declined: still staged")
            let accepted = try await run("accept")
            #expect(accepted["isError"]?.bool != true, "\(mode): \(accepted.text)")
            #expect(try git(["diff", "--cached", "--name-only"]).isEmpty, "\(mode) accepted: git_reset ran")
            // Both sessions are in the audit trail: the ask, and each answer, with the rule.
            let log = try #require(ProcessInfo.processInfo.environment["MUXGATE_TEST_STATE"]) + "/muxgate/audit.jsonl"
            let approvals = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
                .map { try JSONSlice.parse(String($0)) }
                .filter { $0["event"]?.string == "approval" && $0["tool"]?.string == "git_reset" }
            let answers = approvals.compactMap { $0["approval"]?.string }
            #expect(answers.suffix(4) == ["asked", "declined", "asked", "accepted"], "\(mode): \(answers)")
            #expect(approvals.last?["rule"]?.string?.contains("developer") == true)
        }
    }

    @Test("sqlite: unannotated tools are destructive, scopes: makes reads readable, sql: read_only is a real check")
    func sqliteReadOnly() async throws {
        let database = try TestPaths.temporaryDirectory("muxgate-db") + "/policy.db"
        let config = """
            \(TestPaths.loadedStartup)
            servers:
              db:
                command: \(TestPaths.root)/.venv-sqlite/bin/mcp-server-sqlite
                args: [--db-path, "\(database)"]
                scopes: { read: [read_query, list_tables, describe_table] }
            policy:
              profile: readonly
              rules:
                - tool: db_read_query
                  argument: query
                  sql: read_only
                  reason: read queries only
            """
        let harness = try Harness.start(config)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        #expect(Set(try await harness.toolNames()) == ["db_read_query", "db_list_tables", "db_describe_table"])
        let select = await harness.call("db_read_query", #"{"query":"SELECT 1 AS one"}"#, id: 2)
        #expect(select?.result?["isError"]?.bool != true)
        #expect(select?.firstText?.contains("one") == true, "\(select?.root.text ?? "")")
        for (index, query) in [
            "DELETE FROM sqlite_master", "SELECT 1; DROP TABLE x", "SELECT 1 /* ; */ ; DELETE FROM t",
            "WITH a AS (SELECT 1) DELETE FROM t",
        ].enumerated() {
            let refused = await harness.call(
                "db_read_query",
                JSONValue.object([("query", .string(query))]).encodedString,
                id: 10 + index
            )
            #expect(refused?.result?["isError"]?.bool == true, "\(query)")
            #expect(refused?.firstText?.contains("read queries only") == true, "\(refused?.root.text ?? "")")
        }
        let write = await harness.call("db_write_query", #"{"query":"INSERT INTO t VALUES (1)"}"#, id: 3)
        #expect(write?.firstText?.contains("denied") == true)
        #expect(await harness.shutDown())
    }

    /// SQLite reads `$a(')`, `:a(')`, `@a(')` and `#a(')` as one variable token, quote and all, so the
    /// `;` after it ends the statement and the DELETE runs (in the shell, or any client that runs a
    /// script); the old check read the quote as a string's start and passed the DELETE as its content.
    @Test(
        "sqlite: the variable-token attacks and pragma tables are refused before mcp-server-sqlite; the table is intact"
    )
    func sqliteVariableTokens() async throws {
        let database = try TestPaths.temporaryDirectory("muxgate-db") + "/shop.db"
        try await TestEnvironment.shared.run(
            TestPaths.python,
            [
                "-c",
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.close()",
                database, SQLCorpus.sqliteSetup + "CREATE VIEW v_log AS SELECT sqlite_log(1, 'x') AS l;",
            ]
        )
        let config = """
            \(TestPaths.loadedStartup)
            servers:
              db:
                command: \(TestPaths.root)/.venv-sqlite/bin/mcp-server-sqlite
                args: [--db-path, "\(database)"]
                scopes: { read: [read_query, list_tables, describe_table] }
            policy:
              profile: readonly
              rules:
                - { tool: db_read_query, argument: query, sql: read_only, database: "\(database)" }
            """
        let harness = try Harness.start(config)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let attacks = [
            "SELECT $a(') ; DELETE FROM items ; SELECT (')",
            "SELECT :a(') ; DELETE FROM items ; SELECT (')",
            "SELECT @a(') ; DELETE FROM items ; SELECT (')",
            "SELECT #a(') ; DELETE FROM items ; SELECT (')",
            "SELECT $a::b(x'y) ; DROP TABLE items ; --')",
            "SELECT ?1, :x(x'y) ; DELETE FROM items ; --')",
            "SELECT * FROM pragma_optimize",
            "SELECT * FROM \"Pragma_Journal_Mode\"('wal')",
            "SELECT \"Load_Extension\"('/tmp/x')",
            "SELECT 1 -- x\n; DELETE FROM items",
            // Only SQLite's parser against the file (database:) sees the view's call.
            "SELECT * FROM v_log",
        ]
        for (index, query) in attacks.enumerated() {
            let answer = await harness.call(
                "db_read_query",
                JSONValue.object([("query", .string(query))]).encodedString,
                id: 10 + index
            )
            #expect(answer?.result?["isError"]?.bool == true, "\(query): \(answer?.root.text ?? "no answer")")
            #expect(
                answer?.firstText?.contains("not a read-only SQL query") == true,
                "\(query): \(answer?.firstText ?? "")"
            )
        }
        // A \r does not end a SQLite `--` comment: this is `SELECT 1`, and passes (PostgreSQL reads it otherwise).
        let carriage = await harness.call(
            "db_read_query",
            #"{"query":"SELECT 1 AS one -- x\r; DELETE FROM items"}"#,
            id: 4
        )
        #expect(carriage?.result?["isError"]?.bool != true, "\(carriage?.root.text ?? "")")
        let count = await harness.call("db_read_query", #"{"query":"SELECT count(*) AS n FROM items"}"#, id: 2)
        #expect(count?.result?["isError"]?.bool != true, "\(count?.root.text ?? "")")
        #expect(count?.firstText?.contains("3") == true, "the rows are all there: \(count?.firstText ?? "")")
        let json = await harness.call(
            "db_read_query",
            #"{"query":"SELECT i.name, j.value FROM items i, json_each(i.tags) j WHERE j.value = 'fruit' ORDER BY i.id"}"#,
            id: 3
        )
        #expect(json?.firstText?.contains("pear") == true, "a JSON read runs: \(json?.root.text ?? "")")
        #expect(await harness.shutDown())
        let rows = try await TestEnvironment.shared.run(
            TestPaths.python,
            [
                "-c",
                "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM items').fetchone()[0])",
                database,
            ]
        )
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "3")
    }

    @Test("a denied call never reaches the child (its request log proves it)")
    func deniedNeverReachesChild() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let log = directory + "/requests.log"
        let harness = try Harness.start(
            "policy: { profile: readonly, hide_denied: false }\nservers:\n"
                + Harness.fixture("guarded", ["--log", log], extra: ["scopes: { read: [echo] }"])
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let names = try await harness.toolNames()
        #expect(names.contains("guarded_fail"), "hide_denied: false lists denied tools")
        let denied = await harness.call("guarded_fail", id: 2)
        #expect(denied?.result?["isError"]?.bool == true)
        #expect(denied?.firstText?.contains("muxgate denied") == true)
        let allowed = await harness.call("guarded_echo", #"{"x":1}"#, id: 3)
        #expect(allowed?.firstText == #"{"x":1}"#)
        #expect(await harness.shutDown())
        let received = try String(contentsOfFile: log, encoding: .utf8)
        #expect(received.contains("\"echo\""))
        #expect(!received.contains("\"fail\""), "the denied call reached the child:\n\(received)")
    }

    @Test("muxgate explain prints the decision and what made it")
    func explain() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let config = try TestPaths.write(
            gitServer(
                """
                policy:
                  profile: developer
                  rules:
                    - tool: git_checkout
                      argument: branch_name
                      must_not_match: '^(main|master)$'
                      effect: ask
                      reason: main is protected
                """
            ),
            to: directory,
            name: "muxgate.yaml"
        )
        func explain(_ arguments: [String]) async throws -> (status: Int32, output: String) {
            let run = try await Harness.run(["explain", "--config", config] + arguments, timeout: .seconds(20))
            return (run.status, run.output)
        }
        let status = try await explain(["git_status"])
        #expect(status.status == 0 && status.output.contains("decision  allow"), "\(status.output)")
        let main = try await explain(["git_checkout", "--args", #"{"repo_path":"/x","branch_name":"main"}"#])
        #expect(
            main.status == 1 && main.output.contains("decision  ask") && main.output.contains("main is protected"),
            "\(main.output)"
        )
        let readonly = try await explain(["git_commit", "--profile", "readonly"])
        #expect(readonly.status == 1 && readonly.output.contains("decision  deny"), "\(readonly.output)")
    }
}
