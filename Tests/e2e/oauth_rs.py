#!/usr/bin/env python3
"""Loopback MCP resource server (streamable HTTP) protected by as_server.py (mcp==2.3.0).

A stock MCPServer (FastMCP's 2.x name) with auth=AuthSettings(...) and a token_verifier
that calls the AS's RFC 7662 /introspect. The SDK then provides:
  * 401 + `WWW-Authenticate: Bearer error="invalid_token", error_description=...,
    resource_metadata="http://127.0.0.1:PORT/.well-known/oauth-protected-resource/mcp"`
  * RFC 9728 metadata at /.well-known/oauth-protected-resource/mcp (path-aware)
  * 403 insufficient_scope when a token lacks one of --required-scopes
An outer ASGI wrapper adds test knobs the SDK does not have:
  * `scope="..."` in the 401 challenge (--challenge-scope; SDK omits it)
  * per-tool step-up: tools/call of `write_note` without --write-scope -> 403
    `Bearer error="insufficient_scope", scope="<required + write>", resource_metadata=...`
  * drop resource_metadata from the header (--no-header-metadata) / move PRM to the
    root well-known URL (--prm-location root|both) to exercise client fallbacks
Tools: whoami (token info), echo(text), write_note(text) [needs write scope].

Run:  python rs_server.py --port 9200 --as-url http://127.0.0.1:9100
"""

import argparse
import json
import logging
import sys
import time
from typing import Any

import httpx2
import uvicorn

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver.server import MCPServer

log = logging.getLogger("test-rs")


class IntrospectionVerifier(TokenVerifier):
    def __init__(self, endpoint: str, resource: str, strict: bool):
        self.endpoint, self.resource, self.strict = endpoint, resource, strict

    async def verify_token(self, token: str) -> AccessToken | None:
        async with httpx2.AsyncClient(timeout=5) as h:
            r = await h.post(self.endpoint, data={"token": token})
        if r.status_code != 200:
            return None
        d = r.json()
        if not d.get("active"):
            return None
        if self.strict and (d.get("aud") or "").rstrip("/") != self.resource.rstrip("/"):
            log.warning("token aud %r != %s", d.get("aud"), self.resource)
            return None
        return AccessToken(
            token=token, client_id=d.get("client_id", "?"), scopes=(d.get("scope") or "").split(),
            expires_at=d.get("exp"), resource=d.get("aud"), subject=d.get("sub"), claims=d,
        )


class TestKnobs:
    """Outer ASGI wrapper implementing the extra challenge behaviours (see module doc)."""

    def __init__(self, app, a: argparse.Namespace, verifier: IntrospectionVerifier, prm: dict, prm_url: str):
        self.app, self.a, self.verifier, self.prm, self.prm_url = app, a, verifier, prm, prm_url
        self.path_prm = "/.well-known/oauth-protected-resource" + a.mcp_path

    async def _json(self, send, status: int, obj: Any, extra: list | None = None):
        b = json.dumps(obj).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(b)).encode()), *(extra or [])]})
        await send({"type": "http.response.body", "body": b})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        loc = self.a.prm_location
        if method == "GET" and path == "/.well-known/oauth-protected-resource" and loc in ("root", "both"):
            return await self._json(send, 200, self.prm)
        if method == "GET" and path == self.path_prm:
            if loc == "root":
                return await self._json(send, 404, {"error": "not_found"})
            return await self._json(send, 200, self.prm)

        if method == "POST" and path == self.a.mcp_path and self.a.write_scope:
            chunks, more = [], True
            while more:
                m = await receive()
                chunks.append(m.get("body", b""))
                more = m.get("more_body", False)
            body = b"".join(chunks)
            done, orig_receive = False, receive

            async def replay():
                nonlocal done
                if not done:
                    done = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await orig_receive()

            try:
                msg = json.loads(body)
            except Exception:  # noqa: BLE001
                msg = None
            if isinstance(msg, dict) and msg.get("method") == "tools/call" and (msg.get("params") or {}).get("name") == "write_note":
                hdr = dict((k.decode().lower(), v.decode()) for k, v in scope["headers"]).get("authorization", "")
                tok = await self.verifier.verify_token(hdr[7:]) if hdr.lower().startswith("bearer ") else None
                if tok and self.a.write_scope not in tok.scopes:
                    need = " ".join(dict.fromkeys([*self.a.required_scopes.split(), self.a.write_scope]))
                    www = (f'Bearer error="insufficient_scope", scope="{need}", '
                           f'resource_metadata="{self.prm_url}", error_description="write_note needs {self.a.write_scope}"')
                    return await self._json(send, 403, {"error": "insufficient_scope"}, [(b"www-authenticate", www.encode())])
            receive = replay

        async def rewrite(msg):
            if msg["type"] == "http.response.start" and msg["status"] in (401, 403):
                hs = []
                for k, v in msg.get("headers", []):
                    if k.lower() == b"www-authenticate":
                        s = v.decode()
                        if self.a.no_header_metadata:
                            s = ", ".join(p for p in s[len("Bearer "):].split(", ") if not p.startswith("resource_metadata=")) 
                            s = "Bearer " + s
                        if self.a.challenge_scope and msg["status"] == 401 and "scope=" not in s:
                            s += f', scope="{self.a.challenge_scope}"'
                        v = s.encode()
                    hs.append((k, v))
                msg = {**msg, "headers": hs}
            await send(msg)

        return await self.app(scope, receive, rewrite)


def build_app(a: argparse.Namespace):
    resource = f"http://127.0.0.1:{a.port}{a.mcp_path}"
    verifier = IntrospectionVerifier(a.introspection_url or a.as_url.rstrip("/") + "/introspect", resource, a.strict_resource)
    mcp = MCPServer(
        name="muxgate-oauth-test-rs",
        token_verifier=verifier,
        auth=AuthSettings(
            issuer_url=a.as_url,
            resource_server_url=resource,
            required_scopes=a.required_scopes.split() or None,
            validate_token_resource=a.strict_resource,
        ),
    )

    @mcp.tool()
    async def whoami() -> dict[str, Any]:
        """Report the access token the request was authorized with."""
        t = get_access_token()
        return {"client_id": t.client_id, "scopes": t.scopes, "resource": t.resource, "subject": t.subject,
                "expires_in": (t.expires_at - int(time.time())) if t and t.expires_at else None,
                "token_prefix": t.token.split("_")[0]} if t else {"anonymous": True}

    @mcp.tool()
    async def echo(text: str) -> str:
        """Echo text back."""
        return text

    @mcp.tool()
    async def write_note(text: str) -> str:
        """Pretend to write; the outer wrapper demands the write scope first."""
        return f"wrote {len(text)} chars"

    prm = {
        "resource": resource,
        "authorization_servers": [a.as_url],
        "bearer_methods_supported": ["header"],
        "resource_name": "muxgate OAuth test RS",
    }
    ss = a.scopes_supported if a.scopes_supported is not None else a.required_scopes
    if ss.split():
        prm["scopes_supported"] = ss.split()
    prm_url = ("http://127.0.0.1:%d/.well-known/oauth-protected-resource" % a.port) + ("" if a.prm_location == "root" else a.mcp_path)
    app = mcp.streamable_http_app(streamable_http_path=a.mcp_path, host="127.0.0.1")
    return TestKnobs(app, a, verifier, prm, prm_url)


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--as-url", required=True, help="issuer of as_server.py, e.g. http://127.0.0.1:9100")
    ap.add_argument("--introspection-url", default=None, help="default: AS_URL/introspect")
    ap.add_argument("--mcp-path", default="/mcp")
    ap.add_argument("--required-scopes", default="mcp:read", help="every request needs these ('' = none)")
    ap.add_argument("--scopes-supported", default=None, help="PRM scopes_supported (default = required)")
    ap.add_argument("--challenge-scope", default=None, help='add scope="..." to 401 challenges')
    ap.add_argument("--write-scope", default="mcp:write", help="scope write_note needs ('' disables step-up)")
    ap.add_argument("--strict-resource", action="store_true", help="reject tokens whose aud != this RS URL")
    ap.add_argument("--no-header-metadata", action="store_true", help="omit resource_metadata from challenges")
    ap.add_argument("--prm-location", choices=["path", "root", "both"], default="path")
    return ap.parse_args(argv)


def main() -> None:
    a = parse(sys.argv[1:])
    logging.basicConfig(level=logging.INFO, format="RS %(levelname)s %(message)s")
    uvicorn.run(build_app(a), host="127.0.0.1", port=a.port, log_level="warning")


if __name__ == "__main__":
    main()
