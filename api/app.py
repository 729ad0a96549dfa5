"""The FastAPI application, created from settings."""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager

import orjson
from fastapi import Depends, FastAPI
from starlette.requests import HTTPConnection
from strawberry.fastapi import GraphQLRouter

from valuegraph.api.auth import KeyRing, refuse_open_server
from valuegraph.api.deps import get_principal
from valuegraph.api.errors import install_handlers
from valuegraph.api.graphql.context import GraphContext, Limits
from valuegraph.api.graphql.schema import create_schema
from valuegraph.api.hosts import install_trusted_hosts
from valuegraph.api.middleware import RequestIdMiddleware
from valuegraph.api.origins import install_cors
from valuegraph.api.openapi import install_openapi
from valuegraph.api.pages import install_pages
from valuegraph.api.ratelimit import FailureLimiter
from valuegraph.api.routers import changes, cypher, entities, export, health, signin, sparql, sync
from valuegraph.api.sessions import Sessions
from valuegraph.api.settings import Settings
from valuegraph.graph import ValueGraph


class JsonGraphQLRouter(GraphQLRouter):
    """Responses encoded with orjson (several times faster than the standard library's encoder)."""

    def encode_json(self, data: object) -> bytes | str:
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits in a custom property
            return super().encode_json(data)


def open_graph(settings: Settings) -> ValueGraph:
    """The graph of ``settings.store``; its index is built on first use, so that a server can start
    (and say it is not ready) before a remote store answers."""
    return ValueGraph.open(settings.store, lazy=True, **settings.graph_options())


def create_app(settings: Settings | None = None, graph: ValueGraph | None = None) -> FastAPI:
    """The app; it opens the store named in ``settings`` unless given an open ``graph``.

    ``settings.host`` is where the app will listen (VALUEGRAPH_HOST; `valuegraph serve --host` sets it): without
    API keys it must be a loopback address, or OpenServer is raised. Whoever serves the app another way (say
    ``uvicorn --factory``) sets VALUEGRAPH_HOST to the address they bind."""
    settings = settings or Settings()
    keys = KeyRing.load(settings.api_keys_file, settings.api_keys)
    refuse_open_server(settings.host, keys)  # no keys: loopback only, however the app is served

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.graph = graph or open_graph(settings)
        try:
            yield
        finally:
            if graph is None:
                app.state.graph.close()

    # the OpenAPI document and Swagger UI are served by install_openapi, with a key like the API
    app = FastAPI(title="valuegraph", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None,
                  description="Traceability from strategy through projects to customer value.")
    app.state.settings = settings
    app.state.keys = keys
    # browser sign-in (api/sessions.py): without a configured secret, sessions last as long as the process
    secret = (settings.session_secret.get_secret_value().encode() if settings.session_secret
              else secrets.token_bytes(32))
    app.state.sessions = Sessions(keys, secret, settings.session_hours * 3600)
    app.state.signin_limiter = FailureLimiter(settings.signin_max_failures, settings.signin_failure_window_seconds)
    if graph is not None:
        app.state.graph = graph

    limits = Limits(max_first=settings.max_first, max_paths=settings.max_paths,
                    max_sync_errors=settings.max_sync_errors)

    async def context(request: HTTPConnection) -> GraphContext:  # a request, or a subscription's WebSocket
        return GraphContext(request.app.state.graph, get_principal(request), limits,
                            settings.subscription_poll_seconds, settings.currency)

    schema = create_schema(settings.max_query_depth, settings.max_aliases, settings.max_tokens,
                           settings.max_query_cost)
    # the pages first: a browser's GET /graphql gets the bundled GraphiQL (no key needed for a page without
    # data); the GraphQL router (no IDE of its own, which would load from a CDN) answers every query.
    # get_principal refuses a WebSocket from a foreign origin; strawberry does too, and is told which
    # origins are not foreign
    install_pages(app)
    app.include_router(JsonGraphQLRouter(schema, context_getter=context, graphql_ide=None,
                                         allowed_origins=settings.cors_origins), prefix="/graphql",
                       dependencies=[Depends(get_principal)])
    app.include_router(sync.router)
    app.include_router(changes.router)
    app.include_router(entities.router)
    app.include_router(cypher.router)
    app.include_router(export.router)
    app.include_router(sparql.router)
    app.include_router(health.router)
    app.include_router(signin.router)
    install_openapi(app, keys_configured=not keys.empty)

    install_handlers(app)
    install_cors(app, settings.cors_origins)
    install_trusted_hosts(app, settings, keys)
    app.add_middleware(RequestIdMiddleware)

    return app
