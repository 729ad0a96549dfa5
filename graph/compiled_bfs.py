"""The traversal engine's breadth-first search compiled with numba (graph/kernels.py loads it when asked,
and says what it computes)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def bfs(indptr, indices, alive, o_indptr, o_indices, seeds, blocked, use_blocked, n):  # pragma: no cover - compiled
    """Multi-source BFS over a base CSR (with alive flags, or none: all alive) plus an overlay CSR.

    Seeds are expanded at distance 0 without being marked, so a seed that is
    reached from another seed is reported at its real distance. Blocked nodes
    are never entered. Returns (nodes, distances) of every node reached at
    distance >= 1, in BFS order."""
    # a blocked node is never entered: it starts as seen
    seen = blocked[:n].astype(np.uint8) if use_blocked else np.zeros(n, np.uint8)
    queue = np.empty(n + seeds.shape[0], np.int64)
    dist = np.empty(n + seeds.shape[0], np.int32)
    n_base = indptr.shape[0] - 1
    n_overlay = o_indptr.shape[0] - 1
    all_alive = alive.shape[0] == 0
    tail = 0
    for s in seeds:
        queue[tail] = s
        dist[tail] = 0
        tail += 1
    first = tail
    head = 0
    while head < tail:
        u = queue[head]
        d = dist[head] + 1
        head += 1
        if u < n_base:
            for p in range(indptr[u], indptr[u + 1]):
                v = indices[p]
                if seen[v] == 0 and (all_alive or alive[p]):
                    seen[v] = 1
                    queue[tail], dist[tail] = v, d
                    tail += 1
        if u < n_overlay:
            for p in range(o_indptr[u], o_indptr[u + 1]):
                v = o_indices[p]
                if seen[v] == 0:
                    seen[v] = 1
                    queue[tail], dist[tail] = v, d
                    tail += 1
    return queue[first:tail].copy(), dist[first:tail].copy()
