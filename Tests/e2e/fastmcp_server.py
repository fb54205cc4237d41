#!/usr/bin/env python3
"""A child server built on the Python SDK's own MCPServer (FastMCP, mcp 2.x), stdio.

Dual-era: it speaks 2026-07-28 to a client whose requests carry the per-request envelope and the
initialize era otherwise (muxgate talks to it the initialize way).
Tools:
  greet      asks the user's name through Resolve/Elicit (MRTR in 2026-07-28, elicitation/create
             in the initialize era)
  greet_old  asks through ctx.elicit() (a server-to-client request)
  count      counts to n, reporting progress
  shout      logs "debug line", "info line" and "warning line" (ctx.debug/info/warning)
"""
from typing import Annotated

import anyio
from pydantic import BaseModel
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resolve import Elicit, Resolve

server = MCPServer("fastmcp-child", instructions="A FastMCP child behind muxgate.")


class Name(BaseModel):
    name: str


def ask_name() -> Elicit[Name]:
    return Elicit("What is your name?", Name)


@server.tool()
async def greet(who: Annotated[Name, Resolve(ask_name)]) -> str:
    """Greet the user, asking for their name first."""
    return f"Hello, {who.name}!"


@server.tool()
async def greet_old(ctx: Context) -> str:
    """Greet the user, asking with ctx.elicit()."""
    answer = await ctx.elicit("What is your name?", Name)
    return f"Hello, {answer.data.name}!" if answer.action == "accept" else f"no name ({answer.action})"


@server.tool()
async def count(n: int, ctx: Context) -> str:
    """Count to n, reporting progress."""
    for i in range(1, n + 1):
        await ctx.report_progress(i, n, f"step {i}/{n}")
        await anyio.sleep(0.01)
    return f"counted to {n}"


@server.tool()
async def shout(ctx: Context) -> str:
    """Log one line at debug, info and warning."""
    await ctx.debug("debug line")
    await ctx.info("info line")
    await ctx.warning("warning line")
    return "logged"


if __name__ == "__main__":
    server.run()
