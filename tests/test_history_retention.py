"""Retention: revisions older than the window are compacted into a snapshot; answers at or after it are
unchanged, and asking before it is a clear error."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from valuegraph.api.settings import Settings
from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.errors import InvalidRequest
from valuegraph.graph.history import AsOf, parse_keep
from valuegraph.graph.model import ChangeSet, RelationKey
from valuegraph.graph.questions import Questions

from tests.conftest import neo4j_store
from tests.test_history import SYNCS, all_changes, answers, committed, sync


@pytest.fixture(params=["memory", "neo4j"])
def loaded(request):
    graph = ValueGraph(neo4j_store() if request.param == "neo4j" else open_store("memory:"))
    reports = [sync(graph, *spec) for spec in SYNCS]
    yield graph, reports
    graph.close()


def fresh_answers(reports, n: int) -> dict:
    graph = ValueGraph(open_store("memory:"))
    try:
        for i in committed(reports)[:n]:
            sync(graph, *SYNCS[i])
        return answers(Questions(graph))
    finally:
        graph.close()


def test_compacted_history_answers_as_before_from_its_start_on(loaded):
    graph, reports = loaded
    q = Questions(graph)
    before = {n: answers(q.at(AsOf(revision=n))) for n in range(3, 8)}
    later_changes = [c for c in all_changes(q) if c.revision > 3]
    assert graph.history.compact(3) > 0
    assert graph.history.start() == 3
    for n in range(3, 8):
        assert answers(Questions(graph).at(AsOf(revision=n))) == before[n] == fresh_answers(reports, n)
    with pytest.raises(InvalidRequest, match="before revision 3 was compacted"):
        Questions(graph).at(AsOf(revision=2))
    first = Questions(graph).revisions(first=50).revisions[-1][1]
    with pytest.raises(InvalidRequest, match="was compacted"):
        Questions(graph).at(AsOf(time=first.committed_at))
    # changes: from the start on, each once; asking from before the start is an error, from 0 is the start
    assert all_changes(Questions(graph)) == later_changes
    with pytest.raises(InvalidRequest, match="read from sinceRevision 3"):
        Questions(graph).changes(since_revision=1)
    assert Questions(graph).entity_history("P1") == [c for c in later_changes if c.entity_id == "P1"]
    # compacting again, further on, and writing after it
    graph.history.compact(5)
    assert answers(Questions(graph).at(AsOf(revision=5))) == fresh_answers(reports, 5)
    assert answers(Questions(graph)) == fresh_answers(reports, 7)
    assert sync(graph, *SYNCS[0]).revision == 8  # strategy-office gives KR1 again
    assert answers(Questions(graph).at(AsOf(revision=7))) == fresh_answers(reports, 7)


def test_a_graph_with_a_retention_compacts_what_falls_out_of_it_after_a_sync():
    graph = ValueGraph(open_store("memory:"), history_keep=dt.timedelta(seconds=0.5))
    try:
        sync(graph, *SYNCS[0])
        sync(graph, *SYNCS[1])
        time.sleep(0.7)
        sync(graph, *SYNCS[2])
        assert graph.history.start() == 2
        assert Questions(graph).at(AsOf(revision=2)).entities().total == 8
        with pytest.raises(InvalidRequest, match="compacted"):
            Questions(graph).at(AsOf(revision=1))
    finally:
        graph.close()


def test_the_retention_is_read_in_days_weeks_or_hours():
    assert parse_keep("400d") == dt.timedelta(days=400)
    assert parse_keep("52w") == dt.timedelta(weeks=52)
    assert parse_keep(" 36H ") == dt.timedelta(hours=36)
    for bad in ("", "d", "0d", "12", "1.5d", "-3d", "10m"):
        with pytest.raises(ValueError, match="not a retention"):
            parse_keep(bad)


def test_the_retention_setting_reaches_the_graph(monkeypatch):
    monkeypatch.setenv("VALUEGRAPH_HISTORY_KEEP", "400d")
    assert Settings().graph_options()["history_keep"] == dt.timedelta(days=400)
    monkeypatch.setenv("VALUEGRAPH_HISTORY_KEEP", "forever")
    with pytest.raises(ValueError, match="not a retention"):
        Settings()


def test_a_store_written_before_it_kept_history_gets_one_from_its_latest_revision(tmp_path):
    """A store whose commits carry no revision records (as before history was kept) is adopted when a
    graph opens it: its history starts at its latest revision, holding what it holds."""

    store = open_store(f"oxigraph:{tmp_path / 'old'}")
    store.commit(ChangeSet("s", [("G1", "Goal", {"name": "Grow"}), ("O1", "Objective", {"name": "Win"})],
                           put_relations=[(RelationKey("O1", "SUPPORTS", "G1"), {"weight": 1.0})]))
    store.commit(ChangeSet("t", [("P1", "Project", {"name": "P", "budget": 5})],
                           put_relations=[(RelationKey("P1", "CONTRIBUTES_TO", "O1"), {})]))
    store.close()
    graph = ValueGraph(open_store(f"oxigraph:{tmp_path / 'old'}"))
    try:
        q = Questions(graph)
        assert graph.history.start() == 2 and q.current_revision() == 2
        now = answers(q)
        assert answers(q.at(AsOf(revision=2))) == now
        with pytest.raises(InvalidRequest, match="before revision 2 was compacted"):
            q.at(AsOf(revision=1))
        assert all_changes(q) == [] and q.entity_history("P1") == []
        assert sync(graph, *SYNCS[1]).revision == 3
        assert [c.revision for c in all_changes(q)] and {c.revision for c in all_changes(q)} == {3}
        assert answers(q.at(AsOf(revision=2))) == now
    finally:
        graph.close()
