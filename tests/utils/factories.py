"""Builders for small hand-made graphs."""

from __future__ import annotations

from valuegraph.graph import Document, SyncMode, ValueGraph
from valuegraph.loaders import validate_mapping


def E(entity_id: str, kind: str, name: str | None = None, **props) -> dict:
    return {"id": entity_id, "kind": kind, "name": name or entity_id, **props}


def R(from_id: str, rel_type: str, to_id: str, **props) -> dict:
    return {"from": from_id, "type": rel_type, "to": to_id, **props}


def document(entities=(), relations=(), source: str | None = "test") -> Document:
    data = {"entities": list(entities), "relations": list(relations)}
    if source is not None:
        data["source"] = source
    return validate_mapping(data, "test.json")


def load(graph: ValueGraph, entities=(), relations=(), source: str = "test", mode: SyncMode = SyncMode.MERGE):
    return graph.sync(document(entities, relations, source), mode=mode)


def ids(hits) -> list[str]:
    return [h.entity.id for h in hits]


def id_set(records) -> set[str]:
    return {getattr(r, "entity", r).id for r in records}
