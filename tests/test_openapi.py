"""The OpenAPI document: every operation's body, errors and security are declared, the errors a served app
really answers are among them with the shared body, and the document and /docs ask for a key like the API."""

from __future__ import annotations

import json

import httpx
import jsonschema_rs
import pytest
import yaml

from valuegraph.api.openapi import exchange_document_schema
from valuegraph.loaders.upload import body_formats
from tests.conftest import EXAMPLES
from tests.utils.server import serve_in_thread
from tests.utils.signin import bearer, keys, session_cookies, sign_in, strategy_graph

ERROR_FIELDS = {"detail", "code", "requestId"}


@pytest.fixture(scope="module")
def served():
    graph = strategy_graph()
    with serve_in_thread(graph, api_keys=keys()) as url:
        yield url
    graph.close()


@pytest.fixture(scope="module")
def document(served) -> dict:
    answer = httpx.get(f"{served}/openapi.json", headers=bearer("reader"))
    assert answer.status_code == 200
    return answer.json()


def operations(document: dict):
    for path, items in document["paths"].items():
        for method, operation in items.items():
            yield path, method, operation


def test_the_document_and_the_docs_need_a_key(served):
    for path in ("/openapi.json", "/docs"):
        answer = httpx.get(served + path)
        assert answer.status_code == 401, path
        assert set(answer.json()) == ERROR_FIELDS and answer.json()["code"] == "UNAUTHORIZED"
        assert httpx.get(served + path, headers={"Authorization": "Bearer vg_not-a-key"}).status_code == 401
        assert httpx.get(served + path, headers=bearer("bot")).status_code == 200  # any scope
    browser = httpx.get(served + "/docs", headers={"Accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"] == "/signin?next=/docs"


def test_a_browser_session_counts_as_a_key(served):
    cookies = session_cookies(sign_in(served, "vg_reader-key-000000000000000001"))
    for path in ("/openapi.json", "/docs"):
        assert httpx.get(served + path, cookies=cookies).status_code == 200
    assert "swagger-ui" in httpx.get(served + "/docs", cookies=cookies).text


def test_without_keys_the_document_is_served_to_anyone_on_loopback():
    graph = strategy_graph()
    with serve_in_thread(graph) as url:
        document = httpx.get(url + "/openapi.json").json()
    graph.close()
    assert "bearerAuth" in document["components"]["securitySchemes"]
    assert not [op for _, _, op in operations(document) if op.get("security")]  # development: no key needed


def test_every_operation_declares_security_and_its_errors(document):
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    schemas = document["components"]["schemas"]
    assert ERROR_FIELDS <= set(schemas["ErrorBody"]["required"])
    found = list(operations(document))
    assert len(found) >= 10
    for path, method, operation in found:
        where = f"{method.upper()} {path}"
        assert {"bearerAuth": []} in operation["security"], where
        declared = set(operation["responses"])
        assert {"401", "500", "503"} <= declared, where
        if path.startswith("/api/v1/"):
            assert "403" in declared, where
        if method == "post":
            assert "requestBody" in operation, where
        for status, response in operation["responses"].items():
            if status.startswith("4") and path != "/graphql" and status != "422" or status == "500":
                schema = response["content"]["application/json"]["schema"]
                assert schema["$ref"] in ("#/components/schemas/ErrorBody", "#/components/schemas/RejectedBody"), where
    sync = document["paths"]["/api/v1/sync/{source}"]["post"]
    assert {"413", "415", "422", "400", "403"} <= set(sync["responses"])
    assert sync["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/RejectedBody")
    # files over REST: every format's media types, and any file as application/octet-stream with `format`
    body_types = set(sync["requestBody"]["content"])
    for name, loader in body_formats().items():
        assert set(loader.media_types) <= body_types, name
    assert {"text/csv", "text/turtle", "application/xml", "application/octet-stream"} <= body_types
    assert sync["requestBody"]["content"]["text/csv"]["schema"]["format"] == "binary"
    assert {p["name"] for p in sync["parameters"] if p["in"] == "query"} == {"mode", "format", "recipe", "dryRun"}
    # an unknown query parameter is a 400 wherever it is refused
    for path in ("/api/v1/changes", "/api/v1/export/{format}"):
        assert "400" in document["paths"][path]["get"]["responses"], path
    assert set(document["paths"]["/api/v1/sparql"]["post"]["requestBody"]["content"]) == {
        "application/sparql-query", "application/x-www-form-urlencoded"}
    assert document["paths"]["/api/v1/sparql"]["get"]["parameters"][0]["name"] == "query"


def test_the_errors_a_served_app_answers_are_declared_with_the_shared_body(served, document):
    def check(method: str, path: str, template: str, expected: int, **kwargs) -> None:
        answer = httpx.request(method, served + path, **kwargs)
        assert answer.status_code == expected, (path, answer.text)
        assert str(expected) in document["paths"][template][method.lower()]["responses"], (template, expected)
        assert ERROR_FIELDS <= set(answer.json()), answer.text

    for template, method, operation in operations(document):
        path = template.replace("{source}", "ppm").replace("{format}", "csv")
        check(method, path, template, 401)
    check("GET", "/api/v1/export/csv", "/api/v1/export/{format}", 403, headers=bearer("reader"))
    check("GET", "/api/v1/sparql?query=ASK%7B%7D", "/api/v1/sparql", 403, headers=bearer("reader"))
    check("POST", "/api/v1/sync/ppm", "/api/v1/sync/{source}", 403, headers=bearer("reader"), json={})
    check("POST", "/api/v1/sync/%20", "/api/v1/sync/{source}", 400, headers=bearer("writer"), json={})
    check("POST", "/api/v1/sync/ppm", "/api/v1/sync/{source}", 422, headers=bearer("writer"),
          json={"entities": [{"id": "X", "kind": "Widget", "name": "X"}]})
    check("GET", "/api/v1/changes?after=garbage", "/api/v1/changes", 400, headers=bearer("reader"))


def test_the_sync_body_schema_takes_the_sample_documents():
    schema = exchange_document_schema()
    sample = json.loads(json.dumps(yaml.safe_load((EXAMPLES / "strategy.yaml").read_text()), default=str))
    jsonschema_rs.validate(schema, sample)
    assert not jsonschema_rs.is_valid(schema, {"entities": [{"id": "X", "kind": "Widget", "name": "X"}]})
    assert not jsonschema_rs.is_valid(schema, {"entities": [], "extra": 1})
