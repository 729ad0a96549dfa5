"""The benchmarks' peers at a tiny scale: valuegraph serve and the Neo4j GraphQL Library (benchmarks/peer/),
both started as processes against the test Neo4j, give the same answers to the three timed questions, and
those answers are valuegraph's own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import neo4j
import pytest

from benchmarks import peers
from benchmarks.generate import generate
from benchmarks.peer_questions import AnswersDiffer, PeersUnavailable, Question, pick_targets, questions
from benchmarks.peer_servers import check_peer_installed, start_both, time_startups
from tests.conftest import NEO4J_AUTH, NEO4J_URL, ROOT, neo4j_store
from valuegraph.graph import ValueGraph
from valuegraph.graph.questions import Questions
from valuegraph.loaders import validate_mapping

pytestmark = pytest.mark.slow


def _peer_installed() -> None:
    try:
        check_peer_installed()
    except PeersUnavailable as exc:
        if os.environ.get("VALUEGRAPH_STRICT_TESTS"):
            pytest.fail(f"`make test` installs the peer: {exc}")
        pytest.skip(f"{exc} (`make test` installs it)")


@pytest.fixture(scope="module")
def running():
    """A small generated portfolio in the test Neo4j, and both servers started on it."""
    _peer_installed()
    store = neo4j_store()
    graph = ValueGraph(store)
    for raw in generate(120):
        graph.sync(validate_mapping(raw, raw["source"]))
    driver = neo4j.GraphDatabase.driver(NEO4J_URL, auth=(NEO4J_AUTH["user"], NEO4J_AUTH["password"]))
    targets = pick_targets(graph, driver, store.database)
    started = start_both(NEO4J_URL, NEO4J_AUTH["user"], NEO4J_AUTH["password"], targets)
    yield graph, driver, targets, started
    started.stop()
    driver.close()
    store.clear()
    graph.close()


def test_both_servers_answer_the_three_questions_alike(running):
    _, _, targets, started = running
    compared = peers.check_answers(started.ours, started.peer, questions(targets))
    assert compared == {"q1": 1, "q2": len(targets.objectives), "q3": len(targets.projects)}
    assert len(targets.objectives) > 1 and len(targets.projects) > 1  # q2 and q3 go round several answers
    assert started.ours.first_answer_s > 0 and started.peer.first_answer_s > 0


def test_the_compared_answers_are_valuegraphs_own(running):
    """q1 as the peer answers it is what_delivers in process (ids, names, kinds, distances, in order), and q3
    is the project's programme and portfolio as the store holds them."""
    graph, _, targets, started = running
    q1, _, q3 = questions(targets)
    peer_q1 = q1.peer_content(peers.answer(started.peer, q1.peer[0]))
    hits = Questions(graph).what_delivers(targets.goal, first=100).hits
    assert hits and targets.delivered_by >= len(hits)
    assert peer_q1 == [{"id": h.entity.id, "name": h.entity.name, "kind": h.entity.kind, "distance": h.distance}
                       for h in hits]
    project = targets.projects[0]
    programme = next(r.key.to_id for r in graph.relation_records(touching=[project])
                     if r.key.from_id == project and r.key.type == "PART_OF")
    peer_q3 = q3.peer_content(peers.answer(started.peer, q3.peer[0]))
    assert peer_q3["programme"]["id"] == programme
    assert peer_q3["programme"]["name"] == graph.entity(programme).name


def test_a_different_answer_stops_the_comparison_with_a_diff(running):
    _, _, targets, started = running
    _, _, q3 = questions(targets)
    crossed = Question("q3", q3.ours[:1], q3.peer[1:2], q3.ours_content, q3.peer_content)
    with pytest.raises(AnswersDiffer) as caught:
        peers.check_answers(started.ours, started.peer, [crossed])
    assert "--- valuegraph" in str(caught.value) and targets.projects[0] in str(caught.value)


def test_plain_cypher_answers_the_delivery_question_as_valuegraph_does(running):
    graph, driver, targets, _ = running
    timed = peers.time_cypher_delivers(graph, driver, graph.store.database, targets.goal, repeat=2)
    assert timed["cypher_delivers_s"] > 0 and timed["ours_delivers_s"] > 0
    assert len(timed["ours_delivers_runs_s"]) == 2


def test_rounds_time_every_question_on_both_servers(running):
    _, _, targets, started = running
    rates, memory = asyncio.run(peers.measure_rounds(started.ours, started.peer, questions(targets), 1, 0.2))
    for name in ("q1", "q2", "q3"):
        for clients in peers.CLIENTS:
            assert rates[name][clients]["valuegraph"][0] > 0 and rates[name][clients]["peer"][0] > 0
    assert memory["valuegraph_rss"] > 10 * 2**20 and memory["peer_rss"] > 10 * 2**20


def test_start_up_is_timed_over_rounds_of_starting_both_servers(running):
    _, _, targets, _ = running
    startups = time_startups(NEO4J_URL, NEO4J_AUTH["user"], NEO4J_AUTH["password"], targets, rounds=2)
    assert len(startups) == 2
    assert all(set(s) == {"valuegraph", "peer", "floor"} and min(s.values()) > 0 for s in startups)


def test_without_neo4j_the_keys_are_null_with_the_reason():
    found = peers.run("bolt://127.0.0.1:9", "neo4j", "wrong", scale="S", rounds=1)
    assert found["keys"] == dict.fromkeys(peers.KEYS)
    assert found["raw"]["error"]


def test_peers_need_the_neo4j_backend():
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--scale", "S", "--peers"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--peers needs --backend neo4j" in done.stderr


def test_forgetting_records_sends_the_next_read_to_the_store(running):
    """What ``peer_cypher_delivers`` relies on to time valuegraph's record reads, not its cache."""
    graph, _, targets, _ = running
    ids = targets.projects[:3]
    graph.entities(ids)
    before = graph.store.calls
    assert set(graph.entities(ids)) == set(ids) and graph.store.calls == before
    graph.forget_records()
    assert set(graph.entities(ids)) == set(ids) and graph.store.calls == before + 1
