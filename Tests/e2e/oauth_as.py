#!/usr/bin/env python3
"""Loopback OAuth 2.1 authorization server for MCP-client tests (built on mcp==2.3.0).

Uses the SDK's own handlers (mcp.server.auth.routes.create_auth_routes: /authorize,
/token, /register, /revoke) with an in-memory provider that AUTO-APPROVES: GET /authorize
answers 302 straight to the client's redirect_uri with ?code=...&state=...[&iss=...],
so a test can play the browser with one plain HTTP GET (no redirect following needed
at the AS; then GET the Location on the client's loopback listener).

Extras for tests:
  POST /introspect                RFC 7662 introspection (used by rs_server.py)
  GET  /_test/log                 JSON list of every HTTP exchange seen (DELETE clears)
  GET  /_test/state               clients / tokens currently held
  POST /_test/revoke-access       drop all access tokens   (RS then answers 401)
  POST /_test/revoke-refresh      drop all refresh tokens  (refresh -> invalid_grant)
  POST /_test/expire-client-secrets  secrets expire now    (token -> 401 invalid_client)

Run:  python as_server.py --port 9000 [--token-ttl 5] ...   (binds 127.0.0.1 only)
"""

import argparse
import json
import logging
import secrets
import sys
import time
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import uvicorn
from pydantic import AnyHttpUrl, AnyUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    construct_redirect_uri,
)
from mcp.server.auth.routes import build_metadata, cors_middleware, create_auth_routes
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import (
    InvalidRedirectUriError,
    InvalidScopeError,
    OAuthClientInformationFull,
    OAuthMetadata,
    OAuthToken,
)

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
log = logging.getLogger("test-as")


class TestClient(OAuthClientInformationFull):
    """Client record whose redirect/scope checks can be relaxed by command-line flags."""

    # class-level knobs, set from argv in main()
    any_loopback_port: ClassVar[bool] = False  # RFC 8252 §7.3: ignore the port of loopback redirect URIs
    strict_client_scope: ClassVar[bool] = False  # SDK default: only scopes registered at DCR may be requested
    as_valid_scopes: ClassVar[list[str]] = []

    def validate_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        if redirect_uri is not None and TestClient.any_loopback_port and redirect_uri.host in LOOPBACK_HOSTS:
            for reg in self.redirect_uris or []:
                if (reg.scheme, reg.host, reg.path or "/") == (redirect_uri.scheme, redirect_uri.host, redirect_uri.path or "/"):
                    return redirect_uri
        return super().validate_redirect_uri(redirect_uri)

    def validate_scope(self, requested_scope: str | None) -> list[str] | None:
        if TestClient.strict_client_scope or requested_scope is None:
            return super().validate_scope(requested_scope)
        requested = requested_scope.split()
        for s in requested:
            if s not in TestClient.as_valid_scopes:
                raise InvalidScopeError(f"Unknown scope {s}")
        return requested


class TestProvider:
    """In-memory OAuthAuthorizationServerProvider that auto-approves every authorization."""

    def __init__(self, a: argparse.Namespace, issuer: str):
        self.a = a
        self.issuer = issuer
        self.clients: dict[str, TestClient] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.counter = 0

    # --- clients -----------------------------------------------------------------
    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        c = self.clients.get(client_id)
        if c is None and self.a.cimd and client_id.startswith(("https://", "http://")):
            c = await self._fetch_cimd(client_id)
        return c

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        self.clients[client_info.client_id] = TestClient.model_validate(client_info.model_dump())
        log.info("registered client %s auth=%s", client_info.client_id, client_info.token_endpoint_auth_method)

    async def _fetch_cimd(self, url: str) -> TestClient | None:
        """Client ID Metadata Document: fetch the client_id URL (http allowed only for loopback)."""
        import httpx2

        p = urlsplit(url)
        if p.scheme != "https" and p.hostname not in LOOPBACK_HOSTS:
            return None
        try:
            async with httpx2.AsyncClient(timeout=5) as h:
                r = await h.get(url, headers={"Accept": "application/json"})
            doc = r.json()
        except Exception as e:  # noqa: BLE001
            log.warning("CIMD fetch %s failed: %s", url, e)
            return None
        if r.status_code != 200 or doc.get("client_id") != url or not doc.get("redirect_uris"):
            log.warning("CIMD document at %s rejected", url)
            return None
        doc.pop("client_secret", None)
        doc["token_endpoint_auth_method"] = "none"
        return TestClient.model_validate(doc)

    # --- authorization -----------------------------------------------------------
    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if self.a.require_resource and not params.resource:
            raise AuthorizeError("invalid_target", "resource parameter is required")
        if self.a.allowed_resource and params.resource and params.resource.rstrip("/") not in [
            r.rstrip("/") for r in self.a.allowed_resource
        ]:
            raise AuthorizeError("invalid_target", f"unknown resource {params.resource}")
        if self.a.deny:
            raise AuthorizeError("access_denied", "test AS configured with --deny")
        scopes = params.scopes if params.scopes is not None else (client.scope.split() if client.scope else [])
        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthorizationCode(
            code=code,
            scopes=scopes,
            expires_at=time.time() + self.a.code_ttl,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
            subject=self.a.subject,
        )
        # auto-approve: redirect straight back to the client (RFC 9207 iss optional)
        return construct_redirect_uri(
            str(params.redirect_uri),
            code=code,
            state=params.state,
            iss=self.issuer if self.a.emit_iss else None,
        )

    async def load_authorization_code(self, client: OAuthClientInformationFull, authorization_code: str):
        return self.codes.get(authorization_code)

    def _issue(self, client_id: str, scopes: list[str], resource: str | None, subject: str | None) -> OAuthToken:
        self.counter += 1
        at = f"at{self.counter}_" + secrets.token_urlsafe(24)
        rt = f"rt{self.counter}_" + secrets.token_urlsafe(24)
        now = int(time.time())
        self.access[at] = AccessToken(
            token=at, client_id=client_id, scopes=scopes, expires_at=now + self.a.token_ttl,
            resource=resource, subject=subject, claims={"iss": self.issuer},
        )
        if not self.a.no_refresh:
            self.refresh[rt] = RefreshToken(
                token=rt, client_id=client_id, scopes=scopes,
                expires_at=(now + self.a.refresh_ttl) if self.a.refresh_ttl else None,
                resource=resource, subject=subject,
            )
        return OAuthToken(
            access_token=at, token_type="Bearer", expires_in=self.a.token_ttl,
            scope=" ".join(scopes), refresh_token=None if self.a.no_refresh else rt,
        )

    async def exchange_authorization_code(self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode) -> OAuthToken:
        self.codes.pop(authorization_code.code, None)  # single use
        return self._issue(client.client_id, authorization_code.scopes, authorization_code.resource, authorization_code.subject)

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str):
        return self.refresh.get(refresh_token)

    async def exchange_refresh_token(self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]) -> OAuthToken:
        if not self.a.no_rotate:
            self.refresh.pop(refresh_token.token, None)  # OAuth 2.1 §4.3.1: rotate for public clients
        tok = self._issue(client.client_id, scopes, refresh_token.resource, refresh_token.subject)
        if self.a.no_rotate:
            self.refresh.pop(tok.refresh_token, None)
            tok.refresh_token = None  # RFC 6749 §6: omitted => keep using the old one
        return tok

    async def load_access_token(self, token: str) -> AccessToken | None:
        t = self.access.get(token)
        if t and t.expires_at and t.expires_at < time.time():
            return None
        return t

    async def revoke_token(self, token) -> None:
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)


class ExchangeLog:
    """ASGI middleware recording every request/response (bodies included) for test assertions."""

    def __init__(self, app, sink: list, log_file: str | None):
        self.app, self.sink, self.log_file = app, sink, log_file

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/_test/"):
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []
        more = True
        while more:
            m = await receive()
            chunks.append(m.get("body", b""))
            more = m.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        entry: dict[str, Any] = {
            "t": round(time.time(), 3), "method": scope["method"], "path": scope["path"],
            "query": dict(parse_qsl(scope.get("query_string", b"").decode())),
        }
        hdrs = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        for h in ("authorization", "content-type", "mcp-protocol-version"):
            if h in hdrs:
                entry.setdefault("req_headers", {})[h] = hdrs[h]
        if body:
            ct = hdrs.get("content-type", "")
            try:
                entry["body"] = json.loads(body) if "json" in ct else dict(parse_qsl(body.decode()))
            except Exception:  # noqa: BLE001
                entry["body"] = body.decode(errors="replace")
        resp_body: list[bytes] = []

        async def capture(msg):
            if msg["type"] == "http.response.start":
                entry["status"] = msg["status"]
                rh = {k.decode().lower(): v.decode() for k, v in msg.get("headers", [])}
                for h in ("location", "www-authenticate", "content-type"):
                    if h in rh:
                        entry.setdefault("resp_headers", {})[h] = rh[h]
            elif msg["type"] == "http.response.body":
                resp_body.append(msg.get("body", b""))
            await send(msg)

        try:
            await self.app(scope, replay, capture)
        finally:
            rb = b"".join(resp_body)
            if rb:
                try:
                    entry["resp_body"] = json.loads(rb)
                except Exception:  # noqa: BLE001
                    entry["resp_body"] = rb[:500].decode(errors="replace")
            self.sink.append(entry)
            if self.log_file:
                with open(self.log_file, "a") as f:
                    f.write(json.dumps(entry) + "\n")


def build_app(a: argparse.Namespace) -> Starlette:
    issuer = f"http://127.0.0.1:{a.port}{a.issuer_path.rstrip('/')}"
    provider = TestProvider(a, issuer)
    TestClient.any_loopback_port = a.any_loopback_port
    TestClient.strict_client_scope = a.strict_client_scope
    TestClient.as_valid_scopes = a.scopes.split()

    reg = ClientRegistrationOptions(
        enabled=not a.no_dcr,
        valid_scopes=a.scopes.split(),
        default_scopes=(a.default_scopes or a.scopes).split(),
        client_secret_expiry_seconds=a.client_secret_ttl,
    )
    rev = RevocationOptions(enabled=True)
    issuer_url = AnyHttpUrl(issuer)
    sdk_routes = create_auth_routes(provider, issuer_url, client_registration_options=reg, revocation_options=rev)
    endpoint_routes = [r for r in sdk_routes if not r.path.startswith("/.well-known/")]

    md = build_metadata(issuer_url, None, reg, rev).model_dump(mode="json", exclude_none=True)
    md["issuer"] = issuer  # exact string, no trailing slash (RFC 8414 §3.3 comparison is exact)
    md["introspection_endpoint"] = issuer + "/introspect"
    if a.emit_iss:
        md["authorization_response_iss_parameter_supported"] = True
    if a.cimd:
        md["client_id_metadata_document_supported"] = True
        md["token_endpoint_auth_methods_supported"] = ["none", *md["token_endpoint_auth_methods_supported"]]
    else:
        md["token_endpoint_auth_methods_supported"] = [*md["token_endpoint_auth_methods_supported"], "none"]
    if a.no_pkce_metadata:
        md.pop("code_challenge_methods_supported", None)
    OAuthMetadata.model_validate(md)  # sanity

    async def metadata(_: Request) -> Response:
        return JSONResponse(md, headers={"Cache-Control": "no-store"})

    p = a.issuer_path.rstrip("/")
    wk: list[str] = []
    if a.discovery in ("oauth", "both"):
        wk.append(f"/.well-known/oauth-authorization-server{p}")  # RFC 8414 path insertion
    if a.discovery in ("oidc", "both"):
        # OIDC Discovery 1.0 is path *appending*; for a root issuer both forms coincide
        wk.append(f"{p}/.well-known/openid-configuration")

    async def introspect(request: Request) -> Response:
        form = await request.form()
        tok = await provider.load_access_token(str(form.get("token", "")))
        if not tok:
            return JSONResponse({"active": False})
        return JSONResponse({
            "active": True, "client_id": tok.client_id, "scope": " ".join(tok.scopes),
            "exp": tok.expires_at, "iat": int(time.time()), "token_type": "Bearer",
            "aud": tok.resource, "sub": tok.subject, "iss": issuer,
        })

    exchanges: list[dict] = []

    async def t_log(request: Request) -> Response:
        if request.method == "DELETE":
            exchanges.clear()
        return JSONResponse(exchanges)

    async def t_state(_: Request) -> Response:
        return JSONResponse({
            "clients": {k: v.model_dump(mode="json", exclude_none=True) for k, v in provider.clients.items()},
            "access_tokens": {k: v.model_dump(mode="json") for k, v in provider.access.items()},
            "refresh_tokens": {k: v.model_dump(mode="json") for k, v in provider.refresh.items()},
        })

    async def t_revoke_access(_: Request) -> Response:
        n = len(provider.access); provider.access.clear(); return JSONResponse({"revoked": n})

    async def t_revoke_refresh(_: Request) -> Response:
        n = len(provider.refresh); provider.refresh.clear(); return JSONResponse({"revoked": n})

    async def t_expire_secrets(_: Request) -> Response:
        for c in provider.clients.values():
            if c.client_secret:
                c.client_secret_expires_at = int(time.time()) - 1
        return JSONResponse({"ok": True})

    endpoint_routes.append(Route("/introspect", cors_middleware(introspect, ["POST", "OPTIONS"]), methods=["POST", "OPTIONS"]))
    routes: list = [Route(path, metadata, methods=["GET"]) for path in wk]
    routes += [
        Route("/_test/log", t_log, methods=["GET", "DELETE"]),
        Route("/_test/state", t_state, methods=["GET"]),
        Route("/_test/revoke-access", t_revoke_access, methods=["POST"]),
        Route("/_test/revoke-refresh", t_revoke_refresh, methods=["POST"]),
        Route("/_test/expire-client-secrets", t_expire_secrets, methods=["POST"]),
    ]
    routes += [Mount(p, routes=endpoint_routes)] if p else endpoint_routes

    if a.static_client_id:  # pre-registered client (spec: clients SHOULD support static credentials)
        provider.clients[a.static_client_id] = TestClient(
            client_id=a.static_client_id,
            client_secret=a.static_client_secret,
            token_endpoint_auth_method="client_secret_post" if a.static_client_secret else "none",
            redirect_uris=[AnyUrl(u) for u in a.static_redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            scope=a.scopes,
        )

    app = Starlette(routes=routes)
    log.info("issuer %s metadata at %s", issuer, wk)
    return ExchangeLog(app, exchanges, a.log_file)  # type: ignore[return-value]


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--issuer-path", default="", help="e.g. /tenant1 -> issuer http://127.0.0.1:PORT/tenant1")
    ap.add_argument("--discovery", choices=["oauth", "oidc", "both"], default="oauth",
                    help="which well-known metadata URL(s) to serve")
    ap.add_argument("--scopes", default="mcp:read mcp:write", help="scopes the AS knows (scopes_supported)")
    ap.add_argument("--default-scopes", default=None, help="DCR default scope when client registers none")
    ap.add_argument("--token-ttl", type=int, default=3600, help="access token lifetime, seconds")
    ap.add_argument("--refresh-ttl", type=int, default=0, help="refresh token lifetime, seconds (0 = none)")
    ap.add_argument("--code-ttl", type=int, default=300)
    ap.add_argument("--client-secret-ttl", type=int, default=None, help="DCR client_secret_expires_at offset")
    ap.add_argument("--no-refresh", action="store_true", help="issue no refresh tokens")
    ap.add_argument("--no-rotate", action="store_true", help="refresh responses omit refresh_token")
    ap.add_argument("--no-dcr", action="store_true", help="no registration_endpoint")
    ap.add_argument("--cimd", action="store_true", help="accept URL client_ids (CIMD); http only on loopback")
    ap.add_argument("--emit-iss", action="store_true", help="RFC 9207 iss in redirect + advertise it")
    ap.add_argument("--no-pkce-metadata", action="store_true", help="omit code_challenge_methods_supported")
    ap.add_argument("--any-loopback-port", action="store_true", help="RFC 8252 §7.3 port-agnostic loopback match")
    ap.add_argument("--strict-client-scope", action="store_true", help="SDK behaviour: scope <= DCR-registered scope")
    ap.add_argument("--require-resource", action="store_true", help="reject /authorize without resource")
    ap.add_argument("--allowed-resource", action="append", default=[], help="accepted resource value(s)")
    ap.add_argument("--deny", action="store_true", help="answer every /authorize with error=access_denied")
    ap.add_argument("--subject", default="test-user")
    ap.add_argument("--static-client-id"); ap.add_argument("--static-client-secret")
    ap.add_argument("--static-redirect-uri", action="append", default=[])
    ap.add_argument("--log-file", default=None, help="append JSONL exchange log here")
    return ap.parse_args(argv)


def main() -> None:
    a = parse(sys.argv[1:])
    logging.basicConfig(level=logging.INFO, format="AS %(levelname)s %(message)s")
    uvicorn.run(build_app(a), host="127.0.0.1", port=a.port, log_level="warning")


if __name__ == "__main__":
    main()
