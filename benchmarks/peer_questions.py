"""The three questions of the peers' comparison (benchmarks/peers.py), as valuegraph serve and the Neo4j
GraphQL Library (benchmarks/peer/) are each asked them, and each answer reduced to its content: ids, names,
kinds, path lengths, status and budget, in a fixed order, so that the two can be compared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import neo4j

from valuegraph.graph import ValueGraph, traversal
from valuegraph.schema import vocabulary

SAMPLES = 8  # objectives and projects q2 and q3 go round


class PeersUnavailable(Exception):
    """What the peers need is missing: node, the peer's packages, or a Neo4j server."""


class AnswersDiffer(AssertionError):
    """valuegraph and the peer answer a question differently (the message holds a diff)."""


_VALUE_CHAIN = "|".join(r.name for r in vocabulary().relations.values() if r.value_chain)
#: the delivery question in plain Cypher: the peer's @cypher statement (benchmarks/peer/schema.graphql),
#: every answer
CYPHER_DELIVERS = (
    "MATCH (t:Entity {id: $target}) WHERE coalesce(t.status, '') <> 'cancelled' "
    "MATCH p = SHORTEST 1 (w:Project|Programme WHERE coalesce(w.status, '') <> 'cancelled') "
    f"(()-[:{_VALUE_CHAIN}]->(n WHERE coalesce(n.status, '') <> 'cancelled'))+ (t) "
    "RETURN w.id AS id, w.name AS name, w.kind AS kind, length(p) AS distance ORDER BY distance, id")

OURS_Q1 = ("query ($target: ID!) { whatDelivers(target: $target, first: 100) { edges { node { "
           "item { id name kind } paths { length } } } } }")
PEER_Q1 = "query ($target: ID!) { whatDelivers(target: $target, first: 100) { id name kind distance } }"
_Q2_FIELDS = "id name keyResults { id name contributions { id name kind ... on Project { status budget } } }"
OURS_Q2 = f"query ($id: ID!) {{ entity(id: $id) {{ ... on Objective {{ {_Q2_FIELDS} }} }} }}"
PEER_Q2 = f"query ($id: ID!) {{ objectives(where: {{id: {{eq: $id}}}}) {{ {_Q2_FIELDS} }} }}"
_Q3_FIELDS = "id name programme { id name portfolio { id name } }"
OURS_Q3 = f"query ($id: ID!) {{ entity(id: $id) {{ ... on Project {{ {_Q3_FIELDS} }} }} }}"
PEER_Q3 = f"query ($id: ID!) {{ projects(where: {{id: {{eq: $id}}}}) {{ {_Q3_FIELDS} }} }}"

_KIND_OF_ENUM = {spec.enum: name for name, spec in vocabulary().kinds.items()}


def _kind(value: str) -> str:
    """A kind's name, from valuegraph's enum value (PROJECT) or the peer's stored property (Project)."""
    return _KIND_OF_ENUM.get(value, value)


def _status(value: str | None) -> str:
    return (value or "active").lower()  # valuegraph answers a missing status as ACTIVE (the contract's rule)


def _one(found: list | dict | None) -> dict | None:
    """A to-one relation: valuegraph answers the object or null, the library a list of at most one."""
    if isinstance(found, list):
        if len(found) > 1:
            raise AnswersDiffer(f"the peer answers {len(found)} where one is asked: {found}")
        return found[0] if found else None
    return found


def _deliveries_ours(data: dict) -> list:
    return [{"id": e["node"]["item"]["id"], "name": e["node"]["item"]["name"], "kind": _kind(e["node"]["item"]["kind"]),
             "distance": min((p["length"] for p in e["node"]["paths"]), default=None)}
            for e in data["whatDelivers"]["edges"]]


def _deliveries_peer(data: dict) -> list:
    return [{"id": d["id"], "name": d["name"], "kind": _kind(d["kind"]), "distance": d["distance"]}
            for d in data["whatDelivers"]]


def _objective(found: dict | None) -> dict | None:
    if not found:
        return None
    key_results = []
    for kr in found["keyResults"]:
        contributions = [{"id": c["id"], "name": c["name"], "kind": _kind(c["kind"])}
                         | ({"status": _status(c["status"]), "budget": c["budget"]} if _kind(c["kind"]) == "Project"
                            else {}) for c in kr["contributions"]]
        key_results.append({"id": kr["id"], "name": kr["name"],
                            "contributions": sorted(contributions, key=lambda c: c["id"])})
    return {"id": found["id"], "name": found["name"], "keyResults": sorted(key_results, key=lambda k: k["id"])}


def _project(found: dict | None) -> dict | None:
    if not found:
        return None
    programme = _one(found["programme"])
    if programme is not None:
        portfolio = _one(programme["portfolio"])
        programme = {"id": programme["id"], "name": programme["name"],
                     "portfolio": portfolio and {"id": portfolio["id"], "name": portfolio["name"]}}
    return {"id": found["id"], "name": found["name"], "programme": programme}


@dataclass(frozen=True)
class Question:
    """One question as each server is asked it (request bodies, gone round in order), and each answer
    reduced to its content (ids, names, kinds, distances, status, budget) in a fixed order."""

    name: str
    ours: list[dict]
    peer: list[dict]
    ours_content: Callable[[dict], object]
    peer_content: Callable[[dict], object]


@dataclass(frozen=True)
class Targets:
    goal: str  # the goal delivered by the most (the first by id of those tied)
    delivered_by: int
    objectives: list[str]
    projects: list[str]


def questions(targets: Targets) -> list[Question]:
    def bodies(query: str, name: str, values: list[str]) -> list[dict]:
        return [{"query": query, "variables": {name: v}} for v in values]

    return [
        Question("q1", bodies(OURS_Q1, "target", [targets.goal]), bodies(PEER_Q1, "target", [targets.goal]),
                 _deliveries_ours, _deliveries_peer),
        Question("q2", bodies(OURS_Q2, "id", targets.objectives), bodies(PEER_Q2, "id", targets.objectives),
                 lambda d: _objective(d["entity"]), lambda d: _objective(_one(d["objectives"]))),
        Question("q3", bodies(OURS_Q3, "id", targets.projects), bodies(PEER_Q3, "id", targets.projects),
                 lambda d: _project(d["entity"]), lambda d: _project(_one(d["projects"]))),
    ]


def pick_targets(graph: ValueGraph, driver: neo4j.Driver, database: str) -> Targets:
    index = graph.index
    goals = sorted(i for i, kind in zip(index.ids, index.kinds_of(index.ids), strict=True) if kind == "Goal")
    if not goals:
        raise PeersUnavailable("the portfolio in Neo4j has no goal")
    sizes = {g: len(traversal.what_delivers(index, g)) for g in goals}
    goal = max(goals, key=lambda g: sizes[g])

    def ids(query: str) -> list[str]:
        records, _, _ = driver.execute_query(query, limit=SAMPLES, database_=database,
                                             routing_=neo4j.RoutingControl.READ)
        return [r[0] for r in records]

    objectives = ids("MATCH (o:Objective)<-[:MEASURES]-(:KeyResult) WITH DISTINCT o RETURN o.id AS id "
                     "ORDER BY id LIMIT $limit")
    projects = ids("MATCH (p:Project)-[:PART_OF]->(:Programme) WITH DISTINCT p RETURN p.id AS id ORDER BY id "
                   "LIMIT $limit")
    if not objectives or not projects:
        raise PeersUnavailable("the portfolio in Neo4j has no objective with key results or no project in a programme")
    return Targets(goal, sizes[goal], objectives, projects)
