"""ValueGraph: a store, its traversal index and the traceability questions, in one object.

One writer at a time (a lock around sync); readers see the index between
syncs. Answers carry entity records fetched from the store in one batched
read per question.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from graph import traversal
from graph.index import TraversalIndex
from graph.model import (
    Document,
    DocumentRejected,
    EntityRecord,
    NodeState,
    NotFound,
    RelationKey,
    RelationRecord,
    SyncError,
    SyncMode,
    SyncReport,
)
from graph.store import Store, open_store
from graph.sync import plan_sync


@dataclass(frozen=True, slots=True)
class Hit:
    """An entity reached by a traversal, with the length of its shortest value path."""

    entity: EntityRecord
    distance: int


@dataclass(frozen=True, slots=True)
class PathAnswer:
    nodes: list[EntityRecord]
    relations: list[RelationRecord]

    @property
    def length(self) -> int:
        return len(self.relations)


@dataclass(frozen=True, slots=True)
class AlignmentAnswer:
    orphans: list[EntityRecord]
    unsupported: list[EntityRecord]
    aligned_budget_share: float | None


@dataclass(frozen=True, slots=True)
class ImpactAnswer:
    dependents: list[Hit]
    affected: list[Hit]


def _node_state(record: EntityRecord) -> NodeState:
    return NodeState.of(record.id, record.kind, record.properties)


class ValueGraph:
    def __init__(self, store: Store, *, lazy: bool = False) -> None:
        """``lazy``: build the traversal index on first use (a server may start before its store answers)."""
        self.store = store
        self._lock = threading.RLock()
        self._index: TraversalIndex | None = None
        if not lazy:
            self._index = TraversalIndex.build(store.snapshot())

    @property
    def index(self) -> TraversalIndex:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = TraversalIndex.build(self.store.snapshot())
        return self._index

    @classmethod
    def open(cls, url: str, *, lazy: bool = False, **credentials) -> ValueGraph:
        return cls(open_store(url, **credentials), lazy=lazy)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> ValueGraph:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ writing
    def sync(self, doc: Document, source: str | None = None, mode: SyncMode = SyncMode.MERGE,
             dry_run: bool = False) -> SyncReport:
        """Validate and write one document for one source, all or nothing."""
        started = time.perf_counter()
        source = resolve_source(doc, source)
        with self._lock:
            plan = plan_sync(self.store, self.index, doc, source, mode)
            if not dry_run and plan.changes:
                self.store.commit(plan.changes)
                self._refresh_index(plan.changes.source, plan)
        plan.report.dry_run = dry_run
        plan.report.seconds = time.perf_counter() - started
        return plan.report

    def _refresh_index(self, source: str, plan) -> None:
        changes = plan.changes
        # an entity new to the graph is exactly what this source says of it; entities that were
        # there already may carry other sources' values, so those are read back resolved
        fresh = [NodeState.of(i, kind, props) for i, kind, props in changes.put_entities if i not in self.index]
        known = [e[0] for e in changes.put_entities if e[0] in self.index] + list(changes.drop_entities)
        records = self.store.entity_records(known) if known else {}
        removed = [i for i in known if i not in records]
        traversed = {k for k in plan.touched_relations if k.type in self._traversed_types}
        present = set()
        if traversed:
            dropped = [k for k in changes.drop_relations if k in traversed]
            present = {k for k, _ in changes.put_relations if k in traversed}
            if dropped:
                present |= {r.key for r in self.store.relation_records(dropped)}
        self.index.apply(
            nodes=fresh + [_node_state(r) for r in records.values()],
            removed=removed,
            edges_added=[k for k in traversed if k in present],
            edges_removed=[k for k in traversed if k not in present],
        )

    @property
    def _traversed_types(self) -> set[str]:
        return {self.index.relation_names[c] for c in self.index.value_chain} | {"DEPENDS_ON"}

    def rebuild_index(self) -> None:
        with self._lock:
            self._index = TraversalIndex.build(self.store.snapshot())

    # ------------------------------------------------------------ reading
    def entity(self, entity_id: str) -> EntityRecord | None:
        return self.store.entity_record(entity_id)

    def entities(self, ids: Iterable[str]) -> dict[str, EntityRecord]:
        return self.store.entity_records(ids)

    def _hits(self, reached: traversal.Ranked) -> list[Hit]:
        records = self.store.entity_records(reached.ids) if len(reached) else {}
        return [Hit(records[r.id], r.distance) for r in reached if r.id in records]

    def what_delivers(self, target: str, kinds: Iterable[str] = traversal.DELIVERY_KINDS,
                      include_cancelled: bool = False) -> list[Hit]:
        return self._hits(traversal.what_delivers(self.index, target, tuple(kinds), include_cancelled))

    def why_exists(self, item: str, kinds: Iterable[str] = traversal.DEFAULT_WHY_KINDS,
                   include_cancelled: bool = False) -> list[Hit]:
        return self._hits(traversal.why_exists(self.index, item, tuple(kinds), include_cancelled))

    def paths(self, source: str, target: str, limit: int = 10, include_cancelled: bool = False) -> list[PathAnswer]:
        found = traversal.paths(self.index, source, target, limit, include_cancelled)
        return self.path_answers(found)

    def path_answers(self, found: list[list[RelationKey]]) -> list[PathAnswer]:
        """Entity and relation records for paths given as relation keys, in two batched reads."""
        if not found:
            return []
        ids = {k.from_id for p in found for k in p} | {k.to_id for p in found for k in p}
        keys = {k for p in found for k in p}
        records = self.store.entity_records(ids)
        relations = {r.key: r for r in self.store.relation_records(keys)}
        return [
            PathAnswer([records[p[0].from_id]] + [records[k.to_id] for k in p], [relations[k] for k in p])
            for p in found
        ]

    def alignment(self) -> AlignmentAnswer:
        a = traversal.alignment(self.index)
        records = self.store.entity_records(a.orphans + a.unsupported)
        return AlignmentAnswer(
            [records[i] for i in a.orphans], [records[i] for i in a.unsupported], a.aligned_budget_share
        )

    def impact(self, item: str) -> ImpactAnswer:
        found = traversal.impact(self.index, item)
        records = self.store.entity_records(found.dependents.ids + found.affected.ids)
        return ImpactAnswer(
            [Hit(records[r.id], r.distance) for r in found.dependents],
            [Hit(records[r.id], r.distance) for r in found.affected],
        )

    def stats(self) -> dict:
        return {
            "backend": self.store.backend,
            "entities": self.index.counts_by_kind(),
            "relations": self.store.relation_counts(),
            "sources": self.store.sources(),
            "indexBytes": self.index.nbytes,
        }

    def require(self, entity_id: str) -> None:
        if entity_id not in self.index:
            raise NotFound(entity_id)


def resolve_source(doc: Document, given: str | None) -> str:
    """The document's source: named in the document, by the caller, or both alike."""
    if doc.source and given and doc.source != given:
        raise DocumentRejected([SyncError(
            f"{doc.origin or 'document'}: source",
            f"the document names source '{doc.source}' but it is being loaded as '{given}'; name one source",
        )])
    source = given or doc.source
    if not source:
        raise DocumentRejected([SyncError(
            f"{doc.origin or 'document'}: source",
            "no source is named: give \"source\" in the document or --source on the command line",
        )])
    return source
