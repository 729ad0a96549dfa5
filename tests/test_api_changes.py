"""GET /api/v1/changes for tools that sync from valuegraph, the authors of revisions written through the
API, and the subscription to new revisions (graphql-transport-ws over a real WebSocket)."""

from __future__ import annotations

import base64
import json
import time
from contextlib import contextmanager

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.conftest import NEO4J_AUTH, NEO4J_URL, neo4j_store
from tests.utils.history import SYNCS, load_history, sync
from tests.utils.server import serve_in_thread
from valuegraph.api.auth import DEVELOPMENT, ApiKeyConfig, hash_key
from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.questions import Questions

KEYS = {"reader": "reader-key-00000000001", "ppm-bot": "ppm-bot-key-0000000001", "strategy-bot": "strategy-key-000001"}


def keys() -> list[ApiKeyConfig]:
    return [ApiKeyConfig(name="reader", hash=hash_key(KEYS["reader"]), scopes=["read"]),
            ApiKeyConfig(name="ppm-bot", hash=hash_key(KEYS["ppm-bot"]), scopes=["sync"], sources=["ppm-tool"]),
            ApiKeyConfig(name="strategy-bot", hash=hash_key(KEYS["strategy-bot"]), scopes=["sync", "read"])]


def bearer(name: str) -> dict:
    return {"Authorization": f"Bearer {KEYS[name]}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    graph = ValueGraph(open_store(f"oxigraph:{tmp_path_factory.mktemp('changes') / 'store'}"))
    load_history(graph)
    with serve_in_thread(graph, api_keys=keys()) as url:
        yield graph, url
    graph.close()


def every_change(graph: ValueGraph) -> list[dict]:
    page = Questions(graph).changes(first=1000)
    return [{"revision": c.revision, "committedAt": c.committed_at.isoformat(), "source": c.source,
             "kind": c.kind.value, "entityId": c.entity_id, "entityKind": c.entity_kind, "property": c.property,
             "before": _json(c.before), "after": _json(c.after), "relationType": c.relation_type, "to": c.to}
            for _, c in page.changes]


def _json(value):
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value.isoformat() if hasattr(value, "isoformat") else value


def get(url: str, headers: dict | None = None, **params) -> httpx.Response:
    return httpx.get(url + "/api/v1/changes", params=params, headers=bearer("reader") if headers is None else headers,
                     timeout=30)


def test_all_changes_in_one_answer(served):
    graph, url = served
    body = get(url, since=0, limit=1000).json()
    assert body == {"changes": every_change(graph), "next": 5, "after": None}
    assert get(url).json() == body  # since 0 and limit 100 are the defaults; the history has fewer changes
    assert get(url, since=5).json() == {"changes": [], "next": 5, "after": None}
    assert get(url, since=3).json()["changes"] == [c for c in every_change(graph) if c["revision"] > 3]


@pytest.mark.parametrize("limit", [1, 2, 7, 50])
def test_since_next_never_repeats_a_change_and_after_goes_on_exactly(served, limit):
    graph, url = served
    want = every_change(graph)
    # a reader that goes on from `after` reads every change once
    seen, after = [], None
    while True:
        body = get(url, since=0, limit=limit, **({"after": after} if after else {})).json()
        assert len(body["changes"]) <= limit
        seen += body["changes"]
        after = body["after"]
        if after is None:
            break
    assert seen == want
    # a reader that only keeps `next` (as from one sync to the next) never sees a change twice, and every
    # change of the revisions up to `next` has been returned
    since, seen = 0, []
    for _ in range(100):
        body = get(url, since=since, limit=limit).json()
        seen += [c for c in body["changes"] if c["revision"] <= body["next"]]
        assert [c for c in want if since < c["revision"] <= body["next"]] == \
            [c for c in body["changes"] if c["revision"] <= body["next"]]
        if body["after"] is None:
            break
        if body["next"] == since:  # a revision larger than the limit: only the cursor goes on
            break
        since = body["next"]
    assert len(seen) == len({json.dumps(c, sort_keys=True) for c in seen})


def test_a_source_or_an_entity(served):
    graph, url = served
    want = every_change(graph)
    assert get(url, source="register").json()["changes"] == [c for c in want if c["source"] == "register"]
    assert get(url, entity="P1").json()["changes"] == [c for c in want if c["entityId"] == "P1"]
    for unknown in ({"source": "nobody"}, {"entity": "NOPE"}, {"entity": "P1", "source": "register"}):
        response = get(url, **unknown)
        assert response.status_code == 200 and response.json()["changes"] == [], unknown


@pytest.mark.parametrize("params, field, message", [
    ({"limit": 0}, "limit", "greater than or equal to 1"),
    ({"limit": -5}, "limit", "greater than or equal to 1"),
    ({"limit": 1001}, "limit", "less than or equal to 1000"),
    ({"limit": "ten"}, "limit", "valid integer"),
    ({"since": "x"}, "since", "valid integer"),
    ({"since": "1.5"}, "since", "valid integer"),
    ({"since": -1}, "since", "greater than or equal to 0"),
])
def test_bad_numbers_are_rejected_precisely(served, params, field, message):
    _, url = served
    response = get(url, **params)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", field] and message in error["msg"]


@pytest.mark.parametrize("cursor", [
    "garbled!!", "", "=",
    base64.urlsafe_b64encode(b"r:3").decode(),  # a revisions cursor, not a changes one
    base64.urlsafe_b64encode(b"c:1:x:0").decode(),
    base64.urlsafe_b64encode(b"c:-1:0:0").decode(),
    base64.urlsafe_b64encode(b"c:1:0").decode(),
])
def test_a_forged_or_garbled_cursor_is_a_bad_request(served, cursor):
    _, url = served
    response = get(url, after=cursor)
    assert response.status_code == 400
    assert response.json()["code"] == "BAD_REQUEST"
    assert response.json()["detail"] == f"'{cursor}' is not a cursor this query gave"


def test_the_read_scope_is_required(served):
    _, url = served
    missing = get(url, headers={})
    assert missing.status_code == 401 and "API key is required" in missing.json()["detail"]
    assert get(url, headers={"Authorization": "Bearer not-a-key"}).status_code == 401
    no_read = get(url, headers=bearer("ppm-bot"))
    assert no_read.status_code == 403 and no_read.json()["detail"] == "this API key lacks the read scope"
    assert get(url, headers=bearer("strategy-bot")).status_code == 200


def test_syncs_through_the_api_are_written_by_the_keys_name(tmp_path):
    graph = ValueGraph(open_store("memory:"))
    with serve_in_thread(graph, api_keys=keys()) as url:
        report = httpx.post(url + "/api/v1/sync/ppm-tool", headers=bearer("ppm-bot"), timeout=30,
                            json={"entities": [{"id": "P1", "kind": "Project", "name": "Portal"}]}).json()
        assert report["revision"] == 1
        mutation = """mutation($doc: JSON!) { sync(source: "strategy-office", document: $doc) { revision created } }"""
        answer = httpx.post(url + "/graphql", headers=bearer("strategy-bot"), timeout=30, json={
            "query": mutation, "variables": {"doc": {"entities": [{"id": "G1", "kind": "Goal", "name": "Grow"}]}}})
        assert answer.json()["data"]["sync"] == {"revision": 2, "created": 1}
        again = httpx.post(url + "/graphql", headers=bearer("strategy-bot"), timeout=30, json={
            "query": mutation, "variables": {"doc": {"entities": [{"id": "G1", "kind": "Goal", "name": "Grow"}]}}})
        assert again.json()["data"]["sync"] == {"revision": None, "created": 0}  # nothing changed
        rejected = httpx.post(url + "/graphql", headers=bearer("strategy-bot"), timeout=30, json={
            "query": mutation, "variables": {"doc": {"entities": [{"id": "G1", "kind": "Widget", "name": "x"}]}}})
        assert rejected.json()["data"]["sync"] == {"revision": None, "created": 0}
    assert [(r.number, r.author) for _, r in Questions(graph).revisions().revisions] == \
        [(2, "strategy-bot"), (1, "ppm-bot")]
    with serve_in_thread(graph) as url:  # no keys configured: the development principal's name
        httpx.post(url + "/api/v1/sync/ppm-tool", timeout=30,
                   json={"entities": [{"id": "P2", "kind": "Project", "name": "Billing"}]}).raise_for_status()
    assert Questions(graph).revisions(first=1).revisions[0][1].author == DEVELOPMENT.name
    graph.close()


SUBSCRIBE = """subscription($after: Int) {
  revisionCommitted(afterRevision: $after) { number committedAt source mode author created updated retracted } }"""


@contextmanager
def subscribe(url: str, headers: dict | None = None, query: str = SUBSCRIBE, variables: dict | None = None):
    """A graphql-transport-ws client that has sent one subscription."""
    with connect(url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"],
                 additional_headers=headers, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}))
        yield ws


def test_the_subscription_pushes_each_new_revision(tmp_path):
    graph = ValueGraph(open_store(f"oxigraph:{tmp_path / 'store'}"))
    sync(graph, *SYNCS[0])  # revision 1, before anyone subscribes
    with serve_in_thread(graph, subscription_poll_seconds=0.05) as url, \
            subscribe(url, variables={"after": 1}) as first, subscribe(url) as second:
        # the second subscription starts after the latest revision when it starts: give it the time to
        # start (many polls) before anything is committed
        time.sleep(1.0)
        two = sync(graph, *SYNCS[1])
        three = sync(graph, *SYNCS[2])
        assert sync(graph, *SYNCS[3]).revision is None  # no revision: no message
        for ws in (first, second):
            got = [json.loads(ws.recv(timeout=10)) for _ in range(2)]
            assert [m["type"] for m in got] == ["next", "next"]
            revisions = [m["payload"]["data"]["revisionCommitted"] for m in got]
            assert [r["number"] for r in revisions] == [two.revision, three.revision] == [2, 3]
            stored = {r.number: r for _, r in Questions(graph).revisions().revisions}
            for r in revisions:
                want = stored[r["number"]]
                assert r == {"number": want.number, "committedAt": want.committed_at.isoformat(),
                             "source": want.source, "mode": want.mode.value.upper(), "author": want.author,
                             "created": want.created, "updated": want.updated, "retracted": want.retracted}
            assert revisions[0]["author"] == "bob" and revisions[0]["created"] == two.created
            with pytest.raises(TimeoutError):  # nothing else was committed
                ws.recv(timeout=0.5)
    graph.close()


def test_a_subscription_can_start_after_a_given_revision(tmp_path):
    graph = ValueGraph(open_store("memory:"))
    load_history(graph)
    with serve_in_thread(graph, subscription_poll_seconds=0.05) as url, \
            subscribe(url, query="subscription { revisionCommitted(afterRevision: 3) { number source } }") as ws:
        got = [json.loads(ws.recv(timeout=10))["payload"]["data"]["revisionCommitted"] for _ in range(2)]
    assert got == [{"number": 4, "source": "register"}, {"number": 5, "source": "strategy-office"}]
    graph.close()


def test_the_subscription_needs_a_key_with_the_read_scope(tmp_path):
    graph = ValueGraph(open_store("memory:"))
    with serve_in_thread(graph, api_keys=keys(), subscription_poll_seconds=0.05) as url:
        with pytest.raises(InvalidStatus) as refused, subscribe(url):
            pass
        assert refused.value.response.status_code in (401, 403)
        # a key without the read scope: denied before the subscription is validated or run, with the
        # protocol's Error message (which ends the operation)
        with subscribe(url, headers=bearer("ppm-bot")) as ws:
            denied = json.loads(ws.recv(timeout=10))
        assert denied["type"] == "error" and denied["id"] == "1"
        assert [(e["message"], e["extensions"]["code"]) for e in denied["payload"]] == \
            [("this API key lacks the read scope", "FORBIDDEN")]
        with subscribe(url, headers=bearer("reader"), variables={"after": 0}) as ws:
            revision = sync(graph, *SYNCS[0]).revision
            got = json.loads(ws.recv(timeout=10))
        assert got["payload"]["data"]["revisionCommitted"]["number"] == revision == 1
    graph.close()


def test_the_subscription_sees_revisions_another_writer_commits_to_neo4j():
    """Two graphs over one Neo4j store, as two processes: the server's subscription pushes what the other
    commits."""
    served, writer = ValueGraph(neo4j_store()), None
    try:
        writer = ValueGraph(open_store(NEO4J_URL, **NEO4J_AUTH))
        with serve_in_thread(served, subscription_poll_seconds=0.05) as url, \
                subscribe(url, variables={"after": 0}) as ws:
            made = [sync(writer, *SYNCS[i]).revision for i in (0, 1)]
            got = [json.loads(ws.recv(timeout=20))["payload"]["data"]["revisionCommitted"] for _ in made]
        assert [r["number"] for r in got] == made == [1, 2]
        assert [(r["source"], r["author"]) for r in got] == [("strategy-office", "alice"), ("ppm-tool", "bob")]
    finally:
        served.close()
        if writer is not None:
            writer.close()
