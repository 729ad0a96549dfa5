"""ValueGraph: a store and its traversal index, kept in step by one writer (graph/questions.py asks them).

One writer at a time (a lock around every write). Readers take the published index snapshot
(``index``) once per question and answer from it: a write builds the next snapshot beside it and
publishes it by swapping one reference once the store has committed, so a reader never sees half a
write. Answers carry entity records fetched from the store in one batched read per question, kept in
a record cache that belongs to the published snapshot.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Self

from valuegraph.schema.text import source_name_fault
from valuegraph.graph.backends import open_store
from valuegraph.graph.errors import NO_SOURCE, InvalidSourceName, StoreConflict, StoreUnavailable
from valuegraph.graph.history import AsOf, History, PastGraph
from valuegraph.graph.index import TraversalIndex
from valuegraph.graph.model import (
    ChangeSet,
    Document,
    DocumentRejected,
    EntityRecord,
    NodeState,
    RelationKey,
    RelationRecord,
    RevisionFacts,
    SyncError,
    SyncMode,
    SyncReport,
    join_documents,
)
from valuegraph.graph.pause import collector_paused
from valuegraph.graph.precedence import Precedence
from valuegraph.graph.revision_check import RevisionCheck
from valuegraph.graph.store import Capability, Direction, Store
from valuegraph.graph.sync import SyncDraft, SyncPlan, plan_sync
from valuegraph.graph.writer import WriteForwarder

_log = logging.getLogger("valuegraph.index")


class RecordCache:
    """Entity records read while one index snapshot is published, for the readers of that snapshot.

    Answers and GraphQL pages read the same records again and again between writes. Each published
    snapshot has a cache of its own, so a write starts afresh by publishing. Once a write starts on
    the store the cache is sealed: what is read from then on (or was being read) may already show the
    write, and is not kept."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._records: dict[str, EntityRecord | None] = {}
        self._version = 0
        self._sealed = False
        self._lock = threading.Lock()

    def get(self, ids: Iterable[str], read) -> dict[str, EntityRecord]:
        found, missing = {}, []
        records = self._records
        for entity_id in ids:
            record = records.get(entity_id, _MISSING)
            if record is _MISSING:
                missing.append(entity_id)
            elif record is not None:
                found[entity_id] = record
        if missing:
            version = self._version
            fetched = read(missing)
            found.update(fetched)
            with self._lock:
                if version == self._version and not self._sealed:
                    if len(records) + len(missing) > self.capacity:
                        records.clear()
                    for entity_id in missing:
                        records[entity_id] = fetched.get(entity_id)
        return found

    def peek(self, ids: Iterable[str]) -> dict[str, EntityRecord] | None:
        """The records of ``ids`` when the cache knows every one (kept, or known to be missing), without a
        store read; None when one must be read (a caller on the event loop reads them elsewhere)."""
        found = {}
        records = self._records
        for entity_id in ids:
            record = records.get(entity_id, _MISSING)
            if record is _MISSING:
                return None
            if record is not None:
                found[entity_id] = record
        return found

    def seal(self) -> None:
        """The store is about to change: keep what is kept, take nothing more."""
        with self._lock:
            self._version += 1
            self._sealed = True


_MISSING = object()


@dataclass(slots=True)
class _IndexChanges:
    fresh: list[NodeState]  # entities new to the graph, as the sync gives them
    added: list[RelationKey]  # traversed relations the sync writes
    known: list[str]  # entities the graph had: read back resolved across sources
    dropped: list[RelationKey]  # traversed relations the sync retracts: read back (another source may keep them)


def _node_state(record: EntityRecord) -> NodeState:
    return NodeState.of(record.id, record.kind, record.properties)


@dataclass(frozen=True, slots=True)
class _Published:
    """What readers take: an index snapshot and the records read for it, swapped as one reference.
    ``writes``: how many store writes had started when it was published (while no other has, the store
    holds what the snapshot shows)."""

    index: TraversalIndex
    records: RecordCache
    writes: int


class ValueGraph:
    #: a sync adding at least this many new entities and relations is written through the store's batch
    #: writer (for Oxigraph, a bulk load from a journal), not one transaction
    bulk_threshold = 5_000

    def __init__(self, store: Store, *, lazy: bool = False, history_cache_bytes: int = 256 * 2**20,
                 history_keep: dt.timedelta | None = None, writer: WriteForwarder | None = None) -> None:
        """``lazy``: build the traversal index on first use (a server may start before its store answers).
        ``history_cache_bytes``: the memory that indexes of past revisions may take. ``history_keep``: how
        long revisions are kept in full (None: for ever); older ones are compacted after each sync.
        ``writer``: where writes go when another process writes to the store for this one (a server's
        worker reading an embedded store: graph/writer.py); None: this process writes."""
        self.store = store
        self.writer = writer
        self.history = History(store, history_cache_bytes)
        self.history_keep = history_keep
        #: other processes may write to the store: each read first checks the store's latest revision
        self.shared = Capability.SHARED in store.capabilities
        self._revision_check = RevisionCheck(store.current_revision)  # concurrent requests share its reads
        self._lock = threading.RLock()  # one writer at a time
        self._published: _Published | None = None
        self._writes = 0  # store writes started (by this process): a later one makes the published snapshot stale
        self._saved_at: int | None = None  # the index's update count when it was last saved or loaded
        if not lazy:
            self._publish(self._open_index())

    @property
    def index(self) -> TraversalIndex:
        """The published index snapshot: it never changes, so a request takes it once and answers from it."""
        return self._current().index

    @property
    def _records(self) -> RecordCache:
        return self._current().records

    def _current(self) -> _Published:
        published = self._published
        if published is None:
            with self._lock:
                if self._published is None:
                    self._publish(self._open_index())
                published = self._published
        return published

    def _publish(self, index: TraversalIndex) -> None:
        self._published = _Published(index.publish(), RecordCache(), self._writes)

    def _open_index(self) -> TraversalIndex:
        """The index kept beside the server (``Store.index_cache``) brought up to the store's latest revision,
        else one built from the store (and kept). A kept index is used only if it was read from this store
        under the same precedence rules; one of an older revision is moved on by what the revisions since
        changed (graph/history.py), unless rebuilding is cheaper or the history since was compacted. A store
        written before it kept history gets one, starting at its latest revision, when its index is built
        (a kept index is only ever written beside a store that keeps history)."""
        cache = self.store.index_cache()
        if cache is not None:
            index = self._kept_index(*cache)
            if index is not None:
                return index
        index = TraversalIndex.build(self.store.snapshot())
        self.history.adopt(index)
        if cache is not None:
            self._save_index(index, *cache)
        return index

    def _kept_index(self, path, identity: str) -> TraversalIndex | None:
        kept = TraversalIndex.load(path, identity)
        if kept is None:
            return None
        latest = self.store.current_revision()
        if kept.revision == latest:
            self._saved_at = kept.updates
            return kept
        if (kept.revision > latest or kept.revision < self.history.start()
                or self.history.cheaper_to_rebuild(kept, latest)):
            _log.info("the kept traversal index %s is at revision %d, the store at %d: built from the store",
                      path, kept.revision, latest)
            return None
        moved = self.history.moved(kept.publish(), latest, branch=False)
        _log.info("the kept traversal index %s was moved from revision %d to %d", path, kept.revision, latest)
        self._save_index(moved, path, identity)
        return moved

    def _save_index(self, index: TraversalIndex, path, identity: str) -> None:
        try:
            index.save(path, identity)
            self._saved_at = index.updates
        except OSError as exc:  # a read-only folder: the index is built from the store next time
            _log.info("the traversal index could not be kept at %s: %s", path, exc)

    @classmethod
    def open(cls, url: str, *, lazy: bool = False, history_cache_bytes: int = 256 * 2**20,
             history_keep: dt.timedelta | None = None, precedence: Precedence | None = None,
             writer: WriteForwarder | None = None, **store_options) -> ValueGraph:
        """The graph of the store at ``url``, its entities' properties resolved by ``precedence`` (None: see
        ``open_store``, which takes ``store_options``: credentials, ``index_cache``, ``read_only``)."""
        return cls(open_store(url, precedence=precedence, **store_options), lazy=lazy,
                   history_cache_bytes=history_cache_bytes, history_keep=history_keep, writer=writer)

    @property
    def precedence(self) -> Precedence:
        """The source precedence rules the answers follow (the store's)."""
        return self.store.precedence

    def close(self) -> None:
        """Keep the index for the next process (when it changed), then close the store."""
        with self._lock:
            published = self._published
            index = published.index if published is not None else None
            # kept only while it is the store's state: a store emptied (or written by another process) since
            # would otherwise get this index under its new identity, and a reload to the same revision number
            # would take it for its own
            try:
                if (index is not None and index.updates != self._saved_at
                        and self.store.current_revision() == index.revision):
                    cache = self.store.index_cache()
                    if cache is not None:
                        self._save_index(index, *cache)
            except StoreUnavailable as exc:  # the store is closed all the same; the next process builds it
                _log.info("the traversal index was not kept: %s", exc)
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ writing
    @contextlib.contextmanager
    def _writing(self):
        """One write at a time, from the published index (yielded). A write publishes the successor it
        built; a write that publishes nothing leaves the shared id table as the published index has it."""
        with self._lock, collector_paused():
            if self.shared:
                self._catch_up(self.store.current_revision())
            base = self._current()
            try:
                yield base.index
            finally:
                published = self._published
                if published is None or published.index is base.index:
                    base.index.forget_later_ids()

    @contextlib.contextmanager
    def _committing(self):
        """Around a store write: the published snapshot's records take no more reads (they may show the
        write); if the write fails, the store is as it was and the snapshot gets a fresh record cache."""
        published = self._current()
        self._writes += 1  # before the store changes: readers of the published snapshot stop reading the store
        published.records.seal()
        try:
            yield
        except BaseException:
            self._published = _Published(published.index, RecordCache(), self._writes)
            raise

    def _publish_written(self, work: TraversalIndex, c: _IndexChanges, revision: int) -> None:
        """Complete ``work`` with what the committed write (revision ``revision``) changed (read back) and
        publish it."""
        work.revision = revision
        try:
            self._index_written(work, c)
        except BaseException:
            # the store holds the write but the index could not follow it: built again on next use
            self._published = None
            raise
        self._publish(work)

    def sync(self, doc: Document, source: str | None = None, mode: SyncMode = SyncMode.MERGE,
             dry_run: bool = False, author: str | None = None) -> SyncReport:
        """Validate and write one document for one source, all or nothing: one revision by ``author``
        (the local user when not given) if it changes anything."""
        if self.writer is not None:
            return self.writer.sync(doc, source, mode, dry_run, author or getpass.getuser())
        started = time.perf_counter()
        source = resolve_source(doc, source)
        for attempt in range(3):
            with self._writing() as base:
                draft = SyncDraft(self.store, base, doc, source, mode)
                # a large write of new facts starts loading them while the checks run (the store removes
                # them again if the checks refuse the document); any other sync is checked first
                ahead = not dry_run and self._loads_ahead(draft)
                if not ahead:
                    draft.check()
                plan = draft.plan()
                changes = plan.changes
                if not dry_run and changes:
                    _mark_revision(changes, plan, base, author)
                    try:
                        plan.report.revision = self._write(base, plan, draft.check if ahead else None)
                        self.compact_history()
                    except StoreConflict:
                        # another process committed a revision since this one caught up: plan again on it
                        if not self.shared or attempt == 2:
                            raise
                        continue
                break
        plan.report.dry_run = dry_run
        plan.report.seconds = time.perf_counter() - started
        return plan.report

    def _loads_ahead(self, draft: SyncDraft) -> bool:
        """Whether a sync is written in bulk while it is checked: the store bulk-loads, nothing is known
        wrong with the document yet, it retracts no entity that would vanish (whose check reads the relations
        in the store, which would then hold some of the new ones), and it adds enough new facts."""
        if Capability.BULK_LOAD not in self.store.capabilities or draft.errors or draft.vanishing:
            return False
        return _fresh_facts(draft.plan().changes) >= self.bulk_threshold

    def _write(self, base: TraversalIndex, plan: SyncPlan, check=None) -> int:
        """Write a planned sync; ``check``, when given, is the sync's checks, run while its new facts load."""
        changes = plan.changes
        if _fresh_facts(changes) >= self.bulk_threshold:
            return self._bulk_write(base, changes, changes.source, plan.touched_relations, check)
        if check is not None:
            check()
        index_changes = self._index_changes(base, changes, plan.touched_relations)
        with self._committing():
            revision = self.store.commit(changes)
        self._publish_written(base.successor(), index_changes, revision)
        return revision

    def _bulk_write(self, base: TraversalIndex, changes, source: str, touched: list[RelationKey],
                    check=None) -> int:
        """A large write through the store's batch writer, which is given the changes on a thread of its own
        (the store loads them meanwhile). This thread runs the sync's checks, if any are left; once they
        pass, the successor of the index takes what needs no read-back on another thread, and is
        published once the write is committed."""
        with ThreadPoolExecutor(2, thread_name_prefix="valuegraph-write") as pool:
            with self._committing():
                batch = self.store.batch(source)
                adding = pool.submit(batch.add, changes)
                try:
                    if check is not None:
                        check()
                    ahead = pool.submit(self._index_ahead, base, changes, touched)
                    adding.result()
                    # a batch merges what it is given into change sets of its own, which carry no
                    # revision: the one it commits is this sync's, planned on this index's revision
                    batch.rest.revision, batch.rest.after_revision = changes.revision, changes.after_revision
                except BaseException:
                    batch.stop()
                    wait([adding])
                    batch.discard()  # ``commit`` cleans up after itself; ``add`` does not
                    raise
                revision = batch.commit()
            try:
                work, c = ahead.result()
            except BaseException:
                self._published = None  # committed, but the index could not follow: built again on next use
                raise
        self._publish_written(work, _IndexChanges([], [], c.known, c.dropped), revision)
        return revision

    def _index_ahead(self, base: TraversalIndex, changes,
                     touched: list[RelationKey]) -> tuple[TraversalIndex, _IndexChanges]:
        c = self._index_changes(base, changes, touched)
        work = base.successor()
        work.apply(nodes=c.fresh, removed=(), edges_added=c.added, edges_removed=())
        return work, c

    def sync_parts(self, parts: Iterable[Document], source: str | None = None, mode: SyncMode = SyncMode.MERGE,
                   dry_run: bool = False, author: str | None = None) -> SyncReport:
        """One sync of a document read in parts (a large register, a slice of rows at a time), all or nothing.

        Each part is validated against the graph and the parts before it, then handed to the store's
        batch writer, so only one part's objects are in memory at a time. Nothing is written unless every
        part is valid; the report counts every part and lists every part's errors. A full sync needs
        the whole document to know what it retracts: its parts are joined and written as one."""
        if self.writer is not None:  # the parts cross to the writing process together
            return self.writer.sync_parts(list(parts), source, mode, dry_run, author or getpass.getuser())
        if mode is SyncMode.FULL:
            return self.sync(join_documents(list(parts)), source, mode, dry_run, author)
        started = time.perf_counter()
        report: SyncReport | None = None
        errors: list[SyncError] = []
        seen: set[str] = set()
        with self._writing() as base:
            work = base.successor()  # readers keep the published index until the batch commits
            batch = None
            to_read = _IndexChanges([], [], [], [])  # read back once written
            try:
                for part in parts:
                    part_source = resolve_source(part, source)
                    if source is None:
                        source = part_source
                    repeated = [SyncError(e.location, f"id '{e.id}' appears twice in the document")
                                for e in part.entities if e.id in seen]
                    seen.update(e.id for e in part.entities)
                    try:
                        plan = plan_sync(self.store, work, part, part_source, mode)
                    except DocumentRejected as exc:
                        # keep reading, so that the report lists every part's errors; later parts may
                        # refer to this part's entities
                        errors += exc.errors + repeated
                        work.apply([NodeState.of(e.id, e.kind, {}) for e in part.entities if e.id not in work],
                                   removed=(), edges_added=(), edges_removed=())
                        continue
                    errors += repeated
                    report = plan.report if report is None else report.merge(plan.report)
                    if not dry_run and plan.changes and not errors:
                        batch = batch or self.store.batch(part_source)
                        batch.add(plan.changes)
                    c = self._index_changes(work, plan.changes, plan.touched_relations)
                    work.apply(nodes=c.fresh, removed=(), edges_added=c.added, edges_removed=())
                    to_read.known += c.known
                    to_read.dropped += c.dropped
                if errors:
                    raise DocumentRejected(errors)
                if batch is not None:
                    # the revision's counts are the whole sync's: known once every part is read
                    _mark_revision(batch.rest, None, base, author, report)
                    with self._committing():
                        report.revision = batch.commit()
                    batch = None
                    self._publish_written(work, to_read, report.revision)
                    self.compact_history()
            finally:
                if batch is not None:
                    batch.discard()
        if report is None:
            report = SyncReport(source=source or "", mode=mode)
        report.dry_run = dry_run
        report.seconds = time.perf_counter() - started
        return report

    def _index_changes(self, index: TraversalIndex, changes, touched: list[RelationKey]) -> _IndexChanges:
        """What a plan changes in ``index``: what needs no read, and what must be read back once written."""
        # an entity new to the graph is exactly what this source says of it; entities that were
        # there already may carry other sources' values, so those are read back resolved
        puts = changes.put_entities
        fresh: list[NodeState] = []
        known: list[str] = []
        # one vectorised lookup for the whole write (a large load puts hundreds of thousands)
        for (entity_id, kind, props), existing in zip(puts, index.kinds_of([e[0] for e in puts]), strict=True):
            if existing is None:
                fresh.append(NodeState.of(entity_id, kind, props))
            else:
                known.append(entity_id)
        known += changes.drop_entities
        traversed_types = self._traversed_types
        traversed = [k for k in touched if k.type in traversed_types]
        put = {k for k, _ in changes.put_relations}
        return _IndexChanges(fresh, [k for k in traversed if k in put], known, [k for k in traversed if k not in put])

    def _index_written(self, index: TraversalIndex, c: _IndexChanges) -> None:
        """Bring ``index`` up to date after a write, reading back known entities and dropped relations."""
        records = self.store.entity_records(c.known) if c.known else {}
        present = {r.key for r in self.store.relation_records(c.dropped)} if c.dropped else set()
        index.apply(
            nodes=c.fresh + [_node_state(r) for r in records.values()],
            removed=[i for i in c.known if i not in records],
            edges_added=c.added + [k for k in c.dropped if k in present],
            edges_removed=[k for k in c.dropped if k not in present],
        )

    @property
    def _traversed_types(self) -> set[str]:
        return {self.index.relation_names[c] for c in self.index.value_chain} | {"DEPENDS_ON"}

    def forget_records(self) -> None:
        """Forget the entity records read so far: the next answers read theirs from the store, as the first
        reader after a write does (the benchmarks time that read)."""
        with self._lock:
            published = self._current()
            self._published = _Published(published.index, RecordCache(), published.writes)

    def rebuild_index(self) -> None:
        with self._lock:
            self.history.forget()
            self._publish(TraversalIndex.build(self.store.snapshot()))
            self._saved_at = None

    # ------------------------------------------------------------ other processes' writes, and the past
    def refresh(self) -> TraversalIndex:
        """The published index, first brought up to the store's latest revision when other processes may
        have written to it (one cheap read); the published index as it is otherwise."""
        if not self.shared:
            return self.index
        latest = self._revision_check.latest()
        if latest > self._current().index.revision:
            with self._lock:
                self._catch_up(latest)
        return self.index

    def _catch_up(self, latest: int) -> None:
        """Publish the index at revision ``latest`` (the writer's lock held): the published one moved on by
        what the revisions since changed, or one built from the store after very many of them."""
        current = self._current().index
        if latest <= current.revision:
            return
        if self.history.cheaper_to_rebuild(current, latest):
            self._publish(TraversalIndex.build(self.store.snapshot()))
        else:
            self._published = _Published(self.history.moved(current, latest, branch=False), RecordCache(),
                                         self._writes)

    def compact_history(self) -> int:
        """Compact the revisions committed before the retention window (``history_keep``) into a snapshot;
        the number of entities compacted."""
        if self.history_keep is None:
            return 0
        with self._lock:
            latest = self._current().index.revision
            cutoff = self.history.revision_at(dt.datetime.now(dt.UTC) - self.history_keep, latest)
            return self.history.compact(cutoff)

    def current_revision(self) -> int:
        """The latest revision's number (0 for an empty graph)."""
        return self.refresh().revision

    def past(self, point: AsOf, current: TraversalIndex | None = None) -> PastGraph:
        """The graph as it stood at ``point``, for questions (graph/questions.py). ``current``: the index
        the asker holds (its revision is the latest it knows of)."""
        current = current or self.refresh()
        target = self.history.resolve(point, current.revision)
        return self.history.past(target, current, self)

    def settled(self) -> TraversalIndex:
        """The published index once no write is under way (a write holds the writer's lock from before its
        commit until it publishes)."""
        with self._lock:
            return self._current().index

    @property
    def snapshot_reads_store(self) -> bool:
        """Whether taking the published snapshot reads the store: the store's latest revision when other
        processes may write to it, the whole graph when the index is not built yet."""
        return self.shared or self._published is None

    def pinned(self) -> PinnedGraph:
        """The graph as the snapshot published now stands, for one request's reads."""
        self.refresh()
        return PinnedGraph(self, self._current())

    # ------------------------------------------------------------ reading
    def entity(self, entity_id: str) -> EntityRecord | None:
        return self.entities([entity_id]).get(entity_id)

    def entities(self, ids: Iterable[str]) -> dict[str, EntityRecord]:
        """Entity records, from the record cache where they are there and in one store read for the rest."""
        return self._records.get(ids, self.store.entity_records)

    def relation_records(self, keys: Iterable[RelationKey] = (), *, touching: Iterable[str] = (),
                         direction: Direction = Direction.BOTH) -> list[RelationRecord]:
        return self.store.relation_records(keys, touching=touching, direction=direction)

    def search(self, text: str) -> set[str]:
        return self.store.search(text)


class PinnedGraph:
    """The graph as one published snapshot shows it: its index, and records read from the store while the
    store holds what the snapshot shows (no write has started since it was published); once one has, as
    they stood at the snapshot's revision (replayed from history), so that an answer never shows part of
    the snapshot and part of a later write. (Writes by other processes sharing the store are
    not seen starting: those reads are of the store as it is.)"""

    def __init__(self, graph: ValueGraph, published: _Published) -> None:
        self._graph = graph
        self._published = published
        self.index = published.index
        self._past: PastGraph | None = None  # made on the first read after a write started

    def _read(self, live, past):
        graph, published = self._graph, self._published
        if graph._writes == published.writes:
            found = live()
            if graph._writes == published.writes:  # no write started while it read: nothing of one is in it
                return found
        if self._past is None:
            self._past = PastGraph(graph.history, self.index, graph)
        return past(self._past)

    def entity(self, entity_id: str) -> EntityRecord | None:
        return self.entities([entity_id]).get(entity_id)

    def entities(self, ids: Iterable[str]) -> dict[str, EntityRecord]:
        ids = list(ids)
        return self._read(lambda: self._published.records.get(ids, self._graph.store.entity_records),
                          lambda past: past.entities(ids))

    def cached_entities(self, ids: Iterable[str]) -> dict[str, EntityRecord] | None:
        """``entities(ids)`` when the snapshot's record cache holds every one (no store read, no wait: what it
        holds was read before any write started), else None."""
        return self._published.records.peek(ids)

    def relation_records(self, keys: Iterable[RelationKey] = (), *, touching: Iterable[str] = (),
                         direction: Direction = Direction.BOTH) -> list[RelationRecord]:
        keys, touching = list(keys), list(touching)
        return self._read(lambda: self._graph.store.relation_records(keys, touching=touching, direction=direction),
                          lambda past: past.relation_records(keys, touching=touching, direction=direction))

    def search(self, text: str) -> set[str]:
        return self._read(lambda: self._graph.store.search(text), lambda past: past.search(text))


def _fresh_facts(changes: ChangeSet) -> int:
    """The entities and relations a change set adds that the graph did not hold (what a bulk write loads)."""
    return len(changes.fresh_entities) + len(changes.fresh_relations)


def _mark_revision(changes: ChangeSet, plan: SyncPlan | None, base: TraversalIndex, author: str | None,
                   report: SyncReport | None = None) -> None:
    """What the store records of the revision a change set commits, and the revision it was planned on."""
    report = report if report is not None else plan.report
    changes.revision = RevisionFacts(report.mode, author or getpass.getuser(), report.created, report.updated,
                                     report.retracted)
    changes.after_revision = base.revision


def resolve_source(doc: Document, given: str | None) -> str:
    """The document's source: named in the document, by the caller, or both alike."""
    if given is not None and (fault := source_name_fault(given)):
        raise InvalidSourceName(f"the source name {given!r} {fault}" if len(given) < 60 else f"the source name {fault}")
    if doc.source and given and doc.source != given:
        raise DocumentRejected([SyncError(
            f"{doc.origin or 'document'}: source",
            f"the document names source '{doc.source}' but it is being loaded as '{given}'; name one source",
        )])
    source = given or doc.source
    if not source:
        raise DocumentRejected([SyncError(
            f"{doc.origin or 'document'}: source",
            "no source is named: name it in the document (\"source\") or when loading it", NO_SOURCE,
        )])
    return source
