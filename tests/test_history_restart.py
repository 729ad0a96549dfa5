"""Revisions are kept in the store: they survive a restart."""

from __future__ import annotations

import pytest
from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.history import AsOf
from valuegraph.graph.questions import Questions

from tests.conftest import NEO4J_AUTH, NEO4J_URL, neo4j_store, store_url
from tests.test_history import SYNCS, all_changes, sync


@pytest.mark.parametrize("backend", ["oxigraph", "neo4j"])
def test_revisions_survive_a_restart(backend, tmp_path):
    def reopen() -> ValueGraph:
        if backend == "neo4j":
            return ValueGraph(open_store(NEO4J_URL, **NEO4J_AUTH))
        return ValueGraph(open_store(store_url(backend, tmp_path)))

    graph = ValueGraph(neo4j_store()) if backend == "neo4j" else reopen()
    sync(graph, *SYNCS[0])
    sync(graph, *SYNCS[1])
    before = all_changes(Questions(graph))
    graph.close()
    again = reopen()
    try:
        q = Questions(again)
        assert q.current_revision() == 2
        assert all_changes(q) == before
        assert q.at(AsOf(revision=1)).entities().total == 4
        assert sync(again, *SYNCS[2]).revision == 3
        assert q.current_revision() == 3
    finally:
        again.close()
