"""The load test (benchmarks/load.py): a bounded run finds no error and no torn answer, and its checker
does catch answers that show part of a write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from benchmarks.load import NotLoopback, local_store
from benchmarks.load_workload import (
    PROJECTS,
    canonical,
    check,
    check_changes,
    document,
    objective_id,
    project_id,
    questions,
    source_of,
)

ROOT = Path(__file__).resolve().parent.parent
TAG = "w0s0"


def orphans_answer(gen: int, orphaned: bool, names: dict[int, int] | None = None) -> dict:
    """An alignment answer as the service gives it for source load-w0s0 at ``gen``: its projects are
    orphans and its objective unsupported on even generations. ``names``: project -> the generation its
    name shows, where it differs."""
    names = names or {}
    projects = [{"id": project_id(TAG, i), "name": f"Load {TAG} project {i} g{names.get(i, gen)}",
                 "kind": "PROJECT"} for i in range(PROJECTS)]
    objective = {"id": objective_id(TAG), "name": f"Load {TAG} objective g{gen}", "kind": "OBJECTIVE"}
    return {"alignment": {"alignedBudgetShare": 0.5 if orphaned else 0.75,
                          "orphans": projects if orphaned else [],
                          "unsupported": [objective] if orphaned else []}}


def expected_by_parity() -> dict:
    return {(0,): canonical(orphans_answer(0, True), {}), (1,): canonical(orphans_answer(1, False), {})}


def test_an_answer_of_one_state_in_the_window_passes():
    expected = expected_by_parity()
    assert check(orphans_answer(6, True), [TAG], {TAG: (6, 7)}, expected) is None
    assert check(orphans_answer(7, False), [TAG], {TAG: (6, 7)}, expected) is None
    # an answer showing no written name matches either parity in the window
    assert check({"alignment": {"alignedBudgetShare": 0.75, "orphans": [], "unsupported": []}}, [TAG],
                 {TAG: (6, 7)}, expected) is None


def test_names_of_two_writes_in_one_answer_are_torn():
    problem = check(orphans_answer(6, True, names={3: 7}), [TAG], {TAG: (6, 7)}, expected_by_parity())
    assert problem is not None and problem.kind == "torn"
    assert "generations [6, 7]" in problem.message


def test_names_of_one_write_with_the_paths_of_the_other_are_torn():
    # the index still at generation 6 (orphans), every name already read at 7: what a reader that reads
    # records from the store while a write commits would show
    torn = orphans_answer(7, True)
    problem = check(torn, [TAG], {TAG: (6, 7)}, expected_by_parity())
    assert problem is not None and problem.kind == "torn"


def test_part_of_a_write_is_torn():
    answer = orphans_answer(6, True)
    del answer["alignment"]["orphans"][5]  # one project's contribution seen, the others' not
    problem = check(answer, [TAG], {TAG: (6, 7)}, expected_by_parity())
    assert problem is not None and problem.kind == "torn"


def test_a_state_outside_the_window_is_stale():
    problem = check(orphans_answer(4, True), [TAG], {TAG: (6, 7)}, expected_by_parity())
    assert problem is not None and problem.kind == "stale"


def changes_of(gen: int, revision: int, *, skip_contribution: int | None = None) -> list[dict]:
    kind = "RELATION_ASSERTED" if gen % 2 else "RELATION_RETRACTED"
    names = [{"revision": revision, "kind": "PROPERTY_SET", "entityId": e["id"], "property": "name",
              "after": e["name"], "relationType": None} for e in document(TAG, gen)["entities"]]
    contributions = [{"revision": revision, "kind": kind, "entityId": project_id(TAG, i), "property": None,
                      "after": None, "relationType": "CONTRIBUTES_TO"}
                     for i in range(PROJECTS) if i != skip_contribution]
    return names + contributions


def page(changes: list[dict], through: int) -> dict:
    return {"changes": {"completeThrough": through, "edges": [{"node": c} for c in changes]}}


def test_whole_writes_in_changes_pass_and_part_of_one_is_torn():
    whole = page(changes_of(5, 40) + changes_of(6, 42), 42)
    assert check_changes(whole, TAG, 5, {5: 40}) is None
    part = page(changes_of(5, 40) + changes_of(6, 42, skip_contribution=2), 42)
    problem = check_changes(part, TAG, 5, {5: 40})
    assert problem is not None and problem.kind == "torn"
    # a write known to have completed that the changes do not start with
    problem = check_changes(page(changes_of(6, 42), 42), TAG, 5, {5: 40, 6: 42})
    assert problem is not None and problem.kind == "stale"


def test_every_question_names_each_source():
    asked = questions(["w0s0", "w1s0"])
    per_source = [name for name, query in asked.items() if "w0s0" in query]
    assert all("w1s0" in asked[name] for name in per_source)
    assert {"whatDelivers objectives", "whyExists", "trace", "impact", "entity"} <= set(per_source)


def test_only_a_store_on_this_machine_is_accepted(tmp_path):
    assert local_store("memory:") == "memory:"
    assert local_store("oxigraph:relative/store") == f"oxigraph:{Path('relative/store').resolve()}"
    assert local_store("bolt://127.0.0.1:7687") == "bolt://127.0.0.1:7687"
    assert local_store("bolt://localhost:7687") == "bolt://localhost:7687"
    for remote in ("bolt://10.0.0.5:7687", "neo4j://db.example.com", "bolt://", "http://127.0.0.1:7474"):
        with pytest.raises(NotLoopback):
            local_store(remote)
    refused = subprocess.run([sys.executable, "-m", "benchmarks.load", "--store", "bolt://192.0.2.1:7687"],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "only runs against a store on this machine" in refused.stderr


@pytest.mark.slow
def test_a_bounded_run_has_no_error_and_no_torn_answer():
    done = subprocess.run([sys.executable, "-m", "benchmarks.load", "--seconds", "5", "--readers", "2",
                           "--writers", "1", "--size", "S", "--store", "memory:", "--json", "-"],
                          cwd=ROOT, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-4000:]
    result = orjson.loads(done.stdout)
    assert result["sources"] == [source_of("w0s0"), source_of("w0s1")]
    assert result["reads"]["count"] > 0 and result["writes"]["count"] > 0
    for row in [result["reads"], result["writes"], *result["questions"].values()]:
        assert (row["errors"], row["torn"], row["stale"]) == (0, 0, 0)
    assert all(row["count"] > 0 for row in result["questions"].values())
    assert result["problems"] == []
