"""`valuegraph serve` driven by a real GraphQL client through every core query; the answers
equal the traversal engine's."""

from __future__ import annotations

import shutil

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport

from valuegraph.graph import ValueGraph, open_store
from tests.utils.factories import E, R, load
from tests.utils.server import serve_process
from valuegraph.graph.questions import Questions
from tests.utils.answers import traced


def client(url: str) -> Client:
    # the schema is fetched by introspection, so every query is validated against the live schema
    return Client(transport=HTTPXTransport(url=url + "/graphql", timeout=30), fetch_schema_from_transport=True)


@pytest.fixture(scope="module")
def live(tmp_path_factory, sample_store_path):
    """The sample portfolio served by a separate process, and the same data opened in-process."""
    base = tmp_path_factory.mktemp("live")
    shutil.copytree(sample_store_path, base / "served")
    shutil.copytree(sample_store_path, base / "local")
    graph = ValueGraph(open_store(f"oxigraph:{base / 'local'}"))
    with serve_process(f"oxigraph:{base / 'served'}") as url, client(url) as session:
        yield session, graph
    graph.close()


def ask(session, request: GraphQLRequest, variables: dict) -> dict:
    return session.execute(GraphQLRequest(request, variable_values=variables))


def ids_of(kind_names, graph):
    index = graph.index
    return sorted(i for i in index.ids if index.kind_of(i) in kind_names)


WHAT_DELIVERS = gql("""
query($target: ID!, $kinds: [Kind!], $includeCancelled: Boolean, $first: Int, $after: String) {
  whatDelivers(target: $target, kinds: $kinds, includeCancelled: $includeCancelled, first: $first, after: $after) {
    totalCount
    edges { cursor node { item { id kind name } paths(limit: 2) { length nodes { id } relations { type from { id } to { id } } } } }
    pageInfo { hasNextPage endCursor }
  }
}""")


def test_what_delivers_every_objective_and_goal(live):
    session, graph = live
    for target in ids_of({"Objective", "Goal", "KeyResult"}, graph):
        for include in (False, True):
            got = ask(session, WHAT_DELIVERS, {"target": target, "includeCancelled": include,
                                                                   "first": 500})["whatDelivers"]
            want = Questions(graph).what_delivers(target, include_cancelled=include).hits
            assert [e["node"]["item"]["id"] for e in got["edges"]] == [h.entity.id for h in want], target
            assert got["totalCount"] == len(want)
            for edge in got["edges"]:
                item = edge["node"]["item"]["id"]
                expected = traced(graph, item, target, limit=2, include_cancelled=include)
                assert [[n["id"] for n in p["nodes"]] for p in edge["node"]["paths"]] == \
                       [[n.id for n in p.nodes] for p in expected]


def test_what_delivers_pages_visit_each_item_once(live):
    session, graph = live
    want = [h.entity.id for h in Questions(graph).what_delivers("G-1", kinds=["Project", "Programme", "Deliverable"]).hits]
    seen, after = [], None
    while True:
        page = ask(session, WHAT_DELIVERS, {
            "target": "G-1", "kinds": ["PROJECT", "PROGRAMME", "DELIVERABLE"], "first": 4, "after": after,
        })["whatDelivers"]
        assert page["totalCount"] == len(want)
        seen += [e["node"]["item"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == want


def test_why_exists_every_project(live):
    session, graph = live
    query = gql("query($item: ID!) { whyExists(item: $item) { target { id kind } paths { length } } }")
    for item in ids_of({"Project", "Programme", "Deliverable"}, graph):
        got = ask(session, query, {"item": item})["whyExists"]
        want = Questions(graph).why_exists(item)
        assert [c["target"]["id"] for c in got] == [h.entity.id for h in want], item
        assert [c["paths"][0]["length"] for c in got] == [h.distance for h in want]


def test_trace(live):
    session, graph = live
    query = gql("""query($from: ID!, $to: ID!, $limit: Int) {
      trace(from: $from, to: $to, limit: $limit) { length nodes { id } relations { type weight sources } } }""")
    for source, target in [("PRJ-05", "G-1"), ("PRJ-21", "SEG-HEAT"), ("PRJ-03", "OBJ-1"), ("G-1", "PRJ-05")]:
        got = ask(session, query, {"from": source, "to": target, "limit": 5})["trace"]
        want = traced(graph, source, target, limit=5)
        assert [[n["id"] for n in p["nodes"]] for p in got] == [[n.id for n in p.nodes] for p in want]
        assert [[(r["type"], r["weight"], r["sources"]) for r in p["relations"]] for p in got] == [
            [(r.key.type, r.properties.get("weight"), r.sources) for r in p.relations] for p in want]


def test_alignment(live):
    session, graph = live
    got = session.execute(gql("""{ alignment { orphans { id kind } unsupported { id } alignedBudgetShare } }"""))
    want = Questions(graph).alignment()
    assert [e["id"] for e in got["alignment"]["orphans"]] == [e.id for e in want.orphans]
    assert [e["id"] for e in got["alignment"]["unsupported"]] == [e.id for e in want.unsupported]
    assert got["alignment"]["alignedBudgetShare"] == pytest.approx(want.aligned_budget_share)


def test_impact_every_work_item(live):
    session, graph = live
    query = gql("query($item: ID!) { impact(item: $item) { dependents { id } affected { id } } }")
    for item in ids_of({"Project", "Programme", "Deliverable"}, graph):
        got = ask(session, query, {"item": item})["impact"]
        want = Questions(graph).impact(item)
        assert [e["id"] for e in got["dependents"]] == [h.entity.id for h in want.dependents], item
        assert [e["id"] for e in got["affected"]] == [h.entity.id for h in want.affected], item


def test_entity_and_its_relations(live):
    session, graph = live
    query = gql("""query($id: ID!) { entity(id: $id) { id kind name sources properties
        out: relations { type to { id } weight sources }
        inn: relations(direction: IN, types: [MANAGES, PART_OF]) { type from { id } } } }""")
    got = ask(session, query, {"id": "PRJ-05"})["entity"]
    record = graph.entity("PRJ-05")
    assert (got["id"], got["kind"], got["name"], got["sources"]) == ("PRJ-05", "PROJECT", record.name, record.sources)
    assert got["properties"]["budget"] == record.properties["budget"]
    assert got["properties"]["startDate"] == record.properties["startDate"].isoformat()
    assert {(r["type"], r["to"]["id"]) for r in got["out"]} == {
        ("PART_OF", "PG-SMART"), ("CONTRIBUTES_TO", "KR-6"), ("DEPENDS_ON", "PRJ-03")}
    assert got["inn"] == []
    programme = ask(session, query, {"id": "PG-SMART"})["entity"]
    assert {r["from"]["id"] for r in programme["inn"] if r["type"] == "PART_OF"} == {
        "PRJ-01", "PRJ-02", "PRJ-03", "PRJ-04", "PRJ-05", "PRJ-06"}
    assert ask(session, query, {"id": "nope"})["entity"] is None


def test_entities_walk_every_page_of_every_kind(live):
    session, graph = live
    query = gql("""query($kind: Kind, $after: String) {
      entities(kind: $kind, first: 7, after: $after) { totalCount edges { cursor node { id kind } } pageInfo { hasNextPage endCursor } } }""")
    for kind in graph.index.kind_names:
        enum = kind[0] + "".join(f"_{c}" if c.isupper() else c.upper() for c in kind[1:])
        seen, after = [], None
        while True:
            page = ask(session, query, {"kind": enum, "after": after})["entities"]
            seen += [e["node"]["id"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == ids_of({kind}, graph)
        assert page["totalCount"] == len(seen)


def test_entities_search_and_filters(live):
    session, graph = live
    got = session.execute(gql("""{ entities(search: "DEPOT") { edges { node { id } } } }"""))["entities"]
    assert [e["node"]["id"] for e in got["edges"]] == ["DEL-15", "DEL-19", "PRJ-15", "PRJ-20"]
    red = session.execute(gql("""{ entities(kind: PROJECT, health: [RED]) { edges { node { id ... on Project { health } } } } }"""))
    assert {e["node"]["id"] for e in red["entities"]["edges"]} == {"PRJ-03", "PRJ-21"}
    held = session.execute(gql("""{ entities(status: [ON_HOLD, PROPOSED]) { totalCount } }"""))
    assert held["entities"]["totalCount"] == sum(
        graph.index.status_of(i) in ("on_hold", "proposed") for i in graph.index.ids) == 4


def test_typed_objects_read_naturally(live):
    session, _ = live
    got = session.execute(gql("""{
      project: entity(id: "PRJ-05") { ... on Project { status health budget startDate progress
        programme { id portfolio { id } projects { id } } manager { name } contributesTo { id } dependsOn { id } } }
      objective: entity(id: "OBJ-2") { ... on Objective { keyResults { id progress } supports { id }
        deliveredBy(first: 2) { totalCount edges { node { item { id } } } }
        delivery { projects programmes byHealth { green amber red unknown } budget actualCost keyResults keyResultProgress } } }
      goal: entity(id: "G-2") { ... on Goal { objectives { id } } }
      benefit: entity(id: "BEN-2") { ... on Benefit { customerSegments { id } realisedBy { id } } }
      person: entity(id: "P-marco") { ... on Person { manages { id } memberOf { id } } }
    }"""))
    p = got["project"]
    assert (p["status"], p["health"], p["budget"], p["startDate"], p["progress"]) == ("ACTIVE", "GREEN", 1400000.0, "2025-11-03", 0.35)
    assert p["programme"]["id"] == "PG-SMART" and p["programme"]["portfolio"]["id"] == "PF-OPS"
    assert len(p["programme"]["projects"]) == 6
    assert p["manager"] is None and p["contributesTo"] == [{"id": "KR-6"}] and p["dependsOn"] == [{"id": "PRJ-03"}]
    o = got["objective"]
    assert {k["id"] for k in o["keyResults"]} == {"KR-5", "KR-6"}
    kr5 = next(k for k in o["keyResults"] if k["id"] == "KR-5")
    assert kr5["progress"] == pytest.approx((71 - 54) / (95 - 54))
    assert o["deliveredBy"]["totalCount"] == 7 and len(o["deliveredBy"]["edges"]) == 2  # PG-SMART, PRJ-01..06
    d = o["delivery"]
    assert (d["projects"], d["programmes"]) == (6, 1)
    assert d["byHealth"] == {"green": 3, "amber": 2, "red": 1, "unknown": 0}
    assert d["budget"] == 1_200_000 + 4_800_000 + 3_600_000 + 2_200_000 + 1_400_000 + 950_000
    assert d["actualCost"] == 1_150_000 + 3_100_000 + 2_900_000 + 600_000 + 500_000 + 420_000
    assert d["keyResults"] == 2
    assert d["keyResultProgress"] == pytest.approx(((71 - 54) / 41 + (30500 - 42000) / (5000 - 42000)) / 2)
    assert {x["id"] for x in got["goal"]["objectives"]} == {"OBJ-2", "OBJ-3", "OBJ-4", "OBJ-5", "OBJ-7"}
    assert {x["id"] for x in got["benefit"]["customerSegments"]} == {"SEG-HOME", "SEG-VULN"}
    assert {x["id"] for x in got["person"]["manages"]} == {"PRJ-02", "PRJ-04"}


def test_unknown_ids_are_user_errors(live):
    session, _ = live
    with pytest.raises(TransportQueryError) as info:
        session.execute(gql('{ whatDelivers(target: "NOPE") { totalCount } }'))
    assert info.value.errors[0]["message"] == "no entity with id 'NOPE'"


@pytest.fixture(scope="module")
def edge_cases(tmp_path_factory):
    path = tmp_path_factory.mktemp("edges") / "store"
    with ValueGraph(open_store(f"oxigraph:{path}")) as graph:
        load(graph, [
            E("G", "Goal"), E("O", "Objective"), E("PG", "Programme", status="cancelled"),
            E("P 1/ü", "Project", budget=10), E("P2", "Project", status="completed", budget=5), E("P3", "Project"),
        ], [R("O", "SUPPORTS", "G"), R("P 1/ü", "PART_OF", "PG"), R("PG", "CONTRIBUTES_TO", "O"),
            R("P2", "CONTRIBUTES_TO", "O", weight=0.5), R("P3", "DEPENDS_ON", "P2")])
    with serve_process(f"oxigraph:{path}") as url, client(url) as session:
        yield session


def test_edge_cases_cancelled_intermediates_and_weird_ids(edge_cases):
    session = edge_cases
    plain = ask(session, WHAT_DELIVERS, {"target": "G"})["whatDelivers"]
    assert [e["node"]["item"]["id"] for e in plain["edges"]] == ["P2"]
    wide = ask(session, WHAT_DELIVERS, {"target": "G", "includeCancelled": True})["whatDelivers"]
    assert [e["node"]["item"]["id"] for e in wide["edges"]] == ["P2", "PG", "P 1/ü"]
    assert wide["edges"][2]["node"]["paths"][0]["length"] == 3
    alignment = session.execute(gql("{ alignment { orphans { id } unsupported { id } alignedBudgetShare } }"))["alignment"]
    assert [e["id"] for e in alignment["orphans"]] == ["P 1/ü", "P3"]
    assert alignment["unsupported"] == [] and alignment["alignedBudgetShare"] == 0.0
    impact = session.execute(gql('{ impact(item: "P2") { dependents { id } affected { id } } }'))["impact"]
    assert impact == {"dependents": [{"id": "P3"}], "affected": [{"id": "O"}, {"id": "G"}]}
    weird = session.execute(gql('{ entity(id: "P 1/ü") { id ... on Project { programme { id status } } } }'))
    assert weird["entity"] == {"id": "P 1/ü", "programme": {"id": "PG", "status": "CANCELLED"}}


def test_sync_mutation_through_the_client(edge_cases):
    session = edge_cases
    mutation = gql("""mutation($doc: JSON!, $mode: SyncMode) {
      sync(source: "client", document: $doc, mode: $mode) { created updated retracted unchanged errors { location message } } }""")
    doc = {"entities": [{"id": "NEW", "kind": "Project", "name": "New"}],
           "relations": [{"from": "NEW", "type": "CONTRIBUTES_TO", "to": "O"}]}

    def delivering_o() -> list[str]:  # answers are kept between requests: each write must show at once
        return [e["node"]["item"]["id"] for e in ask(session, WHAT_DELIVERS, {"target": "O"})["whatDelivers"]["edges"]]

    assert "NEW" not in delivering_o()
    report = ask(session, mutation, {"doc": doc, "mode": "MERGE"})["sync"]
    assert report == {"created": 2, "updated": 0, "retracted": 0, "unchanged": 0, "errors": []}
    assert "NEW" in delivering_o()
    bad = ask(session, mutation, {"doc": {"entities": [{"id": "NEW", "kind": "Goal", "name": "x"}]}, "mode": "FULL"})
    assert bad["sync"]["errors"][0]["location"] == "document: entities[0].kind"
    retract = ask(session, mutation, {"doc": {"entities": []}, "mode": "FULL"})["sync"]
    assert retract["retracted"] == 2
    assert "NEW" not in delivering_o()
