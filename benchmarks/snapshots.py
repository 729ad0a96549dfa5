"""What a small write costs against building the traversal index from the store.

A write publishes the next index snapshot, which shares with the one before it everything the write
does not change; so a small sync should cost a small fraction of a full build, at any scale.

- ``small_sync_vs_index_build``: median time to sync a 10-fact change (5 new projects and their 5
  contributions, one transaction) and publish the next snapshot / ``TraversalIndex.build`` from the
  store's snapshot (the snapshot is read once, beforehand, and not timed).
"""

from __future__ import annotations

import statistics
import time

from valuegraph.graph import ValueGraph
from valuegraph.graph.index import TraversalIndex
from valuegraph.loaders import validate_mapping

FACTS_PER_CHANGE = 10


def small_change(run: int, objectives: list[str]) -> dict:
    """Five new projects contributing to existing objectives: ten facts, all new."""
    half = FACTS_PER_CHANGE // 2
    projects = [f"SMALL-{run}-{i}" for i in range(half)]
    return {
        "source": "small-changes",
        "entities": [{"id": p, "kind": "Project", "name": p, "status": "active", "budget": 1.0} for p in projects],
        "relations": [{"from": p, "type": "CONTRIBUTES_TO", "to": objectives[(run + i) % len(objectives)]}
                      for i, p in enumerate(projects)],
    }


def small_sync_ratio(graph: ValueGraph, runs: int = 9, builds: int = 3) -> dict:
    index = graph.index
    objectives = [index.ids[i] for i in range(index.size) if index.kind_of(index.ids[i]) == "Objective"][:50]
    times = []
    for run in range(runs + 1):  # the first, a warm-up, is not counted
        doc = validate_mapping(small_change(run, objectives), "small-change.json")
        before = graph.index
        started = time.perf_counter()
        report = graph.sync(doc)
        elapsed = time.perf_counter() - started
        assert report.created == FACTS_PER_CHANGE and graph.index is not before, report  # a change, published
        if run:
            times.append(elapsed)
    snapshot = graph.store.snapshot()
    build_times = []
    for _ in range(builds):
        started = time.perf_counter()
        TraversalIndex.build(snapshot)
        build_times.append(time.perf_counter() - started)
    return {"small_sync_s": statistics.median(times), "small_sync_max_s": max(times),
            "index_build_s": statistics.median(build_times)}
