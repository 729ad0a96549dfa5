"""The traversal index: compact integer adjacency of value-chain and DEPENDS_ON edges.

Entities are numbered densely; edges live in CSR arrays (int32 neighbour ids,
an int8 relation type per edge and, once an edge was removed, alive flags) in both directions, plus a
small overlay of edges added since the arrays were built. Breadth-first search runs in compiled code
over those arrays, in time proportional to what it reaches.

An index is a snapshot. Once published (``publish``) it never changes, so any number of readers may
hold it, for as long as they like, while writes go on. A write takes the ``successor`` of the published
index, which shares everything with it and copies what it changes before changing it (the kind, status,
budget and health arrays, alive flags, the overlay), applies the committed changes to it (``apply``:
removals clear alive flags, additions go to the overlay, the arrays are compacted from memory once the
overlay grows large) and publishes it. The id table only grows, so snapshots share it: each holds the
ids numbered below its own ``size`` and treats any other number as unknown.
"""

from __future__ import annotations

import logging
import os
import threading
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import orjson

from valuegraph.graph.crosswalk import Crosswalk
from valuegraph.graph.model import NodeState, RelationKey, Snapshot
from valuegraph.schema import vocabulary

_log = logging.getLogger("valuegraph.index")

STATUSES = ("proposed", "active", "on_hold", "completed", "cancelled")
_STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}
HEALTHS = ("green", "amber", "red")
_HEALTH_CODE = {h: i for i, h in enumerate(HEALTHS)}  # -1: no health given
CANCELLED = _STATUS_CODE["cancelled"]
COMPLETED = _STATUS_CODE["completed"]
ABSENT = -1  # kind code of an id that no source asserts any more


_ALL_ALIVE = np.zeros(0, bool)  # shared and never written: an edge set allocates its own flags on a removal


class EdgeSet:
    """A directed multigraph with typed edges over dense node numbers, in both directions.

    An edge set in a published index never changes. ``successor`` gives the next one, sharing every
    array and overlay list; the successor copies what it changes first (alive flags on a removal, the
    overlay's dicts and the lists it appends to), so readers of the published one never see a change."""

    def __init__(self) -> None:
        self._fwd = _Csr.empty()
        self._rev = _Csr.empty()
        self._overlay_fwd: dict[int, list[tuple[int, int]]] = {}
        self._overlay_rev: dict[int, list[tuple[int, int]]] = {}
        self._overlay_size = 0
        self._overlay_csr: dict[bool, tuple[np.ndarray, np.ndarray]] = {}
        self._overlay_lock = threading.Lock()
        #: what this edge set may change in place (it made it): "fwd", "rev" (alive flags), "overlay" (the
        #: dicts), and the overlay lists it made, by (reverse, node)
        self._owned: set = {"fwd", "rev", "overlay"}
        self.compactions = 0

    def successor(self) -> EdgeSet:
        """The next edge set: the same edges, sharing every array with this one until it changes them."""
        nxt = EdgeSet.__new__(EdgeSet)
        nxt._fwd, nxt._rev = self._fwd, self._rev
        nxt._overlay_fwd, nxt._overlay_rev = self._overlay_fwd, self._overlay_rev
        nxt._overlay_size = self._overlay_size
        nxt._overlay_csr = dict(self._overlay_csr)  # the same overlay has the same arrays
        nxt._overlay_lock = threading.Lock()
        nxt._owned = set()
        nxt.compactions = self.compactions
        return nxt

    @classmethod
    def from_arrays(cls, src: np.ndarray, dst: np.ndarray, types: np.ndarray, n_nodes: int) -> EdgeSet:
        edges = cls()
        edges._fwd = _Csr.build(src, dst, types, n_nodes)
        edges._rev = _Csr.build(dst, src, types, n_nodes)
        return edges

    def __len__(self) -> int:
        return self._fwd.live_count() + self._overlay_size

    @property
    def nbytes(self) -> int:
        return self._fwd.nbytes + self._rev.nbytes + self._overlay_size * 2 * 80

    def has(self, u: int, v: int, rel: int) -> bool:
        return self._fwd.find(u, v, rel) is not None or (v, rel) in self._overlay_fwd.get(u, ())

    # ------------------------------------------------------------ changing (an unpublished edge set only)
    def _overlay_list(self, reverse: bool, u: int) -> list[tuple[int, int]]:
        """The overlay list at ``u``, this edge set's own (copied from the shared one on first change)."""
        if "overlay" not in self._owned:
            self._overlay_fwd, self._overlay_rev = dict(self._overlay_fwd), dict(self._overlay_rev)
            self._owned.add("overlay")
        overlay = self._overlay_rev if reverse else self._overlay_fwd
        if (reverse, u) not in self._owned:
            overlay[u] = list(overlay.get(u, ()))
            self._owned.add((reverse, u))
        self._overlay_csr = {}
        return overlay[u]

    def _own_csr(self, reverse: bool) -> _Csr:
        """This edge set's CSR of one direction with alive flags of its own (the arrays stay shared)."""
        name = "rev" if reverse else "fwd"
        csr = self._rev if reverse else self._fwd
        if name not in self._owned:
            alive = csr.alive.copy() if len(csr.alive) else np.ones(len(csr.indices), bool)
            csr = _Csr(csr.indptr, csr.indices, csr.types, alive)
            setattr(self, "_" + name, csr)
            self._owned.add(name)
        elif not len(csr.alive):
            csr.alive = np.ones(len(csr.indices), bool)
        return csr

    def add(self, u: int, v: int, rel: int) -> None:
        if self.has(u, v, rel):
            return
        self._overlay_list(False, u).append((v, rel))
        self._overlay_list(True, v).append((u, rel))
        self._overlay_size += 1

    def add_many(self, edges: list[tuple[int, int, int]], n_nodes: int) -> None:
        """Add edges (present ones are skipped); many at once are merged into the arrays in one pass."""
        if len(edges) < max(4096, len(self._fwd.indices) // 8):
            for u, v, rel in edges:
                self.add(u, v, rel)
            return
        src, dst, types = self.arrays()
        new = np.array(edges, dtype=np.int64).reshape(-1, 3)
        rows = np.concatenate([np.stack([src, dst, types.astype(np.int64)], axis=1), new])
        rows = np.unique(rows, axis=0)
        self._rebuild(rows[:, 0], rows[:, 1], rows[:, 2].astype(np.int8), n_nodes)

    def remove(self, u: int, v: int, rel: int) -> None:
        pos = self._fwd.find(u, v, rel)
        if pos is not None:
            rev_pos = self._rev.find(v, u, rel)
            self._own_csr(False).alive[pos] = False
            self._own_csr(True).alive[rev_pos] = False
            return
        if (v, rel) in self._overlay_fwd.get(u, ()):
            self._overlay_list(False, u).remove((v, rel))
            self._overlay_list(True, v).remove((u, rel))
            self._overlay_size -= 1

    def compact_if_needed(self, n_nodes: int) -> None:
        """Fold the overlay into the arrays once it is a sizeable share of the edges."""
        if self._overlay_size > max(4096, len(self._fwd.indices) // 8) or (
            self._overlay_size and n_nodes > 2 * max(1, self._fwd.n_nodes)
        ):
            self.compact(n_nodes)

    def compact(self, n_nodes: int) -> None:
        self._rebuild(*self.arrays(), n_nodes)

    def _rebuild(self, src: np.ndarray, dst: np.ndarray, types: np.ndarray, n_nodes: int) -> None:
        self._fwd = _Csr.build(src, dst, types, n_nodes)
        self._rev = _Csr.build(dst, src, types, n_nodes)
        self._overlay_fwd, self._overlay_rev, self._overlay_size = {}, {}, 0
        self._overlay_csr = {}
        self._owned = {"fwd", "rev", "overlay"}
        self.compactions += 1

    # ------------------------------------------------------------ reading
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every live edge as (source, target, type) arrays."""
        src, dst, types = self._fwd.edges()
        if self._overlay_size:
            extra = [(u, v, r) for u, lst in self._overlay_fwd.items() for v, r in lst]
            ex = np.array(extra, dtype=np.int64).reshape(-1, 3)
            src = np.concatenate([src, ex[:, 0]])
            dst = np.concatenate([dst, ex[:, 1]])
            types = np.concatenate([types, ex[:, 2].astype(np.int8)])
        return src, dst, types

    def neighbours(self, u: int, reverse: bool = False) -> list[tuple[int, int]]:
        """(neighbour, relation code) of every live edge at ``u``."""
        csr, overlay = (self._rev, self._overlay_rev) if reverse else (self._fwd, self._overlay_fwd)
        out = []
        if u < csr.n_nodes:
            lo, hi = int(csr.indptr[u]), int(csr.indptr[u + 1])
            alive = csr.alive[lo:hi] if len(csr.alive) else slice(None)
            out = list(zip(csr.indices[lo:hi][alive].tolist(), csr.types[lo:hi][alive].tolist(), strict=True))
        return out + list(overlay.get(u, ()))

    def kernel_arrays(self, reverse: bool = False) -> tuple[np.ndarray, ...]:
        """(indptr, indices, alive (empty: all), overlay indptr, overlay indices) for the search (graph/kernels.py).

        The overlay's CSR is made once per edge set (``publish`` makes it before readers come; the lock
        keeps two first readers from both making it)."""
        csr = self._rev if reverse else self._fwd
        cached = self._overlay_csr.get(reverse)
        if cached is None:
            with self._overlay_lock:
                cached = self._overlay_csr.get(reverse)
                if cached is None:
                    cached = _overlay_arrays(self._overlay_rev if reverse else self._overlay_fwd)
                    self._overlay_csr[reverse] = cached
        return csr.indptr, csr.indices, csr.alive, cached[0], cached[1]

    def saved_csrs(self, n_nodes: int) -> tuple[_Csr, _Csr]:
        """Both directions with the overlay folded in, for saving (this edge set stays as it is)."""
        if not self._overlay_size:  # (an edge set no write touched covers the entities it was built with)
            return self._fwd.covering(n_nodes), self._rev.covering(n_nodes)
        src, dst, types = self.arrays()
        return _Csr.build(src, dst, types, n_nodes), _Csr.build(dst, src, types, n_nodes)


def _overlay_arrays(overlay: dict[int, list[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, indices) of an overlay, in time proportional to its size."""
    nodes = sorted(u for u, lst in overlay.items() if lst)
    size = nodes[-1] + 1 if nodes else 0
    counts = np.zeros(size, np.int64)
    counts[nodes] = [len(overlay[u]) for u in nodes]
    indptr = np.zeros(size + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.fromiter((v for u in nodes for v, _ in overlay[u]), np.int32, int(indptr[-1]))
    return indptr, indices


_CSR_FIELDS = ("indptr", "indices", "types", "alive")  # as saved, and in the constructor's order


class _Csr:
    """One direction's adjacency. ``alive`` is empty while every edge is alive: a flag per edge is
    allocated on the first removal only, so an index that was built and not thinned stays smaller."""

    __slots__ = ("alive", "indices", "indptr", "n_nodes", "types")

    def __init__(self, indptr, indices, types, alive) -> None:
        self.indptr, self.indices, self.types, self.alive = indptr, indices, types, alive
        self.n_nodes = len(indptr) - 1

    @classmethod
    def empty(cls) -> _Csr:
        return cls(np.zeros(1, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int8), _ALL_ALIVE)

    @classmethod
    def build(cls, src, dst, types, n_nodes: int) -> _Csr:
        order = np.lexsort((dst, src))
        counts = np.bincount(np.asarray(src, dtype=np.int64), minlength=n_nodes)
        indptr = np.zeros(n_nodes + 1, np.int32)  # offsets fit: an edge set holds fewer than 2**31 edges
        np.cumsum(counts, out=indptr[1:])
        return cls(
            indptr,
            np.asarray(dst, dtype=np.int32)[order],
            np.asarray(types, dtype=np.int8)[order],
            _ALL_ALIVE,
        )

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + self.types.nbytes + self.alive.nbytes

    def covering(self, n_nodes: int) -> _Csr:
        """The same edges over ``n_nodes`` entities (those after its own have none), as saved."""
        if n_nodes <= self.n_nodes:
            return self
        indptr = np.concatenate([self.indptr, np.full(n_nodes - self.n_nodes, self.indptr[-1], self.indptr.dtype)])
        return _Csr(indptr, self.indices, self.types, self.alive)

    def live_count(self) -> int:
        return int(self.alive.sum()) if len(self.alive) else len(self.indices)

    def find(self, u: int, v: int, rel: int) -> int | None:
        if u >= self.n_nodes:
            return None
        lo, hi = int(self.indptr[u]), int(self.indptr[u + 1])
        for pos in range(lo, hi):
            if self.indices[pos] == v and self.types[pos] == rel and (not len(self.alive) or self.alive[pos]):
                return pos
        return None

    def edges(self):
        src = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))
        keep = self.alive if len(self.alive) else slice(None)
        return src[keep], self.indices[keep].astype(np.int64), self.types[keep]


class IdNumbers:
    """An index's view of the shared id table: the number of each id it holds (below its size)."""

    __slots__ = ("_ids", "_size", "_table")

    def __init__(self, table: dict[str, int], ids: list[str], size: int) -> None:
        self._table, self._ids, self._size = table, ids, size

    def get(self, entity_id: str, default: int | None = None) -> int | None:
        i = self._table.get(entity_id)
        return default if i is None or i >= self._size else i

    def __getitem__(self, entity_id: str) -> int:
        i = self.get(entity_id)
        if i is None:
            raise KeyError(entity_id)
        return i

    def __contains__(self, entity_id: str) -> bool:
        return self.get(entity_id) is not None

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return iter(self._ids[: self._size])


_ENTITY_ARRAYS = ("kind", "status", "budget", "health")


def _in_range(csr: _Csr, n: int) -> bool:
    """Whether a loaded adjacency is well formed: the compiled kernels index with it unchecked."""
    indptr, indices = csr.indptr, csr.indices
    return (len(indptr) > 0 and int(indptr[0]) == 0 and bool(np.all(np.diff(indptr) >= 0))
            and (len(indices) == 0 or (int(indices.min()) >= 0 and int(indices.max()) < n)))


class TraversalIndex:
    """Kinds, statuses, budgets and traversable edges of every entity, by dense number."""

    def __init__(self) -> None:
        vocab = vocabulary()
        self.kind_names = list(vocab.kinds)
        self.kind_code = {k: i for i, k in enumerate(self.kind_names)}
        self.relation_names = list(vocab.relations)
        self.relation_code = {r: i for i, r in enumerate(self.relation_names)}
        self.value_chain = {self.relation_code[r] for r in vocab.value_chain_relations}
        self.depends_code = self.relation_code["DEPENDS_ON"]
        #: the id table, shared with the snapshots before and after this one: ``ids[:size]`` are this
        #: index's, and ``_table`` maps ids to numbers (an id numbered ``size`` or more is unknown here)
        self.ids: list[str] = []
        self._table: dict[str, int] = {}
        self._size = 0
        self.kind = np.zeros(0, np.int8)
        self.status = np.zeros(0, np.int8)
        self.budget = np.zeros(0, np.float64)
        self.health = np.zeros(0, np.int8)
        self.value = EdgeSet()
        self.depends = EdgeSet()
        #: (system, id) to the entities carrying it: looked up with the rest of a snapshot's answers
        self.crosswalk = Crosswalk()
        self.updates = 0  # successors taken since the index was built (one per write)
        self.revision = 0  # the store's revision the index shows
        self.published = False
        #: arrays (and the crosswalk) this index made, which it may change until published
        self._owned = {*_ENTITY_ARRAYS, "crosswalk"}
        self._cancelled: np.ndarray | None = None
        self._rank: np.ndarray | None = None
        #: answers worth keeping between requests (distance maps, paths, ranked answers), on shelves by
        #: what they are; they belong to this snapshot, and the next one starts afresh
        self.memo: dict[str, dict] = {}

    # ------------------------------------------------------------ building
    @classmethod
    def build(cls, snapshot: Snapshot) -> TraversalIndex:
        index = cls()
        index.revision = snapshot.revision
        n = len(snapshot.nodes)
        index.ids = [node.id for node in snapshot.nodes]
        index._table = {entity_id: i for i, entity_id in enumerate(index.ids)}
        index._size = n
        index.kind = np.fromiter((index.kind_code[x.kind] for x in snapshot.nodes), np.int8, n)
        index.status = np.fromiter((_STATUS_CODE.get(x.status, 1) for x in snapshot.nodes), np.int8, n)
        index.budget = np.fromiter((np.nan if x.budget is None else x.budget for x in snapshot.nodes), np.float64, n)
        index.health = np.fromiter((_HEALTH_CODE.get(x.health, -1) for x in snapshot.nodes), np.int8, n)
        for node in snapshot.nodes:
            if node.external_ids:
                index.crosswalk.set(node.id, node.external_ids)
        value, depends = [], []
        number, codes = index._table, index.relation_code
        for e in snapshot.edges:
            u, v = number.get(e.from_id), number.get(e.to_id)
            if u is None or v is None:
                continue
            code = codes[e.type]
            (depends if code == index.depends_code else value).append((u, v, code))
        index.value = _edge_set(value, n)
        index.depends = _edge_set(depends, n)
        return index

    def publish(self) -> TraversalIndex:
        """Hand the index to readers: from now on it never changes (its answer memos aside)."""
        for edges in (self.value, self.depends):
            edges.kernel_arrays(False)  # made now, by the writer, not by the first readers
            edges.kernel_arrays(True)
        self.published = True
        return self

    def successor(self) -> TraversalIndex:
        """The next index, to be changed by one write and published: equal to this one, sharing its
        arrays and id table until it changes them. Only a published index has one (an unpublished one may
        still change what the successor would share)."""
        if not self.published:
            raise RuntimeError("only a published traversal index has a successor: publish() it first")
        nxt = TraversalIndex.__new__(TraversalIndex)
        nxt.__dict__.update(self.__dict__)
        if len(self.ids) > self._size:  # a later index holds the shared table's tail: this one branches off
            nxt.ids = self.ids[: self._size]
            nxt._table = dict(zip(nxt.ids, range(self._size), strict=True))
        nxt.value, nxt.depends = self.value.successor(), self.depends.successor()
        nxt.updates = self.updates + 1
        nxt.published = False
        nxt._owned = set()
        nxt.memo = {}
        return nxt

    def branch(self) -> TraversalIndex:
        """A successor with an id table of its own: for an index of another revision than the next, made
        beside the writer's successors (which share the table's tail) without touching theirs."""
        nxt = self.successor()
        if nxt.ids is self.ids:
            nxt.ids = self.ids[: self._size]
            nxt._table = dict(zip(nxt.ids, range(self._size), strict=True))
        return nxt

    def forget_later_ids(self) -> None:
        """Drop ids beyond this index's size from the shared table: what an unpublished successor
        numbered. Only for the newest published index, while no successor of it is being used."""
        ids, table, n = self.ids, self._table, self._size
        for entity_id in ids[n:]:
            if table.get(entity_id, n) >= n:
                table.pop(entity_id, None)
        del ids[n:]

    # ------------------------------------------------------------ keeping between processes
    def save(self, path: Path, identity: str) -> None:
        """Write the index to ``path`` (atomically), marked with the store it was read from (``identity``)
        and its revision. Several processes may save the same file: each writes a file of its own first."""
        n = self.size
        arrays = {"token": np.frombuffer(identity.encode(), np.uint8), "revision": np.array([self.revision], np.int64),
                  "ids": np.frombuffer(orjson.dumps(self.ids[:n]), np.uint8),
                  "kind": self.kind[:n], "status": self.status[:n], "budget": self.budget[:n], "health": self.health[:n],
                  "crosswalk": np.frombuffer(orjson.dumps(self.crosswalk.rows()), np.uint8)}
        for name, edges in (("value", self.value), ("depends", self.depends)):
            for direction, csr in zip(("fwd", "rev"), edges.saved_csrs(n), strict=True):
                for field in _CSR_FIELDS:
                    arrays[f"{name}.{direction}.{field}"] = getattr(csr, field)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
        try:
            with partial.open("wb") as handle:
                np.savez(handle, **arrays)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path, identity: str) -> TraversalIndex | None:
        """The index saved at ``path`` if it was read from the store ``identity`` names (at whatever revision:
        the caller compares ``revision`` with the store's); None if absent, of another store, or unreadable
        (logged: a damaged file is never trusted, the index is built again)."""
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                if data["token"].tobytes().decode() != identity:
                    _log.info("the kept traversal index %s is another store's (or was kept under other precedence "
                              "rules): built from the store", path)
                    return None
                index = cls()
                index.revision = int(data["revision"][0])
                index.ids = orjson.loads(data["ids"].tobytes())
                for name in _ENTITY_ARRAYS:
                    setattr(index, name, data[name])
                # (an index saved before the crosswalk was kept has none: KeyError, and it is built again)
                index.crosswalk = Crosswalk.of_rows(orjson.loads(data["crosswalk"].tobytes()))
                for name in ("value", "depends"):
                    edges = EdgeSet()
                    edges._fwd, edges._rev = (_Csr(*(data[f"{name}.{d}.{f}"] for f in _CSR_FIELDS))
                                              for d in ("fwd", "rev"))
                    setattr(index, name, edges)
        except (OSError, KeyError, ValueError, EOFError, TypeError, UnicodeDecodeError, orjson.JSONDecodeError,
                zipfile.BadZipFile) as exc:
            _log.warning("the kept traversal index %s cannot be read (%s): built again from the store", path, exc)
            return None
        n = len(index.ids)
        csrs = [c for e in (index.value, index.depends) for c in (e._fwd, e._rev)]
        if any(len(getattr(index, a)) != n for a in _ENTITY_ARRAYS) or not all(
            len(c.indptr) == n + 1 and len(c.indices) == len(c.types) == c.indptr[-1]
            and len(c.alive) in (0, len(c.indices)) and _in_range(c, n) for c in csrs
        ) or len(set(index.ids)) != n:
            _log.warning("the kept traversal index %s is not what valuegraph writes: built again from the store", path)
            return None
        index._table = dict(zip(index.ids, range(n), strict=True))
        index._size = n
        return index

    # ------------------------------------------------------------ changing (an unpublished index only)
    def apply(self, nodes: Iterable[NodeState], removed: Iterable[str], edges_added: Iterable[RelationKey],
              edges_removed: Iterable[RelationKey]) -> None:
        """Bring an unpublished index up to date after a committed write, without rebuilding it."""
        if self.published:
            raise RuntimeError("a published traversal index never changes: apply changes to its successor()")
        nodes, edges_added, removed = list(nodes), list(edges_added), list(removed)
        number = self._table
        size = self._size
        new = {n.id for n in nodes if number.get(n.id, size) >= size}
        new.update(i for k in edges_added for i in (k.from_id, k.to_id) if number.get(i, size) >= size)
        self._reserve(self._size + len(new))
        if nodes:  # one vectorised assignment per array (a large load brings hundreds of thousands)
            at = np.fromiter((self._ensure(node.id) for node in nodes), np.int64, len(nodes))
            kind_code = self.kind_code
            self._writable("kind")[at] = np.fromiter((kind_code[x.kind] for x in nodes), np.int8, len(nodes))
            self._writable("status")[at] = np.fromiter((_STATUS_CODE.get(x.status, 1) for x in nodes), np.int8,
                                                       len(nodes))
            self._writable("budget")[at] = np.fromiter((np.nan if x.budget is None else x.budget for x in nodes),
                                                       np.float64, len(nodes))
            self._writable("health")[at] = np.fromiter((_HEALTH_CODE.get(x.health, -1) for x in nodes), np.int8,
                                                       len(nodes))
        for key in edges_removed:
            u, v = self.number.get(key.from_id), self.number.get(key.to_id)
            if u is not None and v is not None:
                self._edges_for(key.type).remove(u, v, self.relation_code[key.type])
        added: dict[bool, list[tuple[int, int, int]]] = {True: [], False: []}  # by "is DEPENDS_ON"
        table, ensure, relation_code, depends_code = self._table, self._ensure, self.relation_code, self.depends_code
        for key in edges_added:
            code = relation_code[key.type]
            # most ends are numbered already (the write's entities come first): looked up without a call
            u, v = table.get(key.from_id, -1), table.get(key.to_id, -1)
            if not 0 <= u < self._size:
                u = ensure(key.from_id)
            if not 0 <= v < self._size:
                v = ensure(key.to_id)
            added[code == depends_code].append((u, v, code))
        self.value.add_many(added[False], self._size)
        self.depends.add_many(added[True], self._size)
        walk = self.crosswalk
        moved = [(node.id, node.external_ids) for node in nodes if walk.differs(node.id, node.external_ids)]
        moved += [(entity_id, ()) for entity_id in removed if walk.differs(entity_id, ())]
        if moved:
            if "crosswalk" not in self._owned:  # the published predecessor's: copied before it changes
                self.crosswalk = walk = walk.copy()
                self._owned.add("crosswalk")
            for entity_id, found in moved:
                walk.set(entity_id, found)
        gone = [i for i in (self.number.get(entity_id) for entity_id in removed) if i is not None]
        if gone:
            self._writable("kind")[gone] = ABSENT
        self.value.compact_if_needed(self._size)
        self.depends.compact_if_needed(self._size)
        if nodes:
            self._cancelled = None
        self.memo = {}

    def _writable(self, name: str) -> np.ndarray:
        """One of the entity arrays, this index's own: copied from the shared one on first change."""
        arr = getattr(self, name)
        if name not in self._owned:
            arr = arr.copy()
            setattr(self, name, arr)
            self._owned.add(name)
        return arr

    def _edges_for(self, relation_type: str) -> EdgeSet:
        return self.depends if relation_type == "DEPENDS_ON" else self.value

    def _ensure(self, entity_id: str) -> int:
        i = self._table.get(entity_id)
        if i is None or i >= self._size:
            i = self._size
            if len(self.ids) > i:  # another index numbered ids after this one's: this one branches off
                self.ids = self.ids[:i]
                self._table = dict(zip(self.ids, range(i), strict=True))
            # the id goes in the list before the table (both atomic steps): a reader that finds it in
            # the table finds its number beyond its own size, and ignores it
            self.ids.append(entity_id)
            self._table[entity_id] = i
            self._size = i + 1
            if i >= len(self.kind):
                self._reserve(max(16, 2 * len(self.kind)))
        return i

    def _reserve(self, size: int) -> None:
        """Room for ``size`` entities: what a write adds at once, and a sixteenth more, so that a large
        load leaves no doubled arrays behind while one-by-one additions still grow geometrically."""
        if size > len(self.kind):
            size += size // 16
            self.kind = _grown(self.kind, size, ABSENT)
            self.status = _grown(self.status, size, 1)
            self.budget = _grown(self.budget, size, np.nan)
            self.health = _grown(self.health, size, -1)
            self._owned.update(_ENTITY_ARRAYS)

    # ------------------------------------------------------------ reading
    @property
    def number(self) -> IdNumbers:
        """The number of each id this index holds (``get``, ``[]``, ``in``)."""
        return IdNumbers(self._table, self.ids, self._size)

    def _number_of(self, entity_id: str) -> int | None:
        i = self._table.get(entity_id)
        return None if i is None or i >= self._size else i

    def __contains__(self, entity_id: str) -> bool:
        i = self._number_of(entity_id)
        return i is not None and self.kind[i] != ABSENT

    def kind_of(self, entity_id: str) -> str | None:
        i = self._number_of(entity_id)
        if i is None or self.kind[i] == ABSENT:
            return None
        return self.kind_names[self.kind[i]]

    def kinds_of(self, entity_ids: list[str]) -> list[str | None]:
        """``kind_of`` for many ids at once (a document's worth: one array lookup, not one per id)."""
        get = self._table.get
        numbers = np.fromiter((get(i, -1) for i in entity_ids), np.int64, len(entity_ids))
        codes = np.full(len(numbers), ABSENT, np.int64)
        known = (numbers >= 0) & (numbers < self._size)
        codes[known] = self.kind[numbers[known]]
        names = np.array([*self.kind_names, None], dtype=object)  # code -1, ABSENT, is the last
        return names[codes].tolist()

    def holds_relation(self, relation_type: str) -> bool:
        """Whether this index holds every relation of the type (the value chain's, and DEPENDS_ON)."""
        code = self.relation_code.get(relation_type)
        return code is not None and (code in self.value_chain or code == self.depends_code)

    def linked(self, entity_id: str, relation_type: str, incoming: bool,
               kinds: frozenset[str] | None = None) -> list[str]:
        """The entities (of ``kinds``, or any) at the other end of ``entity_id``'s relations of a type this
        index holds (``holds_relation``), in id order: those it points to, or with ``incoming`` those pointing
        to it."""
        i = self._number_of(entity_id)
        if i is None:
            return []
        code, kind, names, ids = self.relation_code[relation_type], self.kind, self.kind_names, self.ids
        found = []
        for v, r in self._edges_for(relation_type).neighbours(i, reverse=incoming):
            if r == code and kind[v] != ABSENT and (kinds is None or names[kind[v]] in kinds):
                found.append(ids[v])
        found.sort()
        return found

    def carriers(self, system: str, value: str) -> tuple[str, ...]:
        """The entities whose answered properties carry the external id (system, value), in id order."""
        return self.crosswalk.carriers(system, value)

    def status_of(self, entity_id: str) -> str | None:
        i = self._number_of(entity_id)
        return None if i is None or self.kind[i] == ABSENT else STATUSES[self.status[i]]

    @property
    def size(self) -> int:
        return self._size

    def live(self) -> np.ndarray:
        return self.kind[: self.size] != ABSENT

    def recall(self, shelf: str, key):
        return self.memo.get(shelf, {}).get(key)

    def remember(self, shelf: str, key, value, capacity: int) -> None:
        entries = self.memo.setdefault(shelf, {})
        if len(entries) >= capacity:  # a bound, not an eviction policy: answers are cheap to make again
            entries.clear()
        entries[key] = value

    def cancelled(self) -> np.ndarray:
        """Whether each entity is cancelled (kept while statuses and size stay as they are)."""
        cancelled = self._cancelled  # read once: another reader may set it meanwhile (to an equal array)
        if cancelled is None or len(cancelled) != self.size:
            cancelled = self._cancelled = self.status[: self.size] == CANCELLED
        return cancelled

    def id_rank(self) -> np.ndarray:
        """Each entity's position in id order, for sorting answers (cached until ids are added)."""
        rank = self._rank  # read once, set whole: readers of one snapshot may race to make it
        if rank is None or len(rank) != self.size:
            order = sorted(range(self.size), key=self.ids.__getitem__)
            rank = np.empty(self.size, np.int32)
            rank[order] = np.arange(self.size)
            self._rank = rank
        return rank

    def kind_table(self, kinds: Iterable[str]) -> np.ndarray:
        """A lookup table: ``table[kind code]`` is True for the given kinds (ABSENT maps to False)."""
        table = np.zeros(len(self.kind_names) + 1, bool)  # the extra slot is index -1, ABSENT
        table[[self.kind_code[k] for k in kinds]] = True
        return table

    def counts_by_kind(self) -> dict[str, int]:
        kinds = self.kind[: self.size]
        counts = np.bincount(kinds[kinds != ABSENT].astype(np.int64), minlength=len(self.kind_names))
        return {k: int(c) for k, c in zip(self.kind_names, counts, strict=True)}

    @property
    def nbytes(self) -> int:
        return (self.value.nbytes + self.depends.nbytes + self.kind.nbytes + self.status.nbytes + self.budget.nbytes
                + self.health.nbytes)


def _edge_set(edges: list[tuple[int, int, int]], n: int) -> EdgeSet:
    arr = np.array(edges, dtype=np.int64).reshape(-1, 3)
    return EdgeSet.from_arrays(arr[:, 0], arr[:, 1], arr[:, 2].astype(np.int8), n)


def _grown(arr: np.ndarray, size: int, fill) -> np.ndarray:
    out = np.full(size, fill, dtype=arr.dtype)
    out[: len(arr)] = arr
    return out
