"""One error model: what each error is, and what a caller sees of it over REST, GraphQL and the command line."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.api.errors import INTERNAL, STATUS, status_of
from valuegraph.cli.main import app
from valuegraph.graph import Document, ValueGraph, errors, open_store
from valuegraph.graph.service import resolve_source
from valuegraph.loaders import loader_for
from valuegraph.loaders.recipe import load_recipe
from tests.utils.factories import E, R, load
from tests.utils.server import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
FLAG = re.compile(r"(?<![\w-])--[a-z]")

#: one of each domain error, with the status and code a caller gets for it
EXPECTED = [
    (errors.InvalidRequest("first must be between 0 and 20"), 400, "BAD_REQUEST"),
    (errors.InvalidSourceName("the source name ' ' must not be blank"), 400, "INVALID_SOURCE_NAME"),
    (errors.SparqlError("the query does not parse"), 400, "QUERY_REJECTED"),
    (errors.CypherError("only reading queries are allowed"), 400, "QUERY_REJECTED"),
    (errors.QueryTimeout("the query ran longer than 1 s"), 400, "QUERY_TIMEOUT"),
    (errors.QueryTooComplex("the document selects 2049 fields"), 400, "QUERY_TOO_COMPLEX"),
    (errors.PermissionDenied("this API key lacks the read scope"), 403, "FORBIDDEN"),
    (errors.NotFound("GHOST"), 404, "NOT_FOUND"),
    (errors.StoreConflict("another process wrote to the store"), 409, "STORE_CONFLICT"),
    (errors.DocumentRejected([errors.SyncError("body: entities[0].kind", "unknown kind 'Widget'")]), 422,
     "DOCUMENT_REJECTED"),
    (errors.StoreError("the neo4j store refused the credentials"), 500, "STORE_ERROR"),
    (errors.NotSupported("the oxigraph store does not answer Cypher"), 501, "NOT_SUPPORTED"),
    (errors.StoreUnavailable("the neo4j store does not answer"), 503, "STORE_UNAVAILABLE"),
]


def _domain_errors() -> set[type]:
    found, todo = set(), [errors.ValueGraphError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo += cls.__subclasses__()
    return {c for c in found if c.__module__ == errors.__name__}


@pytest.fixture(scope="module")
def served():
    graph = ValueGraph(open_store("memory:"))
    load(graph, [E("OBJ", "Objective"), E("P", "Project", budget=1)], [R("P", "CONTRIBUTES_TO", "OBJ")], source="s")
    with serve_in_thread(graph) as url:
        yield url, graph


@pytest.fixture
def failing(served, monkeypatch):
    """The served store's reads (search, SPARQL, Cypher) raise the given error, as a store or a bug would."""
    url, graph = served

    def fail_with(exc: Exception) -> str:
        def fail(*args, **kwargs):
            raise exc

        for method in ("search", "sparql", "cypher"):
            monkeypatch.setattr(graph.store, method, fail)
        return url

    return fail_with


# ---------------------------------------------------------------- the errors themselves

def test_no_domain_error_passes_for_a_key_or_value_error():
    assert not issubclass(errors.NotFound, KeyError)
    assert not isinstance(errors.NotFound("X"), LookupError)
    for cls in _domain_errors():
        assert not issubclass(cls, (KeyError, ValueError)), cls


def test_every_domain_error_has_its_own_status():
    assert {type(exc) for exc, _, _ in EXPECTED} | {errors.ValueGraphError, errors.QueryRejected} == _domain_errors()
    for exc, status, code in EXPECTED:
        assert status_of(exc) == (status, code)
    assert set(STATUS) <= _domain_errors()
    assert status_of(ValueError("internal")) == INTERNAL and status_of(KeyError("x")) == INTERNAL


def test_the_old_names_still_import():
    from valuegraph.graph.errors import PermissionDenied, UserError
    from valuegraph.graph import DocumentRejected, NotFound, StoreConflict, StoreError, StoreUnavailable
    from valuegraph.graph.model import SyncError
    from valuegraph.graph.neo4j import CypherError
    from valuegraph.graph.sparql import QueryTimeout
    from valuegraph.graph.store import StoreError as StoreErrorOfStore

    assert UserError is errors.InvalidRequest and PermissionDenied is errors.PermissionDenied
    assert (DocumentRejected, NotFound, StoreConflict, StoreUnavailable) == (
        errors.DocumentRejected, errors.NotFound, errors.StoreConflict, errors.StoreUnavailable)
    assert StoreError is StoreErrorOfStore is errors.StoreError
    assert (SyncError, CypherError, QueryTimeout) == (errors.SyncError, errors.CypherError, errors.QueryTimeout)


# ---------------------------------------------------------------- REST

@pytest.mark.parametrize(("exc", "status", "code"), EXPECTED, ids=lambda v: type(v).__name__ if isinstance(v, Exception) else "")
def test_each_domain_error_is_its_status_over_rest(failing, exc, status, code):
    url = failing(exc)
    response = httpx.get(f"{url}/api/v1/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["requestId"] == response.headers["x-request-id"]
    if isinstance(exc, errors.DocumentRejected):
        assert body["errors"] == [{"location": "body: entities[0].kind", "message": "unknown kind 'Widget'"}]
    else:
        assert body["detail"] == str(exc)


@pytest.mark.parametrize("route", ["sparql", "cypher"])
def test_an_internal_value_error_in_a_route_is_a_500_without_its_text(failing, route):
    url = failing(ValueError("secret internals: the index at /var/lib/x is torn"))
    if route == "sparql":
        response = httpx.get(f"{url}/api/v1/sparql", params={"query": "ASK { ?s ?p ?o }"})
    else:
        response = httpx.post(f"{url}/api/v1/cypher", json={"query": "MATCH (n) RETURN n"})
    assert response.status_code == 500
    assert "secret" not in response.text and "/var/lib" not in response.text
    assert response.json() == {"detail": "internal error", "requestId": response.headers["x-request-id"]}


def test_a_rejected_query_is_a_400_with_its_reason(served):
    url, _ = served
    update = httpx.get(f"{url}/api/v1/sparql", params={"query": "INSERT DATA { <a:b> <a:c> <a:d> }"})
    assert update.status_code == 400 and update.json()["code"] == "QUERY_REJECTED"
    assert "only queries are allowed" in update.json()["detail"]
    broken = httpx.get(f"{url}/api/v1/sparql", params={"query": "SELECT ?x WHERE {"})
    assert broken.status_code == 400 and broken.json()["detail"].startswith("the query does not parse")
    cypher = httpx.post(f"{url}/api/v1/cypher", json={"query": "MATCH (n) RETURN n"})
    assert cypher.status_code == 501 and cypher.json()["code"] == "NOT_SUPPORTED"


def test_a_body_that_is_not_json_is_a_bad_request(served):
    url, _ = served
    response = httpx.post(f"{url}/api/v1/sync/s", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST"
    assert response.json()["detail"].startswith("the body is not JSON")


def test_a_rejected_document_is_a_422_listing_its_errors(served):
    url, _ = served
    response = httpx.post(f"{url}/api/v1/sync/s", json={"entities": [{"id": "X", "kind": "Widget", "name": "x"}]})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "DOCUMENT_REJECTED" and body["detail"].endswith("nothing was written")
    assert any(e["location"] == "body: entities[0].kind" for e in body["errors"])


# ---------------------------------------------------------------- GraphQL

@pytest.mark.parametrize(("exc", "status", "code"), [e for e in EXPECTED if not isinstance(e[0], errors.DocumentRejected)],
                         ids=lambda v: type(v).__name__ if isinstance(v, Exception) else "")
def test_each_domain_error_is_a_graphql_error_with_its_code(failing, exc, status, code):
    url = failing(exc)
    response = httpx.post(f"{url}/graphql", json={"query": '{ entities(search: "x") { totalCount } }'})
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == code
    assert error["message"] == str(exc)
    assert response.status_code == (503 if status == 503 else 200)


def test_a_rejected_document_is_a_graphql_error_with_its_code_and_errors(failing):
    url = failing(errors.DocumentRejected([errors.SyncError("document: source", "no source")]))
    error = httpx.post(f"{url}/graphql", json={"query": '{ entities(search: "x") { totalCount } }'}).json()["errors"][0]
    assert error["extensions"] == {"code": "DOCUMENT_REJECTED",
                                   "errors": [{"location": "document: source", "message": "no source"}],
                                   "errorCount": 1}


def test_a_missing_scope_is_forbidden_in_graphql():
    graph = ValueGraph(open_store("memory:"))
    keys = [ApiKeyConfig(name="jira", hash=hash_key("jira-key-0123456789"), scopes=["sync"], sources=["jira"])]
    with serve_in_thread(graph, api_keys=keys) as url:
        response = httpx.post(f"{url}/graphql", json={"query": "{ alignment { alignedBudgetShare } }"},
                              headers={"Authorization": "Bearer jira-key-0123456789"})
    error = response.json()["errors"][0]
    assert error["message"] == "this API key lacks the read scope"
    assert error["extensions"] == {"code": "FORBIDDEN"}


def test_an_internal_error_in_graphql_is_masked_with_the_request_id(failing):
    url = failing(KeyError("secret internals"))
    response = httpx.post(f"{url}/graphql", json={"query": '{ entities(search: "x") { totalCount } }'},
                          headers={"x-request-id": "req-42"})
    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "secret" not in response.text


def test_graphql_errors_of_the_query_itself_have_codes(served):
    url, _ = served
    parse = httpx.post(f"{url}/graphql", json={"query": "{ entities("}).json()["errors"][0]
    assert parse["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    invalid = httpx.post(f"{url}/graphql", json={"query": "{ noSuchField }"}).json()["errors"][0]
    assert invalid["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" and "noSuchField" in invalid["message"]


def test_an_unknown_id_is_not_found_in_graphql(served):
    url, _ = served
    error = httpx.post(f"{url}/graphql", json={"query": '{ impact(item: "GHOST") { affected { id } } }'}).json()["errors"][0]
    assert error["message"] == "no entity with id 'GHOST'"
    assert error["extensions"] == {"code": "NOT_FOUND"}


# ---------------------------------------------------------------- messages name no command-line option

def test_graph_and_loader_messages_name_no_option(tmp_path):
    with pytest.raises(errors.DocumentRejected) as no_source:
        resolve_source(Document(None, origin="a.json"), None)
    (path := tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(errors.DocumentRejected) as no_loader:
        loader_for(path)
    with pytest.raises(errors.DocumentRejected) as unknown_format:
        loader_for(path, "xlsx")
    with pytest.raises(errors.DocumentRejected) as unknown_recipe:
        load_recipe("no-such-recipe")
    for raised, code in [(no_source, errors.NO_SOURCE), (no_loader, errors.NO_LOADER),
                         (unknown_format, errors.UNKNOWN_FORMAT), (unknown_recipe, errors.UNKNOWN_RECIPE)]:
        assert [e.code for e in raised.value.errors] == [code]
        assert not FLAG.search(str(raised.value)), str(raised.value)


def test_no_raise_in_graph_or_loaders_names_an_option():
    """Every text in a ``raise`` or a ``SyncError(...)`` of the graph and loader layers, f-strings included."""
    found = []
    for path in [*(ROOT / "graph").rglob("*.py"), *(ROOT / "loaders").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_message = isinstance(node, ast.Raise) or (
                isinstance(node, ast.Call) and getattr(node.func, "id", None) == "SyncError")
            if is_message:
                for part in ast.walk(node):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str) and FLAG.search(part.value):
                        found.append(f"{path.relative_to(ROOT)}:{part.lineno}: {part.value!r}")
    assert not found, "\n".join(found)


def test_the_command_line_adds_its_own_hint(tmp_path):
    (doc := tmp_path / "doc.json").write_text(json.dumps({"entities": [{"id": "A", "kind": "Goal", "name": "a"}]}))
    (text := tmp_path / "notes.txt").write_text("hello")
    store = f"oxigraph:{tmp_path / 's'}"
    no_source = CliRunner().invoke(app, ["load", str(doc), "--store", store, "--json"])
    assert no_source.exit_code == 1
    assert "--source" in no_source.output
    no_loader = CliRunner().invoke(app, ["load", str(text), "--store", store])
    assert no_loader.exit_code == 1 and "--format" in no_loader.output
