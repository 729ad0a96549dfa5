"""The FastAPI application, created from settings."""

from __future__ import annotations

import asyncio
import functools
import secrets
from contextlib import asynccontextmanager

import orjson
from fastapi import Depends, FastAPI
from fastapi.responses import Response
from graphql import ExecutionResult, GraphQLError
from starlette.requests import HTTPConnection
from strawberry.fastapi import GraphQLRouter

from valuegraph.api.auth import KeyRing, refuse_open_server
from valuegraph.api.deferred import RoutesOnFirstUse
from valuegraph.api.deps import get_principal
from valuegraph.api.errors import install_handlers
from valuegraph.api.etags import CACHE_HEADERS, entity_tag, matches, may_tag, settings_salt
from valuegraph.api.graphql import cost
from valuegraph.api.graphql.context import GraphContext, Limits
from valuegraph.api.graphql.schema import create_schema
from valuegraph.api.hosts import install_trusted_hosts
from valuegraph.api.middleware import RequestIdMiddleware
from valuegraph.api.origins import install_cors
from valuegraph.api.pages import install_pages
from valuegraph.api.persisted import (NOT_FOUND_CODE, NOT_FOUND_MESSAGE, PersistedQueries, PersistedQueryNotFound,
                                      PersistedQueryRefused)
from valuegraph.api.ratelimit import FailureLimiter
from valuegraph.api.routers import health
from valuegraph.api.sessions import Sessions
from valuegraph.api.settings import Settings
from valuegraph.graph import ValueGraph
from valuegraph.graph.errors import ValueGraphError
from valuegraph.graph.questions import load_compiled_search


VERSION = "0.1.0"
#: how long after its start a server begins to load the compiled search (graph/kernels.py)
COMPILE_AFTER_SECONDS = 2.0


class JsonGraphQLRouter(GraphQLRouter):
    """Responses encoded with orjson (several times faster than the standard library's encoder); persisted
    queries (api/persisted.py); answers to queries tagged (api/etags.py), a tag still current answered 304."""

    def __init__(self, schema, *, persisted: PersistedQueries, **options) -> None:
        super().__init__(schema, **options)
        self.persisted = persisted

    def encode_json(self, data: object) -> bytes | str:
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits in a custom property
            return super().encode_json(data)

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        try:
            request_data.query = self.persisted.resolve(request_data.query, request_data.extensions,
                                                        context.principal.name)
        except PersistedQueryNotFound:
            return ExecutionResult(None, [GraphQLError(NOT_FOUND_MESSAGE, extensions={"code": NOT_FOUND_CODE})])
        except PersistedQueryRefused as exc:
            sub_response.status_code = 400
            code = "PERSISTED_QUERY_HASH_MISMATCH" if request_data.query else "PERSISTED_QUERY_INVALID"
            return ExecutionResult(None, [GraphQLError(str(exc), extensions={"code": code})])
        tag = await self._tag(request.app.state.etag_salt, context, request_data)
        if tag is not None:
            if matches(request.headers.get("if-none-match"), tag):
                sub_response.status_code = 304
                sub_response.headers["ETag"] = tag
                return ExecutionResult(None, None)
        result = await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                              request_data)
        if tag is not None and not result.errors and sub_response.status_code in (None, 200):
            sub_response.headers["ETag"] = tag
            sub_response.headers.update(CACHE_HEADERS)
        return result

    async def _tag(self, salt: bytes, context: GraphContext, request_data) -> str | None:
        """The tag of the answer to a query by a caller that may read (None for anything else): taking the
        request's snapshot gives the revision every field of the answer is read at."""
        query = request_data.query
        if not query or not may_tag(context.principal) or operation_kind(query, request_data.operation_name) != "query":
            return None
        try:
            revision = await context.revision()
        except ValueGraphError:  # the store does not answer: the query says so (503), untagged
            return None
        return entity_tag(salt, revision, context.principal, query, request_data.variables,
                          request_data.operation_name)

    def should_render_graphql_ide(self, request) -> bool:
        # a GET with a persisted query's hash and no text is a query (a dashboard's, through a CDN)
        return super().should_render_graphql_ide(request) and "extensions" not in request.query_params

    def create_response(self, response_data, sub_response):
        if sub_response.status_code == 304:  # Not Modified: the tag, and no body
            return Response(status_code=304, headers=dict(sub_response.headers))
        return super().create_response(response_data, sub_response)


@functools.lru_cache(maxsize=256)
def operation_kind(query: str, operation_name: str | None) -> str | None:
    """query, mutation or subscription (None when unclear): of the few texts dashboards send, each read once."""
    found = cost.definitions(query)
    return None if found is None else cost.operation_kind(found, operation_name)


def answers_salt(settings: Settings, graph: ValueGraph) -> bytes:
    """What of the configuration shapes answers (a tag is made with it: another precedence, another tag)."""
    return settings_salt(VERSION, graph.precedence.digest, settings.currency, settings.max_first, settings.max_paths)


def graphql_schema(settings: Settings):
    """The GraphQL schema with the limits of ``settings`` (made once per process)."""
    return create_schema(settings.max_query_depth, settings.max_aliases, settings.max_tokens,
                         settings.max_query_cost)


def open_graph(settings: Settings) -> ValueGraph:
    """The graph of ``settings.store``; its index is built on first use, so that a server can start
    (and say it is not ready) before a remote store answers."""
    return ValueGraph.open(settings.store, lazy=True, **settings.graph_options())


def _install_rest(app: FastAPI, keys_configured: bool) -> None:
    # imported when first needed (api/rest.py): the REST routers are not on the way to a server's first answer
    from valuegraph.api.rest import install_rest

    install_rest(app, keys_configured)


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
        # the first answers come from numpy's search; the compiled one is loaded once the server has started
        # (a second's work that would otherwise delay its first answers), in each worker: a thread does not
        # survive a fork
        loading = asyncio.get_running_loop().call_later(COMPILE_AFTER_SECONDS, load_compiled_search)
        app.state.graph = graph or open_graph(settings)
        app.state.etag_salt = answers_salt(settings, app.state.graph)
        try:
            yield
        finally:
            loading.cancel()
            if graph is None:
                app.state.graph.close()

    # the OpenAPI document and Swagger UI are served by install_openapi, with a key like the API
    app = FastAPI(title="valuegraph", version=VERSION, lifespan=lifespan, docs_url=None, redoc_url=None,
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
        app.state.etag_salt = answers_salt(settings, graph)

    limits = Limits(max_first=settings.max_first, max_paths=settings.max_paths,
                    max_sync_errors=settings.max_sync_errors)

    async def context(request: HTTPConnection) -> GraphContext:  # a request, or a subscription's WebSocket
        return GraphContext(request.app.state.graph, get_principal(request), limits,
                            settings.subscription_poll_seconds, settings.currency)

    schema = graphql_schema(settings)
    # the pages first: a browser's GET /graphql gets the bundled GraphiQL (no key needed for a page without
    # data); the GraphQL router (no IDE of its own, which would load from a CDN) answers every query.
    # get_principal refuses a WebSocket from a foreign origin; strawberry does too, and is told which
    # origins are not foreign
    install_pages(app)
    app.state.persisted = PersistedQueries(settings.persisted_queries_max, settings.persisted_query_max_bytes)
    app.include_router(JsonGraphQLRouter(schema, context_getter=context, graphql_ide=None,
                                         allowed_origins=settings.cors_origins, persisted=app.state.persisted),
                       prefix="/graphql",
                       dependencies=[Depends(get_principal)])
    app.include_router(health.router)
    RoutesOnFirstUse(app, functools.partial(_install_rest, keys_configured=not keys.empty))

    install_handlers(app)
    install_cors(app, settings.cors_origins)
    install_trusted_hosts(app, settings, keys)
    app.add_middleware(RequestIdMiddleware)

    return app
