"""Routes added to an app when a request first needs them. The router answers a request no route matches
with its ``default``: here, that adds the deferred routes (once) and routes the request again; from then on
the router's own default answers (404)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send


class RoutesOnFirstUse:
    """``install(app)`` adds the routes; the OpenAPI document (``app.openapi``) adds them first too."""

    def __init__(self, app: FastAPI, install: Callable[[FastAPI], None]) -> None:
        self._app = app
        self._install = install
        self._fallback = app.router.default
        self._lock = threading.Lock()  # (TestClient may call an app from several threads)
        self.installed = False
        app.router.default = self
        app.openapi = self._openapi  # type: ignore[method-assign]

    def install(self) -> None:
        with self._lock:
            if not self.installed:
                self._install(self._app)
                self.installed = True

    def _openapi(self) -> dict:
        self.install()
        return self._app.openapi()  # the installed routes' document (``install`` sets ``app.openapi``)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.installed:
            await self._fallback(scope, receive, send)
            return
        self.install()
        await self._app.router(scope, receive, send)
