"""Readers never see half a write.

Reader threads ask whatDelivers, alignment and impact, over HTTP (the app on a real server) and through
the Python service, while a writer adds 2,000 relations (a merge) and retracts them again (a full sync),
cycle after cycle, by each write path (one transaction, the batch writer, a sync in parts). Every answer
must be the answer before the change or the answer after it, and no read may fail.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from valuegraph.graph import SyncMode, ValueGraph, open_store
from valuegraph.graph.questions import Questions
from tests.conftest import neo4j_store
from tests.utils.factories import E, R, document, load
from tests.utils.server import serve_in_thread

pytestmark = pytest.mark.slow

# a write of 1,000 relations takes long enough for readers to meet it mid-way on every path; four cycles
# per write path (store transaction, batch writer, sync in parts) keep the suite's time in bounds
TOGGLED = 1000  # projects whose contributions come and go
OBJECTIVES = 4
CYCLES = 12
PYTHON_READERS = 2
HTTP_READERS = 2
PAUSE = 0.01  # seconds between one reader's questions

QUERY = """{
  alignment { orphans { id } unsupported { id } alignedBudgetShare }
  whatDelivers(target: "O0", first: 500) { totalCount edges { cursor node { item { id } } } }
  impact(item: "D") { dependents { id } affected { id } }
}"""


def toggled(i: int) -> str:
    return f"T{i:04d}"


def base_document():
    """Objectives of one goal, a few aligned projects, and the toggled projects, all depending on D."""
    entities = [E("G", "Goal")] + [E(f"O{k}", "Objective") for k in range(OBJECTIVES)]
    entities += [E(f"A{i}", "Project", budget=10) for i in range(8)] + [E("D", "Project", budget=1)]
    entities += [E(toggled(i), "Project", budget=1) for i in range(TOGGLED)]
    relations = [R(f"O{k}", "SUPPORTS", "G") for k in range(OBJECTIVES)]
    relations += [R(f"A{i}", "CONTRIBUTES_TO", f"O{i % OBJECTIVES}") for i in range(8)]
    relations += [R(toggled(i), "DEPENDS_ON", "D") for i in range(TOGGLED)]
    return entities, relations


def contributions(lo: int = 0, hi: int = TOGGLED) -> list[dict]:
    return [R(toggled(i), "CONTRIBUTES_TO", f"O{i % OBJECTIVES}") for i in range(lo, hi)]


def python_answer(questions: Questions) -> dict:
    """The three questions asked of the service, as a front end asks them."""
    delivers = questions.what_delivers("O0")
    aligned = questions.alignment()
    impact = questions.impact("D")
    return {
        "alignment": (tuple(r.id for r in aligned.orphans), tuple(r.id for r in aligned.unsupported),
                      aligned.aligned_budget_share),
        "whatDelivers": tuple((h.entity.id, h.distance) for h in delivers.hits) + (delivers.total,),
        "impact": (tuple(h.entity.id for h in impact.dependents), tuple(h.entity.id for h in impact.affected)),
    }


def http_answer(client: httpx.Client) -> dict:
    response = client.post("/graphql", json={"query": QUERY})
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body.get("errors")
    data = body["data"]
    a, w, i = data["alignment"], data["whatDelivers"], data["impact"]
    return {
        "alignment": (tuple(e["id"] for e in a["orphans"]), tuple(e["id"] for e in a["unsupported"]),
                      a["alignedBudgetShare"]),
        "whatDelivers": (w["totalCount"], tuple(e["cursor"] for e in w["edges"])),
        "impact": (tuple(e["id"] for e in i["dependents"]), tuple(e["id"] for e in i["affected"])),
    }


class Readers:
    """Threads asking one kind of question until told to stop; they keep what they saw and what failed."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.seen: list[dict] = []
        self.failures: list[BaseException] = []
        self.threads: list[threading.Thread] = []

    def start(self, ask, n: int) -> None:
        for _ in range(n):
            thread = threading.Thread(target=self._run, args=(ask,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _run(self, ask) -> None:
        try:
            while not self.stop.wait(PAUSE):  # a short pause: readers share the two cores with the writer
                self.seen.append(ask())
        except Exception as exc:  # noqa: BLE001 - whatever a read raises is a failure the test reports
            self.failures.append(exc)

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def toggle(graph: ValueGraph, cycle: int) -> None:
    """Add the contributions by one of the write paths, then retract them with a full sync."""
    path = cycle % 3
    if path == 0:  # one store transaction
        load(graph, [], contributions(), source="toggle")
    elif path == 1:  # the store's batch writer
        graph.bulk_threshold = TOGGLED // 2
        try:
            load(graph, [], contributions(), source="toggle")
        finally:
            del graph.bulk_threshold
    else:  # a sync in parts
        half = TOGGLED // 2
        graph.sync_parts([document([], contributions(0, half), source="toggle"),
                          document([], contributions(half), source="toggle")])
    graph.sync(document([], [], source="toggle"), mode=SyncMode.FULL)


@pytest.mark.parametrize("backend", ["oxigraph", "neo4j"])
def test_readers_see_the_graph_before_or_after_each_write_and_never_fail(backend, tmp_path):
    store = neo4j_store() if backend == "neo4j" else open_store(f"oxigraph:{tmp_path / 'store'}")
    graph = ValueGraph(store)
    try:
        load(graph, *base_document(), source="base")
        with serve_in_thread(graph) as url, httpx.Client(base_url=url, timeout=60) as client:
            before = {"python": python_answer(Questions(graph)), "http": http_answer(client)}
            load(graph, [], contributions(), source="toggle")
            after = {"python": python_answer(Questions(graph)), "http": http_answer(client)}
            graph.sync(document([], [], source="toggle"), mode=SyncMode.FULL)
            assert python_answer(Questions(graph)) == before["python"] and http_answer(client) == before["http"]
            # the change is what the test says it is: every toggled project is an orphan before, none after
            assert len(before["python"]["alignment"][0]) == TOGGLED + 1 and after["python"]["alignment"][0] == ("D",)
            for via in ("python", "http"):
                for question in before[via]:
                    assert before[via][question] != after[via][question], (via, question)

            python_readers, http_readers = Readers(), Readers()
            python_readers.start(lambda: python_answer(Questions(graph)), PYTHON_READERS)
            http_clients = [httpx.Client(base_url=url, timeout=60) for _ in range(HTTP_READERS)]
            for c in http_clients:
                http_readers.start(lambda c=c: http_answer(c), 1)
            started = time.monotonic()
            try:
                for cycle in range(CYCLES):
                    toggle(graph, cycle)
            finally:
                python_readers.join()
                http_readers.join()
                for c in http_clients:
                    c.close()
            writing = time.monotonic() - started

        for via, readers in (("python", python_readers), ("http", http_readers)):
            assert readers.failures == [], f"{via} reads failed: {readers.failures[:3]!r}"
            states = {"before": 0, "after": 0}
            for answer in readers.seen:
                for question, got in answer.items():
                    state = ("before" if got == before[via][question] else
                             "after" if got == after[via][question] else None)
                    assert state is not None, f"{via} {question}: an answer that is neither before nor after a write"
                    states[state] += 1
            # the readers did read while the writes went on, and saw both states
            assert states["before"] and states["after"], (via, states, writing)
    finally:
        graph.close()
