"""SPARQL's SERVICE makes the server send a request wherever the query says: it is refused, however it is
nested and however the query is sent, unless VALUEGRAPH_SPARQL_SERVICE_ALLOW names the endpoint."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import httpx
import pytest

from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.graph import ValueGraph, open_store
from tests.utils.factories import E, load
from tests.utils.server import serve_in_thread

KEY = "analyst-key-0000000001"
AUTH = {"Authorization": f"Bearer {KEY}"}


@contextmanager
def listener():
    """A TCP port that records every connection made to it (and answers nothing)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    connections: list[tuple] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            connections.append(peer)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", connections
    finally:
        stop.set()
        thread.join(5)
        server.close()


def graph_with(*ids: str) -> ValueGraph:
    graph = ValueGraph(open_store("memory:"))
    load(graph, [E(i, "Project") for i in ids], source="ppm")
    return graph


@pytest.fixture(scope="module")
def served():
    keys = [ApiKeyConfig(name="analyst", hash=hash_key(KEY), scopes=["analyst"])]
    with serve_in_thread(graph_with("P1"), api_keys=keys) as url:
        yield url


def ask(url: str, query: str, how: str) -> httpx.Response:
    """The query sent one of the ways the SPARQL protocol allows."""
    endpoint = f"{url}/api/v1/sparql"
    if how == "get":
        return httpx.get(endpoint, params={"query": query}, headers=AUTH, timeout=30)
    if how == "form":
        return httpx.post(endpoint, data={"query": query}, headers=AUTH, timeout=30)
    return httpx.post(endpoint, content=query, headers={**AUTH, "Content-Type": "application/sparql-query"},
                      timeout=30)


SHAPES = {
    "plain": "SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
    "silent": "SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
    "optional": "SELECT * WHERE {{ ?s a vg:Project OPTIONAL {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
    "subquery": "SELECT ?s WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} }}",
    "union": "SELECT * WHERE {{ {{ ?s a vg:Project }} UNION {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
    "exists": "ASK {{ ?s a vg:Project FILTER EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
    "prefixed": "PREFIX t: <{target}/> CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE t:x {{ ?s ?p ?o }} }}",
}


@pytest.mark.parametrize("how", ["get", "form", "body"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_service_is_refused_and_nothing_is_contacted(served, shape, how):
    with listener() as (target, connections):
        response = ask(served, SHAPES[shape].format(target=target), how)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "QUERY_REJECTED"
    assert body["detail"].startswith("SERVICE <" + target) and "is refused" in body["detail"]
    assert connections == []


def test_service_with_a_variable_endpoint_is_refused(served):
    with listener() as (target, connections):
        query = f"SELECT * WHERE {{ VALUES ?where {{ <{target}> }} SERVICE ?where {{ ?s ?p ?o }} }}"
        response = ask(served, query, "body")
    assert response.status_code == 400 and response.json()["code"] == "QUERY_REJECTED"
    assert response.json()["detail"].startswith("SERVICE with a variable endpoint is refused")
    assert connections == []


def test_service_with_an_unknown_prefix_is_refused_as_not_parsing(served):
    response = ask(served, "SELECT * WHERE { SERVICE nowhere:x { ?s ?p ?o } }", "body")
    assert response.status_code == 400 and response.json()["code"] == "QUERY_REJECTED"
    assert response.json()["detail"].startswith("the query does not parse") and "nowhere" in response.json()["detail"]


def test_a_query_nested_too_deeply_to_read_is_refused(served):
    query = "SELECT * WHERE " + "{ " * 300 + "?s ?p ?o" + " }" * 300
    response = ask(served, query, "body")
    assert response.status_code == 400 and response.json()["code"] == "QUERY_REJECTED"
    assert response.json()["detail"] == "the query nests its groups too deeply to be read"


def test_the_word_service_in_a_literal_or_an_iri_is_no_service(served):
    query = 'SELECT ?s WHERE { ?s a vg:Project FILTER(?s != <http://x/SERVICE> && "SERVICE <http://y/> {}" != "") }'
    response = ask(served, query, "get")
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]["bindings"]) == 1


def test_an_allowed_endpoint_is_queried():
    """Another valuegraph's SPARQL endpoint, named in the allow-list, answers through SERVICE; an endpoint
    the list does not name is still refused."""
    with serve_in_thread(graph_with("REMOTE-1", "REMOTE-2")) as remote:
        endpoint = f"{remote}/api/v1/sparql"
        allowed = f"http://example.invalid/sparql, {endpoint}"
        with serve_in_thread(graph_with("P1"), sparql_service_allow=allowed) as url:
            query = f"SELECT ?s WHERE {{ SERVICE <{endpoint}> {{ ?s a vg:Project }} }} ORDER BY ?s"
            response = ask(url, query, "get")
            assert response.status_code == 200, response.text
            found = [b["s"]["value"].rsplit("/", 1)[1] for b in response.json()["results"]["bindings"]]
            assert found == ["REMOTE-1", "REMOTE-2"]
            with listener() as (target, connections):
                other = ask(url, f"SELECT * WHERE {{ SERVICE <{target}/sparql> {{ ?s ?p ?o }} }}", "form")
            assert other.status_code == 400 and "is refused" in other.json()["detail"] and connections == []
