"""Answers a client may keep: an ETag on GraphQL and REST GET answers, 304 for a tag that is still current,
and persisted queries (Apollo's automatic persisted queries protocol), over real HTTP."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from tests.utils.factories import E, load
from tests.utils.server import serve_in_thread
from tests.utils.signin import bearer, keys, strategy_graph

QUERY = "query Objectives($first: Int) { entities(kind: OBJECTIVE, first: $first) { totalCount edges { node { id name } } } }"
OTHER = "{ entities(kind: GOAL) { totalCount } }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(digest: str, query: str | None = None, **more) -> dict:
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}, **more}
    if query is not None:
        body["query"] = query
    return body


@pytest.fixture(scope="module")
def served():
    """A served strategy graph, with a key that reads, one that reads and syncs, and one that only syncs."""
    graph = strategy_graph()
    with serve_in_thread(graph, api_keys=keys(), persisted_queries_max=8, persisted_query_max_bytes=2000) as url:
        yield url, graph
    graph.close()


def post(url: str, body: dict, who: str = "reader", **headers) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json=body, headers={**bearer(who), **headers}, timeout=30)


def test_an_answer_is_tagged_and_its_tag_gets_304_until_the_graph_changes(served):
    url, graph = served
    body = {"query": QUERY, "variables": {"first": 5}}
    first = post(url, body)
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('W/"')
    assert first.headers["cache-control"] == "private, no-cache"
    again = post(url, body, **{"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    # a tag among others, as a client that holds several sends them
    assert post(url, body, **{"If-None-Match": f'W/"0", {tag}'}).status_code == 304

    # another question, other variables, another operation: other tags, full answers
    other = post(url, {"query": OTHER}, **{"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag
    more = post(url, {"query": QUERY, "variables": {"first": 6}}, **{"If-None-Match": tag})
    assert more.status_code == 200 and more.headers["etag"] != tag

    # a write: the same question has another answer, and another tag
    load(graph, [E("OBJ-NEW", "Objective", "A new objective")], source="caching-test")
    changed = post(url, body, **{"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert changed.json()["data"]["entities"]["totalCount"] == first.json()["data"]["entities"]["totalCount"] + 1
    assert post(url, body, **{"If-None-Match": changed.headers["etag"]}).status_code == 304


def test_two_callers_never_share_a_tag_and_one_that_may_not_read_learns_nothing(served):
    url, _ = served
    body = {"query": QUERY, "variables": {"first": 5}}
    reader = post(url, body, "reader")
    writer = post(url, body, "writer")  # reads and syncs: the same answer, but not the same caller
    assert reader.json() == writer.json()
    assert reader.headers["etag"] != writer.headers["etag"]
    assert post(url, body, "writer", **{"If-None-Match": reader.headers["etag"]}).status_code == 200

    # a key without the read scope: refused, with no tag, whatever tag it sends
    for tag in (reader.headers["etag"], writer.headers["etag"], "*"):
        refused = post(url, body, "bot", **{"If-None-Match": tag})
        assert refused.status_code == 200 and "etag" not in refused.headers
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert refused.json()["data"] is None
    # no key: 401, no tag
    anonymous = httpx.post(f"{url}/graphql", json=body, headers={"If-None-Match": reader.headers["etag"]})
    assert anonymous.status_code == 401 and "etag" not in anonymous.headers


def test_answers_with_errors_and_mutations_are_not_tagged(served):
    url, _ = served
    wrong = post(url, {"query": "{ entity(id: 1) { nope } }"})
    assert wrong.json()["errors"] and "etag" not in wrong.headers
    mutation = ('mutation { sync(source: "caching-test", document: {entities: []}) { created } }')
    written = post(url, {"query": mutation}, "writer", **{"If-None-Match": "*"})
    assert written.status_code == 200 and "etag" not in written.headers
    assert "errors" not in written.json(), written.json()


def test_a_persisted_query_is_asked_by_its_hash_once_registered(served):
    url, _ = served
    query = QUERY + " "  # a text no other test registers
    digest = sha(query)
    unknown = post(url, persisted(digest, variables={"first": 2}))
    assert unknown.status_code == 200
    assert unknown.json()["errors"] == [{"message": "PersistedQueryNotFound",
                                         "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
    registered = post(url, persisted(digest, query, variables={"first": 2}))
    asked = post(url, persisted(digest, variables={"first": 2}))
    plain = post(url, {"query": query, "variables": {"first": 2}})
    assert registered.json() == asked.json() == plain.json()
    assert len(asked.json()["data"]["entities"]["edges"]) == 2
    # the same answer, asked by hash or by text: one tag
    assert asked.headers["etag"] == plain.headers["etag"]
    # another caller, even one that may read, does not find it: a hash tells nobody what another asked
    for other in ("writer", "bot"):
        found = post(url, persisted(digest, variables={"first": 2}), other)
        assert found.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    # by GET, as a CDN in front of a dashboard would see it
    params = {"extensions": json.dumps(persisted(digest)["extensions"]), "variables": json.dumps({"first": 2}),
              "operationName": "Objectives"}
    got = httpx.get(f"{url}/graphql", params=params, headers=bearer("reader"))
    assert got.status_code == 200 and got.json() == asked.json()
    assert httpx.get(f"{url}/graphql", params=params,
                     headers={**bearer("reader"), "If-None-Match": got.headers["etag"]}).status_code == 304


def test_a_text_that_is_not_its_hash_is_refused_and_not_kept(served):
    url, _ = served
    query = OTHER + " "
    wrong = post(url, persisted(sha("{ something else }"), query))
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["message"] == "provided sha does not match query"
    assert wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    # nothing was kept under either hash
    for digest in (sha("{ something else }"), sha(query)):
        assert post(url, persisted(digest)).json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize("extensions", [
    {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
    {"persistedQuery": {"version": 1, "sha256Hash": "0" * 63}},
    {"persistedQuery": {"version": 1, "sha256Hash": "G" * 64}},
    {"persistedQuery": {"version": 1}},
    {"persistedQuery": "abc"},
])
def test_a_malformed_persisted_query_is_refused_with_the_reason(served, extensions):
    url, _ = served
    refused = post(url, {"extensions": extensions})
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_INVALID" and error["message"]


def test_an_oversized_query_is_answered_but_not_kept(served):
    url, _ = served
    query = "{ entities(kind: GOAL) { totalCount } " + "#" * 3000 + "\n}"  # over persisted_query_max_bytes
    answered = post(url, persisted(sha(query), query))
    assert answered.status_code == 200 and "errors" not in answered.json()
    assert post(url, persisted(sha(query))).json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_many_hashes_keep_a_bounded_number_and_the_latest(served):
    url, _ = served
    texts = [f"{{ entities(kind: GOAL, first: {i}) {{ totalCount }} }}" for i in range(1, 21)]
    for text in texts:
        assert post(url, persisted(sha(text), text)).status_code == 200
    kept = [post(url, persisted(sha(t))).json().get("errors") is None for t in texts]
    # at most persisted_queries_max (8) are kept: the most recently registered
    assert kept == [False] * 12 + [True] * 8


def test_rest_changes_are_tagged(served):
    url, graph = served
    first = httpx.get(f"{url}/api/v1/changes", params={"limit": 5}, headers=bearer("reader"))
    tag = first.headers["etag"]
    again = httpx.get(f"{url}/api/v1/changes", params={"limit": 5}, headers={**bearer("reader"), "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    other = httpx.get(f"{url}/api/v1/changes", params={"limit": 6}, headers={**bearer("reader"), "If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag
    # a key that may not read: 403 and no tag
    refused = httpx.get(f"{url}/api/v1/changes", params={"limit": 5}, headers={**bearer("bot"), "If-None-Match": tag})
    assert refused.status_code == 403 and "etag" not in refused.headers
    load(graph, [E("OBJ-REST", "Objective")], source="caching-test")
    moved = httpx.get(f"{url}/api/v1/changes", params={"limit": 5}, headers={**bearer("reader"), "If-None-Match": tag})
    assert moved.status_code == 200 and moved.headers["etag"] != tag
