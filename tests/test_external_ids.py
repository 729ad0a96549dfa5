"""External ids (a crosswalk): an entity known by many tools' ids, on every store.

A relation's end given by external id lands on the entity that carries it; an unknown or ambiguous one is a
located error and nothing of the document is written; the look-up answers in GraphQL (over real HTTP) and on
the command line; a recipe column fills them; exports and history keep them.
"""

from __future__ import annotations

import json
import re

import httpx
import jsonschema_rs
import pytest
from typer.testing import CliRunner

from valuegraph.api.openapi import exchange_document_schema
from valuegraph.cli.main import app
from valuegraph.graph import DocumentRejected, ValueGraph, open_store
from valuegraph.graph.export import csv_files
from valuegraph.graph.history import AsOf
from valuegraph.graph.model import SyncMode
from valuegraph.graph.precedence import Precedence, PrecedenceError
from valuegraph.graph.questions import Questions
from valuegraph.loaders import loader_for
from valuegraph.loaders.validate import validate_mapping
from tests.conftest import ROOT, TEST_DATA, store_url
from tests.utils.server import serve_in_thread

runner = CliRunner()

PORTFOLIO = {
    "source": "portfolio-office",
    "entities": [
        {"id": "PRJ-12", "kind": "Project", "name": "Rail signalling",
         "externalIds": {"gmpp": "DfT_0012", "jira": "PMO-12"}},
        {"id": "PRJ-13", "kind": "Project", "name": "Station access", "externalIds": {"jira": "PMO-13"}},
        {"id": "OBJ-1", "kind": "Objective", "name": "Reliable journeys", "externalIds": {"okr-tool": "O-1"}},
        {"id": "OBJ-2", "kind": "Objective", "name": "Accessible stations"},
    ],
}


def doc(data: dict, origin: str = "doc.json"):
    return validate_mapping(data, origin)


def relation_keys(graph: ValueGraph) -> set[tuple[str, str, str]]:
    return {tuple(r.key) for r in graph.relation_records(touching=list(graph.index.ids))}


def rejected(graph: ValueGraph, data: dict) -> dict[str, str]:
    with pytest.raises(DocumentRejected) as caught:
        graph.sync(doc(data))
    return {e.location: e.message for e in caught.value.errors}


# ------------------------------------------------------------ acceptance on every store
def test_a_relation_end_given_by_external_id_lands_on_the_entity_carrying_it(graph):
    graph.sync(doc(PORTFOLIO))
    report = graph.sync(doc({
        "source": "jira",
        "entities": [{"id": "DEL-1", "kind": "Deliverable", "name": "Interlocking", "externalIds": {"jira": "PMO-99"}}],
        "relations": [
            # one end in the graph, by two systems' ids
            {"from": {"externalId": {"jira": "PMO-12"}}, "type": "CONTRIBUTES_TO", "to": {"externalId": {"okr-tool": "O-1"}}},
            {"from": {"externalId": {"gmpp": "DfT_0012"}}, "type": "DELIVERS", "to": {"externalId": {"jira": "PMO-99"}}},
            # an end that only this document carries, and an ordinary id beside it
            {"from": "PRJ-13", "type": "CONTRIBUTES_TO", "to": "OBJ-2"},
        ],
    }))
    assert report.errors == [] and report.by_kind["CONTRIBUTES_TO"].created == 2
    keys = relation_keys(graph)
    assert ("PRJ-12", "CONTRIBUTES_TO", "OBJ-1") in keys
    assert ("PRJ-12", "DELIVERS", "DEL-1") in keys
    assert not any(k[0] == "PRJ-13" and k[2] == "OBJ-1" for k in keys)
    questions = Questions(graph)
    assert [h.entity.id for h in questions.what_delivers("OBJ-1").hits] == ["PRJ-12"]
    assert questions.with_external_id("jira", "PMO-99") == "DEL-1"
    # the same document again changes nothing: the resolved relations are the ones already there
    again = graph.sync(doc({"source": "jira", "relations": [
        {"from": {"externalId": {"jira": "PMO-12"}}, "type": "CONTRIBUTES_TO", "to": "OBJ-1"}]}))
    assert again.created == 0 and again.unchanged == 1 and again.revision is None
    # the index built afresh from the store (what another process does) carries the same crosswalk
    graph.rebuild_index()
    assert Questions(graph).with_external_id("gmpp", "DfT_0012") == "PRJ-12"
    assert Questions(graph).with_external_id("okr-tool", "O-1") == "OBJ-1"


def test_unknown_and_ambiguous_external_ids_are_located_errors_and_nothing_is_written(graph):
    graph.sync(doc(PORTFOLIO))
    graph.sync(doc({"source": "finance", "entities": [
        {"id": "PRJ-14", "kind": "Project", "name": "Depot", "externalIds": {"jira": "PMO-13"}}]}))
    before = graph.current_revision()
    errors = rejected(graph, {
        "source": "jira",
        "entities": [{"id": "DEL-2", "kind": "Deliverable", "name": "New depot"}],
        "relations": [
            {"from": {"externalId": {"jira": "PMO-13"}}, "type": "DELIVERS", "to": "DEL-2"},
            {"from": "PRJ-12", "type": "CONTRIBUTES_TO", "to": {"externalId": {"okr-tool": "O-404"}}},
            {"from": "PRJ-12", "type": "DELIVERS", "to": "DEL-2"},
            {"from": {"externalId": {"jira": "PMO-13"}}, "type": "CONTRIBUTES_TO", "to": "OBJ-2"},
        ],
    })
    assert set(errors) == {"doc.json: relations[0].from.externalId", "doc.json: relations[1].to.externalId",
                           "doc.json: relations[3].from.externalId"}
    assert errors["doc.json: relations[3].from.externalId"] == \
        "the external id jira:PMO-13 names no one entity (see doc.json: relations[0].from.externalId)"
    assert "ambiguous" in errors["doc.json: relations[0].from.externalId"]
    assert "'PRJ-13'" in errors["doc.json: relations[0].from.externalId"]
    assert "'PRJ-14'" in errors["doc.json: relations[0].from.externalId"]
    assert "okr-tool:O-404" in errors["doc.json: relations[1].to.externalId"]
    # all or nothing: the valid entity and relation of the document were not written either
    assert graph.current_revision() == before
    assert Questions(graph).kind_of("DEL-2") is None
    assert ("PRJ-12", "DELIVERS", "DEL-2") not in relation_keys(graph)
    # a document that carries the id itself makes it ambiguous too
    errors = rejected(graph, {"source": "jira", "entities": [
        {"id": "PRJ-15", "kind": "Project", "name": "Other", "externalIds": {"jira": "PMO-12"}}],
        "relations": [{"from": {"externalId": {"jira": "PMO-12"}}, "type": "CONTRIBUTES_TO", "to": "OBJ-1"}]})
    assert "'PRJ-12'" in errors["doc.json: relations[0].from.externalId"]
    assert graph.current_revision() == before


def test_the_published_sync_body_schema_takes_external_ids():
    schema = exchange_document_schema()
    document = {**PORTFOLIO, "relations": [
        {"from": {"externalId": {"jira": "PMO-12"}}, "type": "CONTRIBUTES_TO", "to": "OBJ-1"}]}
    jsonschema_rs.validate(schema, document)
    assert not jsonschema_rs.is_valid(schema, {"relations": [
        {"from": {"externalId": {"jira": "A", "gmpp": "B"}}, "type": "DELIVERS", "to": "D"}]})
    assert not jsonschema_rs.is_valid(schema, {"entities": [
        {"id": "P", "kind": "Project", "name": "P", "externalIds": {"jira": 12}}]})


def test_two_ends_that_resolve_to_one_relation_are_a_repeated_relation(mem_graph):
    mem_graph.sync(doc(PORTFOLIO))
    errors = rejected(mem_graph, {"source": "jira", "relations": [
        {"from": "PRJ-12", "type": "CONTRIBUTES_TO", "to": "OBJ-1"},
        {"from": {"externalId": {"jira": "PMO-12"}}, "type": "CONTRIBUTES_TO", "to": "OBJ-1"}]})
    assert errors == {"doc.json: relations[1]": "the relation PRJ-12 -CONTRIBUTES_TO-> OBJ-1 appears twice in the "
                                                 "document (also at doc.json: relations[0])"}


# ------------------------------------------------------------ what a document may give
@pytest.mark.parametrize(("given", "location", "words"), [
    ({"externalIds": {"ji:ra": "PMO-1"}}, "entities[0].externalIds.ji:ra", "may hold only letters"),
    ({"externalIds": {"": "PMO-1"}}, "entities[0].externalIds.", "must not be empty"),
    ({"externalIds": {"jira": 12}}, "entities[0].externalIds.jira", 'write it as text: "12"'),
    ({"externalIds": {"jira": " PMO-1"}}, "entities[0].externalIds.jira", "white space"),
    ({"externalIds": {"jira": "   "}}, "entities[0].externalIds.jira", "must not be blank"),
    ({"externalIds": {"jira": "PMO\n1"}}, "entities[0].externalIds.jira", "control character U+000A"),
    ({"externalIds": {"jira": "x" * 501}}, "entities[0].externalIds.jira", "at most 500"),
    ({"externalIds": {"j" * 65: "PMO-1"}}, "entities[0].externalIds." + "j" * 65, "at most 64"),
    ({"externalIds": ["jira", "PMO-1"]}, "entities[0].externalIds", "must be an object of system names and ids"),
    ({"externalIds": {"jira": "PMO-1"}, "externalIds.jira": "PMO-2"}, "entities[0].externalIds.jira", "given twice"),
])
def test_malformed_external_ids_are_located_errors(mem_graph, given, location, words):
    data = {"source": "s", "entities": [{"id": "P", "kind": "Project", "name": "P", **given}]}
    errors = rejected(mem_graph, data)
    assert list(errors) == [f"doc.json: {location}"], errors
    assert words in errors[f"doc.json: {location}"]
    assert mem_graph.current_revision() == 0


@pytest.mark.parametrize(("end", "location", "words"), [
    ({"externalId": {"jira": "PMO-1", "gmpp": "X"}}, "relations[0].from.externalId", "must name one system"),
    ({"externalId": "PMO-1"}, "relations[0].from.externalId", "must name one system"),
    ({"id": "P"}, "relations[0].from", "not an object with the keys 'id'"),
    ({}, "relations[0].from", "not an empty object"),
    ({"externalId": {"jira": 7}}, "relations[0].from.externalId.jira", "must be text"),
    ({"externalId": {"j ira": "PMO-1"}}, "relations[0].from.externalId.j ira", "may hold only letters"),
])
def test_malformed_relation_ends_are_located_errors(mem_graph, end, location, words):
    mem_graph.sync(doc(PORTFOLIO))
    errors = rejected(mem_graph, {"source": "s", "relations": [{"from": end, "type": "CONTRIBUTES_TO", "to": "OBJ-1"}]})
    assert list(errors) == [f"doc.json: {location}"], errors
    assert words in errors[f"doc.json: {location}"]


def test_relations_carry_no_external_ids(mem_graph):
    mem_graph.sync(doc(PORTFOLIO))
    errors = rejected(mem_graph, {"source": "s", "relations": [
        {"from": "PRJ-12", "type": "CONTRIBUTES_TO", "to": "OBJ-1", "externalIds": {"jira": "R-1"}}]})
    assert errors == {"doc.json: relations[0].externalIds": "'externalIds': external ids belong to entities, not relations"}


# ------------------------------------------------------------ per source, with history
def test_each_source_keeps_its_own_external_ids_and_history_records_them(mem_graph):
    mem_graph.sync(doc(PORTFOLIO))
    mem_graph.sync(doc({"source": "jira", "entities": [
        {"id": "PRJ-12", "kind": "Project", "name": "Rail signalling", "externalIds": {"jira": "RAIL-1"}}]}))
    questions = Questions(mem_graph)
    record = questions.entity("PRJ-12")
    # the most recent sync's id is answered, per system; the other system's id stays
    assert questions.with_external_id("jira", "RAIL-1") == "PRJ-12"
    assert questions.with_external_id("jira", "PMO-12") is None
    assert questions.with_external_id("gmpp", "DfT_0012") == "PRJ-12"
    assert [v.value for v in questions.property_sources(record, "externalIds.jira")] == ["RAIL-1", "PMO-12"]
    assert "externalIds.jira" in record.disputed()
    # a null withdraws one system's id of that source; the other source's is answered again
    mem_graph.sync(doc({"source": "jira", "entities": [
        {"id": "PRJ-12", "kind": "Project", "name": "Rail signalling", "externalIds": {"jira": None}}]}))
    assert Questions(mem_graph).with_external_id("jira", "PMO-12") == "PRJ-12"
    # "externalIds": null withdraws every one of the source's
    mem_graph.sync(doc({"source": "portfolio-office", "entities": [
        {"id": "PRJ-12", "kind": "Project", "name": "Rail signalling", "externalIds": None}]}))
    questions = Questions(mem_graph)
    assert questions.entity("PRJ-12").properties.keys() == {"name"}
    assert questions.with_external_id("gmpp", "DfT_0012") is None
    history = [(c.kind.value, c.property, c.before, c.after) for c in questions.entity_history("PRJ-12")
               if c.property and c.property.startswith("externalIds.")]
    assert ("PROPERTY_SET", "externalIds.gmpp", None, "DfT_0012") in history
    assert ("PROPERTY_SET", "externalIds.jira", "PMO-12", None) not in history  # withdrawn, not set
    assert ("PROPERTY_WITHDRAWN", "externalIds.gmpp", "DfT_0012", None) in history
    # as of the first revision, the first source's ids are answered
    past = questions.at(AsOf(revision=1))
    assert past.with_external_id("jira", "PMO-12") == "PRJ-12"


@pytest.mark.parametrize("backend", ["memory", "oxigraph"])
def test_a_precedence_rule_ranks_the_sources_of_external_ids(tmp_path, backend):
    rules = Precedence.parse({"Project.externalIds": ["portfolio-office"], "Project.externalIds.gmpp": ["jira"]}, "p.yaml")
    assert rules.order("Project", "externalIds.jira") == ("portfolio-office",)
    assert rules.order("Project", "externalIds.gmpp") == ("jira",)
    with ValueGraph(open_store(store_url(backend, tmp_path), precedence=rules)) as graph:
        graph.sync(doc(PORTFOLIO))
        graph.sync(doc({"source": "jira", "entities": [
            {"id": "PRJ-12", "kind": "Project", "name": "Rail signalling",
             "externalIds": {"jira": "RAIL-1", "gmpp": "DfT_0012-J"}}]}))
        for _ in range(2):  # as the sync left the index, and as built afresh from the store
            questions = Questions(graph)
            assert questions.with_external_id("jira", "PMO-12") == "PRJ-12"  # the ranked source, not the latest
            assert questions.with_external_id("jira", "RAIL-1") is None
            assert questions.with_external_id("gmpp", "DfT_0012-J") == "PRJ-12"
            graph.rebuild_index()
    with pytest.raises(PrecedenceError, match="is not a property"):
        Precedence.parse({"Project.externalIds.ji:ra": ["jira"]}, "p.yaml")


def test_a_full_sync_that_drops_an_entity_drops_its_external_ids(mem_graph):
    mem_graph.sync(doc(PORTFOLIO))
    mem_graph.sync(doc({"source": "portfolio-office", "entities": PORTFOLIO["entities"][1:]}), mode=SyncMode.FULL)
    assert Questions(mem_graph).with_external_id("jira", "PMO-12") is None
    assert Questions(mem_graph).with_external_id("jira", "PMO-13") == "PRJ-13"


def test_the_kept_index_keeps_the_crosswalk(tmp_path):
    url = f"oxigraph:{tmp_path / 'store'}"
    with ValueGraph(open_store(url)) as graph:
        graph.sync(doc(PORTFOLIO))
    index_file = tmp_path / "store.index.npz"
    assert index_file.is_file()
    with ValueGraph(open_store(url)) as graph:
        assert graph.index.crosswalk.carriers("gmpp", "DfT_0012") == ("PRJ-12",)
        assert Questions(graph).with_external_id("jira", "PMO-13") == "PRJ-13"


# ------------------------------------------------------------ look-ups
ENTITY_BY_EXTERNAL_ID = """
query($system: String!, $id: String!) {
  entity(externalId: {system: $system, id: $id}) { id kind externalIds { system id } properties }
}"""


def test_graphql_finds_an_entity_by_external_id_over_http(mem_graph):
    mem_graph.sync(doc(PORTFOLIO))
    mem_graph.sync(doc({"source": "finance", "entities": [
        {"id": "PRJ-14", "kind": "Project", "name": "Depot", "externalIds": {"jira": "PMO-13"}}]}))
    questions = Questions(mem_graph)
    with serve_in_thread(mem_graph) as url:
        def ask(query: str, variables: dict | None = None) -> dict:
            return httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}).json()

        found = ask(ENTITY_BY_EXTERNAL_ID, {"system": "gmpp", "id": "DfT_0012"})["data"]["entity"]
        record = questions.entity(questions.with_external_id("gmpp", "DfT_0012"))
        assert found["id"] == record.id == "PRJ-12" and found["kind"] == "PROJECT"
        assert found["externalIds"] == [{"system": "gmpp", "id": "DfT_0012"}, {"system": "jira", "id": "PMO-12"}]
        assert found["properties"] == {"name": record.name, "externalIds": {"gmpp": "DfT_0012", "jira": "PMO-12"}}
        assert ask(ENTITY_BY_EXTERNAL_ID, {"system": "jira", "id": "PMO-404"}) == {"data": {"entity": None}}
        ambiguous = ask(ENTITY_BY_EXTERNAL_ID, {"system": "jira", "id": "PMO-13"})
        assert ambiguous["data"] == {"entity": None}
        (error,) = ambiguous["errors"]
        assert "ambiguous" in error["message"] and "'PRJ-13', 'PRJ-14'" in error["message"]
        bad = ask(ENTITY_BY_EXTERNAL_ID, {"system": "ji:ra", "id": "PMO-12"})
        assert "may hold only letters" in bad["errors"][0]["message"]
        both = ask('{ entity(id: "PRJ-12", externalId: {system: "jira", id: "PMO-12"}) { id } }')
        assert "exactly one of id and externalId" in both["errors"][0]["message"]
        neither = ask("{ entity { id } }")
        assert "exactly one of id and externalId" in neither["errors"][0]["message"]
        by_id = ask('{ entity(id: "OBJ-1") { id externalIds { system id } } }')
        assert by_id == {"data": {"entity": {"id": "OBJ-1", "externalIds": [{"system": "okr-tool", "id": "O-1"}]}}}


def test_rest_finds_an_entity_by_id_or_external_id(mem_graph):
    mem_graph.sync(doc({**PORTFOLIO, "entities": [
        *PORTFOLIO["entities"], {"id": "jira:PMO-13", "kind": "Project", "name": "Named like a key"},
        {"id": "a/b c", "kind": "Project", "name": "Odd id", "externalIds": {"jira": "PMO-13"}}]}))
    questions = Questions(mem_graph)
    with serve_in_thread(mem_graph) as url:
        found = httpx.get(f"{url}/api/v1/entities/gmpp:DfT_0012")
        assert found.status_code == 200
        record = questions.entity("PRJ-12")
        assert found.json() == {"id": "PRJ-12", "kind": "Project", "name": record.name, "sources": record.sources,
                                "properties": {"name": record.name, "externalIds": {"gmpp": "DfT_0012", "jira": "PMO-12"}},
                                "externalIds": {"gmpp": "DfT_0012", "jira": "PMO-12"}}
        assert httpx.get(f"{url}/api/v1/entities/jira:PMO-13").json()["id"] == "jira:PMO-13"  # the exact id wins
        assert httpx.get(f"{url}/api/v1/entities/a%2Fb%20c").json()["externalIds"] == {"jira": "PMO-13"}
        missing = httpx.get(f"{url}/api/v1/entities/jira:PMO-404")
        assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
        mem_graph.sync(doc({"source": "finance", "entities": [
            {"id": "PRJ-14", "kind": "Project", "name": "Depot", "externalIds": {"gmpp": "DfT_0012"}}]}))
        ambiguous = httpx.get(f"{url}/api/v1/entities/gmpp:DfT_0012")
        assert ambiguous.status_code == 400 and "ambiguous" in ambiguous.json()["detail"]


def test_the_command_line_shows_an_entity_by_external_id(tmp_path):
    store = f"oxigraph:{tmp_path / 'store'}"
    document = tmp_path / "portfolio.json"
    document.write_text(json.dumps({**PORTFOLIO, "entities": [
        *PORTFOLIO["entities"],
        # an entity whose own id looks like an external id: its id wins over PRJ-13's jira id
        {"id": "jira:PMO-13", "kind": "Project", "name": "Named like a key"}]}))
    result = runner.invoke(app, ["load", str(document), "--store", store])
    assert result.exit_code == 0, result.output
    with ValueGraph(open_store(store)) as graph:
        expected = Questions(graph).entity("PRJ-12")
    shown = runner.invoke(app, ["show", "jira:PMO-12", "--store", store, "--json"])
    assert shown.exit_code == 0, shown.output
    answer = json.loads(shown.stdout)
    assert answer["id"] == expected.id and answer["name"] == expected.name
    assert answer["properties"]["externalIds"] == {"gmpp": "DfT_0012", "jira": "PMO-12"}
    assert json.loads(runner.invoke(app, ["show", "jira:PMO-13", "--store", store, "--json"]).stdout)["id"] \
        == "jira:PMO-13"
    assert json.loads(runner.invoke(app, ["show", "PRJ-13", "--store", store, "--json"]).stdout)["id"] == "PRJ-13"
    table = runner.invoke(app, ["show", "gmpp:DfT_0012", "--store", store])
    assert table.exit_code == 0 and "externalIds.jira" in table.stdout and "PMO-12" in table.stdout
    missing = runner.invoke(app, ["show", "jira:PMO-404", "--store", store])
    assert missing.exit_code == 2 and "nor an entity with that external id" in missing.output
    assert runner.invoke(app, ["show", "PRJ-404", "--store", store]).exit_code == 2


def test_one_load_of_two_sources_resolves_an_external_id_the_other_source_gives(tmp_path):
    store = f"oxigraph:{tmp_path / 'store'}"
    first = tmp_path / "jira.json"  # names PMO-12, which only the second file gives
    first.write_text(json.dumps({"source": "jira", "relations": [
        {"from": {"externalId": {"jira": "PMO-12"}}, "type": "CONTRIBUTES_TO", "to": "OBJ-1"}]}))
    second = tmp_path / "portfolio.json"
    second.write_text(json.dumps(PORTFOLIO))
    result = runner.invoke(app, ["load", str(first), str(second), "--store", store, "--json"])
    assert result.exit_code == 0, result.output
    with ValueGraph(open_store(store)) as graph:
        (record,) = [r for r in graph.relation_records(touching=["PRJ-12"]) if r.key.type == "CONTRIBUTES_TO"]
        assert record.key.to_id == "OBJ-1" and record.sources == ["jira"]


# ------------------------------------------------------------ recipes and exports
def test_a_recipe_column_fills_external_ids(tmp_path, mem_graph):
    register = tmp_path / "register.csv"
    register.write_text("Ref,Title,Jira key,P6 code\nR-1,Signalling,PMO-12,\nR-2,Depot,PMO-14,P6-2\n", encoding="utf-8")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("name: pmo\nentities:\n  - kind: Project\n    id: '{Ref}'\n    name: '{Title}'\n"
                      "    externalIds: {jira: 'Jira key', p6: {column: 'P6 code', optional: true}}\n", encoding="utf-8")
    (document,) = loader_for(register, recipe=str(recipe)).documents()
    mem_graph.sync(document, "register")
    questions = Questions(mem_graph)
    assert questions.with_external_id("jira", "PMO-12") == "R-1"
    assert questions.with_external_id("p6", "P6-2") == "R-2"
    assert "externalIds.p6" not in questions.entity("R-1").properties  # an empty cell gives none


def test_a_recipe_with_a_malformed_system_name_is_refused(tmp_path):
    register = tmp_path / "register.csv"
    register.write_text("Ref,Title,Jira key\nR-1,Signalling,PMO-12\n", encoding="utf-8")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("name: pmo\nentities:\n  - kind: Project\n    id: '{Ref}'\n    name: '{Title}'\n"
                      "    externalIds: {'ji ra': 'Jira key'}\n", encoding="utf-8")
    with pytest.raises(DocumentRejected) as caught:
        list(loader_for(register, recipe=str(recipe)).documents())
    (error,) = caught.value.errors
    assert error.location == "recipe pmo: entities[0].externalIds" and "may hold only letters" in error.message


def test_the_gmpp_recipe_gives_the_gmpp_reference(mem_graph):
    (document,) = loader_for(TEST_DATA / "gmpp-2022.csv", recipe="gmpp").documents()
    mem_graph.sync(document, "gmpp")
    questions = Questions(mem_graph)
    assert questions.with_external_id("gmpp", "MOD_0135_2122-Q1") == "MOD_0135_2122-Q1"
    assert len(mem_graph.index.crosswalk) == 235  # one per project row


@pytest.mark.parametrize("form", ["csv", "nquads", "archimate"])
def test_exports_load_back_with_their_external_ids(tmp_path, form):
    original = f"oxigraph:{tmp_path / 'original'}"
    with ValueGraph(open_store(original)) as graph:
        graph.sync(doc(PORTFOLIO))
        graph.sync(doc({"source": "jira", "relations": [
            {"from": {"externalId": {"jira": "PMO-12"}}, "type": "CONTRIBUTES_TO", "to": "OBJ-1"}]}))
        expected = {i: r.properties for i, r in graph.entities(list(graph.index.ids)).items()}
        if form == "csv":
            folder = tmp_path / "export"
            folder.mkdir()
            for name, text in csv_files(graph.store).items():
                (folder / name).write_text(text, encoding="utf-8")
    if form != "csv":
        folder = tmp_path / ("export.nq" if form == "nquads" else "export.xml")
        result = runner.invoke(app, ["export", "--format", form, "--out", str(folder), "--store", original])
        assert result.exit_code == 0, result.output
    copy = f"oxigraph:{tmp_path / 'copy'}"
    extra = [] if form == "nquads" else ["--source", "copy"]
    result = runner.invoke(app, ["load", str(folder), "--store", copy, *extra])
    assert result.exit_code == 0, result.output
    with ValueGraph(open_store(copy)) as graph:
        assert {i: r.properties for i, r in graph.entities(list(graph.index.ids)).items()} == expected
        assert Questions(graph).with_external_id("gmpp", "DfT_0012") == "PRJ-12"


def test_readme_crosswalk_example(tmp_path):
    """The README's crosswalk example, run as it is written (in a folder of its own)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### External ids (a crosswalk)"):]
    name, body = re.search(r"```yaml\n# (\S+)\n(.*?)```", section, re.DOTALL).groups()
    (tmp_path / name).write_text(body, encoding="utf-8")
    console = re.search(r"```console\n(.*?)```", section, re.DOTALL).group(1)
    steps = re.findall(r"^\$ valuegraph (.*)\n((?:(?!\$ ).*\n)*)", console, re.MULTILINE)
    assert len(steps) >= 2
    for command, output in steps:
        args = [str(tmp_path / a) if a == name else a.replace("oxigraph:./", f"oxigraph:{tmp_path}/")
                for a in command.split()]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (command, result.output)
        if output.strip().startswith(("{", "[")):
            assert json.loads(result.stdout) == json.loads(output), command
