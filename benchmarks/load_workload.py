"""What the load test (benchmarks/load.py) writes, what its readers ask, and how an answer is judged.

Each writer owns sources of its own (``load-w0s0``, ``load-w0s1``, …). A source's write number ``g`` (its
*generation*) is a full sync of one objective and ``PROJECTS`` projects, with ``g`` in every one of their names;
on odd generations every project CONTRIBUTES_TO the objective, on even ones none does. A write therefore flips
many facts together — the projects' value paths to the objective and to the portfolio's goal ``G-0`` (which the
objective SUPPORTS), whether they are orphans, whether the objective is unsupported, the aligned budget share —
and renames them all. An answer that shows part of one write (two generations of a source, or the names of one
generation with the paths of the other) is *torn*.

Expected answers are the service's own: before the load, the sources' generations are stepped through every
combination of parities (a Gray code: one sync a step) and every question is asked at each, with nothing else
in flight. Under load, an answer is right when, names' generations aside, it equals the answer of one combination
in which each source is at a generation that could be visible: at least the last one whose write had completed
when the request was sent, at most the last one whose write had started when the answer came back.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

#: projects each load source writes; a torn answer shows some of them in one state and some in the other
PROJECTS = 20
#: the goal of the generated portfolio that the load objectives support (benchmarks/generate.py makes G-0 at
#: every size): answers about it mix the portfolio with the written facts
GOAL = "G-0"
#: a written name: the source's tag, what it names, and the generation that wrote it
WRITTEN_NAME = re.compile(r"Load (?P<tag>w\d+s\d+) (?P<what>objective|project \d+) g(?P<gen>\d+)")


def source_tags(writers: int, sources_per_writer: int = 2) -> list[list[str]]:
    """Per writer, the tags of the sources it writes (a source ``load-TAG``)."""
    return [[f"w{w}s{s}" for s in range(sources_per_writer)] for w in range(writers)]


def source_of(tag: str) -> str:
    return f"load-{tag}"


def objective_id(tag: str) -> str:
    return f"LOAD-{tag}-OBJ"


def project_id(tag: str, i: int) -> str:
    return f"LOAD-{tag}-P{i:02d}"


def document(tag: str, gen: int) -> dict:
    """The exchange document of source ``load-TAG`` at generation ``gen`` (synced in full mode)."""
    objective = objective_id(tag)
    entities = [{"id": objective, "kind": "Objective", "name": f"Load {tag} objective g{gen}", "period": "2026"}]
    relations = [{"from": objective, "type": "SUPPORTS", "to": GOAL}]
    for i in range(PROJECTS):
        project = project_id(tag, i)
        entities.append({"id": project, "kind": "Project", "name": f"Load {tag} project {i} g{gen}",
                         "status": "active", "budget": 100_000 + 1_000 * i})
        if i:  # the first project's impact: every other one depends on it
            relations.append({"from": project, "type": "DEPENDS_ON", "to": project_id(tag, 0)})
        if gen % 2:
            relations.append({"from": project, "type": "CONTRIBUTES_TO", "to": objective})
    return {"source": source_of(tag), "entities": entities, "relations": relations}


ITEM = "id name kind"


def _per_source(tags: list[str], field: str) -> str:
    """One aliased field per source, with ``$OBJECTIVE`` and ``$Pn`` (project n) its ids: the answer spans
    every source, and must show each as one of its states."""
    def filled(tag: str) -> str:
        text = field.replace("$OBJECTIVE", objective_id(tag))
        for i in (0, 3, 5, 7):
            text = text.replace(f"$P{i}", project_id(tag, i))
        return f"{tag}: {text}"

    return "{ " + " ".join(filled(tag) for tag in tags) + " }"


def questions(tags: list[str]) -> dict[str, str]:
    """The GraphQL documents the readers ask, by name: every question of the service, on written facts and
    on the portfolio's own (which no write touches: their answers must never change)."""
    return {
        "whatDelivers goal": f'{{ whatDelivers(target: "{GOAL}", first: 60) {{ totalCount '
                             f'edges {{ cursor node {{ item {{ {ITEM} }} paths {{ length }} }} }} }} }}',
        "whatDelivers objectives": _per_source(
            tags, 'whatDelivers(target: "$OBJECTIVE", first: 50) { totalCount pageInfo { hasNextPage } '
                  'edges { node { item { id name ... on Project { budget status } } } } }'),
        "whatDelivers portfolio": '{ whatDelivers(target: "OBJ-1", first: 100) { totalCount edges { node { '
                                  f'item {{ {ITEM} }} paths(limit: 2) {{ length nodes {{ id }} }} }} }} }} }}',
        "whyExists": _per_source(tags, 'whyExists(item: "$P3") { target { ' + ITEM + ' } }'),
        "trace": _per_source(tags, 'trace(from: "$P5", to: "' + GOAL + '", limit: 3) { length '
                                   'nodes { id name } relations { type } }'),
        "alignment": f"{{ alignment {{ alignedBudgetShare orphans {{ {ITEM} }} unsupported {{ {ITEM} }} }} }}",
        "impact": _per_source(tags, 'impact(item: "$P0") { dependents { id name } affected { ' + ITEM + ' } }'),
        "entity": _per_source(tags, 'entity(id: "$P7") { id name sources properties '
                                    'relations(direction: BOTH) { type from { id name } to { id name } } }'),
        "entity portfolio": '{ entity(id: "PRJ-1") { id name sources properties ... on Project { budget '
                            'programme { id name } manager { name } contributesTo { id name } } } }',
        "entities": '{ entities(kind: PROJECT, search: "Load w", first: 200) { totalCount '
                    'edges { node { id name ... on Project { budget } } } } }',
    }


CHANGES = ("{{ changes(sinceRevision: {since}, source: \"{source}\", first: {first}) {{ completeThrough "
           "edges {{ node {{ revision source kind entityId property after relationType to }} }} }} }}")


def changes_question(tag: str, revision: int) -> str:
    """The changes of source ``load-TAG`` from ``revision`` on: a page holding two whole writes."""
    return CHANGES.format(since=revision - 1, source=source_of(tag), first=2 * (2 * PROJECTS + 1) + 10)


@dataclass(frozen=True)
class Problem:
    """A wrong answer: ``torn`` (part of a write) or ``stale`` (a write that had completed is not seen, or
    one not yet started is)."""

    kind: str
    message: str


def canonical(value, seen: dict[str, set[int]]):
    """``value`` with the generation taken out of every written name (noted in ``seen``: tag -> generations)
    and floats rounded (a sum's last bits may depend on its order)."""
    if isinstance(value, dict):
        return {k: canonical(v, seen) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v, seen) for v in value]
    if isinstance(value, str):
        match = WRITTEN_NAME.fullmatch(value)
        if match:
            seen.setdefault(match["tag"], set()).add(int(match["gen"]))
            return f"Load {match['tag']} {match['what']} g*"
        return value
    if isinstance(value, float):
        return round(value, 12)
    return value


Parities = tuple[int, ...]


def check(data: dict, tags: list[str], windows: dict[str, tuple[int, int]],
          expected: dict[Parities, object]) -> Problem | None:
    """None when ``data`` is the answer of one state within ``windows`` (tag -> the lowest and highest
    generation that may be visible); ``expected`` holds the canonical answer per parity of each tag's generation."""
    seen: dict[str, set[int]] = {}
    answer = canonical(data, seen)
    for tag, gens in seen.items():
        if len(gens) > 1:
            return Problem("torn", f"{source_of(tag)}: generations {sorted(gens)} in one answer")
    for tag, gens in seen.items():
        (gen,) = gens
        low, high = windows[tag]
        if not low <= gen <= high:
            return Problem("stale", f"{source_of(tag)}: generation {gen} seen while {low}..{high} could be")
    choices = []
    for tag in tags:
        low, high = windows[tag]
        shown = seen.get(tag)
        choices.append(sorted({next(iter(shown)) % 2} if shown else {g % 2 for g in range(low, high + 1)}))
    if any(expected.get(parities) == answer for parities in itertools.product(*choices)):
        return None
    shown = {source_of(t): next(iter(g)) for t, g in seen.items()}
    return Problem("torn", f"the answer is no state's with generations in {windows} (names show {shown})")


def check_changes(data: dict, tag: str, gen: int, revisions: dict[int, int]) -> Problem | None:
    """The changes from the revision of write ``gen`` of ``load-TAG`` on: the page must start with that
    revision, and each revision it holds whole must be one whole write — every name renamed to one next
    generation, every project's contribution asserted (odd) or retracted (even) — in generation order.
    ``revisions``: generation -> revision of the writes known to have completed."""
    changes = [edge["node"] for edge in data["changes"]["edges"]]
    through = data["changes"]["completeThrough"]
    by_revision: dict[int, list[dict]] = {}
    for change in changes:
        by_revision.setdefault(change["revision"], []).append(change)
    first = revisions[gen]
    if not by_revision or min(by_revision) != first:
        return Problem("stale", f"{source_of(tag)}: changes since revision {first - 1} do not start with "
                                f"write {gen} (revision {first}): {sorted(by_revision)}")
    expected_gen = gen
    names = {objective_id(tag)} | {project_id(tag, i) for i in range(PROJECTS)}
    for revision in sorted(r for r in by_revision if r <= through):
        group = by_revision[revision]
        renamed = {c["entityId"]: c["after"] for c in group if c["kind"] == "PROPERTY_SET" and c["property"] == "name"}
        gens = {int(m["gen"]) for m in (WRITTEN_NAME.fullmatch(str(v)) for v in renamed.values()) if m}
        contributions = {(c["entityId"], c["kind"]) for c in group if c["relationType"] == "CONTRIBUTES_TO"}
        kind = "RELATION_ASSERTED" if expected_gen % 2 else "RELATION_RETRACTED"
        whole = {(project_id(tag, i), kind) for i in range(PROJECTS)}
        if (set(renamed) != names or gens != {expected_gen} or contributions != whole
                or len(group) != len(names) + PROJECTS
                or revisions.get(expected_gen, revision) != revision):
            return Problem("torn", f"{source_of(tag)}: revision {revision} is not the whole of write "
                                   f"{expected_gen} ({len(group)} changes, names of generations {sorted(gens)}, "
                                   f"{len(contributions)} contributions)")
        expected_gen += 1
    return None
