"""A small graph's history for API tests: syncs that create, change, retract and re-assert facts, from
several sources, each one a revision (the fourth a no-op that commits none)."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

import httpx

from tests.utils.factories import E, R, document
from tests.utils.server import serve_in_thread
from valuegraph.graph import SyncMode, ValueGraph, open_store

MERGE, FULL = SyncMode.MERGE, SyncMode.FULL

#: (entities, relations, source, mode, author)
SYNCS = [
    ([E("G1", "Goal", "Grow"), E("O1", "Objective", "Win customers", status="active"),
      E("O2", "Objective", "Cut costs"), E("KR1", "KeyResult", "NPS 50", target=50, current=20, baseline=0)],
     [R("O1", "SUPPORTS", "G1"), R("O2", "SUPPORTS", "G1"), R("KR1", "MEASURES", "O1")],
     "strategy-office", MERGE, "alice"),
    ([E("P1", "Project", "Portal", budget=100, health="green", startDate="2026-01-05"),
      E("P2", "Project", "Billing", budget=50), E("P3", "Project", "Archive", budget=30),
      E("D1", "Deliverable", "Portal release"), E("PG", "Programme", "Digital")],
     [R("P1", "CONTRIBUTES_TO", "O1", weight=0.5), R("P1", "DELIVERS", "D1"), R("P2", "DEPENDS_ON", "P1"),
      R("D1", "CONTRIBUTES_TO", "O1"), R("P1", "PART_OF", "PG"), R("PG", "CONTRIBUTES_TO", "O2")],
     "ppm-tool", MERGE, "bob"),
    ([E("P1", "Project", "Portal 2", budget=120, health="amber", startDate="2026-01-05"),
      E("P2", "Project", "Billing", budget=None, health="red")],
     [R("P1", "CONTRIBUTES_TO", "O1", weight=0.8), R("P2", "CONTRIBUTES_TO", "O2")],
     "ppm-tool", MERGE, "bob"),
    ([E("P1", "Project", "Portal 2", budget=120, health="amber", startDate="2026-01-05")], [],
     "ppm-tool", MERGE, "bob"),  # changes nothing: no revision
    ([E("O1", "Objective", "Win more customers"), E("P3", "Project", "Archive", budget=35)], [],
     "register", MERGE, "carol"),
    ([E("G1", "Goal", "Grow"), E("O1", "Objective", "Win customers", status="active"),
      E("O2", "Objective", "Cut costs")],
     [R("O1", "SUPPORTS", "G1")],
     "strategy-office", FULL, "alice"),
]

#: the questions of the contract, each with an ``$asOf`` argument, and nested fields that must answer at
#: the same point (relations, paths, roll-ups, an entity's history)
ENTITY_FIELDS = """id kind name sources properties
  relations(direction: BOTH) { type weight sources from { id name } to { id name } }
  history { revision source kind entityId entityKind property before after relationType to }
  ... on Objective { deliveredBy(first: 10) { totalCount edges { cursor node { item { id name } paths { length nodes { id name } } } } }
                     delivery { projects programmes budget actualCost keyResults keyResultProgress byHealth { green amber red unknown } }
                     keyResults { id name } supportedBy { id } }
  ... on Project { programme { id name } dependsOn { id } dependents { id } contributesTo { id name } }
"""
QUESTIONS = {
    "entity": f"""query($id: ID!, $asOf: AsOf) {{ entity(id: $id, asOf: $asOf) {{ {ENTITY_FIELDS} }} }}""",
    "entities": f"""query($asOf: AsOf) {{
        all: entities(first: 100, asOf: $asOf) {{ totalCount edges {{ cursor node {{ {ENTITY_FIELDS} }} }} pageInfo {{ hasNextPage }} }}
        projects: entities(kind: PROJECT, asOf: $asOf) {{ totalCount edges {{ node {{ id name }} }} }}
        red: entities(health: [RED], asOf: $asOf) {{ edges {{ node {{ id }} }} }}
        search: entities(search: "portal", asOf: $asOf) {{ edges {{ node {{ id name }} }} }}
        renamed: entities(search: "more", asOf: $asOf) {{ edges {{ node {{ id name }} }} }} }}""",
    "whatDelivers": """query($id: ID!, $asOf: AsOf) { whatDelivers(target: $id, kinds: [PROJECT, PROGRAMME, DELIVERABLE], asOf: $asOf) {
        totalCount edges { cursor node { item { id name } paths(limit: 3) { length nodes { id name } relations { type weight sources from { id } to { id } } } } }
        pageInfo { hasNextPage endCursor } } }""",
    "whyExists": """query($id: ID!, $asOf: AsOf) { whyExists(item: $id, asOf: $asOf) {
        target { id name ... on Objective { delivery { projects budget } } } paths { length nodes { id name } } } }""",
    "trace": """query($id: ID!, $asOf: AsOf) { trace(from: $id, to: "G1", asOf: $asOf) {
        length nodes { id name } relations { type weight sources from { id name } to { id } } } }""",
    "alignment": """query($asOf: AsOf) { alignment(asOf: $asOf) { orphans { id name relations { type to { id } } }
        unsupported { id name } alignedBudgetShare } }""",
    "impact": """query($id: ID!, $asOf: AsOf) { impact(item: $id, asOf: $asOf) { dependents { id name }
        affected { id name ... on Objective { deliveredBy { totalCount } } } } }""",
    "analytics": """query($asOf: AsOf) { analytics(asOf: $asOf) {
        strategicReach { project { id name } objectives goals weightedReach }
        criticalDependencies { item { id } dependents affectedObjectivesAndGoals }
        concentration { target { id } project { id name } }
        budgetByObjective { objective { id name } budget projects } } }""",
}
#: the ids each question is asked about (ids that exist at some revisions and not at others included)
ASKED_ABOUT = {"entity": ["G1", "O1", "O2", "P1", "P2", "P3", "PG", "KR1"], "whatDelivers": ["G1", "O1", "O2"],
               "whyExists": ["P1", "P2", "D1", "PG"], "trace": ["P1", "P2", "D1"], "impact": ["P1", "P3"]}


def sync(graph: ValueGraph, entities, relations, source, mode, author):
    return graph.sync(document(entities, relations, source), mode=mode, author=author)


def load_history(graph: ValueGraph) -> list[int]:
    """Loads SYNCS; the index in SYNCS of each revision's sync, in revision order."""
    made = []
    for n, spec in enumerate(SYNCS):
        if sync(graph, *spec).revision is not None:
            made.append(n)
    return made


@contextmanager
def replayed_servers(committed: list[int]):
    """For each revision N (0 included), a server over a fresh store holding only the syncs of revisions
    1…N: what an answer as of N must equal."""
    with ExitStack() as stack:
        urls = {}
        for n in range(len(committed) + 1):
            graph = stack.enter_context(ValueGraph(open_store("memory:")))
            for i in committed[:n]:
                sync(graph, *SYNCS[i])
            urls[n] = stack.enter_context(serve_in_thread(graph))
        yield urls


def graphql(url: str, query: str, variables: dict | None = None, headers: dict | None = None) -> dict:
    """The whole GraphQL response (data and errors) over HTTP."""
    response = httpx.post(url + "/graphql", json={"query": query, "variables": variables or {}}, headers=headers,
                          timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


#: GraphQL's Kind value of each kind name
KIND_ENUM = {"Goal": "GOAL", "Objective": "OBJECTIVE", "KeyResult": "KEY_RESULT", "Project": "PROJECT",
             "Programme": "PROGRAMME", "Deliverable": "DELIVERABLE", "Portfolio": "PORTFOLIO", "Outcome": "OUTCOME",
             "Benefit": "BENEFIT", "CustomerSegment": "CUSTOMER_SEGMENT", "Person": "PERSON", "Team": "TEAM"}
