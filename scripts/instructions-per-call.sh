#!/usr/bin/env bash
# Instructions muxgate executes per tools/call, counted by callgrind: deterministic, unlike time on
# a shared machine. Usage: scripts/instructions-per-call.sh [audit-off|audit-on|tracing-on]
# (after `make release`; tracing-on: audit on, OTLP traces and metrics at 100 % sampling to the
# tests' collector, Tests/e2e/otlp_receiver.py, which needs .venv: `make venv`)
#
# valgrind 3.19 cannot read Swift 6.3's DWARF 5, so it runs a copy with the debug info stripped.
# Two runs (500 and 1,500 sequential calls) cancel start-up out: (I(1500) - I(500)) / 1000.
# GUARDS sets the guards: section (default `{}`: secrets redacted, hygiene on, as shipped);
# GUARDS='{ secrets: off, hygiene: false }' turns the result guards off for an A/B.
set -euo pipefail
mode="${1:-audit-off}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
[ -x "$root/.build/release/muxgate" ] || { echo "run 'make release' first" >&2; exit 1; }
cp "$root/.build/release/muxgate" "$work/muxgate"
strip --strip-debug "$work/muxgate"
audit="{ enabled: false }"
otel="{}"
guards="${GUARDS:-}"
[ -n "$guards" ] || guards="{}"
[ "$mode" != audit-off ] && audit="{ enabled: true, path: $work/audit/audit.jsonl }"
if [ "$mode" = tracing-on ]; then
    [ -x "$root/.venv/bin/python" ] || { echo "tracing-on needs .venv (make venv)" >&2; exit 1; }
    "$root/.venv/bin/python" "$root/Tests/e2e/otlp_receiver.py" "$work/otlp.jsonl" > "$work/collector.port" &
    collector=$!
    trap 'kill $collector 2>/dev/null; rm -rf "$work"' EXIT
    for _ in $(seq 100); do [ -s "$work/collector.port" ] && break; sleep 0.1; done
    otel="{ traces: true, metrics: true, endpoint: \"http://127.0.0.1:$(cut -d' ' -f2 "$work/collector.port")\" }"
fi
cat > "$work/muxgate.yaml" <<YAML
servers:
  fx:
    command: $root/.build/release/muxgate-fixture
    args: [--name, fx]
    startup_timeout: 60s
audit: $audit
otel: $otel
guards: $guards
YAML
python3 - "$work" <<'PY'
import re, subprocess, sys
work = sys.argv[1]
def instructions(calls):
    out = f"{work}/callgrind-{calls}.out"
    p = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", f"{work}/muxgate",
                          "serve", "--config", f"{work}/muxgate.yaml"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    def send(line):
        p.stdin.write((line + "\n").encode())
        p.stdin.flush()
    send('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18",'
         '"capabilities":{},"clientInfo":{"name":"callgrind","version":"1"}}}')
    p.stdout.readline()
    send('{"jsonrpc":"2.0","method":"notifications/initialized"}')
    send('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
    p.stdout.readline()
    for i in range(calls):
        send('{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"fx_echo","arguments":{"text":"hello"}}}' % (100 + i))
        answer = p.stdout.readline()
        if b'"result"' not in answer:
            sys.exit(f"call {i} failed: {answer[:200]!r}")
    p.stdin.close()
    p.wait()
    summary = subprocess.run(["callgrind_annotate", out], capture_output=True, text=True).stdout
    return int(re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", summary).group(1).replace(",", ""))
low, high = instructions(500), instructions(1500)
print(f"{(high - low) / 1000:,.0f} instructions per call (start-up and 500 calls: {low:,})")
PY
