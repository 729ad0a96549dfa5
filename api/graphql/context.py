"""Per-request context: the graph and its questions, the caller, and DataLoaders that batch every store read.

A request may ask about the present and about past points (``asOf``). Each point it asks about has a
``GraphView``: the questions at that point and DataLoaders reading the graph as it stood then. An object
read at a point carries the point (``at``: a revision, None for the present), and its nested fields
answer through the view of that point, so that a whole answer is the graph as it stood then.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from valuegraph.api.answers import answer
from valuegraph.api.auth import Principal
from valuegraph.graph import Direction, EntityRecord, RelationKey, RelationRecord, ValueGraph
from valuegraph.graph.history import AsOf
from valuegraph.graph.questions import Questions, Route


@dataclass
class Limits:
    max_first: int = 500
    max_paths: int = 100
    max_sync_errors: int = 100


class GraphView:
    """The questions and the batched reads at one point of the graph's history (``at``: a revision, or None
    for the present as of the request's snapshot)."""

    def __init__(self, questions: Questions, at: int | None) -> None:
        self.questions = questions
        self.graph = questions.graph
        self.at = at
        self.entities: DataLoader[str, EntityRecord | None] = DataLoader(self._load_entities)
        # one loader for both directions: the relations an entity has out and in come in one store read
        self.relations_touching: DataLoader[str, list[RelationRecord]] = DataLoader(self._load_touching)
        self.relation: DataLoader[RelationKey, RelationRecord | None] = DataLoader(self._load_relations)
        # the paths of a page's items, asked in one call off the event loop (not one thread hop per item)
        self.routes: DataLoader[tuple[str, str, int, bool], list[Route]] = DataLoader(self._load_routes)

    async def pin(self) -> None:
        """Take the request's snapshot off the event loop: for a store other processes write to, taking it
        reads the store's latest revision (a round trip), and a server's first request may build the index."""
        if self.questions.pin_reads_store:
            await answer(self.questions.pin)
        elif not self.questions.pinned_yet:
            self.questions.pin()  # the published snapshot, taken as it is: no wait

    async def _load_entities(self, ids: list[str]) -> list[EntityRecord | None]:
        # records the snapshot's record cache holds are answered here; any store read (or replay of a past
        # graph, or a wait for a write under way to be published) is made off the event loop
        records = self.questions.cached_records(ids)
        if records is None:
            records = await answer(self.questions.records, ids)
        return [records.get(i) for i in ids]

    async def _load_touching(self, ids: list[str]) -> list[list[RelationRecord]]:
        found: dict[str, list[RelationRecord]] = defaultdict(list)
        touching = await answer(self.questions.relation_records, touching=ids, direction=Direction.BOTH)
        for record in touching:
            found[record.key.from_id].append(record)
            if record.key.to_id != record.key.from_id:
                found[record.key.to_id].append(record)
        for records in found.values():
            records.sort(key=lambda r: (r.key.type, r.key.to_id, r.key.from_id))
        return [found.get(i, []) for i in ids]

    async def _load_relations(self, keys: list[RelationKey]) -> list[RelationRecord | None]:
        records = {r.key: r for r in await answer(self.questions.relation_records, keys)}
        return [records.get(k) for k in keys]

    async def _load_routes(self, asked: list[tuple[str, str, int, bool]]) -> list[list[Route] | Exception]:
        return await answer(self.questions.traces, asked)

    async def relations_of(self, entity_id: str, direction: Direction) -> list[RelationRecord]:
        touching = await self.relations_touching.load(entity_id)
        out = [r for r in touching if r.key.from_id == entity_id]
        if direction is Direction.OUT:
            return out
        inn = [r for r in touching if r.key.to_id == entity_id]
        if direction is Direction.IN:
            return inn
        return out + [r for r in inn if r.key.from_id != r.key.to_id]


class GraphContext(BaseContext):
    def __init__(self, graph: ValueGraph, principal: Principal, limits: Limits, poll_seconds: float = 0.5,
                 currency: str = "EUR") -> None:
        super().__init__()
        self.graph = graph
        self.currency = currency  # of budgets and costs, for display (settings.currency)
        self.poll_seconds = poll_seconds  # how often a subscription looks for new revisions
        # every question a resolver asks, asked here, all of one request's from one index snapshot
        self.present = GraphView(Questions(graph, pinned=True), None)
        self.principal = principal
        self.limits = limits
        self._views: dict[int, GraphView] = {}

    # the present's questions and loaders, as most resolvers use them
    @property
    def questions(self) -> Questions:
        return self.present.questions

    @property
    def entities(self) -> DataLoader:
        return self.present.entities

    @property
    def relation(self) -> DataLoader:
        return self.present.relation

    @property
    def routes(self) -> DataLoader:
        return self.present.routes

    async def relations_of(self, entity_id: str, direction: Direction) -> list[RelationRecord]:
        return await self.present.relations_of(entity_id, direction)

    async def revision(self) -> int:
        """The revision of the request's snapshot (taken now if not yet): what its answer is read at."""
        await self.present.pin()
        return self.present.questions.pin()

    def view(self, at: int | None) -> GraphView:
        """The view of a point this request has already resolved (``point`` made it)."""
        if at is None:
            return self.present
        return self._views[at]

    async def point(self, as_of: AsOf | None) -> GraphView:
        """The view at ``as_of`` (the present when None); an InvalidRequest for a point the history does not
        have. Taking the request's snapshot and making a past graph read the store: off the event loop."""
        if as_of is None:
            await self.present.pin()
            return self.present
        questions = await answer(self.questions.at, as_of)
        revision = questions.graph.revision
        found = self._views.get(revision)
        if found is None:
            found = self._views.setdefault(revision, GraphView(questions, revision))
        return found


Info = strawberry.Info[GraphContext, None]
