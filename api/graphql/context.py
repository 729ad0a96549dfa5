"""Per-request context: the graph and its questions, the caller, and DataLoaders that batch every store read."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from valuegraph.api.answers import answer
from valuegraph.api.auth import Principal
from valuegraph.graph import Direction, EntityRecord, RelationKey, RelationRecord, ValueGraph
from valuegraph.graph.questions import Questions, Route


@dataclass
class Limits:
    max_first: int = 500
    max_paths: int = 100


class GraphContext(BaseContext):
    def __init__(self, graph: ValueGraph, principal: Principal, limits: Limits) -> None:
        super().__init__()
        self.graph = graph
        # every question a resolver asks, asked here, all of one request's from one index snapshot
        self.questions = Questions(graph, pinned=True)
        self.principal = principal
        self.limits = limits
        self.entities: DataLoader[str, EntityRecord | None] = DataLoader(self._load_entities)
        # one loader for both directions: the relations an entity has out and in come in one store read
        self.relations_touching: DataLoader[str, list[RelationRecord]] = DataLoader(self._load_touching)
        self.relation: DataLoader[RelationKey, RelationRecord | None] = DataLoader(self._load_relations)
        # the paths of a page's items, asked in one call off the event loop (not one thread hop per item)
        self.routes: DataLoader[tuple[str, str, int, bool], list[Route]] = DataLoader(self._load_routes)

    async def _load_entities(self, ids: list[str]) -> list[EntityRecord | None]:
        records = self.graph.entities(ids)
        return [records.get(i) for i in ids]

    async def _load_touching(self, ids: list[str]) -> list[list[RelationRecord]]:
        found: dict[str, list[RelationRecord]] = defaultdict(list)
        for record in self.graph.store.relation_records(touching=ids, direction=Direction.BOTH):
            found[record.key.from_id].append(record)
            if record.key.to_id != record.key.from_id:
                found[record.key.to_id].append(record)
        for records in found.values():
            records.sort(key=lambda r: (r.key.type, r.key.to_id, r.key.from_id))
        return [found.get(i, []) for i in ids]

    async def _load_relations(self, keys: list[RelationKey]) -> list[RelationRecord | None]:
        records = {r.key: r for r in self.graph.store.relation_records(keys)}
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


Info = strawberry.Info[GraphContext, None]
