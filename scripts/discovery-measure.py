#!/usr/bin/env python3
"""Tool discovery measured through muxgate over MCP (docs/discovery.md, "Through the gateway").

Each vendored corpus served by one `muxgate-fixture --raw-tools` child a server behind one
`muxgate serve`: the LiveMCPTool corpus (Benchmarks/discovery/livemcptool, 70 servers, 527 tools)
and mcpproxy-go's public golden set (Benchmarks/discovery/mcpproxy-golden, 7 servers, 45 tools):

1. the size of `tools/list` as the IDE receives it (raw bytes off stdout), discovery off and search;
2. the quality of `search_tools` through the official `mcp` client: every graded query of a set,
   scored as `muxgate-bench discovery --quality` scores (recall@1/5/10, MRR, nDCG@10 on the top 10);
3. the wall time of each search as the client sees it (encoding, ranking, the round trip).

Usage (after `make release`, with the project venv):
  .venv/bin/python scripts/discovery-measure.py [--bin .build/release] [--set livemcptool|golden]...
      [--queries FILE]...
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS = os.path.join(ROOT, "Benchmarks/discovery")
# Each set: its corpus (`tools.json`-shaped: server, tool, description, optional inputSchema) and
# its graded query files, as `muxgate-bench discovery --quality` reads them.
SETS = {
    "livemcptool": ("livemcptool/tools.json",
                    ["livemcptool/queries_v1.json", "livemcptool/queries_multilingual_v1.json"]),
    "golden": ("mcpproxy-golden/corpus_v1.tools.json", ["mcpproxy-golden/retrieval_golden_v1.json"]),
}


def build(work: str, binaries: str, corpus: str, mode: str, meta: bool = False) -> tuple[str, dict[str, str]]:
    """Writes the children's lists and a config; returns its path and exposed-name prefix → corpus server."""
    tools = json.load(open(corpus))["tools"]
    tag = os.path.basename(os.path.dirname(corpus))
    work = os.path.join(work, tag)
    os.makedirs(work, exist_ok=True)
    servers: dict[str, list[dict]] = {}
    for tool in tools:
        definition = {"name": tool["tool"], "description": tool.get("description") or "",
                      "inputSchema": tool.get("inputSchema") or {"type": "object"}}
        if meta:  # only to learn the exposed names' ids: the sizes are measured without it
            definition["_meta"] = {"bench/id": f'{tool["server"]}:{tool["tool"]}'}
        servers.setdefault(tool["server"], []).append(definition)
    lines = ["startup_timeout: 120s", "audit: { enabled: false }", "page_size: 5000",
             "discovery:", f"  mode: {mode}", f"  model: {ROOT}/.models/all-MiniLM-L6-v2.q8.mxemb",
             "  vector_wait: 600s", "servers:"]
    names: dict[str, str] = {}
    for server, definitions in sorted(servers.items()):
        name = re.sub(r"[^A-Za-z0-9_-]", "-", server)
        names[name] = server
        path = os.path.join(work, f"{name}{'-meta' if meta else ''}.json")
        json.dump({"tools": definitions}, open(path, "w"), separators=(",", ":"), ensure_ascii=False)
        lines += [f"  {name}:", f"    command: {FIXTURE or binaries}/muxgate-fixture",
                  f'    args: [--name, "{name}", --raw-tools, "{path}"]']
    config = os.path.join(work, f"muxgate-{mode}{'-meta' if meta else ''}.yaml")
    open(config, "w").write("\n".join(lines) + "\n")
    return config, names


def raw_list(binaries: str, config: str, env: dict[str, str]) -> int:
    """The bytes of the tools/list answer (every page) as muxgate writes them."""
    process = subprocess.Popen([f"{binaries}/muxgate", "serve", "--config", config], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    def send(message: dict) -> None:
        process.stdin.write((json.dumps(message) + "\n").encode())
        process.stdin.flush()
    send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "measure", "version": "1"}}})
    process.stdout.readline()
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    total, cursor, request = 0, None, 1
    while True:
        send({"jsonrpc": "2.0", "id": request, "method": "tools/list", "params": {"cursor": cursor} if cursor else {}})
        while True:
            line = process.stdout.readline()
            answer = json.loads(line)
            if answer.get("id") == request:
                break
        total += len(line.rstrip(b"\n"))
        cursor = answer["result"].get("nextCursor")
        request += 1
        if not cursor:
            break
    process.stdin.close()
    process.wait(timeout=30)
    return total


def score(queries: list[dict], ranked: dict[str, list[str]]) -> dict[str, float]:
    """mcp-eval's RetrievalScorer as `muxgate-bench discovery --quality` has it (DiscoveryBench.swift):
    recall@k = |relevant ∩ top k| / |relevant| with every label of relevance >= 1 relevant, MRR of the
    first relevant, nDCG@10 with the grade as a linear gain; a query with no relevant label scores 0;
    each averaged over all the queries, on the top 10 returned."""
    totals = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "MRR": 0.0, "nDCG@10": 0.0}
    for query in queries:
        labels = {label["tool_id"]: label["relevance"] for label in query["labels"]}
        relevant = {tool for tool, grade in labels.items() if grade >= 1}
        if not relevant:
            continue
        found = ranked[query["id"]][:10]
        for k in (1, 5, 10):
            totals[f"recall@{k}"] += len(set(found[:k]) & relevant) / len(relevant)
        first = next((i for i, t in enumerate(found) if t in relevant), None)
        totals["MRR"] += 0 if first is None else 1 / (first + 1)
        dcg = sum(max(0, labels.get(t, 0)) / math.log2(i + 2) for i, t in enumerate(found))
        grades = sorted((max(0, g) for g in labels.values()), reverse=True)[:10]
        ideal = sum(g / math.log2(i + 2) for i, g in enumerate(grades))
        totals["nDCG@10"] += dcg / ideal if ideal else 0
    return {key: value / len(queries) for key, value in totals.items()}


async def search_all(binaries: str, config: str, env: dict[str, str], sets: list[str],
                     exposed_ids: dict[str, str]) -> None:
    params = StdioServerParameters(command=f"{binaries}/muxgate", args=["serve", "--config", config], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            print(f"search listing through the official client: {[t.name for t in listed.tools]}")
            started = time.monotonic()
            await session.call_tool("search_tools", {"query": "warm up", "limit": 1})
            print(f"first search (waits for every tool's vector, or the cache): {time.monotonic() - started:.1f} s")
            for path in sets:
                queries = json.load(open(path))["queries"]
                ranked: dict[str, list[str]] = {}
                times: list[float] = []
                for query in queries:
                    started = time.monotonic()
                    result = await session.call_tool("search_tools", {"query": query["query"], "limit": 10})
                    times.append((time.monotonic() - started) * 1000)
                    ranked[query["id"]] = [exposed_ids.get(t["name"], t["name"])
                                           for t in result.structured_content["tools"]]
                scores = score(queries, ranked)
                times.sort()
                print(f"{os.path.relpath(path, ROOT)} ({len(queries)} queries): "
                      + ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
                      + f"; search round trip p50 {times[len(times) // 2]:.1f} ms, p90 {times[int(len(times) * 0.9)]:.1f} ms")


FIXTURE: str | None = None


async def learn_ids(binaries: str, config: str, env: dict[str, str]) -> dict[str, str]:
    """Exposed name → corpus id, from the full listing (each definition's `_meta` names its id)."""
    params = StdioServerParameters(command=f"{binaries}/muxgate", args=["serve", "--config", config], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return {tool.name: (tool.meta or {}).get("bench/id", tool.name)
                    for tool in (await session.list_tools()).tools}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build/release"))
    parser.add_argument("--fixture-bin", help="where muxgate-fixture is (default: --bin)")
    parser.add_argument("--set", action="append", choices=sorted(SETS), dest="sets",
                        help="a corpus and its query sets (repeatable; default: every set)")
    parser.add_argument("--queries", action="append", default=[],
                        help="query files to score instead of the set's own (with one --set)")
    parser.add_argument("--sizes-only", action="store_true", help="measure tools/list only")
    args = parser.parse_args()
    if args.queries and len(args.sets or []) != 1:
        parser.error("--queries needs exactly one --set: the corpus its labels name")
    global FIXTURE
    FIXTURE = args.fixture_bin
    work = tempfile.mkdtemp(prefix="muxgate-discovery-")
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(work, "state"), MUXGATE_LOG_LEVEL="warning")
    for name in args.sets or list(SETS):
        corpus_file, query_files = SETS[name]
        corpus = os.path.join(BENCHMARKS, corpus_file)
        sets = args.queries or [os.path.join(BENCHMARKS, path) for path in query_files]
        print(f"== {name}: {os.path.relpath(corpus, ROOT)}")
        off, _ = build(work, args.bin, corpus, "off")
        search, _ = build(work, args.bin, corpus, "search")
        full = raw_list(args.bin, off, env)
        small = raw_list(args.bin, search, env)
        print(f"tools/list, discovery off: {full} bytes (~{full // 4} tokens at 4 bytes a token)")
        print(f"tools/list, discovery search: {small} bytes (~{small // 4} tokens)")
        if args.sizes_only:
            continue
        exposed_ids = anyio.run(learn_ids, args.bin, build(work, args.bin, corpus, "off", meta=True)[0], env)
        anyio.run(search_all, args.bin, search, env, sets, exposed_ids)
        # A second start: every vector comes from the cache.
        anyio.run(search_all, args.bin, search, env, sets[:1], exposed_ids)


if __name__ == "__main__":
    main()
