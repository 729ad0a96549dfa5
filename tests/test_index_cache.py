"""The traversal index kept between runs (VALUEGRAPH_INDEX_CACHE): a restart loads it instead of reading the
graph out of the store, and answers exactly as a start without it; a file of an older revision is moved up
to the store's latest; a damaged file, or one kept for another store, is never trusted."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.index import TraversalIndex
from valuegraph.graph.questions import Questions
from valuegraph.loaders import loader_for

from tests.conftest import EXAMPLES, NEO4J_AUTH, NEO4J_URL, neo4j_store
from tests.utils.factories import E, R, load
from tests.utils.fingerprint import fingerprint


@pytest.fixture(params=["oxigraph", "neo4j"])
def store_url(request, tmp_path) -> str:
    if request.param == "neo4j":
        neo4j_store().close()  # emptied
        return NEO4J_URL
    return f"oxigraph:{tmp_path / 'store'}"


def opened(url: str, cache) -> ValueGraph:
    return ValueGraph.open(url, index_cache=None if cache is None else str(cache), **NEO4J_AUTH)


def answers(graph: ValueGraph) -> tuple:
    questions = Questions(graph)
    delivers = {target: [(h.entity.id, h.distance) for h in questions.what_delivers(target).hits]
                for target in ("G-1", "G-2", "G-9", "OBJ-1", "OBJ-2", "OBJ-3") if graph.index.kind_of(target)}
    return fingerprint(graph), delivers, graph.index.revision


def load_sample(graph: ValueGraph) -> None:
    for doc in loader_for(EXAMPLES / "strategy.yaml").documents():
        graph.sync(doc)
    for doc in loader_for(EXAMPLES / "ppm").documents():
        graph.sync(doc, "ppm-tool")


def kept_file(graph: ValueGraph):
    return graph.store.index_cache()[0]


def test_a_restart_with_the_kept_index_answers_as_one_without(store_url, tmp_path, caplog):
    cache = tmp_path / "cache"
    with opened(store_url, cache) as graph:
        load_sample(graph)
        path = kept_file(graph)
    assert path.exists() and path.parent == cache
    with opened(store_url, "off") as graph:
        assert graph.store.index_cache() is None
        expected = answers(graph)
    with opened(store_url, cache) as graph:
        calls = graph.store.calls
        graph.index  # noqa: B018 - loads it
        # the kept file, the identity and the latest revision: the graph itself is not read
        assert graph.store.calls - calls <= 3
        assert answers(graph) == expected


def test_an_index_kept_after_a_write_that_adds_entities_is_taken_again(store_url, tmp_path, caplog):
    # the write adds entities and value-chain edges but no DEPENDS_ON edge: the edge sets it leaves alone
    # cover fewer entities than the index holds, and are saved covering them all
    cache = tmp_path / "cache"
    with opened(store_url, cache) as graph:
        load_sample(graph)
        graph.index  # noqa: B018 - built from the store before the write
        load(graph, [E("P-NEW", "Project", status="active"), E("P-NEW-2", "Project", status="active")],
             [R("P-NEW", "CONTRIBUTES_TO", "OBJ-1")], source="ppm-tool")
    with opened(store_url, "off") as graph:
        expected = answers(graph)
    with caplog.at_level(logging.INFO, logger="valuegraph.index"), opened(store_url, cache) as graph:
        assert answers(graph) == expected
    assert "built" not in caplog.text and "moved" not in caplog.text  # taken as kept


def test_a_kept_index_of_an_older_revision_is_moved_up_to_the_latest(store_url, tmp_path, caplog):
    cache = tmp_path / "cache"
    with opened(store_url, cache) as graph:
        load_sample(graph)
        kept_at = graph.index.revision
    with opened(store_url, "off") as graph:  # writes the kept file does not see
        load(graph, [E("P-NEW", "Project", status="active"), E("OBJ-1", "Objective", name="Renamed")],
             [R("P-NEW", "CONTRIBUTES_TO", "OBJ-1")], source="ppm-tool")
        load(graph, [], [R("P-NEW", "DEPENDS_ON", "PRJ-01")], source="other")
        expected = answers(graph)
    assert expected[2] == kept_at + 2
    with caplog.at_level(logging.INFO, logger="valuegraph.index"), opened(store_url, cache) as graph:
        assert answers(graph) == expected
        assert f"moved from revision {kept_at} to {kept_at + 2}" in caplog.text
        path = kept_file(graph)
    caplog.clear()
    loaded = TraversalIndex.load(path, opened(store_url, cache).store.index_cache()[1])
    assert loaded.revision == kept_at + 2  # kept again, at the latest revision


def test_a_damaged_kept_index_is_ignored_and_said_so(store_url, tmp_path, caplog):
    cache = tmp_path / "cache"
    with opened(store_url, cache) as graph:
        load_sample(graph)
        expected = answers(graph)
        path, identity = graph.store.index_cache()
    good = path.read_bytes()
    for damage in (b"not an index", good[: len(good) // 2]):
        path.write_bytes(damage)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="valuegraph.index"), opened(store_url, cache) as graph:
            assert answers(graph) == expected
        assert "cannot be read" in caplog.text and str(path) in caplog.text
        assert TraversalIndex.load(path, identity) is not None  # built again, and kept again

    # well-formed arrays that point outside the graph: refused before any compiled kernel reads them
    with np.load(path) as data:
        arrays = dict(data)
    arrays["value.fwd.indices"] = arrays["value.fwd.indices"] + 10**6
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="valuegraph.index"), opened(store_url, cache) as graph:
        assert answers(graph) == expected
    assert "not what valuegraph writes" in caplog.text


def test_an_index_kept_for_another_store_is_not_taken(tmp_path, caplog):
    cache = tmp_path / "cache"
    first, second = f"oxigraph:{tmp_path / 'a'}", f"oxigraph:{tmp_path / 'b'}"
    with opened(first, cache) as graph:
        load_sample(graph)
        theirs = kept_file(graph)
    with opened(second, cache) as graph:
        load(graph, [E("G-9", "Goal"), E("P-9", "Project", status="active")], [R("P-9", "CONTRIBUTES_TO", "G-9")])
        ours = kept_file(graph)
        expected = answers(graph)
    shutil.copyfile(theirs, ours)  # same revision number or not, it is another store's
    with caplog.at_level(logging.INFO, logger="valuegraph.index"), opened(second, cache) as graph:
        assert answers(graph) == expected
    assert "another store's" in caplog.text


def test_a_cleared_neo4j_store_does_not_take_the_index_kept_before(tmp_path, caplog):
    cache = tmp_path / "cache"
    neo4j_store().close()
    with opened(NEO4J_URL, cache) as graph:
        load_sample(graph)
        path = kept_file(graph)
    kept = path.read_bytes()
    neo4j_store().close()  # cleared: a new store at the same address
    with opened(NEO4J_URL, cache) as graph:
        load(graph, [E("G-9", "Goal"), E("P-9", "Project", status="active")], [R("P-9", "CONTRIBUTES_TO", "G-9")])
        expected = answers(graph)
    path.write_bytes(kept)
    with caplog.at_level(logging.INFO, logger="valuegraph.index"), opened(NEO4J_URL, cache) as graph:
        assert answers(graph) == expected
    assert "another store's" in caplog.text


def test_an_index_whose_store_was_emptied_under_it_is_not_kept(tmp_path, caplog):
    """A graph closed after its store was cleared (by another process) keeps nothing: otherwise the file
    would carry the cleared store's new identity, and a reload to the same revision number would take it."""
    cache = tmp_path / "cache"
    neo4j_store().close()
    graph = opened(NEO4J_URL, cache)
    load_sample(graph)
    revision = graph.index.revision
    neo4j_store().close()  # emptied by someone else while the graph is open
    graph.close()
    with opened(NEO4J_URL, "off") as other:  # other content, up to the same revision number
        for n in range(revision):
            load(other, [E(f"G-{n}", "Goal"), E(f"P-{n}", "Project", status="active")],
                 [R(f"P-{n}", "CONTRIBUTES_TO", f"G-{n}")])
        assert other.index.revision == revision
        expected = answers(other)
    with caplog.at_level(logging.INFO, logger="valuegraph.index"), opened(NEO4J_URL, cache) as reopened:
        assert answers(reopened) == expected
