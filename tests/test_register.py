"""Spreadsheet registers through recipes, proven on the UK Government Major Projects Portfolio data."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from valuegraph.cli.main import app
from valuegraph.graph import DocumentRejected, ValueGraph, open_store
from valuegraph.loaders import loader_for
from valuegraph.graph.questions import Questions
from tests.conftest import TEST_DATA

GMPP = TEST_DATA / "gmpp-2022.csv"
runner = CliRunner()


def rows_of(path):
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


def column(header, start):
    return next(h for h in header if " ".join(h.split()).startswith(start))


def test_gmpp_loads_every_row_and_reloading_changes_nothing(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    first = runner.invoke(app, ["load", str(GMPP), "--recipe", "gmpp", "--source", "gmpp", "--store", store, "--json"])
    assert first.exit_code == 0, first.output
    header, rows = rows_of(GMPP)
    report = json.loads(first.stdout)[0]
    departments = {r["Department"] for r in rows}
    assert report["byKind"]["Project"]["created"] == len(rows) == 235
    assert report["byKind"]["Portfolio"]["created"] == len(departments)
    assert report["byKind"]["PART_OF"]["created"] == len(rows)
    again = json.loads(runner.invoke(app, ["load", str(GMPP), "--recipe", "gmpp", "--source", "gmpp",
                                           "--store", store, "--json"]).stdout)[0]
    assert again["created"] == again["updated"] == 0 and again["unchanged"] == report["created"]

    with ValueGraph(open_store(store)) as graph:
        ipa = column(header, "IPA Delivery Confidence Assessment")
        expected_health = Counter(r[ipa].strip().lower() for r in rows if r[ipa].strip() in ("Green", "Amber", "Red"))
        records = graph.entities([r["GMPP ID Number"] for r in rows])
        assert Counter(rec.properties.get("health") for rec in records.values() if "health" in rec.properties) \
            == expected_health == Counter({"amber": 118, "red": 24, "green": 11})
        kept = [rec for rec in records.values() if "deliveryConfidence" in rec.properties]
        assert kept and all(rec.properties["deliveryConfidence"].startswith(("Exempt", "Early", "The project"))
                            for rec in kept)
        sub = records["MOD_0135_2122-Q1"].properties
        assert sub["budget"] == 278_000_000 and str(sub["startDate"]) == "2013-03-29" and str(sub["endDate"]) == "2026-12-31"
        assert sub["category"] == "Military Capability"
        tests_5g = records["DCMS_0011_1718-Q3"].properties
        assert tests_5g["budget"] == 227_000_000 and "health" not in tests_5g  # its IPA assessment is blank
        wlc = column(header, "TOTAL Baseline Whole Life Costs")
        for row in rows[:40]:
            props = records[row["GMPP ID Number"]].properties
            raw = row[wlc].replace("£", "").replace(",", "")
            if raw.replace(".", "").isdigit():
                assert props["budget"] == pytest.approx(float(raw) * 1_000_000)
            else:
                assert "budget" not in props
        mod = [h.entity.id for h in Questions(graph).what_delivers("MOD", kinds=["Project"]).hits]
        assert sorted(mod) == sorted(r["GMPP ID Number"] for r in rows if r["Department"] == "MOD")


def test_later_years_with_a_benefits_column_make_benefits(tmp_path):
    header, rows = rows_of(GMPP)
    later = tmp_path / "gmpp-2023.csv"
    with later.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header + ["TOTAL Baseline Benefits (£m)\n(including Non-Government benefits)"])
        for n, row in enumerate(rows[:20]):
            writer.writerow([row[h] for h in header] + ["£1,234.5" if n % 2 == 0 else "Exempt under Section 43"])
    (doc,) = loader_for(later, recipe="gmpp").documents()
    assert doc.errors == []
    benefits = [e for e in doc.entities if e.kind == "Benefit"]
    assert len(benefits) == 10
    assert benefits[0].properties["expectedValue"] == 1_234_500_000 and benefits[0].properties["unit"] == "GBP"
    contributions = [r.key for r in doc.relations if r.key.type == "CONTRIBUTES_TO"]
    assert len(contributions) == 10 and all(k.to_id == f"{k.from_id}/benefits" for k in contributions)


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


RECIPE = """name: test
entities:
  - kind: Project
    id: "{Ref}"
    name: "{Title}"
    properties:
      budget: {column: "Cost", type: number, decimal: ",", required: true}
      due: {column: "Due", type: date, optional: true}
relations:
  - {from: "{Ref}", type: DEPENDS_ON, to: "{Needs}", split: ";", external: true}
"""


def test_a_recipe_with_european_numbers_dates_and_multi_valued_cells(tmp_path):
    recipe = write(tmp_path, "r.yaml", RECIPE)
    data = write(tmp_path, "reg.csv", "Ref;Title;Cost;Due;Needs\nA;Alpha;1 234,5;31/12/2026;\nB;Beta;€ 10;;A\n"
                                      "C;Gamma;7;2026-01-02;A; B\n".replace("A; B", '"A; B"'), encoding="cp1252")
    with pytest.raises(DocumentRejected):  # the recipe says utf-8 by default: cp1252's € is not utf-8
        list(loader_for(data, recipe=str(recipe)).documents())
    write(tmp_path, "r.yaml", RECIPE + "encoding: cp1252\n")
    (doc,) = loader_for(data, recipe=str(recipe)).documents()
    assert doc.errors == []
    props = {e.id: e.properties for e in doc.entities}
    assert props["A"]["budget"] == 1234.5 and str(props["A"]["due"]) == "2026-12-31" and props["B"]["budget"] == 10
    assert sorted(tuple(r.key) for r in doc.relations) == [("B", "DEPENDS_ON", "A"), ("C", "DEPENDS_ON", "A"),
                                                           ("C", "DEPENDS_ON", "B")]


def test_bad_recipes_and_files_give_located_errors(tmp_path):
    recipe = write(tmp_path, "r.yaml", RECIPE)
    missing = write(tmp_path, "m.csv", "Ref,Title,Price\nA,Alpha,3\n")
    with pytest.raises(DocumentRejected) as info:
        list(loader_for(missing, recipe=str(recipe)).documents())
    messages = {(e.location, e.message) for e in info.value.errors}
    assert (f"{missing}:1", "the recipe's column 'Cost' is not in the file; its columns are: Ref; Title; Price") in messages
    assert (f"{missing}:1", "the recipe's column 'Needs' is not in the file; its columns are: Ref; Title; Price") in messages

    bad_number = write(tmp_path, "n.csv", "Ref,Title,Cost,Needs\nA,Alpha,3,\nB,Beta,lots,\nC,Gamma,NA,\n")
    (doc,) = loader_for(bad_number, recipe=str(recipe)).documents()
    assert {(e.location, e.message) for e in doc.errors} == {
        (f"{bad_number}:3, column Cost", "'lots' is not a number"),
        (f"{bad_number}:4, column Cost", "a value is required here"),
    }

    write(tmp_path, "bad.yaml", "name: x\nentities: [{kind: Widget, id: '{Ref}', name: '{Title}', colour: red}]\n")
    with pytest.raises(DocumentRejected) as info:
        list(loader_for(missing, recipe=str(tmp_path / "bad.yaml")).documents())
    assert info.value.errors[0].location.startswith(f"{tmp_path / 'bad.yaml'}: entities.0")

    write(tmp_path, "enc.yaml", RECIPE + "encoding: klingon\n")
    with pytest.raises(DocumentRejected) as info:
        list(loader_for(missing, recipe=str(tmp_path / "enc.yaml")).documents())
    assert "unknown encoding 'klingon'" in info.value.errors[0].message

    with pytest.raises(DocumentRejected) as info:
        list(loader_for(missing, recipe="nope").documents())
    assert "no built-in recipe 'nope'" in info.value.errors[0].message


def test_rejected_register_writes_nothing(tmp_path):
    recipe = write(tmp_path, "r.yaml", RECIPE)
    bad = write(tmp_path, "n.csv", "Ref,Title,Cost,Needs\nA,Alpha,3,\nB,Beta,lots,\n")
    store = f"oxigraph:{tmp_path / 's'}"
    result = runner.invoke(app, ["load", str(bad), "--recipe", str(recipe), "--source", "x", "--store", store, "--json"])
    assert result.exit_code == 1
    stats = json.loads(runner.invoke(app, ["stats", "--store", store, "--json"]).stdout)
    assert sum(stats["entities"].values()) == 0


def test_xlsx_registers(tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Register")
    sheet.append(["Ref", "Title", "Cost", "Due", "Needs"])
    sheet.append(["A", "Alpha", 1234.5, dt.datetime(2026, 12, 31), None])
    sheet.append(["B", "Beta", 10, None, "A"])
    path = tmp_path / "register.xlsx"
    book.save(path)
    recipe = write(tmp_path, "r.yaml", RECIPE.replace('decimal: ",", ', "") + "sheet: Register\n")
    (doc,) = loader_for(path, recipe=str(recipe)).documents()
    assert doc.errors == []
    props = {e.id: e.properties for e in doc.entities}
    assert props["A"]["budget"] == 1234.5 and str(props["A"]["due"]) == "2026-12-31" and props["B"]["budget"] == 10
    assert [tuple(r.key) for r in doc.relations] == [("B", "DEPENDS_ON", "A")]
    write(tmp_path, "r2.yaml", RECIPE + "sheet: Nope\n")
    with pytest.raises(DocumentRejected) as info:
        list(loader_for(path, recipe=str(tmp_path / "r2.yaml")).documents())
    assert "no sheet 'Nope'; the sheets are Notes, Register" in info.value.errors[0].message
    not_a_book = write(tmp_path, "fake.xlsx", "id,name\n")
    with pytest.raises(DocumentRejected) as info:
        list(loader_for(not_a_book, recipe=str(recipe)).documents())
    assert info.value.errors[0].location == str(not_a_book) and "not a readable XLSX workbook" in info.value.errors[0].message


def test_relation_properties_follow_the_same_column_rules_as_entity_properties(tmp_path):
    recipe = write(tmp_path, "r.yaml", """name: weights
entities:
  - {kind: Project, id: "{Ref}", name: "{Ref}"}
relations:
  - from: "{Ref}"
    type: DEPENDS_ON
    to: "{Needs}"
    external: true
    properties:
      weight: {column: "Weight", type: number, decimal: ",", raw_as: weightAsGiven}
""")
    data = write(tmp_path, "reg.csv", "Ref,Needs,Weight\nA,B,\"0,25\"\nB,C,unknown\nC,A,N/A\n")
    (doc,) = loader_for(data, recipe=str(recipe)).documents()
    weights = {r.key.from_id: r.properties for r in doc.relations}
    assert weights["A"] == {"weight": 0.25}
    assert weights["C"] == {"weightAsGiven": "N/A"}  # missing: the raw text is kept where the rule says so
    assert [(e.location, e.message) for e in doc.errors] == [(f"{data}:3, column Weight", "'unknown' is not a number")]
