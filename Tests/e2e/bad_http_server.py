#!/usr/bin/env python3
"""A misbehaving MCP server over HTTP, for muxgate's chaos tests (plain asyncio, no framework).

Usage: bad_http_server.py MODE   (prints `PORT <n>` once it listens on 127.0.0.1)

It answers `initialize`, notifications and `tools/list` properly (one tool, `bad`), so the child
comes up; then every `tools/call` misbehaves as MODE says:
  garbage-sse   an SSE stream whose event is not JSON, then the end of the stream
  garbage-json  `Content-Type: application/json` with a body that is not JSON
  drop          an SSE stream cut in the middle of an event
  hang          no answer at all (the connection stays open)
  status-500    HTTP 500 with a plain-text body
  leak-init     every `initialize` gets HTTP 500 whose body echoes the request line and headers
                (a server that leaks what it was sent: muxgate must scrub it)
  leak-call     initializes, then every `tools/call` gets that HTTP 500 echo
  busy-503      the first `initialize` gets HTTP 503 with `Retry-After: 2` (the next ones are
                answered); stderr says `initialize refused at T` / `initialize answered at T`
                (T: this process's monotonic clock, seconds)
"""
import asyncio
import json
import sys
import time

MODE = sys.argv[1]
SESSION = "bad-session-1"
refused = False


def response(status: str, content_type: str, body: bytes, extra: str = "") -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"Mcp-Session-Id: {SESSION}\r\n{extra}\r\n")
    return head.encode() + body


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global refused
    try:
        while True:
            request_line = await reader.readline()
            if not request_line:
                return
            headers = {}
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            method = request_line.split()[0].decode()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            if method != "POST":
                writer.write(response("405 Method Not Allowed", "text/plain", b""))
                await writer.drain()
                continue
            message = json.loads(body)
            if "id" not in message:
                writer.write(response("202 Accepted", "application/json", b""))
            elif MODE == "leak-init" or (MODE == "leak-call" and message["method"] == "tools/call"):
                echo = request_line.decode().strip() + "\n" + "\n".join(f"{k}: {v}" for k, v in headers.items())
                print(f"leaking: {echo}", file=sys.stderr, flush=True)
                writer.write(response("500 Internal Server Error", "text/plain", echo.encode()))
            elif message["method"] == "initialize" and MODE == "busy-503" and not refused:
                refused = True
                print(f"initialize refused at {time.monotonic():.3f}", file=sys.stderr, flush=True)
                writer.write(response("503 Service Unavailable", "text/plain", b"busy", "Retry-After: 2\r\n"))
            elif message["method"] == "initialize":
                if MODE == "busy-503":
                    print(f"initialize answered at {time.monotonic():.3f}", file=sys.stderr, flush=True)
                result = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}},
                          "serverInfo": {"name": "bad", "version": "1"}}
                writer.write(response("200 OK", "application/json",
                                      json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}).encode()))
            elif message["method"] == "tools/list":
                tools = [{"name": "bad", "description": "misbehaves", "inputSchema": {"type": "object"}}]
                writer.write(response("200 OK", "application/json",
                                      json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {"tools": tools}}).encode()))
            elif MODE == "garbage-sse":
                writer.write(response("200 OK", "text/event-stream", b"event: message\r\ndata: this is not json\r\n\r\n"))
            elif MODE == "garbage-json":
                writer.write(response("200 OK", "application/json", b"{not json at all"))
            elif MODE == "status-500":
                writer.write(response("500 Internal Server Error", "text/plain", b"it broke"))
            elif MODE == "drop":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nevent: message\r\ndata: {\"jsonrpc\":")
                await writer.drain()
                writer.close()
                return
            elif MODE == "hang":
                await asyncio.sleep(3600)
            else:
                writer.write(response("404 Not Found", "text/plain", b""))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
