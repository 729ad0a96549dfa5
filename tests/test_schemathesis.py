"""A bounded schemathesis run against a served app, over its OpenAPI document and its GraphQL schema: requests
made from each operation's declared parameters and bodies (and, for GraphQL, queries of every root field with
generated arguments), sent with an admin key. No answer may be a 5xx or a masked internal GraphQL error.

Bounded: a few examples per operation and a wall-clock budget for the whole file (`make test` runs it)."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from schemathesis.graphql import nodes

from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.graph import ValueGraph, open_store
from valuegraph.loaders import loader_for
from tests.conftest import EXAMPLES
from tests.utils.server import serve_in_thread

KEY = "vg_fuzz-admin-key-00000000000000001"
AUTH = {"Authorization": f"Bearer {KEY}"}
#: examples per operation, and the seconds each half of the run may take
EXAMPLES_PER_OPERATION = 10
BUDGET_SECONDS = 20
BOUNDED = settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                   phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(scope="module")
def served():
    graph = ValueGraph(open_store("memory:"))
    for doc in loader_for(EXAMPLES / "strategy.yaml").documents():
        graph.sync(doc)
    key = ApiKeyConfig(name="fuzzer", hash=hash_key(KEY), scopes=["admin"])
    with serve_in_thread(graph, api_keys=[key], sparql_timeout_seconds=2) as url:
        yield url
    graph.close()


def _run(schema, url: str, faults: list[str], internal) -> int:
    """Each operation's generated requests, within the time budget; the number of requests sent."""
    sent = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if time.monotonic() - started > BUDGET_SECONDS:
            break

        @BOUNDED
        @given(case=operation.as_strategy())
        def probe(case) -> None:
            nonlocal sent
            response = case.call(base_url=url, headers=AUTH, timeout=10)
            sent += 1
            if _server_error(response) or internal(response):
                faults.append(f"{operation.label}: {response.status_code} {response.text[:300]} "
                              f"for {case.as_curl_command(headers=AUTH)[:600]}")

        probe()
    return sent


def _server_error(response) -> bool:
    """A 5xx other than the declared 501 of an operation this store cannot do (Cypher on a memory store)."""
    if response.status_code == 501:
        return response.json().get("code") != "NOT_SUPPORTED"
    return response.status_code >= 500


def test_no_openapi_operation_answers_a_server_error(served):
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json", headers=AUTH)
    faults: list[str] = []
    sent = _run(schema, served, faults, lambda response: False)
    assert sent >= 30
    assert not faults, "\n".join(faults)


# the JSON scalar (property values, sync documents): any JSON value a GraphQL literal can write
schemathesis.graphql.scalar("JSON", st.one_of(
    st.text(max_size=20).map(nodes.String), st.integers(-(2**60), 2**60).map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float), st.booleans().map(nodes.Boolean),
    st.just(nodes.Null)))


def _internal_graphql_error(response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    errors = body.get("errors") if isinstance(body, dict) else None
    return any((e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR" for e in errors or ())


def test_no_graphql_query_answers_a_server_error(served):
    schema = schemathesis.graphql.from_url(f"{served}/graphql", headers=AUTH)
    faults: list[str] = []
    sent = _run(schema, served, faults, _internal_graphql_error)
    assert sent >= 30
    assert not faults, "\n".join(faults)
