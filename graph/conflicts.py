"""Conflicts between sources: a property that two or more sources give different values of.

Only entities that several sources assert can have one, and stores list those (``shared_entities``):
finding the conflicts reads those entities only, once per published index snapshot (kept with it, as
other answers are). A page of conflicts is found by bisection on the (entity id, property) keys, so a
cursor stays valid when the conflict it names is resolved meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from typing import NamedTuple

import orjson

from valuegraph.graph.errors import InvalidRequest
from valuegraph.graph.model import EntityRecord, Value

#: entities read from the store at a time while looking for conflicts
_CHUNK = 2_000


@dataclass(frozen=True, slots=True)
class SourceValue:
    """One source's value of a property, and when the sync that last changed that source's assertion ran."""

    source: str
    value: Value
    synced_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Conflict:
    """A property that sources disagree on: the answered value and every source's, the answered first."""

    entity: EntityRecord
    property: str
    answered: Value | None
    values: list[SourceValue]


@dataclass(frozen=True, slots=True)
class ConflictPage:
    """A page of conflicts in (entity id, property) order, each with its cursor."""

    conflicts: list[tuple[str, Conflict]]
    total: int
    has_next_page: bool


class Dispute(NamedTuple):
    """Where a conflict is, as kept per snapshot: the entity, its kind, the property and who gives it."""

    entity_id: str
    kind: str
    property: str
    sources: frozenset[str]


def disputes(store, entities) -> list[Dispute]:
    """Every conflict of the graph, in (entity id, property) order: ``entities`` reads records by id."""
    ids = store.shared_entities()
    found: list[Dispute] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        records = entities(chunk)
        for entity_id in chunk:
            record = records.get(entity_id)
            if record is None:
                continue
            for prop in record.disputed():
                giving = frozenset(s for s, a in record.assertions.items() if prop in a.properties)
                found.append(Dispute(entity_id, record.kind, prop, giving))
    return found


def select(found: list[Dispute], kind: str | None, prop: str | None, source: str | None) -> list[Dispute]:
    """The conflicts of one kind, of one property, and that one source takes part in (each when given)."""
    return [d for d in found if (kind is None or d.kind == kind) and (prop is None or d.property == prop)
            and (source is None or source in d.sources)]


def page_start(found: list[Dispute], after: str | None) -> int:
    """Where the page after the cursor ``after`` starts (0 without one)."""
    if after is None:
        return 0
    return bisect_right([(d.entity_id, d.property) for d in found], parse_cursor(after))


def cursor(dispute: Dispute) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(["x", dispute.entity_id, dispute.property])).decode()


def parse_cursor(text: str) -> tuple[str, str]:
    try:
        tag, entity_id, prop = orjson.loads(base64.urlsafe_b64decode(text.encode()))
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise InvalidRequest(f"'{text}' is not a cursor this query gave") from None
    if tag != "x" or not isinstance(entity_id, str) or not isinstance(prop, str):
        raise InvalidRequest(f"'{text}' is not a cursor this query gave")
    return entity_id, prop


def source_values(record: EntityRecord, prop: str, times: dict[int, dt.datetime]) -> list[SourceValue]:
    """Each source's value of ``prop``, the answered one first (the precedence order); ``times``: when
    each revision was committed."""
    return [SourceValue(source, assertion.properties[prop], times.get(assertion.seq))
            for source, assertion in record.property_sources(prop)]
