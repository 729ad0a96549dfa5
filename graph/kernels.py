"""Breadth-first search over CSR arrays, the traversal engine's inner loop, in two forms.

A search costs time in proportion to what it reaches, not to the size of the graph: a question about one
key result in a portfolio of 100k projects touches only the few hundred entities above it.

- numpy, a level at a time: answers from the first call, at a few tens of microseconds per level;
- compiled with numba (``graph/compiled_bfs.py``): ten times faster on small searches, but importing numba
  and loading the kernel from numba's cache takes about a second. A one-shot command would spend more on
  that than on its search, and a server would answer its first request a second later; so the compiled form
  is loaded only when asked (``load_compiled``: a server asks in the background once it has started), and
  ``bfs`` uses it from then on. Both give the same nodes at the same distances.
"""

from __future__ import annotations

import importlib
import logging
import threading

import numpy as np

log = logging.getLogger("valuegraph.index")

_NONE = np.zeros(0, np.int64)
_NO_BLOCKS = np.zeros(1, bool)  # the compiled form's "no node is blocked" (it takes an array either way)
_compiled = None  # numba's bfs, once loaded
_loading: threading.Thread | None = None
_loading_lock = threading.Lock()


def bfs(indptr: np.ndarray, indices: np.ndarray, alive: np.ndarray, o_indptr: np.ndarray, o_indices: np.ndarray,
        seeds: np.ndarray, blocked: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source BFS over a base CSR (with alive flags per entry, or an empty array: all alive) plus an
    overlay CSR, over nodes numbered below ``n``.

    Seeds are expanded at distance 0 without being marked, so a seed that is reached from another seed is
    reported at its real distance. Blocked nodes are never entered. Returns (nodes, distances) of every
    node reached at distance >= 1, closest first (in no particular order within a distance)."""
    compiled = _compiled
    if compiled is not None:
        use_blocked = blocked is not None
        return compiled(indptr, indices, alive, o_indptr, o_indices, seeds, blocked if use_blocked else _NO_BLOCKS,
                        use_blocked, n)
    return levels_bfs(indptr, indices, alive, o_indptr, o_indices, seeds, blocked, n)


def levels_bfs(indptr: np.ndarray, indices: np.ndarray, alive: np.ndarray, o_indptr: np.ndarray,
               o_indices: np.ndarray, seeds: np.ndarray, blocked: np.ndarray | None,
               n: int) -> tuple[np.ndarray, np.ndarray]:
    """``bfs`` in numpy: each level's frontier expanded at once."""
    seen = np.zeros(n, bool) if blocked is None else blocked[:n].astype(bool)  # a blocked node starts as seen
    slot = np.empty(n, np.int64)  # a level's node -> one of its places in that level (see _distinct)
    has_overlay = o_indptr.shape[0] > 1
    frontier = seeds
    nodes, distances = [], []
    distance = 0
    while frontier.shape[0]:
        distance += 1
        reached = _heads(indptr, indices, alive, frontier)
        if has_overlay:
            reached = np.concatenate((reached, _heads(o_indptr, o_indices, _NONE, frontier)))
        reached = _distinct(reached[~seen[reached]], slot)
        seen[reached] = True
        nodes.append(reached)
        distances.append(np.full(reached.shape[0], distance, np.int32))
        frontier = reached
    if not nodes:
        return _NONE, np.zeros(0, np.int32)
    return np.concatenate(nodes), np.concatenate(distances)


def _distinct(nodes: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """``nodes`` without repeats, in first-seen order. Each node's ``slot`` gets one of its places (which one,
    numpy leaves open for repeated indices); exactly that place keeps it. np.unique would sort, and it imports
    numpy.ma on first use: 15 ms of a server's first answer."""
    places = np.arange(nodes.shape[0], dtype=np.int64)
    slot[nodes] = places
    return nodes[slot[nodes] == places]


def _heads(indptr: np.ndarray, indices: np.ndarray, alive: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The entries of ``rows`` of a CSR (the live ones, when ``alive`` has flags)."""
    rows = rows[rows < indptr.shape[0] - 1]
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    ends = np.cumsum(counts)
    total = int(ends[-1]) if ends.shape[0] else 0
    if total == 0:
        return _NONE
    # every row's positions: its start, then one up per entry
    positions = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - counts), counts)
    if alive.shape[0]:
        positions = positions[alive[positions]]
    return indices[positions]


def load_compiled(wait: bool = False) -> None:
    """Load the compiled BFS in a background thread (once per process), ``bfs`` using it when loaded; with
    ``wait``, return when it is. Where numba cannot load it, ``bfs`` stays on numpy (a WARNING says why).
    A process that forks loads it after forking: a thread does not survive into the child."""
    global _loading
    with _loading_lock:
        if _loading is None:
            _loading = threading.Thread(target=_load, name="valuegraph-compile-bfs", daemon=True)
            _loading.start()
        loading = _loading
    if wait:
        loading.join()


def compiled_loaded() -> bool:
    return _compiled is not None


def _load() -> None:
    global _compiled
    try:
        # imported here, off the path of every start: numba's import and cache load are the second saved
        compiled = importlib.import_module("valuegraph.graph.compiled_bfs").bfs
        one = np.zeros(2, np.int64)
        compiled(one, _NONE, np.zeros(0, bool), one, _NONE, np.zeros(1, np.int64), _NO_BLOCKS, False, 1)
    except Exception as exc:  # noqa: BLE001 - numpy answers the same: a slower search, not a failure
        log.warning("the compiled breadth-first search could not be loaded (numpy answers instead): %s", exc)
        return
    _compiled = compiled
