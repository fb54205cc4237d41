#!/usr/bin/env python3
"""A remote MCP server for muxgate's tests: the Python SDK's own MCPServer over HTTP, on loopback.

Usage: http_server.py MODE [--port N] [--token T] [--close-after-events K]

MODE
  stateful    Streamable HTTP with sessions (the SDK's default)
  stateless   Streamable HTTP, stateless_http=True (no session id)
  json        Streamable HTTP, json_response=True (one JSON body per answer)
  resumable   Streamable HTTP with an in-memory event store: SSE ids, retry, Last-Event-ID replay
  sse         the 2024-11-05 HTTP+SSE transport (GET /sse, POST /messages/)

--port N     listen on 127.0.0.1:N (default 0: any free port)
--token T    require `Authorization: Bearer T` (401 with WWW-Authenticate otherwise)
--tls C K    serve HTTPS with certificate file C and key file K
--param-headers  also list deploy(region, replicas), whose arguments carry `x-mcp-header`

The port is printed on stdout as `PORT <n>` once the server listens; logs go to stderr.
Tools:
  echo(text)        logs "echoing <text>" (info), reports progress twice, returns text
  quick(text)       returns text at once
  slow(ms)          sleeps ms milliseconds, then returns "slept"
  ask_name()        asks the client for a name (elicitation/create), returns "Hello, <name>!"
  headers()         the MCP headers of the request that called it, as JSON (names -> values),
                    Authorization shown only as present or not
  grow()            adds the tool "added_later" and tells the client its tools changed
  deploy(region, replicas)  (--param-headers) returns the Mcp-Param-* headers of its request as
                    JSON; the SDK refuses a 2026-07-28 call whose headers do not match (-32020)
  drop_stream()     (resumable) closes its SSE stream after a progress event; resumed with
                    Last-Event-ID, the client still gets the result
"""
from __future__ import annotations

import argparse
import itertools
import json
import socket
import sys

import anyio
import uvicorn
from typing import Annotated

from pydantic import BaseModel, Field

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.streamable_http import EventMessage, EventStore

server = MCPServer("muxgate-http-test")
SEEN: dict[str, str] = {}


class Name(BaseModel):
    name: str


@server.tool()
async def echo(text: str, ctx: Context) -> str:
    """Echo text back, logging and reporting progress on the way."""
    await ctx.info(f"echoing {text}")
    await ctx.report_progress(1, 2, "half")
    await anyio.sleep(0.05)
    await ctx.report_progress(2, 2, "done")
    return text


@server.tool()
async def quick(text: str) -> str:
    """Return text at once (the benchmark's call)."""
    return text


@server.tool()
async def slow(ms: int) -> str:
    """Sleep ms milliseconds."""
    print(f"slow {ms} started", file=sys.stderr, flush=True)
    try:
        await anyio.sleep(ms / 1000)
    except anyio.get_cancelled_exc_class():
        print(f"slow {ms} cancelled", file=sys.stderr, flush=True)
        raise
    return "slept"


@server.tool()
async def ask_name(ctx: Context) -> str:
    """Ask the client for a name."""
    answer = await ctx.elicit("What is your name?", Name)
    return f"Hello, {answer.data.name}!" if answer.action == "accept" else f"no name ({answer.action})"


@server.tool()
async def headers() -> str:
    """The MCP headers of the request that called this tool."""
    return json.dumps(SEEN, sort_keys=True)


@server.tool()
async def grow(ctx: Context) -> str:
    """Add a tool and announce the change."""
    @server.tool()
    async def added_later() -> str:
        """A tool that appeared after grow()."""
        return "added later"

    await ctx.session.send_tool_list_changed()
    return "grown"


@server.tool()
async def drop_stream(ctx: Context) -> str:
    """Close this call's SSE stream mid-call (resumable mode), then finish."""
    await ctx.report_progress(1, 2, "before the drop")
    await ctx.close_sse_stream()
    await anyio.sleep(0.3)
    return "finished after the drop"


class MemoryEventStore(EventStore):
    """Keeps every event of every stream, to replay what came after a Last-Event-ID."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, object]] = []
        self.counter = itertools.count(1)

    async def store_event(self, stream_id, message):
        event_id = f"{stream_id}:{next(self.counter)}"
        self.events.append((event_id, stream_id, message))
        return event_id

    async def replay_events_after(self, last_event_id, send_callback):
        position = next((i for i, event in enumerate(self.events) if event[0] == last_event_id), None)
        if position is None:
            return None
        stream_id = self.events[position][1]
        for event_id, stream, message in self.events[position + 1:]:
            if stream == stream_id and message is not None:
                await send_callback(EventMessage(message, event_id))
        return stream_id


class Observe:
    """Records the MCP headers of each request; checks the bearer token when one is required."""

    def __init__(self, app, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"application/json"),
                (b"www-authenticate", b'Bearer error="invalid_token"'),
            ]})
            await send({"type": "http.response.body", "body": b'{"error":"invalid_token"}'})
            return
        if scope["method"] in ("DELETE", "GET"):
            print(f"{scope['method']} {scope['path']} session={headers.get('mcp-session-id', '-')}"
                  f" last-event-id={headers.get('last-event-id', '-')}", file=sys.stderr, flush=True)
        if scope["method"] == "POST":
            SEEN.clear()
            for name in ("mcp-session-id", "mcp-protocol-version", "mcp-method", "mcp-name", "accept", "user-agent"):
                if name in headers:
                    SEEN[name] = headers[name]
            SEEN["authorization"] = "present" if "authorization" in headers else "absent"
            SEEN.update({k: v for k, v in headers.items() if k.startswith("mcp-param-")})
        return await self.app(scope, receive, send)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["stateful", "stateless", "json", "resumable", "sse"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=None)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), default=None)
    parser.add_argument("--param-headers", action="store_true")
    args = parser.parse_args()
    if args.param_headers:
        @server.tool()
        async def deploy(
            region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})],
            replicas: Annotated[int, Field(json_schema_extra={"x-mcp-header": "Replicas"})] = 1,
        ) -> str:
            """Mirrored into Mcp-Param-Region and Mcp-Param-Replicas; returns the Mcp-Param headers seen."""
            return json.dumps({k: v for k, v in SEEN.items() if k.startswith("mcp-param-")}, sort_keys=True)

    if args.mode == "sse":
        app = server.sse_app()
    else:
        app = server.streamable_http_app(
            stateless_http=args.mode == "stateless",
            json_response=args.mode == "json",
            event_store=MemoryEventStore() if args.mode == "resumable" else None,
            retry_interval=200 if args.mode == "resumable" else None,
        )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted connections: no Nagle delay between a response's head and body.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(64)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    tls = {"ssl_certfile": args.tls[0], "ssl_keyfile": args.tls[1]} if args.tls else {}
    config = uvicorn.Config(Observe(app, args.token), log_level="warning", lifespan="on", **tls)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
