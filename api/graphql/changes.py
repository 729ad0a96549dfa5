"""History's building blocks in GraphQL: the AsOf input, revisions and change records.

Kept apart from the history queries (history.py) because the core Entity type answers ``history`` with
change records, and the history queries return core types.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from valuegraph.api.graphql.enums import Kind, RelationType, SyncMode, described_enum
from valuegraph.graph.changes import Change as ChangeRecord
from valuegraph.graph.changes import ChangeKind as GraphChangeKind
from valuegraph.graph.changes import Revision as RevisionRecord
from valuegraph.graph.history import AsOf as Point
from valuegraph.schema import vocabulary

KIND_ENUMS = {name: Kind[spec.enum] for name, spec in vocabulary().kinds.items()}

_CHANGES = {
    "ENTITY_ASSERTED": "The source asserts an entity it did not assert before (PROPERTY_SET of each property "
                       "follow).",
    "ENTITY_RETRACTED": "The source no longer asserts the entity.",
    "PROPERTY_SET": "The source gives a property a value (before: its previous value or null).",
    "PROPERTY_WITHDRAWN": "The source no longer gives the property.",
    "RELATION_ASSERTED": "The source asserts a relation it did not assert before.",
    "RELATION_UPDATED": "The relation's properties changed.",
    "RELATION_RETRACTED": "The source no longer asserts the relation.",
}
ChangeKind = described_enum("ChangeKind", {k.value: (k.value, _CHANGES[k.value]) for k in GraphChangeKind},
                            "What a change did to a fact of its source.")


@strawberry.input(name="AsOf", description="A point in the graph's history: give exactly one of revision or time.")
class AsOf:
    revision: int | None = strawberry.field(
        default=strawberry.UNSET, description="The graph as it stood right after this revision committed (0: the empty graph).")
    time: dt.datetime | None = strawberry.field(
        default=strawberry.UNSET, description="The graph as it stood after the last revision committed at or before this "
                                  "time (a time without a zone is UTC).")


def point_of(as_of: AsOf | None) -> Point | None:
    """The graph layer's point; an InvalidRequest (BAD_REQUEST) unless exactly one field is given."""
    if as_of is None:
        return None
    # a field not given is UNSET (so that the schema shows no default): the same as null
    revision = None if as_of.revision is strawberry.UNSET else as_of.revision
    time = None if as_of.time is strawberry.UNSET else as_of.time
    return Point(revision=revision, time=time)


def json_value(value):
    """A property value or a relation's properties as JSON (dates and times in ISO-8601)."""
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


@strawberry.type(description="One accepted sync that changed something.")
class Revision:
    number: int = strawberry.field(description="Its number: 1, 2, 3, … across all sources, without gaps.")
    committed_at: dt.datetime = strawberry.field(description="When it committed (UTC, from the server's clock).")
    source: str = strawberry.field(description="The source whose sync it is.")
    mode: SyncMode = strawberry.field(description="The sync's mode.")
    author: str = strawberry.field(
        description="Who wrote it: the API key's name, or the local user for a command-line load.")
    created: int = strawberry.field(description="Entities and relations it created.")
    updated: int = strawberry.field(description="Entities and relations it updated.")
    retracted: int = strawberry.field(description="Entities and relations it retracted.")

    @classmethod
    def of(cls, r: RevisionRecord) -> Revision:
        return cls(number=r.number, committed_at=r.committed_at, source=r.source, mode=SyncMode(r.mode.value),
                   author=r.author, created=r.created, updated=r.updated, retracted=r.retracted)


@strawberry.type(description="One fact that a revision changed, as its source asserted it.")
class Change:
    revision: int = strawberry.field(description="The revision that made it.")
    committed_at: dt.datetime = strawberry.field(description="When that revision committed (UTC).")
    source: str = strawberry.field(description="The source whose fact changed.")
    kind: ChangeKind = strawberry.field(description="What kind of change it is.")
    entity_id: strawberry.ID = strawberry.field(
        description="The entity the change is about; for a relation, its from end.")
    entity_kind: Kind = strawberry.field(description="The kind of the entity it is about.")
    property: str | None = strawberry.field(
        description="Property changes: the property's camelCase name (name included).")
    before: JSON | None = strawberry.field(
        description="Property changes: the source's value before (null when none). Relation changes: the "
                    "relation's properties as an object.")
    after: JSON | None = strawberry.field(
        description="Property changes: the source's value after (null when withdrawn). Relation changes: the "
                    "relation's properties as an object.")
    relation_type: RelationType | None = strawberry.field(description="Relation changes: the relation's type.")
    to: strawberry.ID | None = strawberry.field(description="Relation changes: the relation's to end.")

    @classmethod
    def of(cls, c: ChangeRecord) -> Change:
        return cls(revision=c.revision, committed_at=c.committed_at, source=c.source, kind=ChangeKind[c.kind.value],
                   entity_id=strawberry.ID(c.entity_id), entity_kind=KIND_ENUMS[c.entity_kind],
                   property=c.property, before=json_value(c.before), after=json_value(c.after),
                   relation_type=None if c.relation_type is None else RelationType[c.relation_type],
                   to=None if c.to is None else strawberry.ID(c.to))
