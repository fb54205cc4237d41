#!/usr/bin/env bash
# Smoke test: each reference server starts under the official client and answers one tool call.
# Run after scripts/setup-venv.sh. Prints one line per server to stderr; exit 0 when all pass.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="$ROOT/.venv/bin/python"
CLIENT="$ROOT/Tests/e2e/mcp_client.py"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

git init -q "$TMP/repo"
echo hello >"$TMP/repo/README"
git -C "$TMP/repo" add README
git -C "$TMP/repo" -c user.name=e2e -c user.email=e2e@example.invalid commit -qm init

fail=0
check() { # NAME TOOL JSONARGS -- CMD...
    local name="$1" tool="$2" args="$3"
    shift 4
    local out
    if out="$("$PY" "$CLIENT" --timeout 60 --mode legacy call "$tool" "$args" -- "$@")" &&
        printf '%s' "$out" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["isError"] is False and d["content"] else 1)'; then
        echo "ok   $name: $tool" >&2
    else
        echo "FAIL $name: $tool -> ${out:-<no output>}" >&2
        fail=1
    fi
}

check mcp-server-git git_status "{\"repo_path\":\"$TMP/repo\"}" -- "$ROOT/.venv/bin/mcp-server-git" --repository "$TMP/repo"
check mcp-server-time get_current_time '{"timezone":"UTC"}' -- "$ROOT/.venv/bin/mcp-server-time" --local-timezone UTC
check mcp-server-sqlite list_tables '{}' -- "$ROOT/.venv-sqlite/bin/mcp-server-sqlite" --db-path "$TMP/db.sqlite"
exit "$fail"
