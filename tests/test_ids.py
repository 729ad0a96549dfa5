"""Ids are arbitrary strings: they round-trip exactly through every store and the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from valuegraph.cli.main import app
from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.terms import entity_id, entity_iri
from tests.utils.factories import E, R, load
from valuegraph.graph.questions import Questions
from tests.utils.answers import traced

WEIRD = [
    "PRJ 7 / phase 2",
    "Ünïcødé-目標-🚀",
    "a/b/c?d=e&f#g",
    "100%",
    "%41",  # looks percent-encoded already
    " leading and trailing ",
    "quote\"and'apostrophe",
    # (no control characters: ids are labels, which hold none; see schema/text.py and tests/test_input_rules.py)
    "non-breaking\u00a0space",
    "https://example.com/not/an/iri",
    "Case",
    "case",
]


@pytest.mark.parametrize("value", WEIRD)
def test_iri_mapping_is_reversible(value):
    assert entity_id(entity_iri(value).value) == value


def test_weird_ids_round_trip_through_the_store(graph):
    load(graph, [E(i, "Project", name=f"name of {i}") for i in WEIRD] + [E("OBJ/∞", "Objective")],
         [R(i, "CONTRIBUTES_TO", "OBJ/∞") for i in WEIRD])
    assert sorted(h.entity.id for h in Questions(graph).what_delivers("OBJ/∞").hits) == sorted(WEIRD)
    for i in WEIRD:
        record = graph.entity(i)
        assert record.id == i and record.name == f"name of {i}"
        (path,) = traced(graph, i, "OBJ/∞")
        assert path.relations[0].key.from_id == i
    assert graph.entity("case").id == "case" and graph.entity("Case").id == "Case"
    graph.rebuild_index()
    assert sorted(h.entity.id for h in Questions(graph).what_delivers("OBJ/∞").hits) == sorted(WEIRD)


def test_weird_ids_survive_reopening_and_the_cli(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    with ValueGraph(open_store(store)) as graph:
        load(graph, [E(i, "Project") for i in WEIRD] + [E("OBJ/∞", "Objective")],
             [R(i, "CONTRIBUTES_TO", "OBJ/∞") for i in WEIRD])
    result = CliRunner().invoke(app, ["delivers", "OBJ/∞", "--json", "--store", store])
    assert result.exit_code == 0, result.output
    assert sorted(h["id"] for h in json.loads(result.stdout)) == sorted(WEIRD)
    result = CliRunner().invoke(app, ["why", "Ünïcødé-目標-🚀", "--json", "--store", store])
    assert [h["id"] for h in json.loads(result.stdout)] == ["OBJ/∞"]
