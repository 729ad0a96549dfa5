"""The traceability semantics, computed on the traversal index.

Every function answers with entity ids (and distances); the caller fetches
properties for all of them in one batched store read.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from graph.index import ABSENT, CANCELLED, COMPLETED, EdgeSet, TraversalIndex
from graph.model import NotFound, RelationKey

DELIVERY_KINDS = ("Project", "Programme")
STRATEGY_KINDS = ("Objective", "Goal")
DEFAULT_WHY_KINDS = ("Goal", "Objective", "KeyResult", "Benefit", "CustomerSegment")
MAX_PATHS = 1000


@dataclass(frozen=True, slots=True)
class Reached:
    id: str
    distance: int


@dataclass(frozen=True, slots=True)
class Alignment:
    orphans: list[str]
    unsupported: list[str]
    aligned_budget_share: float | None


@dataclass(frozen=True, slots=True)
class ImpactSet:
    dependents: list[Reached]
    affected: list[Reached]


def bfs(edges: EdgeSet, seeds: Iterable[int] | np.ndarray, n: int, *, reverse: bool = False,
        blocked: np.ndarray | None = None) -> np.ndarray:
    """Shortest path lengths (>= 1) from any seed; -1 where unreached.

    Seeds are not marked at distance 0, so a seed reached from another seed gets
    its real distance. Blocked nodes are never entered."""
    dist = np.full(n, -1, np.int32)
    frontier = np.unique(np.asarray(seeds, dtype=np.int64))
    level = 0
    while frontier.size:
        level += 1
        _, nbr, _ = edges.expand(frontier, reverse)
        if nbr.size == 0:
            break
        nbr = np.unique(nbr)
        nbr = nbr[dist[nbr] < 0]
        if blocked is not None:
            nbr = nbr[~blocked[nbr]]
        dist[nbr] = level
        frontier = nbr
    return dist


def _number(index: TraversalIndex, entity_id: str) -> int:
    i = index.number.get(entity_id)
    if i is None or index.kind[i] == ABSENT:
        raise NotFound(entity_id)
    return i


def _ranked(index: TraversalIndex, dist: np.ndarray, mask: np.ndarray) -> list[Reached]:
    hits = np.flatnonzero((dist >= 1) & mask)
    ids = index.ids
    return sorted((Reached(ids[i], int(dist[i])) for i in hits.tolist()), key=lambda r: (r.distance, r.id))


def what_delivers(index: TraversalIndex, target: str, kinds: Iterable[str] = DELIVERY_KINDS,
                  include_cancelled: bool = False) -> list[Reached]:
    """Entities of ``kinds`` with a value path to ``target``, closest first."""
    t = _number(index, target)
    cancelled = index.cancelled()
    if not include_cancelled and cancelled[t]:
        return []
    dist = bfs(index.value, [t], index.size, reverse=True, blocked=None if include_cancelled else cancelled)
    return _ranked(index, dist, index.kind_mask(kinds))


def why_exists(index: TraversalIndex, item: str, kinds: Iterable[str] = DEFAULT_WHY_KINDS,
               include_cancelled: bool = False) -> list[Reached]:
    """Entities of ``kinds`` that ``item`` reaches by a value path, closest first."""
    i = _number(index, item)
    cancelled = index.cancelled()
    if not include_cancelled and cancelled[i]:
        return []
    dist = bfs(index.value, [i], index.size, blocked=None if include_cancelled else cancelled)
    return _ranked(index, dist, index.kind_mask(kinds))


def paths(index: TraversalIndex, source: str, target: str, limit: int = 10,
          include_cancelled: bool = False) -> list[list[RelationKey]]:
    """Value paths from ``source`` to ``target``, shortest first (ties in id order).

    A best-first search guided by the exact distance to the target (computed by
    one reverse BFS) pops complete paths in order of length."""
    s, t = _number(index, source), _number(index, target)
    limit = max(0, min(limit, MAX_PATHS))
    cancelled = index.cancelled()
    if limit == 0 or s == t or (not include_cancelled and (cancelled[s] or cancelled[t])):
        return []
    to_target = bfs(index.value, [t], index.size, reverse=True, blocked=None if include_cancelled else cancelled)
    to_target[t] = 0
    if to_target[s] < 0:
        return []
    ids, rel_names = index.ids, index.relation_names
    heap: list = [(int(to_target[s]), (ids[s],), s, ())]
    found: list[list[RelationKey]] = []
    while heap and len(found) < limit:
        _, order_key, u, steps = heapq.heappop(heap)
        if u == t:
            found.append([RelationKey(ids[a], rel_names[r], ids[b]) for a, r, b in steps])
            continue
        _, nbr, typ = index.value.expand(np.array([u], dtype=np.int64))
        for v, r in zip(nbr.tolist(), typ.tolist(), strict=True):
            if to_target[v] < 0:
                continue
            length = len(steps) + 1
            heapq.heappush(heap, (length + int(to_target[v]), order_key + (rel_names[r], ids[v]), v, steps + ((u, r, v),)))
    return found


def alignment(index: TraversalIndex) -> Alignment:
    n = index.size
    live = index.live()
    cancelled = index.cancelled() & live
    kinds = index.kind[:n]
    strategic = index.kind_mask(STRATEGY_KINDS)
    projects = kinds == index.kind_code["Project"]
    status = index.status[:n]
    open_projects = projects & (status != CANCELLED) & (status != COMPLETED)

    to_strategy = bfs(index.value, np.flatnonzero(strategic & ~cancelled), n, reverse=True, blocked=cancelled)
    aligned = open_projects & (to_strategy >= 1)
    orphans = open_projects & ~aligned

    delivery = index.kind_mask(DELIVERY_KINDS) & ~cancelled
    delivered = bfs(index.value, np.flatnonzero(delivery), n, blocked=cancelled) >= 1
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
    live = index.live()
    dep_dist = bfs(index.depends, [w], n, reverse=True)
    dep_dist[w] = -1  # a dependency cycle back to the item does not make it its own dependent
    dependents = _ranked(index, dep_dist, live)
    cancelled = index.cancelled() & live
    seeds = [w] + [index.number[d.id] for d in dependents]
    seeds = [s for s in seeds if not cancelled[s]]
    affected_dist = bfs(index.value, seeds, n, blocked=cancelled)
    return ImpactSet(dependents, _ranked(index, affected_dist, live))
