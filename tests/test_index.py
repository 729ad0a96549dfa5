"""The traversal index follows every committed sync in place, without rebuilding."""

from __future__ import annotations

import numpy as np

from valuegraph.graph import SyncMode
from valuegraph.graph.index import TraversalIndex
from tests.utils.factories import E, R, ids, load
from valuegraph.graph.questions import Questions


def same_index(a: TraversalIndex, b: TraversalIndex) -> None:
    """Equal content, compared by id (numbering may differ)."""
    assert a.counts_by_kind() == b.counts_by_kind()
    for entity_id in set(a.ids) | set(b.ids):
        assert a.kind_of(entity_id) == b.kind_of(entity_id), entity_id
        if a.kind_of(entity_id):
            assert a.status_of(entity_id) == b.status_of(entity_id), entity_id
    for name in ("value", "depends"):
        edges = []
        for index in (a, b):
            src, dst, typ = getattr(index, name).arrays()
            edges.append(sorted(zip((index.ids[i] for i in src.tolist()), typ.tolist(),
                                    (index.ids[i] for i in dst.tolist()), strict=True)))
        assert edges[0] == edges[1], name


def test_sync_updates_the_index_in_place(graph, monkeypatch):
    load(graph, [E("OBJ", "Objective"), E("P1", "Project")], [R("P1", "CONTRIBUTES_TO", "OBJ")])
    index = graph.index
    snapshots = []
    real_snapshot = graph.store.snapshot
    monkeypatch.setattr(graph.store, "snapshot", lambda: snapshots.append(1) or real_snapshot())
    load(graph, [E("P2", "Project"), E("PG", "Programme")], [R("P2", "PART_OF", "PG"), R("PG", "CONTRIBUTES_TO", "OBJ")])
    assert graph.index is index and index.updates == 2
    assert ids(Questions(graph).what_delivers("OBJ").hits) == ["P1", "PG", "P2"]
    load(graph, [E("PG", "Programme", status="cancelled")], [])
    assert ids(Questions(graph).what_delivers("OBJ").hits) == ["P1"]
    load(graph, [E("OBJ", "Objective"), E("P1", "Project")], [], mode=SyncMode.FULL)
    assert ids(Questions(graph).what_delivers("OBJ").hits) == []
    assert graph.index is index and index.updates == 4
    assert snapshots == []  # never rebuilt from the store
    fresh = TraversalIndex.build(real_snapshot())
    same_index(index, fresh)


def test_overlay_is_compacted_from_memory(mem_graph):
    load(mem_graph, [E("OBJ", "Objective")], [])
    index = mem_graph.index
    batch = 5000
    load(mem_graph, [E(f"P{i}", "Project") for i in range(batch)],
         [R(f"P{i}", "CONTRIBUTES_TO", "OBJ") for i in range(batch)])
    # a bulk write hands over an updated copy; either way it is never rebuilt from the store
    assert mem_graph.index.updates == index.updates + 1
    index = mem_graph.index
    assert index.value.compactions >= 1
    assert len(Questions(mem_graph).what_delivers("OBJ").hits) == batch
    # remove half again, with a full sync
    keep = [E("OBJ", "Objective")] + [E(f"P{i}", "Project") for i in range(0, batch, 2)]
    load(mem_graph, keep, [R(f"P{i}", "CONTRIBUTES_TO", "OBJ") for i in range(0, batch, 2)], mode=SyncMode.FULL)
    assert len(Questions(mem_graph).what_delivers("OBJ").hits) == batch // 2
    same_index(index, TraversalIndex.build(mem_graph.store.snapshot()))


def test_index_is_compact(mem_graph):
    n = 2000
    load(mem_graph, [E("OBJ", "Objective")] + [E(f"P{i}", "Project") for i in range(n)],
         [R(f"P{i}", "CONTRIBUTES_TO", "OBJ") for i in range(n)])
    mem_graph.rebuild_index()
    index = mem_graph.index
    assert index.value.arrays()[0].dtype == np.int64  # arrays() widens for callers…
    assert index.value._fwd.indices.dtype == np.int32  # …the stored adjacency is int32
    assert index.value.nbytes / n < 40


def test_the_index_is_kept_beside_the_store_for_the_next_process(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from valuegraph.graph import ValueGraph, open_store
    from tests.utils.fingerprint import fingerprint

    url = f"oxigraph:{tmp_path / 'store'}"
    with ValueGraph(open_store(url)) as graph:
        load(graph, [E("OBJ", "Objective"), E("P1", "Project"), E("P2", "Project", budget=5)],
             [R("P1", "CONTRIBUTES_TO", "OBJ"), R("P2", "DEPENDS_ON", "P1")])
        expected = fingerprint(graph)
    kept = tmp_path / "store.index.npz"
    assert kept.exists()

    with ValueGraph(open_store(url)) as graph:
        assert graph.store.calls == 0  # the index was read from its file, not from the store
        assert fingerprint(graph) == expected
        same_index(graph.index, TraversalIndex.build(graph.store.snapshot()))

    # a process that writes and dies before closing leaves a stale file: the next one rebuilds
    script = ("import os, signal, sys; from graph import ValueGraph, open_store; from tests.utils.factories import E, R, load; "
              "g = ValueGraph(open_store(sys.argv[1])); load(g, [E('P3', 'Project')], [R('P3', 'CONTRIBUTES_TO', 'OBJ')], "
              "source='other'); os.kill(os.getpid(), signal.SIGKILL)")
    root = Path(__file__).resolve().parent.parent
    assert subprocess.run([sys.executable, "-c", script, url], cwd=root, check=False).returncode == -9
    with ValueGraph(open_store(url)) as graph:
        assert graph.store.calls == 1  # built from the store's snapshot
        assert graph.index.kind_of("P3") == "Project"
        assert [h.entity.id for h in Questions(graph).what_delivers("OBJ").hits] == ["P1", "P3"]

    # another store in the same folder (same number of syncs) never takes the old store's index
    shutil.rmtree(tmp_path / "store")
    with ValueGraph(open_store(url)) as graph:
        load(graph, [E("X", "Goal")], [])
        load(graph, [E("Y", "Goal")], [], source="other")
    with ValueGraph(open_store(url)) as graph:
        assert graph.index.counts_by_kind()["Project"] == 0 and graph.index.kind_of("X") == "Goal"

    kept.write_bytes(b"not an index")  # unreadable: rebuilt
    with ValueGraph(open_store(url)) as graph:
        assert graph.index.kind_of("Y") == "Goal" and graph.store.calls == 1
