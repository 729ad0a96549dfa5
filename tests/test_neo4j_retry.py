"""The Neo4j commit is a transaction function the driver may run again (when a commit's answer is lost, it
cannot tell whether the server committed): run again, it must leave the graph as one run does."""

from __future__ import annotations

from valuegraph.graph import SyncMode, ValueGraph
from valuegraph.graph.model import RevisionFacts
from valuegraph.graph.neo4j import _commit
from valuegraph.graph.sync import plan_sync
from tests.conftest import neo4j_store
from tests.utils.factories import E, R, document

COUNTS = ("MATCH (n:Entity) WITH count(n) AS entities "
          "OPTIONAL MATCH (:Entity)-[r]->(:Entity) WITH entities, count(r) AS relations "
          "OPTIONAL MATCH (v:ValuegraphRevision) WITH entities, relations, count(v) AS revisions "
          "OPTIONAL MATCH (c:ValuegraphChange) WITH entities, relations, revisions, count(c) AS groups "
          "MATCH (m:ValuegraphMeta {id: 'store'}) RETURN entities, relations, revisions, groups, m.seq")


def _changes(graph: ValueGraph, doc, source: str):
    plan = plan_sync(graph.store, graph.index, doc, source, SyncMode.MERGE)
    changes = plan.changes
    report = plan.report
    changes.revision = RevisionFacts(report.mode, "tester", report.created, report.updated, report.retracted)
    changes.after_revision = graph.index.revision
    return changes


def test_a_commit_run_again_as_a_retry_writes_nothing_twice():
    graph = ValueGraph(neo4j_store())
    try:
        graph.sync(document([E("OBJ-1", "Objective")], [], source="strategy"))
        doc = document([E("PRJ-1", "Project", budget=10), E("PRJ-2", "Project"), E("OBJ-1", "Objective", name="new")],
                     [R("PRJ-1", "CONTRIBUTES_TO", "OBJ-1"), R("PRJ-2", "CONTRIBUTES_TO", "OBJ-1")], source="ppm")
        changes = _changes(graph, doc, "ppm")
        assert changes.fresh_entities and changes.history  # new nodes, a revision and its change groups
        store = graph.store
        first = store._run(_commit, write=True, changes=changes, precedence=store.precedence)
        after_one = store.cypher(COUNTS)[1]
        # the driver's retry: the same function with the same arguments, in a new transaction
        again = store._run(_commit, write=True, changes=changes, precedence=store.precedence)
        assert again == first
        assert store.cypher(COUNTS)[1] == after_one
        entities, relations, revisions, groups, seq = after_one[0]
        assert (entities, relations, revisions, seq) == (3, 2, 2, first)
        assert groups == len(changes.history) + 1  # the first sync's one group, and this one's
        graph.rebuild_index()
        assert graph.entity("OBJ-1").sources == ["ppm", "strategy"]
    finally:
        graph.close()
