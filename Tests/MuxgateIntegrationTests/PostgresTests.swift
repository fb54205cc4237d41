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

/// A real PostgreSQL (Debian's, a throwaway cluster per test) behind `postgres-mcp` from PyPI,
/// behind muxgate: the PostgreSQL read-only rule, secrets, and the chained workflows teams run.
@Suite(
    "PostgreSQL: postgres-mcp behind muxgate, read-only SQL, chained workflows",
    .enabled(if: PostgresServer.available, "needs Debian's postgresql and a Python >= 3.12 for postgres-mcp")
)
struct PostgresTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
        #expect(
            FileManager.default.isExecutableFile(atPath: PostgresServer.postgresMCP),
            "setup-venv.sh builds .venv-postgres (it needs a Python >= 3.12)"
        )
    }

    /// A `pg` server entry: postgres-mcp in unrestricted mode (muxgate is the guard), on `url`.
    static func server(_ url: String, extra: [String] = []) -> String {
        ([
            "  pg:", "    command: \(PostgresServer.postgresMCP)",
            "    args: [--access-mode, unrestricted, \"\(url)\"]",
            "    \(TestPaths.loadedStartup)",
        ] + extra.map { "    " + $0 }).joined(separator: "\n") + "\n"
    }

    /// The schema every test starts from: accounts with a sequence and a trigger that counts writes.
    static let schema = """
        CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, balance numeric NOT NULL);
        INSERT INTO accounts (name, balance) VALUES ('ada', 100), ('grace', 250), ('linus', 75);
        CREATE TABLE writes_seen (n int NOT NULL);
        INSERT INTO writes_seen VALUES (0);
        CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN UPDATE writes_seen SET n = n + 1; RETURN NULL; END $$;
        CREATE TRIGGER accounts_writes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
          FOR EACH STATEMENT EXECUTE FUNCTION count_write();
        CREATE TABLE review_comments (id serial PRIMARY KEY, body text NOT NULL);
        """

    /// What must be unchanged after refused calls: rows, the write counter, the sequence, large objects.
    static func fingerprint(_ pg: PostgresServer) async throws -> String {
        try await pg.sql(
            "SELECT (SELECT count(*) || ':' || sum(balance) FROM accounts) || '/' || (SELECT n FROM writes_seen) || '/' "
                + "|| (SELECT last_value FROM accounts_id_seq) || '/' || (SELECT count(*) FROM pg_largeobject_metadata)"
        )
    }

    @Test("sql read_only (postgres): reads pass; writes, locks, effects and hidden statements never reach the server")
    func readOnlyRule() async throws {
        try await PostgresServer.with { pg in
            try await pg.sql(Self.schema)
            let before = try await Self.fingerprint(pg)
            let directory = try TestPaths.temporaryDirectory()
            let marker = directory + "/copied"
            let config = """
                policy:
                  profile: readonly
                  rules:
                    - { tool: pg_execute_sql, argument: sql, sql: read_only, dialect: postgres }
                    - { tool: pg_explain_query, argument: sql, sql: read_only, dialect: postgres }
                servers:
                \(Self.server(pg.url, extra: ["scopes: { read: [execute_sql, explain_query, list_*, get_object_details] }"]))
                """
            let harness = try Harness.start(config)
            defer { harness.muxgate.terminate() }
            try await harness.initialize()

            let reads = [
                "SELECT name, balance FROM accounts ORDER BY id",
                "WITH rich AS (SELECT * FROM accounts WHERE balance > 90) SELECT count(*) FROM rich",
                "SELECT $$ DELETE FROM accounts $$ AS harmless",
                // Read as PostgreSQL reads them: the DELETE is inside a nested comment, or a dollar quote.
                "SELECT 1 /* /* */ ; DELETE FROM accounts; -- */",
                "SELECT $x$ $y$; DELETE FROM accounts; --$x$",
            ]
            for (index, sql) in reads.enumerated() {
                let answer = await harness.call(
                    "pg_execute_sql",
                    JSONValue.object([("sql", .string(sql))]).encodedString,
                    id: 10 + index
                )
                #expect(answer?.result?["isError"]?.bool != true, "\(sql): \(answer?.root.text ?? "no answer")")
            }
            #expect(
                await harness.call("pg_execute_sql", #"{"sql":"SELECT name FROM accounts ORDER BY id"}"#, id: 19)?
                    .firstText?.contains("grace") == true,
                "the server really answers"
            )
            let explain = await harness.call(
                "pg_explain_query",
                #"{"sql":"SELECT * FROM accounts","analyze":true}"#,
                id: 20
            )
            #expect(explain?.result?["isError"]?.bool != true, "\(explain?.root.text ?? "")")

            let attacks = [
                "INSERT INTO accounts (name, balance) VALUES ('mallory', 1e9)",
                "UPDATE accounts SET balance = 0",
                "DELETE FROM accounts",
                "TRUNCATE accounts",
                "DROP TABLE accounts",
                "COPY accounts TO PROGRAM 'touch \(marker)'",
                "SELECT * FROM accounts FOR UPDATE",
                "SELECT nextval('accounts_id_seq')",
                "SELECT lo_import('/etc/hostname')",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()",
                "SELECT query_to_xml('DELETE FROM accounts RETURNING 1', true, true, '')",
                "SELECT 1; DELETE FROM accounts",
                "SELECT 1 /* /* */ ; DELETE FROM accounts; /* */",
                "SELECT $x$ $y$; DELETE FROM accounts; --$y$",
                "SELECT 'a\\' , ' ; DELETE FROM accounts; --'",
                "WITH gone AS (DELETE FROM accounts RETURNING *) SELECT count(*) FROM gone",
                "DO $$ BEGIN DELETE FROM accounts; END $$",
                "SELECT * INTO stolen FROM accounts",
                // The function's name spelled with Unicode escapes, quoted, qualified, in odd case.
                #"SELECT U&"!006E!0065xtval" UESCAPE '!' ('accounts_id_seq')"#,
                #"SELECT U&"\006Eextval"('accounts_id_seq')"#,
                #"SELECT "pg_catalog"."nextval"('accounts_id_seq')"#,
                "SELECT PG_CATALOG.NEXTVAL('accounts_id_seq')",
                "SELECT query_to_xml('SELECT nextval(''accounts_id_seq'')', true, true, '')",
                "SELECT lo_from_bytea(0, 'x')",
                "SELECT 1 -- x\r; DELETE FROM accounts",
            ]
            for (index, sql) in attacks.enumerated() {
                let answer = await harness.call(
                    "pg_execute_sql",
                    JSONValue.object([("sql", .string(sql))]).encodedString,
                    id: 100 + index
                )
                #expect(
                    answer?.result?["isError"]?.bool == true,
                    "\(sql) was not refused: \(answer?.root.text ?? "no answer")"
                )
                #expect(
                    answer?.firstText?.contains("not a read-only SQL query") == true,
                    "\(sql): \(answer?.firstText ?? "")"
                )
            }
            let analyzeDelete = await harness.call(
                "pg_explain_query",
                #"{"sql":"DELETE FROM accounts","analyze":true}"#,
                id: 200
            )
            #expect(analyzeDelete?.result?["isError"]?.bool == true, "EXPLAIN ANALYZE would run the DELETE")
            #expect(await harness.shutDown())

            #expect(try await Self.fingerprint(pg) == before, "no row, trigger count, sequence or large object changed")
            #expect(!FileManager.default.fileExists(atPath: marker), "COPY … TO PROGRAM never ran")
            let decisions = try harness.auditRecords().filter { $0["event"]?.string == "decision" }
            #expect(decisions.filter { $0["decision"]?.string == "deny" }.count == attacks.count + 1)
            #expect(decisions.filter { $0["decision"]?.string == "allow" }.count == reads.count + 2)
        }
    }

    @Test("the connection string's password is in no audit record, log line, tools or check output")
    func passwordNeverShown() async throws {
        try await PostgresServer.with { pg in
            try await pg.sql(Self.schema)
            let directory = try TestPaths.temporaryDirectory()
            let config = try TestPaths.write(
                "audit: { path: \(directory)/audit.jsonl }\nservers:\n" + Self.server(pg.url),
                to: directory,
                name: "muxgate.yaml"
            )
            let harness = try Harness.start(configFile: config)
            defer { harness.muxgate.terminate() }
            try await harness.initialize()
            let answer = await harness.call("pg_execute_sql", #"{"sql":"SELECT current_user"}"#, id: 2)
            #expect(answer?.firstText?.contains("muxgate") == true, "\(answer?.root.text ?? "")")
            // A failing query's error travels back too.
            _ = await harness.call("pg_execute_sql", #"{"sql":"SELECT * FROM no_such_table"}"#, id: 3)
            #expect(await harness.shutDown())
            let tools = try await Harness.run(["tools", "--config", config])
            let check = try await Harness.run(["check", "--config", config])
            let audit = try String(contentsOfFile: directory + "/audit.jsonl", encoding: .utf8)
            for (what, text) in [
                ("audit", audit), ("serve's log", harness.muxgate.stderr), ("tools", tools.output + tools.stderr),
                ("check", check.output + check.stderr),
            ] {
                #expect(!text.contains(pg.password), "the password is in \(what)")
            }
            #expect(audit.contains("pg_execute_sql"), "the calls were audited")
            #expect(check.output.contains("pg"), "\(check.output)")
        }
    }

    /// Runs the official client on `calls` through a muxgate on `config`.
    static func client(_ config: String, calls: String, elicitation: String? = nil) async throws -> JSONSlice {
        let directory = try TestPaths.temporaryDirectory()
        let configPath = try TestPaths.write(config, to: directory, name: "muxgate.yaml")
        let script = try TestPaths.write(#"{"calls": \#(calls)}"#, to: directory, name: "script.json")
        let output = try await TestEnvironment.shared.run(
            TestPaths.python,
            [TestPaths.clientScript, "--timeout", "120"] + (elicitation.map { ["--elicitation", $0] } ?? [])
                + ["script", script, "--", TestPaths.muxgate, "serve", "--config", configPath]
        )
        return try JSONSlice.parse(output)
    }

    @Test(
        "code review: git log and diff, the changed table's definition, a comment denied under readonly, written under developer"
    )
    func codeReview() async throws {
        try await PostgresServer.with { pg in
            try await pg.sql(Self.schema)
            let repository = try TestEnvironment.shared.makeGitRepository()
            try TestPaths.write("ALTER TABLE accounts ADD COLUMN email text;\n", to: repository, name: "migration.sql")
            let directory = try TestPaths.temporaryDirectory()
            let calls = """
                [{"tool": "git_log", "arguments": {"repo_path": "\(repository)"}},
                 {"tool": "git_diff_unstaged", "arguments": {"repo_path": "\(repository)"}},
                 {"tool": "pg_get_object_details", "arguments": {"schema_name": "public", "object_name": "accounts", "object_type": "table"}},
                 {"tool": "pg_execute_sql", "arguments": {"sql": "INSERT INTO review_comments (body) VALUES ('add an index on email')"}}]
                """
            func config(_ profile: String) -> String {
                """
                audit: { path: \(directory)/audit-\(profile).jsonl }
                policy: { profile: \(profile) }
                servers:
                  git:
                    command: \(TestPaths.root)/.venv/bin/mcp-server-git
                    \(TestPaths.loadedStartup)
                \(Self.server(pg.url, extra: ["scopes: { read: [list_*, get_object_details], write: [execute_sql] }"]))
                """
            }
            try await TestEnvironment.shared.runBlocking("/usr/bin/git", ["-C", repository, "add", "migration.sql"])
            try TestPaths.write(
                "ALTER TABLE accounts ADD COLUMN email text NOT NULL;\n",
                to: repository,
                name: "migration.sql"
            )

            let readonly = try await Self.client(config("readonly"), calls: calls)
            let results = try #require(readonly["results"]?.elements)
            #expect(results.count == 4)
            #expect(results[0]["content"]?.text.contains("initial commit") == true, "\(results[0].text)")
            #expect(results[1]["content"]?.text.contains("NOT NULL") == true, "the diff: \(results[1].text)")
            #expect(results[2]["content"]?.text.contains("balance") == true, "the table: \(results[2].text)")
            #expect(results[3]["isError"]?.bool == true && results[3]["content"]?.text.contains("denied") == true)
            #expect(try await pg.sql("SELECT count(*) FROM review_comments") == "0", "the denied write never ran")

            let developer = try await Self.client(config("developer"), calls: calls)
            #expect(developer["results"]?.elements.last?["isError"]?.bool != true, "\(developer.text)")
            #expect(try await pg.sql("SELECT body FROM review_comments") == "add an index on email")

            // The readonly session's trail: the four calls in order, one session, the denial named.
            let path = directory + "/audit-readonly.jsonl"
            let records = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
                try JSONSlice.parse(String($0))
            }
            let decisions = records.filter { $0["event"]?.string == "decision" }
            #expect(
                decisions.compactMap { $0["tool"]?.string }
                    == ["git_log", "git_diff_unstaged", "pg_get_object_details", "pg_execute_sql"],
                "in order"
            )
            #expect(Set(decisions.compactMap { $0["session"]?.string }).count == 1, "one session")
            #expect(decisions.compactMap { $0["decision"]?.string } == ["allow", "allow", "allow", "deny"])
            let summary = try await Harness.run(["audit", "summary", path])
            #expect(summary.status == 0, "\(summary.stderr)")
            for expected in ["git", "pg", "pg_execute_sql", "readonly"] {
                #expect(summary.output.contains(expected), "summary names \(expected): \(summary.output)")
            }
        }
    }

    @Test("migration: a destructive statement asks, the approved one runs, a different one is asked again")
    func migrationApproval() async throws {
        try await PostgresServer.with { pg in
            try await pg.sql(Self.schema)
            let directory = try TestPaths.temporaryDirectory()
            let config = """
                audit: { path: \(directory)/audit.jsonl }
                policy: { profile: developer }
                servers:
                \(Self.server(pg.url, extra: ["scopes: { read: [list_*, get_object_details], destructive: [execute_sql] }"]))
                """
            let calls = """
                [{"tool": "pg_get_object_details", "arguments": {"schema_name": "public", "object_name": "accounts", "object_type": "table"}},
                 {"tool": "pg_execute_sql", "arguments": {"sql": "ALTER TABLE accounts ADD COLUMN email text"}},
                 {"tool": "pg_execute_sql", "arguments": {"sql": "CREATE INDEX accounts_email ON accounts (email)"}}]
                """
            let declined = try await Self.client(config, calls: calls, elicitation: "decline")
            #expect(declined["results"]?.elements.dropFirst().allSatisfy { $0["isError"]?.bool == true } == true)
            #expect(
                try await pg.sql("SELECT count(*) FROM information_schema.columns WHERE column_name = 'email'") == "0"
            )

            let accepted = try await Self.client(config, calls: calls, elicitation: "accept")
            let asked = try #require(accepted["serverRequests"]?.elements)
            #expect(asked.count == 2, "each statement is asked on its own: \(accepted.text)")
            #expect(
                asked.first?.text.contains("ADD COLUMN email") == true
                    && asked.last?.text.contains("CREATE INDEX") == true
            )
            #expect(
                accepted["results"]?.elements.allSatisfy { $0["isError"]?.bool != true } == true,
                "\(accepted.text)"
            )
            #expect(
                try await pg.sql("SELECT count(*) FROM information_schema.columns WHERE column_name = 'email'") == "1"
            )
            #expect(try await pg.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 'accounts_email'") == "1")

            let approvals = try String(contentsOfFile: directory + "/audit.jsonl", encoding: .utf8).split(
                separator: "\n"
            )
            .map { try JSONSlice.parse(String($0)) }.compactMap {
                $0["event"]?.string == "approval" ? $0["approval"]?.string : nil
            }
            #expect(
                approvals == ["asked", "declined", "asked", "declined", "asked", "accepted", "asked", "accepted"],
                "each statement asked on its own, in both runs"
            )
        }
    }
}
