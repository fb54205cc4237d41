// The system's SQLite (Debian's libsqlite3-dev), for the optional `database:` layer of a SQLite
// `sql: read_only` rule: SQLite's own parser prepares the query against the real schema.
#include <sqlite3.h>
