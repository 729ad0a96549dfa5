"""A backend-independent picture of everything a graph holds and answers."""

from __future__ import annotations

from valuegraph.graph import ValueGraph
from valuegraph.graph.questions import Questions


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
    a = Questions(graph).alignment()
    answers = (
        sorted(e.id for e in a.orphans),
        sorted(e.id for e in a.unsupported),
        a.aligned_budget_share,
        graph.index.counts_by_kind(),
        sorted(edges(graph)),
    )
    return tuple(per_source), answers


def edges(graph: ValueGraph) -> list[tuple[str, str, str]]:
    """The traversal index's edges, by id."""
    index = graph.index
    out = []
    for edge_set in (index.value, index.depends):
        src, dst, typ = edge_set.arrays()
        out += [(index.ids[a], index.relation_names[t], index.ids[b])
                for a, b, t in zip(src.tolist(), dst.tolist(), typ.tolist(), strict=True)]
    return out
