"""A deterministic generator of realistic portfolios at any scale.

Strategy (goals -> objectives -> sub-objectives -> key results) comes from a
``strategy`` source; delivery (portfolios -> programmes -> projects ->
deliverables) and people from a ``ppm`` source; outcomes, benefits and
customer segments from a ``benefits`` source. Some work is cancelled,
completed or on hold; some projects serve nothing; dependencies cross
programmes. Value-chain edges always point from a lower layer to a higher one,
so the graph has no value-chain cycle.

    python -m benchmarks.generate --projects 10000 --out /tmp/portfolio
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import orjson

#: the named sizes of the benchmarks: projects in the generated portfolio
SCALES = {"S": 1_000, "M": 10_000, "L": 100_000}
STATUS_WEIGHTS = [("active", 70), ("completed", 10), ("cancelled", 5), ("on_hold", 5), ("proposed", 10)]


def generate(projects: int = 1000, seed: int = 7) -> list[dict]:
    """Exchange documents, one per source, in the order they must be loaded."""
    rng = random.Random(seed)
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    n_goals = max(3, projects // 2000)
    n_obj = max(5, projects // 50)
    n_sub = max(5, projects // 100)
    n_prog = max(3, projects // 20)
    n_port = max(2, projects // 1000)
    n_out = max(5, projects // 4)
    n_ben = max(5, projects // 20)
    n_seg = 10
    n_people = max(5, projects // 2)

    strategy_e, strategy_r = [], []
    for i in range(n_goals):
        strategy_e.append({"id": f"G-{i}", "kind": "Goal", "name": f"Goal {i}", "horizon": "2030"})
    for i in range(n_obj):
        strategy_e.append({"id": f"OBJ-{i}", "kind": "Objective", "name": f"Objective {i}", "period": "2026",
                           "status": "cancelled" if rng.random() < 0.03 else "active"})
        strategy_r.append({"from": f"OBJ-{i}", "type": "SUPPORTS", "to": f"G-{rng.randrange(n_goals)}"})
    for i in range(n_sub):
        strategy_e.append({"id": f"SUB-{i}", "kind": "Objective", "name": f"Sub-objective {i}", "period": "2026"})
        strategy_r.append({"from": f"SUB-{i}", "type": "SUPPORTS", "to": f"OBJ-{rng.randrange(n_obj)}"})
    krs = []
    for parent in [f"OBJ-{i}" for i in range(n_obj)] + [f"SUB-{i}" for i in range(n_sub)]:
        for j in range(2):
            kr = f"KR-{parent}-{j}"
            krs.append(kr)
            strategy_e.append({"id": kr, "kind": "KeyResult", "name": f"Key result {j} of {parent}", "metric": "count",
                               "baseline": 0, "target": rng.randrange(10, 1000), "current": rng.randrange(0, 10)})
            strategy_r.append({"from": kr, "type": "MEASURES", "to": parent})

    benefit_e, benefit_r = [], []
    for i in range(n_seg):
        benefit_e.append({"id": f"SEG-{i}", "kind": "CustomerSegment", "name": f"Segment {i}"})
    for i in range(n_ben):
        benefit_e.append({"id": f"BEN-{i}", "kind": "Benefit", "name": f"Benefit {i}", "unit": "GBP",
                          "expectedValue": rng.randrange(10_000, 5_000_000)})
        benefit_r.append({"from": f"BEN-{i}", "type": "CONTRIBUTES_TO", "to": rng.choice(krs)})
        benefit_r.append({"from": f"BEN-{i}", "type": "SERVES", "to": f"SEG-{rng.randrange(n_seg)}"})
    for i in range(n_out):
        benefit_e.append({"id": f"OUT-{i}", "kind": "Outcome", "name": f"Outcome {i}"})
        benefit_r.append({"from": f"OUT-{i}", "type": "REALISES", "to": f"BEN-{rng.randrange(n_ben)}"})

    ppm_e, ppm_r = [], []
    for i in range(n_port):
        ppm_e.append({"id": f"PF-{i}", "kind": "Portfolio", "name": f"Portfolio {i}"})
    for i in range(n_prog):
        ppm_e.append({"id": f"PG-{i}", "kind": "Programme", "name": f"Programme {i}", "status": rng.choice(statuses),
                      "budget": rng.randrange(1_000_000, 50_000_000)})
        ppm_r.append({"from": f"PG-{i}", "type": "PART_OF", "to": f"PF-{rng.randrange(n_port)}"})
        if rng.random() < 0.8:
            ppm_r.append({"from": f"PG-{i}", "type": "CONTRIBUTES_TO", "to": f"OBJ-{rng.randrange(n_obj)}"})
    for i in range(n_people):
        ppm_e.append({"id": f"PER-{i}", "kind": "Person", "name": f"Person {i}", "title": "Project Manager"})
    for i in range(projects):
        pid = f"PRJ-{i}"
        ppm_e.append({"id": pid, "kind": "Project", "name": f"Project {i}", "status": rng.choice(statuses),
                      "health": rng.choice(["green", "amber", "red"]), "budget": rng.randrange(50_000, 5_000_000),
                      "progress": round(rng.random(), 2)})
        if rng.random() < 0.9:
            ppm_r.append({"from": pid, "type": "PART_OF", "to": f"PG-{rng.randrange(n_prog)}"})
        if rng.random() < 0.4:
            ppm_r.append({"from": pid, "type": "CONTRIBUTES_TO", "to": rng.choice(krs), "weight": round(rng.random(), 2)})
        for j in range(2):
            deliverable = f"DEL-{i}-{j}"
            ppm_e.append({"id": deliverable, "kind": "Deliverable", "name": f"Deliverable {j} of project {i}"})
            ppm_r.append({"from": pid, "type": "DELIVERS", "to": deliverable})
            if rng.random() < 0.6:
                ppm_r.append({"from": deliverable, "type": "ENABLES", "to": f"OUT-{rng.randrange(n_out)}"})
        ppm_r.append({"from": f"PER-{rng.randrange(n_people)}", "type": "MANAGES", "to": pid})
    for _ in range(projects // 5):
        a, b = rng.randrange(projects), rng.randrange(projects)
        if a != b:
            ppm_r.append({"from": f"PRJ-{a}", "type": "DEPENDS_ON", "to": f"PRJ-{b}"})
    return [
        {"source": "strategy", "entities": strategy_e, "relations": strategy_r},
        {"source": "benefits", "entities": benefit_e, "relations": benefit_r},
        {"source": "ppm", "entities": ppm_e, "relations": _unique(ppm_r)},
    ]


def _unique(relations: list[dict]) -> list[dict]:
    seen, out = set(), []
    for r in relations:
        key = (r["from"], r["type"], r["to"])
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="folder for one JSON document per source")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for i, doc in enumerate(generate(args.projects, args.seed)):
        path = args.out / f"{i}-{doc['source']}.json"
        path.write_bytes(orjson.dumps(doc))
        print(f"{path}: {len(doc['entities'])} entities, {len(doc['relations'])} relations")


if __name__ == "__main__":
    main()
