"""Graph analytics: obvious answers on hand-made graphs, and the sample against plain networkx."""

from __future__ import annotations

import networkx as nx
import pytest

from valuegraph.graph import Direction, analytics
from valuegraph.schema import vocabulary
from tests.utils.factories import E, R, load
from tests.utils.server import serve_in_thread


def test_strategic_reach_counts_and_weights(graph):
    load(graph, [E("G", "Goal"), E("O1", "Objective"), E("O2", "Objective"), E("WIDE", "Project"),
                 E("NARROW", "Project"), E("HALF", "Project"), E("DONE", "Project", status="completed"),
                 E("X", "Project", status="cancelled")],
         [R("O1", "SUPPORTS", "G"), R("O2", "SUPPORTS", "G", weight=0.5), R("WIDE", "CONTRIBUTES_TO", "O1"),
          R("WIDE", "CONTRIBUTES_TO", "O2"), R("NARROW", "CONTRIBUTES_TO", "O2"),
          R("HALF", "CONTRIBUTES_TO", "O1", weight=0.5), R("DONE", "CONTRIBUTES_TO", "O1"), R("X", "CONTRIBUTES_TO", "O1")])
    reach = {r.project: r for r in analytics.strategic_reach(graph.index, graph.store)}
    assert set(reach) == {"WIDE", "NARROW", "HALF"}  # completed and cancelled projects are not ranked
    assert (reach["WIDE"].objectives, reach["WIDE"].goals, reach["WIDE"].weighted) == (2, 1, 3.0)  # G via O1 at 1
    assert (reach["NARROW"].objectives, reach["NARROW"].goals, reach["NARROW"].weighted) == (1, 1, 1.5)
    assert reach["HALF"].weighted == pytest.approx(1.0)  # O1 at 0.5, G at 0.5
    assert [r.project for r in analytics.strategic_reach(graph.index, graph.store, top=2)] == ["WIDE", "NARROW"]


def test_critical_dependencies_rank_by_strategy_affected(graph):
    load(graph, [E("O1", "Objective"), E("O2", "Objective"), E("BASE", "Project"), E("A", "Project"),
                 E("B", "Project"), E("LONE", "Project")],
         [R("A", "DEPENDS_ON", "BASE"), R("B", "DEPENDS_ON", "BASE"), R("A", "CONTRIBUTES_TO", "O1"),
          R("B", "CONTRIBUTES_TO", "O2"), R("LONE", "CONTRIBUTES_TO", "O1"), R("B", "DEPENDS_ON", "LONE")])
    found = analytics.critical_dependencies(graph.index)
    assert [(c.item, c.dependents, c.affected_strategy) for c in found] == [("BASE", 2, 2), ("LONE", 1, 2)]


def test_dependency_cycles(graph):
    load(graph, [E(x, "Project") for x in "ABCDE"],
         [R("A", "DEPENDS_ON", "B"), R("B", "DEPENDS_ON", "C"), R("C", "DEPENDS_ON", "A"),
          R("D", "DEPENDS_ON", "E"), R("E", "DEPENDS_ON", "D"), R("A", "DEPENDS_ON", "D")])
    assert analytics.dependency_cycles(graph.index) == [["A", "B", "C"], ["D", "E"]]


def test_concentration(graph):
    load(graph, [E("ALONE", "Objective"), E("SHARED", "Objective"), E("BY_PG", "Objective"), E("P1", "Project"),
                 E("P2", "Project"), E("PG", "Programme"), E("P3", "Project"), E("PX", "Project", status="cancelled")],
         [R("P1", "CONTRIBUTES_TO", "ALONE"), R("PX", "CONTRIBUTES_TO", "ALONE"), R("P1", "CONTRIBUTES_TO", "SHARED"),
          R("P2", "CONTRIBUTES_TO", "SHARED"), R("P3", "PART_OF", "PG"), R("PG", "CONTRIBUTES_TO", "BY_PG")])
    assert [(c.target, c.project) for c in analytics.concentration(graph.index)] == [("ALONE", "P1")]


def test_budget_by_objective_counts_each_project_once(graph):
    load(graph, [E("O", "Objective"), E("S1", "Objective"), E("S2", "Objective"), E("P", "Project", budget=100),
                 E("Q", "Project", budget=50), E("C", "Project", budget=999, status="completed")],
         [R("S1", "SUPPORTS", "O"), R("S2", "SUPPORTS", "O"), R("P", "CONTRIBUTES_TO", "S1"),
          R("P", "CONTRIBUTES_TO", "S2"), R("Q", "CONTRIBUTES_TO", "S2"), R("C", "CONTRIBUTES_TO", "O")])
    budgets = {b.objective: (b.budget, b.projects) for b in analytics.budget_by_objective(graph.index)}
    assert budgets == {"O": (150.0, 2), "S1": (100.0, 1), "S2": (150.0, 2)}


def value_graph(sample) -> nx.DiGraph:
    """The sample's value chain as networkx sees it, built from the store, cancelled entities left out."""
    vocab = vocabulary()
    chain = set(vocab.value_chain_relations)
    g = nx.DiGraph()
    records = sample.store.entity_records(sample.index.ids)
    live = {i for i, r in records.items() if r.properties.get("status") != "cancelled"}
    for i in live:
        g.add_node(i, kind=records[i].kind, status=records[i].properties.get("status", "active"),
                   budget=records[i].properties.get("budget", 0))
    for rec in sample.store.relation_records(touching=list(live), direction=Direction.OUT):
        if rec.key.type in chain and rec.key.from_id in live and rec.key.to_id in live:
            g.add_edge(rec.key.from_id, rec.key.to_id)
    return g


def test_sample_analytics_against_networkx(sample):
    g = value_graph(sample)
    strategic = {n for n, d in g.nodes(data=True) if d["kind"] in ("Objective", "Goal")}
    open_projects = [n for n, d in g.nodes(data=True) if d["kind"] == "Project" and d["status"] not in ("completed",)]
    reach = {r.project: r for r in analytics.strategic_reach(sample.index, sample.store, top=1000)}
    for p in open_projects:
        served = nx.descendants(g, p) & strategic
        if served:
            assert reach[p].objectives + reach[p].goals == len(served), p
        else:
            assert p not in reach
    budgets = {b.objective: b for b in analytics.budget_by_objective(sample.index)}
    for t in strategic:
        projects = [p for p in nx.ancestors(g, t) if p in open_projects]
        assert budgets[t].projects == len(projects) and budgets[t].budget == sum(g.nodes[p]["budget"] for p in projects)
    deliverers = {t: {w for w in nx.ancestors(g, t) if g.nodes[w]["kind"] in ("Project", "Programme")} for t in strategic}
    assert {(c.target, c.project) for c in analytics.concentration(sample.index)} == {
        (t, next(iter(ws))) for t, ws in deliverers.items() if len(ws) == 1 and g.nodes[next(iter(ws))]["kind"] == "Project"}


def test_analytics_in_graphql(sample):
    import httpx

    query = """{ analytics {
      strategicReach(top: 3) { project { id } objectives goals weightedReach }
      criticalDependencies(top: 2) { item { id } dependents affectedObjectivesAndGoals }
      dependencyCycles { id }
      concentration { target { id } project { id } }
      budgetByObjective { objective { id } budget projects } } }"""
    with serve_in_thread(sample) as url:
        body = httpx.post(f"{url}/graphql", json={"query": query}).json()
    assert "errors" not in body, body
    got = body["data"]["analytics"]
    assert [r["project"]["id"] for r in got["strategicReach"]] == \
        [r.project for r in analytics.strategic_reach(sample.index, sample.store, top=3)]
    assert got["criticalDependencies"][0] == {"item": {"id": "PRJ-35"}, "dependents": 5, "affectedObjectivesAndGoals": 7}
    assert got["dependencyCycles"] == []
    assert got["concentration"] == [{"target": {"id": "OBJ-5.1"}, "project": {"id": "PRJ-22"}}]
    assert len(got["budgetByObjective"]) == len(analytics.budget_by_objective(sample.index))


def test_analytics_from_the_shell(sample_store_path):
    import json

    from typer.testing import CliRunner

    from valuegraph.cli.main import app

    store = f"oxigraph:{sample_store_path}"
    runner = CliRunner()
    critical = json.loads(runner.invoke(app, ["analytics", "critical", "--top", "1", "--json", "--store", store]).stdout)
    assert critical == [{"item": "PRJ-35", "dependents": 5, "affected_strategy": 7}]
    assert "OBJ-5.1" in runner.invoke(app, ["analytics", "concentration", "--store", store]).stdout
    assert runner.invoke(app, ["analytics", "nonsense", "--store", store]).exit_code == 2


def test_sample_critical_dependencies_and_cycles_against_networkx(sample):
    g = value_graph(sample)
    records = sample.store.entity_records(sample.index.ids)
    depends = nx.DiGraph()
    for rec in sample.store.relation_records(touching=sample.index.ids, direction=Direction.OUT):
        if rec.key.type == "DEPENDS_ON":
            depends.add_edge(rec.key.from_id, rec.key.to_id)
    strategic = {n for n in g if g.nodes[n]["kind"] in ("Objective", "Goal")}
    expected = []
    for item in depends:
        if records[item].kind not in ("Project", "Programme", "Deliverable"):
            continue
        dependents = nx.ancestors(depends, item)
        if not dependents:
            continue
        reached = set()
        for start in {item} | dependents:
            if start in g:
                reached |= nx.descendants(g, start)
        expected.append((item, len(dependents), len(reached & strategic)))
    expected.sort(key=lambda c: (-c[2], -c[1], c[0]))
    got = [(c.item, c.dependents, c.affected_strategy) for c in analytics.critical_dependencies(sample.index, top=100)]
    assert got == expected
    assert analytics.dependency_cycles(sample.index) == sorted(
        c[c.index(min(c)):] + c[:c.index(min(c))] for c in nx.simple_cycles(depends)) == []
