"""The sample portfolio is realistic enough to show every question off."""

from __future__ import annotations

from valuegraph.schema import vocabulary
from valuegraph.graph.questions import Questions
from tests.utils.answers import traced


def test_sample_portfolio_uses_everything(sample):
    stats = Questions(sample).stats().as_dict()
    assert sum(stats["entities"].values()) >= 150
    assert len(stats["sources"]) >= 2
    assert all(n > 0 for n in stats["entities"].values()), stats["entities"]
    assert set(stats["relations"]) == set(vocabulary().relations)
    assert all(n > 0 for n in stats["relations"].values()), stats["relations"]


def test_sample_portfolio_has_the_interesting_cases(sample):
    a = Questions(sample).alignment()
    assert a.orphans and a.unsupported
    assert 0.5 < a.aligned_budget_share < 1
    statuses = {sample.index.status_of(i) for i in sample.index.ids}
    assert {"cancelled", "completed", "on_hold", "proposed", "active"} <= statuses
    # a full chain from a project to a customer segment
    (path, *_) = traced(sample, "PRJ-21", "SEG-HEAT", limit=5)
    assert [n.kind for n in path.nodes] == ["Project", "Deliverable", "Outcome", "CustomerSegment"]
    longest = max(traced(sample, "PRJ-21", "SEG-HEAT", limit=5), key=lambda p: p.length)
    assert "Benefit" in [n.kind for n in longest.nodes]
    # people known to both sources, with the most recent source's title answered
    fatima = sample.entity("P-fatima")
    assert fatima.sources == ["ppm-tool", "strategy-office"]
    assert fatima.properties["title"] == "PMO Director"
    assert fatima.assertions["strategy-office"].properties["title"] == "Head of PMO"
