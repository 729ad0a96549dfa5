"""The value-chain cycle check of a small sync looks only at what the new relations reach; it finds what
the whole-graph check finds."""

from __future__ import annotations

import random

import pytest

from valuegraph.graph import DocumentRejected, ValueGraph, open_store, sync
from tests.utils.factories import E, R, document, load


def objectives_graph(seed: int, n: int = 40) -> tuple[ValueGraph, random.Random]:
    """Objectives supporting objectives numbered after them (no cycle), chains of up to a few steps."""
    rng = random.Random(seed)
    graph = ValueGraph(open_store("memory:"))
    relations = {(a, b) for a in range(n) for b in range(a + 1, min(n, a + 6)) if rng.random() < 0.3}
    load(graph, [E(f"O{i}", "Objective") for i in range(n)], [R(f"O{a}", "SUPPORTS", f"O{b}") for a, b in relations])
    return graph, rng


def outcome(graph: ValueGraph, doc) -> list[str]:
    try:
        graph.sync(doc, dry_run=True)
    except DocumentRejected as exc:
        return sorted(e.message for e in exc.errors)
    return []


@pytest.mark.parametrize("seed", range(12))
def test_the_restricted_check_finds_what_the_whole_graph_check_finds(seed, monkeypatch):
    graph, rng = objectives_graph(seed)
    found_any = False
    for _ in range(15):
        new = [(rng.randrange(44), rng.randrange(44)) for _ in range(rng.randint(1, 4))]  # O40..O43 are new
        doc = document([E(f"O{i}", "Objective") for i in range(40, 44)],
                       [R(f"O{a}", "SUPPORTS", f"O{b}") for a, b in new if a != b])
        restricted = outcome(graph, doc)
        monkeypatch.setattr(sync, "_FEW_NEW_EDGES", -1)  # the whole graph, as for a large sync
        whole = outcome(graph, doc)
        monkeypatch.undo()
        assert restricted == whole, new
        found_any |= bool(whole)
    assert found_any  # every seed makes some cycles: the comparison is not vacuous
