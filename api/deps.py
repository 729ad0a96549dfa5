"""FastAPI dependencies: the graph, the caller, and scope checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from valuegraph.api.auth import DEVELOPMENT, KeyRing, Principal, Scope
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
