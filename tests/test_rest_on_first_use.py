"""The REST routers are added when a request first needs them (api/deferred.py): a server's first GraphQL
answer does not wait for their import, and every REST path, 404 and OpenAPI document is as before."""

from __future__ import annotations

import subprocess
import sys

# a fresh process: which modules the app has imported after each request
PROBE = """
import sys
from fastapi.testclient import TestClient
from valuegraph.api.app import create_app
from valuegraph.api.settings import Settings
from valuegraph.graph import ValueGraph, open_store
app = create_app(Settings(store="memory:"), ValueGraph(open_store("memory:")))
with TestClient(app, base_url="http://127.0.0.1") as client:
    def rest():
        return "valuegraph.api.routers.sync" in sys.modules
    answers = [client.post("/graphql", json={"query": "{ alignment { orphans { id } } }"}).status_code, rest(),
               client.get("/healthz").status_code, rest(),
               client.get("/api/v1/entities/none").status_code, rest(),
               client.get("/no/such/path").status_code, client.get("/api/v1/sync/a").status_code,
               client.post("/api/v1/sync/a", json={"entities": [{"id": "P", "kind": "Project", "name": "P"}]}).status_code,
               client.get("/api/v1/entities/P").json()["name"]]
    print(answers)
"""


def test_the_rest_routers_are_imported_by_the_first_request_that_needs_one():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[200, False, 200, False, 404, True, 404, 405, 200, 'P']"


def test_the_openapi_document_describes_the_rest_api_before_any_request():
    from valuegraph.api.app import create_app
    from valuegraph.api.settings import Settings
    from valuegraph.graph import ValueGraph, open_store

    app = create_app(Settings(store="memory:"), ValueGraph(open_store("memory:")))
    paths = app.openapi()["paths"]
    assert {"/api/v1/sync/{source}", "/api/v1/entities/{entity}", "/healthz", "/api/v1/sparql"} <= set(paths)
