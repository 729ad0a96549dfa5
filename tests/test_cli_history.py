"""`valuegraph history`, `changes`, `diff` and `--as-of` on a store loaded twice from the examples, with a
change to a copy of a file between the loads."""

from __future__ import annotations

import getpass
import json
import shutil

import pytest
from typer.testing import CliRunner

from tests.conftest import EXAMPLES
from valuegraph.cli.main import app
from valuegraph.graph import ValueGraph
from valuegraph.graph.questions import Questions

runner = CliRunner()


def vg(*args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def as_json(*args: str):
    return json.loads(vg(*args, "--json").stdout)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    """Revisions 1 (strategy), 2 (ppm), 3 (ppm again: PRJ-03's health, and PRJ-31 now contributing to OBJ-7)."""
    base = tmp_path_factory.mktemp("cli-history")
    ppm = base / "ppm"
    shutil.copytree(EXAMPLES / "ppm", ppm)
    url = f"oxigraph:{base / 'store'}"
    first = as_json("load", str(EXAMPLES / "strategy.yaml"), "--store", url)
    second = as_json("load", str(ppm), "--source", "ppm-tool", "--store", url)
    assert [r["revision"] for r in first + second] == [1, 2]
    projects = (ppm / "Project.csv").read_text()
    assert "PRJ-03,Meter data platform,active,red," in projects
    (ppm / "Project.csv").write_text(projects.replace("PRJ-03,Meter data platform,active,red,",
                                                      "PRJ-03,Meter data platform,active,amber,"))
    with (ppm / "relations.csv").open("a") as relations:
        relations.write("PRJ-31,CONTRIBUTES_TO,OBJ-7,0.5\n")
    table = vg("load", str(ppm), "--source", "ppm-tool", "--store", url).stdout
    assert "revision 3" in table
    return url


def test_changes_since_a_revision(store):
    found = as_json("changes", "--since", "2", "--store", store)
    assert found["next"] == 3 and found["after"] is None
    assert [(c["revision"], c["kind"], c["entityId"], c["property"], c["before"], c["after"], c["relationType"], c["to"])
            for c in found["changes"]] == [
        (3, "PROPERTY_SET", "PRJ-03", "health", "red", "amber", None, None),
        (3, "RELATION_ASSERTED", "PRJ-31", None, None, {"weight": 0.5}, "CONTRIBUTES_TO", "OBJ-7"),
    ]
    assert all(c["source"] == "ppm-tool" for c in found["changes"])
    table = vg("changes", "--since", "2", "--store", store).stdout
    assert "changes after revision 2 (2)" in table and "PRJ-31" in table and "amber" in table


def test_changes_in_pages_and_of_a_source(store):
    every, after = [], None
    while True:  # the examples make thousands of changes: pages of 1000, each going on from the last
        page = as_json("changes", "--limit", "1000", "--store", store, *(["--after", after] if after else []))
        every += page["changes"]
        after = page["after"]
        if after is None:
            assert page["next"] == 3
            break
    assert len(every) > 1000 and [c["revision"] for c in every] == sorted(c["revision"] for c in every)
    assert len({json.dumps(c, sort_keys=True) for c in every}) == len(every)
    page = as_json("changes", "--limit", "5", "--store", store)
    assert page["changes"] == every[:5] and page["after"] is not None and page["next"] == 0
    assert "go on with --after" in vg("changes", "--limit", "5", "--store", store).stdout
    strategy = as_json("changes", "--source", "strategy-office", "--limit", "1000", "--store", store)
    assert strategy["changes"] == [c for c in every if c["source"] == "strategy-office"][:1000]
    assert as_json("changes", "--source", "nobody", "--store", store)["changes"] == []
    assert "no changes after revision 3" in vg("changes", "--since", "3", "--store", store).stdout
    assert "Invalid value for '--limit'" in vg("changes", "--limit", "0", "--store", store, code=2).output


def test_history_of_an_entity(store):
    found = as_json("history", "PRJ-03", "--store", store)
    assert [(c["revision"], c["kind"], c["property"]) for c in found][:2] == [
        (2, "ENTITY_ASSERTED", None), (2, "PROPERTY_SET", "name")]
    assert found[-1]["revision"] == 3 and (found[-1]["property"], found[-1]["before"], found[-1]["after"]) == \
        ("health", "red", "amber")
    assert as_json("history", "PRJ-03", "--first", "3", "--store", store) == found[:3]
    table = vg("history", "PRJ-03", "--store", store).stdout
    assert "history of PRJ-03 (15 changes, oldest first)" in table and "CC-220" in table  # its cost centre, set at 2
    assert table.index("revision 2, ppm-tool") < table.index("revision 3, ppm-tool")
    assert "no changes of NOPE" in vg("history", "NOPE", "--store", store).stdout


def test_diff_shows_the_strategic_consequences_first(store):
    d = as_json("diff", "2", "--store", store)
    assert (d["fromRevision"], d["toRevision"]) == (2, 3)
    assert [e["id"] for e in d["resolvedOrphans"]] == ["PRJ-31"]
    assert [e["id"] for e in d["newlySupported"]] == ["OBJ-7"]
    assert d["newOrphans"] == [] and d["newlyUnsupported"] == []
    assert d["alignedBudgetShareBefore"] < d["alignedBudgetShareAfter"]
    assert d["propertiesChanged"] == [{"entity": {"id": "PRJ-03", "kind": "Project", "name": "Meter data platform"},
                                       "property": "health", "before": "red", "after": "amber"}]
    assert d["relationsAdded"] == [{"from": "PRJ-31", "type": "CONTRIBUTES_TO", "to": "OBJ-7"}]
    assert as_json("diff", "2", "3", "--store", store) == d
    back = as_json("diff", "3", "2", "--store", store)
    assert [e["id"] for e in back["newOrphans"]] == ["PRJ-31"] and back["relationsRemoved"] == d["relationsAdded"]
    text = vg("diff", "2", "--store", store).stdout
    before, after = f"{d['alignedBudgetShareBefore']:.1%}", f"{d['alignedBudgetShareAfter']:.1%}"
    assert f"aligned budget share: {before} -> {after}" in text
    assert text.index("resolved orphans") < text.index("graph changes") < text.index("relations added")
    everything = as_json("diff", "0", "--store", store)
    assert len(everything["entitiesAdded"]) == sum(as_json("stats", "--store", store)["entities"].values())


def test_as_of_on_the_question_commands(store):
    assert as_json("delivers", "OBJ-7", "--as-of", "2", "--store", store) == []
    assert [h["id"] for h in as_json("delivers", "OBJ-7", "--store", store)] == ["PRJ-31"]
    then = as_json("alignment", "--as-of", "2", "--store", store)
    assert "PRJ-31" in [e["id"] for e in then["orphans"]] and "OBJ-7" in [e["id"] for e in then["unsupported"]]
    assert "PRJ-31" not in [e["id"] for e in as_json("alignment", "--store", store)["orphans"]]
    assert as_json("why", "PRJ-31", "--as-of", "2", "--store", store) == []
    assert "OBJ-7" in [h["id"] for h in as_json("why", "PRJ-31", "--as-of", "3", "--store", store)]
    assert as_json("trace", "PRJ-31", "OBJ-7", "--as-of", "2", "--store", store) == []
    assert as_json("trace", "PRJ-31", "OBJ-7", "--store", store)[0]["length"] == 1
    def ids(answer):
        return [[h["id"] for h in answer[part]] for part in ("dependents", "affected")]

    assert ids(as_json("impact", "PRJ-35", "--as-of", "2", "--store", store)) == \
        ids(as_json("impact", "PRJ-35", "--store", store))
    vg("impact", "PRJ-35", "--as-of", "1", "--store", store, code=2)  # no projects yet
    assert as_json("analytics", "reach", "--as-of", "1", "--store", store) == []
    assert as_json("analytics", "reach", "--as-of", "3", "--store", store) == as_json("analytics", "reach", "--store", store)
    # as of a time: before the first revision is the empty graph, far ahead is now
    assert "no entity with id 'PRJ-31'" in vg("why", "PRJ-31", "--as-of", "2000-01-01T00:00:00Z", "--store", store,
                                              code=2).output
    assert as_json("alignment", "--as-of", "2999-01-01T00:00:00+00:00", "--store", store) == \
        as_json("alignment", "--store", store)
    # entity records as they were: PRJ-03 was red at revision 2
    why = as_json("delivers", "OBJ-2", "-k", "Project", "--as-of", "2", "--store", store)
    now = as_json("delivers", "OBJ-2", "-k", "Project", "--store", store)
    def health(hits):
        return {h["id"]: h["properties"].get("health") for h in hits}

    assert (health(why)["PRJ-03"], health(now)["PRJ-03"]) == ("red", "amber")


@pytest.mark.parametrize("point, message", [
    ("9", "asOf revision 9 is after the latest revision, 3"),
    ("-1", "asOf revision -1: revisions are numbered from 1"),
    ("yesterday", "'yesterday' is neither a revision number nor an ISO-8601 time"),
])
def test_a_bad_point_exits_2_with_the_reason(store, point, message):
    assert message in " ".join(vg("alignment", "--as-of", point, "--store", store, code=2).output.split())
    assert message in " ".join(vg("diff", "--store", store, "--", point, code=2).output.split())


def test_a_load_from_the_command_line_is_written_by_the_local_user(store):
    # revisions' authors are not part of a change: read them through the question service
    with ValueGraph.open(store) as graph:
        assert {r.author for _, r in Questions(graph).revisions().revisions} == {getpass.getuser()}
