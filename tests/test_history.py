"""History through the question service, on every backend: revisions, change records, paging, answers
as of a past point against answers recomputed from the documents up to it, diff and trend."""

from __future__ import annotations

import datetime as dt
import getpass

import pytest
from valuegraph.graph import DocumentRejected, SyncMode, ValueGraph, open_store
from valuegraph.graph.changes import ChangeKind
from valuegraph.graph.errors import InvalidRequest
from valuegraph.graph.history import AsOf
from valuegraph.graph.questions import Questions

from tests.conftest import neo4j_store
from tests.utils.factories import E, R, document

MERGE, FULL = SyncMode.MERGE, SyncMode.FULL

#: the syncs, in order: (entities, relations, source, mode, author). Each changes something except the
#: fourth (a no-op re-load of the third); a rejected document is tried between the fifth and the sixth.
SYNCS = [
    ([E("G1", "Goal", "Grow"), E("O1", "Objective", "Win customers", status="active"),
      E("O2", "Objective", "Cut costs"), E("KR1", "KeyResult", "NPS 50", target=50, current=20)],
     [R("O1", "SUPPORTS", "G1"), R("O2", "SUPPORTS", "G1"), R("KR1", "MEASURES", "O1")],
     "strategy-office", MERGE, "alice"),
    ([E("P1", "Project", "Portal", budget=100, health="green", startDate="2026-01-05"),
      E("P2", "Project", "Billing", budget=50), E("P3", "Project", "Archive", budget=30),
      E("D1", "Deliverable", "Portal release")],
     [R("P1", "CONTRIBUTES_TO", "O1", weight=0.5), R("P1", "DELIVERS", "D1"), R("P2", "DEPENDS_ON", "P1"),
      R("D1", "CONTRIBUTES_TO", "O1")],
     "ppm-tool", MERGE, "bob"),
    ([E("P1", "Project", "Portal 2", budget=120, health="amber", startDate="2026-01-05"),
      E("P2", "Project", "Billing", budget=None, health="red")],
     [R("P1", "CONTRIBUTES_TO", "O1", weight=0.8), R("P2", "CONTRIBUTES_TO", "O2")],
     "ppm-tool", MERGE, "bob"),
    ([E("P1", "Project", "Portal 2", budget=120, health="amber", startDate="2026-01-05"),
      E("P2", "Project", "Billing", budget=None, health="red")],
     [R("P1", "CONTRIBUTES_TO", "O1", weight=0.8), R("P2", "CONTRIBUTES_TO", "O2")],
     "ppm-tool", MERGE, "bob"),
    ([E("O1", "Objective", "Win more customers"), E("P3", "Project", "Archive", budget=30)], [],
     "register", MERGE, "carol"),
    ([E("G1", "Goal", "Grow"), E("O1", "Objective", "Win customers", status="active"),
      E("O2", "Objective", "Cut costs")],
     [R("O1", "SUPPORTS", "G1"), R("O2", "SUPPORTS", "G1")],
     "strategy-office", FULL, "alice"),
    ([E("P1", "Project", "Portal 2", budget=120, health="amber", startDate="2026-01-05"),
      E("D1", "Deliverable", "Portal release")],
     [R("P1", "CONTRIBUTES_TO", "O1", weight=0.8), R("P1", "DELIVERS", "D1"), R("D1", "CONTRIBUTES_TO", "O1")],
     "ppm-tool", FULL, "bob"),
    ([E("O1", "Objective", "Win customers, again")], [], "register", MERGE, "carol"),
]
REJECTED = ([E("P9", "Project")], [R("P9", "CONTRIBUTES_TO", "NOPE")], "ppm-tool", MERGE, "bob")


def sync(graph: ValueGraph, entities, relations, source, mode, author):
    return graph.sync(document(entities, relations, source), mode=mode, author=author)


@pytest.fixture(scope="module", params=["memory", "neo4j"])
def history(request, tmp_path_factory):
    """A graph loaded with ``SYNCS`` (and the rejected document), with what each sync answered."""
    if request.param == "neo4j":
        graph = ValueGraph(neo4j_store())
    else:
        graph = ValueGraph(open_store("memory:"))
    reports = []
    for n, spec in enumerate(SYNCS):
        if n == 5:
            with pytest.raises(DocumentRejected):
                sync(graph, *REJECTED)
        reports.append(sync(graph, *spec))
    yield request.param, graph, reports
    graph.close()


def committed(reports) -> list[int]:
    """The indexes in SYNCS of the syncs that committed a revision."""
    return [n for n, r in enumerate(reports) if r.revision is not None]


def test_each_sync_that_changes_something_commits_one_revision(history):
    _, graph, reports = history
    assert [r.revision for r in reports] == [1, 2, 3, None, 4, 5, 6, 7]
    q = Questions(graph)
    assert q.current_revision() == 7
    page = q.revisions(first=50)
    revisions = [rev for _, rev in page.revisions]
    assert [rev.number for rev in revisions] == [7, 6, 5, 4, 3, 2, 1]  # newest first
    for rev in revisions:
        n = committed(reports)[rev.number - 1]
        *_, source, mode, author = SYNCS[n]
        report = reports[n]
        assert (rev.source, rev.mode, rev.author) == (source, mode, author)
        assert (rev.created, rev.updated, rev.retracted) == (report.created, report.updated, report.retracted)
    times = [rev.committed_at for rev in reversed(revisions)]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    # paging and filtering by source
    first, rest = q.revisions(first=3), None
    assert [r.number for _, r in first.revisions] == [7, 6, 5] and first.has_next_page
    rest = q.revisions(first=50, after=first.revisions[-1][0])
    assert [r.number for _, r in rest.revisions] == [4, 3, 2, 1] and not rest.has_next_page
    assert [r.number for _, r in q.revisions(source="register").revisions] == [7, 4]


def test_the_local_user_is_the_author_when_none_is_given(mem_graph):
    report = mem_graph.sync(document([E("G1", "Goal")], [], "s"))
    assert Questions(mem_graph).revisions().revisions[0][1].author == getpass.getuser()
    assert report.revision == 1


def all_changes(q: Questions, **kw):
    return [c for _, c in q.changes(first=1000, **kw).changes]


def test_changes_record_every_kind_with_before_and_after(history):
    _, graph, _ = history
    changes = all_changes(Questions(graph))
    assert {c.kind for c in changes} == set(ChangeKind)

    def find(**fields):
        return [c for c in changes if all(getattr(c, k) == v for k, v in fields.items())]

    # the second revision asserts P1 with its properties, name included
    asserted = find(revision=2, entity_id="P1")
    assert asserted[0].kind is ChangeKind.ENTITY_ASSERTED and asserted[0].entity_kind == "Project"
    assert {(c.property, c.before, c.after) for c in asserted if c.kind is ChangeKind.PROPERTY_SET} == {
        ("name", None, "Portal"), ("budget", None, 100), ("health", None, "green"),
        ("startDate", None, dt.date(2026, 1, 5))}
    # the third changes two of P1's properties, withdraws P2's budget, updates a relation's weight
    assert [(c.property, c.before, c.after) for c in find(revision=3, entity_id="P1", kind=ChangeKind.PROPERTY_SET)] == [
        ("name", "Portal", "Portal 2"), ("budget", 100, 120), ("health", "green", "amber")]
    assert [(c.property, c.before) for c in find(revision=3, kind=ChangeKind.PROPERTY_WITHDRAWN)] == [("budget", 50)]
    updated = find(revision=3, kind=ChangeKind.RELATION_UPDATED)
    assert [(u.entity_id, u.relation_type, u.to, u.before, u.after) for u in updated] == [
        ("P1", "CONTRIBUTES_TO", "O1", {"weight": 0.5}, {"weight": 0.8})]
    assert [(c.entity_id, c.to) for c in find(revision=3, kind=ChangeKind.RELATION_ASSERTED)] == [("P2", "O2")]
    # a full sync retracts what its source no longer gives: an entity (with its properties as they were)
    # and relations
    retracted = find(revision=5, kind=ChangeKind.ENTITY_RETRACTED)
    assert [(c.entity_id, c.before) for c in retracted] == [("KR1", {"name": "NPS 50", "target": 50, "current": 20})]
    assert {(c.entity_id, c.relation_type, c.to) for c in find(revision=6, kind=ChangeKind.RELATION_RETRACTED)} == {
        ("P2", "CONTRIBUTES_TO", "O2"), ("P2", "DEPENDS_ON", "P1")}
    assert all(c.source == "ppm-tool" and c.committed_at for c in find(revision=6))
    # a source's value is recorded against the source's own previous value, not the answered one
    assert [(c.before, c.after) for c in find(revision=7, property="name")] == [
        ("Win more customers", "Win customers, again")]


def test_changes_are_read_in_pages_each_exactly_once(history):
    _, graph, _ = history
    q = Questions(graph)
    everything = q.changes(first=1000)
    assert not everything.has_next_page and everything.complete_through == 7
    for size in (1, 3, 7):
        seen, after, through = [], None, []
        while True:
            page = q.changes(first=size, after=after)
            seen += [c for _, c in page.changes]
            through.append(page.complete_through)
            if not page.has_next_page:
                break
            after = page.changes[-1][0]
        assert seen == [c for _, c in everything.changes]
        assert through == sorted(through) and through[-1] == 7
    # since a revision: what came after it, and reading on from complete_through repeats nothing
    since4 = all_changes(q, since_revision=4)
    assert since4 == [c for c in all_changes(q) if c.revision > 4]
    first = q.changes(first=2, since_revision=0)
    rest = all_changes(q, since_revision=first.complete_through)
    assert all(c.revision > first.complete_through for c in rest)
    # by source and by entity
    assert all_changes(q, source="register") == [c for c in all_changes(q) if c.source == "register"]
    assert all_changes(q, entity="P2") == [c for c in all_changes(q) if c.entity_id == "P2"]
    assert [c for _, c in q.changes(first=2, entity="P1").changes] == all_changes(q, entity="P1")[:2]
    with pytest.raises(InvalidRequest, match="not a cursor"):
        q.changes(after="garbage")
    with pytest.raises(InvalidRequest, match="not a cursor"):
        q.changes(after=q.revisions(first=1).revisions[0][0])
    with pytest.raises(InvalidRequest):
        q.changes(first=100_000)


def test_an_entitys_history_is_its_changes_oldest_first(history):
    _, graph, _ = history
    q = Questions(graph)
    for entity_id in ("P1", "P2", "O1", "KR1", "nobody"):
        assert q.entity_history(entity_id) == [c for c in all_changes(q) if c.entity_id == entity_id]
    assert q.entity_history("P1", first=2) == q.entity_history("P1")[:2]


@pytest.fixture(scope="module")
def replayed(history):
    """For each revision N, a fresh graph loaded with only the syncs of revisions 1…N."""
    _, _, reports = history
    made = {}
    for n in range(8):
        graph = ValueGraph(open_store("memory:"))
        for i in committed(reports)[:n]:
            sync(graph, *SYNCS[i])
        made[n] = graph
    yield made
    for graph in made.values():
        graph.close()


def answers(q: Questions) -> dict:
    """Every question's answer, as plain values (records as their sources' properties)."""

    def record(r):
        return None if r is None else (r.id, r.kind, {s: a.properties for s, a in r.assertions.items()},
                                       r.properties)

    def hits(found):
        return [(h.entity.id, h.distance, record(h.entity)) for h in found]

    def maybe(question):
        try:
            return question()
        except Exception as exc:  # noqa: BLE001 - the error is part of the answer
            return type(exc).__name__

    everything = q.entities()
    alignment = q.alignment()
    out = {
        "entities": [record(r) for r in everything.records],
        "projects": [r.id for r in q.entities("Project").records],
        "red": [r.id for r in q.entities(healths=["red"]).records],
        "search": [r.id for r in q.entities(search="portal").records],
        "search2": [r.id for r in q.entities(search="again").records],
        "alignment": ([r.id for r in alignment.orphans], [r.id for r in alignment.unsupported],
                      alignment.aligned_budget_share),
        "reach": maybe(q.strategic_reach),
        "budget": maybe(q.budget_by_objective),
        "critical": maybe(q.critical_dependencies),
        "concentration": maybe(q.concentration),
    }
    for target in ("G1", "O1", "O2"):
        out[f"delivers {target}"] = maybe(lambda t=target: hits(q.what_delivers(t).hits))
        out[f"rollup {target}"] = maybe(lambda t=target: q.delivery_rollup(t))
    for item in ("P1", "P2", "D1"):
        out[f"why {item}"] = maybe(lambda i=item: hits(q.why_exists(i)))
        out[f"impact {item}"] = maybe(lambda i=item: (hits(q.impact(i).dependents), hits(q.impact(i).affected)))
        out[f"trace {item}"] = maybe(lambda i=item: [
            ([(n.id, n.properties) for n in p.nodes], [(r.key, r.properties) for r in p.relations])
            for p in q.path_records(q.trace(i, "G1"))])
    return out


def test_answers_as_of_each_revision_are_those_of_a_store_holding_only_its_syncs(history, replayed):
    _, graph, _ = history
    q = Questions(graph)
    # every revision changes some answer: comparing them tells revisions apart
    assert len({repr(answers(Questions(fresh))) for fresh in replayed.values()}) == len(replayed)
    for n, fresh in replayed.items():
        expected = answers(Questions(fresh))
        assert answers(q.at(AsOf(revision=n))) == expected, f"as of revision {n}"
    assert answers(q.at(AsOf(revision=7))) == answers(q)


def test_answers_as_of_a_time_are_those_of_the_last_revision_committed_by_then(history, replayed):
    _, graph, _ = history
    q = Questions(graph)
    revisions = sorted((r for _, r in q.revisions().revisions), key=lambda r: r.number)
    for rev in revisions:
        assert q.at(AsOf(time=rev.committed_at)).graph.revision == rev.number
    assert answers(q.at(AsOf(time=revisions[2].committed_at))) == answers(Questions(replayed[3]))
    assert q.at(AsOf(time=revisions[0].committed_at - dt.timedelta(seconds=1))).graph.revision == 0
    assert q.at(AsOf(time=dt.datetime.now(dt.UTC) + dt.timedelta(days=3))).graph.revision == 7
    naive = revisions[1].committed_at.replace(tzinfo=None)  # a time without a zone is UTC
    assert q.at(AsOf(time=naive)).graph.revision == 2


def test_a_revision_after_the_latest_or_a_malformed_point_is_an_error(history):
    _, graph, _ = history
    q = Questions(graph)
    with pytest.raises(InvalidRequest, match="after the latest revision, 7"):
        q.at(AsOf(revision=8))
    with pytest.raises(InvalidRequest):
        q.at(AsOf(revision=-1))
    with pytest.raises(InvalidRequest, match="exactly one"):
        AsOf()
    with pytest.raises(InvalidRequest, match="exactly one"):
        AsOf(revision=1, time=dt.datetime.now(dt.UTC))
    assert AsOf.parse("3") == AsOf(revision=3)
    assert AsOf.parse("2026-03-01T09:00:00+00:00").time == dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    with pytest.raises(InvalidRequest, match="neither a revision number nor"):
        AsOf.parse("yesterday")


def entity_set(graph: ValueGraph) -> dict:
    return {r.id: r for r in Questions(graph).entities().records}


def relation_set(graph: ValueGraph) -> set:
    keys = set()
    for source in graph.store.sources():
        keys |= set(graph.store.source_state(source).relations)
    return keys


def test_diff_compares_the_answers_at_two_points(history, replayed):
    _, graph, _ = history
    q = Questions(graph)
    for a, b in [(0, 7), (1, 3), (2, 6), (3, 5), (6, 2), (4, 4)]:
        found = q.diff(AsOf(revision=a), AsOf(revision=b))
        before, after = replayed[a], replayed[b]
        old, new = entity_set(before), entity_set(after)
        assert (found.from_revision, found.to_revision) == (a, b)
        assert [e.id for e in found.entities_added] == sorted(new.keys() - old.keys())
        assert [e.id for e in found.entities_removed] == sorted(old.keys() - new.keys())
        expected_changes = sorted(
            (i, p, old[i].properties.get(p), new[i].properties.get(p))
            for i in old.keys() & new.keys()
            for p in old[i].properties.keys() | new[i].properties.keys()
            if old[i].properties.get(p) != new[i].properties.get(p))
        assert sorted((c.entity.id, c.property, c.before, c.after) for c in found.properties_changed) == expected_changes
        assert set(found.relations_added) == relation_set(after) - relation_set(before)
        assert set(found.relations_removed) == relation_set(before) - relation_set(after)
        was, now = Questions(before).alignment(), Questions(after).alignment()
        orphans_was, orphans_now = {r.id for r in was.orphans}, {r.id for r in now.orphans}
        unsupported_was, unsupported_now = {r.id for r in was.unsupported}, {r.id for r in now.unsupported}
        assert {e.id for e in found.new_orphans} == orphans_now - orphans_was
        assert {e.id for e in found.resolved_orphans} == orphans_was - orphans_now
        assert {e.id for e in found.newly_unsupported} == unsupported_now - unsupported_was
        assert {e.id for e in found.newly_supported} == {i for i in unsupported_was - unsupported_now if i in new}
        assert found.aligned_budget_share_before == was.aligned_budget_share
        assert found.aligned_budget_share_after == now.aligned_budget_share
    # to absent: now
    assert q.diff(AsOf(revision=1)).to_revision == 7


def test_the_alignment_trend_gives_the_figures_at_evenly_spaced_times(history, replayed):
    _, graph, _ = history
    q = Questions(graph)
    revisions = sorted((r for _, r in q.revisions().revisions), key=lambda r: r.number)
    start, end = revisions[0].committed_at - dt.timedelta(seconds=1), revisions[-1].committed_at
    points = q.alignment_trend(start, end, points=5)
    assert len(points) == 5 and points[0].time == start and points[-1].time == end
    assert points[0].revision == 0 and points[-1].revision == 7
    for point in points:
        expected = max([r.number for r in revisions if r.committed_at <= point.time], default=0)
        assert point.revision == expected
        alignment = Questions(replayed[expected]).alignment()
        assert (point.aligned_budget_share, point.orphans, point.unsupported) == (
            alignment.aligned_budget_share, len(alignment.orphans), len(alignment.unsupported))
    with pytest.raises(InvalidRequest):
        q.alignment_trend(end, start)
    with pytest.raises(InvalidRequest):
        q.alignment_trend(start, end, points=0)


def test_a_register_written_in_parts_is_one_revision(tmp_path):
    graph = ValueGraph(open_store(f"oxigraph:{tmp_path / 'store'}"))
    try:
        parts = [document([E(f"P{i}", "Project", budget=i)], [], "register") for i in range(4)]
        parts.append(document([], [R("P1", "DEPENDS_ON", "P0")], "register"))
        report = graph.sync_parts(parts, author="loader")
        assert report.revision == 1 and report.created == 5
        q = Questions(graph)
        [(_, rev)] = q.revisions().revisions
        assert (rev.created, rev.author) == (5, "loader")
        changes = all_changes(q)
        assert [c.kind for c in changes if c.entity_id == "P1"] == [
            ChangeKind.ENTITY_ASSERTED, ChangeKind.PROPERTY_SET, ChangeKind.PROPERTY_SET, ChangeKind.RELATION_ASSERTED]
        assert q.at(AsOf(revision=0)).entities().total == 0
    finally:
        graph.close()
