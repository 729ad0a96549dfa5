"""Every class of bad input: the whole document is rejected, each error says where and
what in a plain sentence, and the graph answers exactly as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from valuegraph.graph import DocumentRejected, SyncMode
from valuegraph.loaders import loader_for
from tests.utils.factories import E, R, document, load
from tests.utils.fingerprint import fingerprint
from valuegraph.graph.questions import Questions
from tests.utils.answers import traced

BASE_ENTITIES = [E("OBJ", "Objective"), E("P1", "Project", budget=10), E("PG", "Programme"), E("PER", "Person")]
BASE_RELATIONS = [R("P1", "PART_OF", "PG"), R("PG", "CONTRIBUTES_TO", "OBJ")]


@pytest.fixture
def seeded(graph):
    load(graph, BASE_ENTITIES, BASE_RELATIONS)
    return graph


def rejected(graph, entities, relations, mode=SyncMode.MERGE, source="test"):
    """Sync a bad document; assert nothing changed; return the errors."""
    before = fingerprint(graph)
    with pytest.raises(DocumentRejected) as info:
        graph.sync(document(entities, relations, source), mode=mode)
    assert fingerprint(graph) == before
    return info.value.errors


def validation_errors(entities, relations, graph=None):
    """Errors found by validation alone; with a graph, also shows that syncing the document changes nothing."""
    errors = document(entities, relations).errors
    assert errors
    if graph is not None:
        assert set(errors) <= set(rejected(graph, entities, relations))
    return errors


def only(errors, location):
    matching = [e for e in errors if e.location == location]
    assert matching, f"no error at {location}: {errors}"
    return matching[0].message


GOOD = [E("NEW", "Project", budget=5)]


def test_unknown_kind(seeded):
    errors = validation_errors(GOOD + [E("X", "Projet")], [], graph=seeded)
    assert "unknown kind 'Projet'" in only(errors, "test.json: entities[1].kind")
    assert "Project" in only(errors, "test.json: entities[1].kind")


def test_unknown_relation_type(seeded):
    errors = validation_errors(GOOD, [R("NEW", "contributes_to", "OBJ")], graph=seeded)
    message = only(errors, "test.json: relations[0].type")
    assert "unknown relation type 'contributes_to'" in message and "CONTRIBUTES_TO" in message


@pytest.mark.parametrize("field", ["id", "kind", "name"])
def test_missing_required_field(seeded, field):
    entity = E("X", "Project")
    del entity[field]
    errors = validation_errors(GOOD + [entity], [], graph=seeded)
    assert only(errors, f"test.json: entities[1].{field}") == f"'{field}' is missing"


def test_missing_relation_end(seeded):
    errors = validation_errors(GOOD, [{"from": "NEW", "type": "PART_OF"}], graph=seeded)
    assert only(errors, "test.json: relations[0].to") == "'to' is missing"


def test_graph_errors_are_reported_with_validation_errors(seeded):
    errors = rejected(seeded, [E("X", "Projet"), E("Y", "Project", budget="lots"), E("P1", "Goal")],
                      [R("Y", "PART_OF", "OBJ"), R("Y", "DEPENDS_ON", "GHOST"), R("X", "DEPENDS_ON", "Y")])
    assert {e.location for e in errors} == {
        "test.json: entities[0].kind", "test.json: entities[1].budget", "test.json: entities[2].kind",
        "test.json: relations[0].type", "test.json: relations[1].to",
    }  # X is unknown for its own error: the relation from it is not reported again


def test_every_error_is_reported_at_once(seeded):
    errors = validation_errors(
        [E("A", "Nope"), {"id": "B", "kind": "Project"}, E("C", "Project", budget="lots"), E("A", "Goal")],
        [R("A", "NOPE", "B")],
        graph=seeded,
    )
    locations = {e.location for e in errors}
    assert {"test.json: entities[0].kind", "test.json: entities[1].name", "test.json: entities[2].budget",
            "test.json: entities[3].id", "test.json: relations[0].type"} <= locations


def test_existing_id_given_another_kind(seeded):
    errors = rejected(seeded, GOOD + [E("P1", "Programme")], [])
    message = only(errors, "test.json: entities[1].kind")
    assert "'P1' is a Project already" in message


def test_relation_between_kinds_not_allowed(seeded):
    errors = rejected(seeded, GOOD, [R("NEW", "PART_OF", "OBJ")])
    message = only(errors, "test.json: relations[0].type")
    assert message == ("PART_OF cannot go from a Project to an Objective; "
                       "it goes from Programme or Project to Portfolio or Programme")


def test_relation_to_unknown_id(seeded):
    errors = rejected(seeded, GOOD, [R("NEW", "CONTRIBUTES_TO", "GHOST")])
    assert only(errors, "test.json: relations[0].to") == "no entity with id 'GHOST' in this document or the graph"


def test_relation_may_name_entities_already_in_the_graph(seeded):
    load(seeded, GOOD, [R("NEW", "CONTRIBUTES_TO", "OBJ")], source="other")
    assert [h.entity.id for h in Questions(seeded).what_delivers("OBJ").hits] == ["NEW", "PG", "P1"]


@pytest.mark.parametrize(("props", "field", "phrase"), [
    ({"status": "done"}, "status", "must be one of proposed, active, on_hold, completed, cancelled"),
    ({"health": "GREEN"}, "health", "must be one of green, amber, red"),
    ({"budget": "250k"}, "budget", "must be a number"),
    ({"budget": True}, "budget", "must be a number"),
    ({"actualCost": [1]}, "actualCost", "must be a string, number, boolean or date"),
    ({"progress": 1.5}, "progress", "must be between 0 and 1"),
    ({"startDate": "31/12/2026"}, "startDate", "must be an ISO-8601 date"),
    ({"custom": {"nested": 1}}, "custom", "must be a string, number, boolean or date"),
])
def test_badly_typed_known_property(seeded, props, field, phrase):
    errors = rejected(seeded, GOOD + [E("X", "Project", **props)], [])
    assert phrase in only(errors, f"test.json: entities[1].{field}")
    assert "NEW" not in seeded.index


def test_badly_typed_relation_weight(seeded):
    errors = validation_errors(GOOD, [R("NEW", "CONTRIBUTES_TO", "NEW", weight=2)], graph=seeded)
    assert "'weight' must be between 0 and 1" in only(errors, "test.json: relations[0].weight")


def test_value_chain_cycle_inside_the_document(seeded):
    errors = rejected(seeded, [E("O1", "Objective"), E("O2", "Objective"), E("O3", "Objective")],
                      [R("O1", "SUPPORTS", "O2"), R("O2", "SUPPORTS", "O3"), R("O3", "SUPPORTS", "O1")])
    (error,) = errors
    assert error.message.startswith("value-chain cycle: O1 -> O2 -> O3 -> O1")
    assert error.location.startswith("test.json: relations[")


def test_value_chain_cycle_through_the_graph(seeded):
    errors = rejected(seeded, [], [R("OBJ", "SUPPORTS", "OBJ")])
    assert "points back at itself" in errors[0].message
    load(seeded, [E("O2", "Objective")], [R("OBJ", "SUPPORTS", "O2")])
    errors = rejected(seeded, [E("PG2", "Programme")], [R("O2", "SUPPORTS", "OBJ")])
    assert errors[0].message.startswith("value-chain cycle: ")
    assert "OBJ" in errors[0].message and "O2" in errors[0].message


def test_dependency_cycles_are_allowed(seeded):
    load(seeded, [E("P2", "Project")], [R("P1", "DEPENDS_ON", "P2"), R("P2", "DEPENDS_ON", "P1")])
    assert [h.entity.id for h in Questions(seeded).impact("P1").dependents] == ["P2"]


def test_full_sync_that_reverses_an_edge_is_not_a_cycle(graph):
    load(graph, [E("A", "Objective"), E("B", "Objective")], [R("A", "SUPPORTS", "B")])
    load(graph, [E("A", "Objective"), E("B", "Objective")], [R("B", "SUPPORTS", "A")], mode=SyncMode.FULL)
    assert [p.length for p in traced(graph, "B", "A")] == [1]
    assert traced(graph, "A", "B") == []


def test_retracting_an_entity_another_source_still_relates_to(graph):
    load(graph, [E("OBJ", "Objective")], [], source="strategy")
    load(graph, [E("P", "Project")], [R("P", "CONTRIBUTES_TO", "OBJ")], source="ppm")
    errors = rejected(graph, [E("OTHER", "Objective")], [], mode=SyncMode.FULL, source="strategy")
    assert "cannot retract 'OBJ': 'ppm' still asserts the relation P -CONTRIBUTES_TO-> OBJ" in errors[0].message


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def read_errors(path: Path):
    try:
        docs = list(loader_for(path).documents())
    except DocumentRejected as exc:
        return exc.errors
    errors = [e for doc in docs for e in doc.errors]
    assert errors
    return errors


def test_malformed_json(tmp_path):
    path = write(tmp_path, "bad.json", '{"source": "x",\n "entities": [ {"id": "A",, } ]}')
    (error,) = read_errors(path)
    assert error.location == f"{path}:2:27"
    assert error.message.startswith("malformed JSON")


def test_malformed_yaml(tmp_path):
    path = write(tmp_path, "bad.yaml", "source: x\nentities:\n  - {id: A, kind: Goal\n  - name: b\n")
    (error,) = read_errors(path)
    assert error.location.startswith(f"{path}:")
    assert error.message.startswith("malformed YAML")


def test_malformed_csv(tmp_path):
    write(tmp_path, "docs/Project.csv", 'id,name,budget\nP1,"unterminated,5\n')
    errors = read_errors(tmp_path / "docs")
    assert any("malformed CSV" in e.message or "more cells" in e.message for e in errors)


def test_csv_errors_name_file_line_and_column(tmp_path):
    write(tmp_path, "docs/Project.csv", "id,name,budget,status\nP1,One,10,active\nP2,Two,ten,paused\n")
    write(tmp_path, "docs/relations.csv", "from,type,to\nP1,DEPENDS_ON,P2\nP1,OWNS\n")
    write(tmp_path, "docs/Widget.csv", "id,name\nW1,w\n")
    errors = read_errors(tmp_path / "docs")
    project = str(tmp_path / "docs" / "Project.csv")
    relations = str(tmp_path / "docs" / "relations.csv")
    assert "'budget' must be a number" in only(errors, f"{project}:3, column budget")
    assert "'status' must be one of" in only(errors, f"{project}:3, column status")
    assert only(errors, f"{relations}:3, column to") == "'to' is missing"
    assert any("'Widget.csv' names no kind" in e.message for e in errors)


def test_csv_missing_header_columns(tmp_path):
    write(tmp_path, "docs/Goal.csv", "identifier,name\nG1,g\n")
    (error,) = read_errors(tmp_path / "docs")
    assert "lacks the column(s) id" in error.message and error.location.endswith("Goal.csv:1")


def test_document_must_name_a_source(graph):
    before = fingerprint(graph)
    with pytest.raises(DocumentRejected) as info:
        graph.sync(document(GOOD, [], source=None))
    assert "no source is named" in info.value.errors[0].message
    with pytest.raises(DocumentRejected) as info:
        graph.sync(document(GOOD, [], source="a"), source="b")
    assert "names source 'a' but it is being loaded as 'b'" in info.value.errors[0].message
    assert fingerprint(graph) == before


def test_unknown_top_level_field():
    from valuegraph.loaders import validate_mapping

    errors = validate_mapping({"source": "s", "entites": []}, "doc.json").errors
    assert errors[0].location == "doc.json: entites"


def test_reserved_property_names(seeded):
    errors = validation_errors([E("X", "Project", partOf="PG")], [], graph=seeded)
    assert "reserved" in only(errors, "test.json: entities[0].partOf")


def test_duplicate_ids_and_relations(seeded):
    errors = validation_errors([E("X", "Project"), E("X", "Project")], [R("X", "DEPENDS_ON", "X")] * 2, graph=seeded)
    assert "appears twice" in only(errors, "test.json: entities[1].id")
    assert "appears twice" in only(errors, "test.json: relations[1]")


@pytest.mark.parametrize(("name", "text"), [
    ("bad.json", '{"source": "test", "entities": [{"id": "NEW", "kind": "Project", "name": "n"},]}'),
    ("bad.yaml", "source: test\nentities: [ {id: NEW, kind: Project, name: n\n"),
    ("folder/Project.csv", 'id,name\nNEW,"n\n'),
])
def test_malformed_files_change_nothing(tmp_path, name, text):
    import json as jsonlib

    from typer.testing import CliRunner

    from valuegraph.cli.main import app
    from valuegraph.graph import ValueGraph, open_store

    store = f"oxigraph:{tmp_path / 'store'}"
    with ValueGraph(open_store(store)) as graph:
        load(graph, BASE_ENTITIES, BASE_RELATIONS)
        before = fingerprint(graph)
    path = write(tmp_path, name, text)
    target = path.parent if name.startswith("folder/") else path
    result = CliRunner().invoke(app, ["load", str(target), "--source", "test", "--store", store, "--json"])
    assert result.exit_code == 1
    errors = jsonlib.loads(result.stdout)["errors"]
    assert errors and all(e["location"].startswith(str(path)) for e in errors)
    with ValueGraph(open_store(store)) as graph:
        assert fingerprint(graph) == before
