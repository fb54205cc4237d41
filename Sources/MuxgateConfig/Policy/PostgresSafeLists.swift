import MuxgateWire

/// What `sql: read_only` with `dialect: postgres` lets a query use: the keywords a read needs, the
/// functions known to be free of effects, the built-in operators. Anything else is refused; a rule
/// extends them with `keywords:`, `functions:` and `operators:`.
package enum PostgresSafeLists {
    /// The keywords of `SELECT`, `WITH`, `VALUES` and `TABLE` queries (the `SelectStmt` and
    /// `a_expr` productions of `src/backend/parser/gram.y`): clauses, joins, set operations, window
    /// frames, CTE `SEARCH`/`CYCLE`, `TABLESAMPLE`, the SQL-standard functions written as syntax
    /// (`CAST`, `COALESCE`, `EXTRACT`, `POSITION`, `SUBSTRING`, `TRIM`, `OVERLAY`, `XML*`, `JSON*`),
    /// the built-in type names, the `CURRENT_*` values, and a few inert words common as column names
    /// (`NAME`, `VALUE`, `TYPE`, `TEXT`, `DATA`, `LEVEL`, `MODE`, `KEY`, `LABEL`, `SOURCE`,
    /// `TARGET`, `VERSION`).
    ///
    /// Not here: every writing, DDL, locking and session keyword — `INTO` (`SELECT INTO` creates a
    /// table), `UPDATE` and `SHARE` (`FOR UPDATE`, `FOR KEY SHARE` lock rows), `INSERT`, `DELETE`,
    /// `MERGE` (data-modifying CTEs), `OPERATOR` (`OPERATOR(schema.op)` names any operator) — and the
    /// EXPLAIN options, read only in the statement's prefix.
    package static let keywords = SQLKeywords.words(
        """
        ABSENT ALL AND ANY ARRAY AS ASC ASYMMETRIC AT BETWEEN BIGINT BIT BOOLEAN BOTH BREADTH BY CASE CAST CHAR
        CHARACTER COALESCE COLLATE COLLATION COLUMNS CONDITIONAL CONTENT CROSS CUBE CURRENT CURRENT_CATALOG
        CURRENT_DATE CURRENT_ROLE CURRENT_SCHEMA CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CYCLE DATA DAY
        DEC DECIMAL DEPTH DESC DISTINCT DOCUMENT DOUBLE ELSE EMPTY ENCODING END ERROR ESCAPE EXCEPT EXCLUDE
        EXISTS EXTRACT FALSE FETCH FILTER FIRST FLOAT FOLLOWING FOR FORMAT FROM FULL GREATEST GROUP GROUPING
        GROUPS HAVING HOUR ILIKE IN INDENT INNER INT INTEGER INTERSECT INTERVAL IS ISNULL JOIN JSON JSON_ARRAY
        JSON_ARRAYAGG JSON_EXISTS JSON_OBJECT JSON_OBJECTAGG JSON_QUERY JSON_SCALAR JSON_SERIALIZE JSON_TABLE
        JSON_VALUE KEEP KEY KEYS LAST LATERAL LEADING LEAST LEFT LEVEL LIKE LIMIT LOCAL LOCALTIME
        LABEL LOCALTIMESTAMP MATERIALIZED MINUTE MODE MONTH NAME NATIONAL NATURAL NCHAR NESTED NEXT NFC NFD NFKC NFKD
        NO NORMALIZE NORMALIZED NOT NOTNULL NULL NULLIF NULLS NUMERIC OBJECT OFFSET OMIT ON ONLY OR ORDER
        ORDINALITY OTHERS OUTER OVER OVERLAPS OVERLAY PARTITION PASSING PATH PLACING POSITION PRECEDING
        PRECISION PRESERVE QUOTES RANGE REAL RECURSIVE REF REPEATABLE RETURNING RIGHT ROLLUP ROW ROWS SCALAR
        SEARCH SECOND SELECT SOURCE SESSION_USER SET SETS SIMILAR SMALLINT SOME STANDALONE STRING STRIP SUBSTRING
        SYMMETRIC SYSTEM SYSTEM_USER TABLE TABLESAMPLE TARGET TEXT THEN TIES TIME TIMESTAMP TO TRAILING TRIM TRUE TYPE
        UNBOUNDED UNCONDITIONAL UNION UNIQUE UNKNOWN USER USING VALUE VALUES VARCHAR VARIADIC VARYING VERSION
        WHEN WHERE WHITESPACE WINDOW WITH WITHIN WITHOUT WRAPPER XMLATTRIBUTES XMLCONCAT XMLELEMENT XMLEXISTS
        XMLFOREST XMLNAMESPACES XMLPARSE XMLPI XMLROOT XMLSERIALIZE XMLTABLE YEAR YES ZONE
        """
    )

    /// Functions known to be free of effects: `catalogFunctions` (generated, see there) and
    /// `vettedFunctions`. Compared with the name as PostgreSQL resolves it (an unquoted name folded
    /// to lower case, a quoted one exactly), unqualified or qualified by `pg_catalog`.
    package static let functions = catalogFunctions.union(vettedFunctions)

    /// Volatile functions of PostgreSQL 15's `pg_catalog` read by hand and known to change nothing:
    /// random values, the clock, sequence *reads*, relation sizes, lock and partition reports. Only
    /// names the catalog has: a name it lacks could be a function of the user's. (`TABLESAMPLE`'s
    /// built-in methods `system` and `bernoulli` are functions too, allowed right after
    /// `TABLESAMPLE` only.)
    package static let vettedFunctions = SQLKeywords.words(
        """
        random clock_timestamp timeofday gen_random_uuid currval lastval pg_sequence_last_value
        pg_is_in_recovery pg_relation_size pg_table_size pg_total_relation_size pg_indexes_size pg_database_size
        pg_tablespace_size pg_blocking_pids pg_partition_tree pg_partition_ancestors current_query pg_jit_available
        pg_current_wal_lsn
        """
    )

    /// Stable functions left out of `catalogFunctions`: `txid_current` and `pg_current_xact_id` assign
    /// a transaction id (they write), and the `*_to_xml*` family runs queries built from its
    /// arguments. (`query_to_xml`, `cursor_to_xml` and `ts_stat`, which run SQL given as text, are
    /// volatile and so never in the list.)
    package static let excludedFunctions = SQLKeywords.words(
        """
        txid_current pg_current_xact_id database_to_xml database_to_xml_and_xmlschema database_to_xmlschema
        schema_to_xml schema_to_xml_and_xmlschema schema_to_xmlschema table_to_xml table_to_xml_and_xmlschema
        table_to_xmlschema
        """
    )

    /// PostgreSQL 15's built-in operator names (`SELECT DISTINCT oprname FROM pg_operator` on a fresh
    /// cluster), and the syntax operators `::`, `:=`, `=>`, `:` (array slices). A name outside the
    /// list can only be a user-defined operator, which calls a function of the user's.
    package static let operators = SQLKeywords.words(
        """
        !! !~ !~* !~~ !~~* # ## #- #> #>> % & && &< &<| &> * *< *<= *<> *= *> *>= + - -> ->> -|- / < <-> <<
        <<= <<| <= <> <@ <^ = > >= >> >>= >^ ? ?# ?& ?- ?-| ?| ?|| @ @-@ @> @? @@ @@@ ^ ^@ | |&> |/ |>> ||
        ||/ ~ ~* ~<=~ ~<~ ~= ~>=~ ~>~ ~~ ~~* :: := => :
        """
    )

    /// Keywords that start or make a write, for a plainer refusal ("writes: DELETE").
    package static let writingKeywords = SQLKeywords.words(
        """
        INSERT UPDATE DELETE MERGE UPSERT CREATE DROP ALTER INTO TRUNCATE COPY GRANT REVOKE COMMENT REFRESH
        REINDEX CLUSTER VACUUM IMPORT REASSIGN SECURITY SHARE NOWAIT LOCKED
        """
    )

    /// Why some refused functions are dangerous, by name or name prefix, for the refusal.
    package static let knownEffects: [(prefix: String, why: String)] = [
        ("nextval", "it advances a sequence"), ("setval", "it sets a sequence"),
        ("lo_", "it reads or writes large objects (and files on the server)"),
        ("lowrite", "it writes a large object"), ("loread", "it reads a large object"),
        ("pg_advisory", "it takes an advisory lock"), ("pg_try_advisory", "it takes an advisory lock"),
        ("set_config", "it changes a setting"), ("setseed", "it changes the session's random seed"),
        ("pg_notify", "it sends a notification"), ("pg_sleep", "it sleeps"),
        ("query_to_xml", "it runs SQL given as text"), ("cursor_to_xml", "it reads a cursor (and moves it)"),
        ("ts_stat", "it runs SQL given as text"), ("table_to_xml", "it runs a query built from its arguments"),
        ("schema_to_xml", "it runs queries built from its arguments"),
        ("database_to_xml", "it runs queries built from its arguments"),
        ("dblink", "it runs SQL over another connection"),
        ("pg_read_", "it reads files on the server"), ("pg_ls_", "it lists files on the server"),
        ("pg_stat_file", "it reads files on the server"), ("pg_file_", "it writes files on the server"),
        ("pg_terminate_backend", "it ends another session"), ("pg_cancel_backend", "it cancels another query"),
        ("txid_current", "it assigns a transaction id"), ("pg_current_xact_id", "it assigns a transaction id"),
        ("pg_reload_conf", "it reloads the server's configuration"), ("pg_stat_reset", "it resets statistics"),
        ("pg_create_", "it creates server objects"), ("pg_drop_", "it drops server objects"),
        ("pg_logical_", "it touches logical replication"), ("pg_replication_origin", "it touches replication"),
        ("pg_switch_wal", "it forces a WAL switch"), ("pg_promote", "it promotes a standby"),
    ]
}
