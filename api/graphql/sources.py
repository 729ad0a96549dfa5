"""Each source's value of a property (the core Entity answers ``propertySources`` with them, and conflicts
list them): kept apart from conflicts.py, whose types return the core Entity."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from valuegraph.api.graphql.changes import json_value
from valuegraph.graph.conflicts import SourceValue as SourceValueRecord


@strawberry.type(description="One source's value of a property, as that source asserts it.")
class SourceValue:
    source: str = strawberry.field(description="The source's name.")
    value: JSON | None = strawberry.field(description="The value the source gives (dates and times in ISO-8601).")
    synced_at: dt.datetime | None = strawberry.field(
        description="When the sync that last changed this source's assertion of the entity committed (UTC).")

    @classmethod
    def of(cls, found: SourceValueRecord) -> SourceValue:
        return cls(source=found.source, value=json_value(found.value), synced_at=found.synced_at)


@strawberry.type(description="A property of an entity that two or more sources give different values of.")
class DisputedProperty:
    property: str = strawberry.field(description="The property's camelCase name (name included).")
    values: list[SourceValue] = strawberry.field(
        description="Every source's value, in precedence order: the answered one first.")
