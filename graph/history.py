"""The graph's history: revisions, their changes, and the graph as it stood at any revision.

Every revision is kept in the store with the change groups of the entities it changed
(graph/changes.py). The graph at revision N is made from an index snapshot at a revision M near N (one
kept in memory, the published one, or the empty graph at 0) and the entities and relations that the
revisions between M and N changed, each replayed from its own change groups up to N: the work grows
with what changed between M and N, not with the length of the history. Indexes made for past revisions
are kept, up to a memory budget, for the next question at the same or a nearby revision.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from valuegraph.graph import changes as history
from valuegraph.graph.changes import Change, Replayed, Revision
from valuegraph.graph.errors import InvalidRequest
from valuegraph.graph.index import ABSENT, TraversalIndex
from valuegraph.graph.model import EntityRecord, NodeState, RelationKey, RelationRecord, Snapshot
from valuegraph.graph.store import Capability, Direction, Store
from valuegraph.schema import vocabulary


@dataclass(frozen=True, slots=True)
class AsOf:
    """A point in the graph's history: a revision, or a time (exactly one)."""

    revision: int | None = None
    time: dt.datetime | None = None

    def __post_init__(self) -> None:
        if (self.revision is None) == (self.time is None):
            raise InvalidRequest("asOf takes exactly one of revision and time")

    @classmethod
    def parse(cls, text: str) -> AsOf:
        """A revision number or an ISO-8601 time, as the command line takes it."""
        text = text.strip()
        if text.lstrip("-").isdigit():
            return cls(revision=int(text))
        try:
            return cls(time=dt.datetime.fromisoformat(text))
        except ValueError:
            raise InvalidRequest(f"'{text}' is neither a revision number nor an ISO-8601 time "
                                 "(as in 12 or 2026-03-01T09:00:00Z)") from None


@dataclass(frozen=True, slots=True)
class Touched:
    """What the revisions between two points changed: entities, and relations by key."""

    entities: frozenset[str]
    relations: frozenset[RelationKey]


@dataclass(frozen=True, slots=True)
class RevisionPage:
    """Revisions, newest first, each with its cursor."""

    revisions: list[tuple[str, Revision]]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class ChangePage:
    """Changes in revision order, each with its cursor; ``complete_through``: the latest revision every
    change of which is on this page or an earlier one (where a reader asking by revision goes on from)."""

    changes: list[tuple[str, Change]]
    has_next_page: bool
    complete_through: int


def _utc(time: dt.datetime) -> dt.datetime:
    return time.replace(tzinfo=dt.UTC) if time.tzinfo is None else time.astimezone(dt.UTC)


class History:
    """Revisions, changes and past indexes of one store."""

    #: revisions, or changed facts, between two points beyond which an index catching up with the store is
    #: rebuilt from it instead (changed facts: or a quarter of the graph, whichever is more)
    catch_up_revisions = 10_000
    catch_up_facts = 20_000

    def __init__(self, store: Store, cache_bytes: int = 256 * 2**20) -> None:
        self.store = store
        self.cache_bytes = cache_bytes
        self._revisions: dict[int, Revision] = {}  # never change once committed
        self._entities: OrderedDict[int, list[str]] = OrderedDict()  # revision -> its entities (a few kept)
        self._touched: OrderedDict[tuple[int, int], Touched] = OrderedDict()
        #: past revisions' graphs (each its index and the records replayed for it), least recently used first
        self._pasts: OrderedDict[int, PastGraph] = OrderedDict()
        self._lock = threading.Lock()
        self._start: int | None = None  # the history's start, once read
        self._shared = Capability.SHARED in store.capabilities
        vocab = vocabulary()
        self._traversed = {r.name for r in vocab.relations.values() if r.value_chain or r.name == "DEPENDS_ON"}

    def forget(self) -> None:
        """Drop everything kept (the store was cleared)."""
        with self._lock:
            self._revisions.clear()
            self._entities.clear()
            self._touched.clear()
            self._pasts.clear()
            self._start = None

    # ------------------------------------------------------------ retention
    def start(self) -> int:
        """The revision up to which the history was compacted (0: it is whole). Kept once read, unless
        other processes write to the store (and may compact it)."""
        start = self._start
        if start is None or self._shared:
            start = self._start = self.store.history_start()
        return start

    def adopt(self, index: TraversalIndex) -> int:
        """Give a store that was written before it kept history (its latest revision has no record) a
        history that starts at its latest revision, the revision of ``index``: a snapshot group per
        entity holding what the store holds now. Returns the number of entities adopted (0: the store
        has its history)."""
        latest = index.revision
        if latest == 0 or self.start() >= latest or self.store.revisions([latest]):
            return 0
        ids = [index.ids[i] for i in range(index.size) if index.kind[i] != ABSENT]
        snapshots: list[tuple[str, dict]] = []
        for at in range(0, len(ids), 10_000):
            chunk = ids[at:at + 10_000]
            records = self.store.entity_records(chunk)
            relations: dict[str, dict[RelationKey, dict]] = {}
            for rec in self.store.relation_records(touching=chunk, direction=Direction.OUT):
                relations.setdefault(rec.key.from_id, {})[rec.key] = rec.assertions
            for entity_id in chunk:
                record = records.get(entity_id)
                replayed = Replayed(record, relations.get(entity_id, {}), record.kind if record else None)
                group = history.snapshot_group(replayed) if record is not None else None
                if group is not None:
                    snapshots.append((entity_id, group))
        self.store.compact_history(latest, [], snapshots)
        self.forget()
        return len(snapshots)

    def compact(self, up_to: int) -> int:
        """Compact the history up to revision ``up_to`` into a snapshot at it: every entity the revisions
        since the last compaction changed keeps, instead of its change groups up to ``up_to``, one group
        that replays to what it was then. Returns the number of entities compacted (0: nothing to do)."""
        start = self.start()
        if up_to <= start:
            return 0
        entities = sorted({e for n in range(start + 1, up_to + 1) for e in self.revision_entities(n)})
        states = self.states_at(entities, up_to)
        snapshots = [(e, group) for e in entities
                     if e in states and (group := history.snapshot_group(states[e])) is not None]
        self.store.compact_history(up_to, entities, snapshots)
        self._start = up_to
        with self._lock:  # what was read of the compacted revisions is gone from the store
            self._entities.clear()
            self._touched.clear()
            for number in [n for n in self._pasts if n < up_to]:
                del self._pasts[number]
        return len(entities)

    # ------------------------------------------------------------ revisions
    def revisions(self, numbers: Iterable[int]) -> dict[int, Revision]:
        numbers = list(numbers)
        missing = [n for n in numbers if n not in self._revisions]
        if missing:
            self._revisions.update(self.store.revisions(missing))
        return {n: self._revisions[n] for n in numbers if n in self._revisions}

    def revision(self, number: int) -> Revision | None:
        return self.revisions([number]).get(number)

    def resolve(self, point: AsOf, latest: int) -> int:
        """The revision a point names: an error for a revision after the latest; a time after the latest
        revision's is the latest."""
        if point.revision is not None:
            if point.revision < 0:
                raise InvalidRequest(f"asOf revision {point.revision}: revisions are numbered from 1 (0: the empty graph)")
            if point.revision > latest:
                raise InvalidRequest(f"asOf revision {point.revision} is after the latest revision, {latest}")
            target = point.revision
        else:
            target = self.revision_at(point.time, latest)
        start = self.start() if target < latest else 0
        if target < start:
            raise InvalidRequest(
                f"the history before revision {start} was compacted (it is kept for VALUEGRAPH_HISTORY_KEEP): "
                f"ask as of revision {start} or later" + (f"; {point.time.isoformat()} is revision {target}"
                                                          if point.time is not None else ""))
        return target

    def revision_at(self, time: dt.datetime, latest: int) -> int:
        """The latest revision committed at or before ``time`` (0 when none): revisions' times grow with
        their numbers, so a bisection finds it."""
        time = _utc(time)
        lo, hi = 0, latest  # revision lo is at or before time (0 always is); hi is the largest candidate
        while lo < hi:
            mid = (lo + hi + 1) // 2
            found = self.revision(mid)
            if found is not None and found.committed_at <= time:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def revision_entities(self, number: int) -> list[str]:
        with self._lock:
            found = self._entities.get(number)
            if found is not None:
                self._entities.move_to_end(number)
                return found
        found = self.store.revision_entities(number)
        with self._lock:
            self._entities[number] = found
            while len(self._entities) > 64:
                self._entities.popitem(last=False)
        return found

    # ------------------------------------------------------------ what changed
    def touched(self, a: int, b: int) -> Touched:
        """The entities and relations that revisions a+1 … b changed (a ≤ b)."""
        key = (a, b)
        with self._lock:
            found = self._touched.get(key)
        if found is not None:
            return found
        entities: set[str] = set()
        relations: set[RelationKey] = set()
        for number in range(a + 1, b + 1):
            ids = self.revision_entities(number)
            for start in range(0, len(ids), 10_000):
                groups = self.store.change_groups([(number, e) for e in ids[start:start + 10_000]])
                for (_, entity_id), group in groups.items():
                    if "e" in group or "p" in group:
                        entities.add(entity_id)
                    for rel_type, to, *_ in group.get("r", ()):
                        relations.add(RelationKey(entity_id, rel_type, to))
        found = Touched(frozenset(entities), frozenset(relations))
        with self._lock:
            self._touched[key] = found
            while len(self._touched) > 32:
                self._touched.popitem(last=False)
        return found

    def states_at(self, ids: Iterable[str], number: int) -> dict[str, Replayed]:
        """Each entity and the relations that start at it as they stood right after revision ``number``,
        replayed from their change groups (an entity with no change up to then is left out)."""
        found = self.store.entity_changes(ids, up_to=number)
        sources = self.revisions({n for groups in found.values() for n, _ in groups})
        # a snapshot group names its sources itself: the revision it stands at may have no record (the
        # start of an adopted history)
        return {entity_id: history.replay(entity_id, ((n, sources[n].source if n in sources else "", g)
                                                      for n, g in groups), self.store.precedence)
                for entity_id, groups in found.items()}

    def changes_of(self, entity_id: str, first: int, up_to: int) -> list[Change]:
        """One entity's changes, oldest first (``first`` of them at most)."""
        groups = self.store.entity_changes([entity_id], up_to=up_to).get(entity_id, [])
        revisions = self.revisions(n for n, _ in groups)
        out: list[Change] = []
        for n, group in groups:
            if n not in revisions:  # the snapshot an adopted history starts from: no change of its own
                continue
            out += history.expand(revisions[n], entity_id, group)
            if len(out) >= first:
                return out[:first]
        return out

    # ------------------------------------------------------------ pages
    def revisions_page(self, latest: int, first: int, after: str | None, source: str | None) -> RevisionPage:
        """Revisions, newest first; ``after`` a cursor from an earlier page."""
        _limit(first, "first")
        number = latest if after is None else _cursor(after, "r")[0] - 1
        out: list[tuple[str, Revision]] = []
        while number >= 1 and len(out) <= first:
            chunk = list(range(number, max(0, number - 4 * (first + 1)), -1))
            found = self.revisions(chunk)
            for n in chunk:
                rev = found.get(n)
                if rev is not None and (source is None or rev.source == source):
                    out.append((_make_cursor("r", n), rev))
                    if len(out) > first:
                        break
            number = chunk[-1] - 1
        return RevisionPage(out[:first], len(out) > first)

    def changes_page(self, latest: int, since: int, first: int, after: str | None, source: str | None,
                     entity: str | None) -> ChangePage:
        """Changes after revision ``since`` (or after the cursor ``after``), in revision order, then in a
        stable order within a revision: by entity id, each entity's changes as ``changes.expand`` orders them."""
        _limit(first, "first")
        if since < 0:
            raise InvalidRequest("sinceRevision cannot be negative")
        start = self.start()
        if 0 < since < start:
            raise InvalidRequest(f"the changes up to revision {start} were compacted (history is kept for "
                                 f"VALUEGRAPH_HISTORY_KEEP): read from sinceRevision {start}")
        since = max(since, start)
        if entity is not None:
            return self._entity_changes_page(latest, since, first, after, source, entity)
        number, position, offset = (since + 1, 0, 0) if after is None else _cursor(after, "c")
        out: list[tuple[str, Change]] = []
        complete = number - 1
        while number <= latest and len(out) <= first:
            rev = self.revision(number)
            if rev is None or (source is not None and rev.source != source):
                complete, number, position, offset = number, number + 1, 0, 0
                continue
            ids = self.revision_entities(number)
            batch = ids[position:position + first + 1 - len(out)]
            groups = self.store.change_groups([(number, e) for e in batch])
            for entity_id in batch:
                made = history.expand(rev, entity_id, groups.get((number, entity_id), {"k": ""}))
                for j in range(offset, len(made)):
                    out.append((_make_cursor("c", number, position, j + 1), made[j]))
                offset = 0
                position += 1
                if len(out) > first:
                    break
            if position >= len(ids):
                complete, number, position = number, number + 1, 0
        page = out[:first]
        if len(out) > first:  # the page ends inside a revision: complete up to the one before
            complete = (_cursor(page[-1][0], "c")[0] if page else number) - 1
        return ChangePage(page, len(out) > first, max(complete, since))

    def _entity_changes_page(self, latest: int, since: int, first: int, after: str | None, source: str | None,
                             entity: str) -> ChangePage:
        start = (since + 1, 0) if after is None else _cursor(after, "e")
        groups = self.store.entity_changes([entity], up_to=latest).get(entity, [])
        revisions = self.revisions(n for n, _ in groups)
        out: list[tuple[str, Change]] = []
        for n, group in groups:
            if n < start[0] or n not in revisions or (source is not None and revisions[n].source != source):
                continue
            made = history.expand(revisions[n], entity, group)
            for j in range(start[1] if n == start[0] else 0, len(made)):
                out.append((_make_cursor("e", n, j + 1), made[j]))
            if len(out) > first:
                break
        page = out[:first]
        complete = latest
        if len(out) > first:
            complete = _cursor(page[-1][0], "e")[0] - 1 if page else since
        return ChangePage(page, len(out) > first, max(complete, since))

    # ------------------------------------------------------------ the graph at a revision
    def past(self, target: int, current: TraversalIndex, present) -> PastGraph:
        """The graph at revision ``target`` (``current``: the index the asker holds; ``present``: the
        ValueGraph), its index made from the nearest index kept (``current`` included)."""
        with self._lock:
            kept = self._pasts.get(target)
            if kept is not None:
                self._pasts.move_to_end(target)
                return kept
            candidates = [current, *(past.index for past in self._pasts.values())]
        start = self.start()
        if start == 0:  # the empty graph is a base only while the history is whole
            candidates.append(_empty_index())
        candidates = [index for index in candidates if index.revision >= start] or candidates
        base = min(candidates, key=lambda index: self._changes_between(index.revision, target))
        index = base if base.revision == target else self.moved(base, target, branch=True)
        made = PastGraph(self, index, present)
        with self._lock:
            made = self._pasts.setdefault(target, made)
            total = sum(past.index.nbytes for past in self._pasts.values())
            while total > self.cache_bytes and len(self._pasts) > 1:
                _, dropped = self._pasts.popitem(last=False)
                total -= dropped.index.nbytes
        return made

    def _changes_between(self, a: int, b: int) -> int:
        """About how much moving an index from revision a to b replays: the facts the revisions between
        changed, as their records count them (a few large loads outweigh many small syncs)."""
        lo, hi = sorted((a, b))
        return sum(r.created + r.updated + r.retracted + 1 for r in self.revisions(range(lo + 1, hi + 1)).values())

    def cheaper_to_rebuild(self, index: TraversalIndex, latest: int) -> bool:
        """Whether an index is brought to revision ``latest`` faster by a build from the store than by
        replaying what the revisions since changed (a large load by another process)."""
        if latest - index.revision > self.catch_up_revisions:
            return True
        found = self.revisions(range(index.revision + 1, latest + 1))
        changed = sum(r.created + r.updated + r.retracted for r in found.values())
        return changed > max(self.catch_up_facts, index.size // 4)

    def moved(self, base: TraversalIndex, target: int, *, branch: bool) -> TraversalIndex:
        """``base`` brought to revision ``target`` (before or after it) and published: a branch of it
        (an id table of its own) for a past revision, its successor for the next current one."""
        a, b = sorted((base.revision, target))
        touched = self.touched(a, b)
        froms = {key.from_id for key in touched.relations if key.type in self._traversed}
        states = self.states_at(touched.entities | froms, target)
        nodes, removed = [], []
        for entity_id in touched.entities:
            state = states.get(entity_id)
            if state is not None and state.record is not None:
                record = state.record
                nodes.append(NodeState.of(entity_id, record.kind, record.properties))
            else:
                removed.append(entity_id)
        added, dropped = [], []
        for key in touched.relations:
            if key.type in self._traversed:
                state = states.get(key.from_id)
                (added if state is not None and key in state.relations else dropped).append(key)
        work = base.branch() if branch else base.successor()
        work.apply(nodes=nodes, removed=removed, edges_added=added, edges_removed=dropped)
        work.revision = target
        return work.publish()


def parse_keep(text: str) -> dt.timedelta:
    """How long history is kept, as ``VALUEGRAPH_HISTORY_KEEP`` gives it: a number of days, weeks or hours
    (``400d``, ``52w``, ``36h``)."""
    text = text.strip().lower()
    units = {"d": "days", "w": "weeks", "h": "hours"}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit() or int(text[:-1]) < 1:
        raise ValueError(f"'{text}' is not a retention: give a number of days, weeks or hours, as in 400d, 52w or 36h")
    return dt.timedelta(**{units[text[-1]]: int(text[:-1])})


def _empty_index() -> TraversalIndex:
    return TraversalIndex.build(Snapshot([], [], 0)).publish()


class PastGraph:
    """The graph as it stood right after one revision: what the questions read, as ``ValueGraph`` gives
    it for the present (an index snapshot, entity records, relation records, a name search)."""

    def __init__(self, history_: History, index: TraversalIndex, present) -> None:
        self.history = history_
        self.revision = index.revision
        self._index = index
        self._present = present  # the ValueGraph: its store's relations and search, filtered by history
        self._states: dict[str, Replayed | None] = {}
        self._lock = threading.Lock()

    @property
    def index(self) -> TraversalIndex:
        return self._index

    def _changed_since(self) -> Touched:
        """What the revisions since this one changed, up to the latest. Asked after reading the store's
        facts now: it waits for a write under way to be published, so that one the facts read may show
        in part is counted."""
        return self.history.touched(self.revision, max(self._present.settled().revision, self.revision))

    @property
    def store(self) -> Store:
        return self.history.store

    def _replayed(self, ids: Iterable[str]) -> dict[str, Replayed | None]:
        ids = list(dict.fromkeys(ids))
        missing = [i for i in ids if i not in self._states]
        if missing:
            found = self.history.states_at(missing, self.revision)
            with self._lock:
                if len(self._states) + len(missing) > 100_000:
                    self._states.clear()
                for entity_id in missing:
                    self._states[entity_id] = found.get(entity_id)
        return {i: self._states.get(i) for i in ids}

    def entities(self, ids: Iterable[str]) -> dict[str, EntityRecord]:
        return {i: s.record for i, s in self._replayed(ids).items() if s is not None and s.record is not None}

    def entity(self, entity_id: str) -> EntityRecord | None:
        return self.entities([entity_id]).get(entity_id)

    def relation_records(self, keys: Iterable[RelationKey] = (), *, touching: Iterable[str] = (),
                         direction: Direction = Direction.BOTH) -> list[RelationRecord]:
        keys, touching = list(keys), list(touching)
        candidates = set(keys)
        if touching:
            # relations there now, and those that the revisions since changed: every relation there at
            # this revision is one or the other
            now = self._present.store.relation_records(touching=touching, direction=direction)
            candidates.update(r.key for r in now)
            ends = set(touching)
            since = self._changed_since()
            for key in since.relations:
                if ((direction is not Direction.IN and key.from_id in ends)
                        or (direction is not Direction.OUT and key.to_id in ends)):
                    candidates.add(key)
            if direction is not Direction.IN:
                for state in self._replayed(touching).values():
                    if state is not None:
                        candidates.update(state.relations)
        states = self._replayed({k.from_id for k in candidates})
        out = []
        for key in sorted(candidates):
            state = states.get(key.from_id)
            if state is not None and key in state.relations:
                out.append(RelationRecord(key, state.relations[key]))
        return out

    def search(self, text: str) -> set[str]:
        """Ids of entities whose name, at this revision, contains ``text`` (case-insensitive)."""
        needle = text.lower()
        now = self._present.store.search(text)
        since = self._changed_since().entities
        kept = {i for i in now if i not in since}
        changed = {i for i, record in self.entities(since).items() if needle in record.name.lower()}
        return kept | changed


# ------------------------------------------------------------ cursors
def _make_cursor(kind: str, *numbers: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{':'.join(map(str, numbers))}".encode()).decode()


_CURSOR_SIZE = {"r": 1, "c": 3, "e": 2}


def _cursor(text: str, kind: str) -> tuple[int, ...]:
    try:
        made, _, rest = base64.urlsafe_b64decode(text.encode()).decode().partition(":")
        numbers = tuple(int(x) for x in rest.split(":"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest(f"'{text}' is not a cursor this query gave") from None
    if made != kind or len(numbers) != _CURSOR_SIZE[kind] or any(n < 0 for n in numbers):
        raise InvalidRequest(f"'{text}' is not a cursor this query gave")
    return numbers


def _limit(first: int, name: str, most: int = 1000) -> None:
    if not 0 <= first <= most:
        raise InvalidRequest(f"{name} must be between 0 and {most}")
