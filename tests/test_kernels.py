"""The breadth-first search in its two forms: numpy's (from the first call) and the compiled one (loaded
when asked) reach the same nodes at the same distances; a process that never asks never imports numba."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from valuegraph.graph import kernels


def _csr(rows: int, edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    edges = sorted(e for e in edges if e[0] < rows)
    indptr = np.zeros(rows + 1, np.int64)
    for source, _ in edges:
        indptr[source + 1] += 1
    return np.cumsum(indptr), np.array([b for _, b in edges], np.int64)


@st.composite
def searches(draw):
    n = draw(st.integers(1, 30))
    node = st.integers(0, n - 1)
    base_rows = draw(st.integers(0, n))
    base = _csr(base_rows, draw(st.lists(st.tuples(node, node), max_size=80)))
    alive = (np.array(draw(st.lists(st.booleans(), min_size=len(base[1]), max_size=len(base[1]))), bool)
             if draw(st.booleans()) else np.zeros(0, bool))
    overlay = _csr(draw(st.integers(0, n)), draw(st.lists(st.tuples(node, node), max_size=10)))
    seeds = np.array(draw(st.lists(node, max_size=4)), np.int64)
    blocked = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool) if draw(st.booleans()) else None
    return (*base, alive, *overlay, seeds, blocked, n)


def _reference(indptr, indices, alive, o_indptr, o_indices, seeds, blocked, n) -> dict[int, int]:
    """Distances by a plain queue, as the semantics say: seeds unmarked at 0, blocked never entered."""
    seen = set() if blocked is None else {i for i in range(n) if blocked[i]}
    found: dict[int, int] = {}
    queue = [(int(s), 0) for s in seeds]
    for u, d in queue:
        heads = []
        if u < len(indptr) - 1:
            heads += [int(indices[p]) for p in range(indptr[u], indptr[u + 1]) if not len(alive) or alive[p]]
        if u < len(o_indptr) - 1:
            heads += [int(o_indices[p]) for p in range(o_indptr[u], o_indptr[u + 1])]
        for v in heads:
            if v not in seen:
                seen.add(v)
                found[v] = d + 1
                queue.append((v, d + 1))
    return found


def _as_distances(nodes: np.ndarray, distances: np.ndarray) -> dict[int, int]:
    found = dict(zip(nodes.tolist(), distances.tolist(), strict=True))
    assert len(found) == len(nodes), "a node reported twice"
    assert distances.tolist() == sorted(distances.tolist()), "not closest first"
    return found


@settings(max_examples=300, deadline=None)
@given(searches())
def test_numpy_search_reaches_what_a_plain_queue_reaches(search):
    assert _as_distances(*kernels.levels_bfs(*search)) == _reference(*search)


@settings(max_examples=150, deadline=None)
@given(searches())
def test_the_compiled_search_answers_as_numpy_does(search):
    kernels.load_compiled(wait=True)
    assert kernels.compiled_loaded()
    assert _as_distances(*kernels.bfs(*search)) == _as_distances(*kernels.levels_bfs(*search))


def test_questions_are_answered_without_importing_numba_until_the_compiled_search_is_asked_for():
    code = """
import sys
from valuegraph.graph import ValueGraph, kernels, open_store
from valuegraph.graph.model import Document, Entity, Relation, RelationKey
from valuegraph.graph.questions import Questions
graph = ValueGraph(open_store("memory:"))
graph.sync(Document(source="s", entities=[Entity("G", "Goal", {"name": "G"}), Entity("P", "Project", {"name": "P"})],
                    relations=[Relation(RelationKey("P", "CONTRIBUTES_TO", "G"))]))
first = [h.entity.id for h in Questions(graph).what_delivers("G").hits]
print("numba" in sys.modules, first)
kernels.load_compiled(wait=True)
print(kernels.compiled_loaded(), [h.entity.id for h in Questions(graph).what_delivers("G").hits])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["False ['P']", "True ['P']"]


def test_the_numpy_search_does_not_import_numpy_ma():
    # numpy.ma (which np.unique imports on first use) took 15 ms of a server's first answer
    code = """
import sys
import numpy as np
from valuegraph.graph import kernels
one = np.zeros(2, np.int64)
# 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3: node 3 is reached twice in one level
indptr, indices = np.array([0, 2, 3, 4, 4]), np.array([1, 2, 3, 3])
nodes, distances = kernels.levels_bfs(indptr, indices, np.zeros(0, bool), one, np.zeros(0, np.int64),
                                      np.array([0]), None, 4)
print("numpy.ma" in sys.modules, sorted(zip(nodes.tolist(), distances.tolist())))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[0] == "False [(1, 1), (2, 1), (3, 2)]"
