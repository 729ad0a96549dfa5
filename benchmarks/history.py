"""What history costs: questions as of a past revision, and the store's room for revisions.

- ``asof_vs_current``: median time of ``whatDelivers(first: 100)`` on an objective as of the revision 100
  small syncs back, asked again and again (the past index and the records replayed for it are kept) /
  the same question now.
- ``asof_cold_vs_index_build``: the first such question at a revision never asked before (the history's
  kept indexes emptied with ``History.forget`` and a new question service each time: the past index is
  made from the current one and the 100 revisions' change groups, the answer's records replayed from
  theirs) / a full index build from the store: ``TraversalIndex.build(store.snapshot())``, the store's
  read included (the cold question reads the store too).
- ``history_bytes_per_fact``: the history graph's size as N-Quads text (every revision record and change
  group, counted quad by quad as ``str(quad) + " .\\n"`` in UTF-8) / the entities and relations the
  store holds, after the portfolio's load, the small syncs and one full reload of every source in which
  one fact in ten changed (an entity's name, or a relation's weight). The serialized size, not RocksDB's
  files: the folder's size moves with compaction, compression and write-ahead logs, from run to run.
"""

from __future__ import annotations

import statistics
import time

from valuegraph.graph import ValueGraph, kernels, terms
from valuegraph.graph.history import AsOf
from valuegraph.graph.index import ABSENT, TraversalIndex
from valuegraph.graph.questions import Questions
from valuegraph.loaders import validate_mapping

from benchmarks.snapshots import small_change

SYNCS_BACK = 100
PAGE = 100


def _median_time(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def make_small_syncs(graph: ValueGraph, count: int = SYNCS_BACK) -> None:
    """``count`` small syncs (ten new facts each, one revision each) after what the graph holds."""
    index = graph.index
    objectives = [i for i in index.ids if index.kind_of(i) == "Objective"][:50]
    for run in range(count):
        raw = small_change(10_000 + run, objectives)
        raw["source"] = "history-changes"
        graph.sync(validate_mapping(raw, "history-change.json"))


def asof_ratios(graph: ValueGraph, target: str, runs: int = 21, cold_runs: int = 5) -> dict:
    """The two as-of ratios' times, ``SYNCS_BACK`` revisions before the latest (made first if need be)."""
    start = graph.current_revision()
    make_small_syncs(graph)
    latest = graph.current_revision()
    assert latest == start + SYNCS_BACK, (start, latest)
    past = AsOf(revision=latest - SYNCS_BACK)
    questions = Questions(graph)
    kernels.load_compiled(wait=True)  # a server's search, as it answers once started

    # the past answer is what delivered the target then: the objective's deliverers less what came since
    now = questions.what_delivers(target, first=None)
    then = questions.at(past).what_delivers(target, first=None)
    since = {f"SMALL-{10_000 + run}-{i}" for run in range(SYNCS_BACK) for i in range(5)}
    assert {h.entity.id for h in then.hits} == {h.entity.id for h in now.hits} - since

    current_s = _median_time(lambda: questions.what_delivers(target, first=PAGE), runs)
    asof_s = _median_time(lambda: questions.at(past).what_delivers(target, first=PAGE), runs)

    def cold() -> None:
        graph.history.forget()
        Questions(graph).at(past).what_delivers(target, first=PAGE)

    cold_s = _median_time(cold, cold_runs)
    build_s = _median_time(lambda: TraversalIndex.build(graph.store.snapshot()), 3)
    graph.history.forget()
    return {"asof_s": asof_s, "current_s": current_s, "asof_cold_s": cold_s, "index_build_from_store_s": build_s,
            "asof_revision": past.revision, "latest_revision": latest}


def changed_tenth(docs: list[dict]) -> list[dict]:
    """The documents again, one fact in ten changed: an entity renamed, a relation's weight set anew."""
    out = []
    for raw in docs:
        entities = [dict(e, name=f"{e.get('name', e['id'])} (revised)") if n % 10 == 0 else e
                    for n, e in enumerate(raw["entities"])]
        relations = [dict(r, weight=round(0.05 + (n % 19) / 20, 2)) if n % 10 == 5 else r
                     for n, r in enumerate(raw["relations"])]
        out.append({**raw, "entities": entities, "relations": relations})
    return out


def history_bytes(graph: ValueGraph) -> int:
    """The history graph's size as N-Quads (see the module's note)."""
    store = graph.store.oxigraph
    return sum(len(str(q).encode()) + 3 for q in store.quads_for_pattern(None, None, None, terms.HISTORY_GRAPH))


def history_size(graph: ValueGraph, docs: list[dict]) -> dict:
    """Reload every source with one fact in ten changed; the history's bytes per fact held."""
    before = graph.current_revision()
    changed = 0
    for raw in changed_tenth(docs):
        report = graph.sync(validate_mapping(raw, raw["source"]))
        changed += report.updated
    index = graph.index
    facts = int((index.kind[:index.size] != ABSENT).sum()) + sum(graph.store.relation_counts().values())
    size = history_bytes(graph)
    return {"history_bytes": size, "history_facts": facts, "reload_updated": changed,
            "reload_revisions": graph.current_revision() - before, "history_revisions": graph.current_revision()}
