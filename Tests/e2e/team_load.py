#!/usr/bin/env python3
"""Many sessions of the official client against one muxgate in team mode, to check isolation.

Usage: team_load.py URL TOOL SESSIONS CALLS INFLIGHT TOKEN [TOKEN...]

Opens SESSIONS Streamable HTTP sessions (tokens used in turn), and in each makes CALLS calls of
TOOL with {"text": "<session>-<call>"}, at most INFLIGHT at once per session, every call with its
own progress callback. Prints one JSON object: {"sessions", "calls", "seconds", "wrong",
"progressWrong", "foreignLogs", "errors"}: answers whose text is not the call's own, calls whose
progress did not come to them exactly twice, log lines a session got about another session's
call, and failures. Exits 0 whatever they hold (the caller judges the report, and must see it);
1 only for a usage error.
"""
from __future__ import annotations

import json
import sys
import time
from typing import Any

import anyio

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def one_session(url: str, token: str, tool: str, index: int, calls: int, inflight: int, out: dict[str, Any]) -> None:
    logs: list[str] = []

    async def logging_callback(params: Any) -> None:
        logs.append(str(getattr(params, "data", "")))

    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with streamable_http_client(url, http_client=client) as (read, write):
        async with ClientSession(read, write, logging_callback=logging_callback) as session:
            await session.initialize()
            limit = anyio.Semaphore(inflight)

            async def call(j: int) -> None:
                text = f"s{index}-c{j}"
                progress: list[str] = []

                async def on_progress(value: float, total: float | None, message: str | None) -> None:
                    progress.append(f"{value}/{total}")

                async with limit:
                    try:
                        result = await session.call_tool(tool, {"text": text}, progress_callback=on_progress)
                    except Exception as exc:  # noqa: BLE001 - every failure is reported
                        out["errors"].append(f"{text}: {type(exc).__name__}: {exc}")
                        return
                got = "".join(getattr(c, "text", "") for c in result.content)
                if result.is_error or got != text:
                    out["wrong"].append({"call": text, "got": got})
                if len(progress) != 2:
                    out["progressWrong"].append({"call": text, "progress": progress})

            async with anyio.create_task_group() as group:
                for j in range(calls):
                    group.start_soon(call, j)
    prefix = f"echoing s{index}-"
    out["foreignLogs"] += [line for line in logs if line.startswith("echoing ") and not line.startswith(prefix)]


async def main(argv: list[str]) -> int:
    if len(argv) < 6:
        print(__doc__, file=sys.stderr)
        return 1
    url, tool, sessions, calls, inflight, *tokens = argv
    out: dict[str, Any] = {"sessions": int(sessions), "calls": int(sessions) * int(calls), "wrong": [],
                           "progressWrong": [], "foreignLogs": [], "errors": []}
    started = time.monotonic()
    async with anyio.create_task_group() as group:
        for index in range(int(sessions)):
            group.start_soon(one_session, url, tokens[index % len(tokens)], tool, index, int(calls), int(inflight), out)
    out["seconds"] = round(time.monotonic() - started, 2)
    for key in ("wrong", "progressWrong", "errors"):
        out[key] = out[key][:20]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main, sys.argv[1:]))
