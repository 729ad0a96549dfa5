"""Every rule of the traceability semantics, on small hand-made graphs, on every backend."""

from __future__ import annotations

import pytest

from valuegraph.graph import NotFound
from tests.utils.factories import E, R, id_set, ids, load
from valuegraph.graph.questions import Questions
from tests.utils.answers import traced


def chain(graph):
    """G <- OBJ (SUPPORTS) <- SUB (SUPPORTS) <- KR (MEASURES) <- P1 (CONTRIBUTES_TO)
    P2 -PART_OF-> PG -CONTRIBUTES_TO-> OBJ; P3 -DELIVERS-> D -ENABLES-> OUT -REALISES-> BEN -CONTRIBUTES_TO-> SUB;
    BEN -SERVES-> SEG."""
    load(graph, [
        E("G", "Goal"), E("OBJ", "Objective"), E("SUB", "Objective"), E("KR", "KeyResult"),
        E("P1", "Project"), E("P2", "Project"), E("P3", "Project"), E("PG", "Programme"),
        E("D", "Deliverable"), E("OUT", "Outcome"), E("BEN", "Benefit"), E("SEG", "CustomerSegment"),
    ], [
        R("OBJ", "SUPPORTS", "G"), R("SUB", "SUPPORTS", "OBJ"), R("KR", "MEASURES", "SUB"),
        R("P1", "CONTRIBUTES_TO", "KR"), R("P2", "PART_OF", "PG"), R("PG", "CONTRIBUTES_TO", "OBJ"),
        R("P3", "DELIVERS", "D"), R("D", "ENABLES", "OUT"), R("OUT", "REALISES", "BEN"),
        R("BEN", "CONTRIBUTES_TO", "SUB"), R("BEN", "SERVES", "SEG"),
    ])


def test_sub_objectives_and_key_results_lead_to_the_goal(graph):
    chain(graph)
    hits = Questions(graph).what_delivers("G").hits
    assert [(h.entity.id, h.distance) for h in hits] == [("PG", 2), ("P2", 3), ("P1", 4), ("P3", 6)]
    assert ids(Questions(graph).what_delivers("SUB").hits) == ["P1", "P3"]
    assert ids(Questions(graph).what_delivers("KR").hits) == ["P1"]


def test_programme_containment_delivers_through_the_programme(graph):
    chain(graph)
    hits = Questions(graph).what_delivers("OBJ").hits
    assert [(h.entity.id, h.distance) for h in hits] == [("PG", 1), ("P2", 2), ("P1", 3), ("P3", 5)]


def test_portfolio_contribution_reaches_every_contained_project(graph):
    load(graph, [E("G", "Goal"), E("PF", "Portfolio"), E("PG", "Programme"), E("P", "Project")],
         [R("P", "PART_OF", "PG"), R("PG", "PART_OF", "PF"), R("PF", "CONTRIBUTES_TO", "G")])
    assert [(h.entity.id, h.distance) for h in Questions(graph).what_delivers("G").hits] == [("PG", 2), ("P", 3)]


def test_deliverable_outcome_benefit_chain_and_customer_segment(graph):
    chain(graph)
    why = Questions(graph).why_exists("P3")
    assert [(h.entity.id, h.distance) for h in why] == [("BEN", 3), ("SEG", 4), ("SUB", 4), ("OBJ", 5), ("G", 6)]
    assert ids(Questions(graph).what_delivers("SEG").hits) == ["P3"]
    assert ids(Questions(graph).what_delivers("OUT", kinds=["Deliverable", "Project"]).hits) == ["D", "P3"]


def test_default_kinds_of_what_delivers_are_projects_and_programmes(graph):
    chain(graph)
    kinds = {h.entity.kind for h in Questions(graph).what_delivers("G").hits}
    assert kinds == {"Project", "Programme"}
    assert "D" in ids(Questions(graph).what_delivers("G", kinds=["Deliverable"]).hits)


def test_why_exists_kinds_filter(graph):
    chain(graph)
    assert ids(Questions(graph).why_exists("P1", kinds=["KeyResult"])) == ["KR"]
    assert ids(Questions(graph).why_exists("P1")) == ["KR", "SUB", "OBJ", "G"]


def test_cancelled_intermediate_blocks_the_path(graph):
    load(graph, [E("OBJ", "Objective"), E("PG", "Programme", status="cancelled"), E("P", "Project")],
         [R("P", "PART_OF", "PG"), R("PG", "CONTRIBUTES_TO", "OBJ")])
    assert Questions(graph).what_delivers("OBJ").hits == []
    assert traced(graph, "P", "OBJ") == []
    assert Questions(graph).why_exists("P") == []
    assert ids(Questions(graph).what_delivers("OBJ", include_cancelled=True).hits) == ["PG", "P"]
    assert [p.length for p in traced(graph, "P", "OBJ", include_cancelled=True)] == [2]
    a = Questions(graph).alignment()
    assert id_set(a.orphans) == {"P"}
    assert id_set(a.unsupported) == {"OBJ"}


def test_cancelled_endpoints_are_excluded(graph):
    load(graph, [E("OBJ", "Objective", status="cancelled"), E("OBJ2", "Objective"),
                 E("P", "Project", status="cancelled"), E("Q", "Project")],
         [R("P", "CONTRIBUTES_TO", "OBJ2"), R("Q", "CONTRIBUTES_TO", "OBJ")])
    assert Questions(graph).what_delivers("OBJ2").hits == []  # the cancelled project does not deliver
    assert ids(Questions(graph).what_delivers("OBJ2", include_cancelled=True).hits) == ["P"]
    assert Questions(graph).what_delivers("OBJ").hits == []  # a cancelled target is delivered by nothing
    assert Questions(graph).why_exists("P") == []
    assert Questions(graph).why_exists("Q") == []
    a = Questions(graph).alignment()
    assert id_set(a.orphans) == {"Q"}  # its only objective is cancelled; P is cancelled so never an orphan
    assert id_set(a.unsupported) == {"OBJ", "OBJ2"}


def test_completed_work_delivers_but_is_never_an_orphan_nor_in_the_budget_share(graph):
    load(graph, [E("OBJ", "Objective"), E("DONE", "Project", status="completed", budget=1000),
                 E("IDLE", "Project", status="completed", budget=500), E("OPEN", "Project", budget=100)],
         [R("DONE", "CONTRIBUTES_TO", "OBJ")])
    assert ids(Questions(graph).what_delivers("OBJ").hits) == ["DONE"]
    a = Questions(graph).alignment()
    assert id_set(a.orphans) == {"OPEN"}
    assert a.unsupported == []
    assert a.aligned_budget_share == 0.0


def test_depends_on_is_not_a_value_chain(graph):
    load(graph, [E("OBJ", "Objective"), E("A", "Project"), E("B", "Project")],
         [R("A", "DEPENDS_ON", "B"), R("B", "CONTRIBUTES_TO", "OBJ")])
    assert ids(Questions(graph).what_delivers("OBJ").hits) == ["B"]
    assert Questions(graph).why_exists("A") == []
    assert id_set(Questions(graph).alignment().orphans) == {"A"}


def test_budget_share_with_missing_budgets(graph):
    load(graph, [E("OBJ", "Objective"), E("A", "Project", budget=100), E("B", "Project"),
                 E("C", "Project", budget=50), E("D", "Project", status="on_hold", budget=50),
                 E("X", "Project", status="cancelled", budget=999)],
         [R("A", "CONTRIBUTES_TO", "OBJ"), R("B", "CONTRIBUTES_TO", "OBJ"), R("X", "CONTRIBUTES_TO", "OBJ")])
    a = Questions(graph).alignment()
    assert a.aligned_budget_share == pytest.approx(100 / 200)
    assert id_set(a.orphans) == {"C", "D"}


def test_budget_share_is_null_when_no_open_project_has_a_budget(graph):
    load(graph, [E("OBJ", "Objective"), E("A", "Project")], [R("A", "CONTRIBUTES_TO", "OBJ")])
    assert Questions(graph).alignment().aligned_budget_share is None


def test_unsupported_objectives(graph):
    load(graph, [E("G", "Goal"), E("O1", "Objective"), E("O2", "Objective"), E("O3", "Objective"),
                 E("PG", "Programme"), E("D", "Deliverable"), E("P", "Project", status="cancelled")],
         [R("PG", "CONTRIBUTES_TO", "O1"), R("D", "CONTRIBUTES_TO", "O2"), R("P", "CONTRIBUTES_TO", "O3"),
          R("O1", "SUPPORTS", "G")])
    # a programme is enough; a deliverable with no project is not; a cancelled project is not
    assert id_set(Questions(graph).alignment().unsupported) == {"O2", "O3"}


def test_impact_through_transitive_dependents(graph):
    load(graph, [E("OBJ", "Objective"), E("OBJ2", "Objective"), E("W", "Project"), E("A", "Project"),
                 E("B", "Project"), E("C", "Project", status="cancelled"), E("OUT", "Outcome"),
                 E("D", "Deliverable")],
         [R("A", "DEPENDS_ON", "W"), R("B", "DEPENDS_ON", "A"), R("C", "DEPENDS_ON", "B"),
          R("D", "DEPENDS_ON", "B"),
          R("W", "CONTRIBUTES_TO", "OBJ"), R("B", "ENABLES", "OUT"), R("OUT", "CONTRIBUTES_TO", "OBJ2"),
          R("C", "CONTRIBUTES_TO", "OBJ2")])
    impact = Questions(graph).impact("W")
    assert [(h.entity.id, h.distance) for h in impact.dependents] == [("A", 1), ("B", 2), ("C", 3), ("D", 3)]
    assert id_set(impact.affected) == {"OBJ", "OUT", "OBJ2"}
    assert id_set(Questions(graph).impact("B").dependents) == {"C", "D"}
    assert Questions(graph).impact("OBJ").dependents == []


def test_impact_counts_a_dependent_reached_by_value_path(graph):
    load(graph, [E("PG", "Programme"), E("P", "Project"), E("OBJ", "Objective")],
         [R("PG", "DEPENDS_ON", "P"), R("P", "PART_OF", "PG"), R("PG", "CONTRIBUTES_TO", "OBJ")])
    impact = Questions(graph).impact("P")
    assert id_set(impact.dependents) == {"PG"}
    assert id_set(impact.affected) == {"PG", "OBJ"}


def test_paths_shortest_first_with_limit(graph):
    chain(graph)
    load(graph, [], [R("P1", "PART_OF", "PG")])
    found = traced(graph, "P1", "G")
    assert [p.length for p in found] == [3, 4]
    assert [n.id for n in found[0].nodes] == ["P1", "PG", "OBJ", "G"]
    assert [r.key.type for r in found[0].relations] == ["PART_OF", "CONTRIBUTES_TO", "SUPPORTS"]
    assert len(traced(graph, "P1", "G", limit=1)) == 1
    assert traced(graph, "G", "P1") == []


def test_paths_kept_between_calls_are_forgotten_on_a_write(graph):
    chain(graph)
    assert [p.length for p in traced(graph, "P1", "G", limit=2)] == [4]
    assert [p.length for p in traced(graph, "P1", "G", limit=2)] == [4]  # the kept answer
    load(graph, [], [R("P1", "PART_OF", "PG")])
    assert [p.length for p in traced(graph, "P1", "G", limit=2)] == [3, 4]
    load(graph, [E("PG", "Programme", status="cancelled")], [])
    assert [p.length for p in traced(graph, "P1", "G", limit=2)] == [4]


def test_known_paths_are_those_a_search_kept_on_the_same_snapshot(graph):
    chain(graph)
    load(graph, [], [R("P1", "PART_OF", "PG")])
    questions = Questions(graph, pinned=True)
    assert questions.known_trace("P1", "G", 2) is None  # not searched yet
    searched = questions.trace("P1", "G", 2)
    assert [r.length for r in searched] == [3, 4]
    assert questions.known_trace("P1", "G", 2) == searched
    assert questions.known_trace("P1", "G", 1) is None  # another limit is another search
    assert questions.known_trace("G", "G", 2) == [] and questions.known_trace("P1", "nope", 2) is None
    load(graph, [], [R("P1", "CONTRIBUTES_TO", "G")])
    after = Questions(graph, pinned=True)
    assert after.known_trace("P1", "G", 2) is None  # a write publishes a snapshot with nothing kept
    assert [r.length for r in after.trace("P1", "G", 2)] == [1, 3]


def test_paths_carry_relation_weight_and_sources(graph):
    load(graph, [E("OBJ", "Objective"), E("P", "Project")], [R("P", "CONTRIBUTES_TO", "OBJ", weight=0.25)])
    (path,) = traced(graph, "P", "OBJ")
    assert path.relations[0].properties["weight"] == 0.25
    assert path.relations[0].sources == ["test"]


def test_unknown_ids_raise_not_found(graph):
    chain(graph)
    for call in (lambda: Questions(graph).what_delivers("nope").hits, lambda: Questions(graph).why_exists("nope"),
                 lambda: traced(graph, "P1", "nope"), lambda: Questions(graph).impact("nope")):
        with pytest.raises(NotFound):
            call()
