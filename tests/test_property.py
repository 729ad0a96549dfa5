"""Random portfolios: every traversal answer agrees with a plain reference BFS."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valuegraph.graph import ValueGraph, open_store
from valuegraph.schema import vocabulary
from tests.utils.factories import E, R, load
from valuegraph.graph.questions import Questions
from tests.utils.answers import traced

VOCAB = vocabulary()
KINDS = list(VOCAB.kinds)
# every kind can appear; the kinds the semantics single out appear more often
WEIGHTED_KINDS = KINDS + ["Project"] * 4 + ["Programme", "Objective", "Goal", "KeyResult"] * 2
VALUE_TYPES = [r for r in VOCAB.relations.values() if r.value_chain]
DEP_KINDS = VOCAB.relations["DEPENDS_ON"].from_kinds
STATUSES = [None, "proposed", "active", "on_hold", "completed", "cancelled"]


@st.composite
def portfolios(draw):
    n = draw(st.integers(1, 14))
    kinds = draw(st.lists(st.sampled_from(WEIGHTED_KINDS), min_size=n, max_size=n))
    statuses = draw(st.lists(st.sampled_from(STATUSES), min_size=n, max_size=n))
    budgets = draw(st.lists(st.one_of(st.none(), st.integers(0, 1000)), min_size=n, max_size=n))
    entities = []
    for i in range(n):
        props = {}
        if statuses[i]:
            props["status"] = statuses[i]
        if budgets[i] is not None:
            props["budget"] = budgets[i]
        entities.append(E(f"e{i}", kinds[i], **props))
    # every relation the vocabulary allows here; value edges only point up the numbering (no cycles),
    # dependencies go any way (dependency cycles are allowed)
    candidates = []
    for a in range(n):
        for b in range(n):
            if a == b:
                continue
            if kinds[a] in DEP_KINDS and kinds[b] in DEP_KINDS:
                candidates.append((f"e{a}", "DEPENDS_ON", f"e{b}"))
            if a < b:
                candidates += [(f"e{a}", r.name, f"e{b}") for r in VALUE_TYPES
                               if kinds[a] in r.from_kinds and kinds[b] in r.to_kinds]
    relations = set()
    if candidates:
        relations = set(draw(st.lists(st.sampled_from(candidates), min_size=min(n, len(candidates)), max_size=3 * n)))
    split = draw(st.integers(0, len(relations)))
    return entities, sorted(relations), split


class Reference:
    def __init__(self, entities, relations):
        self.kind = {e["id"]: e["kind"] for e in entities}
        self.status = {e["id"]: e.get("status", "active") for e in entities}
        self.budget = {e["id"]: e.get("budget", 0) for e in entities}
        value = {r.name for r in VALUE_TYPES}
        self.out = {i: [] for i in self.kind}
        self.inn = {i: [] for i in self.kind}
        self.dep_in = {i: [] for i in self.kind}
        for a, t, b in relations:
            if t in value:
                self.out[a].append(b)
                self.inn[b].append(a)
            else:
                self.dep_in[b].append(a)

    def ok(self, x, include):
        return include or self.status[x] != "cancelled"

    def bfs(self, seeds, adj, include=False):
        dist = {}
        queue = deque((s, 0) for s in seeds if self.ok(s, include))
        while queue:
            u, d = queue.popleft()
            for v in adj[u]:
                if v not in dist and self.ok(v, include):
                    dist[v] = d + 1
                    queue.append((v, d + 1))
        return dist

    def ranked(self, dist, kinds):
        return sorted(((x, d) for x, d in dist.items() if self.kind[x] in kinds), key=lambda p: (p[1], p[0]))

    def all_path_lengths(self, a, b):
        if not (self.ok(a, False) and self.ok(b, False)) or a == b:
            return []
        lengths = []

        def walk(u, depth):
            for v in self.out[u]:
                if not self.ok(v, False):
                    continue
                if v == b:
                    lengths.append(depth + 1)
                else:
                    walk(v, depth + 1)

        walk(a, 0)
        return sorted(lengths)


def check(graph: ValueGraph, ref: Reference):
    all_kinds = set(KINDS)
    for x in ref.kind:
        for include in (False, True):
            got = [(h.entity.id, h.distance) for h in Questions(graph).what_delivers(x, KINDS, include).hits]
            want = ref.ranked(ref.bfs([x], ref.inn, include), all_kinds) if ref.ok(x, include) else []
            assert got == want, ("what_delivers", x, include)
        got = [(h.entity.id, h.distance) for h in Questions(graph).why_exists(x, KINDS)]
        want = ref.ranked(ref.bfs([x], ref.out), all_kinds) if ref.ok(x, False) else []
        assert got == want, ("why_exists", x)

        dependents = ref.bfs([x], ref.dep_in, include=True)
        dependents.pop(x, None)
        impact = Questions(graph).impact(x)
        assert [(h.entity.id, h.distance) for h in impact.dependents] == ref.ranked(dependents, all_kinds)
        affected = ref.bfs([x, *dependents], ref.out)
        assert {h.entity.id for h in impact.affected} == set(affected), ("impact", x)

    strategic = [x for x, k in ref.kind.items() if k in ("Objective", "Goal") and ref.ok(x, False)]
    reaches = ref.bfs(strategic, ref.inn)
    open_projects = [x for x, k in ref.kind.items() if k == "Project" and ref.status[x] not in ("completed", "cancelled")]
    delivered = ref.bfs([x for x, k in ref.kind.items() if k in ("Project", "Programme")], ref.out)
    a = Questions(graph).alignment()
    assert {e.id for e in a.orphans} == {p for p in open_projects if p not in reaches}
    assert {e.id for e in a.unsupported} == {x for x, k in ref.kind.items() if k in ("Objective", "Goal") and x not in delivered}
    total = sum(ref.budget[p] for p in open_projects)
    aligned = sum(ref.budget[p] for p in open_projects if p in reaches)
    assert a.aligned_budget_share == (pytest.approx(aligned / total) if total else None)

    for src in ref.kind:
        for dst in ref.kind:
            want = ref.all_path_lengths(src, dst)
            got = traced(graph, src, dst, limit=5)
            assert [p.length for p in got] == want[:5], ("paths", src, dst)
            for p in got:
                assert p.nodes[0].id == src and p.nodes[-1].id == dst
                for rel, a_node, b_node in zip(p.relations, p.nodes, p.nodes[1:], strict=False):
                    assert (rel.key.from_id, rel.key.to_id) == (a_node.id, b_node.id)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios())
def test_traversal_matches_reference_bfs(portfolio):
    entities, relations, split = portfolio
    with ValueGraph(open_store("memory:")) as graph:
        # two syncs, so the second is applied to the index incrementally
        load(graph, entities, [R(*r) for r in relations[:split]])
        load(graph, [], [R(*r) for r in relations[split:]])
        check(graph, Reference(entities, relations))
        graph.rebuild_index()
        check(graph, Reference(entities, relations))
