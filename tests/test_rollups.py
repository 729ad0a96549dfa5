"""Roll-ups of objectives and goals (Objective.delivery, Goal.delivery): the service's answers against the
same figures recomputed here from the loaded documents, on every store backend; the RAG rule branch by
branch; the same answers in GraphQL, as of a past revision too; the display currency."""

from __future__ import annotations

import httpx
import networkx as nx
import pytest
from pydantic import ValidationError

from tests.conftest import EXAMPLES
from tests.utils.factories import E, R, load
from tests.utils.server import serve_in_thread
from valuegraph.api.settings import Settings
from valuegraph.graph import analytics
from valuegraph.graph.questions import Questions, key_result_progress
from valuegraph.loaders import loader_for
from valuegraph.schema import vocabulary

STRATEGY = ("Objective", "Goal")
CLOSED = ("completed", "cancelled")


# ------------------------------------------------------------------ the figures, recomputed from documents
class Portfolio:
    """The loaded documents as plain data: entities' properties (the last document's value of each) and
    the value chain without cancelled entities, as networkx sees it."""

    def __init__(self, entities: list[dict], relations: list[dict]) -> None:
        self.props: dict[str, dict] = {}
        self.kind: dict[str, str] = {}
        for e in entities:
            self.props.setdefault(e["id"], {}).update({k: v for k, v in e.items() if k not in ("id", "kind")})
            self.kind[e["id"]] = e["kind"]
        self.relations = relations
        chain = set(vocabulary().value_chain_relations)
        live = {i for i, p in self.props.items() if p.get("status") != "cancelled"}
        self.chain = nx.DiGraph()
        self.chain.add_nodes_from(live)
        self.chain.add_edges_from((r["from"], r["to"]) for r in relations
                                  if r["type"] in chain and r["from"] in live and r["to"] in live)

    @classmethod
    def of_documents(cls, documents) -> Portfolio:
        entities, relations = [], []
        for doc in documents:
            entities += [{"id": e.id, "kind": e.kind, **e.properties} for e in doc.entities]
            relations += [{"from": r.key.from_id, "type": r.key.type, "to": r.key.to_id} for r in doc.relations]
        return cls(entities, relations)

    def upstream(self, target: str, kinds: tuple[str, ...]) -> list[str]:
        if target not in self.chain:
            return []
        return [i for i in nx.ancestors(self.chain, target) if self.kind[i] in kinds]

    def expected(self, target: str) -> dict:
        projects = [self.props[p] for p in self.upstream(target, ("Project",))]
        open_projects = [p for p in projects if p.get("status", "active") not in CLOSED]
        krs = [self.props[r["from"]] for r in self.relations
               if r["type"] == "MEASURES" and r["to"] == target]
        krs = list({id(k): k for k in krs}.values())
        progress = [x for x in (key_result_progress(k) for k in krs) if x is not None]
        kr_progress = sum(progress) / len(progress) if progress else None
        with_progress = [p for p in projects if p.get("progress") is not None]
        weights = sum(p.get("budget", 0) for p in with_progress)
        if not with_progress:
            weighted = None
        elif weights:
            weighted = sum(p["progress"] * p.get("budget", 0) for p in with_progress) / weights
        else:
            weighted = sum(p["progress"] for p in with_progress) / len(with_progress)
        healths = [p.get("health") for p in open_projects]
        if "red" in healths or (kr_progress is not None and kr_progress < 0.3):
            rag = "red"
        elif "amber" in healths or (kr_progress is not None and kr_progress < 0.7):
            rag = "amber"
        elif any(healths) or kr_progress is not None:
            rag = "green"
        else:
            rag = "unknown"
        units: dict = {}
        for b in self.upstream(target, ("Benefit",)):
            props = self.props[b]
            total = units.setdefault(props.get("unit"), [0.0, 0.0, 0])
            total[0] += props.get("expectedValue", 0)
            total[1] += props.get("realisedValue", 0)
            total[2] += 1
        accountable = sorted({r["from"] for r in self.relations if r["type"] in ("OWNS", "SPONSORS")
                              and r["to"] == target and self.kind[r["from"]] == "Person"})
        return {
            "budget": sum(p.get("budget", 0) for p in projects),
            "open_budget": sum(p.get("budget", 0) for p in open_projects),
            "progress": weighted,
            "rag": rag,
            "benefits": {unit: tuple(t) for unit, t in units.items()},
            "accountable": accountable,
        }


def answered(rollup) -> dict:
    return {
        "budget": rollup.budget,
        "open_budget": rollup.open_budget,
        "progress": rollup.progress,
        "rag": rollup.rag.status,
        "benefits": {b.unit: (b.expected, b.realised, b.benefits) for b in rollup.benefits},
        "accountable": [r.id for r in rollup.accountable],
    }


def assert_same(got: dict, expected: dict, where: str) -> None:
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        if key == "benefits":
            assert got[key].keys() == value.keys(), where
            for unit, (e, r, n) in value.items():
                assert got[key][unit] == (pytest.approx(e), pytest.approx(r), n), (where, unit)
        elif isinstance(value, float):
            assert got[key] == pytest.approx(value), (where, key)
        else:
            assert got[key] == value, (where, key)


# ------------------------------------------------------------------ a small portfolio with every edge case
ENTITIES = [
    E("G", "Goal"), E("O", "Objective"), E("SUB", "Objective"), E("EMPTY", "Objective"),
    E("DROPPED", "Objective", status="cancelled"),
    E("KR-A", "KeyResult", baseline=0, target=10, current=6),
    E("KR-B", "KeyResult", baseline=100, target=50, current=90),
    E("KR-NONE", "KeyResult", baseline=1, target=1, current=1),  # target = baseline: no progress
    E("RED", "Project", health="red", budget=100, progress=0.2),
    E("AMBER", "Project", health="amber", budget=300, progress=0.6),
    E("NOHEALTH", "Project", status="on_hold", progress=0.9),  # no budget: weighs 0
    E("DONE", "Project", status="completed", health="red", budget=50, progress=1.0),  # closed: not in rag, not open
    E("GONE", "Project", status="cancelled", health="red", budget=1000, progress=0.0),  # in nothing
    E("PG", "Programme", budget=5000),  # programmes' budgets are not project budgets
    E("IN-PG", "Project", status="proposed", health="green", budget=200),
    E("OUT-1", "Outcome"),
    E("BEN-GBP1", "Benefit", unit="GBP", expectedValue=1000, realisedValue=250),
    E("BEN-GBP2", "Benefit", unit="GBP", expectedValue=500),
    E("BEN-BARE", "Benefit", expectedValue=7, realisedValue=3),  # no unit
    E("BEN-X", "Benefit", unit="GBP", expectedValue=99, status="cancelled"),
    E("P-sponsor", "Person"), E("P-owner", "Person"), E("T-team", "Team"), E("P-other", "Person"),
]
RELATIONS = [
    R("SUB", "SUPPORTS", "O"), R("O", "SUPPORTS", "G"), R("KR-A", "MEASURES", "O"), R("KR-B", "MEASURES", "O"),
    R("KR-NONE", "MEASURES", "O"),
    R("RED", "CONTRIBUTES_TO", "O"), R("AMBER", "CONTRIBUTES_TO", "SUB"), R("AMBER", "CONTRIBUTES_TO", "O"),
    R("NOHEALTH", "CONTRIBUTES_TO", "SUB"), R("DONE", "CONTRIBUTES_TO", "O"), R("GONE", "CONTRIBUTES_TO", "O"),
    R("IN-PG", "PART_OF", "PG"), R("PG", "CONTRIBUTES_TO", "G"),
    R("RED", "ENABLES", "OUT-1"), R("OUT-1", "REALISES", "BEN-GBP1"), R("BEN-GBP1", "CONTRIBUTES_TO", "KR-A"),
    R("BEN-GBP2", "CONTRIBUTES_TO", "SUB"), R("BEN-BARE", "CONTRIBUTES_TO", "O"), R("BEN-X", "CONTRIBUTES_TO", "O"),
    R("P-sponsor", "SPONSORS", "O"), R("P-owner", "OWNS", "O"), R("P-owner", "SPONSORS", "O"),
    R("T-team", "OWNS", "O"), R("P-other", "OWNS", "G"), R("P-other", "SPONSORS", "RED"),
]


def test_small_portfolio_against_the_documents(graph):
    load(graph, ENTITIES, RELATIONS)
    portfolio = Portfolio(ENTITIES, RELATIONS)
    questions = Questions(graph)
    for target in ("G", "O", "SUB", "EMPTY"):
        assert_same(answered(questions.delivery_rollup(target)), portfolio.expected(target), target)
    o = questions.delivery_rollup("O")
    # what the documents make plain, beside the recomputation
    assert o.rag.status == "red" and o.rag.reason == "1 of 3 open delivering projects is red."
    assert [(b.unit, b.benefits) for b in o.benefits] == [("GBP", 2), (None, 1)]  # unit order, no unit last
    assert [r.id for r in o.accountable] == ["P-owner", "P-sponsor"]  # once each, teams not listed
    assert o.budget == 450 and o.open_budget == 400  # DONE counts in budget only, GONE in neither
    budgets = {b.objective: b.budget for b in questions.budget_by_objective()}
    for target in ("G", "O", "SUB", "EMPTY"):
        assert questions.delivery_rollup(target).open_budget == budgets[target], target


def test_nothing_delivering(graph):
    load(graph, ENTITIES, RELATIONS)
    empty = Questions(graph).delivery_rollup("EMPTY")
    assert (empty.projects, empty.open_budget, empty.budget, empty.progress) == (0, 0.0, 0.0, None)
    assert (empty.rag.status, empty.rag.reason) == (
        "unknown", "No open delivering project has a health and no key result has progress.")
    assert empty.benefits == [] and empty.accountable == []
    dropped = Questions(graph).delivery_rollup("DROPPED")  # a cancelled objective: nothing delivers it
    assert (dropped.projects, dropped.rag.status, dropped.open_budget) == (0, "unknown", 0.0)


def test_only_closed_projects_deliver(mem_graph):
    load(mem_graph, [E("O", "Objective"), E("DONE", "Project", status="completed", health="red", budget=5, progress=1),
                     E("GONE", "Project", status="cancelled", health="red", budget=7)],
         [R("DONE", "CONTRIBUTES_TO", "O"), R("GONE", "CONTRIBUTES_TO", "O")])
    rollup = Questions(mem_graph).delivery_rollup("O")
    assert (rollup.projects, rollup.budget, rollup.open_budget, rollup.progress) == (1, 5.0, 0.0, 1.0)
    assert rollup.rag.status == "unknown"  # a completed red project no longer makes it red


@pytest.mark.parametrize(("health", "progress", "status", "reason"), [
    ({"green": 0, "amber": 0, "red": 0, "unknown": 0}, None, "unknown",
     "No open delivering project has a health and no key result has progress."),
    ({"green": 0, "amber": 0, "red": 0, "unknown": 3}, None, "unknown",
     "No open delivering project has a health and no key result has progress."),
    ({"green": 12, "amber": 0, "red": 2, "unknown": 0}, 0.9, "red", "2 of 14 open delivering projects are red."),
    ({"green": 1, "amber": 0, "red": 0, "unknown": 0}, 0.25, "red", "Key-result progress is 0.25, below 0.3."),
    ({"green": 0, "amber": 0, "red": 1, "unknown": 0}, 0.1, "red",
     "1 of 1 open delivering project is red and key-result progress is 0.10, below 0.3."),
    ({"green": 3, "amber": 1, "red": 0, "unknown": 0}, 0.8, "amber", "1 of 4 open delivering projects is amber."),
    ({"green": 0, "amber": 0, "red": 0, "unknown": 0}, 0.5, "amber", "Key-result progress is 0.50, below 0.7."),
    ({"green": 2, "amber": 0, "red": 0, "unknown": 1}, None, "green",
     "All 2 open delivering projects with a health are green."),
    ({"green": 1, "amber": 0, "red": 0, "unknown": 0}, 0.7, "green",
     "All 1 open delivering project with a health is green and key-result progress is 0.70, at least 0.7."),
    ({"green": 0, "amber": 0, "red": 0, "unknown": 0}, 1.2, "green", "Key-result progress is 1.20, at least 0.7."),
])
def test_the_rag_rule(health, progress, status, reason):
    rag = analytics.rag(health, progress)
    assert (rag.status, rag.reason) == (status, reason)


def test_benefit_totals_and_weighted_progress():
    totals = analytics.benefit_totals([{"unit": "GBP", "expectedValue": 2}, {"expectedValue": 1, "realisedValue": 1},
                                       {"unit": "AUD", "realisedValue": 4}, {"unit": "GBP", "realisedValue": 3}])
    assert [(t.unit, t.expected, t.realised, t.benefits) for t in totals] == [
        ("AUD", 0.0, 4.0, 1), ("GBP", 2.0, 3.0, 2), (None, 1.0, 1.0, 1)]
    assert analytics.weighted_progress([{"budget": 1}]) is None
    assert analytics.weighted_progress([{"progress": 0.2}, {"progress": 0.6, "budget": 0}]) == pytest.approx(0.4)
    assert analytics.weighted_progress([{"progress": 0.2, "budget": 3}, {"progress": 1.0, "budget": 1},
                                        {"progress": 0.0}]) == pytest.approx(0.4)


# ------------------------------------------------------------------ the sample portfolio
@pytest.fixture(scope="module")
def sample_documents() -> Portfolio:
    docs = list(loader_for(EXAMPLES / "strategy.yaml").documents()) + list(loader_for(EXAMPLES / "ppm").documents())
    return Portfolio.of_documents(docs)


def test_sample_against_the_documents(sample, sample_documents):
    questions = Questions(sample)
    targets = sorted(i for i, kind in sample_documents.kind.items() if kind in STRATEGY)
    budgets = {b.objective: b for b in questions.budget_by_objective()}
    for target in targets:
        rollup = questions.delivery_rollup(target)
        assert_same(answered(rollup), sample_documents.expected(target), target)
        if target in budgets:  # cancelled objectives are not in budgetByObjective
            assert rollup.open_budget == budgets[target].budget, target
    # the sample has each colour, benefits and accountable people somewhere
    assert {questions.delivery_rollup(t).rag.status for t in targets} >= {"red", "amber", "unknown"}
    assert any(questions.delivery_rollup(t).benefits for t in targets)
    assert any(questions.delivery_rollup(t).accountable for t in targets)


# ------------------------------------------------------------------ GraphQL
DELIVERY = """query($id: ID!, $asOf: AsOf) { entity(id: $id, asOf: $asOf) {
  ... on Objective { delivery { ...rollup } }
  ... on Goal { delivery { ...rollup } } } }
fragment rollup on DeliverySummary {
  budget openBudget progress rag ragReason
  benefits { unit expected realised benefits }
  accountable { id name email } }"""


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = httpx.post(url + "/graphql", json={"query": query, "variables": variables or {}}, timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


def as_graphql(rollup) -> dict:
    return {
        "budget": rollup.budget, "openBudget": rollup.open_budget, "progress": rollup.progress,
        "rag": rollup.rag.status.upper(), "ragReason": rollup.rag.reason,
        "benefits": [{"unit": b.unit, "expected": b.expected, "realised": b.realised, "benefits": b.benefits}
                     for b in rollup.benefits],
        "accountable": [{"id": r.id, "name": r.name, "email": r.properties.get("email")} for r in rollup.accountable],
    }


def test_graphql_answers_the_service(sample, sample_documents):
    questions = Questions(sample)
    targets = sorted(i for i, kind in sample_documents.kind.items() if kind in STRATEGY)
    with serve_in_thread(sample) as url:
        budgets = {b["objective"]["id"]: b["budget"] for b in graphql(
            url, "{ analytics { budgetByObjective { objective { id } budget } } }")["analytics"]["budgetByObjective"]}
        for target in targets:
            got = graphql(url, DELIVERY, {"id": target})["entity"]["delivery"]
            assert got == as_graphql(questions.delivery_rollup(target)), target
            if target in budgets:
                assert got["openBudget"] == budgets[target], target


def test_graphql_as_of_a_past_revision(graph):
    load(graph, ENTITIES, RELATIONS)
    before = Questions(graph).delivery_rollup("O")
    load(graph, [E("RED", "Project", health="green", budget=100, progress=0.2),
                 E("NEW", "Project", health="amber", budget=40, progress=0.5),
                 E("BEN-NEW", "Benefit", unit="days", expectedValue=3), E("P-new", "Person")],
         [R("NEW", "CONTRIBUTES_TO", "O"), R("BEN-NEW", "CONTRIBUTES_TO", "O"), R("P-new", "OWNS", "O")])
    now = Questions(graph).delivery_rollup("O")
    assert as_graphql(now) != as_graphql(before)
    with serve_in_thread(graph) as url:
        assert graphql(url, DELIVERY, {"id": "O"})["entity"]["delivery"] == as_graphql(now)
        past = graphql(url, DELIVERY, {"id": "O", "asOf": {"revision": 1}})["entity"]["delivery"]
        assert past == as_graphql(before)
        nested = graphql(url, """{ entity(id: "G", asOf: {revision: 1}) { ... on Goal { objectives {
            ... on Objective { id delivery { rag openBudget accountable { id } } } } } } }""")
        o = next(x for x in nested["entity"]["objectives"] if x["id"] == "O")["delivery"]
        assert o == {"rag": before.rag.status.upper(), "openBudget": before.open_budget,
                     "accountable": [{"id": r.id} for r in before.accountable]}


def test_display_currency(mem_graph):
    with serve_in_thread(mem_graph) as url:
        assert graphql(url, "{ display { currency } }") == {"display": {"currency": "EUR"}}
    with serve_in_thread(mem_graph, currency="GBP") as url:
        assert graphql(url, "{ display { currency } }") == {"display": {"currency": "GBP"}}


def test_display_currency_from_the_environment(monkeypatch):
    monkeypatch.setenv("VALUEGRAPH_CURRENCY", "USD")
    assert Settings().currency == "USD"
    monkeypatch.setenv("VALUEGRAPH_CURRENCY", "")
    with pytest.raises(ValidationError, match="currency"):
        Settings()
