"""A large bad sync body costs the server what it must and no more: it is parsed and validated on a worker
thread (the event loop goes on answering), and the answer lists the first errors and counts them all."""

from __future__ import annotations

import threading
import time

import httpx

from valuegraph.graph import ValueGraph, open_store
from valuegraph.loaders import validate_mapping
from tests.utils.factories import E, load
from tests.utils.fingerprint import fingerprint
from tests.utils.server import serve_in_thread

ITEMS = 1_000_000


def test_a_million_empty_entities_are_answered_with_a_short_422_while_health_answers():
    graph = ValueGraph(open_store("memory:"))
    load(graph, [E("P", "Project")], source="x")
    before = fingerprint(graph)
    body = b'{"entities": [' + b",".join([b"{}"] * ITEMS) + b"]}"
    # what the service itself finds wrong with one empty entity, a million times
    expected = len(validate_mapping({"entities": [{}]}, "body").errors) * ITEMS
    done: dict[str, object] = {}
    with serve_in_thread(graph, max_sync_errors=25) as url, httpx.Client(timeout=300) as health:
        health.get(f"{url}/healthz")  # its connection is open before the clock starts

        def sync() -> None:
            done["response"] = httpx.post(f"{url}/api/v1/sync/x", content=body, timeout=300,
                                          headers={"content-type": "application/json"})
            done["at"] = time.perf_counter()

        syncing = threading.Thread(target=sync)
        syncing.start()
        time.sleep(1.0)  # the body is sent and being validated
        started = time.perf_counter()
        assert health.get(f"{url}/healthz").json() == {"status": "ok"}
        answered = time.perf_counter()
        syncing.join(300)
    response = done["response"]
    assert answered < done["at"], "health waited for the sync"
    assert answered - started < 1.0, f"health took {answered - started:.2f} s"
    assert response.status_code == 422
    assert len(response.content) < 16 * 1024, len(response.content)
    answer = response.json()
    assert answer["code"] == "DOCUMENT_REJECTED"
    assert len(answer["errors"]) == 25 and answer["errors"][0]["location"] == "body: entities[0].id"
    assert answer["errorCount"] == expected and answer["errorsTruncated"] is True
    assert answer["detail"] == (f"document rejected with {expected} error(s); the first 25 are listed; "
                                "nothing was written")
    assert fingerprint(graph) == before


def test_a_short_list_of_errors_is_listed_whole():
    graph = ValueGraph(open_store("memory:"))
    with serve_in_thread(graph) as url:
        response = httpx.post(f"{url}/api/v1/sync/x",
                              json={"entities": [{}, {"id": "A", "kind": "Widget", "name": "a"}]})
    answer = response.json()
    assert response.status_code == 422
    assert answer["errorCount"] == len(answer["errors"]) == 4 and answer["errorsTruncated"] is False
    assert answer["detail"] == "document rejected with 4 error(s); nothing was written"


def test_the_sync_mutation_lists_at_most_the_cap():
    graph = ValueGraph(open_store("memory:"))
    mutation = "mutation($doc: JSON!) { sync(source: \"x\", document: $doc) { revision errors { location } } }"
    with serve_in_thread(graph, max_sync_errors=5) as url:
        got = httpx.post(f"{url}/graphql", timeout=60,
                         json={"query": mutation, "variables": {"doc": {"entities": [{}] * 1000}}}).json()
    assert got["data"]["sync"]["revision"] is None and len(got["data"]["sync"]["errors"]) == 5
