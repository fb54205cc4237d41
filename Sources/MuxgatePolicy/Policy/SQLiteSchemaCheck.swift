import CSQLite
package import MuxgateConfig
import MuxgateWire

/// The second layer of a SQLite `sql: read_only` rule that names its database (`database:`):
/// SQLite's own parser prepares the query against the real schema — never runs it.
///
/// The file is opened read-only, and while the statement is prepared an authorizer allows only
/// reading (`SQLITE_SELECT`, `SQLITE_READ`, `SQLITE_RECURSIVE`), the functions on the safe lists
/// (also those a view calls), and the schema lookups SQLite makes for table-valued functions; it
/// denies everything else. The statement must then be the whole text (nothing but comments after
/// it) and `sqlite3_stmt_readonly` must hold. A file that cannot be opened, or a query that does not
/// prepare (an unknown table), is refused: where muxgate cannot be sure, it refuses.
///
/// It runs after the token-level check (`SQLReadOnly`), which must pass on its own.
package enum SQLiteSchemaCheck {
    /// What the authorizer saw that it denied.
    private final class Denials {
        package let functions: Set<String>
        package var reasons: [String] = []

        package init(functions: Set<String>) { self.functions = functions }
    }

    /// Why `sql` is refused when SQLite prepares it against `database`, or nil when it passes.
    package static func refusal(_ sql: String, database: String, rule: SQLReadOnly.Rule) -> String? {
        var connection: OpaquePointer?
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(database, &connection, flags, nil) == SQLITE_OK, let connection else {
            let why = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(connection)
            return "SQLite cannot open the rule's database \(database) read-only (\(why)); "
                + "database: must name the server's SQLite file"
        }
        defer { sqlite3_close_v2(connection) }
        sqlite3_busy_timeout(connection, 2000)
        let denials = Denials(functions: SQLiteSafeLists.functions.union(rule.functions))
        let context = Unmanaged.passRetained(denials)
        defer { context.release() }
        sqlite3_set_authorizer(connection, authorize, context.toOpaque())

        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let status = sql.withCString { sqlite3_prepare_v2(connection, $0, -1, &statement, &tail) }
        defer { sqlite3_finalize(statement) }
        let rest = tail.map { String(cString: $0) } ?? ""
        if let denied = denials.reasons.first {
            return "SQLite's parser, against \(database), \(denied)"
        }
        guard status == SQLITE_OK, let statement else {
            return "SQLite cannot prepare it against \(database): \(String(cString: sqlite3_errmsg(connection)))"
        }
        guard case .success(let more) = SQLTokenizer.tokenize(rest, dialect: .sqlite),
            more.allSatisfy({ $0.kind == .semicolon })
        else {
            return "SQLite's parser, against \(database), reads more than one statement"
        }
        guard sqlite3_stmt_readonly(statement) != 0 else {
            return "SQLite's parser, against \(database), says the statement writes"
        }
        return nil
    }

    /// The authorizer: reading, the safe functions, and table-valued functions' schema lookups only.
    private static let authorize:
        @convention(c) (
            UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
            UnsafePointer<CChar>?
        ) -> Int32 = { context, action, first, second, _, _ in
            guard let context else { return SQLITE_DENY }
            let denials = Unmanaged<Denials>.fromOpaque(context).takeUnretainedValue()
            let name = first.map { String(cString: $0) }
            switch action {
            case SQLITE_SELECT, SQLITE_READ, SQLITE_RECURSIVE:
                return SQLITE_OK
            case SQLITE_FUNCTION:
                let function = second.map { asciiLowercased(String(cString: $0)) } ?? ""
                if denials.functions.contains(function) { return SQLITE_OK }
                denials.reasons.append(
                    "calls \(function)(), which is not on the list of SQLite functions known to be free of effects "
                        + "(a view may call it); if it is free of effects, add '\(function)' to the rule's functions:"
                )
                return SQLITE_DENY
            case SQLITE_UPDATE where name == "sqlite_master" || name == "sqlite_schema":
                // A table-valued function's first use declares its table: no write reaches the file,
                // and sqlite3_stmt_readonly still has to hold.
                return SQLITE_OK
            default:
                denials.reasons.append(
                    "does more than read (SQLite authorizer action \(action)\(name.map { " on \($0)" } ?? ""))"
                )
                return SQLITE_DENY
            }
        }
}
