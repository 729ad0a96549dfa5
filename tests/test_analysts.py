"""Analysts: the SPARQL endpoint, exports for networkx and pandas tools, and the analyst scope."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile

import httpx
import networkx as nx
import pytest
from SPARQLWrapper import JSON, SPARQLWrapper
from typer.testing import CliRunner

from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.cli.main import app
from valuegraph.graph import ValueGraph
from valuegraph.graph.analytics import to_networkx
from tests.conftest import ROOT
from tests.test_rdf import answers, without_sources
from tests.utils.fingerprint import fingerprint
from tests.utils.server import serve_in_thread
from valuegraph.graph.questions import Questions

KEYS = {"analyst": "analyst-key-0000000001", "reader": "reader-key-0000000001"}


@pytest.fixture
def served(sample):
    keys = [ApiKeyConfig(name="analyst", hash=hash_key(KEYS["analyst"]), scopes=["analyst"]),
            ApiKeyConfig(name="reader", hash=hash_key(KEYS["reader"]), scopes=["read"])]
    with serve_in_thread(sample, api_keys=keys, sparql_timeout_seconds=1.0, sparql_max_rows=50) as url:
        yield url, sample


def headers(name="analyst", **extra):
    return {"Authorization": f"Bearer {KEYS[name]}", **extra}


def select(url, query, name="analyst") -> list[dict]:
    response = httpx.get(f"{url}/api/v1/sparql", params={"query": query}, headers=headers(name), timeout=30)
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def readme_sparql() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### SPARQL"):text.index("### Exports and networkx")]
    return re.findall(r"```sparql\n(.*?)```", section, re.DOTALL)


def local(iri: str) -> str:
    return iri.rsplit("/", 1)[1]


def test_readme_sparql_answers_as_graphql_does(served):
    url, graph = served
    delivers, why, orphans, dependents, provenance = readme_sparql()
    gql = lambda q: httpx.post(f"{url}/graphql", json={"query": q}, headers=headers("analyst")).json()
    assert gql("{ alignment { alignedBudgetShare } }")["errors"][0]["message"] == "this API key lacks the read scope"
    with serve_in_thread(graph) as open_url:  # the GraphQL answers, from a server without keys
        ask = lambda q: httpx.post(f"{open_url}/graphql", json={"query": q}).json()["data"]
        want_delivers = sorted(e["node"]["item"]["id"] for e in ask(
            '{ whatDelivers(target: "OBJ-1", first: 500) { edges { node { item { id } } } } }')["whatDelivers"]["edges"])
        want_why = sorted(c["target"]["id"] for c in ask('{ whyExists(item: "PRJ-05") { target { id } } }')["whyExists"])
        want_orphans = [e["id"] for e in ask("{ alignment { orphans { id } } }")["alignment"]["orphans"]]
        want_dependents = sorted(e["id"] for e in ask('{ impact(item: "PRJ-35") { dependents { id } } }')["impact"]["dependents"])
    assert sorted(local(r["item"]) for r in select(url, delivers)) == want_delivers
    assert sorted(local(r["target"]) for r in select(url, why)) == want_why
    assert [local(r["project"]) for r in select(url, orphans)] == want_orphans
    assert sorted(local(r["dependent"]) for r in select(url, dependents)) == want_dependents
    assert select(url, provenance) == [{"source": "ppm-tool", "title": "PMO Director"},
                                       {"source": "strategy-office", "title": "Head of PMO"}]


def test_result_formats(served):
    url, _ = served
    query = "SELECT ?g ?name WHERE { ?g a vg:Goal ; vg:name ?name } ORDER BY ?g LIMIT 2"
    csv_text = httpx.get(f"{url}/api/v1/sparql", params={"query": query}, headers=headers(Accept="text/csv")).text
    assert csv_text.splitlines()[0] == "g,name" and csv_text.splitlines()[1].startswith("https://valuegraph.dev/id/G-1,")
    tsv = httpx.get(f"{url}/api/v1/sparql", params={"query": query},
                    headers=headers(Accept="text/tab-separated-values"))
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    assert tsv.text.splitlines()[1].startswith("<https://valuegraph.dev/id/G-1>\t\"")
    construct = httpx.post(f"{url}/api/v1/sparql", content="CONSTRUCT { ?p vg:name ?n } WHERE { ?p a vg:Goal ; vg:name ?n }",
                           headers=headers(**{"Content-Type": "application/sparql-query", "Accept": "text/turtle"}))
    assert construct.headers["content-type"].startswith("text/turtle") and "id:G-1" in construct.text
    ask = httpx.post(f"{url}/api/v1/sparql", data={"query": "ASK { id:PRJ-05 vg:dependsOn id:PRJ-03 }"}, headers=headers())
    assert ask.json() == {"head": {}, "boolean": True}
    capped = httpx.get(f"{url}/api/v1/sparql", params={"query": "SELECT ?s WHERE { ?s a vg:Entity } "}, headers=headers())
    assert capped.status_code == 200
    many = httpx.get(f"{url}/api/v1/sparql", params={"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"}, headers=headers())
    assert len(many.json()["results"]["bindings"]) == 50 and many.headers["x-valuegraph-truncated"] == "true"


def test_updates_are_refused_before_they_run(served):
    url, graph = served
    before = fingerprint(graph)
    update = 'INSERT DATA { GRAPH <https://valuegraph.dev/source/x> { id:X a vg:Project ; vg:name "x" } }'
    responses = [
        httpx.get(f"{url}/api/v1/sparql", params={"query": update}, headers=headers()),
        httpx.get(f"{url}/api/v1/sparql", params={"update": update}, headers=headers()),
        httpx.post(f"{url}/api/v1/sparql", data={"update": update}, headers=headers()),
        httpx.post(f"{url}/api/v1/sparql", content=update, headers=headers(**{"Content-Type": "application/sparql-update"})),
        httpx.post(f"{url}/api/v1/sparql", data={"query": "DELETE WHERE { ?s ?p ?o }"}, headers=headers()),
    ]
    assert [r.status_code for r in responses] == [400] * 5
    assert "only queries are allowed" in responses[0].json()["detail"]
    assert fingerprint(graph) == before
    # words inside strings and IRIs are not operations
    assert select(url, 'SELECT ?n WHERE { ?p vg:name ?n FILTER(CONTAINS(?n, "delete")) }') == []


def test_a_slow_query_is_cut_at_the_timeout(served):
    url, _ = served
    # about 3 s of work in constant memory: the store finishes it after the response is cut
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p1 ?x . ?b ?p2 ?y . ?c a vg:Objective }"
    response = httpx.get(f"{url}/api/v1/sparql", params={"query": slow}, headers=headers(), timeout=60)
    assert response.status_code == 400 and "longer than 1 s" in response.json()["detail"]


def test_a_standard_sparql_client_round_trip(served):
    url, _ = served
    client = SPARQLWrapper(f"{url}/api/v1/sparql")
    client.addCustomHttpHeader("Authorization", f"Bearer {KEYS['analyst']}")
    client.setQuery("PREFIX vg: <https://valuegraph.dev/ns#> SELECT ?g ?name WHERE { ?g a vg:Goal ; vg:name ?name } ORDER BY ?g")
    client.setReturnFormat(JSON)
    result = client.query().convert()
    assert result["results"]["bindings"][0]["name"]["value"] == "Be the most trusted energy supplier in the region"
    assert len(result["results"]["bindings"]) == 4


def test_sparql_from_the_shell(sample_store_path):
    result = CliRunner().invoke(app, ["sparql", "SELECT ?g WHERE { ?g a vg:Goal } ORDER BY ?g", "--json",
                                      "--store", f"oxigraph:{sample_store_path}"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["results"]["bindings"]) == 4


def test_graphml_and_node_link_load_in_networkx_as_the_store_holds(served, tmp_path):
    url, graph = served
    stats = Questions(graph).stats().as_dict()
    n_entities, n_relations = sum(stats["entities"].values()), sum(stats["relations"].values())
    graphml = httpx.get(f"{url}/api/v1/export/graphml", headers=headers())
    g1 = nx.read_graphml(io.BytesIO(graphml.content), edge_key_type=str, force_multigraph=True)
    nodelink = httpx.get(f"{url}/api/v1/export/nodelink", headers=headers())
    g2 = nx.node_link_graph(nodelink.json(), edges="links")
    for g in (g1, g2):
        assert (g.number_of_nodes(), g.number_of_edges()) == (n_entities, n_relations)
        prj = g.nodes["PRJ-05"]
        assert (prj["kind"], prj["name"], prj["budget"], prj["startDate"], prj["sources"]) == (
            "Project", "Estimated billing elimination", 1400000, "2025-11-03", "ppm-tool")
        edge = g.get_edge_data("PRJ-05", "KR-6")
        assert edge["CONTRIBUTES_TO"]["weight"] == 0.7 and edge["CONTRIBUTES_TO"]["type"] == "CONTRIBUTES_TO"
    mine = to_networkx(graph)
    assert set(mine.edges(keys=True)) == set(g2.edges(keys=True)) == set(g1.edges(keys=True))
    assert dict(mine.nodes(data=True)) == dict(g2.nodes(data=True))
    assert set(to_networkx((url, KEYS["analyst"])).nodes) == set(g2.nodes)


def test_csv_export_loads_back_with_the_same_answers(served, tmp_path, sample_store_path):
    url, _ = served
    archive = httpx.get(f"{url}/api/v1/export/csv", headers=headers())
    folder = tmp_path / "csv"
    zipfile.ZipFile(io.BytesIO(archive.content)).extractall(folder)
    assert {p.name for p in folder.iterdir()} >= {"Project.csv", "Objective.csv", "relations.csv"}
    copy = f"oxigraph:{tmp_path / 'copy'}"
    assert CliRunner().invoke(app, ["load", str(folder), "--source", "csv", "--store", copy]).exit_code == 0
    original = tmp_path / "original"
    shutil.copytree(sample_store_path, original)
    assert without_sources(answers(copy)) == without_sources(answers(f"oxigraph:{original}"))


def test_analyst_endpoints_need_the_analyst_scope(served):
    url, _ = served
    for path in ("/api/v1/sparql?query=ASK%7B%7D", "/api/v1/export/nodelink", "/api/v1/export/csv"):
        assert httpx.get(url + path, headers=headers("reader")).status_code == 403, path
        assert httpx.get(url + path, headers=headers("analyst")).status_code == 200, path
    assert httpx.post(f"{url}/api/v1/cypher", json={"query": "RETURN 1"}, headers=headers("reader")).status_code == 403
    assert httpx.post(f"{url}/api/v1/cypher", json={"query": "RETURN 1"}, headers=headers()).status_code == 501


def test_sparql_on_neo4j_is_501():
    from tests.conftest import neo4j_store

    graph = ValueGraph(neo4j_store())
    with serve_in_thread(graph) as url:
        response = httpx.get(f"{url}/api/v1/sparql", params={"query": "ASK {}"})
    graph.close()
    assert response.status_code == 501 and "neo4j store does not answer SPARQL" in response.json()["detail"]
