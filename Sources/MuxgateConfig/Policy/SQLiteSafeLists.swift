import MuxgateWire

/// What `sql: read_only` lets a SQLite query use: the keywords a read needs and the functions known
/// to be free of effects. Anything else is refused; a rule extends them with `keywords:` and
/// `functions:`.
package enum SQLiteSafeLists {
    /// The keywords of `SELECT`, `WITH` and `VALUES` queries (SQLite's `lang_select.html` and
    /// `windowfunctions.html` grammars), and `KEY` (a column of `json_each`) and `TEMP` (the
    /// `temp.` schema). Not here: every writing, DDL and session keyword; `MATCH` and `REGEXP`, which
    /// call the application's `match()` and `regexp()` functions (add them with `keywords:` if those
    /// are known to be pure, e.g. for FTS5's `MATCH`); `EXPLAIN`, `QUERY` and `PLAN`, read only as
    /// the statement's prefix.
    package static let keywords = SQLKeywords.words(
        """
        ALL AND AS ASC BETWEEN BY CASE CAST COLLATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP
        DESC DISTINCT ELSE END ESCAPE EXCEPT EXCLUDE EXISTS FILTER FIRST FOLLOWING FROM FULL GLOB GROUP GROUPS
        HAVING IN INDEXED INNER INTERSECT IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATERIALIZED NATURAL NO NOT
        NOTNULL NULL NULLS OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PRECEDING RANGE RECURSIVE RIGHT ROW
        ROWS SELECT TEMP THEN TIES UNBOUNDED UNION USING VALUES WHEN WHERE WINDOW WITH WITHIN
        """
    )

    /// Functions known to be free of effects, lower case (SQLite compares names ignoring ASCII case,
    /// quoted or not).
    ///
    /// The built-in scalar, aggregate and window functions SQLite marks `SQLITE_INNOCUOUS` (from
    /// `SELECT name FROM pragma_function_list` of SQLite 3.40 with flag 0x200000; `sqlite_log` left
    /// out: it writes to the application's log); SQLite's JSON functions and the ones newer releases
    /// add (`concat`, `unhex`, `timediff`, `string_agg`, `unistr`, `if`, `median`, `percentile*`,
    /// `jsonb*`); FTS auxiliary functions that only read (`bm25`, `highlight`, `snippet`,
    /// `matchinfo`, `offsets`); and the table-valued functions that only read (`json_each`,
    /// `json_tree`, `generate_series` and `pragma_*` of read-only pragmas, below).
    ///
    /// Not here, and refused: `load_extension` (native code), `fts3_tokenizer` (registers a tokenizer
    /// by pointer), the shell's `readfile`, `writefile`, `edit`, `fsdir`, `zipfile`, `sha3_query`
    /// (runs SQL), `shell_*`, `usleep`, and every function an application registers.
    package static let functions = SQLKeywords.words(
        """
        abs acos acosh asin asinh atan atan2 atanh avg ceil ceiling changes char coalesce concat concat_ws cos
        cosh count cume_dist date datetime degrees dense_rank exp first_value floor format glob group_concat
        hex if ifnull iif instr julianday lag last_insert_rowid last_value lead length like likelihood likely
        ln log log10 log2 lower ltrim max median min mod nth_value ntile nullif octet_length percent_rank
        percentile percentile_cont percentile_disc pi pow power printf quote radians random randomblob rank
        replace round row_number rtrim sign sin sinh soundex sqlite_compileoption_get
        sqlite_compileoption_used sqlite_source_id sqlite_version sqrt strftime string_agg substr substring
        subtype sum tan tanh time timediff total total_changes trim trunc typeof unhex unicode unistr
        unistr_quote unixepoch unlikely upper zeroblob
        json json_array json_array_length json_error_position json_extract json_group_array json_group_object
        json_insert json_object json_patch json_pretty json_quote json_remove json_replace json_set json_type
        json_valid jsonb jsonb_array jsonb_extract jsonb_group_array jsonb_group_object jsonb_insert
        jsonb_object jsonb_patch jsonb_remove jsonb_replace jsonb_set
        bm25 highlight snippet matchinfo offsets
        json_each json_tree jsonb_each jsonb_tree generate_series
        """
    ).union(pragmaTables)

    /// The table-valued `pragma_*` functions of pragmas that only report (`pragma.html`): each runs
    /// `PRAGMA name(argument)`. Every other `pragma_*` name is refused wherever it appears, with or
    /// without parentheses: `SELECT * FROM pragma_optimize` runs `PRAGMA optimize`, which writes.
    package static let pragmaTables = SQLKeywords.words(
        """
        pragma_collation_list pragma_compile_options pragma_database_list pragma_foreign_key_list
        pragma_function_list pragma_index_info pragma_index_list pragma_index_xinfo pragma_module_list
        pragma_pragma_list pragma_table_info pragma_table_list pragma_table_xinfo
        """
    )

    /// Keywords that start or make a write, for a plainer refusal ("writes: DELETE").
    package static let writingKeywords = SQLKeywords.words(
        "INSERT UPDATE DELETE REPLACE CREATE DROP ALTER INTO RETURNING"
    )

    /// Keywords of statements that are no query ("not a query: PRAGMA").
    package static let sessionKeywords = SQLKeywords.words(
        "ATTACH DETACH PRAGMA VACUUM REINDEX ANALYZE BEGIN COMMIT ROLLBACK SAVEPOINT RELEASE TRANSACTION"
    )

    /// Why some refused functions are dangerous, for the refusal.
    package static let knownEffects: [String: String] = [
        "load_extension": "it loads native code into the server",
        "fts3_tokenizer": "it registers a tokenizer by memory address",
        "writefile": "it writes a file",
        "readfile": "it reads a file outside the database",
        "edit": "it starts an editor",
        "fsdir": "it lists files outside the database",
        "zipfile": "it reads or writes a zip archive",
        "sha3_query": "it runs SQL given as text",
        "usleep": "it sleeps",
        "sqlite_log": "it writes to the application's log",
    ]
}
