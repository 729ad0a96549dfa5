"""The domain objects shared by stores, the traversal engine, loaders and the API."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field, fields
from typing import NamedTuple

from valuegraph.graph.crosswalk import Pair, pairs
from valuegraph.schema.values import number_or
# the errors a document and a look-up raise, kept importable from here where they used to live
from valuegraph.graph.errors import DocumentRejected, NotFound, SyncError  # noqa: F401 - NotFound kept importable
from valuegraph.graph.precedence import NO_PRECEDENCE, Precedence

Value = str | int | float | bool | dt.date | dt.datetime


class SyncMode(str, enum.Enum):
    MERGE = "merge"
    FULL = "full"


class RelationKey(NamedTuple):
    from_id: str
    type: str
    to_id: str

    def __str__(self) -> str:
        return f"{self.from_id} -{self.type}-> {self.to_id}"


@dataclass(slots=True)
class Entity:
    """An entity as a document gives it. ``properties`` holds every property,
    ``name`` included; a value of None (merge only) withdraws the source's value."""

    id: str
    kind: str
    properties: dict[str, Value | None]
    location: str = ""


@dataclass(slots=True)
class Relation:
    key: RelationKey
    properties: dict[str, Value | None] = field(default_factory=dict)
    location: str = ""


@dataclass(slots=True)
class Document:
    """A validated exchange document: what one source says in one load or sync."""

    source: str | None
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    origin: str = ""  # file name or "request body", for messages
    #: what validation found wrong; a sync adds what the graph finds and rejects the document if any
    errors: list[SyncError] = field(default_factory=list)
    #: ids of entities left out for errors of their own: relations to them are not reported again
    unresolved: set[str] = field(default_factory=set)
    #: what the loader left out or noticed without it being an error (shown with the report)
    warnings: list[SyncError] = field(default_factory=list)
    #: counts of what the loader could not map, by type (for reports)
    left_out: dict[str, int] = field(default_factory=dict)

    def raise_if_invalid(self) -> Document:
        if self.errors:
            raise DocumentRejected(self.errors)
        return self


def join_documents(parts: list[Document], source: str | None = None) -> Document:
    """Documents as one: the parts of one document as a loader read them, or documents of one source.

    The joined document has ``source`` where given, else the first part's, and names each part's origin
    once; the parts are left as they are."""
    if not parts:
        return Document(source)
    origins = ", ".join(dict.fromkeys(part.origin for part in parts if part.origin))
    joined = Document(source or parts[0].source, origin=origins)
    for part in parts:
        add_fields(joined, part)
    return joined


def add_fields(into: object, other: object) -> None:
    """Add, field by field, the collections of ``other`` to those of ``into`` (a dataclass of the same kind):
    lists are extended, sets united and counts (dicts of numbers) added; other fields are left as they are.

    Going by the fields means a collection added to a dataclass later cannot be forgotten here."""
    for spec in fields(into):
        mine, theirs = getattr(into, spec.name), getattr(other, spec.name)
        if isinstance(mine, list):
            mine += theirs
        elif isinstance(mine, set):
            mine |= theirs
        elif isinstance(mine, dict):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n


@dataclass(frozen=True, slots=True)
class Assertion:
    """What one source says of one fact, and the sync that last changed it."""

    seq: int
    properties: dict[str, Value]


def resolve(assertions: dict[str, Assertion], kind: str = "",
            precedence: Precedence = NO_PRECEDENCE) -> dict[str, Value]:
    """The answered properties of a fact (of ``kind``, for an entity): each from the source that
    ``precedence`` ranks highest among those giving it; without rules, the most recent sync's."""
    return precedence.resolve(kind, assertions)


class _Asserted:
    """A fact with every source's assertion of it."""

    __slots__ = ()
    assertions: dict[str, Assertion]

    @property
    def sources(self) -> list[str]:
        return sorted(self.assertions)

    @property
    def properties(self) -> dict[str, Value]:
        return resolve(self.assertions)


@dataclass(slots=True)
class EntityRecord(_Asserted):
    """An entity with every source's assertion, its properties resolved by the store's precedence."""

    id: str
    kind: str
    assertions: dict[str, Assertion]
    precedence: Precedence = field(default=NO_PRECEDENCE, repr=False, compare=False)

    @property
    def properties(self) -> dict[str, Value]:
        return resolve(self.assertions, self.kind, self.precedence)

    @property
    def name(self) -> str:
        return str(self.properties.get("name", self.id))

    def property_sources(self, name: str) -> list[tuple[str, Assertion]]:
        """The sources that give property ``name``, with their assertions, the answered one first."""
        return self.precedence.ranked(self.kind, name, self.assertions)

    def disputed(self) -> list[str]:
        """The properties that two or more sources give different values of, by name."""
        if len(self.assertions) < 2:
            return []
        seen: dict[str, set] = {}
        for assertion in self.assertions.values():
            for prop, value in assertion.properties.items():
                seen.setdefault(prop, set()).add(_comparable(value))
        return sorted(prop for prop, values in seen.items() if len(values) > 1)


def _comparable(value: Value) -> tuple[str, Value]:
    """A value as conflicts compare it: 3 and 3.0 agree; "3" and 3, or 1 and True, do not."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return ("number" if number else type(value).__name__, value)


@dataclass(slots=True)
class RelationRecord(_Asserted):
    key: RelationKey
    assertions: dict[str, Assertion]


def budget_of(properties: dict[str, Value]) -> float | None:
    """The budget as a number for sums, or None where it is missing."""
    return number_or(properties.get("budget"), None)


@dataclass(slots=True)
class SourceState:
    """Everything one source asserts now (or the requested part of it)."""

    entities: dict[str, tuple[str, dict[str, Value]]] = field(default_factory=dict)  # id -> (kind, properties)
    relations: dict[RelationKey, dict[str, Value]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RevisionFacts:
    """What a sync tells the store about the revision it commits (the store gives number and time)."""

    mode: SyncMode
    author: str
    created: int
    updated: int
    retracted: int


@dataclass(slots=True)
class ChangeSet:
    """One source's changes from one sync, written by a store in one transaction.

    ``put_*`` hold the source's complete new assertion of each fact; ``drop_*``
    the facts the source no longer asserts."""

    source: str
    put_entities: list[tuple[str, str, dict[str, Value]]] = field(default_factory=list)
    drop_entities: list[str] = field(default_factory=list)
    put_relations: list[tuple[RelationKey, dict[str, Value]]] = field(default_factory=list)
    drop_relations: list[RelationKey] = field(default_factory=list)
    #: entities and relations no source asserted before this sync: a backend need not look them up
    fresh_entities: set[str] = field(default_factory=set)
    fresh_relations: set[RelationKey] = field(default_factory=set)
    #: the change groups (graph/changes.py) of the revision this change set commits, as (entity id, group)
    history: list[tuple[str, dict]] = field(default_factory=list)
    #: what the store records of the revision this change set commits, besides its number and time
    revision: RevisionFacts | None = None
    #: the revision the change set was planned against: the store refuses it if another one came since
    after_revision: int | None = None
    #: names this change set in the store, so that a transaction the database driver runs again (it may, when
    #: a commit's answer is lost) finds the change set already written instead of writing it twice
    commit_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __bool__(self) -> bool:
        return bool(self.put_entities or self.drop_entities or self.put_relations or self.drop_relations)

    def merge(self, other: ChangeSet) -> None:
        """Add another change set of the same source (for different facts) to this one."""
        add_fields(self, other)

    def split_fresh(self) -> tuple[ChangeSet, ChangeSet]:
        """(what only adds facts no source asserted before, everything else)."""
        fresh, rest = ChangeSet(self.source), ChangeSet(self.source)
        for item in self.put_entities:
            (fresh if item[0] in self.fresh_entities else rest).put_entities.append(item)
        for item in self.put_relations:
            (fresh if item[0] in self.fresh_relations else rest).put_relations.append(item)
        rest.drop_entities, rest.drop_relations = list(self.drop_entities), list(self.drop_relations)
        fresh.history = self.history  # change groups are new facts of their own: written with the fresh ones
        rest.revision, rest.after_revision = self.revision, self.after_revision
        fresh.fresh_entities, fresh.fresh_relations = self.fresh_entities, self.fresh_relations
        return fresh, rest


@dataclass(slots=True)
class NodeState:
    """What the traversal index keeps of an entity."""

    id: str
    kind: str
    status: str
    budget: float | None
    health: str | None = None
    external_ids: tuple[Pair, ...] = ()  # (system, id) it carries (graph/crosswalk.py)

    @classmethod
    def of(cls, entity_id: str, kind: str, properties: dict[str, Value]) -> NodeState:
        health = properties.get("health")
        return cls(entity_id, kind, str(properties.get("status", "active")), budget_of(properties),
                   health if isinstance(health, str) else None, pairs(properties))


@dataclass(slots=True)
class Snapshot:
    """The whole graph as the traversal index needs it."""

    nodes: list[NodeState]
    edges: list[RelationKey]
    revision: int = 0  # the store's revision that the snapshot shows


@dataclass(slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    retracted: int = 0
    unchanged: int = 0

    def add(self, outcome: str, n: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + n)


@dataclass(slots=True)
class SyncReport:
    source: str
    mode: SyncMode
    created: int = 0
    updated: int = 0
    retracted: int = 0
    unchanged: int = 0
    by_kind: dict[str, Counts] = field(default_factory=dict)  # entity kinds and relation types
    errors: list[SyncError] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0
    revision: int | None = None  # the revision the sync committed (None: it changed nothing, or a dry run)

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + n)
        self.by_kind.setdefault(kind, Counts()).add(outcome, n)

    def merge(self, other: SyncReport) -> SyncReport:
        """Add another report's counts (another part of the same sync) to this one."""
        for kind, counts in other.by_kind.items():
            for outcome, n in vars_of(counts).items():
                if n:
                    self.count(kind, outcome, n)
        self.errors += other.errors
        return self

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "mode": self.mode.value,
            "dryRun": self.dry_run,
            "revision": self.revision,
            "created": self.created,
            "updated": self.updated,
            "retracted": self.retracted,
            "unchanged": self.unchanged,
            "byKind": {k: vars_of(c) for k, c in self.by_kind.items()},
            "errors": [{"location": e.location, "message": e.message} for e in self.errors],
        }


def vars_of(counts: Counts) -> dict[str, int]:
    return {"created": counts.created, "updated": counts.updated, "retracted": counts.retracted, "unchanged": counts.unchanged}
