"""No N+1: a GraphQL request costs a bounded number of store calls, whatever the page size."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.questions import Questions
from tests.utils.factories import E, R, load
from tests.utils.server import ROOT, free_port, serve_in_thread, wait_until_up

QUERY = """query($first: Int) { entities(kind: PROJECT, first: $first) { totalCount edges { node { id name
  ... on Project { budget programme { name portfolio { name } } manager { name } contributesTo { id name }
                   sponsors { name } } } } } }"""


def portfolio(n: int) -> ValueGraph:
    graph = ValueGraph(open_store("memory:"))
    entities = [E("PF", "Portfolio")] + [E(f"OBJ{i}", "Objective") for i in range(10)]
    entities += [E(f"PG{i}", "Programme") for i in range(10)] + [E(f"PER{i}", "Person") for i in range(20)]
    relations = [R(f"PG{i}", "PART_OF", "PF") for i in range(10)]
    for i in range(n):
        entities.append(E(f"PRJ{i:04}", "Project", budget=i))
        relations += [R(f"PRJ{i:04}", "PART_OF", f"PG{i % 10}"), R(f"PER{i % 20}", "MANAGES", f"PRJ{i:04}"),
                      R(f"PRJ{i:04}", "CONTRIBUTES_TO", f"OBJ{i % 10}"),
                      R(f"PRJ{i:04}", "CONTRIBUTES_TO", f"OBJ{(i + 3) % 10}")]
    load(graph, entities, relations)
    return graph


def store_calls(n: int) -> int:
    graph = portfolio(n)
    with serve_in_thread(graph) as url:
        before = graph.store.calls
        response = httpx.post(f"{url}/graphql", json={"query": QUERY, "variables": {"first": n}})
        calls = graph.store.calls - before
    body = response.json()
    assert "errors" not in body, body
    edges = body["data"]["entities"]["edges"]
    assert len(edges) == n
    first = edges[0]["node"]
    assert first["programme"]["name"] == "PG0" and first["programme"]["portfolio"]["name"] == "PF"
    assert first["manager"]["name"] == "PER0" and {o["id"] for o in first["contributesTo"]} == {"OBJ0", "OBJ3"}
    return calls


def test_store_calls_do_not_grow_with_the_number_of_projects():
    small, large = store_calls(50), store_calls(200)
    # entities; the managers' and sponsors' relations (both directions in one read), then their records; the
    # programmes' and portfolios' records (those relations are in the index). Whether the managers' records
    # and the portfolios' come in one read or two depends on which read ends first: 4 or 5, at any size
    assert small <= 5 and large <= 5


PATHS = """query($target: ID!) { whatDelivers(target: $target, first: 100) { edges { node { item { id }
  paths(limit: 2) { length nodes { id } } } } } }"""


def test_paths_kept_by_the_snapshot_are_answered_without_a_search(monkeypatch):
    # the paths of a page asked again are answered on the event loop from what the snapshot kept: no batch
    # of searches is sent off it; after a write, the new snapshot searches again and answers the new paths
    graph = portfolio(30)
    searches: list[int] = []
    traces = Questions.traces
    monkeypatch.setattr(Questions, "traces", lambda self, asked: searches.append(len(asked)) or traces(self, asked))

    def lengths(url: str) -> dict[str, list[int]]:
        body = httpx.post(f"{url}/graphql", json={"query": PATHS, "variables": {"target": "PF"}}).json()
        assert "errors" not in body, body
        return {e["node"]["item"]["id"]: [p["length"] for p in e["node"]["paths"]]
                for e in body["data"]["whatDelivers"]["edges"]}

    with serve_in_thread(graph) as url:
        first = lengths(url)
        assert searches == [len(first)] and first["PRJ0001"] == [2] and first["PG1"] == [1]
        assert lengths(url) == first and searches == [len(first)]
        load(graph, [], [R("PRJ0001", "PART_OF", "PF")])
        after = lengths(url)
        assert after["PRJ0001"] == [1, 2] and len(searches) == 2


def test_request_id_on_every_response_and_log_line(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "valuegraph.cli", "serve", "--store", "memory:", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "VALUEGRAPH_LOG_JSON": "true"})
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url)
        given = httpx.get(f"{url}/healthz", headers={"X-Request-ID": "req-given-1"})
        made = httpx.post(f"{url}/graphql", json={"query": "{ alignment { alignedBudgetShare } }"})
        assert given.headers["x-request-id"] == "req-given-1"
        assert len(made.headers["x-request-id"]) == 32
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "valuegraph.access"]
    assert {(a["request_id"], a["path"], a["status"]) for a in access} >= {
        ("req-given-1", "/healthz", 200), (made.headers["x-request-id"], "/graphql", 200)}
    assert all("request_id" in line for line in lines)


VALUE_CHAIN_QUERY = """{ entity(id: "PRJ0007") { ... on Project { name programme { name portfolio { name } }
  contributesTo { id } } } }"""


def test_value_chain_navigation_reads_no_relation_from_the_store():
    """A project's programme, its portfolio and what it contributes to come from the snapshot's index: the
    request reads only the three levels' entity records."""
    graph = portfolio(20)
    graph.forget_records()
    with serve_in_thread(graph) as url:
        before = graph.store.calls
        response = httpx.post(f"{url}/graphql", json={"query": VALUE_CHAIN_QUERY})
        calls = graph.store.calls - before
    project = response.json()["data"]["entity"]
    assert project == {"name": "PRJ0007", "programme": {"name": "PG7", "portfolio": {"name": "PF"}},
                       "contributesTo": [{"id": "OBJ0"}, {"id": "OBJ7"}]}
    assert calls == 3
