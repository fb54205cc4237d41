#!/usr/bin/env python3
"""An agent framework from PyPI as the MCP client: LangChain through `langchain-mcp-adapters`.

Starts one stdio MCP server (the command after `--`) through the adapter's `MultiServerMCPClient`,
loads its tools as LangChain tools (`load_mcp_tools`, one session), and invokes them as an agent's
tool node would: `tool.ainvoke(ToolCall)`, which answers a `ToolMessage` (content, `status`, and the
call's `structuredContent` as its artifact). No model is involved: the steps are scripted.

Usage (runs in .venv-agent, which pins mcp 1.x as the adapter needs):
  agent_client.py [--timeout SECONDS] FILE -- CMD [ARGS...]

FILE is {"steps": [...]}; each step is one of
  {"tool": NAME, "arguments": {...}}        invoke the LangChain tool NAME;
  {"call_found": STEP, "arguments": {...}}  invoke the tool `call_tool` with `name` set to the first
                                            tool that step STEP (a search_tools step) found.

Prints one JSON object on stdout:
  {"tools": [{"name", "description", "args"}], "results": [{"tool", "arguments", "status",
   "text", "structuredContent"}]}
where `args` is the tool's argument schema as LangChain holds it. Exit status: 0 success (an MCP
error result is a success with status "error"); 2 failure, with a message on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools


def text_of(content: Any) -> str:
    """The text blocks of a ToolMessage's content, joined."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(block.get("text", ""))
    return "\n".join(parts)


async def run(steps: list[dict], command: list[str]) -> dict:
    client = MultiServerMCPClient({
        "muxgate": {"transport": "stdio", "command": command[0], "args": command[1:], "env": dict(os.environ)},
    })
    async with client.session("muxgate") as session:
        tools = {tool.name: tool for tool in await load_mcp_tools(session, server_name="muxgate")}
        report: dict[str, Any] = {
            "tools": [{"name": tool.name, "description": tool.description, "args": tool.args}
                      for tool in tools.values()],
            "results": [],
        }
        for number, step in enumerate(steps):
            arguments = dict(step.get("arguments") or {})
            if "call_found" in step:
                found = report["results"][step["call_found"]]["structuredContent"] or {}
                matches = found.get("tools") or []
                if not matches:
                    raise RuntimeError(f"step {number}: step {step['call_found']} found no tool to call")
                name = "call_tool"
                arguments = {"name": matches[0]["name"], "arguments": arguments}
            else:
                name = step["tool"]
            if name not in tools:
                raise RuntimeError(f"step {number}: the framework has no tool {name!r} (it has {sorted(tools)})")
            message = await tools[name].ainvoke(
                {"type": "tool_call", "id": f"call-{number}", "name": name, "args": arguments}
            )
            artifact = message.artifact
            report["results"].append({
                "tool": name,
                "arguments": arguments,
                "status": message.status,
                "text": text_of(message.content),
                "structuredContent": artifact.get("structured_content") if isinstance(artifact, dict) else None,
            })
        return report


def main() -> None:
    argv = sys.argv[1:]
    if "--" not in argv:
        print("usage: agent_client.py [--timeout SECONDS] FILE -- CMD [ARGS...]", file=sys.stderr)
        sys.exit(2)
    split = argv.index("--")
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("file")
    options = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    steps = json.load(open(options.file))["steps"]
    try:
        report = asyncio.run(asyncio.wait_for(run(steps, command), options.timeout))
    except Exception as error:  # noqa: BLE001 -- the test reads stderr
        print(f"agent_client: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
