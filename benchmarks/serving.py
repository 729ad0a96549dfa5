"""``graphql_vs_bare_http``: whatDelivers over HTTP against a bare endpoint serving the same bytes, and
the least any GraphQL endpoint could cost here (graphql-core alone, over the answer as plain dicts)."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from graphql import build_schema, execute, parse

from benchmarks.traversal import pick_targets
from valuegraph.graph import ValueGraph
from valuegraph.schema import vocabulary


def serve(app, port_holder: list) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port_holder.append(server.servers[0].sockets[0].getsockname()[1])
    return server


async def hammer(url: str, body: dict | None, requests: int, concurrency: int) -> float:
    async with httpx.AsyncClient(timeout=60) as client:
        queue = list(range(requests))

        async def worker():
            while queue:
                queue.pop()
                response = await (client.post(url, json=body) if body else client.get(url))
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


QUERY = ('{{ whatDelivers(target: "{target}", first: 100) {{ edges {{ node {{ '
         'item {{ id name kind }} paths {{ length }} }} }} }} }}')
CALLS_QUERY = ("{ entities(kind: PROJECT, first: 500) { edges { node { id name ... on Project { budget programme "
               "{ name portfolio { name } } manager { name } contributesTo { id name } deliverables { name enables "
               "{ name } } } } } } }")


def engine_only_app(sdl: str, answer: dict) -> FastAPI:
    """graphql-core alone over the same schema, its answer precomputed as plain dicts (read by the engine's
    default resolvers), each query text parsed once: what executing the query costs with free resolvers."""
    engine = build_schema(sdl)
    engine.query_type.fields["whatDelivers"].resolve = lambda *_args, **_kwargs: answer
    documents: dict = {}

    async def endpoint(request: Request) -> Response:
        query = orjson.loads(await request.body())["query"]
        document = documents.get(query) or documents.setdefault(query, parse(query))
        result = execute(engine, document)
        return Response(orjson.dumps({"data": result.data}), media_type="application/json")

    app = FastAPI()
    app.add_api_route("/graphql", endpoint, methods=["POST"])
    return app


def _typed(answer: dict) -> dict:
    """The answer with each item's GraphQL type named, as the engine's default type resolver expects."""
    type_of = {spec.enum: name for name, spec in vocabulary().kinds.items()}
    for edge in answer["edges"]:
        item = edge["node"]["item"]
        item["__typename"] = type_of[item["kind"]]
    return answer


def delivery_query(graph: ValueGraph) -> dict:
    """The request body of the timed query, for a goal of ``graph``."""
    return {"query": QUERY.format(target=pick_targets(graph)["goal"])}


def serve_graph(graph: ValueGraph, port_holder: list) -> uvicorn.Server:
    """valuegraph's own app over ``graph``, started on a free port (appended to ``port_holder``)."""
    from valuegraph.api.app import create_app
    from valuegraph.api.settings import Settings

    return serve(create_app(Settings(store="memory:", log_json=False, log_level="ERROR"), graph), port_holder)


def http_ratios(graph: ValueGraph, requests: int) -> dict:
    from valuegraph.api.graphql.schema import create_schema

    query = delivery_query(graph)
    servers: list[uvicorn.Server] = []
    ports: list[int] = []
    try:
        servers.append(serve_graph(graph, ports))
        response = httpx.post(f"http://127.0.0.1:{ports[0]}/graphql", json=query)
        response.raise_for_status()
        payload = response.content
        bare_app = FastAPI()
        bare_app.add_api_route("/bare", lambda: Response(payload, media_type="application/json"), methods=["GET"])
        servers.append(serve(bare_app, ports))
        answer = _typed(orjson.loads(payload)["data"]["whatDelivers"])
        servers.append(serve(engine_only_app(create_schema().as_str(), answer), ports))
        engine_payload = httpx.post(f"http://127.0.0.1:{ports[2]}/graphql", json=query).content
        if orjson.loads(engine_payload) != orjson.loads(payload):
            raise AssertionError("the engine-only endpoint does not give our answer")

        ours_s = asyncio.run(hammer(f"http://127.0.0.1:{ports[0]}/graphql", query, requests, 8))
        bare_s = asyncio.run(hammer(f"http://127.0.0.1:{ports[1]}/bare", None, requests, 8))
        engine_s = asyncio.run(hammer(f"http://127.0.0.1:{ports[2]}/graphql", query, requests, 8))
        before = graph.store.calls
        httpx.post(f"http://127.0.0.1:{ports[0]}/graphql", json={"query": CALLS_QUERY}, timeout=60).raise_for_status()
        calls = graph.store.calls - before
    finally:
        for server in servers:
            server.should_exit = True
    return {"graphql_s": ours_s, "bare_s": bare_s, "graphql_engine_only_s": engine_s, "requests": requests,
            "store_calls": calls}
