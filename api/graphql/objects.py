"""Entity objects: each record becomes an object of its kind's GraphQL type.

The types themselves are made from the vocabulary by kinds.build, which registers them in ``KIND_TYPES``;
the core types (relations, paths, connections) make their entities here, so they need not import the
per-kind types, whose fields return the core types.

An object keeps the point it was read at (``at``: a revision, None for the present): its nested fields
answer as the graph stood then (see context.py).
"""

from valuegraph.api.graphql.context import Info
from valuegraph.api.graphql.enums import Kind
from valuegraph.graph import EntityRecord
from valuegraph.schema import vocabulary

#: the GraphQL type of each kind, by kind name (filled once, by kinds.build)
KIND_TYPES: dict[str, type] = {}

_KIND_ENUMS = {name: Kind[spec.enum] for name, spec in vocabulary().kinds.items()}


def entity_object(record: EntityRecord, at: int | None = None):
    """The object of ``record``'s kind (an Entity), read at revision ``at`` (None: the present)."""
    return KIND_TYPES[record.kind](record=record, id=record.id, kind=_KIND_ENUMS[record.kind], name=record.name,
                                   sources=record.sources, at=at)


async def load_entity(info: Info, entity_id: str, at: int | None = None):
    record = await info.context.view(at).entities.load(entity_id)
    return entity_object(record, at) if record is not None else None


async def load_entities(info: Info, ids: list[str], at: int | None = None) -> list:
    records = await info.context.view(at).entities.load_many(ids)
    return [entity_object(r, at) for r in records if r is not None]
