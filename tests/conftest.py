from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from valuegraph.graph import StoreUnavailable, ValueGraph, open_store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: real inputs kept in the repository, each with its licence (tests/data/README.md)
TEST_DATA = ROOT / "tests" / "data"

BACKENDS = ["memory", "oxigraph", "neo4j"]

# a Neo4j store keeps its traversal index under the user's cache folder: the tests' (and the servers' they
# start) go to a folder of the test run's own
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="valuegraph-test-cache-")
NEO4J_URL = os.environ.get("VALUEGRAPH_TEST_NEO4J_URL", "bolt://127.0.0.1:7687")
NEO4J_AUTH = {"user": os.environ.get("VALUEGRAPH_NEO4J_USER", "neo4j"),
              "password": os.environ.get("VALUEGRAPH_NEO4J_PASSWORD", "valuegraph-dev")}


def neo4j_store():
    """The test Neo4j server's database, emptied; skipped only outside `make test`."""
    store = open_store(NEO4J_URL, **NEO4J_AUTH)
    try:
        store.clear()
    except StoreUnavailable as exc:
        store.close()
        if os.environ.get("VALUEGRAPH_STRICT_TESTS"):
            pytest.fail(f"Neo4j must run for `make test` (make neo4j): {exc}")
        pytest.skip(f"no Neo4j server ({exc}); `make test` starts one")
    return store


def store_url(backend: str, tmp_path: Path) -> str:
    if backend == "memory":
        return "memory:"
    return f"oxigraph:{tmp_path / 'store'}"


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def graph(backend, tmp_path):
    """An empty graph on each store backend."""
    store = neo4j_store() if backend == "neo4j" else open_store(store_url(backend, tmp_path))
    g = ValueGraph(store)
    yield g
    g.close()


@pytest.fixture
def mem_graph():
    g = ValueGraph(open_store("memory:"))
    yield g
    g.close()


@pytest.fixture(scope="session")
def sample_store_path(tmp_path_factory) -> Path:
    """The sample portfolio loaded once into an on-disk store (copied per test where written)."""
    from valuegraph.loaders import loader_for

    path = tmp_path_factory.mktemp("sample") / "store"
    with ValueGraph(open_store(f"oxigraph:{path}")) as g:
        for doc in loader_for(EXAMPLES / "strategy.yaml").documents():
            g.sync(doc)
        for doc in loader_for(EXAMPLES / "ppm").documents():
            g.sync(doc, "ppm-tool")
    return path


@pytest.fixture
def sample(tmp_path, sample_store_path):
    import shutil

    path = tmp_path / "sample"
    shutil.copytree(sample_store_path, path)
    g = ValueGraph(open_store(f"oxigraph:{path}"))
    yield g
    g.close()
