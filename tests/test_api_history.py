"""History through GraphQL over HTTP, on an embedded store and on Neo4j: every question as of each
revision answers what a fresh store holding only the syncs up to it answers now (nested fields
included), revisions, changes, an entity's history, diff and trend, and precise errors for bad points."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import neo4j_store
from tests.utils.history import ASKED_ABOUT, KIND_ENUM, QUESTIONS, SYNCS, graphql, load_history, replayed_servers
from tests.utils.server import serve_in_thread
from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.history import AsOf
from valuegraph.graph.questions import Questions


@pytest.fixture(scope="module", params=["oxigraph", "neo4j"])
def served(request, tmp_path_factory):
    """The history loaded into one store, served; and a server per revision over a store holding only
    the syncs up to it."""
    if request.param == "neo4j":
        graph = ValueGraph(neo4j_store())
    else:
        graph = ValueGraph(open_store(f"oxigraph:{tmp_path_factory.mktemp('history') / 'store'}"))
    committed = load_history(graph)
    with serve_in_thread(graph) as url, replayed_servers(committed) as replayed:
        yield graph, url, replayed, committed
    graph.close()


def answer_of(response: dict) -> dict:
    """A response as compared: the data, and each error's message, path and code."""
    return {"data": response.get("data"),
            "errors": [(e["message"], e.get("path"), e.get("extensions", {}).get("code"))
                       for e in response.get("errors", [])]}


def test_the_history_has_the_expected_revisions(served):
    _, url, _, committed = served
    assert committed == [0, 1, 2, 4, 5]  # the no-op commits nothing
    assert graphql(url, "{ currentRevision }")["data"]["currentRevision"] == 5


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_every_question_as_of_each_revision_answers_as_a_store_holding_only_its_syncs(served, question):
    _, url, replayed, committed = served
    compared = 0
    for n in range(len(committed) + 1):
        for asked in ASKED_ABOUT.get(question, [None]):
            variables = {} if asked is None else {"id": asked}
            past = graphql(url, QUESTIONS[question], {**variables, "asOf": {"revision": n}})
            fresh = graphql(replayed[n], QUESTIONS[question], {**variables, "asOf": None})
            assert answer_of(past) == answer_of(fresh), (question, asked, n)
            compared += 1 if past.get("data") and not past.get("errors") else 0
    assert compared >= len(committed)  # most are answers, not errors alike


def test_the_present_is_the_latest_revision(served):
    _, url, replayed, committed = served
    latest = len(committed)
    for question in ("entities", "alignment", "analytics"):
        now = graphql(url, QUESTIONS[question], {"asOf": None})
        assert answer_of(now) == answer_of(graphql(url, QUESTIONS[question], {"asOf": {"revision": latest}}))
        assert answer_of(now) == answer_of(graphql(replayed[latest], QUESTIONS[question]))


def test_one_request_answers_the_present_and_past_points_each_at_its_own(served):
    _, url, _, _ = served
    found = graphql(url, """{
      now: entity(id: "O1") { name relations(direction: IN) { from { id name } } }
      one: entity(id: "O1", asOf: {revision: 1}) { name relations(direction: IN) { from { id name } } }
      three: entity(id: "P1", asOf: {revision: 3}) { name ... on Project { programme { name } } history { revision } }
      two: entity(id: "P1", asOf: {revision: 2}) { name properties history { revision } }
    }""")
    assert "errors" not in found, found
    data = found["data"]
    assert data["now"]["name"] == "Win more customers" and data["one"]["name"] == "Win customers"
    assert [r["from"]["id"] for r in data["one"]["relations"]] == ["KR1"]
    assert {r["from"]["id"] for r in data["now"]["relations"]} == {"D1", "P1"}  # KR1 retracted at 5
    assert data["three"]["name"] == "Portal 2" and data["three"]["programme"] == {"name": "Digital"}
    assert {c["revision"] for c in data["three"]["history"]} == {2, 3}
    assert data["two"]["name"] == "Portal" and data["two"]["properties"]["budget"] == 100
    assert {c["revision"] for c in data["two"]["history"]} == {2}


def test_as_of_a_time_is_the_last_revision_committed_by_then(served):
    graph, url, replayed, _ = served
    revisions = {r.number: r for _, r in Questions(graph).revisions().revisions}
    times = {0: revisions[1].committed_at - dt.timedelta(seconds=1)}
    times |= {n: revisions[n].committed_at for n in revisions}
    for n, time in times.items():
        got = graphql(url, QUESTIONS["entities"], {"asOf": {"time": time.isoformat()}})
        assert answer_of(got) == answer_of(graphql(replayed[n], QUESTIONS["entities"])), n
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3650)).isoformat()
    assert answer_of(graphql(url, QUESTIONS["alignment"], {"asOf": {"time": future}})) == \
        answer_of(graphql(url, QUESTIONS["alignment"]))


BAD_POINTS = [
    ({"revision": 2, "time": "2026-01-01T00:00:00Z"}, "asOf takes exactly one of revision and time"),
    ({}, "asOf takes exactly one of revision and time"),
    ({"revision": None, "time": None}, "asOf takes exactly one of revision and time"),
    ({"revision": 99}, "asOf revision 99 is after the latest revision, 5"),
    ({"revision": -1}, "asOf revision -1: revisions are numbered from 1 (0: the empty graph)"),
]


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_a_bad_point_is_a_precise_error_on_every_question(served, question):
    _, url, _, _ = served
    for point, message in BAD_POINTS:
        variables = {"asOf": point} | ({"id": ASKED_ABOUT[question][0]} if question in ASKED_ABOUT else {})
        got = graphql(url, QUESTIONS[question], variables)
        assert [(e["message"], e["extensions"]["code"]) for e in got["errors"]] == [(message, "BAD_REQUEST")], \
            (question, point)
    not_a_time = graphql(url, QUESTIONS["alignment"], {"asOf": {"time": "yesterday"}})
    assert not_a_time["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "yesterday" in not_a_time["errors"][0]["message"]


REVISIONS = """query($first: Int, $after: String, $source: String) {
  revisions(first: $first, after: $after, source: $source) {
    edges { cursor node { number committedAt source mode author created updated retracted } }
    pageInfo { hasNextPage endCursor } } }"""


def test_revisions_newest_first_in_pages_with_their_records(served):
    graph, url, _, committed = served
    want = [r for _, r in Questions(graph).revisions().revisions]
    assert [r.number for r in want] == [5, 4, 3, 2, 1]
    seen, after = [], None
    while True:
        page = graphql(url, REVISIONS, {"first": 2, "after": after})["data"]["revisions"]
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [(n["number"], n["source"], n["mode"], n["author"], n["created"], n["updated"], n["retracted"])
            for n in seen] == [(r.number, r.source, r.mode.value.upper(), r.author, r.created, r.updated,
                                r.retracted) for r in want]
    assert [dt.datetime.fromisoformat(n["committedAt"]) for n in seen] == [r.committed_at for r in want]
    assert [n["author"] for n in seen] == [SYNCS[i][4] for i in reversed(committed)]
    ppm = graphql(url, REVISIONS, {"source": "ppm-tool"})["data"]["revisions"]["edges"]
    assert [e["node"]["number"] for e in ppm] == [3, 2]
    assert graphql(url, REVISIONS, {"source": "nobody"})["data"]["revisions"]["edges"] == []
    bad = graphql(url, REVISIONS, {"after": "not-a-cursor"})["errors"][0]
    assert (bad["message"], bad["extensions"]["code"]) == ("'not-a-cursor' is not a cursor this query gave",
                                                           "BAD_REQUEST")
    too_many = graphql(url, REVISIONS, {"first": 1001})["errors"][0]
    assert (too_many["message"], too_many["extensions"]["code"]) == ("first must be between 0 and 1000",
                                                                     "BAD_REQUEST")


CHANGES = """query($since: Int, $first: Int, $after: String, $source: String, $entity: ID) {
  changes(sinceRevision: $since, first: $first, after: $after, source: $source, entity: $entity) {
    edges { cursor node { revision committedAt source kind entityId entityKind property before after relationType to } }
    pageInfo { hasNextPage endCursor } completeThrough } }"""


def change_of(node: dict) -> tuple:
    return (node["revision"], node["source"], node["kind"], node["entityId"], node["entityKind"], node["property"],
            node["before"], node["after"], node["relationType"], node["to"])


def expected_changes(graph: ValueGraph, **kw) -> list[tuple]:
    page = Questions(graph).changes(first=1000, **kw)
    assert not page.has_next_page
    return [(c.revision, c.source, c.kind.value, c.entity_id, KIND_ENUM[c.entity_kind], c.property,
             _json(c.before), _json(c.after), c.relation_type, c.to) for _, c in page.changes]


def _json(value):
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value.isoformat() if isinstance(value, dt.date) else value


def test_changes_in_pages_each_exactly_once(served):
    graph, url, _, _ = served
    want = expected_changes(graph)
    kinds = {c[2] for c in want}
    assert kinds == {"ENTITY_ASSERTED", "ENTITY_RETRACTED", "PROPERTY_SET", "PROPERTY_WITHDRAWN",
                     "RELATION_ASSERTED", "RELATION_UPDATED", "RELATION_RETRACTED"}
    for first in (1, 7, 1000):
        seen, after = [], None
        while True:
            page = graphql(url, CHANGES, {"first": first, "after": after})["data"]["changes"]
            seen += [change_of(e["node"]) for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == want, first
    # completeThrough: every change of the revisions after sinceRevision up to it is on the page, so that
    # a reader going on from it never repeats a change nor misses one
    for since in range(6):
        for first in (1, 5, 20, 1000):
            page = graphql(url, CHANGES, {"since": since, "first": first})["data"]["changes"]
            through = page["completeThrough"]
            assert since <= through <= 5
            assert [change_of(e["node"]) for e in page["edges"] if e["node"]["revision"] <= through] == \
                [c for c in want if since < c[0] <= through], (since, first)
            if not page["pageInfo"]["hasNextPage"]:
                assert through == 5
    assert [change_of(e["node"]) for e in graphql(url, CHANGES, {"since": 3})["data"]["changes"]["edges"]] == \
        [c for c in want if c[0] > 3]


def test_changes_of_a_source_or_an_entity_and_bad_arguments(served):
    graph, url, _, _ = served
    for kw in ({"source": "register"}, {"entity": "P1"}, {"entity": "O1", "source": "strategy-office"}):
        got = graphql(url, CHANGES, {**kw, "first": 1000})["data"]["changes"]
        assert [change_of(e["node"]) for e in got["edges"]] == expected_changes(graph, **kw), kw
    for kw in ({"source": "nobody"}, {"entity": "NOPE"}):
        assert graphql(url, CHANGES, kw)["data"]["changes"]["edges"] == []
    for variables, message in [({"since": -1}, "sinceRevision cannot be negative"),
                               ({"first": -1}, "first must be between 0 and 1000"),
                               ({"after": "Zm9vOmJhcg=="}, "'Zm9vOmJhcg==' is not a cursor this query gave")]:
        error = graphql(url, CHANGES, variables)["errors"][0]
        assert (error["message"], error["extensions"]["code"]) == (message, "BAD_REQUEST")


def test_an_entitys_history_is_its_changes_oldest_first(served):
    graph, url, _, _ = served
    query = "query($id: ID!, $first: Int) { entity(id: $id) { history(first: $first) { revision source kind entityId entityKind property before after relationType to } } }"
    for entity in ("O1", "P1", "P2"):
        got = graphql(url, query, {"id": entity})["data"]["entity"]["history"]
        assert [change_of(c) for c in got] == expected_changes(graph, entity=entity), entity
        assert [change_of(c) for c in graphql(url, query, {"id": entity, "first": 2})["data"]["entity"]["history"]] \
            == expected_changes(graph, entity=entity)[:2]
    error = graphql(url, query, {"id": "O1", "first": 10_001})["errors"][0]
    assert (error["message"], error["extensions"]["code"]) == ("first must be between 0 and 10000", "BAD_REQUEST")


DIFF = """query($from: AsOf!, $to: AsOf) { diff(from: $from, to: $to) {
  fromRevision toRevision entitiesAdded { id kind name } entitiesRemoved { id kind name }
  propertiesChanged { entity { id } property before after }
  relationsAdded { from type to } relationsRemoved { from type to }
  newOrphans { id } resolvedOrphans { id } newlyUnsupported { id } newlySupported { id }
  alignedBudgetShareBefore alignedBudgetShareAfter } }"""


def diff_of(d) -> dict:
    def refs(found):
        return [{"id": r.id} for r in found]

    return {
        "fromRevision": d.from_revision, "toRevision": d.to_revision,
        "entitiesAdded": [{"id": r.id, "kind": KIND_ENUM[r.kind], "name": r.name} for r in d.entities_added],
        "entitiesRemoved": [{"id": r.id, "kind": KIND_ENUM[r.kind], "name": r.name} for r in d.entities_removed],
        "propertiesChanged": [{"entity": {"id": p.entity.id}, "property": p.property, "before": _json(p.before),
                               "after": _json(p.after)} for p in d.properties_changed],
        "relationsAdded": [{"from": k.from_id, "type": k.type, "to": k.to_id} for k in d.relations_added],
        "relationsRemoved": [{"from": k.from_id, "type": k.type, "to": k.to_id} for k in d.relations_removed],
        "newOrphans": refs(d.new_orphans), "resolvedOrphans": refs(d.resolved_orphans),
        "newlyUnsupported": refs(d.newly_unsupported), "newlySupported": refs(d.newly_supported),
        "alignedBudgetShareBefore": d.aligned_budget_share_before,
        "alignedBudgetShareAfter": d.aligned_budget_share_after,
    }


def test_diff_between_two_points(served):
    graph, url, _, _ = served
    q = Questions(graph)
    for start, end in [(0, 5), (1, 2), (2, 3), (3, 1), (4, 5), (2, None)]:
        variables = {"from": {"revision": start}, "to": None if end is None else {"revision": end}}
        got = graphql(url, DIFF, variables)
        assert "errors" not in got, got
        want = diff_of(q.diff(AsOf(revision=start), None if end is None else AsOf(revision=end)))
        assert got["data"]["diff"] == want, (start, end)
    # what 2 -> 5 means, by hand: the full strategy sync retracted KR1 and O2's support of G1
    d = graphql(url, DIFF, {"from": {"revision": 2}})["data"]["diff"]
    assert (d["fromRevision"], d["toRevision"]) == (2, 5)
    assert [e["id"] for e in d["entitiesRemoved"]] == ["KR1"]
    assert {"from": "O2", "type": "SUPPORTS", "to": "G1"} in d["relationsRemoved"]
    assert {"from": "KR1", "type": "MEASURES", "to": "O1"} in d["relationsRemoved"]
    error = graphql(url, DIFF, {"from": {"revision": 6}})["errors"][0]
    assert (error["message"], error["extensions"]["code"]) == ("asOf revision 6 is after the latest revision, 5",
                                                               "BAD_REQUEST")


def test_alignment_trend(served):
    graph, url, _, _ = served
    q = Questions(graph)
    revisions = {r.number: r for _, r in q.revisions().revisions}
    start, end = revisions[1].committed_at - dt.timedelta(seconds=1), revisions[5].committed_at
    query = """query($from: DateTime!, $to: DateTime!, $points: Int) {
      alignmentTrend(from: $from, to: $to, points: $points) { time revision alignedBudgetShare orphans unsupported } }"""
    for points in (1, 2, 7, None):
        got = graphql(url, query, {"from": start.isoformat(), "to": end.isoformat(), "points": points})
        want = q.alignment_trend(start, end, points or 12)
        assert [(dt.datetime.fromisoformat(p["time"]), p["revision"], p["alignedBudgetShare"], p["orphans"],
                 p["unsupported"]) for p in got["data"]["alignmentTrend"]] == \
            [(p.time, p.revision, p.aligned_budget_share, p.orphans, p.unsupported) for p in want]
    assert [p["revision"] for p in graphql(url, query, {"from": start.isoformat(), "to": end.isoformat(),
                                                        "points": 2})["data"]["alignmentTrend"]] == [0, 5]
    naive = graphql(url, query, {"from": start.replace(tzinfo=None).isoformat(), "to": end.isoformat(), "points": 2})
    assert [p["revision"] for p in naive["data"]["alignmentTrend"]] == [0, 5]  # a time without a zone is UTC
    for variables, message in [({"points": 0}, "points must be between 1 and 366"),
                               ({"points": 367}, "points must be between 1 and 366"),
                               ({"from": end.isoformat(), "to": start.isoformat()},
                                "the trend's end is before its start")]:
        got = graphql(url, query, {"from": start.isoformat(), "to": end.isoformat(), **variables})
        assert (got["errors"][0]["message"], got["errors"][0]["extensions"]["code"]) == (message, "BAD_REQUEST")
