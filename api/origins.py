"""Which other origins may call the API: CORS for pages that send a Bearer key, and the Origin check of
WebSocket handshakes (which CORS does not cover: without it a page of any site could subscribe with the
browser's session cookie)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection

from valuegraph.api.errors import ApiError


def install_cors(app: FastAPI, origins: list[str]) -> None:
    """Pages of ``origins`` may call the API with a Bearer key. Credentials (cookies) are not allowed
    across origins: a browser session serves the server's own pages only."""
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type"], allow_credentials=False)


def own_origin(connection: HTTPConnection) -> str:
    """The origin the request was sent to, as a browser names it (a WebSocket's ws: is the page's http:)."""
    scheme = {"ws": "http", "wss": "https"}.get(connection.url.scheme, connection.url.scheme)
    return f"{scheme}://{connection.headers.get('host', '')}".lower()


def check_websocket_origin(connection: HTTPConnection, allowed: list[str]) -> None:
    """A browser's WebSocket names the page it comes from: only the server's own pages and those of the
    configured CORS origins may open one. (Other clients send no Origin.)"""
    origin = connection.headers.get("origin")
    if origin is None:
        return
    origin = origin.lower()
    if origin != own_origin(connection) and origin not in allowed:
        raise ApiError(403, "ORIGIN_NOT_ALLOWED",
                       f"a WebSocket from {origin} is not allowed: only this server's pages and "
                       f"VALUEGRAPH_CORS_ORIGINS may open one")
