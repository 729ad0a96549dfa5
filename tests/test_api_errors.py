"""Every REST and mutation error path, access control and GraphQL guardrails, over real HTTP."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from valuegraph.api.app import create_app
from valuegraph.api.auth import ApiKeyConfig, OpenServer, Scope, hash_key
from valuegraph.api.settings import Settings
from valuegraph.graph import ValueGraph, open_store
from tests.utils.factories import E, R, load
from tests.utils.fingerprint import fingerprint
from tests.utils.server import serve_in_thread

KEYS = {
    "reader": ("read-key-0123456789", ["read"], None),
    "jira": ("jira-key-0123456789", ["sync"], ["jira"]),
    "admin": ("admin-key-0123456789", ["admin"], None),
    "analyst": ("analyst-key-0123456789", ["analyst"], None),
}


def auth(name: str) -> dict:
    return {"Authorization": f"Bearer {KEYS[name][0]}"}


@pytest.fixture(scope="module")
def server():
    graph = ValueGraph(open_store("memory:"))
    load(graph, [E("OBJ", "Objective"), E("P", "Project", budget=1)], [R("P", "CONTRIBUTES_TO", "OBJ")], source="jira")
    keys = [ApiKeyConfig(name=n, hash=hash_key(k), scopes=s, sources=src) for n, (k, s, src) in KEYS.items()]
    with serve_in_thread(graph, api_keys=keys, max_body_bytes=2000, max_first=20, max_query_depth=6,
                         max_aliases=4) as url:
        yield url, graph


def post_sync(url, source, body, headers=None, mode=None):
    params = {"mode": mode} if mode else {}
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return httpx.post(f"{url}/api/v1/sync/{source}", content=content, params=params,
                      headers={"content-type": "application/json", **(headers or {})})


def gql(url, query, headers=None, variables=None):
    return httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}},
                      headers=headers if headers is not None else auth("reader"))


DOC = {"entities": [{"id": "NEW", "kind": "Project", "name": "New"}],
       "relations": [{"from": "NEW", "type": "CONTRIBUTES_TO", "to": "OBJ"}]}


def test_sync_ok_returns_the_report(server):
    url, graph = server
    response = post_sync(url, "jira", DOC, auth("jira"))
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2 and response.json()["errors"] == []
    assert response.headers["x-request-id"]
    again = post_sync(url, "jira", DOC, auth("jira"))
    assert again.json()["unchanged"] == 2
    assert "NEW" in graph.index


def test_sync_rejected_with_every_error_and_nothing_written(server):
    url, graph = server
    before = fingerprint(graph)
    bad = {"entities": [{"id": "X", "kind": "Widget", "name": "x"}, {"id": "Y", "kind": "Project"},
                        {"id": "P", "kind": "Goal", "name": "p"}],
           "relations": [{"from": "Y", "type": "CONTRIBUTES_TO", "to": "GHOST"}]}
    response = post_sync(url, "jira", bad, auth("jira"))
    assert response.status_code == 422
    locations = {e["location"] for e in response.json()["errors"]}
    assert {"body: entities[0].kind", "body: entities[1].name", "body: entities[2].kind"} <= locations
    assert all(e["message"] for e in response.json()["errors"])
    assert fingerprint(graph) == before


def test_sync_source_in_document_must_match_the_url(server):
    url, _graph = server
    response = post_sync(url, "jira", {**DOC, "source": "ppm"}, auth("jira"))
    assert response.status_code == 422
    assert "names source 'ppm' but it is being loaded as 'jira'" in response.json()["errors"][0]["message"]


def test_sync_body_not_json_is_400(server):
    url, _ = server
    response = post_sync(url, "jira", b"{not json", auth("jira"))
    assert response.status_code == 400 and "not JSON" in response.json()["detail"]


def test_sync_body_too_large_is_413(server):
    url, graph = server
    before = fingerprint(graph)
    big = {"entities": [{"id": f"B{i}", "kind": "Project", "name": "x" * 50} for i in range(100)]}
    response = post_sync(url, "jira", big, auth("jira"))
    assert response.status_code == 413 and "2000 bytes" in response.json()["detail"]
    chunked = httpx.post(f"{url}/api/v1/sync/jira", content=iter([json.dumps(big).encode()]),
                         headers={"content-type": "application/json", **auth("jira")})
    assert chunked.status_code == 413
    assert fingerprint(graph) == before


def test_sync_bad_mode_is_422(server):
    url, _ = server
    assert post_sync(url, "jira", DOC, auth("jira"), mode="sideways").status_code == 422


def test_missing_or_unknown_key_is_401(server):
    url, _ = server
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        for response in (post_sync(url, "jira", DOC, headers), gql(url, "{ alignment { alignedBudgetShare } }", headers),
                         httpx.get(f"{url}/readyz", headers=headers), httpx.get(f"{url}/graphql", headers=headers)):
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == "Bearer"


def test_key_without_the_scope_is_403(server):
    url, graph = server
    before = fingerprint(graph)
    assert post_sync(url, "jira", DOC, auth("reader")).status_code == 403
    response = gql(url, "{ alignment { alignedBudgetShare } }", auth("analyst"))
    assert response.status_code == 200 and response.json()["errors"][0]["message"] == "this API key lacks the read scope"
    assert response.json()["data"] is None
    assert fingerprint(graph) == before


def test_source_scoped_key_cannot_write_another_source(server):
    url, graph = server
    before = fingerprint(graph)
    response = post_sync(url, "ppm", DOC, auth("jira"))
    assert response.status_code == 403 and "may not sync as source 'ppm'" in response.json()["detail"]
    mutation = gql(url, 'mutation($d: JSON!) { sync(source: "ppm", document: $d) { created errors { message } } }',
                   auth("jira"), {"d": DOC})
    assert mutation.json()["errors"][0]["message"] == "this API key may not sync as source 'ppm'"
    assert fingerprint(graph) == before
    assert post_sync(url, "ppm", DOC, auth("admin")).status_code == 200


def test_sync_mutation(server):
    url, graph = server
    ok = gql(url, 'mutation($d: JSON!) { sync(source: "jira", document: $d, mode: MERGE) { created unchanged errors { location message } } }',
             auth("jira"), {"d": {"entities": [{"id": "M1", "kind": "Project", "name": "m"}]}})
    assert ok.json()["data"]["sync"] == {"created": 1, "unchanged": 0, "errors": []}
    before = fingerprint(graph)
    bad = gql(url, 'mutation($d: JSON!) { sync(source: "jira", document: $d) { created errors { location message } } }',
              auth("jira"), {"d": {"entities": [{"id": "M2", "kind": "Project", "name": "m", "budget": "x"}]}})
    report = bad.json()["data"]["sync"]
    assert report["created"] == 0 and report["errors"][0]["location"] == "document: entities[0].budget"
    assert fingerprint(graph) == before


def test_readiness_and_liveness(server):
    url, _ = server
    assert httpx.get(f"{url}/healthz", headers=auth("reader")).json() == {"status": "ok"}
    ready = httpx.get(f"{url}/readyz", headers=auth("reader"))
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_graphiql_in_a_browser(server):
    url, _ = server
    page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html", **auth("reader")})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_query_deeper_than_the_limit_is_refused(server):
    url, _ = server
    deep = '{ entity(id: "P") { relations { to { relations { to { relations { to { relations { to { id } } } } } } } } } }'
    body = gql(url, deep).json()
    assert body["errors"][0]["message"] == "the operation 'anonymous' is 9 levels deep; the most this server accepts is 6"
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert body.get("data") is None


def test_too_many_aliases_are_refused(server):
    url, _ = server
    query = "{ " + " ".join(f"a{i}: alignment {{ alignedBudgetShare }}" for i in range(5)) + " }"
    body = gql(url, query).json()
    assert body["errors"][0]["message"] == ("the document uses 5 aliases once its fragments are expanded; the most "
                                            "this server accepts is 4")
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_first_above_the_cap_is_refused(server):
    url, _ = server
    body = gql(url, '{ whatDelivers(target: "OBJ", first: 21) { totalCount } }').json()
    assert body["errors"][0]["message"] == "first must be between 0 and 20, not 21"
    body = gql(url, "{ entities(first: 500) { totalCount } }").json()
    assert body["errors"][0]["message"] == "first must be between 0 and 20, not 500"


def test_internal_errors_are_masked(server):
    url, graph = server
    real = graph.store.entity_records
    def boom(ids):
        raise RuntimeError("secret internals")
    graph.store.entity_records = boom
    try:
        body = gql(url, '{ entity(id: "P") { name } }').json()
    finally:
        graph.store.entity_records = real
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "secret" not in json.dumps(body)


def test_too_many_tokens_are_refused():
    graph = ValueGraph(open_store("memory:"))
    with serve_in_thread(graph, max_tokens=50) as url:
        query = "{ " + " ".join("alignment { alignedBudgetShare }" for _ in range(20)) + " }"
        body = httpx.post(f"{url}/graphql", json={"query": query}).json()
    assert "tokens" in body["errors"][0]["message"].lower()


def test_serve_refuses_other_addresses_without_keys():
    from typer.testing import CliRunner

    from valuegraph.cli.main import app

    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--store", "memory:"])
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0" in result.output and "no API keys are configured" in result.output


def test_keys_from_a_file_made_by_keys_new(tmp_path):
    from typer.testing import CliRunner

    from valuegraph.cli.main import app

    result = CliRunner().invoke(app, ["keys", "new", "--name", "ppm", "--scope", "sync", "--source", "ppm"])
    assert result.exit_code == 0
    key = next(line for line in result.stdout.splitlines() if line.startswith("vg_"))
    entry = json.loads(result.stdout[result.stdout.index("{"):])
    assert entry["hash"] == hash_key(key) and key not in json.dumps(entry)
    keys_file = tmp_path / "keys.yaml"
    keys_file.write_text("keys:\n  - " + json.dumps(entry) + "\n")
    graph = ValueGraph(open_store("memory:"))
    with serve_in_thread(graph, api_keys_file=keys_file) as url:
        headers = {"Authorization": f"Bearer {key}"}
        assert post_sync(url, "ppm", DOC | {"relations": []}, headers).status_code == 200
        assert post_sync(url, "jira", DOC | {"relations": []}, headers).status_code == 403
        assert gql(url, "{ alignment { alignedBudgetShare } }", headers).json()["errors"][0]["message"] == \
            "this API key lacks the read scope"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.com"])
def test_create_app_refuses_other_addresses_without_keys(host):
    with pytest.raises(OpenServer, match=f"refusing to listen on {re.escape(host)}: no API keys are configured"):
        create_app(Settings(store="memory:", host=host))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.8.9.10"])
def test_create_app_serves_loopback_without_keys(host):
    assert create_app(Settings(store="memory:", host=host)) is not None


def test_create_app_serves_any_address_with_keys():
    key = ApiKeyConfig(name="reader", hash=hash_key("vg_test"), scopes=[Scope.READ])
    assert create_app(Settings(store="memory:", host="0.0.0.0", api_keys=[key])) is not None
