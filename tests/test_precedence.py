"""Source precedence and conflicts: the authoritative source's value is answered whatever the order of the
syncs, on every backend; the other sources' values stay visible as conflicts; a retraction by the authority
lets the next source's value through; alignment follows the answered status; bad precedence files are
refused with errors that name the file and the key."""

from __future__ import annotations

import itertools
import json

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import NEO4J_AUTH, NEO4J_URL, store_url
from tests.utils.factories import E, R, load
from tests.utils.server import serve_in_thread
from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.cli.main import app
from valuegraph.graph import StoreUnavailable, SyncMode, ValueGraph, open_store
from valuegraph.graph.history import AsOf
from valuegraph.graph.precedence import NO_PRECEDENCE, Precedence, PrecedenceError
from valuegraph.graph.questions import Questions

RULES = {"Objective": ["strategy-office", "finance"], "Project": ["ppm-tool"], "Project.budget": ["finance", "ppm-tool"]}
PRECEDENCE = Precedence.parse(RULES, "precedence.yaml")

#: what each of three sources says of OBJ-1
SAYS = {
    "strategy-office": {"name": "Halve customer complaints", "status": "active"},
    "finance": {"name": "Complaints (finance)", "status": "proposed"},
    "ppm-tool": {"name": "Complaints programme", "status": "cancelled"},
}


def open_graph(backend: str, tmp_path, precedence: Precedence = PRECEDENCE, clear: bool = True) -> ValueGraph:
    """A graph on ``backend`` resolving by ``precedence`` (a Neo4j database emptied first when ``clear``)."""
    if backend != "neo4j":
        return ValueGraph(open_store(store_url(backend, tmp_path), precedence=precedence))
    store = open_store(NEO4J_URL, precedence=precedence, **NEO4J_AUTH)
    try:
        if clear:
            store.clear()
        else:
            store.current_revision()
    except StoreUnavailable as exc:
        store.close()
        pytest.fail(f"Neo4j must run for this test (make neo4j): {exc}")
    return ValueGraph(store)


@pytest.fixture(params=["memory", "oxigraph", "neo4j"])
def backend(request) -> str:
    return request.param


def answered(graph: ValueGraph, entity_id: str) -> dict:
    return graph.entity(entity_id).properties


def test_the_authority_is_answered_whatever_the_sync_order(backend, tmp_path):
    for n, order in enumerate(itertools.permutations(SAYS)):
        graph = open_graph(backend, tmp_path / str(n))
        try:
            for source in order:
                load(graph, [E("OBJ-1", "Objective", **SAYS[source])], source=source)
            questions = Questions(graph)
            record = graph.entity("OBJ-1")
            assert (record.name, record.properties["status"]) == (SAYS["strategy-office"]["name"], "active"), order
            # the traversal index holds the answered status (read back after each write), as one built anew does
            assert graph.index.status_of("OBJ-1") == "active"
            assert questions.entities(statuses=["cancelled"]).records == []
            assert [r.id for r in questions.entities(search="halve").records] == ["OBJ-1"]
            # every source's value stays visible, in precedence order: listed sources, then the others
            page = questions.conflicts()
            assert page.total == 2 and [c.property for _, c in page.conflicts] == ["name", "status"]
            for _, conflict in page.conflicts:
                assert conflict.answered == SAYS["strategy-office"][conflict.property]
                assert [(v.source, v.value) for v in conflict.values] == [
                    (s, SAYS[s][conflict.property]) for s in ("strategy-office", "finance", "ppm-tool")]
                assert all(v.synced_at is not None for v in conflict.values)
        finally:
            graph.close()


def test_without_rules_the_most_recent_sync_wins(backend, tmp_path):
    graph = open_graph(backend, tmp_path, NO_PRECEDENCE)
    try:
        for source in ("strategy-office", "finance", "ppm-tool"):
            load(graph, [E("OBJ-1", "Objective", **SAYS[source])], source=source)
        assert graph.entity("OBJ-1").name == SAYS["ppm-tool"]["name"]
        assert graph.index.status_of("OBJ-1") == "cancelled"
        # the conflict is listed all the same, the most recent first
        values = Questions(graph).conflicts(prop="status").conflicts[0][1].values
        assert [v.source for v in values] == ["ppm-tool", "finance", "strategy-office"]
    finally:
        graph.close()


def test_a_retraction_by_the_authority_lets_the_next_source_through(backend, tmp_path):
    graph = open_graph(backend, tmp_path)
    try:
        for source in ("strategy-office", "finance", "ppm-tool"):
            load(graph, [E("OBJ-1", "Objective", **SAYS[source]), E(f"G-{source}", "Goal")], source=source)
        # a full sync without the status: the name stays the authority's, the status is finance's
        load(graph, [E("OBJ-1", "Objective", name=SAYS["strategy-office"]["name"]), E("G-strategy-office", "Goal")],
             source="strategy-office", mode=SyncMode.FULL)
        assert (graph.entity("OBJ-1").name, answered(graph, "OBJ-1")["status"]) == (
            SAYS["strategy-office"]["name"], "proposed")
        assert graph.index.status_of("OBJ-1") == "proposed"
        # a full sync without the entity: finance's name too
        load(graph, [E("G-strategy-office", "Goal")], source="strategy-office", mode=SyncMode.FULL)
        assert graph.entity("OBJ-1").name == SAYS["finance"]["name"]
        page = Questions(graph).conflicts(source="strategy-office")
        assert page.total == 0  # strategy-office says nothing of OBJ-1 any more
        assert [v.source for v in Questions(graph).conflicts(prop="name").conflicts[0][1].values] == [
            "finance", "ppm-tool"]
        # and without finance, ppm-tool's (a source no rule names) is answered
        load(graph, [E("G-finance", "Goal")], source="finance", mode=SyncMode.FULL)
        assert (graph.entity("OBJ-1").name, graph.index.status_of("OBJ-1")) == (SAYS["ppm-tool"]["name"], "cancelled")
        assert Questions(graph).conflicts().total == 0
        # the past is answered by the same rules: as of the revision before the retractions
        past = Questions(graph).at(AsOf(revision=3)).graph.entity("OBJ-1")
        assert (past.name, past.properties["status"]) == (SAYS["strategy-office"]["name"], "active")
    finally:
        graph.close()


def test_alignment_follows_the_answered_status_and_budget(backend, tmp_path):
    graph = open_graph(backend, tmp_path)
    try:
        load(graph, [E("OBJ-1", "Objective", status="active"), E("OBJ-2", "Objective", status="active")],
             source="strategy-office")
        load(graph, [E("P-1", "Project", status="active", budget=100), E("P-9", "Project", status="active", budget=300)],
             [R("P-1", "CONTRIBUTES_TO", "OBJ-1")], source="ppm-tool")
        load(graph, [E("P-1", "Project", budget=600)], source="finance")
        # a later sync says OBJ-2 is cancelled and P-9 completed: neither source ranks above the authority
        load(graph, [E("OBJ-2", "Objective", status="cancelled"), E("P-9", "Project", status="completed", budget=1)],
             source="ppm-tool-2")
        for a in (Questions(graph).alignment(), _rebuilt(graph).alignment()):
            assert [r.id for r in a.unsupported] == ["OBJ-2"]  # still active: the strategy office says so
            assert [r.id for r in a.orphans] == ["P-9"]  # still active: ppm-tool ranks first for projects
            # budgets: finance's for P-1, ppm-tool's for P-9 (ranked above ppm-tool-2)
            assert a.aligned_budget_share == pytest.approx(600 / (600 + 300))
    finally:
        graph.close()


def _rebuilt(graph: ValueGraph) -> Questions:
    graph.rebuild_index()
    return Questions(graph)


def test_a_changed_precedence_file_holds_from_the_next_start(backend, tmp_path):
    if backend == "memory":
        pytest.skip("a memory store does not outlive its process")
    graph = open_graph(backend, tmp_path)
    for source in ("strategy-office", "ppm-tool"):
        load(graph, [E("OBJ-1", "Objective", **SAYS[source])], source=source)
    assert graph.index.status_of("OBJ-1") == "active"
    graph.close()
    # the same store opened without rules: ppm-tool's later sync wins, in records, the index and search
    graph = open_graph(backend, tmp_path, NO_PRECEDENCE, clear=False)
    try:
        assert graph.entity("OBJ-1").name == SAYS["ppm-tool"]["name"]
        assert graph.index.status_of("OBJ-1") == "cancelled"
        assert graph.search("programme") == {"OBJ-1"} and graph.search("halve") == set()
    finally:
        graph.close()
    graph = open_graph(backend, tmp_path, PRECEDENCE, clear=False)
    try:
        assert graph.index.status_of("OBJ-1") == "active"
        assert graph.search("halve") == {"OBJ-1"}
    finally:
        graph.close()
    if backend == "neo4j":
        # a store opened without rules of its own (a notebook, a script) takes those its nodes were resolved
        # by, and changes nothing
        store = open_store(NEO4J_URL, **NEO4J_AUTH)
        try:
            assert store.entity_record("OBJ-1").name == SAYS["strategy-office"]["name"]
            assert store.precedence.rules == PRECEDENCE.rules
            assert store.cypher("MATCH (n:Entity {id: 'OBJ-1'}) RETURN n.status")[1] == [["active"]]
        finally:
            store.close()


def test_property_sources_and_conflict_pages(tmp_path):
    graph = open_graph("memory", tmp_path)
    try:
        for source in ("ppm-tool", "finance"):
            load(graph, [E(f"P-{i}", "Project", budget=100 * i + (source == "finance")) for i in range(1, 6)],
                 source=source)
        questions = Questions(graph)
        sources = questions.property_sources(graph.entity("P-3"), "budget")
        assert [(v.source, v.value) for v in sources] == [("finance", 301), ("ppm-tool", 300)]
        assert questions.property_sources(graph.entity("P-3"), "nothing") == []
        seen, after = [], None
        while True:
            page = questions.conflicts(kind="Project", first=2, after=after)
            assert page.total == 5
            seen += [(c.entity.id, c.property) for _, c in page.conflicts]
            if not page.has_next_page:
                break
            after = page.conflicts[-1][0]
        assert seen == [(f"P-{i}", "budget") for i in range(1, 6)]
        assert questions.conflicts(kind="Objective").total == 0
        assert questions.conflicts(prop="name").total == 0  # both give the same names
        assert questions.conflicts(source="nobody").total == 0
        # the same number written as an integer and as a decimal is no conflict; a text and a number are
        load(graph, [E("P-1", "Project", actualCost=5), E("P-2", "Project", code="7")], source="ppm-tool")
        load(graph, [E("P-1", "Project", actualCost=5.0), E("P-2", "Project", code=7)], source="finance")
        assert [(c.entity.id, c.property) for _, c in questions.conflicts(kind="Project", first=100).conflicts
                if c.property != "budget"] == [("P-2", "code")]
    finally:
        graph.close()


# ------------------------------------------------------------ through the API and the command line
KEYS = {"ppm-bot": "vg_ppm_bot_key_0123456789abcdef", "strategy-bot": "vg_strategy_bot_key_0123456789ab"}


def bearer(name: str) -> dict:
    return {"Authorization": f"Bearer {KEYS[name]}"}


def test_a_key_limited_to_ppm_tool_cannot_override_the_strategy_office(tmp_path):
    """F6: a key limited to ppm-tool syncs OBJ-1 with a new name and status cancelled; the strategy office's
    value is still answered, and ppm-tool's is visible as a conflict."""
    keys = [ApiKeyConfig(name="ppm-bot", hash=hash_key(KEYS["ppm-bot"]), scopes=["sync", "read"], sources=["ppm-tool"]),
            ApiKeyConfig(name="strategy-bot", hash=hash_key(KEYS["strategy-bot"]), scopes=["sync", "read"])]
    graph = ValueGraph(open_store("memory:", precedence=Precedence.parse({"Objective": ["strategy-office"]}, "p.yaml")))
    with serve_in_thread(graph, api_keys=keys) as url:
        for source, key, props in (("strategy-office", "strategy-bot", SAYS["strategy-office"]),
                                   ("ppm-tool", "ppm-bot", SAYS["ppm-tool"])):
            httpx.post(f"{url}/api/v1/sync/{source}", headers=bearer(key), timeout=30,
                       json={"entities": [{"id": "OBJ-1", "kind": "Objective", **props}]}).raise_for_status()
        query = """{ entity(id: "OBJ-1") { name properties propertySources(name: "status") { source value syncedAt } }
                     alignment { unsupported { id } }
                     conflicts(kind: OBJECTIVE) { totalCount edges { cursor node { entity { id } property answered
                                                   values { source value } } } pageInfo { hasNextPage } } }"""
        data = httpx.post(f"{url}/graphql", headers=bearer("ppm-bot"), json={"query": query}, timeout=30).json()
    assert "errors" not in data, data
    entity = data["data"]["entity"]
    assert (entity["name"], entity["properties"]["status"]) == (SAYS["strategy-office"]["name"], "active")
    assert [(v["source"], v["value"]) for v in entity["propertySources"]] == [("strategy-office", "active"),
                                                                              ("ppm-tool", "cancelled")]
    assert data["data"]["alignment"]["unsupported"] == [{"id": "OBJ-1"}]  # active: nothing delivers it
    conflicts = data["data"]["conflicts"]
    assert conflicts["totalCount"] == 2 and not conflicts["pageInfo"]["hasNextPage"]
    status = next(e["node"] for e in conflicts["edges"] if e["node"]["property"] == "status")
    assert status == {"entity": {"id": "OBJ-1"}, "property": "status", "answered": "active",
                      "values": [{"source": "strategy-office", "value": "active"},
                                 {"source": "ppm-tool", "value": "cancelled"}]}
    graph.close()


def test_the_command_line_lists_conflicts(tmp_path, monkeypatch):
    rules = tmp_path / "precedence.yaml"
    rules.write_text("Objective: [strategy-office]\n")
    monkeypatch.setenv("VALUEGRAPH_PRECEDENCE_FILE", str(rules))
    store = f"oxigraph:{tmp_path / 'store'}"
    for source in ("strategy-office", "ppm-tool"):
        doc = tmp_path / f"{source}.json"
        doc.write_text(json.dumps({"source": source, "entities": [{"id": "OBJ-1", "kind": "Objective", **SAYS[source]}]}))
        assert CliRunner().invoke(app, ["load", str(doc), "--store", store]).exit_code == 0
    result = CliRunner().invoke(app, ["conflicts", "--store", store, "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    graph = ValueGraph.open(store, precedence=Precedence.load(rules))
    try:
        expected = Questions(graph).conflicts()
    finally:
        graph.close()
    assert found["totalCount"] == expected.total == 2
    assert [(c["entity"]["id"], c["property"], c["answered"], [v["source"] for v in c["values"]])
            for c in found["conflicts"]] == [
        (c.entity.id, c.property, c.answered, [v.source for v in c.values]) for _, c in expected.conflicts]
    assert found["conflicts"][0]["answered"] == SAYS["strategy-office"]["name"]
    table = CliRunner().invoke(app, ["conflicts", "--store", store, "--property", "status"])
    assert table.exit_code == 0 and "cancelled" in table.stdout and "OBJ-1" in table.stdout
    assert "1 conflict" in table.stdout


# ------------------------------------------------------------ bad files
@pytest.mark.parametrize("text, key, says", [
    ("Widget: [finance]\n", "Widget", "is not a kind"),
    ("Objective: strategy-office\n", "Objective", "expected a list of sources"),
    ("Objective: ['  ']\n", "Objective", "blank"),
    ('Objective: ["a\\tb"]\n', "Objective", "control character"),
    ("Project.nonsense: [finance]\n", "Project.nonsense", "is not a property"),
    ("Project.budget: [finance, finance]\n", "Project.budget", "listed twice"),
    ("Project.budget: []\n", "Project.budget", "at least one source"),
    ("Project: [1]\n", "Project", "must be text"),
])
def test_bad_precedence_files_are_refused(tmp_path, text, key, says):
    path = tmp_path / "precedence.yaml"
    path.write_text(text)
    with pytest.raises(PrecedenceError) as caught:
        Precedence.load(path)
    message = str(caught.value)
    assert str(path) in message and repr(key) in message and says in message, message


def test_the_command_line_refuses_a_bad_precedence_file_at_start(tmp_path, monkeypatch):
    path = tmp_path / "precedence.yaml"
    path.write_text("- Objective\n")
    monkeypatch.setenv("VALUEGRAPH_PRECEDENCE_FILE", str(path))
    for command in (["stats", "--store", "memory:"], ["serve", "--store", "memory:", "--port", "1"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "bad configuration" in result.output and str(path) in result.output.replace("\n", "")
    path.write_text("Objective: [strategy-office]\n")
    assert CliRunner().invoke(app, ["stats", "--store", "memory:"]).exit_code == 0


def test_the_more_specific_key_wins():
    rules = Precedence.parse({"Project": ["ppm-tool"], "Project.budget": ["finance"]}, "p.yaml")
    assert rules.order("Project", "budget") == ("finance",)
    assert rules.order("Project", "status") == ("ppm-tool",)
    assert rules.order("Objective", "status") == ()
    assert Precedence.parse(None, "empty.yaml").rules == {}
    with pytest.raises(PrecedenceError, match="expected a mapping"):
        Precedence.parse(["Project"], "p.yaml")
