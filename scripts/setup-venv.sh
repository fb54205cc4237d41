#!/usr/bin/env bash
# Creates the project-local Python environments used by the end-to-end tests and the demo.
#
# Fixed paths (relative to the project root) — the contract other code relies on:
#   .venv/bin/python                   official MCP Python SDK (mcp 2.x) — runs Tests/e2e/mcp_client.py;
#                                      opentelemetry-proto for the tests' OTLP collector
#   .venv/bin/mcp-server-git           reference server (needs mcp>=2.3,<3, so it shares .venv)
#   .venv/bin/mcp-server-time          reference server (needs mcp>=2.3,<3, so it shares .venv)
#   .venv-sqlite/bin/mcp-server-sqlite reference server (built on the mcp 1.x API; needs mcp<2)
#   .venv-proxy/bin/mcp-proxy          a maintained stdio <-> HTTP bridge (mcp-proxy 0.13 needs mcp<2),
#                                      to put a stdio server behind Streamable HTTP and SSE in tests
#   .venv-agent/bin/python             an agent framework as a client: LangChain's MCP adapter
#                                      (langchain-mcp-adapters 0.3 needs mcp<2) — runs Tests/e2e/agent_client.py
#   .venv-postgres/bin/postgres-mcp    a maintained PostgreSQL server (postgres-mcp 0.3 needs Python
#                                      >= 3.12 and mcp<2); left out, with a note, when no Python >= 3.12
#                                      is found (PG_PYTHON, python3.13, python3.12, pyenv's versions)
#
# Idempotent and fast when nothing changed: each venv holds a stamp file with the
# exact requirement list (and interpreter version) it was built from; a venv is
# rebuilt from scratch only when that stamp differs or an expected executable is missing.
# Only PyPI is needed. Progress goes to stderr; stdout gets one final "venv ready: ..." line.
#
# Environment:
#   PYTHON   interpreter used to create the venvs (default: python3; needs >= 3.10)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"

# Exact versions, verified together (mcp-server-git/time 2026.10.19 require mcp>=2.3,<3).
MAIN_REQUIREMENTS=(
    "mcp==2.3.0"
    "mcp-server-git==2026.10.19"
    "mcp-server-time==2026.10.19"
    # The OTLP messages the tests' collector decodes (Tests/e2e/otlp_receiver.py).
    "opentelemetry-proto==1.45.2"
    "protobuf==6.33.6"
)
# mcp-server-sqlite 2025.4.25 imports the mcp 1.x server API (requires mcp[cli]>=1.6.0).
SQLITE_REQUIREMENTS=(
    "mcp==1.30.0"
    "mcp-server-sqlite==2025.4.25"
)
# mcp-proxy 0.13.0 imports the mcp 1.x server API.
PROXY_REQUIREMENTS=(
    "mcp==1.30.0"
    "mcp-proxy==0.13.0"
)
# langchain-mcp-adapters 0.3.2 requires mcp>=1.x,<2; langchain-core as it resolved with it.
AGENT_REQUIREMENTS=(
    "mcp==1.30.0"
    "langchain-mcp-adapters==0.3.2"
    "langchain-core==1.8.3"
)
# postgres-mcp 0.3.0 imports the mcp 1.x server API and pins pglast==7.2.0, a version PyPI's index
# here does not serve: its dependencies are installed as listed with pglast 7.22 (the same 7.x
# parser), then postgres-mcp itself without dependency resolution ("nodeps:").
POSTGRES_REQUIREMENTS=(
    "mcp[cli]==1.30.0"
    "attrs==26.1.0"
    "humanize==4.17.0"
    "instructor==1.17.0"
    "pglast==7.22"
    "psycopg[binary]==3.3.9"
    "psycopg-pool==3.3.3"
    "nodeps:postgres-mcp==0.3.0"
)

log() { printf 'setup-venv: %s\n' "$*" >&2; }

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    log "error: $PYTHON not found (install python3 and python3-venv)"
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
    log "error: $("$PYTHON" --version 2>&1) is too old; mcp needs Python >= 3.10"
    exit 1
fi

# Serialize concurrent runs (e.g. parallel test processes) on the same checkout.
if command -v flock >/dev/null 2>&1; then
    LOCK="${TMPDIR:-/tmp}/muxgate-setup-venv-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1).lock"
    exec 9>"$LOCK"
    flock 9
fi

# ensure_venv DIR EXECUTABLE... -- REQUIREMENT...   (VENV_PYTHON overrides PYTHON for this one)
ensure_venv() {
    local python="${VENV_PYTHON:-$PYTHON}"
    local version
    version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
    local dir="$ROOT/$1"
    shift
    local executables=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do
        executables+=("$1")
        shift
    done
    shift
    local stamp="$dir/.muxgate-requirements"
    local wanted
    wanted="$(printf 'python %s\n' "$version"; printf '%s\n' "$@")"

    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        local ok=1 exe
        for exe in "${executables[@]}"; do
            [[ -x "$dir/bin/$exe" ]] || ok=0
        done
        if [[ $ok == 1 ]] && "$dir/bin/python" -c '' 2>/dev/null; then
            log "${dir#"$ROOT"/} up to date"
            return 0
        fi
    fi

    log "building ${dir#"$ROOT"/} ($*)"
    rm -rf "$dir"
    if ! "$python" -m venv "$dir" >&2; then
        log "error: '$python -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
        return 1
    fi
    local resolved=() unresolved=() requirement
    for requirement in "$@"; do
        if [[ "$requirement" == nodeps:* ]]; then unresolved+=("${requirement#nodeps:}"); else resolved+=("$requirement"); fi
    done
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$dir/bin/python" -m pip install --quiet --no-input "${resolved[@]}" >&2
    if [[ ${#unresolved[@]} -gt 0 ]]; then
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$dir/bin/python" -m pip install --quiet --no-input --no-deps \
            "${unresolved[@]}" >&2
    fi
    local exe
    for exe in "${executables[@]}"; do
        if [[ ! -x "$dir/bin/$exe" ]]; then
            log "error: $dir/bin/$exe missing after install"
            return 1
        fi
    done
    if ! "$dir/bin/python" -c 'import mcp, mcp.client.stdio'; then
        log "error: the mcp package does not import in ${dir#"$ROOT"/}"
        return 1
    fi
    printf '%s' "$wanted" >"$stamp"
    log "built ${dir#"$ROOT"/}"
}

# Both environments are independent: build them concurrently.
ensure_venv .venv python mcp-server-git mcp-server-time -- "${MAIN_REQUIREMENTS[@]}" &
main_pid=$!
ensure_venv .venv-sqlite python mcp-server-sqlite -- "${SQLITE_REQUIREMENTS[@]}" &
sqlite_pid=$!
ensure_venv .venv-proxy python mcp-proxy -- "${PROXY_REQUIREMENTS[@]}" &
proxy_pid=$!
ensure_venv .venv-agent python -- "${AGENT_REQUIREMENTS[@]}" &
agent_pid=$!
# postgres-mcp needs Python >= 3.12: the first one found.
postgres_python=""
for candidate in "${PG_PYTHON:-}" python3.13 python3.12 "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3; do
    [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
        postgres_python="$candidate"
        break
    fi
done
postgres_pid=""
if [[ -n "$postgres_python" ]]; then
    VENV_PYTHON="$postgres_python" ensure_venv .venv-postgres python postgres-mcp -- "${POSTGRES_REQUIREMENTS[@]}" &
    postgres_pid=$!
else
    log "note: no Python >= 3.12 (set PG_PYTHON): .venv-postgres with postgres-mcp is left out"
fi

status=0
wait "$main_pid" || status=1
wait "$sqlite_pid" || status=1
wait "$proxy_pid" || status=1
wait "$agent_pid" || status=1
if [[ -n "$postgres_pid" ]]; then wait "$postgres_pid" || status=1; fi
if [[ $status != 0 ]]; then
    log "error: environment setup failed"
    exit 1
fi

echo "venv ready: $ROOT/.venv $ROOT/.venv-sqlite $ROOT/.venv-proxy $ROOT/.venv-agent${postgres_pid:+ $ROOT/.venv-postgres}"
