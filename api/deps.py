"""FastAPI dependencies: the graph, the caller, and scope checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.dependencies.models import Dependant
from starlette.requests import HTTPConnection

from valuegraph.api.auth import DEVELOPMENT, KeyRing, Principal, Scope
from valuegraph.api.errors import ApiError
from valuegraph.api.origins import check_websocket_origin
from valuegraph.api.sessions import SESSION_COOKIE, check_csrf, session_of
from valuegraph.api.settings import Settings
from valuegraph.graph import ValueGraph


def get_graph(request: Request) -> ValueGraph:
    return request.app.state.graph


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_principal(request: HTTPConnection) -> Principal:
    """The caller: the key sent in the Authorization header (of a request, or of a subscription's WebSocket
    handshake), or else the browser session of a sign-in (its cookie, and for a write its CSRF token: see
    api/sessions.py). A WebSocket from a page of a foreign origin is refused either way."""
    settings: Settings = request.app.state.settings
    if request.scope["type"] == "websocket":
        check_websocket_origin(request, settings.cors_origins)
    keys: KeyRing = request.app.state.keys
    if keys.empty:  # development: every request may do everything, and a session cookie means nothing
        return DEVELOPMENT
    if "authorization" not in request.headers and SESSION_COOKIE in request.cookies:
        session = session_of(request)
        if session is None:
            raise HTTPException(401, "the session has ended (signed out, expired, or its key revoked): sign in "
                                     "again at /signin", headers={"WWW-Authenticate": "Bearer"})
        check_csrf(request, session)
        return session.principal
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "an API key is required: send 'Authorization: Bearer <key>' (or sign in at "
                                 "/signin in a browser)", headers={"WWW-Authenticate": "Bearer"})
    principal = keys.authenticate(token.strip())
    if principal is None:
        raise HTTPException(401, "this API key is not known", headers={"WWW-Authenticate": "Bearer"})
    return principal


GraphDep = Annotated[ValueGraph, Depends(get_graph)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_scope(scope: Scope):
    def check(principal: PrincipalDep) -> Principal:
        if not principal.has(scope):
            raise HTTPException(403, f"this API key lacks the {scope.value} scope")
        return principal

    return check


def known_query_params(request: Request, _: PrincipalDep) -> None:
    """400 UNKNOWN_PARAMETER naming each query parameter the route does not declare: a misspelt option
    (``dry_run=true`` for ``dryRun=true``) is refused rather than ignored, since ignoring it may write what the
    caller meant only to check. After the key (a caller without one learns nothing of the route)."""
    declared = _declared_query_params(request.scope["route"])
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in declared]
    if unknown:
        names = ", ".join(repr(n) if len(n) <= 60 else f"{n[:60]!r}…" for n in unknown[:5])
        takes = f"it takes {', '.join(sorted(declared))}" if declared else "it takes none"
        raise ApiError(400, "UNKNOWN_PARAMETER",
                       f"unknown query parameter{'s' if len(unknown) > 1 else ''} {names}; {takes}")


def _declared_query_params(route) -> frozenset[str]:
    """The query parameters a route reads: its own and its dependencies' (by the name a URL gives them), and
    those its OpenAPI description declares beside them. Worked out once per route, and kept on it (a route
    cannot be a dictionary's key)."""
    declared = getattr(route, "valuegraph_query_params", None)
    if declared is None:
        declared = route.valuegraph_query_params = _query_params_of(route)
    return declared


def _query_params_of(route) -> frozenset[str]:
    names: set[str] = set()

    def collect(dependant: Dependant) -> None:
        names.update(field.alias for field in dependant.query_params)
        for sub in dependant.dependencies:
            collect(sub)

    collect(route.dependant)
    extra = getattr(route, "openapi_extra", None) or {}
    names.update(p["name"] for p in extra.get("parameters", ()) if p.get("in") == "query")
    return frozenset(names)
