#!/usr/bin/env bash
# `make demo`: muxgate in front of three real MCP servers from PyPI (git, time, sqlite),
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

cat > "$WORK/muxgate.yaml" <<YAML
# The demo's configuration: three stdio children behind one muxgate entry.
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
client:
  entry: muxgate
policy:
  profile: developer          # reads and writes run; destructive tools would ask the user
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

bold "4. The audit trail: muxgate audit summary, then verify"
"$MUXGATE" audit summary "$WORK/audit.jsonl" | sed -n '1,12p'
"$MUXGATE" audit verify "$WORK/audit.jsonl"

bold "5. Add it to Claude Code"
echo "  make release   # the optimised, self-contained binary"
echo "  claude mcp add muxgate -- $ROOT/.build/release/muxgate serve --config /path/to/muxgate.yaml"
