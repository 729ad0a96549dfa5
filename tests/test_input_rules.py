"""The rules for text and numbers every way in follows (schema/text.py, schema/values.py): source names, control
characters in ids and names, integers beyond 2^53. Each is refused with an error that says where and why."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from typer.testing import CliRunner

from valuegraph.cli.main import app
from valuegraph.graph import DocumentRejected, ValueGraph, open_store
from valuegraph.graph.errors import InvalidSourceName
from valuegraph.graph.export import csv_files
from valuegraph.loaders import loader_for
from valuegraph.loaders.exports import write_export
from valuegraph.schema.text import MAX_SOURCE_NAME, source_name_fault
from tests.utils.factories import E, R, document, load
from tests.utils.server import serve_in_thread

BAD_SOURCES = [" ", "", "\t", "ppm\x01tool", "ppm\ntool", "x" * (MAX_SOURCE_NAME + 1), "a\x7fb", "a\u0085b"]


@pytest.mark.parametrize("name", BAD_SOURCES)
def test_a_bad_source_name_is_refused_by_the_graph(mem_graph, name):
    assert source_name_fault(name)
    with pytest.raises(InvalidSourceName):
        mem_graph.sync(document([E("P", "Project")], source=None), name)
    assert mem_graph.store.sources() == {}


@pytest.mark.parametrize("name", [" ", "ppm\x01tool", "x" * (MAX_SOURCE_NAME + 1)])
def test_a_bad_source_name_in_the_document_is_a_located_error(name):
    errors = document([E("P", "Project")], source=name).errors
    assert [e.location for e in errors] == ["test.json: source"]
    assert "'source' must" in errors[0].message or "'source' contains" in errors[0].message


def test_good_source_names_pass():
    for name in ["ppm-tool", "Finance (EU)", "目標", "x" * MAX_SOURCE_NAME, " padded "]:
        assert source_name_fault(name) is None
        assert not document([E("P", "Project")], source=name).errors


def test_the_api_refuses_a_blank_or_controlled_source_name(mem_graph):
    body = json.dumps({"entities": [{"id": "P", "kind": "Project", "name": "P"}]})
    with serve_in_thread(mem_graph) as url:
        for path in ("%20", "%09", "ppm%01tool", "x" * (MAX_SOURCE_NAME + 1)):
            answer = httpx.post(f"{url}/api/v1/sync/{path}", content=body,
                                headers={"content-type": "application/json"})
            assert answer.status_code == 400, (path, answer.text)
            assert answer.json()["code"] == "INVALID_SOURCE_NAME"
            assert answer.json()["requestId"]
        answer = httpx.post(f"{url}/api/v1/sync/ok", content=json.dumps({"source": " ", "entities": []}),
                            headers={"content-type": "application/json"})
        assert answer.status_code == 422
        assert [e["location"] for e in answer.json()["errors"]] == ["body: source"]
    assert mem_graph.store.sources() == {}


def test_the_cli_refuses_a_blank_source(tmp_path):
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"entities": [{"id": "P", "kind": "Project", "name": "P"}]}))
    store = f"oxigraph:{tmp_path / 'store'}"
    result = CliRunner().invoke(app, ["load", str(doc), "--source", " ", "--store", store])
    assert result.exit_code != 0
    assert "must not be blank" in result.output
    with ValueGraph(open_store(store)) as graph:
        assert graph.store.sources() == {}


# ---------------------------------------------------------------- control characters


def test_control_characters_in_ids_and_names_are_refused_where_they_are():
    errors = document([E("A\x01", "Project", name="A"), E("B", "Project", name="bell\x07"),
                       E("C", "Project", **{"x\ny": 1}), E("D", "Project", description="vertical\x0btab")],
                      [R("B", "PART_OF", "Z\x00")]).errors
    by_location = {e.location: e.message for e in errors}
    assert "control character U+0001 at position 2" in by_location["test.json: entities[0].id"]
    assert "control character U+0007" in by_location["test.json: entities[1].name"]
    assert "control character U+000A" in by_location["test.json: entities[2].'x\\ny'"]
    assert "control character U+000B" in by_location["test.json: entities[3].description"]
    assert "control character U+0000" in by_location["test.json: relations[0].to"]
    assert len(errors) == 5


def test_noncharacters_and_surrogates_are_refused_in_ids():
    for bad, what in (("a\ufffeb", "noncharacter U+FFFE"), ("a\ud800", "")):
        (error,) = document([E(bad, "Project", name="ok")]).errors
        assert error.location == "test.json: entities[0].id" and what in error.message


def test_text_values_keep_tabs_and_line_breaks(mem_graph):
    load(mem_graph, [E("P", "Project", description="line one\n\tline two\r\n")])
    assert mem_graph.entity("P").properties["description"] == "line one\n\tline two\r\n"


def _archimate(graph) -> bytes:
    out = io.BytesIO()
    write_export(graph.store, "archimate", out)
    return out.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4, unique=True), st.text(max_size=12))
@example(ids=[" ", " a "], description="")  # spaces around an id are part of it
def test_every_accepted_id_makes_valid_archimate_xml(tmp_path_factory, ids, description):
    doc = document([E(i, "Project", name=f"n{i}", description=description or None) for i in ids])
    if doc.errors:
        return  # refused: nothing to export
    with ValueGraph(open_store("memory:")) as graph:
        graph.sync(doc)
        data = _archimate(graph)
        ET.fromstring(data)  # well-formed XML 1.0
        path = tmp_path_factory.mktemp("archimate") / "model.xml"
        path.write_bytes(data)
        (back,) = loader_for(path).documents()
        assert sorted(e.id for e in back.entities) == sorted(ids)


def test_the_archimate_export_of_odd_ids_parses_back(mem_graph):
    ids = ["PRJ 7 / phase 2", "Ünïcødé-目標-🚀", "quote\"and'<apostrophe>&", " padded "]
    load(mem_graph, [E(i, "Project", description="a\tb\nc") for i in ids])
    ET.fromstring(_archimate(mem_graph))


# ---------------------------------------------------------------- integers beyond 2^53


@pytest.mark.parametrize("value", [2**53 + 1, -(2**53) - 1, 10**30])
def test_integers_beyond_2_53_are_refused(value):
    (error,) = document([E("P", "Project", budget=value), E("Q", "Project", custom=value)]).errors[:1]
    assert error.location == "test.json: entities[0].budget"
    assert "between -2^53 and 2^53" in error.message and str(value) in error.message
    assert len(document([E("Q", "Project", custom=value)]).errors) == 1


def test_integers_up_to_2_53_stay_exact(graph):
    load(graph, [E("P", "Project", budget=2**53, custom=-(2**53))])
    props = graph.entity("P").properties
    assert props["budget"] == 2**53 and type(props["budget"]) is int
    assert props["custom"] == -(2**53)


def test_a_large_integer_in_a_sync_body_is_refused_with_its_location(mem_graph):
    body = '{"entities": [{"id": "P", "kind": "Project", "name": "P", "budget": 9007199254740993}]}'
    with serve_in_thread(mem_graph) as url:
        answer = httpx.post(f"{url}/api/v1/sync/ppm", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["location"] == "body: entities[0].budget" and "9007199254740993" in error["message"]
    with pytest.raises(DocumentRejected):
        mem_graph.sync(document([E("P", "Project", budget=9007199254740993)]))


# ---------------------------------------------------------------- CSV export and spreadsheet formulas

FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", "'=already quoted", "'plain quote"]


def test_the_csv_export_escapes_formula_cells_and_loads_back_exactly(mem_graph, tmp_path):
    entities = [E(f"P{n}", "Project", name=text, description=text, note=text) for n, text in enumerate(FORMULAS)]
    entities += [E("=ID", "Project", description="\tstarts with a tab", budget=-5),
                 E("Q", "Project", description="\rstarts with a return")]
    load(mem_graph, entities, [R("=ID", "DEPENDS_ON", "P0")])
    files = csv_files(mem_graph.store)
    cells = [cell for text in files.values() for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells and "'=ID" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r")) or (c.startswith("-") and c != "-5")]
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    with ValueGraph(open_store("memory:")) as back:
        for doc in loader_for(folder).documents():
            assert not doc.errors
            back.sync(doc, "test")
        for entity in entities:
            assert back.entity(entity["id"]).properties == mem_graph.entity(entity["id"]).properties
        assert back.entity("=ID").properties["budget"] == -5
