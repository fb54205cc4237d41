#!/usr/bin/env python3
"""End-to-end MCP client CLI built on the official `mcp` Python SDK (2.x).

Connects to one stdio MCP server (the command after `--`) with `stdio_client` +
`ClientSession`, does the handshake, runs one command and prints exactly one JSON
object on stdout. Diagnostics (and the server's own stderr) go to stderr.

Usage:
  mcp_client.py [OPTIONS] list-tools            -- CMD [ARGS...]
  mcp_client.py [OPTIONS] call TOOL [JSONARGS]  -- CMD [ARGS...]
  mcp_client.py [OPTIONS] script FILE|-         -- CMD [ARGS...]

  list-tools  {"serverInfo", "protocolVersion", "capabilities", "tools", "transportErrors"}
  call        {"isError", "content", "structuredContent", "error", "protocolVersion"}
  script      FILE is {"calls": [{"tool": NAME, "arguments": {...}}, ...]}; lists tools, then makes
              every call in one session, in order. A step may instead be {"signal": FIFO} (write a
              line to FIFO: the test learns the calls so far are done), {"wait": FIFO} (read FIFO:
              go on when the test says), {"bearer": TOKEN} (later requests carry TOKEN; --url) or
              {"list": true} (list the tools again; their names go to "lists"):
              {"serverInfo", "protocolVersion", "tools", "results", "notifications",
               "serverRequests", "transportErrors"}; each result is
              {"tool", "isError", "content", "structuredContent", "error"}.

`error` is null, or {"code", "message", "data"} when the call got a JSON-RPC error
response (MCPError), or {"code": null, "message", "exception"} when the SDK rejected
the result client-side (e.g. structured content not matching the tool's outputSchema).

Options (before or after the command name):
  --timeout SECONDS         bound on the whole session, default 60
  --mode auto|legacy|discover
                            auto (default, what mcp.Client does): probe `server/discover`,
                            fall back to `initialize` on any JSON-RPC error such as -32601;
                            legacy: `initialize` only; discover: `server/discover` only (2026-07-28)
  --elicitation accept|decline|cancel
                            answer elicitation/create (accept fills the requested schema from
                            its defaults/enums/type placeholders, or --elicitation-content)
  --elicitation-content JSON  content to send with accept
  --sampling                answer sampling/createMessage with a canned assistant text
  --sampling-text TEXT      the text to answer with (default "sampled response")
  --root URI                answer roots/list with this root (repeatable)
  --env KEY=VALUE           extra environment for the server (repeatable); the server inherits
                            this process's whole environment unless --clean-env
  --clean-env               give the server only the SDK's default safe environment (+ --env)
  --cwd DIR                 working directory for the server
  --log-level LEVEL         opt in to log messages at LEVEL and above (2026-07-28: stamped on every
                            request; no effect in the initialize era, as in mcp.Client)
  --set-level LEVEL         after the handshake, send logging/setLevel LEVEL (initialize era)
  --url URL                 speak Streamable HTTP to URL instead of starting a server (no `--`)
  --bearer TOKEN            with --url: send `Authorization: Bearer TOKEN`

`script` output also has "logs": every notifications/message the client received, in order
({"level", "logger", "data"}).

Exit status: 0 success (a tool result with isError=true is a success); 1 `call` got a JSON-RPC
or client-side error (the JSON is still printed); 2 failure (bad usage, spawn failure,
handshake failure, timeout, connection lost), with a message on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Any

try:
    import anyio
    import mcp_types as types
    from mcp import ClientSession, StdioServerParameters, stdio_client
    from mcp.shared.exceptions import MCPError
except ImportError as exc:  # pragma: no cover - environment problem
    print(f"mcp_client: cannot import the mcp SDK ({exc}); run scripts/setup-venv.sh and use .venv/bin/python",
          file=sys.stderr)
    sys.exit(2)

try:  # the exact policy mcp.Client(mode="auto") uses; private module, so keep a fallback
    from mcp.client._probe import negotiate_auto as _sdk_negotiate_auto
except ImportError:  # pragma: no cover
    _sdk_negotiate_auto = None

try:
    from mcp.client._input_required import run_input_required_driver
except ImportError:  # pragma: no cover
    run_input_required_driver = None


class UsageError(Exception):
    pass


class ClientFailure(Exception):
    pass


def dump(model: Any) -> Any:
    if model is None:
        return None
    if hasattr(model, "model_dump"):
        return model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return model


def error_json(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, MCPError):
        out: dict[str, Any] = {"code": exc.code, "message": exc.message}
        if exc.data is not None:
            out["data"] = exc.data
        return out
    return {"code": None, "message": str(exc), "exception": type(exc).__name__}


# ---------------------------------------------------------------- arguments

def _add_common(p: argparse.ArgumentParser, suppress: bool) -> None:
    d = (lambda v: argparse.SUPPRESS) if suppress else (lambda v: v)
    p.add_argument("--timeout", type=float, default=d(60.0))
    p.add_argument("--mode", choices=["auto", "legacy", "discover"], default=d("auto"))
    p.add_argument("--elicitation", choices=["accept", "decline", "cancel"], default=d(None))
    p.add_argument("--elicitation-content", default=d(None))
    p.add_argument("--sampling", action="store_true", default=d(False))
    p.add_argument("--sampling-text", default=d("sampled response"))
    p.add_argument("--root", action="append", default=d([]))
    p.add_argument("--env", action="append", default=d([]))
    p.add_argument("--clean-env", action="store_true", default=d(False))
    p.add_argument("--cwd", default=d(None))
    p.add_argument("--log-level", default=d(None))
    p.add_argument("--set-level", default=d(None))
    p.add_argument("--url", default=d(None))
    p.add_argument("--bearer", default=d(None))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    if "--" not in argv and "--url" in argv:
        argv = argv + ["--", "(http)"]
    if "--" not in argv:
        raise UsageError("missing `-- CMD [ARGS...]` (the server command)")
    split = argv.index("--")
    own, server_cmd = argv[:split], argv[split + 1:]
    if not server_cmd:
        raise UsageError("empty server command after `--`")

    parser = _Parser(prog="mcp_client.py", description="MCP e2e client (official mcp SDK)")
    _add_common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("list-tools")
    _add_common(p, suppress=True)
    p = sub.add_parser("call")
    _add_common(p, suppress=True)
    p.add_argument("tool")
    p.add_argument("arguments", nargs="?", default="{}")
    p = sub.add_parser("script")
    _add_common(p, suppress=True)
    p.add_argument("file")
    args = parser.parse_args(own)
    return args, server_cmd


def load_calls(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.command == "call":
        try:
            arguments = json.loads(args.arguments)
        except json.JSONDecodeError as exc:
            raise UsageError(f"JSONARGS is not JSON: {exc}") from None
        if not isinstance(arguments, dict):
            raise UsageError("JSONARGS must be a JSON object")
        return [{"tool": args.tool, "arguments": arguments}]
    if args.command == "script":
        try:
            text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
            doc = json.loads(text)
        except (OSError, json.JSONDecodeError) as exc:
            raise UsageError(f"cannot read script {args.file}: {exc}") from None
        calls = doc.get("calls") if isinstance(doc, dict) else None
        if not isinstance(calls, list):
            raise UsageError('script must be a JSON object {"calls": [...]}')
        for i, c in enumerate(calls):
            if isinstance(c, dict) and len(c) == 1 and next(iter(c)) in ("signal", "wait", "bearer", "list"):
                continue
            if not isinstance(c, dict) or not isinstance(c.get("tool"), str):
                raise UsageError(f"calls[{i}] needs a string \"tool\"")
            if not isinstance(c.get("arguments", {}), dict):
                raise UsageError(f"calls[{i}].arguments must be an object")
        return calls
    return []


# ---------------------------------------------------------------- callbacks

def _placeholder(schema: dict[str, Any]) -> Any:
    if "default" in schema:
        return schema["default"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if isinstance(schema.get("oneOf"), list) and schema["oneOf"]:
        first = schema["oneOf"][0]
        if isinstance(first, dict) and "const" in first:
            return first["const"]
    t = schema.get("type")
    if t == "boolean":
        return True
    if t == "integer":
        return int(schema.get("minimum", 1))
    if t == "number":
        return schema.get("minimum", 1)
    if t == "array":
        items = schema.get("items") or {}
        choices = items.get("enum") or [c.get("const") for c in items.get("anyOf", []) if isinstance(c, dict)]
        return [choices[0]] if choices else []
    return "test"


def make_callbacks(args: argparse.Namespace, server_requests: list[dict[str, Any]]) -> dict[str, Any]:
    callbacks: dict[str, Any] = {}

    if args.elicitation:
        explicit = json.loads(args.elicitation_content) if args.elicitation_content else None

        async def elicitation_callback(context: Any, params: Any) -> Any:
            server_requests.append({"method": "elicitation/create", "params": dump(params)})
            if args.elicitation != "accept":
                return types.ElicitResult(action=args.elicitation)
            if getattr(params, "mode", "form") == "url":
                return types.ElicitResult(action="accept")
            if explicit is not None:
                return types.ElicitResult(action="accept", content=explicit)
            schema = getattr(params, "requested_schema", None) or {}
            content = {k: _placeholder(v if isinstance(v, dict) else {})
                       for k, v in (schema.get("properties") or {}).items()}
            return types.ElicitResult(action="accept", content=content)

        callbacks["elicitation_callback"] = elicitation_callback

    if args.sampling:
        async def sampling_callback(context: Any, params: Any) -> Any:
            server_requests.append({"method": "sampling/createMessage", "params": dump(params)})
            return types.CreateMessageResult(
                role="assistant",
                content=types.TextContent(type="text", text=args.sampling_text),
                model="mcp-e2e-client",
                stop_reason="endTurn",
            )

        callbacks["sampling_callback"] = sampling_callback

    if args.root:
        async def list_roots_callback(context: Any) -> Any:
            server_requests.append({"method": "roots/list"})
            return types.ListRootsResult(roots=[types.Root(uri=u) for u in args.root])

        callbacks["list_roots_callback"] = list_roots_callback

    return callbacks


# ---------------------------------------------------------------- session

async def negotiate(session: ClientSession, mode: str) -> None:
    if mode == "legacy":
        await session.initialize()
    elif mode == "discover":
        await session.discover()
    elif _sdk_negotiate_auto is not None:
        await _sdk_negotiate_auto(session)
    else:  # pragma: no cover - simplified copy of the SDK policy
        try:
            await session.discover()
        except MCPError:
            await session.initialize()


async def list_all_tools(session: ClientSession) -> list[Any]:
    tools: list[Any] = []
    cursor = None
    for _ in range(100):
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            return tools
    raise ClientFailure("tools/list pagination did not end after 100 pages")


async def call_one(session: ClientSession, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"tool": name, "isError": None, "content": None, "structuredContent": None, "error": None}
    try:
        async def retry(responses: Any, state: Any) -> Any:
            return await session.call_tool(name, arguments, input_responses=responses, request_state=state,
                                           allow_input_required=True)

        progress: list[dict[str, Any]] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append({"progress": value, "total": total, "message": message})

        out["progress"] = progress
        result = await session.call_tool(name, arguments, allow_input_required=True, progress_callback=on_progress)
        if isinstance(result, types.InputRequiredResult):
            if run_input_required_driver is None:  # pragma: no cover
                raise RuntimeError("server returned InputRequiredResult and this SDK has no driver")

            async def dispatch(key: str, req: Any) -> Any:
                from mcp.client.session import ClientRequestContext
                ctx = ClientRequestContext(session=session, request_id=key,
                                           meta=req.params.meta if req.params else None)
                return await session.dispatch_input_request(ctx, req)

            result = await run_input_required_driver(result, dispatch=dispatch, retry=retry)
        out["isError"] = result.is_error
        out["content"] = [dump(c) for c in result.content]
        out["structuredContent"] = result.structured_content
    except (MCPError, RuntimeError, ValueError) as exc:  # pydantic ValidationError is a ValueError
        if isinstance(exc, MCPError) and exc.code == types.CONNECTION_CLOSED:
            raise ClientFailure(f"connection closed during tools/call {name}: {exc.message}") from exc
        out["error"] = error_json(exc)
    return out


async def run(args: argparse.Namespace, server_cmd: list[str], calls: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    notifications: list[dict[str, Any]] = []
    logs: list[dict[str, Any]] = []
    server_requests: list[dict[str, Any]] = []

    async def logging_callback(params: Any) -> None:
        logs.append(dump(params))
    transport_errors: list[str] = []

    async def message_handler(message: Any) -> None:
        if isinstance(message, Exception):
            transport_errors.append(f"{type(message).__name__}: {message}")
        else:
            notifications.append(dump(message))

    env = {} if args.clean_env else dict(os.environ)
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--env needs KEY=VALUE, got {item!r}")
        env[key] = value
    params = StdioServerParameters(command=server_cmd[0], args=server_cmd[1:], env=env, cwd=args.cwd)

    if args.url:
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client
        headers = {"Authorization": f"Bearer {args.bearer}"} if args.bearer else None
        http_client = create_mcp_http_client(headers=headers)
        transport = streamable_http_client(args.url, http_client=http_client)
    else:
        transport = stdio_client(params)

    async with transport as (read_stream, write_stream):
        async with ClientSession(
            read_stream,
            write_stream,
            message_handler=message_handler,
            client_info=types.Implementation(name="muxgate-e2e-client", version="1.0.0"),
            logging_callback=logging_callback,
            log_level=args.log_level,
            **make_callbacks(args, server_requests),
        ) as session:
            try:
                await negotiate(session, args.mode)
            except MCPError as exc:
                raise ClientFailure(f"handshake failed ({args.mode}): JSON-RPC error {exc.code}: {exc.message}") from exc
            if args.set_level:
                try:
                    await session.set_logging_level(args.set_level)
                except MCPError as exc:  # a server without logging: -32601, as the SDK's own MCPServer
                    transport_errors.append(f"logging/setLevel: JSON-RPC error {exc.code}: {exc.message}")
            base = {
                "serverInfo": dump(session.server_info),
                "protocolVersion": session.protocol_version,
            }
            if args.command == "call":
                res = await call_one(session, calls[0]["tool"], calls[0].get("arguments", {}))
                out = {k: res[k] for k in ("isError", "content", "structuredContent", "error")}
                out["protocolVersion"] = session.protocol_version
                out["transportErrors"] = transport_errors
                return out, (1 if res["error"] else 0)

            try:
                tools = await list_all_tools(session)
            except MCPError as exc:
                raise ClientFailure(f"tools/list failed: JSON-RPC error {exc.code}: {exc.message}") from exc
            tools_json = [dump(t) for t in tools]
            if args.command == "list-tools":
                return {**base, "capabilities": dump(session.server_capabilities), "tools": tools_json,
                        "transportErrors": transport_errors}, 0

            results = []
            lists = []
            for c in calls:
                if "signal" in c:
                    await anyio.to_thread.run_sync(lambda path=c["signal"]: open(path, "w").write("done\n"))
                elif "wait" in c:
                    await anyio.to_thread.run_sync(lambda path=c["wait"]: open(path).read())
                elif "bearer" in c:
                    http_client.headers["Authorization"] = f"Bearer {c['bearer']}"
                elif "list" in c:
                    lists.append([t.name for t in await list_all_tools(session)])
                else:
                    results.append(await call_one(session, c["tool"], c.get("arguments", {})))
            return {**base, "tools": tools_json, "results": results, "lists": lists, "notifications": notifications,
                    "logs": logs, "serverRequests": server_requests, "transportErrors": transport_errors}, 0


def _flatten(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def main(argv: list[str]) -> int:
    try:
        args, server_cmd = parse_args(argv)
        calls = load_calls(args)
    except UsageError as exc:
        print(f"mcp_client: usage error: {exc}", file=sys.stderr)
        return 2

    async def bounded() -> tuple[dict[str, Any], int]:
        with anyio.fail_after(args.timeout):
            return await run(args, server_cmd, calls)

    try:
        output, code = anyio.run(bounded)
    except BaseException as raw:  # noqa: BLE001 - the CLI reports every failure as exit 2
        exc = _flatten(raw)
        if isinstance(exc, KeyboardInterrupt):
            return 130
        if isinstance(exc, TimeoutError):
            msg = f"timed out after {args.timeout:g}s"
        elif isinstance(exc, (ClientFailure, UsageError)):
            msg = str(exc)
        elif isinstance(exc, MCPError):
            msg = f"JSON-RPC error {exc.code}: {exc.message}"
        elif isinstance(exc, OSError):
            msg = f"cannot run server {server_cmd[0]!r}: {exc}"
        else:
            msg = f"{type(exc).__name__}: {exc}"
            if os.environ.get("MCP_CLIENT_DEBUG"):
                traceback.print_exception(raw, file=sys.stderr)
        print(f"mcp_client: {msg}", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(output) + "\n")
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
