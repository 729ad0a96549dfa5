"""FastAPI dependencies: the graph, the caller, and scope checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from valuegraph.api.auth import DEVELOPMENT, KeyRing, Principal, Scope
from valuegraph.api.settings import Settings
from valuegraph.graph import ValueGraph


def get_graph(request: Request) -> ValueGraph:
    return request.app.state.graph


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_principal(request: HTTPConnection) -> Principal:
    """The caller: the key sent in the Authorization header (of a request, or of a subscription's WebSocket
    handshake)."""
    keys: KeyRing = request.app.state.keys
    if keys.empty:
        return DEVELOPMENT
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "an API key is required: send 'Authorization: Bearer <key>'",
                            headers={"WWW-Authenticate": "Bearer"})
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
