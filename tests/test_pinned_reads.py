"""One request's questions read the graph as its snapshot shows it: records (names, properties, relations)
that a write changed after the snapshot was published are read as they stood at the snapshot, not as the
store holds them now. (The load test, tests/test_load.py, found answers mixing the two under load.)"""

from __future__ import annotations

from valuegraph.graph import SyncMode
from valuegraph.graph.questions import Questions
from valuegraph.graph.store import Direction
from tests.utils.factories import E, R, load

PROJECTS = 5


def state(graph, gen: int) -> None:
    """Objective O and projects P0..P4, named for ``gen``; on odd generations every project contributes to O."""
    entities = [E("O", "Objective", f"Objective g{gen}")]
    entities += [E(f"P{i}", "Project", f"Project {i} g{gen}", budget=1000 * (gen + 1)) for i in range(PROJECTS)]
    relations = [R(f"P{i}", "CONTRIBUTES_TO", "O") for i in range(PROJECTS)] if gen % 2 else []
    load(graph, entities, relations, source="tool", mode=SyncMode.FULL)


def test_a_request_reads_records_as_its_snapshot_stands_while_writes_go_on(graph):
    state(graph, 1)
    before = Questions(graph)  # unpinned: asks the graph as it is when asked
    expected_names = {h.entity.id: h.entity.name for h in before.what_delivers("O", ["Project"]).hits}
    expected_orphans = before.alignment()
    request = Questions(graph, pinned=True)
    assert request.what_delivers("O", ["Project"]).total == PROJECTS  # the request takes its snapshot

    state(graph, 2)  # a write after the request took its snapshot: renames everything, drops every path
    now = Questions(graph)
    assert now.what_delivers("O", ["Project"]).total == 0
    assert graph.entity("P0").name == "Project 0 g2"

    # the request's later questions: the snapshot's paths and the snapshot's names and figures
    delivering = request.what_delivers("O", ["Project"]).hits
    assert {h.entity.id: h.entity.name for h in delivering} == expected_names
    assert {h.entity.properties["budget"] for h in delivering} == {2000}
    assert [r.name for r in request.entities("Project").records] == [f"Project {i} g1" for i in range(PROJECTS)]
    assert request.entities(search="g1").total == PROJECTS + 1
    assert request.entities(search="g2").total == 0
    assert request.alignment() == expected_orphans
    relations = request.reads.relation_records(touching=["O"], direction=Direction.IN)
    assert sorted(r.key.from_id for r in relations) == [f"P{i}" for i in range(PROJECTS)]
    assert {h.entity.name for h in request.why_exists("P0", ["Objective"])} == {"Objective g1"}

    # and a request that starts now sees the write whole
    later = Questions(graph, pinned=True)
    assert later.what_delivers("O", ["Project"]).total == 0
    assert {r.name for r in later.entities("Project").records} == {f"Project {i} g2" for i in range(PROJECTS)}
