#!/usr/bin/env bash
# `make demo`: muxgate in front of real MCP servers from PyPI (git, time, sqlite, and postgres-mcp
# on a throwaway PostgreSQL cluster when PostgreSQL and Python >= 3.12 are installed),
# driven by the official MCP Python client, exactly as an IDE would drive it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MUXGATE="$ROOT/.build/debug/muxgate"
PY="$ROOT/.venv/bin/python"
[ -x "$MUXGATE" ] || { echo "demo: $MUXGATE is missing (run: make demo)" >&2; exit 1; }
[ -x "$PY" ] || { echo "demo: $PY is missing (run: make demo)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/muxgate-demo.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# A small repository and an empty database for the children to work on.
git init -q -b main "$WORK/app"
echo "# demo app" > "$WORK/app/README.md"
git -C "$WORK/app" -c user.name=Demo -c user.email=demo@example.com add README.md
git -C "$WORK/app" -c user.name=Demo -c user.email=demo@example.com commit -q -m "Initial commit"
echo "print('hello')" > "$WORK/app/main.py"
git -C "$WORK/app" -c user.name=Demo -c user.email=demo@example.com add main.py
git -C "$WORK/app" -c user.name=Demo -c user.email=demo@example.com commit -q -m "Add main.py"

# PostgreSQL, when Debian's postgresql binaries and .venv-postgres (Python >= 3.12) are here: a
# throwaway cluster on a Unix socket (no TCP port, no system service), stopped when the demo ends.
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
PG_MCP="$ROOT/.venv-postgres/bin/postgres-mcp"
PG=""
if [[ -n "$PG_BIN" && -x "$PG_BIN/initdb" && -x "$PG_MCP" ]]; then
    PG="$(mktemp -d "${TMPDIR:-/tmp}/muxgate-demo-pg.XXXXXX")"
    mkdir -p "$PG/socket"
    export PGPASSWORD="demo-$RANDOM$RANDOM$RANDOM"
    echo "$PGPASSWORD" > "$PG/pwfile"
    as=()
    if [[ "$(id -u)" == 0 ]]; then chown -R postgres "$PG"; as=(/usr/sbin/runuser -u postgres --); fi
    PG_PORT=$((40000 + RANDOM % 20000))
    trap '"${as[@]}" "$PG_BIN/pg_ctl" -D "$PG/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$WORK" "$PG"' EXIT
    "${as[@]}" "$PG_BIN/initdb" -D "$PG/data" -U demo --pwfile "$PG/pwfile" -A scram-sha-256 -E UTF8 \
        --no-sync --no-instructions > "$PG/initdb.log"
    "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 60 \
        -o "-c listen_addresses='' -k $PG/socket -p $PG_PORT -c fsync=off" start > /dev/null
    psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG/socket" -p "$PG_PORT" -U demo "$@"; }
    psql -d postgres -c "CREATE DATABASE app"
    psql -d app -c "CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, balance numeric NOT NULL);
        INSERT INTO accounts (name, balance) VALUES ('ada', 100), ('grace', 250), ('linus', 75)"
fi

cat > "$WORK/muxgate.yaml" <<YAML
# The demo's configuration: stdio children behind one muxgate entry.
servers:
  git:
    command: $ROOT/.venv/bin/mcp-server-git
    args: [--repository, "$WORK/app"]
  time:
    command: $ROOT/.venv/bin/mcp-server-time
    args: [--local-timezone, "\${TZ:-UTC}"]
  sqlite:
    command: $ROOT/.venv-sqlite/bin/mcp-server-sqlite
    args: [--db-path, "$WORK/app/dev.db"]
    scopes:                   # this server has no annotations: say what its tools do
      read: [read_query, list_tables, describe_table]
      write: [write_query, create_table, append_insight]
YAML
if [[ -n "$PG" ]]; then
    cat >> "$WORK/muxgate.yaml" <<YAML
  pg:                         # postgres-mcp; the password comes from the environment
    command: $PG_MCP
    args: [--access-mode, unrestricted, "postgresql://demo:\${PGPASSWORD}@/app?host=$PG/socket&port=$PG_PORT"]
    scopes: { read: [execute_sql, explain_query, list_*, get_object_details] }
YAML
fi
cat >> "$WORK/muxgate.yaml" <<YAML
client:
  entry: muxgate
policy:
  profile: developer          # reads and writes run; destructive tools would ask the user
YAML
if [[ -n "$PG" ]]; then
    cat >> "$WORK/muxgate.yaml" <<YAML
  rules:                      # whatever the profile: this tool runs read-only SQL only
    - { tool: pg_execute_sql, argument: sql, sql: read_only, dialect: postgres }
YAML
fi
cat >> "$WORK/muxgate.yaml" <<YAML
audit:
  path: $WORK/audit.jsonl     # hash-chained record of every call and decision
YAML

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }

bold "1. The configuration ($WORK/muxgate.yaml)"
sed -n '2,$p' "$WORK/muxgate.yaml"

bold "2. What the IDE will see: muxgate tools --config muxgate.yaml"
MUXGATE_LOG_LEVEL=warning "$MUXGATE" tools --config "$WORK/muxgate.yaml"

bold "3. The official MCP Python client drives 'muxgate serve' over stdio"
cat > "$WORK/script.json" <<JSON
{"calls": [
  {"tool": "git_log", "arguments": {"repo_path": "$WORK/app", "max_count": 5}},
  {"tool": "time_convert_time", "arguments": {"source_timezone": "UTC", "time": "09:30", "target_timezone": "Asia/Tokyo"}},
  {"tool": "sqlite_create_table", "arguments": {"query": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"}},
  {"tool": "sqlite_write_query", "arguments": {"query": "INSERT INTO notes (body) VALUES ('routed through muxgate')"}},
  {"tool": "sqlite_read_query", "arguments": {"query": "SELECT * FROM notes"}},
  {"tool": "git_reset", "arguments": {"repo_path": "$WORK/app"}},
JSON
if [[ -n "$PG" ]]; then
    cat >> "$WORK/script.json" <<'JSON'
  {"tool": "pg_execute_sql", "arguments": {"sql": "SELECT name, balance FROM accounts ORDER BY balance DESC"}},
  {"tool": "pg_execute_sql", "arguments": {"sql": "UPDATE accounts SET balance = 0"}},
  {"tool": "pg_execute_sql", "arguments": {"sql": "SELECT 1; /* $$ */ DROP TABLE accounts"}},
JSON
fi
cat >> "$WORK/script.json" <<'JSON'
  {"tool": "git_does_not_exist", "arguments": {}}
]}
JSON
MUXGATE_LOG_LEVEL=warning "$PY" "$ROOT/Tests/e2e/mcp_client.py" script "$WORK/script.json" -- \
    "$MUXGATE" serve --config "$WORK/muxgate.yaml" > "$WORK/report.json"
"$PY" - "$WORK/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"negotiated protocol {report['protocolVersion']} with {report['serverInfo']['name']}; {len(report['tools'])} tools listed")
for result in report["results"]:
    if result.get("error"):
        outcome = f"JSON-RPC error {result['error']['code']}: {result['error']['message']}"
    else:
        text = " ".join(c.get("text", "") for c in result.get("content") or [])
        outcome = ("tool error: " if result.get("isError") else "") + " ".join(text.split())[:110]
    print(f"  {result['tool']:<22} -> {outcome}")
PY

if [[ -n "$PG" ]]; then
    echo "  (PostgreSQL: the refused statements never reached the server: $(psql -d app -A -t -c "SELECT count(*) || ' accounts, total ' || sum(balance) FROM accounts"))"
else
    echo "  (PostgreSQL left out: it needs Debian's postgresql package and .venv-postgres, which needs Python >= 3.12)"
fi

bold "4. The audit trail: muxgate audit summary, then verify"
"$MUXGATE" audit summary "$WORK/audit.jsonl" | sed -n '1,12p'
"$MUXGATE" audit verify "$WORK/audit.jsonl"

bold "5. Add it to Claude Code"
echo "  make release   # the optimised, self-contained binary"
echo "  claude mcp add muxgate -- $ROOT/.build/release/muxgate serve --config /path/to/muxgate.yaml"
