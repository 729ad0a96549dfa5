"""The FastAPI application, created from settings."""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

from api import logs
from api.auth import KeyRing
from api.deps import get_principal
from api.graphql.context import GraphContext, Limits
from api.graphql.schema import create_schema
from api.routers import cypher, export, health, sparql, sync
from api.settings import Settings
from graph import StoreUnavailable, ValueGraph

log = logging.getLogger("valuegraph.access")


def open_graph(settings: Settings) -> ValueGraph:
    """The graph of ``settings.store``; its index is built on first use, so that a server can start
    (and say it is not ready) before a remote store answers."""
    return ValueGraph.open(settings.store, lazy=True, user=settings.neo4j_user, password=settings.neo4j_password)


def create_app(settings: Settings | None = None, graph: ValueGraph | None = None) -> FastAPI:
    """The app; it opens the store named in ``settings`` unless given an open ``graph``."""
    settings = settings or Settings()
    keys = KeyRing.load(settings.api_keys_file, settings.api_keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.graph = graph or open_graph(settings)
        try:
            yield
        finally:
            if graph is None:
                app.state.graph.close()

    app = FastAPI(title="valuegraph", version="0.1.0", lifespan=lifespan,
                  description="Traceability from strategy through projects to customer value.")
    app.state.settings = settings
    app.state.keys = keys
    if graph is not None:
        app.state.graph = graph

    limits = Limits(max_first=settings.max_first, max_paths=settings.max_paths)

    async def context(request: Request) -> GraphContext:
        return GraphContext(request.app.state.graph, get_principal(request), limits)

    schema = create_schema(settings.max_query_depth, settings.max_aliases, settings.max_tokens)
    app.include_router(GraphQLRouter(schema, context_getter=context, graphql_ide="graphiql"), prefix="/graphql",
                       dependencies=[Depends(get_principal)])
    app.include_router(sync.router)
    app.include_router(cypher.router)
    app.include_router(export.router)
    app.include_router(sparql.router)
    app.include_router(health.router)

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, exc: StoreUnavailable):
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception:
            log.exception("unhandled error")
            response = JSONResponse({"detail": "internal error", "requestId": rid}, status_code=500)
        response.headers["X-Request-ID"] = rid
        log.info("request", extra={"method": request.method, "path": request.url.path, "status": response.status_code,
                                   "ms": round((time.perf_counter() - started) * 1000, 2)})
        logs.request_id.reset(token)
        return response

    return app
