"""One request's store reads never hold up another's: while a GraphQL request waits on the store, the
served process goes on answering other requests.

The wait is a real one: a large sync (the batch writer) under way in the served process, and a request
whose snapshot was published before that write started. Its records are then read as they stood at the
snapshot, and its relations after the write is published (graph/service.py, PinnedGraph): that request
waits seconds. Meanwhile /healthz and a GraphQL question that reads nothing of the store must answer.
"""

from __future__ import annotations

import os
import threading
import time

import httpx
import pytest

from tests.conftest import NEO4J_AUTH, NEO4J_URL, neo4j_store
from tests.utils.server import serve_process

PROJECTS = 40
BULK = 40_000  # entities of the large sync: well over ValueGraph.bulk_threshold, seconds to write
HELD = 1.0  # seconds: a request still unanswered after this is waiting (it takes milliseconds otherwise)

# a request that reads the relations of an entity (the read that waits for a write under way to be published)
READS_RELATIONS = '{ entity(id: "OBJ") { id relations(direction: IN) { from { id name } } } }'
# a GraphQL question that needs no store read: the server's display settings
NO_STORE = "{ display { currency } }"


def base_document() -> dict:
    entities = [{"id": "OBJ", "kind": "Objective", "name": "Objective"}]
    entities += [{"id": f"P{i}", "kind": "Project", "name": f"Project {i}"} for i in range(PROJECTS)]
    relations = [{"from": f"P{i}", "type": "CONTRIBUTES_TO", "to": "OBJ"} for i in range(PROJECTS)]
    return {"source": "base", "entities": entities, "relations": relations}


def bulk_document() -> dict:
    entities = [{"id": f"B{i:05}", "kind": "Deliverable", "name": f"Deliverable {i}"} for i in range(BULK)]
    relations = [{"from": f"B{i:05}", "type": "DEPENDS_ON", "to": f"B{i - 1:05}"} for i in range(1, BULK)]
    return {"source": "bulk", "entities": entities, "relations": relations}


@pytest.fixture(params=["oxigraph", "neo4j"])
def served(request, tmp_path):
    if request.param == "neo4j":
        neo4j_store().close()  # emptied
        env = {**os.environ, "VALUEGRAPH_NEO4J_USER": NEO4J_AUTH["user"],
               "VALUEGRAPH_NEO4J_PASSWORD": NEO4J_AUTH["password"]}
        store = NEO4J_URL
    else:
        env, store = None, f"oxigraph:{tmp_path / 'store'}"
    with serve_process(store, env, up_timeout=120) as url:
        yield url


def timed(method: str, url: str, **kwargs) -> tuple[float, float, httpx.Response]:
    """A request on a connection of its own, with when it was sent and when its answer came."""
    started = time.monotonic()
    response = httpx.request(method, url, timeout=300, **kwargs)
    return started, time.monotonic(), response


def test_a_request_waiting_on_the_store_holds_up_no_other(served):
    url = served
    with httpx.Client(timeout=120) as client:
        client.post(f"{url}/api/v1/sync/base", json=base_document()).raise_for_status()
        expected = client.post(f"{url}/graphql", json={"query": READS_RELATIONS}).json()
        assert len(expected["data"]["entity"]["relations"]) == PROJECTS

        body = bulk_document()
        synced: list[httpx.Response] = []
        writer = threading.Thread(target=lambda: synced.append(timed("POST", f"{url}/api/v1/sync/bulk", json=body)[2]))
        writer.start()
        # ask again and again while the sync runs, until one request is held: it was pinned before the
        # write started and now waits for it to be published. (One also answers slowly while the sync's
        # planning holds the interpreter: then it may answer before the others; that shows nothing, and
        # the next is asked.)
        shown = None
        while writer.is_alive() and shown is None:
            answer: list = []
            reader = threading.Thread(target=lambda answer=answer: answer.append(
                timed("POST", f"{url}/graphql", json={"query": READS_RELATIONS})))
            reader.start()
            reader.join(HELD)
            if reader.is_alive():
                # the reader is held: other requests are answered meanwhile
                health = timed("GET", f"{url}/healthz")
                question = timed("POST", f"{url}/graphql", json={"query": NO_STORE})
                still_held = reader.is_alive()
                reader.join(300)
                if still_held:
                    shown = (answer[0], health, question)
            reader.join(300)
        writer.join(300)

    assert synced and synced[0].status_code == 200, synced and synced[0].text
    # on a blocked event loop, the others would wait for the held request, every time
    assert shown is not None, "no request answered while another waited for the sync to be published"
    (read_start, read_end, read), (_, health_end, health), (_, question_end, question) = shown
    assert health_end < read_end and question_end < read_end
    assert health.status_code == 200 and question.status_code == 200
    assert question.json() == {"data": {"display": {"currency": "EUR"}}}
    # and the held request answers the graph as its snapshot showed it: the 40 projects
    assert read.status_code == 200 and read.json() == expected
