"""ArchiMate models in, ArchiMate models out."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from valuegraph.cli.main import app
from valuegraph.graph import DocumentRejected
from valuegraph.loaders import loader_for
from tests.conftest import TEST_DATA
from tests.test_rdf import answers, without_sources

MODEL = TEST_DATA / "archimate" / "aoeff_3_1_archi_5_0_2.xml"
runner = CliRunner()


def test_the_archi_model_loads_its_mapped_elements_and_reports_the_rest(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    result = runner.invoke(app, ["load", str(MODEL), "--source", "archi", "--store", store, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)[0]
    created = {k: v["created"] for k, v in report["byKind"].items()}
    assert created == {"Outcome": 3, "Goal": 2, "Benefit": 1, "Project": 1, "Deliverable": 1}
    (doc,) = loader_for(MODEL).documents()
    assert doc.left_out["element BusinessProcess"] == 6 and doc.left_out["element Plateau"] == 3
    assert doc.left_out["relationship Composition"] == 9 and doc.left_out["view"] == 4
    assert sum(v for k, v in doc.left_out.items() if k.startswith("element ")) == 84
    assert sum(v for k, v in doc.left_out.items() if k.startswith("relationship ")) == 42
    assert any("left out 84 elements" in w for w in report["warnings"])
    assert sorted((e.kind, e.properties["name"]) for e in doc.entities) == [
        ("Benefit", "Value"), ("Deliverable", "Deliverable"), ("Goal", "Goal"), ("Goal", "Goal"),
        ("Outcome", "Outcome"), ("Outcome", "Outcome"), ("Outcome", "Outcome (copy)"), ("Project", "Work Package")]


def model(elements: str, relationships: str = "", encoding: str = "UTF-8", definitions: str = "") -> str:
    return f"""<?xml version="1.0" encoding="{encoding}"?>
<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="m">
  <name>t</name>
  <elements>{elements}</elements>
  <relationships>{relationships}</relationships>
  {definitions}
</model>"""


def el(identifier: str, archimate_type: str, name: str | None = None, extra: str = "") -> str:
    return f'<element identifier="{identifier}" xsi:type="{archimate_type}"><name>{name or identifier}</name>{extra}</element>'


def rel(identifier, archimate_type, source, target, directed=False):
    flag = ' isDirected="true"' if directed else ""
    return f'<relationship identifier="{identifier}" xsi:type="{archimate_type}" source="{source}" target="{target}"{flag}/>'


def test_every_relationship_rule(tmp_path):
    definitions = ('<propertyDefinitions><propertyDefinition identifier="pk" type="string"><name>valuegraphKind</name>'
                   '</propertyDefinition><propertyDefinition identifier="pb" type="string"><name>budget</name>'
                   '</propertyDefinition></propertyDefinitions>')
    programme = '<properties><property propertyDefinitionRef="pk"><value>Programme</value></property></properties>'
    budget = '<properties><property propertyDefinitionRef="pb"><value>1500</value></property></properties>'
    elements = "".join([
        el("wp1", "WorkPackage", extra=f"<documentation>first</documentation>{budget}"), el("wp2", "WorkPackage"),
        el("prog", "WorkPackage", extra=programme), el("d", "Deliverable"), el("o", "Outcome"), el("v", "Value"),
        el("g1", "Goal"), el("g2", "Goal"), el("actor", "BusinessActor"),
    ])
    relationships = "".join([
        rel("r1", "Realization", "wp1", "d"),            # DELIVERS
        rel("r2", "Realization", "d", "o"),              # ENABLES
        rel("r3", "Influence", "o", "v"),                # REALISES
        rel("r4", "Association", "v", "g1", True),       # CONTRIBUTES_TO
        rel("r5", "Realization", "g1", "g2"),            # SUPPORTS
        rel("r6", "Association", "v", "g2"),             # undirected: left out
        rel("r7", "Aggregation", "prog", "wp1"),         # wp1 PART_OF prog
        rel("r8", "Composition", "prog", "wp2"),         # wp2 PART_OF prog
        rel("r9", "Triggering", "wp1", "wp2"),           # wp2 DEPENDS_ON wp1
        rel("r10", "Flow", "wp2", "wp1"),                # wp1 DEPENDS_ON wp2
        rel("r11", "Serving", "actor", "wp1"),           # unmapped end: left out
        rel("r12", "Aggregation", "wp1", "wp2"),         # Project PART_OF Project is not allowed: left out
    ])
    path = tmp_path / "model.xml"
    path.write_text(model(elements, relationships, definitions=definitions), encoding="utf-8")
    (doc,) = loader_for(path).documents()
    assert doc.errors == []
    got = sorted(tuple(r.key) for r in doc.relations)
    assert got == sorted([("wp1", "DELIVERS", "d"), ("d", "ENABLES", "o"), ("o", "REALISES", "v"),
                          ("v", "CONTRIBUTES_TO", "g1"), ("g1", "SUPPORTS", "g2"), ("wp1", "PART_OF", "prog"),
                          ("wp2", "PART_OF", "prog"), ("wp2", "DEPENDS_ON", "wp1"), ("wp1", "DEPENDS_ON", "wp2")])
    kinds = {e.id: e.kind for e in doc.entities}
    assert kinds["prog"] == "Programme" and kinds["wp1"] == "Project" and kinds["v"] == "Benefit"
    wp1 = next(e for e in doc.entities if e.id == "wp1")
    assert wp1.properties["description"] == "first" and wp1.properties["budget"] == 1500
    assert doc.left_out == {"element BusinessActor": 1, "relationship Association from Benefit to Goal": 1,
                            "relationship Serving": 1, "relationship Aggregation from Project to Project": 1}


def test_windows_1252_files(tmp_path):
    path = tmp_path / "cp.xml"
    path.write_bytes(model(el("g", "Goal", "Réduire les coûts — vite"), encoding="windows-1252").encode("cp1252"))
    (doc,) = loader_for(path).documents()
    assert doc.entities[0].properties["name"] == "Réduire les coûts — vite"


def test_archimate_2_1_is_refused_naming_the_version(tmp_path):
    path = tmp_path / "old.xml"
    path.write_text('<?xml version="1.0"?><model xmlns="http://www.opengroup.org/xsd/archimate" identifier="m">'
                    '<elements/></model>')
    with pytest.raises(DocumentRejected) as info:
        list(loader_for(path).documents())
    assert "ArchiMate 2.1 exchange file" in info.value.errors[0].message
    assert "reads ArchiMate 3.0 and 3.1" in info.value.errors[0].message


def test_an_xml_file_of_another_namespace_is_said_not_to_be_archimate_3(tmp_path):
    path = tmp_path / "other.xml"
    path.write_text('<?xml version="1.0"?><model xmlns="urn:example:other"><elements/></model>')
    with pytest.raises(DocumentRejected) as info:
        list(loader_for(path, format="archimate").documents())
    message = info.value.errors[0].message
    assert message.startswith("this is not an ArchiMate 3 exchange file (namespace 'urn:example:other')"), message


def test_malformed_xml_and_unknown_encodings_are_located(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text(model(el("g", "Goal")).replace("</elements>", "</element>"))
    with pytest.raises(DocumentRejected) as info:
        list(loader_for(broken, format="archimate").documents())
    assert info.value.errors[0].location.startswith(f"{broken}:") and "malformed XML" in info.value.errors[0].message
    odd = tmp_path / "odd.xml"
    odd.write_bytes(model(el("g", "Goal"), encoding="x-klingon").encode())
    with pytest.raises(DocumentRejected) as info:
        list(loader_for(odd, format="archimate").documents())
    assert info.value.errors[0].location.startswith(str(odd))


def test_export_to_archimate_and_back_keeps_the_answers(tmp_path, sample_store_path):
    original = f"oxigraph:{sample_store_path}"
    out = tmp_path / "model.xml"
    assert runner.invoke(app, ["export", "--format", "archimate", "--out", str(out), "--store", original]).exit_code == 0
    copy = f"oxigraph:{tmp_path / 'copy'}"
    result = runner.invoke(app, ["load", str(out), "--source", "archi", "--store", copy])
    assert result.exit_code == 0, result.output
    assert without_sources(answers(copy)) == without_sources(answers(original))


def test_a_mapping_override_given_as_a_recipe(tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text("elements: {Driver: Goal, Capability: Outcome, Stakeholder: CustomerSegment}\n"
                       "relationships: {Serving: CONTRIBUTES_TO}\n")
    (doc,) = loader_for(MODEL, recipe=str(mapping)).documents()
    kinds = Counter(e.kind for e in doc.entities)
    assert kinds == Counter({"Goal": 4, "Outcome": 4, "Benefit": 1, "Project": 1, "Deliverable": 1, "CustomerSegment": 1})
    # Influence from a Driver (now a Goal) to a Goal becomes SUPPORTS
    assert [r.key.type for r in doc.relations] == ["SUPPORTS"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("elements: {Driver: Aim}\nrelationships: {Serving: HELPS}\n")
    with pytest.raises(DocumentRejected) as info:
        list(loader_for(MODEL, recipe=str(bad)).documents())
    assert {e.location for e in info.value.errors} == {f"{bad}: elements.Driver", f"{bad}: relationships.Serving"}
