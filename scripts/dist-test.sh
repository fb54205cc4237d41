#!/usr/bin/env bash
# `make dist-test`: installs what `make dist` put in dist/ the way a user would, and runs it.
#   checksums  dist/SHA256SUMS and the tarball's own SHA256SUMS verify, and a changed byte fails them
#   model      in every package the discovery model is the checked file, in the directory of the
#              running binary's /proc/PID/exe (the tarball's, the wheel's behind its `muxgate`
#              command, the .deb's behind /usr/bin/muxgate)
#   wheel      its tag is the one auditwheel finds for the binary; pip into a fresh venv, uvx,
#              uv tool and pipx each give a `muxgate` that reports this version and commit (and the
#              last two put only `muxgate` on PATH, and uninstall it); the pip-installed one serves a
#              real session: the official MCP client lists mcp-server-time's tools through it and
#              calls one, and the audit trail it wrote verifies; its SQL read-only check runs the
#              SQLite and libpg_query linked into it
#   deb        its Depends names the package of every library the binary links; dpkg installs it
#              into a scratch root (its own dpkg database), the installed binary runs `--version`
#              and `check`, and dpkg removes it leaving no file behind
# Needs: make dist (dist/, .venv-dist) and make venv (.venv with the client and mcp-server-time).
# Ends with "dist-test: N passed, M failed"; exits 1 when anything failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
passed=0
failed=0
ok() {
    printf 'ok    %s\n' "$1"
    passed=$((passed + 1))
}
bad() {
    printf 'FAIL  %s\n' "$1"
    [[ -n "${2:-}" ]] && printf '%s\n' "$2" | sed 's/^/      /'
    failed=$((failed + 1))
}
# check NAME COMMAND...: passes when COMMAND exits 0 (its output is shown when it does not).
check() {
    local name="$1" out
    shift
    if out="$("$@" 2>&1)"; then ok "$name"; else bad "$name" "$out"; fi
}
die() {
    printf 'dist-test: %s\n' "$*" >&2
    exit 2
}

VENV=.venv-dist
[[ -x "$VENV/bin/python" ]] || die "$VENV is missing: run make dist"
[[ -x .venv/bin/python && -x .venv/bin/mcp-server-time ]] || die ".venv is missing: run make venv"
version="$(sed -n 's/^let muxgateVersion = "\([^"]*\)"$/\1/p' Package.swift)"
commit="$(sed -n 's/^#define MUXGATE_COMMIT "\(.*\)"$/\1/p' Sources/CMuxgateCommit/commit.generated.h)"
expected="muxgate $version (commit $commit)"
wheel="$(ls dist/muxgate-"$version"-py3-none-*.whl 2>/dev/null | head -1)"
tarball="$(ls dist/muxgate-"$version"-linux-*.tar.gz 2>/dev/null | head -1)"
deb="$(ls dist/muxgate_"$version"_*.deb 2>/dev/null | head -1)"
[[ -f "$wheel" && -f "$tarball" && -f "$deb" && -f dist/SHA256SUMS ]] || die "dist/ is incomplete: run make dist"

# The commit the binary reports is the checkout's (the Makefile wrote it before building).
head="$(git rev-parse --short HEAD)"
if [[ "$commit" == "$head" || "$commit" == "$head-dirty" ]]; then ok "the packaged commit is HEAD ($commit)"; else
    bad "the packaged commit is HEAD" "build-info says $commit, HEAD is $head"
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/muxgate-dist-test.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
MODEL_NAME=all-MiniLM-L6-v2.q8.mxemb
model_sha256="$(sed -n 's/^ *\[q8\]="\([0-9a-f]\{64\}\)"$/\1/p' scripts/setup-model.sh)"
printf 'servers: {}\naudit: { enabled: false }\n' >"$TMP/empty.yaml"

# model_beside NAME COMMAND...: starts `COMMAND serve` on a configuration without servers, waits for
# its answer to `initialize` (by then whatever launcher was in front of it has become the binary),
# and checks that the model beside /proc/PID/exe, the path the binary runs from, is the checked file.
model_beside() {
    local name="$1" pid exe answer input
    shift
    coproc SERVE { exec "$@" serve --config "$TMP/empty.yaml" 2>"$TMP/model-beside.stderr"; }
    pid=$SERVE_PID
    input=${SERVE[1]}
    printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"dist-test","version":"1"}}}' >&"${SERVE[1]}"
    IFS= read -r -t 60 answer <&"${SERVE[0]}"
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null)"
    exec {input}>&-
    wait "$pid" 2>/dev/null
    if [[ "$answer" != *'"serverInfo"'* ]]; then
        bad "$name: the binary beside its model answers initialize" "$answer $(cat "$TMP/model-beside.stderr")"
    elif [[ "$(sha256sum "$(dirname "$exe")/$MODEL_NAME" 2>/dev/null | cut -d' ' -f1)" == "$model_sha256" ]]; then
        ok "$name: runs $exe, the model beside it"
    else bad "$name: the model beside the running binary" "exe $exe; $(ls -l "$(dirname "$exe")" 2>&1)"; fi
}

# --- checksums ---
check "dist/SHA256SUMS verifies the wheel, the tarball and the .deb" \
    bash -c 'cd dist && sha256sum --strict -c SHA256SUMS && [ "$(wc -l <SHA256SUMS)" = 3 ]'
mkdir -p "$TMP/tar"
tar -C "$TMP/tar" -xzf "$tarball"
top="$TMP/tar/$(basename "$tarball" .tar.gz)"
check "the tarball holds muxgate, the model, README.md, the notices and SHA256SUMS in $(basename "$top")/" \
    test -x "$top/muxgate" -a -f "$top/$MODEL_NAME" -a -f "$top/README.md" -a -f "$top/SHA256SUMS" \
    -a -f "$top/THIRD-PARTY-NOTICES.md" -a -f "$top/licenses/all-MiniLM-L6-v2.Apache-2.0.txt"
check "the tarball's SHA256SUMS verifies its files" bash -c "cd '$top' && sha256sum --strict -c SHA256SUMS"
printf 'x' >>"$top/README.md"
if (cd "$top" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
    bad "a changed byte fails the tarball's SHA256SUMS"
else ok "a changed byte fails the tarball's SHA256SUMS"; fi
out="$("$top/muxgate" --version 2>&1)"
[[ "$out" == "$expected" ]] && ok "the tarball's muxgate --version: $out" || bad "the tarball's muxgate --version" "$out"
model_beside "the tarball's muxgate" "$top/muxgate"

# --- the wheel ---
platform="$(basename "$wheel" .whl)"
platform="${platform#muxgate-"$version"-py3-none-}"
audit="$("$VENV/bin/auditwheel" show "$wheel" 2>&1)"
if grep -q "consistent with the following platform tag: \"$platform\"" <<<"$(tr '\n' ' ' <<<"$audit" | tr -s ' ')"; then
    ok "auditwheel finds the wheel's tag ($platform) is the binary's"
else bad "auditwheel finds the wheel's tag ($platform) is the binary's" "$audit"; fi

python3 -m venv "$TMP/venv"
check "pip installs the wheel into a fresh venv" \
    env PIP_DISABLE_PIP_VERSION_CHECK=1 "$TMP/venv/bin/python" -m pip install --no-index --quiet "$wheel"
out="$("$TMP/venv/bin/muxgate" --version 2>&1)"
[[ "$out" == "$expected" ]] && ok "the venv's bin/muxgate --version: $out" || bad "the venv's bin/muxgate --version" "$out"
package="$("$TMP/venv/bin/python" -c 'import muxgate, os; print(os.path.dirname(muxgate.__file__))')"
[[ "$(head -c 4 "$package/bin/muxgate" | od -An -c | tr -d ' ')" == '177ELF' && -f "$package/bin/$MODEL_NAME" ]] \
    && ok "the wheel's package holds the binary and the model in bin/" \
    || bad "the wheel's package holds the binary and the model in bin/" "$(ls -l "$package" "$package/bin" 2>&1)"
model_beside "the venv's muxgate command" "$TMP/venv/bin/muxgate"
out="$("$TMP/venv/bin/python" -m muxgate --version 2>&1)"
[[ "$out" == "$expected" ]] && ok "python -m muxgate --version: $out" || bad "python -m muxgate --version" "$out"

# A real session through the pip-installed muxgate: the official client, a real reference server.
cat >"$TMP/muxgate.yaml" <<EOF
servers:
  time:
    command: $ROOT/.venv/bin/mcp-server-time
    args: [--local-timezone, UTC]
audit: { path: $TMP/audit.jsonl }
EOF
printf '{"calls": [{"tool": "time_get_current_time", "arguments": {"timezone": "UTC"}}]}\n' >"$TMP/calls.json"
if session="$(.venv/bin/python Tests/e2e/mcp_client.py --timeout 60 script "$TMP/calls.json" \
    -- "$TMP/venv/bin/muxgate" serve --config "$TMP/muxgate.yaml" 2>"$TMP/serve.stderr")"; then
    verdict="$(.venv/bin/python - "$session" <<'EOF'
import json, sys
out = json.loads(sys.argv[1])
names = [t["name"] for t in out["tools"]]
problems = []
if out["serverInfo"]["name"] != "muxgate":
    problems.append(f"serverInfo is {out['serverInfo']}")
if "time_get_current_time" not in names or "time_convert_time" not in names:
    problems.append(f"tools listed: {names}")
result = out["results"][0] if out["results"] else {}
text = json.dumps(result.get("content"))
if result.get("isError") or result.get("error") or "UTC" not in text:
    problems.append(f"call result: {json.dumps(result)}")
print("; ".join(problems))
EOF
)"
    [[ -z "$verdict" ]] && ok "serve: the official client lists time_* and calls time_get_current_time" \
        || bad "serve: the official client lists time_* and calls time_get_current_time" "$verdict"
else
    bad "serve: the official client's session through the installed muxgate" "$session $(tail -20 "$TMP/serve.stderr")"
fi
if grep -q time_get_current_time "$TMP/audit.jsonl" 2>/dev/null; then
    check "the session's audit trail records the call and verifies" \
        "$TMP/venv/bin/muxgate" audit verify --config "$TMP/muxgate.yaml" "$TMP/audit.jsonl"
else bad "the session's audit trail records the call" "$(cat "$TMP/audit.jsonl" 2>&1 | head -5)"; fi

# The SQL read-only check's parsers are linked into the binary (no libsqlite3 or libpg_query on the
# system is used): SQLite prepares against a real schema, libpg_query parses.
python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE t (name TEXT)'); c.commit()" \
    "$TMP/app.db"
cat >"$TMP/sql.yaml" <<EOF
servers:
  time:
    command: $ROOT/.venv/bin/mcp-server-time
    args: [--local-timezone, UTC]
audit: { enabled: false }
policy:
  profile: full
  rules:
    - { tool: time_convert_time, argument: source_timezone, sql: read_only, database: $TMP/app.db }
    - { tool: time_get_current_time, argument: timezone, sql: read_only, dialect: postgres }
EOF
explain() { "$TMP/venv/bin/muxgate" explain --config "$TMP/sql.yaml" "$1" --args "$2" 2>&1; }
out="$(explain time_convert_time '{"source_timezone": "SELECT name FROM t"}')"
[[ $? == 0 ]] && grep -q "decision  allow" <<<"$out" && ok "explain: SQLite prepares a read of a real column: allow" \
    || bad "explain: SQLite prepares a read of a real column: allow" "$out"
out="$(explain time_convert_time '{"source_timezone": "SELECT nope FROM t"}')"
[[ $? == 1 ]] && grep -q "SQLite cannot prepare it .*no such column: nope" <<<"$out" \
    && ok "explain: SQLite refuses to prepare an unknown column: deny" \
    || bad "explain: SQLite refuses to prepare an unknown column: deny" "$out"
out="$(explain time_get_current_time '{"timezone": "SELECT 1 1"}')"
[[ $? == 1 ]] && grep -q "PostgreSQL's parser (libpg_query [0-9]*) cannot parse it" <<<"$out" \
    && ok "explain: libpg_query's syntax error: deny" || bad "explain: libpg_query's syntax error: deny" "$out"

# uvx: a throwaway environment from the wheel, no index needed (the wheel has no dependencies).
out="$(UV_CACHE_DIR="$TMP/uv-cache" UV_TOOL_DIR="$TMP/uv-tools" UV_PYTHON_DOWNLOADS=never \
    "$VENV/bin/uvx" --offline --from "$wheel" muxgate --version 2>"$TMP/uvx.stderr")"
[[ "$out" == "$expected" ]] && ok "uvx --from WHEEL muxgate --version: $out" \
    || bad "uvx --from WHEEL muxgate --version" "$out $(cat "$TMP/uvx.stderr")"

# uv tool install: uv's own environment and a link in its bin directory; uninstall removes both.
uvt() { env UV_CACHE_DIR="$TMP/uv-cache" UV_TOOL_DIR="$TMP/uv-tools" UV_TOOL_BIN_DIR="$TMP/uv-bin" \
    UV_PYTHON_DOWNLOADS=never "$VENV/bin/uv" tool "$@"; }
check "uv tool install installs the wheel" uvt install --offline "$wheel"
out="$("$TMP/uv-bin/muxgate" --version 2>&1)"
[[ "$out" == "$expected" ]] && ok "uv tool's muxgate --version: $out" || bad "uv tool's muxgate --version" "$out"
[[ "$(ls "$TMP/uv-bin")" == muxgate ]] && ok "uv tool puts only muxgate on PATH" \
    || bad "uv tool puts only muxgate on PATH" "$(ls "$TMP/uv-bin")"
model_beside "uv tool's muxgate" "$TMP/uv-bin/muxgate"
check "uv tool uninstall removes it" uvt uninstall muxgate
[[ ! -e "$TMP/uv-bin/muxgate" ]] && ok "uv tool's uninstall removes bin/muxgate" || bad "uv tool's uninstall removes bin/muxgate"

# pipx: its own venv and a link in its bin directory; uninstall removes both.
export PIPX_HOME="$TMP/pipx" PIPX_BIN_DIR="$TMP/pipx-bin" PIPX_MAN_DIR="$TMP/pipx-man"
check "pipx installs the wheel" "$VENV/bin/pipx" install "$wheel"
out="$("$PIPX_BIN_DIR/muxgate" --version 2>&1)"
[[ "$out" == "$expected" ]] && ok "pipx's muxgate --version: $out" || bad "pipx's muxgate --version" "$out"
[[ "$(ls "$PIPX_BIN_DIR")" == muxgate ]] && ok "pipx puts only muxgate on PATH" \
    || bad "pipx puts only muxgate on PATH" "$(ls "$PIPX_BIN_DIR")"
check "pipx uninstalls it" "$VENV/bin/pipx" uninstall muxgate
[[ ! -e "$PIPX_BIN_DIR/muxgate" ]] && ok "pipx's uninstall removes bin/muxgate" || bad "pipx's uninstall removes bin/muxgate"
unset PIPX_HOME PIPX_BIN_DIR PIPX_MAN_DIR

# --- the .deb ---
contents="$(dpkg-deb --contents "$deb")"
for path in ./usr/lib/muxgate/muxgate "./usr/lib/muxgate/$MODEL_NAME" "./usr/bin/muxgate -> ../lib/muxgate/muxgate" \
    ./usr/share/doc/muxgate/README.md ./usr/share/doc/muxgate/docs/architecture.md \
    ./usr/share/doc/muxgate/THIRD-PARTY-NOTICES.md ./usr/share/doc/muxgate/licenses/libpg-query-dev.copyright; do
    grep -qF " $path"$'\n' <<<"$contents"$'\n' && ok "the .deb holds $path" || bad "the .deb holds $path" "$contents"
done
depends="$(dpkg-deb --field "$deb" Depends)"
depends_names=" $(sed 's/([^)]*)//g; s/[,|]/ /g' <<<"$depends" | tr -s ' ') "
dpkg-deb --extract "$deb" "$TMP/deb-extract"
# Every library the binary links, resolved here, belongs to a package its Depends names.
missing=""
while read -r lib path; do
    owner="$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)"
    [[ -n "$owner" ]] || owner="$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1)"
    [[ -n "$owner" && "$depends_names" == *" $owner "* ]] || missing+="$lib ($path, package ${owner:-none}) "
done < <(ldd "$TMP/deb-extract/usr/lib/muxgate/muxgate" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')
[[ -z "$missing" ]] && ok "Depends ($depends) names every library ldd lists" \
    || bad "Depends names every library ldd lists" "not named: $missing; Depends: $depends"

# dpkg into a scratch root: a database of its own in which the Depends packages are the host's.
R="$TMP/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/usr/bin"
: >"$R/var/lib/dpkg/status"
for package in $depends_names; do
    dpkg-query -s "$package" >>"$R/var/lib/dpkg/status" 2>/dev/null && echo >>"$R/var/lib/dpkg/status"
    # Their file lists are left empty: the scratch root holds none of their files.
    : >"$R/var/lib/dpkg/info/$package.list"
    : >"$R/var/lib/dpkg/info/$package:$(dpkg --print-architecture).list"
done
dpkg_r() { dpkg --root="$R" --force-script-chrootless --log=/dev/null "$@"; }
check "dpkg -i installs the .deb into a scratch root (Depends satisfied)" dpkg_r -i "$deb"
check "dpkg -s reports it installed" bash -c "dpkg --root='$R' -s muxgate | grep -q '^Status: install ok installed'"
out="$("$R/usr/bin/muxgate" --version 2>&1)"
[[ "$out" == "$expected" ]] && ok "/usr/bin/muxgate --version: $out" || bad "/usr/bin/muxgate --version" "$out"
model_beside "the .deb's /usr/bin/muxgate" "$R/usr/bin/muxgate"
out="$("$R/usr/bin/muxgate" check --config "$TMP/muxgate.yaml" 2>&1)"
status=$?
if [[ $status == 0 && "$(head -1 <<<"$out")" == "$expected" ]] && grep -q "✓ time: started" <<<"$out"; then
    ok "/usr/bin/muxgate check names version and commit and starts the time server"
else bad "/usr/bin/muxgate check names version and commit and starts the time server" "exit $status: $out"; fi
check "dpkg --purge removes it" dpkg_r --purge muxgate
left="$(find "$R" -path "$R/var/lib/dpkg" -prune -o ! -type d -print)"
[[ -z "$left" ]] && ok "no file of it is left in the root" || bad "no file of it is left in the root" "$left"
if dpkg --root="$R" -s muxgate >/dev/null 2>&1; then bad "dpkg no longer knows muxgate"; else ok "dpkg no longer knows muxgate"; fi

echo "dist-test: $passed passed, $failed failed"
[[ $failed == 0 ]]
