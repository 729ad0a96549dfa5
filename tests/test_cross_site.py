"""Requests another site's page can make: a sync must say it is JSON (which a browser does not send across
sites without asking first), and a server without keys answers only to loopback names (DNS rebinding)."""

from __future__ import annotations

import json

import httpx
import pytest

from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.graph import ValueGraph, open_store
from tests.utils.factories import E, load
from tests.utils.fingerprint import fingerprint
from tests.utils.server import serve_in_thread

DOC = json.dumps({"entities": [{"id": "PRJ-EVIL", "kind": "Project", "name": "Evil"}]})
KEY = "sync-key-0123456789"


def small_graph() -> ValueGraph:
    graph = ValueGraph(open_store("memory:"))
    load(graph, [E("P", "Project")], source="x")
    return graph


@pytest.fixture(scope="module")
def development():
    """A server without keys, as `valuegraph serve` runs on a laptop."""
    graph = small_graph()
    with serve_in_thread(graph) as url:
        yield url, graph


@pytest.mark.parametrize("content_type", [
    "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    None,
])
def test_a_sync_body_a_browser_sends_across_sites_is_refused(development, content_type):
    url, graph = development
    before = fingerprint(graph)
    headers = {"Content-Type": content_type} if content_type else {}
    request = httpx.Request("POST", f"{url}/api/v1/sync/x", content=DOC.encode(), headers=headers)
    assert request.headers.get("content-type") == content_type  # none at all: as a Blob without a type is sent
    with httpx.Client() as client:
        response = client.send(request)
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "application/json" in response.json()["detail"]
    assert fingerprint(graph) == before


def test_a_json_sync_is_written(development):
    url, graph = development
    response = httpx.post(f"{url}/api/v1/sync/x", content=DOC.encode(),
                          headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert response.status_code == 200 and response.json()["created"] == 1
    assert "PRJ-EVIL" in graph.index


@pytest.mark.parametrize("path", ["/healthz", "/graphql?query={alignment{alignedBudgetShare}}",
                                  "/api/v1/sparql?query=ASK{}"])
def test_a_foreign_host_is_refused_without_keys(development, path):
    url, _ = development
    port = url.rsplit(":", 1)[1]
    refused = httpx.get(url + path, headers={"Host": f"evil.example:{port}"})
    assert refused.status_code == 400 and refused.text == "Invalid host header"
    for name in ("localhost", "127.0.0.1"):
        assert httpx.get(url + path, headers={"Host": f"{name}:{port}"}).status_code == 200


def test_a_foreign_host_cannot_sync_without_keys(development):
    url, graph = development
    before = fingerprint(graph)
    response = httpx.post(f"{url}/api/v1/sync/x", content=DOC.replace("EVIL", "REBOUND").encode(),
                          headers={"Host": "evil.example", "Content-Type": "application/json"})
    assert response.status_code == 400
    assert fingerprint(graph) == before


def test_with_keys_any_host_by_default_and_the_setting_enforced():
    keys = [ApiKeyConfig(name="ppm", hash=hash_key(KEY), scopes=["read", "sync"], sources=["x"])]
    auth = {"Authorization": f"Bearer {KEY}"}
    with serve_in_thread(small_graph(), api_keys=keys) as url:  # behind a proxy, by whatever name
        assert httpx.get(f"{url}/healthz", headers={**auth, "Host": "valuegraph.example.com"}).status_code == 200
    graph = small_graph()
    before = fingerprint(graph)
    with serve_in_thread(graph, api_keys=keys, trusted_hosts="valuegraph.example.com, *.internal.example") as url:
        sync = {**auth, "Content-Type": "application/json"}
        assert httpx.get(f"{url}/healthz", headers={**auth, "Host": "valuegraph.example.com"}).status_code == 200
        assert httpx.get(f"{url}/healthz", headers={**auth, "Host": "vg.internal.example:8443"}).status_code == 200
        for foreign in ("evil.example", "127.0.0.1", "internal.example.evil"):
            assert httpx.get(f"{url}/healthz", headers={**auth, "Host": foreign}).status_code == 400, foreign
            assert httpx.post(f"{url}/api/v1/sync/x", content=DOC.encode(),
                              headers={**sync, "Host": foreign}).status_code == 400
        assert fingerprint(graph) == before
        written = httpx.post(f"{url}/api/v1/sync/x", content=DOC.encode(),
                             headers={**sync, "Host": "valuegraph.example.com"})
        assert written.status_code == 200 and "PRJ-EVIL" in graph.index
