"""The traceability semantics, computed on the traversal index.

Every function answers with entity numbers and distances (``Ranked``); the
caller turns them into ids and fetches properties for all of them in one
batched store read.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from valuegraph.graph import kernels
from valuegraph.graph.index import ABSENT, CANCELLED, COMPLETED, EdgeSet, TraversalIndex
from valuegraph.graph.model import NotFound, RelationKey

DELIVERY_KINDS = ("Project", "Programme")
STRATEGY_KINDS = ("Objective", "Goal")
DEFAULT_WHY_KINDS = ("Goal", "Objective", "KeyResult", "Benefit", "CustomerSegment")
MAX_PATHS = 1000


@dataclass(frozen=True, slots=True)
class Ranked:
    """Entities reached by a traversal, closest first, ties in id order."""

    index: TraversalIndex
    numbers: np.ndarray
    distances: np.ndarray

    def __len__(self) -> int:
        return len(self.numbers)

    def __iter__(self) -> Iterator[tuple[str, int]]:
        """(id, distance) of each entity reached, in order."""
        ids = self.index.ids
        for i, d in zip(self.numbers.tolist(), self.distances.tolist(), strict=True):
            yield ids[i], d

    @property
    def ids(self) -> list[str]:
        ids = self.index.ids
        return [ids[i] for i in self.numbers.tolist()]


@dataclass(frozen=True, slots=True)
class Alignment:
    """Ids of orphan projects and unsupported objectives and goals, and the aligned budget share."""

    orphans: list[str]
    unsupported: list[str]
    aligned_budget_share: float | None


@dataclass(frozen=True, slots=True)
class ImpactSet:
    """What depends on an item, and what it or they reach by value paths."""

    dependents: Ranked
    affected: Ranked


_NO_SEEDS = np.zeros(0, np.int64)


def bfs(edges: EdgeSet, seeds: Iterable[int] | np.ndarray, n: int, *, reverse: bool = False,
        blocked: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(nodes, distances) of everything reached from the seeds by paths of length >= 1.

    Seeds are not marked at distance 0, so a seed reached from another seed gets
    its real distance. Blocked nodes are never entered."""
    seeds = np.asarray(seeds, dtype=np.int64) if not isinstance(seeds, np.ndarray) else seeds.astype(np.int64)
    indptr, indices, alive, o_indptr, o_indices = edges.kernel_arrays(reverse)
    return kernels.bfs(indptr, indices, alive, o_indptr, o_indices, seeds, blocked, n)


def _number(index: TraversalIndex, entity_id: str) -> int:
    i = index.number.get(entity_id)
    if i is None or index.kind[i] == ABSENT:
        raise NotFound(entity_id)
    return i


def _ranked(index: TraversalIndex, nodes: np.ndarray, dist: np.ndarray, kinds: Iterable[str] | None) -> Ranked:
    if kinds is not None:
        keep = index.kind_table(kinds)[index.kind[nodes]]
        nodes, dist = nodes[keep], dist[keep]
    else:
        keep = index.kind[nodes] != ABSENT
        nodes, dist = nodes[keep], dist[keep]
    order = np.lexsort((index.id_rank()[nodes], dist))
    return Ranked(index, nodes[order], dist[order])


def _reach(index: TraversalIndex, start: str, kinds: Iterable[str], include_cancelled: bool, reverse: bool) -> Ranked:
    i = _number(index, start)
    cancelled = index.cancelled()
    if not include_cancelled and cancelled[i]:
        return _ranked(index, _NO_SEEDS, _NO_SEEDS.astype(np.int32), kinds)
    nodes, dist = bfs(index.value, [i], index.size, reverse=reverse, blocked=None if include_cancelled else cancelled)
    return _ranked(index, nodes, dist, kinds)


def what_delivers(index: TraversalIndex, target: str, kinds: Iterable[str] = DELIVERY_KINDS,
                  include_cancelled: bool = False) -> Ranked:
    """Entities of ``kinds`` with a value path to ``target``, closest first."""
    return _reach(index, target, kinds, include_cancelled, reverse=True)


def why_exists(index: TraversalIndex, item: str, kinds: Iterable[str] = DEFAULT_WHY_KINDS,
               include_cancelled: bool = False) -> Ranked:
    """Entities of ``kinds`` that ``item`` reaches by a value path, closest first."""
    return _reach(index, item, kinds, include_cancelled, reverse=False)


def distances_to(index: TraversalIndex, target: str, include_cancelled: bool = False) -> dict[int, int]:
    """Length of the shortest value path from every entity that has one to ``target`` (itself at 0)."""
    t = _number(index, target)
    key = (t, include_cancelled)  # kept by the snapshot: a write publishes another, with memos of its own
    found = index.recall("distances_to", key)
    if found is None:
        cancelled = index.cancelled()
        nodes, dist = bfs(index.value, [t], index.size, reverse=True, blocked=None if include_cancelled else cancelled)
        found = dict(zip(nodes.tolist(), dist.tolist(), strict=True))
        found[t] = 0
        index.remember("distances_to", key, found, capacity=64)
    return found


def paths(index: TraversalIndex, source: str, target: str, limit: int = 10,
          include_cancelled: bool = False) -> list[list[RelationKey]]:
    """Value paths from ``source`` to ``target``, shortest first (ties in id order).

    A best-first search guided by the exact distance to the target (one reverse BFS, kept until the next
    update: whatDelivers asks for paths from many items to one target) pops complete paths in order of
    length. Paths found are kept until the next update too."""
    key = _paths_key(index, _number(index, source), _number(index, target), limit, include_cancelled)
    if key is None:
        return []
    found = index.recall("paths", key)
    if found is None:
        s, t, limit, _ = key
        found = _best_first_paths(index, s, t, limit, distances_to(index, target, include_cancelled))
        index.remember("paths", key, found, capacity=50_000)
    return [list(p) for p in found]


def known_paths(index: TraversalIndex, source: str, target: str, limit: int = 10,
                include_cancelled: bool = False) -> list[list[RelationKey]] | None:
    """What ``paths`` answers, if this snapshot has it without a search (kept from an earlier ask, or empty
    by definition); None when a search is needed or either end is not in the graph."""
    try:
        key = _paths_key(index, _number(index, source), _number(index, target), limit, include_cancelled)
    except NotFound:
        return None
    if key is None:
        return []
    found = index.recall("paths", key)
    return None if found is None else [list(p) for p in found]


def _paths_key(index: TraversalIndex, s: int, t: int, limit: int, include_cancelled: bool) -> tuple | None:
    """The key ``paths`` keeps its answer under; None when the answer is empty without a search."""
    limit = max(0, min(limit, MAX_PATHS))
    cancelled = index.cancelled()
    if limit == 0 or s == t or (not include_cancelled and (cancelled[s] or cancelled[t])):
        return None
    return (s, t, limit, include_cancelled)


def _best_first_paths(index: TraversalIndex, s: int, t: int, limit: int,
                      to_target: dict[int, int]) -> list[tuple[RelationKey, ...]]:
    if s not in to_target:
        return []
    ids, rel_names = index.ids, index.relation_names
    heap: list = [(to_target[s], (ids[s],), s, ())]
    found: list[tuple[RelationKey, ...]] = []
    while heap and len(found) < limit:
        _, order_key, u, steps = heapq.heappop(heap)
        if u == t:
            found.append(tuple(RelationKey(ids[a], rel_names[r], ids[b]) for a, r, b in steps))
            continue
        for v, r in index.value.neighbours(u):
            rest = to_target.get(v)
            if rest is None:
                continue
            heapq.heappush(heap, (len(steps) + 1 + rest, order_key + (rel_names[r], ids[v]), v, steps + ((u, r, v),)))
    return found


def alignment(index: TraversalIndex) -> Alignment:
    n = index.size
    live = index.live()
    cancelled = index.cancelled() & live
    kinds = index.kind[:n]
    strategic = index.kind_table(STRATEGY_KINDS)[kinds]
    projects = kinds == index.kind_code["Project"]
    status = index.status[:n]
    open_projects = projects & (status != CANCELLED) & (status != COMPLETED)

    reach_nodes, _ = bfs(index.value, np.flatnonzero(strategic & ~cancelled), n, reverse=True, blocked=cancelled)
    reaches_strategy = np.zeros(n, bool)
    reaches_strategy[reach_nodes] = True
    aligned = open_projects & reaches_strategy
    orphans = open_projects & ~aligned

    delivery = index.kind_table(DELIVERY_KINDS)[kinds] & ~cancelled
    delivered_nodes, _ = bfs(index.value, np.flatnonzero(delivery), n, blocked=cancelled)
    delivered = np.zeros(n, bool)
    delivered[delivered_nodes] = True
    unsupported = strategic & ~delivered

    budget = np.nan_to_num(index.budget[:n], nan=0.0)
    total = float(budget[open_projects].sum())
    share = float(budget[aligned].sum()) / total if total != 0 else None
    ids = index.ids
    return Alignment(
        orphans=sorted(ids[i] for i in np.flatnonzero(orphans).tolist()),
        unsupported=sorted(ids[i] for i in np.flatnonzero(unsupported).tolist()),
        aligned_budget_share=share,
    )


def impact(index: TraversalIndex, item: str) -> ImpactSet:
    """What depends on ``item`` (through DEPENDS_ON) and what it or they reach by value paths."""
    w = _number(index, item)
    n = index.size
    dep_nodes, dep_dist = bfs(index.depends, [w], n, reverse=True)
    keep = dep_nodes != w  # a dependency cycle back to the item does not make it its own dependent
    dependents = _ranked(index, dep_nodes[keep], dep_dist[keep], None)
    cancelled = index.cancelled()
    seeds = np.concatenate([[w], dependents.numbers]).astype(np.int64)
    seeds = seeds[~cancelled[seeds]]
    nodes, dist = bfs(index.value, seeds, n, blocked=cancelled)
    return ImpactSet(dependents, _ranked(index, nodes, dist, None))
