"""Signing in to a served app for tests: keys of each kind, a graph with the sample strategy, and the form."""

from __future__ import annotations

import httpx

from tests.conftest import EXAMPLES
from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.questions import Questions
from valuegraph.loaders import loader_for

KEYS = {"reader": "vg_reader-key-000000000000000001", "writer": "vg_writer-key-000000000000000001",
        "bot": "vg_bot-key-00000000000000000001"}
#: a question every page of the service asks in some form
ENTITIES = "{ entities(first: 500) { totalCount edges { node { id name } } } }"


def keys(*names: str) -> list[ApiKeyConfig]:
    scopes = {"reader": ["read"], "writer": ["read", "sync"], "bot": ["sync"]}
    return [ApiKeyConfig(name=name, hash=hash_key(KEYS[name]), scopes=scopes[name]) for name in names or KEYS]


def bearer(name: str) -> dict:
    return {"Authorization": f"Bearer {KEYS[name]}"}


def strategy_graph() -> ValueGraph:
    """An in-memory graph with the sample strategy office's register."""
    graph = ValueGraph(open_store("memory:"))
    for doc in loader_for(EXAMPLES / "strategy.yaml").documents():
        graph.sync(doc)
    return graph


def revisions(graph: ValueGraph) -> int:
    return len(Questions(graph).revisions(first=1000).revisions)


def answer(url: str, name: str, query: str = ENTITIES) -> dict:
    """The service's answer to a query asked with a Bearer key."""
    response = httpx.post(url + "/graphql", json={"query": query}, headers=bearer(name), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def sign_in(url: str, key: str, next_: str | None = "/", **headers) -> httpx.Response:
    """The answer to posting the sign-in form (not followed)."""
    form = {"key": key} if next_ is None else {"key": key, "next": next_}
    return httpx.post(url + "/signin", data=form, headers=headers, follow_redirects=False, timeout=30)


def session_cookies(response: httpx.Response) -> dict[str, str]:
    return {name: response.cookies[name] for name in ("vg_session", "vg_csrf")}
