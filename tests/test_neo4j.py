"""Neo4j: the same answers as the embedded store, read-only Cypher, and what happens when the server goes away."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import neo4j
import pytest

from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph import neo4j as neo4j_module
from valuegraph.loaders import loader_for
from valuegraph.schema import neo4j_statements
from tests.conftest import EXAMPLES, NEO4J_AUTH, NEO4J_URL, ROOT, neo4j_store
from tests.utils.server import free_port, serve_in_thread, wait_until_up
from valuegraph.graph.questions import Questions

SCRIPT = ROOT / "deploy" / "neo4j" / "neo4j.sh"


@pytest.fixture
def neo4j_sample():
    graph = ValueGraph(neo4j_store())
    for doc in loader_for(EXAMPLES / "strategy.yaml").documents():
        graph.sync(doc)
    for doc in loader_for(EXAMPLES / "ppm").documents():
        graph.sync(doc, "ppm-tool")
    yield graph
    graph.close()


def test_the_server_is_neo4j_5_26(neo4j_sample):
    _columns, rows, _ = neo4j_sample.store.cypher("CALL dbms.components() YIELD name, versions, edition "
                                                 "RETURN name, versions[0], edition")
    name, version, edition = rows[0]
    assert name == "Neo4j Kernel" and version.startswith("5.26.") and edition == "community"


def test_opening_writes_only_the_schema_that_is_missing(monkeypatch):
    neo4j_store().close()  # the whole schema is there
    with neo4j.GraphDatabase.driver(NEO4J_URL, auth=(NEO4J_AUTH["user"], NEO4J_AUTH["password"])) as driver:
        driver.execute_query("DROP INDEX valuegraph_entity_kind")
        writes: list[bool] = []
        run = neo4j_module.Neo4jStore._run
        monkeypatch.setattr(neo4j_module.Neo4jStore, "_run",
                            lambda self, work, write=False, **kw: writes.append(write) or run(self, work, write, **kw))
        open_store(NEO4J_URL, **NEO4J_AUTH).close()
        assert writes.count(True) == 1  # the dropped index, made again
        names = {r["name"] for r in driver.execute_query("SHOW INDEXES YIELD name").records}
        assert set(neo4j_statements()) <= names
        writes.clear()
        open_store(NEO4J_URL, **NEO4J_AUTH).close()
        assert writes and True not in writes  # all there: opening reads, and writes nothing


def core_questions(graph: ValueGraph) -> list[str]:
    index = graph.index
    strategy = sorted(i for i in index.ids if index.kind_of(i) in ("Objective", "Goal", "KeyResult"))
    work = sorted(i for i in index.ids if index.kind_of(i) in ("Project", "Programme"))
    queries = ["{ alignment { orphans { id name } unsupported { id } alignedBudgetShare } }"]
    queries += [f'{{ whatDelivers(target: "{t}", includeCancelled: true, first: 500) {{ totalCount edges {{ cursor node {{ '
                f'item {{ id kind name sources }} paths(limit: 3) {{ length nodes {{ id }} relations {{ type weight sources }} }} }} }} }} }}'
                for t in strategy]
    queries += [f'{{ whyExists(item: "{w}") {{ target {{ id }} paths {{ length }} }} '
                f'impact(item: "{w}") {{ dependents {{ id }} affected {{ id }} }} '
                f'entity(id: "{w}") {{ id kind name sources properties relations(direction: BOTH) {{ type from {{ id }} to {{ id }} weight sources }} '
                f'... on Project {{ status health budget startDate programme {{ id }} manager {{ name }} contributesTo {{ id }} }} }} }}'
                for w in work]
    queries.append('{ trace(from: "PRJ-21", to: "SEG-HEAT", limit: 5) { length nodes { id } } '
                   'entities(kind: PERSON, first: 100) { totalCount edges { cursor node { id name sources properties } } } '
                   'obj: entity(id: "OBJ-2") { ... on Objective { delivery { projects budget byHealth { green amber red } keyResultProgress } } } }')
    return queries


def test_records_asked_in_many_statements_are_the_records_asked_in_one(neo4j_sample, monkeypatch):
    store = neo4j_sample.store
    ids = sorted(neo4j_sample.index.ids)
    keys = [r.key for r in store.relation_records(touching=ids)]
    entities, relations = store.entity_records(ids), store.relation_records(keys, touching=ids[:7])
    assert len(entities) == len(ids) > 10 and len(keys) > 10
    monkeypatch.setattr(neo4j_module, "GATHERED_PER_STATEMENT", 3)  # every ask now takes several statements
    assert store.entity_records(ids) == entities
    assert sorted(r.key for r in store.relation_records(keys, touching=ids[:7])) == sorted(r.key for r in relations)
    assert {r.key: dict(r.assertions) for r in store.relation_records(keys)} == {r.key: dict(r.assertions)
                                                                                 for r in relations}


def test_every_core_question_answers_the_same_on_neo4j(neo4j_sample, sample):
    questions = core_questions(sample)
    assert len(questions) > 40
    with serve_in_thread(neo4j_sample) as on_neo4j, serve_in_thread(sample) as embedded:
        for query in questions:
            a = httpx.post(f"{on_neo4j}/graphql", json={"query": query}, timeout=30).json()
            b = httpx.post(f"{embedded}/graphql", json={"query": query}, timeout=30).json()
            assert "errors" not in a, a
            for answer in (a, b):  # relations of an entity are listed in no promised order
                entity = answer["data"].get("entity")
                if entity:
                    entity["relations"].sort(key=json.dumps)
            assert a == b, query


KEYS = {"analyst": ("analyst-key-000000001", ["analyst"]), "reader": ("reader-key-000000001", ["read"])}


@pytest.fixture
def cypher_server(neo4j_sample):
    keys = [ApiKeyConfig(name=n, hash=hash_key(k), scopes=s) for n, (k, s) in KEYS.items()]
    with serve_in_thread(neo4j_sample, api_keys=keys, cypher_timeout_seconds=1.0, cypher_max_rows=10) as url:
        yield url, neo4j_sample


def cypher(url, query, key="analyst", parameters=None):
    return httpx.post(f"{url}/api/v1/cypher", json={"query": query, "parameters": parameters or {}},
                      headers={"Authorization": f"Bearer {KEYS[key][0]}"}, timeout=30)


def test_cypher_answers_rows_as_json(cypher_server):
    url, _ = cypher_server
    response = cypher(url, "MATCH (p:Project)-[:PART_OF]->(g:Programme {id: $pg}) RETURN p.id AS id, p.budget AS budget "
                           "ORDER BY id", parameters={"pg": "PG-SMART"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["columns"] == ["id", "budget"] and body["truncated"] is False
    assert [r[0] for r in body["rows"]] == ["PRJ-01", "PRJ-02", "PRJ-03", "PRJ-04", "PRJ-05", "PRJ-06"]
    node = cypher(url, "MATCH (p:Project {id: 'PRJ-05'}) RETURN p").json()["rows"][0][0]
    assert node["labels"] == ["Entity", "Project"] and node["startDate"] == "2025-11-03" and "_assertions" not in node


def test_cypher_row_cap_and_timeout(cypher_server):
    url, _ = cypher_server
    capped = cypher(url, "MATCH (n:Entity) RETURN n.id").json()
    assert len(capped["rows"]) == 10 and capped["truncated"] is True
    slow = cypher(url, "UNWIND range(1, 1000000000) AS x WITH x WHERE x % 7 = 0 RETURN count(x)")
    assert slow.status_code == 400 and "timeout" in slow.json()["detail"].lower()


def test_cypher_writes_are_refused_before_reaching_the_database(cypher_server):
    url, graph = cypher_server
    calls = graph.store.calls
    for query in ("CREATE (n:Project {id: 'X'})", "MATCH (n) DETACH DELETE n", "MATCH (n:Project) SET n.budget = 0",
                  "MERGE (n:Goal {id: 'G'}) RETURN n", "MATCH (n) CALL (n) { SET n.x = 1 } IN TRANSACTIONS"):
        response = cypher(url, query)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("only reading queries are allowed; this one uses ")
    assert graph.store.calls == calls
    fine = cypher(url, "MATCH (n:Project) WHERE n.name CONTAINS 'set' OR n.`create` IS NULL RETURN count(n) AS c")
    assert fine.status_code == 200


def test_cypher_needs_the_analyst_scope(cypher_server):
    url, _ = cypher_server
    assert cypher(url, "RETURN 1", key="reader").status_code == 403
    assert httpx.post(f"{url}/api/v1/cypher", json={"query": "RETURN 1"}).status_code == 401


def test_cypher_on_an_embedded_store_is_501(sample):
    with serve_in_thread(sample) as url:
        response = httpx.post(f"{url}/api/v1/cypher", json={"query": "RETURN 1"})
    assert response.status_code == 501 and "oxigraph store does not answer Cypher" in response.json()["detail"]


def test_cypher_from_the_shell(neo4j_sample):
    from typer.testing import CliRunner

    from valuegraph.cli.main import app

    runner = CliRunner(env={"VALUEGRAPH_NEO4J_PASSWORD": NEO4J_AUTH["password"]})
    result = runner.invoke(app, ["cypher", "MATCH (g:Goal) RETURN g.id AS id ORDER BY id", "--json", "--store", NEO4J_URL])
    assert result.exit_code == 0, result.output
    assert [r[0] for r in json.loads(result.stdout)["rows"]] == ["G-1", "G-2", "G-3", "G-4"]
    refused = runner.invoke(app, ["cypher", "MATCH (g) DELETE g", "--store", NEO4J_URL])
    assert refused.exit_code == 1 and "only reading queries are allowed" in refused.output


def serve(store: str):
    port = free_port()
    env = {**os.environ, "VALUEGRAPH_LOG_JSON": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "valuegraph.cli", "serve", "--store", store, "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    return proc, f"http://127.0.0.1:{port}"


def test_serve_says_so_when_neo4j_is_down_at_start():
    proc, url = serve(f"bolt://127.0.0.1:{free_port()}")
    try:
        wait_until_up(url)
        ready = httpx.get(f"{url}/readyz", timeout=30)
        assert ready.status_code == 503 and "does not answer" in ready.json()["detail"]
        query = httpx.post(f"{url}/graphql", json={"query": "{ alignment { alignedBudgetShare } }"}, timeout=30)
        assert query.status_code == 503 and "does not answer" in query.json()["errors"][0]["message"]
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    assert "serving anyway" in output


@pytest.mark.slow
def test_requests_get_503_while_neo4j_is_down_and_recover_when_it_returns(neo4j_sample):
    proc, url = serve(NEO4J_URL)
    question = {"query": '{ whatDelivers(target: "OBJ-1") { totalCount } }'}
    try:  # the server is stopped whatever fails, Neo4j's own restart included
        try:
            wait_until_up(url)
            assert httpx.get(f"{url}/readyz").status_code == 200
            assert httpx.post(f"{url}/graphql", json=question).json()["data"]["whatDelivers"]["totalCount"] == 10
            subprocess.run([str(SCRIPT), "stop"], check=True, capture_output=True)
            # records read before the outage are answered from the record cache; what needs the store is a 503
            unread = {"query": "{ alignment { orphans { id name } unsupported { id name } } }"}
            down = httpx.post(f"{url}/graphql", json=unread, timeout=30)
            assert down.status_code == 503 and "does not answer" in down.json()["errors"][0]["message"]
            assert httpx.get(f"{url}/readyz", timeout=30).status_code == 503
            sync = httpx.post(f"{url}/api/v1/sync/x", json={"entities": []}, timeout=30)
            assert sync.status_code == 503 and "does not answer" in sync.json()["detail"]
        finally:
            subprocess.run([str(SCRIPT), "start"], check=True, capture_output=True)
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/readyz", timeout=30).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        back = httpx.post(f"{url}/graphql", json=question, timeout=30)
        assert back.status_code == 200 and back.json()["data"]["whatDelivers"]["totalCount"] == 10
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_readme_cypher_examples_match_valuegraph(neo4j_sample):
    import re

    blocks = re.findall(r"```cypher\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 6
    answers = [[tuple(r) for r in neo4j_sample.store.cypher(b, max_rows=10_000)[1]] for b in blocks]
    delivers, why, orphans, unsupported, dependents, provenance = answers
    g = neo4j_sample
    assert [(i, d) for i, _, d in delivers] == [(h.entity.id, h.distance) for h in Questions(g).what_delivers("OBJ-1").hits]
    assert [(i, d) for i, _, d in why] == [(h.entity.id, h.distance) for h in Questions(g).why_exists("PRJ-05")]
    alignment = Questions(g).alignment()
    assert [r[0] for r in orphans] == [e.id for e in alignment.orphans]
    assert [r[0] for r in unsupported] == [e.id for e in alignment.unsupported]
    assert dependents == [(h.entity.id, h.distance) for h in Questions(g).impact("PRJ-35").dependents]
    assert provenance == [("PMO Director", ["ppm-tool", "strategy-office"])]


def test_a_process_plans_on_what_another_process_wrote():
    from tests.utils.factories import E, R, document

    first, second = ValueGraph(neo4j_store()), ValueGraph(open_store_again())
    try:
        assert second.index.size == 0  # read before the first process writes
        first.sync(document([E("OBJ", "Objective")], [], "strategy"))
        # the second process catches up before it plans: OBJ is the first's, not new
        report = second.sync(document([E("OBJ", "Objective"), E("P", "Project")], [R("P", "CONTRIBUTES_TO", "OBJ")],
                                      "ppm"))
        assert report.revision == 2 and report.created == 3
        assert first.refresh().revision == 2
        assert [h.entity.id for h in Questions(first).what_delivers("OBJ").hits] == ["P"]
        assert sorted(first.store.entity_record("OBJ").sources) == ["ppm", "strategy"]
    finally:
        first.close()
        second.close()


def test_a_change_set_planned_on_an_older_revision_is_refused_and_nothing_is_written():
    from valuegraph.graph import StoreConflict
    from valuegraph.graph.model import ChangeSet
    from tests.utils.factories import E, document

    first = ValueGraph(neo4j_store())
    try:
        first.sync(document([E("OBJ", "Objective")], [], "strategy"))
        late = ChangeSet("ppm", put_entities=[("P", "Project", {"name": "P"})], after_revision=0)
        with pytest.raises(StoreConflict, match="planned against revision 0"):
            first.store.commit(late)
        assert first.store.entity_record("P") is None and first.store.current_revision() == 1
    finally:
        first.close()


def open_store_again():
    from valuegraph.graph import open_store

    return open_store(NEO4J_URL, **NEO4J_AUTH)


@pytest.mark.parametrize("rebuild", [False, True])
def test_a_process_catches_up_with_anothers_writes_by_replaying_them_or_by_a_rebuild(rebuild):
    from tests.utils.factories import E, R, document

    first, second = ValueGraph(neo4j_store()), ValueGraph(open_store_again())
    try:
        first.sync(document([E("OBJ", "Objective")], [], "strategy"))
        before = first.index
        if rebuild:  # what a large load by another process takes: a build from the store
            first.history.catch_up_facts = 1
        second.sync(document([E(f"P{n}", "Project") for n in range(30)],
                             [R(f"P{n}", "CONTRIBUTES_TO", "OBJ") for n in range(30)], "ppm"))
        second.sync(document([E("P0", "Project", status="cancelled")], [], "ppm"))
        index = first.refresh()
        assert index.revision == 3 and index is not before
        assert (index.updates == 0) == rebuild  # a build starts counting afresh; a replay is a successor
        assert [h.entity.id for h in Questions(first).what_delivers("OBJ").hits] == sorted(f"P{n}" for n in range(1, 30))
    finally:
        first.close()
        second.close()
