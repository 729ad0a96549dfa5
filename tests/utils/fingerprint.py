"""A backend-independent picture of everything a graph holds and answers."""

from __future__ import annotations

from graph import ValueGraph


def fingerprint(graph: ValueGraph) -> tuple:
    store = graph.store
    per_source = []
    for source in store.sources():
        state = store.source_state(source)
        per_source.append((
            source,
            sorted((i, k, sorted(map(repr, p.items()))) for i, (k, p) in state.entities.items()),
            sorted((tuple(k), sorted(map(repr, p.items()))) for k, p in state.relations.items()),
        ))
    a = graph.alignment()
    answers = (
        sorted(e.id for e in a.orphans),
        sorted(e.id for e in a.unsupported),
        a.aligned_budget_share,
        graph.index.counts_by_kind(),
        sorted(map(tuple, graph.index.value.arrays()[0].tolist() and zip(*graph.index.value.arrays()[:2]))),
    )
    return tuple(per_source), answers
