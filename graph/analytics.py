"""Graph analytics a PMO uses, each defined in its docstring, computed on the traversal index.

Cancelled entities take part in none of them (as in every value path).
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import orjson

from valuegraph.graph import traversal
from valuegraph.graph.backends import open_store
from valuegraph.graph.export import to_networkx as from_store
from valuegraph.graph.index import CANCELLED, COMPLETED, TraversalIndex
from valuegraph.graph.model import RelationKey
from valuegraph.graph.store import Store
from valuegraph.schema.values import number_or

if TYPE_CHECKING:
    import networkx as nx

STRATEGY = ("Objective", "Goal")


def to_networkx(source) -> nx.MultiDiGraph:
    """The whole graph as a networkx MultiDiGraph, for notebooks: from a Store, a ValueGraph, a store URL
    (``oxigraph:…``, ``bolt://…``) or a valuegraph server's base URL (``http://…``; pass an API key as
    ``(url, key)``)."""
    import networkx as nx  # noqa: PLC0415 - imported on first use: it would add to every server's start

    if isinstance(source, tuple) or (isinstance(source, str) and source.startswith(("http://", "https://"))):
        url, key = source if isinstance(source, tuple) else (source, None)
        return nx.node_link_graph(_nodelink_of_server(url, key), edges="links")
    if isinstance(source, str):
        store = open_store(source)
        try:
            return from_store(store)
        finally:
            store.close()
    return from_store(getattr(source, "store", source))


def _nodelink_of_server(url: str, key: str | None) -> dict:
    """A valuegraph server's node-link export (the standard library's HTTP client: notebooks need no extra
    package; an error status raises ``urllib.error.HTTPError``)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(url.rstrip("/") + "/api/v1/export/nodelink", headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        return orjson.loads(response.read())


@dataclass(frozen=True, slots=True)
class Reach:
    """An open project and the objectives and goals it serves, weighted by relation weights."""

    project: str
    objectives: int
    goals: int
    weighted: float


@dataclass(frozen=True, slots=True)
class Critical:
    """A work item, what depends on it, and how many objectives and goals its slip affects."""

    item: str
    dependents: int
    affected_strategy: int


@dataclass(frozen=True, slots=True)
class Concentration:
    """An objective or goal that only one project delivers."""

    target: str
    project: str


@dataclass(frozen=True, slots=True)
class BenefitTotal:
    """Benefits of one unit (None: no unit given) with their expected and realised values summed (a missing
    value counts 0)."""

    unit: str | None
    expected: float
    realised: float
    benefits: int


@dataclass(frozen=True, slots=True)
class Rag:
    """A derived red/amber/green status (``unknown``: nothing to judge by) and the one sentence saying why."""

    status: str  # green, amber, red or unknown
    reason: str


#: key-result progress below which an objective or goal is red, and below which it is amber
RAG_RED_BELOW = 0.3
RAG_AMBER_BELOW = 0.7


@dataclass(frozen=True, slots=True)
class ObjectiveBudget:
    """The budget of the open projects delivering an objective or goal, each project once."""

    objective: str
    budget: float
    projects: int


def _open_projects(index: TraversalIndex) -> np.ndarray:
    n = index.size
    status = index.status[:n]
    return np.flatnonzero((index.kind[:n] == index.kind_code["Project"]) & (status != CANCELLED) & (status != COMPLETED))


def strategic_reach(index: TraversalIndex, store: Store, top: int = 10) -> list[Reach]:
    """Open projects ranked by the objectives and goals they serve (by a value path).

    ``weighted`` sums, over those objectives and goals, the best product of the relation weights along a
    value path to each (a relation without a weight counts 1), so a project that contributes 0.2 of one
    objective counts 0.2 there. Ties are broken by the plain count, then by id."""
    cancelled = index.cancelled()
    src, dst, types = index.value.arrays()
    keys = [RelationKey(index.ids[a], index.relation_names[t], index.ids[b])
            for a, b, t in zip(src.tolist(), dst.tolist(), types.tolist(), strict=True)]
    weights = {r.key: r.properties.get("weight") for r in store.relation_records(keys)} if keys else {}
    successors: dict[int, list[tuple[int, float]]] = {}
    for (a, b), key in zip(zip(src.tolist(), dst.tolist(), strict=True), keys, strict=True):
        if cancelled[a] or cancelled[b]:
            continue
        successors.setdefault(a, []).append((b, number_or(weights.get(key), 1.0)))
    strategic = index.kind_table(STRATEGY)
    goal = index.kind_code["Goal"]
    found = []
    for p in _open_projects(index).tolist():
        best = _best_products(p, successors)
        served = [v for v in best if strategic[index.kind[v]]]
        if not served:
            continue
        goals = sum(1 for v in served if index.kind[v] == goal)
        found.append(Reach(index.ids[p], len(served) - goals, goals, sum(best[v] for v in served)))
    found.sort(key=lambda r: (-r.weighted, -(r.objectives + r.goals), r.project))
    return found[:top]


def _best_products(start: int, successors: dict[int, list[tuple[int, float]]]) -> dict[int, float]:
    """The best product of weights from ``start`` to every node it reaches (the value chain is acyclic)."""
    order, seen, stack = [], {start}, [start]
    while stack:  # nodes reachable from start
        u = stack.pop()
        order.append(u)
        for v, _ in successors.get(u, ()):
            if v not in seen:
                seen.add(v)
                stack.append(v)
    import networkx as nx  # noqa: PLC0415 - imported on first use: it would add to every server's start

    sub = nx.DiGraph()
    sub.add_nodes_from(order)
    sub.add_edges_from((u, v) for u in order for v, _ in successors.get(u, ()))
    best = {start: 1.0}
    for u in nx.topological_sort(sub):
        if u not in best:
            continue
        for v, w in successors.get(u, ()):
            if best[u] * w > best.get(v, -1.0):
                best[v] = best[u] * w
    best.pop(start)
    return best


def critical_dependencies(index: TraversalIndex, top: int = 10) -> list[Critical]:
    """Work items (projects, programmes, deliverables) ranked by how many objectives and goals a slip
    would affect: the strategic entities in their impact (see ``traversal.impact``)."""
    strategic = index.kind_table(STRATEGY)
    work = index.kind_table(("Project", "Programme", "Deliverable"))
    found = []
    for i in np.flatnonzero(work[index.kind[: index.size]]).tolist():
        impact = traversal.impact(index, index.ids[i])
        if not len(impact.dependents):
            continue
        affected = int(strategic[index.kind[impact.affected.numbers]].sum()) if len(impact.affected) else 0
        found.append(Critical(index.ids[i], len(impact.dependents), affected))
    found.sort(key=lambda c: (-c.affected_strategy, -c.dependents, c.item))
    return found[:top]


def dependency_cycles(index: TraversalIndex, limit: int = 100) -> list[list[str]]:
    """DEPENDS_ON cycles (elementary), each as the list of its entities from its smallest id, at most ``limit``."""
    import networkx as nx  # noqa: PLC0415 - imported on first use: it would add to every server's start

    src, dst, _ = index.depends.arrays()
    graph = nx.DiGraph()
    graph.add_edges_from((index.ids[a], index.ids[b]) for a, b in zip(src.tolist(), dst.tolist(), strict=True))
    cycles = []
    for cycle in nx.simple_cycles(graph):
        k = cycle.index(min(cycle))
        cycles.append(cycle[k:] + cycle[:k])
        if len(cycles) == limit:
            break
    return sorted(cycles)


def concentration(index: TraversalIndex) -> list[Concentration]:
    """Objectives and goals that hang on a single project: the only non-cancelled project or programme
    that delivers them is that project, so if it stops they become unsupported. (No value path passes
    through a project, so removing one project removes no other deliverer.)"""
    found = []
    strategic = index.kind_table(STRATEGY)
    cancelled = index.cancelled()
    for t in np.flatnonzero(strategic[index.kind[: index.size]] & ~cancelled[: index.size]).tolist():
        delivering = traversal.what_delivers(index, index.ids[t])
        if len(delivering) == 1 and index.kind_of(delivering.ids[0]) == "Project":
            found.append(Concentration(index.ids[t], delivering.ids[0]))
    return sorted(found, key=lambda c: c.target)


def budget_by_objective(index: TraversalIndex) -> list[ObjectiveBudget]:
    """For each objective and goal, the budget of the open projects that deliver it; a project that serves
    several sub-objectives of the same objective counts once for it (missing budgets count 0). The same
    figure as ``open_budget`` (an objective's ``delivery.openBudget``)."""
    strategic = index.kind_table(STRATEGY)
    cancelled = index.cancelled()
    found = []
    for t in np.flatnonzero(strategic[index.kind[: index.size]] & ~cancelled[: index.size]).tolist():
        budget, projects = open_budget(index, index.ids[t])
        found.append(ObjectiveBudget(index.ids[t], budget, projects))
    return sorted(found, key=lambda b: (-b.budget, b.objective))


def open_budget(index: TraversalIndex, target: str) -> tuple[float, int]:
    """The budget of the open (neither completed nor cancelled) projects that deliver ``target``, each once
    (missing budgets count 0), and how many they are. Only the delivering projects are read: an objective's
    roll-up asks this for one target."""
    projects = traversal.what_delivers(index, target, ("Project",)).numbers
    status = index.status[projects]
    projects = projects[(status != CANCELLED) & (status != COMPLETED)]
    return float(np.nan_to_num(index.budget[projects], nan=0.0).sum()), len(projects)


def rag(open_health: dict[str, int], key_result_progress: float | None) -> Rag:
    """The RAG of an objective or goal, from the health of the open projects that deliver it and the mean
    progress of the key results that measure it:

    - red when any of those projects is red, or key-result progress is below 0.3;
    - otherwise amber when any of them is amber, or key-result progress is below 0.7;
    - otherwise green when at least one of them has a health or key-result progress is known;
    - unknown when none of them has a health and no key result has progress.

    ``open_health``: the open delivering projects by health (green, amber, red, unknown)."""
    with_health = open_health["green"] + open_health["amber"] + open_health["red"]
    total = with_health + open_health["unknown"]
    progress = None if key_result_progress is None else f"key-result progress is {key_result_progress:.2f}"

    def projects(colour: str) -> str:
        count = open_health[colour]
        noun, verb = "project" if total == 1 else "projects", "is" if count == 1 else "are"
        return f"{count} of {total} open delivering {noun} {verb} {colour}"

    def sentence(parts: list[str]) -> str:
        text = " and ".join(parts)
        return text[0].upper() + text[1:] + "."

    for colour, below in (("red", RAG_RED_BELOW), ("amber", RAG_AMBER_BELOW)):
        reasons = [projects(colour)] if open_health[colour] else []
        if key_result_progress is not None and key_result_progress < below:
            reasons.append(f"{progress}, below {below}")
        if reasons:
            return Rag(colour, sentence(reasons))
    if with_health == 0 and progress is None:
        return Rag("unknown", "No open delivering project has a health and no key result has progress.")
    reasons = []
    if with_health:
        reasons.append(f"all {with_health} open delivering project{'s' if with_health != 1 else ''} with a health "
                       f"{'is' if with_health == 1 else 'are'} green")
    if progress is not None:
        reasons.append(f"{progress}, at least {RAG_AMBER_BELOW}")
    return Rag("green", sentence(reasons))


def benefit_totals(benefits: list[dict]) -> list[BenefitTotal]:
    """Benefits' properties grouped by ``unit``, expectedValue and realisedValue summed (missing counts 0);
    in unit order, benefits without a unit last."""
    groups: dict[str | None, list[dict]] = {}
    for props in benefits:
        unit = props.get("unit")
        groups.setdefault(None if unit is None else str(unit), []).append(props)
    return [BenefitTotal(unit, sum(number_or(p.get("expectedValue"), 0.0) for p in found),
                         sum(number_or(p.get("realisedValue"), 0.0) for p in found), len(found))
            for unit, found in sorted(groups.items(), key=lambda g: (g[0] is None, g[0] or ""))]


def weighted_progress(projects: list[dict]) -> float | None:
    """Budget-weighted mean ``progress`` of the projects (properties) that have one: each weighs its budget
    (missing counts 0); the plain mean when their budgets sum to 0; None when none has a progress."""
    known = [(number_or(p.get("progress"), None), number_or(p.get("budget"), 0.0)) for p in projects]
    known = [(progress, budget) for progress, budget in known if progress is not None]
    if not known:
        return None
    total = sum(budget for _, budget in known)
    if total == 0:
        return sum(progress for progress, _ in known) / len(known)
    return sum(progress * budget for progress, budget in known) / total
