"""RDF out and in: export the graph, load it into an empty store, get the same answers."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from valuegraph.cli.main import app

runner = CliRunner()


def without_sources(value):
    """Answers compared across stores whose sources differ by name."""
    if isinstance(value, dict):
        return {k: without_sources(v) for k, v in value.items() if k != "sources"}
    if isinstance(value, list):
        return [without_sources(v) for v in value]
    return value


def answers(store: str) -> dict:
    def ask(*args):
        result = runner.invoke(app, [*args, "--store", store, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    alignment = ask("alignment")
    return {
        "orphans": [e["id"] for e in alignment["orphans"]],
        "unsupported": [e["id"] for e in alignment["unsupported"]],
        "share": alignment["alignedBudgetShare"],
        "delivers": {t: [(h["id"], h["distance"]) for h in ask("delivers", t)] for t in ("G-1", "G-2", "OBJ-5", "KR-6")},
        "why": {i: [h["id"] for h in ask("why", i)] for i in ("PRJ-05", "PRJ-21", "DEL-04")},
        "impact": [h["id"] for h in ask("impact", "PRJ-35")["affected"]],
        "trace": ask("trace", "PRJ-05", "G-1"),
        "entity": ask("why", "PRJ-21", "-k", "CustomerSegment"),
    }


@pytest.mark.parametrize("format", ["nquads", "trig", "jsonld", "turtle", "ntriples"])
def test_export_then_load_gives_the_same_answers(tmp_path, sample_store_path, format):
    original = f"oxigraph:{sample_store_path}"
    suffix = {"nquads": "nq", "trig": "trig", "jsonld": "jsonld", "turtle": "ttl", "ntriples": "nt"}[format]
    out = tmp_path / f"graph.{suffix}"
    result = runner.invoke(app, ["export", "--format", format, "--out", str(out), "--store", original])
    assert result.exit_code == 0, result.output
    copy = f"oxigraph:{tmp_path / 'copy'}"
    extra = [] if format in ("nquads", "trig", "jsonld") else ["--source", "rdf-import"]
    result = runner.invoke(app, ["load", str(out), "--store", copy, *extra])
    assert result.exit_code == 0, result.output
    assert without_sources(answers(copy)) == without_sources(answers(original))
    stats = json.loads(runner.invoke(app, ["stats", "--store", copy, "--json"]).stdout)
    expected = ["ppm-tool", "strategy-office"] if not extra else ["rdf-import"]
    assert sorted(stats["sources"]) == expected


def test_exported_properties_keep_their_types(tmp_path, sample_store_path):
    out = tmp_path / "graph.nq"
    runner.invoke(app, ["export", "--out", str(out), "--store", f"oxigraph:{sample_store_path}"])
    text = out.read_text()
    assert '<https://valuegraph.dev/ns#dueDate> "2026-12-31"^^<http://www.w3.org/2001/XMLSchema#date>' in text
    assert '<https://valuegraph.dev/source/ppm-tool>' in text


def test_malformed_rdf_is_refused_with_its_location(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix vg: <https://valuegraph.dev/ns#> .\n<a> vg:name \"x\" \n<b> .\n")
    result = runner.invoke(app, ["load", str(bad), "--source", "x", "--store", f"oxigraph:{tmp_path / 's'}", "--json"])
    assert result.exit_code == 1
    (error,) = json.loads(result.stdout)["errors"]
    assert error["location"] == str(bad) and error["message"].startswith("malformed RDF")


def test_rdf_entities_are_validated_like_any_document(tmp_path):
    doc = tmp_path / "doc.ttl"
    doc.write_text("""@prefix vg: <https://valuegraph.dev/ns#> .
@prefix id: <https://valuegraph.dev/id/> .
id:P1 a vg:Project ; vg:name "One" ; vg:status "finished" .
id:P1 vg:partOf id:NOPE .
""")
    result = runner.invoke(app, ["load", str(doc), "--source", "x", "--store", f"oxigraph:{tmp_path / 's'}", "--json"])
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert any(e["location"].endswith("<https://valuegraph.dev/id/P1>.status") for e in errors)
    assert any("no entity with id 'NOPE'" in e["message"] for e in errors)
