import CPGQuery
package import MuxgateConfig
import MuxgateWire

/// The second layer of a PostgreSQL `sql: read_only` rule: PostgreSQL's own grammar, through
/// libpg_query (Debian's `libpg-query-dev`, PostgreSQL 15's parser as a library), and a walk of the
/// raw parse tree that allows only what a read is made of.
///
/// The tree must hold one `SelectStmt` (or an `ExplainStmt` of one). Every node in it must be of a
/// kind reads are made of (`nodes`); `SELECT … INTO` and locking clauses are refused; every
/// `FuncCall`'s name (as the parser resolved it: `U&` decoded, unquoted names folded) must be on the
/// safe list or the rule's `functions:`, every operator built-in or in `operators:`, and a
/// `TABLESAMPLE` method `system` or `bernoulli`. Text the parser rejects is refused.
///
/// It runs after the token-level check (`SQLReadOnly.check`), which must pass on its own: the two
/// read the text independently, and both must agree it only reads.
package enum PostgresParseCheck {
    /// Why `sql` is refused by the parse tree, or nil when it passes.
    package static func refusal(_ sql: String, rule: SQLReadOnly.Rule) -> String? {
        let text = PostgresTokenizer.withoutComments(sql) ?? sql
        let result = text.withCString { pg_query_parse($0) }
        defer { pg_query_free_parse_result(result) }
        if let error = result.error {
            let message = error.pointee.message.map { String(cString: $0) } ?? "a syntax error"
            return "PostgreSQL's parser (libpg_query \(PG_MAJORVERSION)) cannot parse it: \(message)"
        }
        let root: JSONSlice
        do {
            root = try JSONSlice.parse(result.parse_tree.map { String(cString: $0) } ?? "")
        } catch {
            return "PostgreSQL's parser's tree could not be read (\(error)), so it is refused"
        }
        let statements = root["stmts"]?.elements ?? []
        guard statements.count == 1, let statement = statements[0]["stmt"] else {
            return "PostgreSQL's parser reads \(statements.count) statements, not one"
        }
        let kind = statement.members.first?.key ?? "nothing"
        guard kind == "SelectStmt" || kind == "ExplainStmt" else {
            return "PostgreSQL's parser reads \(describe(kind)), not a query"
        }
        var walker = Walker(rule: rule)
        walker.walk(statement)
        return walker.refusal.map { "PostgreSQL's parser: \($0)" }
    }

    /// The node kinds of PostgreSQL 15's raw parse trees that queries are made of.
    package static let nodes: Set<String> = [
        "SelectStmt", "ExplainStmt", "DefElem", "ResTarget", "ColumnRef", "A_Star", "A_Const", "String", "Integer",
        "Float", "Boolean", "BitString", "List", "ParamRef", "A_Expr", "BoolExpr", "NullTest", "BooleanTest",
        "SubLink", "CaseExpr", "CaseWhen", "CoalesceExpr", "MinMaxExpr", "SQLValueFunction", "RowExpr",
        "A_ArrayExpr", "A_Indirection", "A_Indices", "TypeCast", "TypeName", "CollateClause", "FuncCall",
        "NamedArgExpr", "GroupingFunc", "GroupingSet", "SortBy", "WindowDef", "RangeVar", "Alias", "RangeSubselect",
        "RangeFunction", "RangeTableSample", "RangeTableFunc", "RangeTableFuncCol", "ColumnDef", "JoinExpr",
        "WithClause", "CommonTableExpr", "CTESearchClause", "CTECycleClause", "XmlExpr", "XmlSerialize",
    ]

    /// Fields that only a write or a lock has.
    package static let deniedFields: [String: String] = [
        "intoClause": "SELECT … INTO creates a table (writes: INTO)",
        "lockingClause": "FOR UPDATE / FOR SHARE locks rows (writes: a lock)",
        "onConflictClause": "ON CONFLICT belongs to a write",
        "returningList": "RETURNING belongs to a write",
    ]

    package static func describe(_ kind: String) -> String {
        switch kind {
        case "InsertStmt": "an INSERT (writes: INSERT)"
        case "UpdateStmt": "an UPDATE (writes: UPDATE)"
        case "DeleteStmt": "a DELETE (writes: DELETE)"
        case "MergeStmt": "a MERGE (writes: MERGE)"
        default: "a \(kind)"
        }
    }

    /// Visits every node of the tree, stopping at the first refusal.
    private struct Walker {
        package let rule: SQLReadOnly.Rule
        package var refusal: String?

        package mutating func walk(_ value: JSONSlice) {
            switch value.kind {
            case .array:
                for element in value.elements where refusal == nil { walk(element) }
            case .object:
                for member in value.members where refusal == nil {
                    if let first = member.key.utf8.first, (0x41...0x5A).contains(first) {
                        node(member.key, member.value)
                    } else if let why = PostgresParseCheck.deniedFields[member.key] {
                        refusal = why
                    } else {
                        walk(member.value)
                    }
                }
            default:
                return
            }
        }

        /// The names in a list of `String` nodes (`funcname`, an operator's `name`).
        private static func names(_ list: JSONSlice?) -> [String] {
            (list?.elements ?? []).compactMap { ($0["String"]?["sval"] ?? $0["String"]?["str"])?.string }
        }

        private mutating func node(_ kind: String, _ body: JSONSlice) {
            guard PostgresParseCheck.nodes.contains(kind) else {
                refusal = "it holds \(PostgresParseCheck.describe(kind)), which a read-only query does not"
                return
            }
            switch kind {
            case "FuncCall":
                let names = Self.names(body["funcname"])
                guard !names.isEmpty else {
                    refusal = "a call whose name it cannot read"
                    return
                }
                refusal = SQLStatementScan.postgresCall(names, written: names.joined(separator: "."), rule: rule)
            case "A_Expr":
                let names = Self.names(body["name"])
                let kind = body["kind"]?.string ?? ""
                if !kind.hasPrefix("AEXPR_BETWEEN"), !kind.hasPrefix("AEXPR_NOT_BETWEEN"), let symbol = names.last {
                    let schema = names.count > 1 ? names[0] : nil
                    refusal = SQLStatementScan.postgresOperator(symbol, schema: schema, rule: rule)
                }
            case "RangeTableSample":
                let method = Self.names(body["method"])
                if method != ["system"], method != ["bernoulli"], method != ["pg_catalog", "system"],
                    method != ["pg_catalog", "bernoulli"]
                {
                    refusal = "TABLESAMPLE \(method.joined(separator: ".")) is no built-in sampling method"
                }
            default:
                break
            }
            if refusal == nil { walk(body) }
        }
    }
}
