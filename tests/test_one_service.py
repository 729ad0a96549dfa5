"""One question service: the command line and GraphQL ask graph/questions.py the same question and give its
answer; each question reads one snapshot of the index; GraphQL asks off the event loop; the front ends
import nothing of the index."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import shutil
import threading
from dataclasses import dataclass

import httpx
import pytest
from typer.testing import CliRunner

from valuegraph.cli.main import app
from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.questions import Questions
from tests.utils.server import serve_in_thread

runner = CliRunner()

#: the questions that traverse the index or compute over it
HEAVY = ("what_delivers", "why_exists", "trace", "alignment", "impact", "strategic_reach", "critical_dependencies",
         "dependency_cycles", "concentration", "budget_by_objective", "entities", "delivery_rollup")


@dataclass(frozen=True)
class Call:
    method: str
    arguments: dict  # every parameter, defaults applied
    on_event_loop: bool


class Spy:
    """Records every call of the service's questions (and still answers them): which, with what, and where."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        for name in (*HEAVY, "kind_of", "kinds_of", "stats"):
            monkeypatch.setattr(Questions, name, self._recording(name, getattr(Questions, name)))

    def _recording(self, name: str, question):
        signature = inspect.signature(question)

        @functools.wraps(question)
        def record(questions, *args, **kwargs):
            bound = signature.bind(questions, *args, **kwargs)
            bound.apply_defaults()
            arguments = {k: v for k, v in bound.arguments.items() if k != "self"}
            with self._lock:
                self.calls.append(Call(name, arguments, _on_event_loop()))
            return question(questions, *args, **kwargs)

        return record

    def take(self) -> list[Call]:
        with self._lock:
            taken, self.calls = self.calls, []
        return taken


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def only(calls: list[Call], method: str) -> Call:
    (call,) = [c for c in calls if c.method == method]
    return call


# each question: the command line, the GraphQL query, the service method both must call, and the content of
# each answer as comparable values
QUESTIONS = {
    "what delivers": (
        ["delivers", "G-1"],
        ('{ whatDelivers(target: "G-1", first: 500) { totalCount edges { node { item { id } paths(limit: 1) '
        '{ length } } } } }'),
        "what_delivers",
        lambda cli: [(h["id"], h["distance"]) for h in cli],
        lambda gql: [(e["node"]["item"]["id"], e["node"]["paths"][0]["length"]) for e in gql["whatDelivers"]["edges"]],
    ),
    "why": (
        ["why", "PRJ-05"],
        '{ whyExists(item: "PRJ-05") { target { id } paths(limit: 1) { length } } }',
        "why_exists",
        lambda cli: [(h["id"], h["distance"]) for h in cli],
        lambda gql: [(c["target"]["id"], c["paths"][0]["length"]) for c in gql["whyExists"]],
    ),
    "trace": (
        ["trace", "PRJ-21", "SEG-HEAT", "--limit", "5"],
        '{ trace(from: "PRJ-21", to: "SEG-HEAT", limit: 5) { length nodes { id } relations { type weight } } }',
        "trace",
        lambda cli: [(p["length"], [n["id"] for n in p["nodes"]], [(r["type"], r["weight"]) for r in p["relations"]])
                     for p in cli],
        lambda gql: [(p["length"], [n["id"] for n in p["nodes"]], [(r["type"], r["weight"]) for r in p["relations"]])
                     for p in gql["trace"]],
    ),
    "alignment": (
        ["alignment"],
        "{ alignment { orphans { id } unsupported { id } alignedBudgetShare } }",
        "alignment",
        lambda cli: ([e["id"] for e in cli["orphans"]], [e["id"] for e in cli["unsupported"]],
                     cli["alignedBudgetShare"]),
        lambda gql: ([e["id"] for e in gql["alignment"]["orphans"]], [e["id"] for e in gql["alignment"]["unsupported"]],
                     gql["alignment"]["alignedBudgetShare"]),
    ),
    "impact": (
        ["impact", "PRJ-35"],
        '{ impact(item: "PRJ-35") { dependents { id } affected { id } } }',
        "impact",
        lambda cli: ([h["id"] for h in cli["dependents"]], [h["id"] for h in cli["affected"]]),
        lambda gql: ([e["id"] for e in gql["impact"]["dependents"]], [e["id"] for e in gql["impact"]["affected"]]),
    ),
    "strategic reach": (
        ["analytics", "reach", "--top", "7"],
        "{ analytics { strategicReach(top: 7) { project { id } objectives goals weightedReach } } }",
        "strategic_reach",
        lambda cli: [(r["project"], r["objectives"], r["goals"], r["weighted"]) for r in cli],
        lambda gql: [(r["project"]["id"], r["objectives"], r["goals"], r["weightedReach"])
                     for r in gql["analytics"]["strategicReach"]],
    ),
    "critical dependencies": (
        ["analytics", "critical", "--top", "7"],
        "{ analytics { criticalDependencies(top: 7) { item { id } dependents affectedObjectivesAndGoals } } }",
        "critical_dependencies",
        lambda cli: [(r["item"], r["dependents"], r["affected_strategy"]) for r in cli],
        lambda gql: [(r["item"]["id"], r["dependents"], r["affectedObjectivesAndGoals"])
                     for r in gql["analytics"]["criticalDependencies"]],
    ),
    "dependency cycles": (
        ["analytics", "cycles"],
        "{ analytics { dependencyCycles { id } } }",
        "dependency_cycles",
        lambda cli: [r["cycle"] for r in cli],
        lambda gql: [[e["id"] for e in cycle] for cycle in gql["analytics"]["dependencyCycles"]],
    ),
    "concentration": (
        ["analytics", "concentration"],
        "{ analytics { concentration { target { id } project { id } } } }",
        "concentration",
        lambda cli: [(r["target"], r["project"]) for r in cli],
        lambda gql: [(r["target"]["id"], r["project"]["id"]) for r in gql["analytics"]["concentration"]],
    ),
    "budget by objective": (
        ["analytics", "budget", "--top", "1000"],
        "{ analytics { budgetByObjective { objective { id } budget projects } } }",
        "budget_by_objective",
        lambda cli: [(r["objective"], r["budget"], r["projects"]) for r in cli],
        lambda gql: [(r["objective"]["id"], r["budget"], r["projects"]) for r in gql["analytics"]["budgetByObjective"]],
    ),
}


@pytest.fixture
def store_path(tmp_path, sample_store_path):
    path = tmp_path / "store"
    shutil.copytree(sample_store_path, path)
    return path


def test_command_line_and_graphql_ask_the_service_the_same_question_and_answer_alike(store_path, monkeypatch):
    spy = Spy(monkeypatch)
    from_cli = {}
    for name, (command, _, method, cli_content, _) in QUESTIONS.items():
        result = runner.invoke(app, [*command, "--store", f"oxigraph:{store_path}", "--json"])
        assert result.exit_code == 0, result.output
        from_cli[name] = (only(spy.take(), method), cli_content(json.loads(result.stdout)))

    with ValueGraph(open_store(f"oxigraph:{store_path}")) as graph, serve_in_thread(graph) as url:
        for name, (_, query, method, _, gql_content) in QUESTIONS.items():
            response = httpx.post(f"{url}/graphql", json={"query": query}, timeout=60)
            assert response.status_code == 200 and "errors" not in response.json(), response.text
            calls = spy.take()
            cli_call, cli_answer = from_cli[name]
            gql_call = only(calls, method)
            assert gql_call.method == cli_call.method == method
            if method == "what_delivers":  # the command line asks for every answer, GraphQL for a page of them
                assert cli_call.arguments.pop("first") is None and gql_call.arguments.pop("first") == 500
            assert gql_call.arguments == cli_call.arguments, name
            gql_answer = gql_content(response.json()["data"])
            assert gql_answer == cli_answer, name
            # GraphQL asks every question that traverses or computes on a worker thread
            assert not [c for c in calls if c.method in HEAVY and c.on_event_loop], name
            assert not cli_call.on_event_loop

    # the comparisons compared something: the sample portfolio has answers to these questions
    assert len(from_cli["what delivers"][1]) > 3 and from_cli["trace"][1] and from_cli["why"][1]
    assert from_cli["impact"][1][0] and from_cli["concentration"][1] and from_cli["critical dependencies"][1]
    assert from_cli["alignment"][1][0] and from_cli["strategic reach"][1]


def test_graphql_connections_and_roll_ups_are_asked_off_the_event_loop(store_path, monkeypatch):
    spy = Spy(monkeypatch)
    query = """{ entities(kind: PROJECT, first: 3, status: [ACTIVE]) { totalCount edges { node { id } } }
                 g: entity(id: "G-1") { ... on Goal { delivery { projects budget keyResults }
                                                      deliveredBy(first: 2) { totalCount edges { cursor } } } } }"""
    with ValueGraph(open_store(f"oxigraph:{store_path}")) as graph, serve_in_thread(graph) as url:
        response = httpx.post(f"{url}/graphql", json={"query": query}, timeout=60)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        data = response.json()["data"]
        calls = spy.take()
        questions = Questions(graph)
        listing = questions.entities("Project", ["active"], first=3)
        assert [e["node"]["id"] for e in data["entities"]["edges"]] == [r.id for r in listing.records]
        assert data["entities"]["totalCount"] == listing.total > 3
        rollup = questions.delivery_rollup("G-1")
        assert data["g"]["delivery"] == {"projects": rollup.projects, "budget": rollup.budget,
                                         "keyResults": rollup.key_results}
        assert data["g"]["deliveredBy"]["totalCount"] == questions.what_delivers("G-1").total
    assert {"entities", "delivery_rollup", "what_delivers"} <= {c.method for c in calls}
    assert not [c for c in calls if c.method in HEAVY and c.on_event_loop]
    assert only(calls, "entities").arguments == {"kind": "Project", "statuses": ["active"], "healths": [],
                                                 "search": None, "first": 3, "after": None}


def test_an_unknown_id_is_the_callers_error_on_both_front_ends(store_path):
    result = runner.invoke(app, ["impact", "NOPE", "--store", f"oxigraph:{store_path}", "--json"])
    assert result.exit_code == 2 and "no entity with id 'NOPE'" in result.output
    with ValueGraph(open_store(f"oxigraph:{store_path}")) as graph, serve_in_thread(graph) as url:
        response = httpx.post(f"{url}/graphql", json={"query": '{ impact(item: "NOPE") { affected { id } } }'})
        assert response.json()["errors"][0]["message"] == "no entity with id 'NOPE'"


def test_each_question_reads_one_snapshot_of_the_index(sample, monkeypatch):
    reads = []
    index = ValueGraph.index

    def counted(graph):
        reads.append(1)
        return index.fget(graph)

    monkeypatch.setattr(ValueGraph, "index", property(counted))
    questions = Questions(sample)
    asked = {
        "what_delivers": lambda: questions.what_delivers("G-1", first=2, after=(1, "PGM-1")),
        "why_exists": lambda: questions.why_exists("PRJ-05", None),
        "trace": lambda: questions.trace("PRJ-21", "SEG-HEAT", 5),
        "alignment": questions.alignment,
        "impact": lambda: questions.impact("PRJ-35"),
        "delivery_rollup": lambda: questions.delivery_rollup("G-1"),
        "strategic_reach": questions.strategic_reach,
        "critical_dependencies": questions.critical_dependencies,
        "dependency_cycles": questions.dependency_cycles,
        "concentration": questions.concentration,
        "budget_by_objective": questions.budget_by_objective,
        "entities": lambda: questions.entities("Project", ["active"], ["green"], "meter", first=5),
        "kinds_of": lambda: questions.kinds_of(["G-1", "PRJ-05", "NOPE"]),
        "stats": questions.stats,
    }
    assert set(HEAVY) <= set(asked)
    for name, ask in asked.items():
        reads.clear()
        ask()
        assert len(reads) == 1, name


def test_one_graphql_request_answers_from_one_snapshot(sample, monkeypatch):
    """Several questions in one request, and the paths of every item of a page, take the index once."""
    query = ('{ alignment { alignedBudgetShare } impact(item: "PRJ-35") { affected { id } } '
             'whatDelivers(target: "G-1", first: 20) { edges { node { item { id } paths(limit: 2) { length } } } } }')
    with serve_in_thread(sample) as url:
        httpx.post(f"{url}/graphql", json={"query": query}).raise_for_status()  # the index built, answers warm
        reads = []
        index = ValueGraph.index

        def counted(graph):
            reads.append(threading.current_thread().name)
            return index.fget(graph)

        monkeypatch.setattr(ValueGraph, "index", property(counted))
        body = httpx.post(f"{url}/graphql", json={"query": query}).json()
    assert "errors" not in body and len(body["data"]["whatDelivers"]["edges"]) > 3
    assert all(edge["node"]["paths"] for edge in body["data"]["whatDelivers"]["edges"])
    assert len(reads) == 1, reads


def test_what_delivers_pages_in_distance_then_id_order(sample):
    questions = Questions(sample)
    every = questions.what_delivers("G-1", ("Project", "Programme", "Deliverable"))
    assert every.total == len(every.hits) > 10 and not every.has_next_page
    keys = [(h.distance, h.entity.id) for h in every.hits]
    assert keys == sorted(keys)
    pages, after = [], None
    while True:
        page = questions.what_delivers("G-1", ("Project", "Programme", "Deliverable"), first=4, after=after)
        assert page.total == every.total
        pages += page.hits
        if not page.has_next_page:
            break
        after = (page.hits[-1].distance, page.hits[-1].entity.id)
    assert pages == every.hits
    # after an id the graph does not hold: the answers after it in (distance, id) order
    distance = keys[len(keys) // 2][0]
    rest = questions.what_delivers("G-1", ("Project", "Programme", "Deliverable"), after=(distance, "PRJ-0"))
    assert [(h.distance, h.entity.id) for h in rest.hits] == [k for k in keys if k > (distance, "PRJ-0")]
