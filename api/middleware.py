"""Request ids and access logs, as plain ASGI middleware (no per-request task or body streaming
wrapper, which Starlette's ``BaseHTTPMiddleware`` adds to every request)."""

from __future__ import annotations

import logging
import time
import uuid

from fastapi.responses import JSONResponse

from valuegraph.api import logs

log = logging.getLogger("valuegraph.access")


class RequestIdMiddleware:
    """Every response carries ``X-Request-ID`` (the caller's, or a new one) and every log line of the
    request names it; an unhandled error becomes a 500 with the id instead of a dropped connection."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = given.decode("latin-1") if given else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error")
            if responded:
                raise
            await JSONResponse({"detail": "internal error", "requestId": rid}, status_code=500)(
                scope, receive, send_with_id)
        finally:
            log.info("request", extra={"method": scope["method"], "path": scope["path"], "status": status,
                                       "ms": round((time.perf_counter() - started) * 1000, 2)})
            logs.request_id.reset(token)
