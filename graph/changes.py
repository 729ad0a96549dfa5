"""Change records: what one revision changed of one entity, as stored, read back and replayed.

A revision's changes are kept per entity, in *change groups*: one JSON object per (revision, entity)
holding what the revision's source changed of the entity and of the relations that start at it. A
group is small to write (a new entity's group is its kind and properties, as the sync gives them), and
it expands to the contract's change records when read (``expand``). Replaying an entity's groups in
revision order (``replay``) gives its record and its outgoing relations as they stood at any revision:
that is what answers as of a past point are made of.

Group fields: ``k`` the entity's kind; ``s`` and ``rs`` (a snapshot: compacted history, see
``snapshot_group``) every source's assertion of the entity and of its relations, as ``[revision,
properties]``; ``e`` 1 when the source asserts the entity anew, -1 when it
retracts it; ``a`` the properties of a new assertion; ``b`` the properties a retraction withdrew;
``p`` property changes, ``{name: [before, after]}`` (after null: withdrawn); ``r`` relation changes,
``[[type, to, op, before, after], ...]`` with op 1 asserted, 0 updated, -1 retracted and the
relation's properties before and after. Dates and times are tagged (``{"$d": …}``, ``{"$t": …}``) so
that a value comes back with the type it had.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from valuegraph.graph.model import Assertion, EntityRecord, RelationKey, RevisionFacts, SyncMode, Value
from valuegraph.graph.precedence import NO_PRECEDENCE, Precedence

__all__ = ["ASSERTED", "RETRACTED", "UPDATED", "Change", "ChangeKind", "Replayed", "Revision", "RevisionFacts",
           "decode", "encode", "expand", "merged", "replay"]

ASSERTED, UPDATED, RETRACTED = 1, 0, -1


class ChangeKind(str, enum.Enum):
    ENTITY_ASSERTED = "ENTITY_ASSERTED"
    ENTITY_RETRACTED = "ENTITY_RETRACTED"
    PROPERTY_SET = "PROPERTY_SET"
    PROPERTY_WITHDRAWN = "PROPERTY_WITHDRAWN"
    RELATION_ASSERTED = "RELATION_ASSERTED"
    RELATION_UPDATED = "RELATION_UPDATED"
    RELATION_RETRACTED = "RELATION_RETRACTED"


_RELATION_KIND = {ASSERTED: ChangeKind.RELATION_ASSERTED, UPDATED: ChangeKind.RELATION_UPDATED,
                  RETRACTED: ChangeKind.RELATION_RETRACTED}


@dataclass(frozen=True, slots=True)
class Revision:
    """One accepted sync that changed something."""

    number: int
    committed_at: dt.datetime
    source: str
    mode: SyncMode
    author: str
    created: int
    updated: int
    retracted: int


@dataclass(frozen=True, slots=True)
class Change:
    """One fact a revision changed, as its source asserted it."""

    revision: int
    committed_at: dt.datetime
    source: str
    kind: ChangeKind
    entity_id: str
    entity_kind: str
    property: str | None = None
    before: Any = None  # a value, or a relation's properties (an object)
    after: Any = None
    relation_type: str | None = None
    to: str | None = None


# ------------------------------------------------------------ writing
def entity_asserted(kind: str, properties: dict[str, Value]) -> dict:
    return {"k": kind, "e": ASSERTED, "a": properties}


def entity_updated(kind: str, before: dict[str, Value], after: dict[str, Value]) -> dict | None:
    """The property changes between two assertions of one source (None when there are none)."""
    changed = {}
    for name in before.keys() | after.keys():
        old, new = before.get(name), after.get(name)
        if type(old) is not type(new) or old != new:
            changed[name] = [old, new]
    return {"k": kind, "p": changed} if changed else None


def entity_retracted(kind: str, before: dict[str, Value]) -> dict:
    return {"k": kind, "e": RETRACTED, "b": before}


def relation_changed(group: dict, key: RelationKey, op: int, before: dict | None, after: dict | None) -> None:
    group.setdefault("r", []).append([key.type, key.to_id, op, before, after])


def _tagged(value):
    if isinstance(value, dt.datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    raise TypeError(f"a change record cannot hold {type(value).__name__} values")


def encode(group: dict) -> str:
    """A change group as stored: compact JSON text."""
    return orjson.dumps(group, default=_tagged, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


# ------------------------------------------------------------ reading
def _untagged(value):
    if isinstance(value, dict):
        if len(value) == 1:
            if "$d" in value:
                return dt.date.fromisoformat(value["$d"])
            if "$t" in value:
                return dt.datetime.fromisoformat(value["$t"])
        return {k: _untagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    return value


def decode(text: str) -> dict:
    return _untagged(orjson.loads(text))


def merged(groups: Iterable[dict]) -> dict:
    """The groups one revision wrote for one entity (a sync written in parts may write several), as one."""
    groups = list(groups)
    if len(groups) == 1:
        return groups[0]
    out: dict = {}
    for group in groups:
        for field, value in group.items():
            if field == "r":
                out.setdefault("r", []).extend(value)
            elif field == "p":
                out.setdefault("p", {}).update(value)
            else:
                out[field] = value
    return out


def expand(revision: Revision, entity_id: str, group: dict) -> list[Change]:
    """The contract's change records of one group, in a stable order: the entity's assertion or
    retraction, its properties by name (``name`` first), then its relations by type and end."""
    made: list[Change] = []
    if "s" in group:  # a snapshot of compacted history: no change of its own
        return made

    def change(kind: ChangeKind, **fields) -> None:
        made.append(Change(revision.number, revision.committed_at, revision.source, kind, entity_id, group["k"],
                           **fields))

    if group.get("e") == ASSERTED:
        change(ChangeKind.ENTITY_ASSERTED)
        for name in _property_order(group.get("a", {})):
            change(ChangeKind.PROPERTY_SET, property=name, before=None, after=group["a"][name])
    elif group.get("e") == RETRACTED:
        change(ChangeKind.ENTITY_RETRACTED, before=group.get("b") or {}, after=None)
    for name in _property_order(group.get("p", {})):
        before, after = group["p"][name]
        change(ChangeKind.PROPERTY_WITHDRAWN if after is None else ChangeKind.PROPERTY_SET,
               property=name, before=before, after=after)
    for rel_type, to, op, before, after in sorted(group.get("r", ()), key=lambda r: (r[0], r[1])):
        change(_RELATION_KIND[op], before=before, after=after, relation_type=rel_type, to=to)
    return made


def _property_order(properties: dict) -> list[str]:
    return sorted(properties, key=lambda name: (name != "name", name))


# ------------------------------------------------------------ replaying
@dataclass(slots=True)
class Replayed:
    """An entity and the relations that start at it, as they stood at one revision."""

    record: EntityRecord | None
    relations: dict[RelationKey, dict[str, Assertion]]
    kind: str | None = None


def replay(entity_id: str, history: Iterable[tuple[int, str, dict]],
           precedence: Precedence = NO_PRECEDENCE) -> Replayed:
    """The entity's record and outgoing relations after the given groups, each ``(revision, source,
    group)`` in revision order. A source's assertion carries the revision that last changed it, as the
    store's does: resolving properties across sources (by ``precedence``, the store's rules now) gives
    what the store gives."""
    kind: str | None = None
    entity: dict[str, tuple[int, dict[str, Value]]] = {}  # source -> (revision, properties)
    relations: dict[RelationKey, dict[str, Assertion]] = {}
    for revision, source, group in history:
        kind = group.get("k", kind)
        if "s" in group:  # a snapshot: what compacted history left of everything before
            entity = {src: (rev, props) for src, (rev, props) in group["s"].items()}
            relations = {RelationKey(entity_id, rel_type, to): {src: Assertion(rev, props)
                                                                 for src, (rev, props) in per_source.items()}
                         for rel_type, to, per_source in group.get("rs", ())}
            continue
        if group.get("e") == ASSERTED:
            entity[source] = (revision, dict(group.get("a", {})))
        elif group.get("e") == RETRACTED:
            entity.pop(source, None)
        if "p" in group:
            props = dict(entity.get(source, (0, {}))[1])
            for name, (_, after) in group["p"].items():
                if after is None:
                    props.pop(name, None)
                else:
                    props[name] = after
            entity[source] = (revision, props)
        for rel_type, to, op, _, after in group.get("r", ()):
            key = RelationKey(entity_id, rel_type, to)
            if op == RETRACTED:
                per_source = relations.get(key)
                if per_source is not None:
                    per_source.pop(source, None)
                    if not per_source:
                        del relations[key]
            else:
                relations.setdefault(key, {})[source] = Assertion(revision, dict(after or {}))
    record = None
    if entity and kind is not None:
        record = EntityRecord(entity_id, kind, {s: Assertion(rev, props) for s, (rev, props) in entity.items()},
                              precedence)
    return Replayed(record, relations, kind)


def snapshot_group(replayed: Replayed) -> dict | None:
    """A group that replays to ``replayed``: what compacting an entity's history keeps of it (None when
    nothing is left of the entity: no source asserts it or a relation from it)."""
    if replayed.record is None and not replayed.relations:
        return None
    entity = replayed.record.assertions if replayed.record is not None else {}
    return {"k": replayed.kind,
            "s": {src: [a.seq, a.properties] for src, a in entity.items()},
            "rs": [[key.type, key.to_id, {src: [a.seq, a.properties] for src, a in per_source.items()}]
                   for key, per_source in sorted(replayed.relations.items())]}


# ------------------------------------------------------------ revisions as stored
def revision_fields(committed_at: dt.datetime, source: str, facts: RevisionFacts) -> dict:
    """A revision's record, as a backend keeps it (its number kept apart)."""
    return {"committedAt": committed_at.isoformat(), "source": source, "mode": facts.mode.value,
            "author": facts.author, "created": facts.created, "updated": facts.updated,
            "retracted": facts.retracted}


def revision_of(number: int, fields: dict) -> Revision:
    return Revision(number, dt.datetime.fromisoformat(fields["committedAt"]), fields["source"],
                    SyncMode(fields["mode"]), fields["author"], fields["created"], fields["updated"],
                    fields["retracted"])


def commit_time(previous: dt.datetime | None) -> dt.datetime:
    """Now (UTC), never before the previous revision's time: revisions' times grow with their numbers,
    so that the revision at a time is found by bisection even if the clock steps back."""
    now = dt.datetime.now(dt.UTC)
    return now if previous is None or now > previous else previous
