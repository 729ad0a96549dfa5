"""History under crashes: a revision and its facts are one write. A process killed (SIGKILL) after a
commit leaves the revision, with every fact and change group, to the next process; a process killed
during a large load leaves either the whole revision (its record, its change groups and its facts) or
none of it, on the embedded store (its bulk path) and on Neo4j (one transaction), and a Neo4j server
killed during the commit does the same once it is back."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest
from valuegraph.graph import ValueGraph, open_store, terms
from valuegraph.graph import changes as history
from valuegraph.graph.history import AsOf
from valuegraph.graph.questions import Questions
from valuegraph.graph.store import Direction, Store

from benchmarks.generate import generate
from tests.conftest import NEO4J_AUTH, NEO4J_URL, ROOT, neo4j_store
from tests.test_history import SYNCS, sync

VALUEGRAPH = [sys.executable, "-m", "valuegraph.cli"]
ENV = {**os.environ, "VALUEGRAPH_LOG_JSON": "false", "VALUEGRAPH_NEO4J_USER": NEO4J_AUTH["user"],
       "VALUEGRAPH_NEO4J_PASSWORD": NEO4J_AUTH["password"]}
NEO4J_SCRIPT = ROOT / "deploy" / "neo4j" / "neo4j.sh"

#: a process that syncs each document it is given, one revision each, and then kills itself: nothing
#: is closed or flushed beyond what each commit did
SYNC_THEN_DIE = textwrap.dedent("""
    import os, signal, sys
    import orjson
    from valuegraph.graph import ValueGraph, open_store
    from valuegraph.loaders import validate_mapping

    url, *paths = sys.argv[1:]
    graph = ValueGraph(open_store(url, user=os.environ["VALUEGRAPH_NEO4J_USER"],
                                  password=os.environ["VALUEGRAPH_NEO4J_PASSWORD"]))
    for path in paths:
        doc = validate_mapping(orjson.loads(open(path, "rb").read()), path)
        print(graph.sync(doc).revision, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> list[Path]:
    """strategy (small), benefits (small), ppm (over 10 000 entities and 17 000 relations: the bulk path)."""
    folder = tmp_path_factory.mktemp("crash-docs")
    paths = []
    for i, doc in enumerate(generate(projects=3000, seed=11)):
        path = folder / f"{i}-{doc['source']}.json"
        path.write_bytes(orjson.dumps(doc))
        paths.append(path)
    return paths


def ids_of(paths: list[Path]) -> list[str]:
    return [e["id"] for p in paths for e in orjson.loads(p.read_bytes())["entities"]]


def open_neo4j() -> Store:
    return open_store(NEO4J_URL, **NEO4J_AUTH)


def assert_history_agrees_with_facts(store: Store, ids: list[str]) -> int:
    """The store's revisions, change groups and facts tell one story; the latest revision's number.

    Revisions are 1 … latest with no gap and none after; each has its record and a change group for
    every entity it names; no fact carries a revision after the latest, nor does any change group; and
    each entity's change groups, replayed up to the latest revision, give exactly its record and its
    outgoing relations (their sources and properties) as the store holds them."""
    latest = store.current_revision()
    assert sorted(store.revisions(range(1, latest + 10))) == list(range(1, latest + 1))
    for number in range(1, latest + 1):
        named = store.revision_entities(number)
        assert named, f"revision {number} names no entity"
        groups = store.change_groups([(number, e) for e in named])
        assert {e for _, e in groups} == set(named), f"revision {number} lacks change groups"
    records = store.entity_records(ids)
    relations: dict[str, dict] = {}
    for record in store.relation_records(touching=list(records), direction=Direction.OUT):
        relations.setdefault(record.key.from_id, {})[record.key] = _per_source(record.assertions)
    changes = store.entity_changes(ids)
    revisions = store.revisions({n for groups in changes.values() for n, _ in groups})
    for entity_id in ids:
        groups = changes.get(entity_id, [])
        assert all(n <= latest for n, _ in groups), (entity_id, [n for n, _ in groups], latest)
        record = records.get(entity_id)
        if record is None:
            assert not groups or history.replay(entity_id, ((n, revisions[n].source, g) for n, g in groups)).record is None
            continue
        assert all(a.seq <= latest for a in record.assertions.values()), (entity_id, latest)
        replayed = history.replay(entity_id, ((n, revisions[n].source, g) for n, g in groups))
        assert replayed.record is not None, f"{entity_id} is in the store but its history has no assertion of it"
        assert replayed.record.assertions == record.assertions, entity_id
        assert {k: _per_source(a) for k, a in replayed.relations.items()} == relations.get(entity_id, {}), entity_id
    return latest


def _per_source(assertions: dict) -> dict:
    # a relation's sources and properties (the embedded store keeps no revision for a relation without
    # properties)
    return {source: a.properties for source, a in assertions.items()}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*VALUEGRAPH, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, check=True)


# ------------------------------------------------------------ killed after committing
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["oxigraph", "neo4j"])
def test_revisions_committed_before_a_sigkill_are_there_after_reopening(backend, documents, tmp_path):
    if backend == "neo4j":
        neo4j_store().close()  # emptied
        url = NEO4J_URL
    else:
        url = f"oxigraph:{tmp_path / 'store'}"
    # strategy and benefits (transactions), ppm (over the bulk threshold: on Oxigraph, the journal and bulk loads)
    done = subprocess.run([sys.executable, "-c", SYNC_THEN_DIE, url, *map(str, documents)],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert done.stdout.split() == ["1", "2", "3"]
    store = open_neo4j() if backend == "neo4j" else open_store(url)
    graph = ValueGraph(store)
    try:
        assert assert_history_agrees_with_facts(store, ids_of(documents)) == 3
        q = Questions(graph)
        assert q.current_revision() == 3
        assert [rev.source for _, rev in q.revisions().revisions] == ["ppm", "benefits", "strategy"]
        counts = [len(orjson.loads(p.read_bytes())["entities"]) for p in documents]
        assert q.at(AsOf(revision=1)).entities().total == counts[0]
        assert q.at(AsOf(revision=2)).entities().total == counts[0] + counts[1]
        assert q.entities().total == sum(counts)
    finally:
        graph.close()


# ------------------------------------------------------------ killed during a large load
def _kill_during_load(documents: list[Path], fresh_copy, reopen, fractions) -> list[str]:
    """Load the ppm document in a child process, killed with SIGKILL at each fraction of a whole load's
    duration, each time over the baseline (strategy and benefits: revisions 1 and 2); the outcomes."""
    target = fresh_copy()
    started = time.perf_counter()
    run_cli("load", str(documents[2]), "--store", target)
    duration = time.perf_counter() - started
    ppm_ids = ids_of([documents[2]])
    all_ids = ids_of(documents)
    outcomes = []
    for fraction in fractions:
        target = fresh_copy()
        proc = subprocess.Popen([*VALUEGRAPH, "load", str(documents[2]), "--store", target], cwd=ROOT, env=ENV,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        store = reopen(target)
        try:
            latest = assert_history_agrees_with_facts(store, all_ids)
            present = store.entity_records(ppm_ids)
            if latest == 3:  # the kill came after the commit: the whole revision is there
                assert len(present) == len(ppm_ids)
                assert store.revisions([3])[3].source == "ppm"
                assert set(store.revision_entities(3)) == set(ppm_ids)
                outcomes.append("complete")
            else:  # before it: nothing of it, not a fact nor a change group
                assert latest == 2 and not present
                assert "ppm" not in store.sources()
                assert not store.entity_changes(ppm_ids)
                outcomes.append("none" if not finished else "finished-before-kill?")
        finally:
            store.close()
    return outcomes


@pytest.mark.slow
def test_sigkill_during_a_bulk_load_on_disk_leaves_the_revision_whole_or_absent(documents, tmp_path):
    baseline = tmp_path / "baseline"
    run_cli("load", str(documents[0]), str(documents[1]), "--store", f"oxigraph:{baseline}")
    copies = iter(range(100))

    def fresh_copy() -> str:
        target = tmp_path / f"copy-{next(copies)}"
        shutil.copytree(baseline, target)
        return f"oxigraph:{target}"

    outcomes = _kill_during_load(documents, fresh_copy, open_store, (0.5, 0.9, 1.0))
    print("kill outcomes:", outcomes)
    assert "none" in outcomes, outcomes


def _settled_neo4j(_) -> Store:
    """The Neo4j store once the server has no transaction left from the killed client: a client killed
    after sending its commit leaves the server applying it, and a read meanwhile may see part of it
    (Neo4j reads at read-committed isolation)."""
    store = open_neo4j()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with store._driver.session(database=store.database) as session:
            running = session.run("SHOW TRANSACTIONS YIELD transactionId RETURN count(*)").single()[0]
        if running <= 1:  # this one
            break
        time.sleep(0.2)
    return store


def _baseline_on_neo4j(documents: list[Path]) -> str:
    neo4j_store().close()  # emptied
    run_cli("load", str(documents[0]), str(documents[1]), "--store", NEO4J_URL)
    return NEO4J_URL


@pytest.mark.slow
def test_sigkill_during_a_large_sync_on_neo4j_leaves_the_revision_whole_or_absent(documents):
    outcomes = _kill_during_load(documents, lambda: _baseline_on_neo4j(documents),
                                 _settled_neo4j, (0.2, 0.5, 0.9))
    print("kill outcomes:", outcomes)
    assert "none" in outcomes, outcomes


def _neo4j(command: str) -> None:
    subprocess.run([str(NEO4J_SCRIPT), command], check=True, capture_output=True)


@pytest.mark.slow
def test_a_neo4j_server_killed_during_a_large_sync_keeps_the_revision_whole_or_absent(documents):
    """SIGKILL to the Neo4j server itself while the ppm sync's transaction is open or committing."""
    _baseline_on_neo4j(documents)
    started = time.perf_counter()
    run_cli("load", str(documents[2]), "--store", NEO4J_URL)
    duration = time.perf_counter() - started
    pidfile = ROOT / ".neo4j" / "run" / "neo4j.pid"
    outcomes = []
    for fraction in (0.6, 0.9):
        _baseline_on_neo4j(documents)
        proc = subprocess.Popen([*VALUEGRAPH, "load", str(documents[2]), "--store", NEO4J_URL], cwd=ROOT, env=ENV,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(duration * fraction)
            finished = proc.poll() is not None
            os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)
        finally:
            proc.wait(120)
            _neo4j("start")
        store = open_neo4j()
        try:
            latest = assert_history_agrees_with_facts(store, ids_of(documents))
            assert latest in (2, 3)
            outcomes.append("complete" if latest == 3 else "none" if not finished else "finished-before-kill?")
        finally:
            store.close()
    print("server kill outcomes:", outcomes)
    assert "none" in outcomes or "complete" in outcomes


def test_the_consistency_check_sees_a_revision_without_its_change_groups(tmp_path):
    """The check above can fail: a revision record whose change groups are gone is caught."""
    graph = ValueGraph(open_store(f"oxigraph:{tmp_path / 'store'}"))
    try:
        sync(graph, *SYNCS[0])
        ids = graph.store.revision_entities(1)
        assert assert_history_agrees_with_facts(graph.store, ids) == 1
        store = graph.store
        store._store.update(f"DROP GRAPH {terms.HISTORY_GRAPH}")  # the history goes, the facts stay
        with pytest.raises(AssertionError):
            assert_history_agrees_with_facts(store, ids)
    finally:
        graph.close()



def test_a_sync_through_the_bulk_path_commits_its_revision(graph):
    """A sync with more new facts than ``bulk_threshold`` goes through the store's batch writer: its
    revision is recorded all the same, with its change groups."""
    graph.bulk_threshold = 3
    sync(graph, *SYNCS[0])
    assert graph.store.current_revision() == 1
    [revision] = graph.store.revisions([1]).values()
    assert (revision.source, revision.created) == (SYNCS[0][2], 7)
    assert assert_history_agrees_with_facts(graph.store, graph.store.revision_entities(1)) == 1
    assert Questions(graph).at(AsOf(revision=0)).entities().total == 0
