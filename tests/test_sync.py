"""Sync semantics: merge, full, several sources, conflicting values, custom properties."""

from __future__ import annotations

import datetime as dt

from valuegraph.graph import SyncMode
from valuegraph.loaders import parse_json, parse_yaml
from tests.utils.factories import E, R, document, load
from tests.utils.fingerprint import fingerprint
from valuegraph.graph.questions import Questions
from tests.utils.answers import traced

ENTITIES = [E("OBJ", "Objective"), E("P1", "Project", budget=100, status="active"), E("P2", "Project")]
RELATIONS = [R("P1", "CONTRIBUTES_TO", "OBJ", weight=0.5), R("P2", "DEPENDS_ON", "P1")]


def test_merge_is_idempotent(graph):
    first = load(graph, ENTITIES, RELATIONS)
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    before = fingerprint(graph)
    second = load(graph, ENTITIES, RELATIONS)
    assert (second.created, second.updated, second.retracted, second.unchanged) == (0, 0, 0, 5)
    assert second.by_kind["Project"].unchanged == 2
    assert fingerprint(graph) == before


def test_merge_updates_and_removes_nothing(graph):
    load(graph, ENTITIES, RELATIONS)
    report = load(graph, [E("P1", "Project", budget=120)], [R("P1", "CONTRIBUTES_TO", "OBJ", weight=0.7)])
    assert (report.updated, report.created, report.retracted) == (2, 0, 0)
    p1 = graph.entity("P1").properties
    assert p1 == {"name": "P1", "budget": 120, "status": "active"}  # status kept: merge removes nothing
    assert graph.entity("P2") is not None
    (path,) = traced(graph, "P1", "OBJ")
    assert path.relations[0].properties == {"weight": 0.7}


def test_merge_null_withdraws_a_property(graph):
    load(graph, ENTITIES, RELATIONS)
    load(graph, [E("P1", "Project", status=None)], [])
    assert "status" not in graph.entity("P1").properties


def test_full_retracts_only_what_the_source_no_longer_asserts(graph):
    load(graph, ENTITIES, RELATIONS, source="ppm")
    load(graph, [E("OTHER", "Project"), E("OBJ", "Objective", period="2026")], [R("OTHER", "CONTRIBUTES_TO", "OBJ")],
         source="strategy")
    report = load(graph, [E("OBJ", "Objective"), E("P1", "Project", budget=100)], [], source="ppm", mode=SyncMode.FULL)
    # P2, both relations retracted; P1 lost its status; OBJ unchanged
    assert report.retracted == 3
    assert report.by_kind["Project"].updated == 1
    assert graph.entity("P2") is None
    assert graph.entity("P1").properties == {"name": "P1", "budget": 100}
    assert traced(graph, "P1", "OBJ") == []
    # the other source's facts are untouched
    assert [h.entity.id for h in Questions(graph).what_delivers("OBJ").hits] == ["OTHER"]
    assert graph.entity("OBJ").properties["period"] == "2026"


def test_entity_asserted_by_two_sources_survives_retraction_of_one(graph):
    load(graph, [E("OBJ", "Objective")], [], source="a")
    load(graph, [E("OBJ", "Objective"), E("P", "Project")], [R("P", "CONTRIBUTES_TO", "OBJ")], source="b")
    load(graph, [E("P", "Project")], [R("P", "CONTRIBUTES_TO", "OBJ")], source="a")
    assert graph.entity("OBJ").sources == ["a", "b"]
    load(graph, [E("P", "Project")], [], source="b", mode=SyncMode.FULL)
    record = graph.entity("OBJ")
    assert record is not None and record.sources == ["a"]
    # the relation is still asserted by a
    assert [h.entity.id for h in Questions(graph).what_delivers("OBJ").hits] == ["P"]
    load(graph, [], [], source="a", mode=SyncMode.FULL)
    assert graph.entity("OBJ") is None
    assert [h.entity.id for h in Questions(graph).what_delivers("P", kinds=["Project"]).hits] == []


def test_most_recent_sync_wins_and_each_source_keeps_its_value(graph):
    load(graph, [E("P", "Project", budget=100, status="active", owner="ann")], [], source="a")
    load(graph, [E("P", "Project", budget=200, status="on_hold")], [], source="b")
    record = graph.entity("P")
    assert record.properties == {"name": "P", "budget": 200, "status": "on_hold", "owner": "ann"}
    assert record.assertions["a"].properties["budget"] == 100
    assert graph.index.status_of("P") == "on_hold"
    load(graph, [E("P", "Project", budget=150, status="active")], [], source="a")
    assert graph.entity("P").properties["budget"] == 150
    assert graph.index.status_of("P") == "active"
    load(graph, [E("P", "Project", budget=200, status="cancelled")], [], source="b")
    assert graph.index.status_of("P") == "cancelled"
    load(graph, [], [], source="b", mode=SyncMode.FULL)  # b retracts: a's values are answered again
    assert graph.entity("P").properties == {"name": "P", "budget": 150, "status": "active", "owner": "ann"}
    assert graph.index.status_of("P") == "active"
    graph.rebuild_index()
    assert graph.index.status_of("P") == "active"


def test_custom_properties_round_trip_with_their_types(graph):
    doc = parse_yaml(
        b"source: s\n"
        b"entities:\n"
        b"  - {id: P, kind: Project, name: P, costCentre: CC-1, headcount: 12, ratio: 0.25, capex: true,\n"
        b"     gateDate: 2026-04-01, reviewedAt: 2026-04-01T10:30:00+00:00, code: '007', dueDate: '2026-05-01'}\n",
        "doc.yaml",
    )
    graph.sync(doc)
    props = graph.entity("P").properties
    assert props["costCentre"] == "CC-1"
    assert props["headcount"] == 12 and type(props["headcount"]) is int
    assert props["ratio"] == 0.25 and type(props["ratio"]) is float
    assert props["capex"] is True
    assert props["gateDate"] == dt.date(2026, 4, 1) and type(props["gateDate"]) is dt.date
    assert props["reviewedAt"] == dt.datetime(2026, 4, 1, 10, 30, tzinfo=dt.UTC)
    assert props["code"] == "007"
    assert props["dueDate"] == dt.date(2026, 5, 1)  # a known date property given as text is a date

    json_doc = parse_json(b'{"source": "s", "entities": [{"id": "Q", "kind": "Project", "name": "Q",'
                          b' "n": 1, "x": 1.0, "flag": false, "when": "2026-01-01"}]}', "doc.json")
    graph.sync(json_doc)
    q = graph.entity("Q").properties
    assert (type(q["n"]), type(q["x"]), q["flag"], q["when"]) == (int, float, False, "2026-01-01")
    # 1 and 1.0 are different values: a change of type is an update
    report = graph.sync(parse_json(b'{"source": "s", "entities": [{"id": "Q", "kind": "Project", "name": "Q",'
                                   b' "n": 1.0}]}', "doc.json"))
    assert report.updated == 1


def test_relation_properties_round_trip(graph):
    load(graph, [E("O", "Objective"), E("P", "Project")], [R("P", "CONTRIBUTES_TO", "O", weight=1, note="direct")])
    (path,) = traced(graph, "P", "O")
    assert path.relations[0].properties == {"weight": 1, "note": "direct"}


def test_dry_run_reports_and_writes_nothing(graph):
    load(graph, ENTITIES, RELATIONS)
    before = fingerprint(graph)
    report = graph.sync(document([E("NEW", "Project"), E("P1", "Project", budget=1)], []), dry_run=True)
    assert (report.created, report.updated, report.dry_run) == (1, 1, True)
    assert fingerprint(graph) == before


def _written(graph) -> tuple:
    """What any write changes: facts and answers, the store's latest revision, the revisions, the published index."""
    revisions = [(r.number, r.source) for _, r in Questions(graph).revisions(first=1000).revisions]
    return fingerprint(graph), graph.store.current_revision(), revisions, graph.index


def _counts(report) -> dict:
    return {k: v for k, v in report.as_dict().items() if k not in ("dryRun", "revision")}


def test_a_dry_run_of_each_way_of_writing_reports_the_write_and_writes_nothing(graph):
    load(graph, ENTITIES, RELATIONS)
    runs = [
        # merge: one new entity, one updated, one new relation
        lambda dry: graph.sync(document([E("NEW", "Project"), E("P1", "Project", budget=1)],
                                        [R("NEW", "DEPENDS_ON", "P1")]), dry_run=dry),
        # full: what the source no longer gives is retracted
        lambda dry: graph.sync(document([E("OBJ", "Objective"), E("P1", "Project", budget=1)], []),
                               mode=SyncMode.FULL, dry_run=dry),
        # in parts, as a register is written: the second part refers to the first
        lambda dry: graph.sync_parts([document([E("A", "Project")], []),
                                      document([E("B", "Project")], [R("B", "DEPENDS_ON", "A")])], dry_run=dry),
    ]
    for run in runs:
        before = _written(graph)
        dry = run(True)
        assert dry.dry_run and dry.revision is None and dry.created + dry.updated + dry.retracted > 0
        after = _written(graph)
        assert after[:3] == before[:3] and after[3] is before[3]  # no fact, revision, history or index published
        real = run(False)
        assert not real.dry_run and real.revision == before[1] + 1
        assert _counts(real) == _counts(dry)


def test_sources_are_recorded(graph):
    load(graph, ENTITIES, RELATIONS, source="ppm")
    sources = graph.store.sources()
    assert list(sources) == ["ppm"]
    assert dt.datetime.fromisoformat(sources["ppm"]["lastSync"]).year >= 2025


def test_records_are_read_once_between_writes_and_never_outlive_one(mem_graph):
    from tests.utils.factories import E, load

    load(mem_graph, [E("P1", "Project", budget=1), E("P2", "Project")])
    assert mem_graph.entity("P1").properties["budget"] == 1
    calls = mem_graph.store.calls
    assert mem_graph.entities(["P1", "P2", "NOPE"]).keys() == {"P1", "P2"}  # P2 and the unknown id: one read
    assert mem_graph.entities(["P1", "P2", "NOPE"]).keys() == {"P1", "P2"}  # all from the cache
    assert mem_graph.store.calls == calls + 1
    load(mem_graph, [E("P1", "Project", budget=2)], source="other")
    assert mem_graph.entity("P1").properties["budget"] == 2 and mem_graph.entity("P1").sources == ["other", "test"]

    # a read that started before a write and ends after it is not kept
    cache, read = mem_graph._records, mem_graph.store.entity_records

    def read_across_a_write(ids):
        found = read(ids)
        load(mem_graph, [E("P2", "Project", budget=9)])
        return found

    assert "budget" not in cache.get(["P2"], read_across_a_write)["P2"].properties  # read before the write
    assert mem_graph.entity("P2").properties["budget"] == 9


def test_a_fact_given_in_two_parts_of_one_sync_is_written_once(graph):
    # new to the graph in the first part, given again in the second: created once, the later values kept
    first = document([E("OBJ", "Objective"), E("P", "Project")], [R("P", "CONTRIBUTES_TO", "OBJ", weight=0.25)])
    second = document([], [R("P", "CONTRIBUTES_TO", "OBJ", weight=0.5)])
    graph.sync_parts([first, second])
    assert Questions(graph).stats().as_dict()["relations"]["CONTRIBUTES_TO"] == 1
    (path,) = traced(graph, "P", "OBJ")
    assert path.relations[0].properties["weight"] == 0.5
