"""The store protocol: the few operations every backend implements.

Everything else (sync planning, property resolution across sources, the
traversal index) is built on these in backend-independent code. A backend that
cannot do something raises ``NotSupported`` naming itself. The backends themselves, and
``open_store``, are in graph/backends.py: this module imports none of them.
"""

from __future__ import annotations

import abc
import enum
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Self

# the store's errors, kept importable from here where they used to live
from valuegraph.graph.changes import Revision
from valuegraph.graph.errors import NotSupported, StoreConflict, StoreError, StoreUnavailable
from valuegraph.graph.model import ChangeSet, EntityRecord, RelationKey, RelationRecord, Snapshot, SourceState
from valuegraph.graph.precedence import NO_PRECEDENCE, Precedence

__all__ = ["Batch", "Capability", "Direction", "NotSupported", "Store", "StoreConflict", "StoreError",
           "StoreUnavailable", "index_cache_folder"]


class Capability(str, enum.Enum):
    PERSISTENT = "persistent"
    SPARQL = "sparql"
    CYPHER = "cypher"
    #: other processes may write to the store: a process reads the latest revision before it answers
    SHARED = "shared"
    #: the store's batch writer loads facts new to the store in bulk, as it is given them, and removes them
    #: again when the batch is discarded: a large sync may start writing while it is still being checked
    BULK_LOAD = "bulk_load"


class Direction(str, enum.Enum):
    OUT = "out"
    IN = "in"
    BOTH = "both"


class Batch:
    """One sync written in several change sets (a large document read in parts), committed all
    or nothing. This default keeps the change sets merged in memory and commits them as one; a
    backend may write them in bulk instead (see the Oxigraph store)."""

    def __init__(self, source: str, store: Store | None = None) -> None:
        self.source = source
        self.rest = ChangeSet(source)
        self._target = store

    def add(self, changes: ChangeSet) -> None:
        self.rest.merge(changes)

    def commit(self) -> int:
        return self._target.commit(self.rest)

    def stop(self) -> None:
        """Ask an ``add`` running on another thread to end soon (the batch is about to be discarded)."""

    def discard(self) -> None:
        """Forget the change sets; nothing was written."""


class Store(abc.ABC):
    backend: str = "abstract"
    capabilities: frozenset[Capability] = frozenset()

    #: Number of reads and writes served, for tests and benchmarks that count round trips.
    calls: int = 0

    #: which source's value an entity's answered properties take (graph/precedence.py): the records a
    #: store reads carry it, and a backend that keeps resolved values resolves them by it
    precedence: Precedence = NO_PRECEDENCE

    # ------------------------------------------------------------ core
    @abc.abstractmethod
    def source_state(
        self,
        source: str,
        entity_ids: Iterable[str] | None = None,
        relation_keys: Iterable[RelationKey] | None = None,
    ) -> SourceState:
        """What ``source`` asserts now: everything, or only the given entities and relations."""

    @abc.abstractmethod
    def entity_records(self, ids: Iterable[str]) -> dict[str, EntityRecord]:
        """The given entities with every source's assertion, in one batched read."""

    @abc.abstractmethod
    def relation_records(
        self,
        keys: Iterable[RelationKey] = (),
        *,
        touching: Iterable[str] = (),
        direction: Direction = Direction.BOTH,
    ) -> list[RelationRecord]:
        """The given relations, and those with an end at one of ``touching`` (in ``direction``
        from that entity), with every source's assertion, in one batched read."""

    @abc.abstractmethod
    def commit(self, changes: ChangeSet) -> int:
        """Write one source's changes in a single transaction, with the revision's record and change groups
        when the change set has them; returns the revision's number (the sync's sequence number). Refuses
        (StoreConflict) a change set planned against another revision than the latest."""

    @abc.abstractmethod
    def snapshot(self) -> Snapshot:
        """Every entity's kind, status and budget and every relation, for the traversal index, with the
        revision they are at."""

    # ------------------------------------------------------------ history
    @abc.abstractmethod
    def current_revision(self) -> int:
        """The latest revision's number (0 for a store that has none), in one cheap read."""

    @abc.abstractmethod
    def revisions(self, numbers: Iterable[int]) -> dict[int, Revision]:
        """The records of the given revisions (those that exist), in one batched read."""

    @abc.abstractmethod
    def revision_entities(self, number: int) -> list[str]:
        """The ids of the entities a revision has change groups of, in id order."""

    @abc.abstractmethod
    def change_groups(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], dict]:
        """The change group of each (revision, entity id) that has one (graph/changes.py), decoded."""

    @abc.abstractmethod
    def history_start(self) -> int:
        """The revision up to which history was compacted (0: none was): changes up to it are gone, and
        the graph is known as of it and any later revision only."""

    @abc.abstractmethod
    def compact_history(self, up_to: int, entities: list[str], snapshots: list[tuple[str, dict]]) -> None:
        """In one transaction: remove the change groups up to revision ``up_to`` of ``entities``, write
        ``snapshots`` (graph/changes.py ``snapshot_group``) as their groups at ``up_to``, forget which
        entities the revisions up to it changed, and record ``up_to`` as the history's start."""

    @abc.abstractmethod
    def entity_changes(self, ids: Iterable[str], up_to: int | None = None) -> dict[str, list[tuple[int, dict]]]:
        """Each entity's change groups, ``(revision, group)`` in revision order, up to revision ``up_to``."""

    @abc.abstractmethod
    def relation_counts(self) -> dict[str, int]:
        """Number of relations of each type in the union of all sources."""

    @abc.abstractmethod
    def sources(self) -> dict[str, dict]:
        """Every source with what the store knows of its last sync."""

    def shared_entities(self) -> list[str]:
        """The ids of the entities that two or more sources assert, in id order (where conflicts can be)."""
        raise NotSupported(f"the {self.backend} store does not list entities by their sources")

    def index_cache(self) -> tuple[Path, str] | None:
        """Where the traversal index may be kept between processes, and this store's identity (which store it
        is, and the precedence rules its answers follow: a file marked with another is not this store's
        index); None for a backend whose index is always built from the store. The file also records the
        revision it is at, which the reader compares with ``current_revision``."""
        return None

    def batch(self, source: str) -> Batch:
        """A write of one sync given as several change sets (see ``Batch``)."""
        return Batch(source, self)

    def close(self) -> None:
        """Release the backend's resources."""

    def clear(self) -> None:
        """Delete everything valuegraph stored (tests and re-imports)."""
        raise NotSupported(f"the {self.backend} store cannot be cleared")

    # ------------------------------------------------------------ derived
    def entity_record(self, entity_id: str) -> EntityRecord | None:
        return self.entity_records([entity_id]).get(entity_id)

    def search(self, text: str) -> set[str]:
        """Ids of the entities whose name contains ``text`` (case-insensitive)."""
        raise NotSupported(f"the {self.backend} store does not search names")

    def sparql(self, query: str):
        raise NotSupported(f"the {self.backend} store does not answer SPARQL")

    def cypher(self, query: str, parameters: dict | None = None, timeout: float = 10.0, max_rows: int = 1000):
        """A read-only Cypher query: (columns, rows, truncated)."""
        raise NotSupported(f"the {self.backend} store does not answer Cypher")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def index_cache_folder(setting: str | None, beside: Path | None) -> Path | None:
    """The folder traversal indexes are kept in, from ``VALUEGRAPH_INDEX_CACHE``: ``off`` keeps none; a
    folder; unset, ``beside`` (an embedded store's parent folder) or else the user's cache folder
    (``$XDG_CACHE_HOME/valuegraph``, by default ``~/.cache/valuegraph``)."""
    if setting is not None and setting.strip().lower() == "off":
        return None
    if setting is not None and setting.strip():
        return Path(setting).expanduser()
    if beside is not None:
        return beside
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "valuegraph"
