"""GraphQL errors in the logs: a caller's mistakes at WARNING without the query's text, faults at ERROR."""

from __future__ import annotations

import logging

import httpx
import pytest

from valuegraph.graph import ValueGraph, open_store
from tests.utils.factories import E, R, load
from tests.utils.server import serve_in_thread

SECRET = "needle-4f1c"  # in every query, so that a logged query text is found


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def served():
    graph = ValueGraph(open_store("memory:"))
    load(graph, [E("OBJ", "Objective"), E("P", "Project", budget=1)], [R("P", "CONTRIBUTES_TO", "OBJ")], source="s")
    with serve_in_thread(graph) as url:
        handler = Records()
        root = logging.getLogger()
        root.addHandler(handler)  # after create_app, which sets the root logger's handlers
        try:
            yield url, graph, handler
        finally:
            root.removeHandler(handler)
    graph.close()


USER_MISTAKES = [
    "{ entity(id: \"P\") { nosuchfield } } # " + SECRET,  # does not validate
    "{ entity(id: \"P\" { id } } # " + SECRET,  # does not parse
    "{ whatDelivers(target: \"GHOST\") { totalCount } } # " + SECRET,  # not found
    "{ entities(first: -5) { totalCount } } # " + SECRET,  # a bad argument
    "query Q($n: Int!) { entities(first: $n) { totalCount } } # " + SECRET,  # a variable missing
]


def _messages(handler: Records) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage() + str(r.exc_info or "")) for r in handler.records]


def test_user_errors_are_warnings_without_the_query(served):
    url, _, handler = served
    for query in USER_MISTAKES:
        answer = httpx.post(f"{url}/graphql", json={"query": query})
        assert answer.json().get("errors"), query
    graphql = [r for r in handler.records if r.name == "valuegraph.graphql"]
    assert len(graphql) >= len(USER_MISTAKES)
    assert {r.levelno for r in graphql} == {logging.WARNING}
    assert not [r for r in handler.records if r.levelno >= logging.ERROR]
    assert not [m for _, m in _messages(handler) if SECRET in m]
    codes = {r.code for r in graphql}
    assert {"GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "NOT_FOUND", "BAD_REQUEST"} <= codes


def test_an_internal_error_stays_an_error(served, monkeypatch):
    url, graph, handler = served

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(graph.store, "search", fail)
    answer = httpx.post(f"{url}/graphql", json={"query": "{ entities(search: \"x\") { totalCount } } # " + SECRET})
    assert answer.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    (record,) = [r for r in handler.records if r.name == "valuegraph.graphql"]
    assert record.levelno == logging.ERROR and record.exc_info and "the disk is on fire" in str(record.exc_info[1])
    assert SECRET not in record.getMessage()
