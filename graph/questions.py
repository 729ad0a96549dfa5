"""The questions valuegraph answers, in one place: GraphQL, REST and the command line all ask them here.

Every question takes the graph's traversal index once (``snapshot = self.snapshot``) and answers
entirely from it, with entity records read from the store in one batched call. ``pinned()`` gives the
questions of one request: every answer from the snapshot published when the first of them was asked. Answers are plain frozen
dataclasses: records, distances, figures and page information, nothing that needs the index to read.
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from valuegraph.graph import analytics, conflicts, crosswalk, diffs, kernels, traversal
from valuegraph.graph.changes import Change
from valuegraph.graph.conflicts import Conflict, ConflictPage, SourceValue
from valuegraph.graph.errors import InvalidRequest, NotFound, ValueGraphError
from valuegraph.graph.history import AsOf, ChangePage, PastGraph, RevisionPage
from valuegraph.graph.index import ABSENT, HEALTHS, STATUSES, TraversalIndex
from valuegraph.graph.model import EntityRecord, RelationKey, RelationRecord
from valuegraph.graph.service import PinnedGraph, ValueGraph
from valuegraph.graph.store import Direction
from valuegraph.schema.values import number_or

DELIVERY_KINDS = traversal.DELIVERY_KINDS
DEFAULT_WHY_KINDS = traversal.DEFAULT_WHY_KINDS

# the figures of graph/analytics.py are answers as they are (ids and numbers)
Reach = analytics.Reach
Critical = analytics.Critical
Concentration = analytics.Concentration
ObjectiveBudget = analytics.ObjectiveBudget
BenefitTotal = analytics.BenefitTotal
Rag = analytics.Rag
RAG_RED_BELOW, RAG_AMBER_BELOW = analytics.RAG_RED_BELOW, analytics.RAG_AMBER_BELOW


class Hit(NamedTuple):
    """An entity reached by a traversal, with the length of its shortest value path (a named tuple: an
    answer makes thousands, and a frozen dataclass costs several times as much to make)."""

    entity: EntityRecord
    distance: int


@dataclass(frozen=True, slots=True)
class Deliveries:
    """A page of what delivers a target, closest first (ties in id order)."""

    hits: list[Hit]
    total: int  # answers on every page
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class Route:
    """A value path as the relations it follows, from its first entity to its last."""

    keys: tuple[RelationKey, ...]

    @property
    def length(self) -> int:
        return len(self.keys)


@dataclass(frozen=True, slots=True)
class PathAnswer:
    """A value path with the records of its entities and relations."""

    nodes: list[EntityRecord]
    relations: list[RelationRecord]

    @property
    def length(self) -> int:
        return len(self.relations)


@dataclass(frozen=True, slots=True)
class AlignmentAnswer:
    """Open projects that serve no objective or goal, objectives and goals nothing delivers, and the
    share of open projects' budget that is aligned (None when they have no budget)."""

    orphans: list[EntityRecord]
    unsupported: list[EntityRecord]
    aligned_budget_share: float | None


@dataclass(frozen=True, slots=True)
class ImpactAnswer:
    """What depends on an item (through DEPENDS_ON), and what it or they reach by value paths."""

    dependents: list[Hit]
    affected: list[Hit]


@dataclass(frozen=True, slots=True)
class EntityPage:
    """A page of entities in id order."""

    records: list[EntityRecord]
    total: int
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class HealthCounts:
    """Projects by health; ``unknown``: no health given."""

    green: int
    amber: int
    red: int
    unknown: int


@dataclass(frozen=True, slots=True)
class DeliveryRollup:
    """The open and completed (not cancelled) projects and programmes that deliver an objective or goal,
    and the key results that measure it directly."""

    projects: int
    programmes: int
    by_health: HealthCounts
    budget: float  # of the delivering projects, a missing budget counting 0
    actual_cost: float
    key_results: int
    key_result_progress: float | None  # the mean over the key results that have one
    open_budget: float  # of the open (neither completed nor cancelled) delivering projects: budget_by_objective's
    progress: float | None  # budget-weighted, over the delivering projects that have a progress
    rag: Rag  # analytics.rag over the open delivering projects' health and key_result_progress
    benefits: list[BenefitTotal]  # the benefits that serve it (a value path to it), per unit
    accountable: list[EntityRecord]  # the people who own or sponsor it, in id order


@dataclass(frozen=True, slots=True)
class Stats:
    """What the graph holds: entities by kind, relations by type, sources, and the index's size."""

    backend: str
    entities: dict[str, int]  # by kind
    relations: dict[str, int]  # by type
    sources: dict[str, dict]
    index_bytes: int

    def as_dict(self) -> dict:
        return {"backend": self.backend, "entities": self.entities, "relations": self.relations,
                "sources": self.sources, "indexBytes": self.index_bytes}


def key_result_progress(properties: dict) -> float | None:
    """(current - baseline) / (target - baseline), or None when a figure is missing or target = baseline."""
    current, baseline, target = (number_or(properties.get(k), None) for k in ("current", "baseline", "target"))
    if current is None or baseline is None or target is None:
        return None
    return None if target == baseline else (current - baseline) / (target - baseline)


def load_compiled_search(wait: bool = False) -> None:
    """Answer from now on with the compiled breadth-first search, loaded in the background (``wait``: return
    once it is). Until then, and in a process that never asks, numpy's answers: see graph/kernels.py."""
    kernels.load_compiled(wait)


class Questions:
    """Every question valuegraph answers, on one graph: the present (a ``ValueGraph``) or the graph as it
    stood at a past revision (a ``PastGraph``, from ``at``)."""

    def __init__(self, graph: ValueGraph | PastGraph, *, pinned: bool = False) -> None:
        """``pinned``: answer every question from one snapshot, the one published when the first is asked
        (one request's questions); otherwise each question takes the snapshot published when it is asked."""
        self.graph = graph
        self._pinned = pinned
        self._pinned_graph: PinnedGraph | None = None
        self._lock = threading.Lock()
        self._past: dict[int, Questions] = {}

    @property
    def snapshot(self) -> TraversalIndex:
        """The index snapshot a question answers from (for a store other processes write to, the present
        one is first brought up to the store's latest revision)."""
        if isinstance(self.graph, PastGraph):
            return self.graph.index
        if not self._pinned:
            return self.graph.refresh()
        return self.reads.index

    @property
    def reads(self) -> ValueGraph | PastGraph | PinnedGraph:
        """What the questions read records from: pinned, the graph as the request's snapshot shows it
        (records that a later write changed are read as they stood at the snapshot's revision)."""
        if not self._pinned or isinstance(self.graph, PastGraph):
            return self.graph
        if self._pinned_graph is None:
            with self._lock:  # a request's resolvers ask from several threads: they must take one snapshot
                if self._pinned_graph is None:
                    self._pinned_graph = self.graph.pinned()
        return self._pinned_graph

    @property
    def pinned_yet(self) -> bool:
        """Whether the snapshot these questions answer from is taken (always, unpinned or in the past)."""
        return not self._pinned or isinstance(self.graph, PastGraph) or self._pinned_graph is not None

    @property
    def pin_reads_store(self) -> bool:
        """Whether ``pin`` reads the store (what a caller that must not wait asks elsewhere)."""
        return not self.pinned_yet and self.graph.snapshot_reads_store

    def pin(self) -> int:
        """Take the request's snapshot now, if not yet taken (for a store other processes write to, a store
        read; for a server's first request, perhaps the index build); its revision."""
        return self.snapshot.revision

    # ------------------------------------------------------------ records, as the snapshot shows them
    def records(self, ids: Iterable[str]) -> dict[str, EntityRecord]:
        """Entity records by id (ids the graph does not hold are left out), in one store read at most."""
        return self.reads.entities(ids)

    def cached_records(self, ids: Iterable[str]) -> dict[str, EntityRecord] | None:
        """``records(ids)`` when no store read is needed for them (pinned to a snapshot whose record cache has
        every one), else None: what a caller that must not wait may ask first."""
        reads = self.reads if self.pinned_yet else None
        return reads.cached_entities(ids) if isinstance(reads, PinnedGraph) else None

    def relation_records(self, keys: Iterable[RelationKey] = (), *, touching: Iterable[str] = (),
                         direction: Direction = Direction.BOTH) -> list[RelationRecord]:
        """Relation records by key, and those touching entities in ``direction``, in one store read."""
        return self.reads.relation_records(keys, touching=touching, direction=direction)

    # ------------------------------------------------------------ history
    @property
    def present(self) -> ValueGraph:
        return self.graph._present if isinstance(self.graph, PastGraph) else self.graph

    def at(self, point: AsOf | None) -> Questions:
        """The questions answered as the graph stood at ``point`` (these ones when None); kept per revision,
        so that one request's questions at one point answer from one past graph."""
        if point is None:
            return self
        current = self.snapshot if not isinstance(self.graph, PastGraph) else self.present.refresh()
        target = self.present.history.resolve(point, current.revision)
        with self._lock:
            found = self._past.get(target)
        if found is None:
            found = Questions(self.present.past(AsOf(revision=target), current))
            with self._lock:
                found = self._past.setdefault(target, found)
        return found

    def current_revision(self) -> int:
        """The latest revision's number (0 for an empty graph)."""
        return self.present.refresh().revision if not self._pinned else self.snapshot.revision

    def revisions(self, first: int = 50, after: str | None = None, source: str | None = None) -> RevisionPage:
        """Revisions, newest first."""
        return self.present.history.revisions_page(self.current_revision(), first, after, source)

    def changes(self, since_revision: int = 0, first: int = 100, after: str | None = None,
                source: str | None = None, entity: str | None = None) -> ChangePage:
        """Changes after ``since_revision`` in revision order (each exactly once across pages)."""
        return self.present.history.changes_page(self.current_revision(), since_revision, first, after, source,
                                                 entity)

    def entity_history(self, entity_id: str, first: int = 100) -> list[Change]:
        """One entity's changes, oldest first."""
        if not 0 <= first <= 10_000:
            raise InvalidRequest("first must be between 0 and 10000")
        return self.present.history.changes_of(entity_id, first, self.current_revision())

    def diff(self, start: AsOf, end: AsOf | None = None) -> diffs.GraphDiff:
        """What changed between two points (``end`` absent: now), in answers."""
        latest = self.current_revision()
        return diffs.graph_diff(self.at(start).graph, self.at(end or AsOf(revision=latest)).graph)

    def alignment_trend(self, start: dt.datetime, end: dt.datetime, points: int = 12) -> list[diffs.AlignmentPoint]:
        """The alignment figures at ``points`` evenly spaced times from ``start`` to ``end``."""
        return [diffs.alignment_point(time, self.at(AsOf(time=time)).graph)
                for time in diffs.trend_times(start, end, points)]

    # ------------------------------------------------------------ traceability
    def what_delivers(self, target: str, kinds: Iterable[str] = DELIVERY_KINDS, include_cancelled: bool = False,
                      *, first: int | None = None, after: tuple[int, str] | None = None) -> Deliveries:
        """Entities of ``kinds`` with a value path to ``target``, closest first; ``first`` of them (all when
        None) after the answer at (distance, id) ``after`` (which may no longer be in the answer)."""
        snapshot = self.snapshot
        ranked, order = _ordered_deliveries(snapshot, target, tuple(kinds), include_cancelled)
        start = 0 if after is None else _position_after(snapshot, order, *after)
        stop = len(order) if first is None else start + first
        page = traversal.Ranked(snapshot, ranked.numbers[start:stop], ranked.distances[start:stop])
        return Deliveries(self._hits(page), total=len(order), has_next_page=stop < len(order))

    def why_exists(self, item: str, kinds: Iterable[str] | None = DEFAULT_WHY_KINDS,
                   include_cancelled: bool = False) -> list[Hit]:
        """Entities of ``kinds`` (every kind when None) that ``item`` reaches by a value path, closest first."""
        snapshot = self.snapshot
        wanted = tuple(snapshot.kind_names) if kinds is None else tuple(kinds)
        return self._hits(traversal.why_exists(snapshot, item, wanted, include_cancelled))

    def trace(self, source: str, target: str, limit: int = 10, include_cancelled: bool = False) -> list[Route]:
        """Value paths from ``source`` to ``target``, shortest first (ties in id order); see ``path_records``."""
        found = traversal.paths(self.snapshot, source, target, limit, include_cancelled)
        return [Route(tuple(p)) for p in found]

    def known_trace(self, source: str, target: str, limit: int = 10,
                    include_cancelled: bool = False) -> list[Route] | None:
        """What ``trace`` answers, if the request's snapshot has it without a search (a resolver can then
        answer without leaving the event loop); None when a search is needed or the snapshot is not taken."""
        if not self.pinned_yet:
            return None
        found = traversal.known_paths(self.snapshot, source, target, limit, include_cancelled)
        return None if found is None else [Route(tuple(p)) for p in found]

    def traces(self, asked: list[tuple[str, str, int, bool]]) -> list[list[Route] | ValueGraphError]:
        """``trace`` for many (source, target, limit, include_cancelled) at once, from one snapshot: the paths
        of every item of a page in one call. An error is the answer of its own question only."""
        answers: list[list[Route] | ValueGraphError] = []
        for source, target, limit, include_cancelled in asked:
            try:
                answers.append(self.trace(source, target, limit, include_cancelled))
            except ValueGraphError as exc:
                answers.append(exc)
        return answers

    def path_records(self, routes: list[Route]) -> list[PathAnswer]:
        """The entity and relation records along ``routes``, in two batched reads."""
        if not routes:
            return []
        ids = {k.from_id for r in routes for k in r.keys} | {k.to_id for r in routes for k in r.keys}
        keys = {k for r in routes for k in r.keys}
        records = self.reads.entities(ids)
        relations = {r.key: r for r in self.reads.relation_records(keys)}
        return [PathAnswer([records[r.keys[0].from_id]] + [records[k.to_id] for k in r.keys],
                           [relations[k] for k in r.keys])
                for r in routes]

    def alignment(self) -> AlignmentAnswer:
        """Open projects that serve no objective or goal, objectives and goals nothing delivers, and the
        share of open projects' budget that is aligned."""
        a = traversal.alignment(self.snapshot)
        records = self.reads.entities(a.orphans + a.unsupported)
        return AlignmentAnswer([records[i] for i in a.orphans if i in records],
                               [records[i] for i in a.unsupported if i in records], a.aligned_budget_share)

    def impact(self, item: str) -> ImpactAnswer:
        """What depends on ``item`` (through DEPENDS_ON) and what it or they reach by value paths."""
        found = traversal.impact(self.snapshot, item)
        records = self.reads.entities(found.dependents.ids + found.affected.ids)
        return ImpactAnswer(
            [Hit(records[i], d) for i, d in found.dependents if i in records],
            [Hit(records[i], d) for i, d in found.affected if i in records],
        )

    def delivery_rollup(self, target: str) -> DeliveryRollup:
        """Who delivers an objective or goal, in what health, at what cost and progress, how its key results
        stand, its RAG, the benefits that serve it and the people accountable for it."""
        snapshot = self.snapshot
        delivering = traversal.what_delivers(snapshot, target, DELIVERY_KINDS).ids
        serving = traversal.what_delivers(snapshot, target, ("Benefit",)).ids
        incoming = self.reads.relation_records(touching=[target], direction=Direction.IN)

        def ids_of(types: set[str]) -> list[str]:
            return sorted({r.key.from_id for r in incoming if r.key.type in types and r.key.to_id == target})

        measures, owners = ids_of({"MEASURES"}), ids_of({"OWNS", "SPONSORS"})
        owners = [i for i, kind in zip(owners, snapshot.kinds_of(owners), strict=True) if kind == "Person"]
        found = self.reads.entities(delivering + serving + measures + owners)
        records = [found[i] for i in delivering if i in found]
        projects = [r for r in records if r.kind == "Project"]
        health = {"green": 0, "amber": 0, "red": 0, "unknown": 0}
        open_health = dict(health)
        budget = cost = 0.0
        for r in projects:
            props = r.properties
            health[props.get("health", "unknown")] += 1
            if props.get("status", "active") not in ("completed", "cancelled"):
                open_health[props.get("health", "unknown")] += 1
            budget += number_or(props.get("budget"), 0.0)
            cost += number_or(props.get("actualCost"), 0.0)
        krs = [found[i] for i in measures if i in found]
        progress = [p for p in (key_result_progress(r.properties) for r in krs) if p is not None]
        mean_progress = sum(progress) / len(progress) if progress else None
        return DeliveryRollup(
            projects=len(projects),
            programmes=len(records) - len(projects),
            by_health=HealthCounts(**health),
            budget=budget,
            actual_cost=cost,
            key_results=len(krs),
            key_result_progress=mean_progress,
            open_budget=analytics.open_budget(snapshot, target)[0],
            progress=analytics.weighted_progress([r.properties for r in projects]),
            rag=analytics.rag(open_health, mean_progress),
            benefits=analytics.benefit_totals([found[i].properties for i in serving if i in found]),
            accountable=[found[i] for i in owners if i in found],
        )

    # ------------------------------------------------------------ analytics (defined in graph/analytics.py)
    def strategic_reach(self, top: int = 10) -> list[Reach]:
        return analytics.strategic_reach(self.snapshot, self.reads, top)

    def critical_dependencies(self, top: int = 10) -> list[Critical]:
        return analytics.critical_dependencies(self.snapshot, top)

    def dependency_cycles(self, limit: int = 100) -> list[list[str]]:
        return analytics.dependency_cycles(self.snapshot, limit)

    def concentration(self) -> list[Concentration]:
        return analytics.concentration(self.snapshot)

    def budget_by_objective(self) -> list[ObjectiveBudget]:
        return analytics.budget_by_objective(self.snapshot)

    # ------------------------------------------------------------ entities
    def entities(self, kind: str | None = None, statuses: Iterable[str] = (), healths: Iterable[str] = (),
                 search: str | None = None, *, first: int | None = None, after: str | None = None) -> EntityPage:
        """Entities in id order, optionally of one kind, of some statuses and healths, with ``search`` in
        their name; ``first`` of them (all when None) after the id ``after``."""
        snapshot = self.snapshot
        n = snapshot.size
        mask = snapshot.kind[:n] != ABSENT
        if kind is not None:
            mask &= snapshot.kind[:n] == snapshot.kind_code[kind]
        statuses, healths = list(statuses), list(healths)
        if statuses:
            mask &= np.isin(snapshot.status[:n], [STATUSES.index(s) for s in statuses])
        if healths:
            mask &= np.isin(snapshot.health[:n], [HEALTHS.index(h) for h in healths])
        numbers = np.flatnonzero(mask)
        if search:
            found = self.reads.search(search)
            numbers = np.array([i for i in numbers.tolist() if snapshot.ids[i] in found], dtype=np.int64)
        numbers = numbers[np.argsort(snapshot.id_rank()[numbers], kind="stable")]
        ids = [snapshot.ids[i] for i in numbers.tolist()]
        start = bisect_right(ids, after) if after is not None else 0
        stop = len(ids) if first is None else start + first
        page = ids[start:stop]
        records = self.reads.entities(page)
        return EntityPage([records[i] for i in page if i in records], total=len(ids), has_next_page=stop < len(ids))

    def kind_of(self, entity_id: str) -> str | None:
        """The kind of an entity the graph holds, None for any other id."""
        return self.snapshot.kind_of(entity_id)

    def kinds_of(self, entity_ids: list[str]) -> list[str | None]:
        """``kind_of`` for many ids, from one snapshot."""
        return self.snapshot.kinds_of(entity_ids)

    def linked(self, entity_id: str, relation_type: str, direction: Direction,
               kinds: frozenset[str] | None = None) -> list[str] | None:
        """The entities (of ``kinds``, or any) at the other end of ``entity_id``'s relations of one type, in id
        order (``direction`` OUT: those it points to; IN: those pointing to it), from the snapshot's index
        with no store read; None for a type the index does not hold (its relations are read from the store:
        ``relation_records``)."""
        snapshot = self.snapshot
        if direction is Direction.BOTH or not snapshot.holds_relation(relation_type):
            return None
        return snapshot.linked(entity_id, relation_type, direction is Direction.IN, kinds)

    # ------------------------------------------------------------ external ids (graph/crosswalk.py)
    def with_external_id(self, system: str, value: str) -> str | None:
        """The id of the entity whose answered properties carry the external id (system, value); None when
        none does. InvalidRequest for a malformed system or id, or when two entities carry it."""
        if fault := crosswalk.fault(system, value):
            raise InvalidRequest(fault)
        carriers = self.snapshot.carriers(system, value)
        if len(carriers) > 1:
            raise InvalidRequest(crosswalk.ambiguity((system, value), carriers, "ask for one by its id"))
        return carriers[0] if carriers else None

    def entity(self, entity_id: str) -> EntityRecord:
        """One entity's record (NotFound when the graph holds no such entity)."""
        record = self.reads.entities([entity_id]).get(entity_id) if self.snapshot.kind_of(entity_id) else None
        if record is None:
            raise NotFound(entity_id)
        return record

    def named(self, text: str) -> str | None:
        """The id of the entity ``text`` names: its own id, else an external id written ``system:id`` (an
        entity whose id is exactly ``text`` wins, so an id holding ':' is still found); None when none is."""
        snapshot = self.snapshot
        if snapshot.kind_of(text) is not None:
            return text
        pair = crosswalk.parse_lookup(text)
        return None if pair is None else self.with_external_id(*pair)

    def ready(self) -> None:
        """Build the traversal index now if it is not built yet (a server does, before its first request;
        StoreUnavailable when the store does not answer)."""
        self.graph.index  # noqa: B018 - the property builds it

    def stats(self) -> Stats:
        snapshot = self.snapshot
        store = self.present.store
        return Stats(backend=store.backend, entities=snapshot.counts_by_kind(), relations=store.relation_counts(),
                     sources=store.sources(), index_bytes=snapshot.nbytes)

    # ------------------------------------------------------------ sources' values and conflicts
    def property_sources(self, record: EntityRecord, name: str) -> list[SourceValue]:
        """Every source's value of one property of an entity, the answered one first (the precedence order),
        each with the time of the sync that last changed that source's assertion."""
        return conflicts.source_values(record, name, self._sync_times([record]))

    def disputes(self, record: EntityRecord) -> list[tuple[str, list[SourceValue]]]:
        """An entity's properties that two or more sources give different values of, by name, each with every
        source's value in precedence order."""
        times = self._sync_times([record])
        return [(prop, conflicts.source_values(record, prop, times)) for prop in record.disputed()]

    def conflicts(self, kind: str | None = None, prop: str | None = None, source: str | None = None,
                  first: int = 50, after: str | None = None) -> ConflictPage:
        """Properties that two or more sources give different values of (of one kind, one property, and that
        one source takes part in, each when given), in (entity id, property) order; ``first`` of them after
        the cursor ``after``. The graph as it is now (a past graph's conflicts are not kept)."""
        if not 0 <= first <= 10_000:
            raise InvalidRequest("first must be between 0 and 10000")
        if isinstance(self.graph, PastGraph):
            raise InvalidRequest("conflicts are answered for the graph as it is now, not as of a past point")
        snapshot = self.snapshot
        found = snapshot.recall("conflicts", ())
        if found is None:
            found = conflicts.disputes(self.graph.store, self.graph.entities)
            snapshot.remember("conflicts", (), found, capacity=1)
        chosen = conflicts.select(found, kind, prop, source)
        start = conflicts.page_start(chosen, after)
        page = chosen[start:start + first]
        records = self.graph.entities({d.entity_id for d in page})
        times = self._sync_times(records.values())
        made = []
        for d in page:
            record = records.get(d.entity_id)
            if record is not None:
                made.append((conflicts.cursor(d), Conflict(record, d.property, record.properties.get(d.property),
                                                           conflicts.source_values(record, d.property, times))))
        return ConflictPage(made, len(chosen), start + first < len(chosen))

    def _sync_times(self, records: Iterable[EntityRecord]) -> dict[int, dt.datetime]:
        """When each revision that last changed one of these records' assertions was committed."""
        numbers = {a.seq for r in records for a in r.assertions.values()}
        return {n: rev.committed_at for n, rev in self.present.history.revisions(numbers).items()}

    # ------------------------------------------------------------ records
    def _hits(self, reached: traversal.Ranked) -> list[Hit]:
        records = self.reads.entities(reached.ids) if len(reached) else {}
        return [Hit(records[i], d) for i, d in reached if i in records]


def _ordered_deliveries(index: TraversalIndex, target: str, kinds: tuple[str, ...], include_cancelled: bool):
    """What delivers the target, and each answer's place in (distance, id) order. Kept with the snapshot
    (the next write publishes another): a client paging through a connection, or a dashboard asking again,
    finds it made."""
    key = (target, kinds, include_cancelled)
    found = index.recall("deliveries", key)
    if found is None:
        ranked = traversal.what_delivers(index, target, kinds, include_cancelled)
        # answers are ordered by (distance, id): one sortable number each, so a page is found by
        # bisection and only its own ids are looked up
        order = ranked.distances.astype(np.int64) * index.size + index.id_rank()[ranked.numbers]
        # kept without the index (a Ranked names it): a memo that named its own index would make a
        # cycle, and a snapshot would then wait for the collector to be freed
        found = (ranked.numbers, ranked.distances, order)
        index.remember("deliveries", key, found, capacity=1_000)
    numbers, distances, order = found
    return traversal.Ranked(index, numbers, distances), order


def _position_after(index: TraversalIndex, order: np.ndarray, distance: int, after_id: str) -> int:
    """Where the answers after (distance, id) start, for an id that may no longer be in the answer."""
    number = index.number.get(after_id)
    if number is not None:
        return int(np.searchsorted(order, distance * index.size + index.id_rank()[number], side="right"))
    # an id the graph no longer holds: compare by id among the answers at that distance
    lo = int(np.searchsorted(order, distance * index.size, side="left"))
    hi = int(np.searchsorted(order, (distance + 1) * index.size, side="left"))
    ranks = order[lo:hi] - distance * index.size
    by_rank = np.argsort(index.id_rank())
    return lo + bisect_right([index.ids[int(by_rank[r])] for r in ranks.tolist()], after_id)
