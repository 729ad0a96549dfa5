"""A snapshot a write replaces is freed by reference counting alone: a server leaves what it held when it
started out of the collector's walks (graph/pause.py ``freeze_started_process``), so a snapshot that
pointed back at itself would never be freed."""

from __future__ import annotations

import gc
import weakref

from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.questions import Questions
from tests.utils.factories import E, R, load


def test_a_replaced_snapshot_is_freed_without_the_collector():
    graph = ValueGraph(open_store("memory:"))
    load(graph, [E("G", "Goal"), E("O", "Objective"), E("P", "Project"), E("Q", "Project")],
         [R("O", "SUPPORTS", "G"), R("P", "CONTRIBUTES_TO", "O"), R("Q", "DEPENDS_ON", "P")])
    questions = Questions(graph)
    # every answer the snapshot keeps between requests, and its records
    assert [h.entity.id for h in questions.what_delivers("G").hits] == ["P"]
    assert questions.why_exists("P")
    assert questions.impact("P").dependents
    assert questions.path_records(questions.trace("P", "G"))
    assert questions.alignment()
    snapshot = weakref.ref(graph.index)
    del questions
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        load(graph, [E("P2", "Project")], [R("P2", "CONTRIBUTES_TO", "O")])
        assert graph.index is not snapshot()
        assert [h.entity.id for h in Questions(graph).what_delivers("G").hits] == ["P", "P2"]
        assert snapshot() is None, "the replaced snapshot is kept alive by a reference cycle"
    finally:
        if was_enabled:
            gc.enable()
    graph.close()
