package import MuxgateConfig
import MuxgateWire

/// A rule's layers together.
extension SQLReadOnly {
    /// Checks one text with every layer the rule has: the token-level check (`check`), then
    /// PostgreSQL's own parser (`PostgresParseCheck`, always for `dialect: postgres`) or SQLite's
    /// own parser against the rule's `database:` (`SQLiteSchemaCheck`). The first refusal wins.
    package static func checkAllLayers(_ sql: String, rule: Rule) -> Verdict {
        if case .refused(let why) = check(sql, rule: rule) { return .refused(why) }
        switch rule.dialect {
        case .postgres:
            if let why = PostgresParseCheck.refusal(sql, rule: rule) { return .refused(why) }
        case .sqlite:
            if let database = rule.database, let why = SQLiteSchemaCheck.refusal(sql, database: database, rule: rule) {
                return .refused(why)
            }
        }
        return .readOnly
    }
}
