"""The traversal index follows every committed sync without rebuilding: each write publishes a new snapshot."""

from __future__ import annotations

import numpy as np
import pytest

from valuegraph.graph import DocumentRejected, RelationKey, SyncMode, traversal
from valuegraph.graph.index import TraversalIndex
from tests.utils.factories import E, R, document, ids, load
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


def test_each_sync_publishes_a_snapshot_and_never_changes_a_published_one(graph, monkeypatch):
    load(graph, [E("OBJ", "Objective"), E("P1", "Project")], [R("P1", "CONTRIBUTES_TO", "OBJ")])
    first = graph.index
    snapshots = []
    real_snapshot = graph.store.snapshot
    monkeypatch.setattr(graph.store, "snapshot", lambda: snapshots.append(1) or real_snapshot())
    load(graph, [E("P2", "Project"), E("PG", "Programme")], [R("P2", "PART_OF", "PG"), R("PG", "CONTRIBUTES_TO", "OBJ")])
    second = graph.index
    assert second is not first and second.updates == first.updates + 1
    assert ids(Questions(graph).what_delivers("OBJ").hits) == ["P1", "PG", "P2"]
    load(graph, [E("PG", "Programme", status="cancelled")], [])
    assert ids(Questions(graph).what_delivers("OBJ").hits) == ["P1"]
    load(graph, [E("OBJ", "Objective"), E("P1", "Project")], [], mode=SyncMode.FULL)
    assert ids(Questions(graph).what_delivers("OBJ").hits) == []
    assert graph.index.updates == first.updates + 3
    assert snapshots == []  # never rebuilt from the store
    fresh = TraversalIndex.build(real_snapshot())
    same_index(graph.index, fresh)

    # the snapshots taken before answer as they did: the later writes went to their successors
    assert [first.ids[i] for i in traversal.what_delivers(first, "OBJ").numbers.tolist()] == ["P1"]
    assert "P2" not in first and first.number.get("P2") is None and first.size == 2
    assert traversal.what_delivers(second, "OBJ").ids == ["P1", "PG", "P2"]
    assert second.status_of("PG") == "active" and graph.index.status_of("PG") is None
    with pytest.raises(RuntimeError, match="never changes"):
        second.apply([], ["P1"], [], [])


def test_a_successor_shares_what_it_does_not_change(mem_graph):
    load(mem_graph, [E("OBJ", "Objective"), E("P1", "Project"), E("P2", "Project")],
         [R("P1", "CONTRIBUTES_TO", "OBJ"), R("P2", "CONTRIBUTES_TO", "OBJ")])
    mem_graph.rebuild_index()
    before = mem_graph.index
    load(mem_graph, [E("P3", "Project")], [R("P3", "CONTRIBUTES_TO", "OBJ")])
    after = mem_graph.index
    assert after.ids is before.ids  # one id table, grown
    assert after.value._fwd.indices is before.value._fwd.indices  # the CSR arrays are shared
    assert before.value._overlay_size == 0 and after.value._overlay_size == 1
    load(mem_graph, [E("OBJ", "Objective"), E("P1", "Project"), E("P3", "Project")],
         [R("P1", "CONTRIBUTES_TO", "OBJ"), R("P3", "CONTRIBUTES_TO", "OBJ")], mode=SyncMode.FULL)
    last = mem_graph.index
    assert last.value._fwd.indices is before.value._fwd.indices
    assert len(last.value._fwd.alive) and not len(before.value._fwd.alive)  # flags of its own
    assert traversal.what_delivers(before, "OBJ").ids == ["P1", "P2"]
    assert traversal.what_delivers(after, "OBJ").ids == ["P1", "P2", "P3"]
    assert traversal.what_delivers(last, "OBJ").ids == ["P1", "P3"]


def test_a_write_that_publishes_nothing_leaves_the_id_table_as_it_was(mem_graph):
    load(mem_graph, [E("OBJ", "Objective")], [])
    index = mem_graph.index
    parts = [document([E("P1", "Project")], [R("P1", "CONTRIBUTES_TO", "OBJ")]), document([E("P2", "Project")], [])]
    mem_graph.sync_parts(parts, dry_run=True)
    bad = document([E("P3", "Project")], [R("P3", "CONTRIBUTES_TO", "NOPE")])
    with pytest.raises(DocumentRejected):
        mem_graph.sync_parts([parts[0], bad])
    assert mem_graph.index is index and index.ids == ["OBJ"] and "P1" not in index.number
    load(mem_graph, [E("P2", "Project")], [R("P2", "CONTRIBUTES_TO", "OBJ")])
    assert mem_graph.index.ids == ["OBJ", "P2"] and ids(Questions(mem_graph).what_delivers("OBJ").hits) == ["P2"]


def test_a_successor_of_an_older_snapshot_takes_its_own_id_table(mem_graph):
    load(mem_graph, [E("OBJ", "Objective"), E("P1", "Project")], [R("P1", "CONTRIBUTES_TO", "OBJ")])
    old = mem_graph.index
    load(mem_graph, [E("P2", "Project")], [R("P2", "CONTRIBUTES_TO", "OBJ")])
    branch = old.successor()
    branch.apply([], [], [RelationKey("P9", "CONTRIBUTES_TO", "OBJ")], [])
    assert branch.ids is not old.ids and branch.number["P9"] == 2
    assert mem_graph.index.number["P2"] == 2 and mem_graph.index.ids[2] == "P2"
    with pytest.raises(RuntimeError, match="publish"):
        branch.successor()  # unpublished: it may still change what a successor would share


def test_overlay_is_compacted_from_memory(mem_graph):
    load(mem_graph, [E("OBJ", "Objective")], [])
    index = mem_graph.index
    batch = 5000
    load(mem_graph, [E(f"P{i}", "Project") for i in range(batch)],
         [R(f"P{i}", "CONTRIBUTES_TO", "OBJ") for i in range(batch)])
    # a bulk write publishes a successor too; either way it is never rebuilt from the store
    assert mem_graph.index.updates == index.updates + 1
    index = mem_graph.index
    assert index.value.compactions >= 1
    assert len(Questions(mem_graph).what_delivers("OBJ").hits) == batch
    # remove half again, with a full sync
    keep = [E("OBJ", "Objective")] + [E(f"P{i}", "Project") for i in range(0, batch, 2)]
    load(mem_graph, keep, [R(f"P{i}", "CONTRIBUTES_TO", "OBJ") for i in range(0, batch, 2)], mode=SyncMode.FULL)
    assert len(Questions(mem_graph).what_delivers("OBJ").hits) == batch // 2
    assert len(traversal.what_delivers(index, "OBJ")) == batch  # the snapshot taken before is as it was
    same_index(mem_graph.index, TraversalIndex.build(mem_graph.store.snapshot()))


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

    # a process that writes and dies before closing leaves a stale file: the next one moves it on by what
    # the revisions since changed (tests/test_index_cache.py)
    script = ("import os, signal, sys; from graph import ValueGraph, open_store; from tests.utils.factories import E, R, load; "
              "g = ValueGraph(open_store(sys.argv[1])); load(g, [E('P3', 'Project')], [R('P3', 'CONTRIBUTES_TO', 'OBJ')], "
              "source='other'); os.kill(os.getpid(), signal.SIGKILL)")
    root = Path(__file__).resolve().parent.parent
    assert subprocess.run([sys.executable, "-c", script, url], cwd=root, check=False).returncode == -9
    with ValueGraph(open_store(url)) as graph:
        assert graph.index.kind_of("P3") == "Project"
        assert [h.entity.id for h in Questions(graph).what_delivers("OBJ").hits] == ["P1", "P3"]

    # another store in the same folder (same number of syncs) never takes the old store's index
    shutil.rmtree(tmp_path / "store")
    with ValueGraph(open_store(url)) as graph:
        load(graph, [E("X", "Goal")], [])
        load(graph, [E("Y", "Goal")], [], source="other")
    with ValueGraph(open_store(url)) as graph:
        assert graph.index.counts_by_kind()["Project"] == 0 and graph.index.kind_of("X") == "Goal"

    kept.write_bytes(b"not an index")  # unreadable: rebuilt, from the store's snapshot (and the latest
    # revision's record read: does it keep history?)
    with ValueGraph(open_store(url)) as graph:
        assert graph.index.kind_of("Y") == "Goal" and graph.store.calls == 2
