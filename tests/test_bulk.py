"""Large syncs: the bulk write path, documents read in parts, and recovery from a crash between a
bulk load and its commit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from valuegraph.cli.main import app
from benchmarks.generate import generate
from valuegraph.graph import DocumentRejected, ValueGraph, open_store
from valuegraph.graph import terms
from valuegraph.graph.model import RelationKey, SyncMode, join_documents
from valuegraph.graph.oxigraph import OxigraphStore, _JournalBatch
from valuegraph.graph.sync import SyncDraft
from valuegraph.loaders import loader_for, validate_mapping
from tests.utils.fingerprint import fingerprint
from valuegraph.graph.questions import Questions

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def documents(projects: int = 400, seed: int = 5):
    return [validate_mapping(raw, raw["source"]) for raw in generate(projects, seed=seed)]


def loaded(url: str, docs, threshold: int) -> ValueGraph:
    graph = ValueGraph(open_store(url))
    graph.bulk_threshold = threshold
    for doc in docs:
        graph.sync(doc)
    return graph


@pytest.mark.parametrize("url", ["memory:", "oxigraph", "oxigraph in small slices"])
def test_bulk_writes_hold_exactly_what_transactions_hold(tmp_path, url, monkeypatch):
    if url == "oxigraph in small slices":  # dozens of slices, loaded two at a time
        monkeypatch.setattr(_JournalBatch, "facts_per_slice", 100)
        monkeypatch.setattr(_JournalBatch, "slices", 10**6)  # no larger slices for a larger write
    docs = documents()
    store = "memory:" if url == "memory:" else f"oxigraph:{tmp_path / 'bulk'}"
    with loaded("memory:", docs, threshold=10**9) as by_transaction, loaded(store, docs, threshold=1) as in_bulk:
        assert fingerprint(in_bulk) == fingerprint(by_transaction)
        rebuilt = fingerprint(in_bulk)
        in_bulk.rebuild_index()  # the index updated after the bulk write equals one built from the store
        assert fingerprint(in_bulk) == rebuilt
        # a second sync of the same documents changes nothing, on either path
        assert all(in_bulk.sync(doc).created == 0 and in_bulk.sync(doc).updated == 0 for doc in docs)
    assert not list(tmp_path.glob("*.pending.nq"))  # the journal is gone once committed


def split(doc, size: int):
    """A document as a loader reading in parts gives it (relations after the entities they need)."""
    parts = [type(doc)(doc.source, entities=doc.entities[i:i + size], origin=doc.origin)
             for i in range(0, len(doc.entities), size)]
    parts[-1].relations = list(doc.relations)
    return parts


def test_a_document_in_parts_is_one_sync(tmp_path):
    strategy, benefits, ppm = documents()
    with loaded("memory:", [strategy, benefits, ppm], threshold=10**9) as whole:
        expected = fingerprint(whole)
    graph = loaded(f"oxigraph:{tmp_path / 's'}", [strategy, benefits], threshold=10**9)
    before = graph.store.calls
    report = graph.sync_parts(split(ppm, 250))
    assert report.created == len(ppm.entities) + len(ppm.relations) and report.source == "ppm"
    assert fingerprint(graph) == expected
    assert graph.store.calls - before < 10 + 3 * len(split(ppm, 250))  # a few reads per part, one write
    again = graph.sync_parts(split(ppm, 300))
    assert again.created == again.updated == 0 and again.unchanged == report.created
    graph.close()


def test_a_bad_part_rejects_every_part_and_reports_each_error(tmp_path):
    strategy, benefits, ppm = documents()
    graph = loaded(f"oxigraph:{tmp_path / 's'}", [strategy, benefits], threshold=10**9)
    before = fingerprint(graph)
    parts = split(ppm, 250)
    first = parts[0].entities[0]
    parts[2].entities.append(type(first)(first.id, first.kind, dict(first.properties), "row 9999"))
    parts[-1].relations.append(type(ppm.relations[0])(ppm.relations[0].key._replace(to_id="NOPE"), {}, "rel 1"))
    with pytest.raises(DocumentRejected) as info:
        graph.sync_parts(parts)
    messages = [str(e) for e in info.value.errors]
    assert f"row 9999: id '{first.id}' appears twice in the document" in messages
    assert "rel 1.to: no entity with id 'NOPE' in this document or the graph" in messages
    assert fingerprint(graph) == before and "ppm" not in graph.store.sources()
    graph.close()


def test_full_mode_joins_the_parts(tmp_path):
    strategy, benefits, ppm = documents()
    graph = loaded("memory:", [strategy, benefits, ppm], threshold=10**9)
    smaller = join_documents(split(ppm, 250))
    smaller.entities = [e for e in smaller.entities if e.kind != "Person"]
    people = {e.id for e in ppm.entities if e.kind == "Person"}
    smaller.relations = [r for r in smaller.relations if r.key.from_id not in people and r.key.to_id not in people]
    report = graph.sync_parts(split(smaller, 400), mode=SyncMode.FULL)
    assert report.by_kind["Person"].retracted == len(people) > 0
    graph.close()


CRASH_AFTER_BULK_LOAD = textwrap.dedent("""
    import os, signal, sys
    from benchmarks.generate import generate
    from valuegraph.graph import ValueGraph, open_store
    from valuegraph.graph.sync import plan_sync
    from valuegraph.graph.model import SyncMode
    from valuegraph.loaders import validate_mapping

    graph = ValueGraph(open_store(sys.argv[1]))
    raw = generate(400, seed=5)[2]
    doc = validate_mapping(raw, raw["source"])
    plan = plan_sync(graph.store, graph.index, doc, "ppm", SyncMode.MERGE)
    batch = graph.store.batch("ppm")
    batch.add(plan.changes)
    # the bulk load has written its files; the process dies before the committing transaction
    batch._store._commit = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
    batch.commit()
""")


def test_a_crash_between_bulk_load_and_commit_leaves_nothing_behind(tmp_path):
    url = f"oxigraph:{tmp_path / 'store'}"
    with loaded(url, documents()[:2], threshold=10**9) as graph:
        before = fingerprint(graph)
    done = subprocess.run([sys.executable, "-c", CRASH_AFTER_BULK_LOAD, url], cwd=ROOT, capture_output=True, check=False)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    journal = tmp_path / "store.pending.nq"
    assert journal.exists()  # what the crashed write left: the journal names its quads
    with ValueGraph(open_store(url)) as graph:
        assert not journal.exists()
        assert "ppm" not in graph.store.sources()
        assert fingerprint(graph) == before
        assert graph.store.sparql("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://valuegraph.dev/source/ppm> "
                                  "{ ?s ?p ?o } }").__next__()["n"].value == "0"


def _sync_quads(graph: ValueGraph, source: str) -> dict[str, int]:
    """The sync each assertion of a source names with a quad of its own, by subject."""
    found = graph.store.oxigraph.quads_for_pattern(None, terms.SEQ, None, terms.source_graph(source))
    return {q.subject.value: int(q.object.value) for q in found}


@pytest.mark.parametrize("threshold", [1, 10**9], ids=["in bulk", "in one transaction"])
def test_a_sources_first_sync_writes_no_sync_number_per_assertion(tmp_path, threshold):
    """What a source asserts in its first sync names that sync once, on the source; an assertion changed
    later names its own. Records read the same either way."""
    strategy, benefits, ppm = documents()
    with loaded(f"oxigraph:{tmp_path / 'store'}", [strategy, benefits, ppm], threshold=threshold) as graph:
        assert _sync_quads(graph, "ppm") == {}
        first = graph.store.sources()["ppm"]["seq"]
        project = next(e for e in ppm.entities if e.kind == "Project")
        related = next(r for r in ppm.relations if r.properties)
        assert graph.store.entity_record(project.id).assertions["ppm"].seq == first
        (relation,) = graph.store.relation_records([related.key])
        assert relation.assertions["ppm"].seq == first
        changed = type(ppm)("ppm", entities=[type(project)(project.id, project.kind,
                                                           {**project.properties, "budget": 1}, "row 1")])
        later = graph.sync(changed).revision
        assert _sync_quads(graph, "ppm") == {terms.entity_iri(project.id).value: later}
        assert graph.store.entity_record(project.id).assertions["ppm"].seq == later
        assert graph.store.entity_record(ppm.entities[-1].id).assertions["ppm"].seq == first
def _with_fault(doc, fault: str):
    """The document with a fault that only a check against the whole graph finds: a relation to an entity
    nowhere, or a value-chain cycle."""
    relations = list(doc.relations)
    first = relations[0]
    if fault == "missing end":
        relations.append(type(first)(first.key._replace(to_id="NOPE"), {}, "rel 1"))
    else:
        part_of = next(r for r in relations if r.key.type == "PART_OF")
        relations.append(type(first)(part_of.key._replace(from_id=part_of.key.to_id, to_id=part_of.key.from_id),
                                     {}, "rel 2"))
    return type(doc)(doc.source, entities=list(doc.entities), relations=relations, origin=doc.origin)


def _holds_facts_of(graph: ValueGraph, source: str, subject: str | None = None) -> bool:
    """Whether the store holds any quad in the source's graph (about ``subject``, if given), committed or not."""
    about = f"<{terms.entity_iri(subject).value}>" if subject else "?s"
    query = f"ASK {{ GRAPH <https://valuegraph.dev/source/{source}> {{ {about} ?p ?o }} }}"
    return bool(graph.store.oxigraph.query(query))


def _checks_wait_for_loading(monkeypatch, graph: ValueGraph, subject: str | None = None, required: bool = True):
    """Small slices, and a sync's checks that begin only once some of its document is in the store (or, when
    not ``required``, after a few seconds in which it could have been)."""
    monkeypatch.setattr(_JournalBatch, "facts_per_slice", 100)
    monkeypatch.setattr(_JournalBatch, "slices", 10**6)
    check = SyncDraft.check

    def check_once_loading(draft):
        deadline = time.monotonic() + (60 if required else 3)
        while not _holds_facts_of(graph, "ppm", subject) and time.monotonic() < deadline:
            time.sleep(0.005)
        if required:
            assert _holds_facts_of(graph, "ppm", subject), "the sync's new facts did not load while it was checked"
        check(draft)

    monkeypatch.setattr(SyncDraft, "check", check_once_loading)


@pytest.mark.parametrize("fault", ["missing end", "value cycle"])
def test_a_large_sync_refused_while_it_loads_leaves_nothing_behind(tmp_path, fault, monkeypatch):
    """A large sync starts loading its new facts while it is checked: when the checks refuse it, its facts,
    change groups and revision are all gone again, and the errors are those of a sync checked first."""
    strategy, benefits, ppm = documents()
    bad = _with_fault(ppm, fault)
    with loaded("memory:", [strategy, benefits], threshold=10**9) as checked_first:
        with pytest.raises(DocumentRejected) as expected:
            checked_first.sync(bad)
    with loaded("memory:", [strategy, benefits, ppm], threshold=10**9) as good:
        written = fingerprint(good)
    url = f"oxigraph:{tmp_path / 'store'}"
    with loaded(url, [strategy, benefits], threshold=1) as graph:
        before = fingerprint(graph), set(graph.store.oxigraph), graph.store.current_revision()
        _checks_wait_for_loading(monkeypatch, graph)
        with pytest.raises(DocumentRejected) as refused:
            graph.sync(bad)
        assert [str(e) for e in refused.value.errors] == [str(e) for e in expected.value.errors]
        assert (fingerprint(graph), set(graph.store.oxigraph), graph.store.current_revision()) == before
        assert not list(tmp_path.glob("*.pending.nq"))
        assert graph.sync(ppm).revision == before[2] + 1  # and the good document is written after it
        assert fingerprint(graph) == written


def test_a_large_sync_that_retracts_an_entity_is_checked_before_it_loads(tmp_path, monkeypatch):
    """The check of what still refers to an entity a full sync retracts reads the store: the sync's own new
    relations must not be there yet, or a new relation to the retracted entity would be reported twice."""
    strategy, benefits, ppm = documents()
    gone = next(e for e in ppm.entities if e.kind == "Deliverable")
    added = type(gone)("DEL-NEW", "Deliverable", {"name": "A new deliverable"}, "row 0")
    relations = [r for r in ppm.relations if gone.id not in (r.key.from_id, r.key.to_id)]
    relations.append(type(ppm.relations[0])(RelationKey(added.id, "DEPENDS_ON", gone.id), {}, "rel 0"))
    full = type(ppm)("ppm", entities=[e for e in ppm.entities if e.id != gone.id] + [added], relations=relations,
                     origin=ppm.origin)
    with loaded("memory:", [strategy, benefits, ppm], threshold=10**9) as checked_first:
        with pytest.raises(DocumentRejected) as expected:
            checked_first.sync(full, mode=SyncMode.FULL)
    assert any("(this sync retracts it)" in str(e) for e in expected.value.errors)
    with loaded(f"oxigraph:{tmp_path / 'store'}", [strategy, benefits, ppm], threshold=1) as graph:
        before = fingerprint(graph), set(graph.store.oxigraph)
        _checks_wait_for_loading(monkeypatch, graph, added.id, required=False)
        with pytest.raises(DocumentRejected) as refused:
            graph.sync(full, mode=SyncMode.FULL)
        assert [str(e) for e in refused.value.errors] == [str(e) for e in expected.value.errors]
        assert (fingerprint(graph), set(graph.store.oxigraph)) == before


def test_quads_a_refused_sync_could_not_remove_are_removed_by_the_next_write(tmp_path, monkeypatch):
    """If the store fails while a refused sync's loaded facts are removed, its journal stays beside the store,
    and the next write removes them before it begins."""
    strategy, benefits, ppm = documents()
    with loaded("memory:", [strategy, benefits, ppm], threshold=10**9) as good:
        written = fingerprint(good)
    bad = _with_fault(ppm, "missing end")
    bad.entities.insert(0, type(ppm.entities[0])("ORPHAN-1", "Project", {"name": "Only in the refused sync"}, "row 0"))
    with loaded(f"oxigraph:{tmp_path / 'store'}", [strategy, benefits], threshold=1) as graph:
        _checks_wait_for_loading(monkeypatch, graph, "ORPHAN-1")

        def failing_removal(*_):
            raise OSError("no space left on device")

        monkeypatch.setattr(OxigraphStore, "_remove_quads", failing_removal)
        with pytest.raises(DocumentRejected):
            graph.sync(bad)
        journal = tmp_path / "store.pending.nq"
        assert journal.exists() and _holds_facts_of(graph, "ppm", "ORPHAN-1")
        monkeypatch.undo()
        graph.sync(ppm)
        assert not journal.exists()
        assert fingerprint(graph) == written


RECIPE = """name: parts
entities:
  - kind: Project
    id: "{Ref}"
    name: "{Title}"
    properties:
      budget: {column: "Cost", type: number}
  - kind: Portfolio
    id: "PF-{Unit}"
    name: "{Unit}"
relations:
  - {from: "{Ref}", type: PART_OF, to: "PF-{Unit}"}
  - {from: "{Ref}", type: DEPENDS_ON, to: "{Needs}", external: true}
"""


def test_a_register_is_read_checked_and_written_in_parts(tmp_path):
    rows = ["Ref,Title,Cost,Unit,Needs"] + [
        f"P{i:03},Project {i},{i * 10},U{i % 4},{f'P{i + 1:03}' if i % 7 == 0 and i < 59 else ''}" for i in range(60)]
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "r.yaml").write_text(RECIPE)
    loader = loader_for(tmp_path / "r.csv", recipe=str(tmp_path / "r.yaml"))
    parts = list(loader.parts(rows_per_part=8))
    assert len(parts) == 8 and all(not p.errors for p in parts)
    assert [len(p.entities) for p in parts][:2] == [8 + 4, 8]  # the portfolios come with the first rows naming them
    # a DEPENDS_ON to a later row waits for the last part
    assert all(r.key.type == "PART_OF" for p in parts[:-1] for r in p.relations)
    store = f"oxigraph:{tmp_path / 's'}"
    result = runner.invoke(app, ["load", str(tmp_path / "r.csv"), "--recipe", str(tmp_path / "r.yaml"),
                                 "--source", "reg", "--store", store, "--json"])
    assert result.exit_code == 0, result.output
    with ValueGraph(open_store(store)) as graph:
        assert graph.index.counts_by_kind()["Project"] == 60 and graph.index.counts_by_kind()["Portfolio"] == 4
        assert graph.store.relation_counts()["DEPENDS_ON"] == 9
        assert [h.entity.id for h in Questions(graph).impact("P015").dependents] == ["P014"]

    (tmp_path / "bad.csv").write_text("\n".join(rows[:30] + ["P900,Bad,lots,U1,", "P901,Worse,,U1,NOPE"]) + "\n")
    result = runner.invoke(app, ["load", str(tmp_path / "bad.csv"), "--recipe", str(tmp_path / "r.yaml"),
                                 "--source", "reg2", "--store", store, "--json"])
    assert result.exit_code == 1
    assert "'lots' is not a number" in result.output and "no entity with id 'NOPE'" in result.output
    with ValueGraph(open_store(store)) as graph:
        assert "reg2" not in graph.store.sources()


def test_a_large_register_shows_a_progress_bar(tmp_path):
    rows = ["Ref,Title,Cost,Unit,Needs"] + [f"P{i:06},Project {i},{i},U{i % 9}," for i in range(40_000)]
    register = tmp_path / "big.csv"
    register.write_text("\n".join(rows) + "\n")
    (tmp_path / "r.yaml").write_text(RECIPE)
    seen = []
    loader = loader_for(register, recipe=str(tmp_path / "r.yaml"))
    loader.progress = lambda rows, done=None, total=None: seen.append((rows, done, total))
    assert sum(len(p.entities) for p in loader.parts()) == 40_009
    assert [r for r, _, _ in seen] == sorted(r for r, _, _ in seen) and seen[-1][0] == 40_000
    assert all(total == register.stat().st_size and 0 < done <= total for _, done, total in seen)
    assert seen[-1][1] == seen[-1][2]  # all of the file read

    # the command shows a bar on a terminal (rich is told it is one)
    env = {**os.environ, "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-m", "valuegraph.cli", "load", str(register), "--recipe", str(tmp_path / "r.yaml"),
                           "--source", "big", "--store", f"oxigraph:{tmp_path / 's'}"],
                          cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "loading" in done.stderr and "━" in done.stderr and re.search(r"\d+%", done.stderr)
    assert re.search(r"[\d,]+ rows", done.stderr)
    report = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout)
    assert re.search(r"Project\s*│\s*40000\s*│", report), report  # the report: every project created
