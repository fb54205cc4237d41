// PostgreSQL's own parser as a library (Debian's libpg-query-dev: libpg_query, PostgreSQL 15's
// grammar), for the parse-tree layer of a PostgreSQL `sql: read_only` rule.
#include <pg_query.h>
