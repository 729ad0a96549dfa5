"""Many `valuegraph serve` processes over one Neo4j serve the same answers: a request that starts after a
sync's response was received, through any process, answers at that revision or later (contract §6)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import httpx
import orjson
import pytest
from valuegraph.graph import open_store

from tests.conftest import EXAMPLES, NEO4J_AUTH, NEO4J_URL, ROOT, neo4j_store
from tests.utils.server import free_port, wait_until_up

VALUEGRAPH = [sys.executable, "-m", "valuegraph.cli"]
ENV = {**os.environ, "VALUEGRAPH_LOG_JSON": "false", "VALUEGRAPH_NEO4J_USER": NEO4J_AUTH["user"],
       "VALUEGRAPH_NEO4J_PASSWORD": NEO4J_AUTH["password"]}

DELIVERS = """query($target: ID!) { whatDelivers(target: $target, first: 500) { totalCount edges { node { item { id } } } } }"""
ENTITY = """query($id: ID!) { entity(id: $id) { id name } }"""


@contextlib.contextmanager
def servers(count: int):
    """``count`` `valuegraph serve` processes over the test Neo4j, each on a free loopback port."""
    procs, urls = [], []
    try:
        for _ in range(count):
            port = free_port()
            procs.append(subprocess.Popen([*VALUEGRAPH, "serve", "--store", NEO4J_URL, "--port", str(port)],
                                          cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_until_up(url)
        clients = [httpx.Client(base_url=url, timeout=60) for url in urls]
        try:
            yield clients
        finally:
            for client in clients:
                client.close()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def graphql(client: httpx.Client, query: str, **variables) -> dict:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def delivers(client: httpx.Client, target: str) -> list[str]:
    return sorted(e["node"]["item"]["id"] for e in graphql(client, DELIVERS, target=target)["whatDelivers"]["edges"])


def name_of(client: httpx.Client, entity_id: str) -> str | None:
    found = graphql(client, ENTITY, id=entity_id)["entity"]
    return None if found is None else found["name"]


def rest_sync(client: httpx.Client, source: str, doc: dict, mode: str = "merge") -> dict:
    response = client.post(f"/api/v1/sync/{source}", params={"mode": mode}, content=orjson.dumps(doc),
                           headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def empty_neo4j():
    neo4j_store().close()  # emptied


def test_a_sync_through_one_process_is_answered_by_every_other_in_its_next_request(empty_neo4j, tmp_path):
    expected: list[str] = []  # the projects that deliver OBJ-A so far
    with servers(3) as clients:
        for client in clients:  # every process has read the empty graph and published its index
            assert name_of(client, "OBJ-A") is None
        for step in range(9):
            writer = clients[step % 3]
            project = f"P-{step}"
            doc = {"entities": [{"id": "OBJ-A", "kind": "Objective", "name": f"Objective named at step {step}"},
                                {"id": project, "kind": "Project", "name": f"Project {step}", "status": "active"}],
                   "relations": [{"from": project, "type": "CONTRIBUTES_TO", "to": "OBJ-A"}]}
            if step % 4 == 3:  # now and then a full sync, which retracts the earlier projects
                expected.clear()
                report = rest_sync(writer, "ppm", doc, mode="full")
            else:
                report = rest_sync(writer, "ppm", doc)
            expected.append(project)
            assert report["revision"] == step + 1, report
            # every other process, in its very next request, answers the new state
            for reader in clients[step % 3 + 1:] + clients[:step % 3]:
                assert delivers(reader, "OBJ-A") == sorted(expected), (step, reader.base_url)
                assert name_of(reader, "OBJ-A") == f"Objective named at step {step}"
                assert name_of(reader, project) == f"Project {step}"

        # a command-line load into the same store while they run: each sees it in its next request
        loaded = subprocess.run([*VALUEGRAPH, "load", str(EXAMPLES / "strategy.yaml"), "--store", NEO4J_URL],
                                check=False, cwd=ROOT, env=ENV, capture_output=True, text=True)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        for client in clients:
            assert name_of(client, "G-1") == "Be the most trusted energy supplier in the region"
            assert delivers(client, "G-1") == delivers(clients[0], "G-1")
    with open_store(NEO4J_URL, **NEO4J_AUTH) as store:
        assert store.current_revision() == 10


def test_a_sync_through_one_process_plans_on_an_entity_another_process_created(empty_neo4j):
    with servers(2) as (a, b):
        assert name_of(a, "OBJ-B") is None  # A has published its index: it knows of no OBJ-B
        made = rest_sync(b, "strategy", {"entities": [{"id": "OBJ-B", "kind": "Objective", "name": "B's objective"}]})
        assert made["revision"] == 1 and made["created"] == 1
        # A has not asked anything since: its first act is this sync, which refers to B's entity
        planned = rest_sync(a, "ppm", {
            "entities": [{"id": "P-A", "kind": "Project", "name": "A's project", "status": "active"}],
            "relations": [{"from": "P-A", "type": "CONTRIBUTES_TO", "to": "OBJ-B"}]})
        assert planned["revision"] == 2 and planned["created"] == 2, planned
        # a second source's assertion of B's entity through A: the same entity, asserted by both sources
        # (taken for new to the graph, it would be a second node: refused by the store)
        named = rest_sync(a, "ppm", {"entities": [{"id": "OBJ-B", "kind": "Objective", "name": "Renamed"}]})
        assert named["revision"] == 3 and named["created"] == 1, named
        for client in (a, b):
            assert delivers(client, "OBJ-B") == ["P-A"]
            assert name_of(client, "OBJ-B") == "Renamed"
            found = graphql(client, '{ entity(id: "OBJ-B") { sources } }')["entity"]
            assert sorted(found["sources"]) == ["ppm", "strategy"]
