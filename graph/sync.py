"""Sync semantics: validate a document against the graph, diff it against what
its source asserts now, and produce one change set for the store.

``merge`` adds or updates what the document holds and removes nothing (a
property given as null withdraws the source's value of it). ``full`` makes the
document everything the source asserts: what the source asserted before and no
longer does is retracted. Facts of other sources are never touched.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from valuegraph.graph import changes as history
from valuegraph.graph import crosswalk
from valuegraph.graph import traversal
from valuegraph.graph.index import TraversalIndex
from valuegraph.graph.model import (
    ChangeSet,
    Document,
    DocumentRejected,
    RelationKey,
    SourceState,
    SyncError,
    SyncMode,
    SyncReport,
    Value,
)
from valuegraph.graph.references import resolve_references
from valuegraph.graph.store import Store
from valuegraph.schema import vocabulary


@dataclass
class SyncPlan:
    changes: ChangeSet
    report: SyncReport
    #: relation keys whose presence in the graph may change with this sync
    touched_relations: list[RelationKey] = field(default_factory=list)


def _same(a: dict[str, Value], b: dict[str, Value]) -> bool:
    """Equal values of equal types (1 and 1.0 differ; True and 1 differ)."""
    return a.keys() == b.keys() and all(type(a[k]) is type(b[k]) and a[k] == b[k] for k in a)


def _merged(current: dict[str, Value] | None, given: dict[str, Value | None], mode: SyncMode) -> dict[str, Value]:
    if current is None and None not in given.values():
        return dict(given)  # the common case of a new fact: nothing to withdraw
    base = dict(current) if (current is not None and mode is SyncMode.MERGE) else {}
    for k, v in given.items():
        if v is None:
            base.pop(k, None)
            if k == crosswalk.FIELD:  # every external id of the source's (each is a property of its own)
                crosswalk.withdraw_all(base)
        else:
            base[k] = v
    return base


class SyncDraft:
    """A sync read against the graph: its change set (``plan``) and its checks (``check``), each made
    when asked. ``plan_sync`` checks first; a large write may make its plan first and start writing the
    plan's new facts while the checks run, removing them again if the checks refuse the document."""

    def __init__(self, store: Store, index: TraversalIndex, doc: Document, source: str, mode: SyncMode) -> None:
        self.store, self.index, self.doc, self.source, self.mode = store, index, doc, source, mode
        resolved = resolve_references(doc, index.carriers)  # relation ends given by external id, first of all
        if source not in store.sources():
            state = SourceState()  # a source's first sync: it asserts nothing yet
        elif mode is SyncMode.FULL:
            state = store.source_state(source)
        else:
            state = store.source_state(source, [e.id for e in doc.entities], [r.key for r in doc.relations])
        self.state = state
        #: what is known wrong before the checks that look at the whole graph (``check`` finds the rest)
        self.errors: list[SyncError] = doc.errors.copy()  # an ErrorList keeps its cap and its count
        self.errors.extend(resolved)
        self.doc_kinds = doc_kinds = {e.id: e.kind for e in doc.entities}
        self.existing_kinds = index.kinds_of([e.id for e in doc.entities])
        for e, existing in zip(doc.entities, self.existing_kinds, strict=True):
            if existing is not None and existing != e.kind:
                self.errors.append(SyncError(f"{e.location}.kind", f"'{e.id}' is {_a(existing)} already; an id keeps its kind for ever, so it cannot become {_a(e.kind)}"))
        self.doc_keys = doc_keys = {r.key for r in doc.relations}
        self.retracted_ids = [i for i in state.entities if i not in doc_kinds] if mode is SyncMode.FULL else []
        self.retracted_keys = [k for k in state.relations if k not in doc_keys] if mode is SyncMode.FULL else []
        # entities that no source will assert after this sync
        self.vanishing: set[str] = set()
        if self.retracted_ids:
            records = store.entity_records(self.retracted_ids)
            self.vanishing = {i for i, rec in records.items() if set(rec.sources) <= {source}}
        self._plan: SyncPlan | None = None

    def check(self) -> None:
        """DocumentRejected with every error found, if the document cannot be written."""
        doc, index, vanishing, source = self.doc, self.index, self.vanishing, self.source
        errors = self.errors

        def kind_in_graph_after(entity_id: str) -> str | None:
            """The kind of an entity the document does not give, once this sync is written."""
            return None if entity_id in vanishing else index.kind_of(entity_id)

        vocab = vocabulary()
        allowed = _allowed_ends()
        doc_kinds = self.doc_kinds
        for r in doc.relations:
            key = r.key
            # the document's own kinds first: most relations join entities of the same document
            from_kind, to_kind = doc_kinds.get(key.from_id), doc_kinds.get(key.to_id)
            if from_kind is None:
                from_kind = kind_in_graph_after(key.from_id)
            if to_kind is None:
                to_kind = kind_in_graph_after(key.to_id)
            if (key.type, from_kind, to_kind) in allowed:
                continue
            spec = vocab.relations[key.type]
            if from_kind is None or to_kind is None:
                for end, entity_id, kind in (("from", key.from_id, from_kind), ("to", key.to_id, to_kind)):
                    if kind is None and entity_id not in doc.unresolved:
                        why = " (this sync retracts it)" if entity_id in vanishing else ""
                        errors.append(SyncError(f"{r.location}.{end}", f"no entity with id '{entity_id}' in this document or the graph{why}"))
            elif from_kind not in spec.from_kinds or to_kind not in spec.to_kinds:
                errors.append(SyncError(
                    f"{r.location}.type",
                    f"{spec.name} cannot go from {_a(from_kind)} to {_a(to_kind)}; it goes from "
                    f"{_either(spec.from_kinds)} to {_either(spec.to_kinds)}",
                ))

        if vanishing:
            for rec in self.store.relation_records(touching=sorted(vanishing)):
                others = [s for s in rec.sources if s != source]
                if others or rec.key in self.doc_keys:
                    gone = rec.key.from_id if rec.key.from_id in vanishing else rec.key.to_id
                    by = ", ".join(f"'{s}'" for s in (others or [source]))
                    errors.append(SyncError(
                        doc.origin or "document",
                        f"cannot retract '{gone}': {by} still assert{'s' if len(others) <= 1 else ''} the relation {rec.key}",
                    ))

        errors.extend(_value_cycles(index, doc, self.retracted_keys, self.store, source))
        if errors:
            raise DocumentRejected(errors)

    def plan(self) -> SyncPlan:
        """Everything the sync would write, made once (whether or not the document passes ``check``)."""
        if self._plan is None:
            doc_kinds, index = self.doc_kinds, self.index

            def kind_of(entity_id: str) -> str | None:
                return doc_kinds.get(entity_id) or index.kind_of(entity_id)

            plan = _diff(self.state, self.doc, self.source, self.mode, self.retracted_ids, self.retracted_keys,
                         kind_of)
            fresh = {e.id for e, existing in zip(self.doc.entities, self.existing_kinds, strict=True)
                     if existing is None}
            plan.changes.fresh_entities = fresh
            plan.changes.fresh_relations = {k for k, _ in plan.changes.put_relations
                                            if k.from_id in fresh or k.to_id in fresh}
            self._plan = plan
        return self._plan


def plan_sync(store: Store, index: TraversalIndex, doc: Document, source: str, mode: SyncMode) -> SyncPlan:
    """Everything the sync would write, or DocumentRejected with every error found."""
    draft = SyncDraft(store, index, doc, source, mode)
    draft.check()
    return draft.plan()


@cache
def _allowed_ends() -> frozenset[tuple[str, str, str]]:
    """Every (relation type, from kind, to kind) the vocabulary allows."""
    return frozenset((name, f, t) for name, spec in vocabulary().relations.items()
                     for f in spec.from_kinds for t in spec.to_kinds)


def _a(kind: str) -> str:
    return f"{'an' if kind[0] in 'AEIOU' else 'a'} {kind}"


def _either(kinds: frozenset[str]) -> str:
    order = list(vocabulary().kinds)
    names = sorted(kinds, key=order.index)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _diff(state: SourceState, doc: Document, source: str, mode: SyncMode,
          retracted_ids: list[str], retracted_keys: list[RelationKey], kind_of) -> SyncPlan:
    """The change set, its counts, and its change groups (graph/changes.py): one per entity it changes,
    holding that entity's changes and those of the relations that start at it."""
    changes = ChangeSet(source)
    groups: dict[str, dict] = {}

    def group_of(entity_id: str) -> dict:
        group = groups.get(entity_id)
        if group is None:
            group = groups[entity_id] = {"k": kind_of(entity_id)}
        return group

    # the kind (or relation type) of each item by outcome, counted once at the end: a document's worth
    # of items passes through here
    outcomes: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "retracted": []}
    created, updated, unchanged = outcomes["created"], outcomes["updated"], outcomes["unchanged"]
    put_entity, asserted = changes.put_entities.append, state.entities
    for e in doc.entities:
        current = asserted.get(e.id)
        if current is None:
            created.append(e.kind)
            new = _merged(None, e.properties, mode)
            put_entity((e.id, e.kind, new))
            groups[e.id] = history.entity_asserted(e.kind, new)
            continue
        new = _merged(current[1], e.properties, mode)
        if _same(current[1], new):
            unchanged.append(e.kind)
        else:
            updated.append(e.kind)
            put_entity((e.id, e.kind, new))
            groups[e.id] = history.entity_updated(e.kind, current[1], new)
    touched: list[RelationKey] = []
    put_relation, asserted_relations = changes.put_relations.append, state.relations
    for r in doc.relations:
        key = r.key
        current_props = asserted_relations.get(key)
        if current_props is None:
            created.append(key.type)
            touched.append(key)
            new = _merged(None, r.properties, mode)
            put_relation((key, new))
            history.relation_changed(group_of(key.from_id), key, history.ASSERTED, None, new)
            continue
        new = _merged(current_props, r.properties, mode)
        if _same(current_props, new):
            unchanged.append(key.type)
        else:
            updated.append(key.type)
            put_relation((key, new))
            history.relation_changed(group_of(key.from_id), key, history.UPDATED, current_props, new)
    for entity_id in retracted_ids:
        kind, props = state.entities[entity_id]
        outcomes["retracted"].append(kind)
        changes.drop_entities.append(entity_id)
        group_of(entity_id).update(history.entity_retracted(kind, props))
    for key in retracted_keys:
        outcomes["retracted"].append(key.type)
        changes.drop_relations.append(key)
        touched.append(key)
        history.relation_changed(group_of(key.from_id), key, history.RETRACTED, state.relations[key], None)
    changes.history = list(groups.items())
    report = SyncReport(source=source, mode=mode)
    for outcome, kinds in outcomes.items():
        for kind, n in Counter(kinds).items():
            report.count(kind, outcome, n)
    return SyncPlan(changes, report, touched)


def _value_cycles(index: TraversalIndex, doc: Document, retracted: list[RelationKey], store: Store,
                  source: str) -> list[SyncError]:
    """Value-chain cycles that the graph would hold after this sync (the graph before it has none)."""
    vocab = vocabulary()
    value_types = set(vocab.value_chain_relations)
    errors: list[SyncError] = []
    new: list = []
    number = index.number.get
    for r in doc.relations:
        key = r.key
        if key.type not in value_types:
            continue
        if key.from_id == key.to_id:
            errors.append(SyncError(r.location, f"value-chain cycle: {key} points back at itself"))
            continue
        u, v = number(key.from_id), number(key.to_id)
        if u is None or v is None or not index.value.has(u, v, index.relation_code[key.type]):
            new.append(r)
    if not new:
        return errors

    # entities the index does not hold yet are numbered after it (the index's own tables stay as they are)
    known = index.size
    added: dict[str, int] = {}

    def numbered(entity_id: str) -> int:
        n = number(entity_id)
        if n is None:
            n = added.get(entity_id)
            if n is None:
                n = added[entity_id] = known + len(added)
        return n

    new_src = np.fromiter((numbered(r.key.from_id) for r in new), np.int64, len(new))
    new_dst = np.fromiter((numbered(r.key.to_id) for r in new), np.int64, len(new))
    n = known + len(added)
    if len(new) <= _FEW_NEW_EDGES:
        src, dst = _edges_within(index, _reach_of_new_edges(index, new_src, new_dst, known))
    else:
        src, dst, _ = index.value.arrays()
    gone = [k for k in retracted if k.type in value_types]
    if gone:  # an edge leaves the graph only when no other source asserts it
        still = {rec.key for rec in store.relation_records(gone) if set(rec.sources) - {source}}
        pairs = {numbered(k.from_id) * n + numbered(k.to_id) for k in gone if k not in still}
        keep = ~np.isin(src * n + dst, np.fromiter(pairs, np.int64, len(pairs)))
        src, dst = src[keep], dst[keep]
    src = np.concatenate([src, new_src])
    dst = np.concatenate([dst, new_dst])
    from scipy.sparse import coo_matrix  # noqa: PLC0415 - imported on first use: it would add to every server's start
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415 - imported on first use: it would add to every server's start

    graph = coo_matrix((np.ones(len(src), np.int8), (src, dst)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(labels)
    cyclic = np.flatnonzero(sizes > 1).tolist()
    if not cyclic:
        return errors
    ids = index.ids[: index.size] + list(added)
    by_key = {r.key: r for r in new}
    for component in cyclic:
        members = set(np.flatnonzero(labels == component).tolist())
        cycle = _one_cycle(members, src, dst)
        names = [ids[i] for i in cycle]
        involved = [
            by_key[k].location
            for k in by_key
            if numbered(k.from_id) in members and numbered(k.to_id) in members
        ]
        errors.append(SyncError(
            involved[0] if involved else doc.origin,
            "value-chain cycle: " + " -> ".join(names + [names[0]])
            + (f" (relations at {', '.join(involved)})" if len(involved) > 1 else ""),
        ))
    return errors


#: up to this many new value-chain relations, the cycle check looks only at what their targets reach
_FEW_NEW_EDGES = 1_000


def _reach_of_new_edges(index: TraversalIndex, new_src: np.ndarray, new_dst: np.ndarray, known: int) -> np.ndarray:
    """Every entity reachable from a new relation's target (the targets included), over the graph's value
    edges and the new ones. The graph before the sync has no cycle, so a cycle after it goes through a new
    relation u -> v and back from v to u: all of it lies within what v reaches. Value paths run up the chain
    (projects to objectives to goals), so for a few new relations this is a small part of the graph."""
    reached = set(new_dst.tolist())
    frontier = reached
    pending = list(zip(new_src.tolist(), new_dst.tolist(), strict=True))
    while frontier:
        seeds = np.fromiter((u for u in frontier if u < known), np.int64)
        if len(seeds):
            reached |= set(traversal.bfs(index.value, seeds, known)[0].tolist())
        frontier = {v for u, v in pending if u in reached and v not in reached}  # new relations lead further
        reached |= frontier
    return np.fromiter(sorted(reached), np.int64, len(reached))


def _edges_within(index: TraversalIndex, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) of the graph's value edges between the given entities."""
    inside = set(nodes.tolist())
    pairs = [(u, v) for u in nodes.tolist() if u < index.size for v, _ in index.value.neighbours(u) if v in inside]
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def _one_cycle(members: set[int], src: np.ndarray, dst: np.ndarray) -> list[int]:
    """A cycle through the strongly connected component ``members``, as node numbers."""
    inside = np.isin(src, list(members)) & np.isin(dst, list(members))
    adjacency: dict[int, list[int]] = {}
    for u, v in zip(src[inside].tolist(), dst[inside].tolist(), strict=True):
        adjacency.setdefault(u, []).append(v)
    start = min(members)
    parent = {start: None}
    queue = [start]
    while queue:
        u = queue.pop(0)
        for v in sorted(adjacency.get(u, ())):
            if v == start:
                path = [u]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return path[::-1]
            if v not in parent:
                parent[v] = u
                queue.append(v)
    return sorted(members)
