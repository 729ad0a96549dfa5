"""What changed between two points of the graph's history, in answers: the graph's differences and what
they mean for strategy (orphans, unsupported objectives and goals, the aligned budget share), and the
alignment figures over time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from valuegraph.graph import traversal
from valuegraph.graph.errors import InvalidRequest
from valuegraph.graph.history import PastGraph
from valuegraph.graph.model import EntityRecord, RelationKey


@dataclass(frozen=True, slots=True)
class EntityRef:
    id: str
    kind: str
    name: str

    @classmethod
    def of(cls, record: EntityRecord) -> EntityRef:
        return cls(record.id, record.kind, record.name)


@dataclass(frozen=True, slots=True)
class PropertyChange:
    """An answered (effective) property value that differs between the two points."""

    entity: EntityRef
    property: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class GraphDiff:
    from_revision: int
    to_revision: int
    entities_added: list[EntityRef]
    entities_removed: list[EntityRef]
    properties_changed: list[PropertyChange]
    relations_added: list[RelationKey]
    relations_removed: list[RelationKey]
    new_orphans: list[EntityRef]
    resolved_orphans: list[EntityRef]
    newly_unsupported: list[EntityRef]
    newly_supported: list[EntityRef]
    aligned_budget_share_before: float | None
    aligned_budget_share_after: float | None


@dataclass(frozen=True, slots=True)
class AlignmentPoint:
    time: dt.datetime
    revision: int
    aligned_budget_share: float | None
    orphans: int
    unsupported: int


def graph_diff(before: PastGraph, after: PastGraph) -> GraphDiff:
    """The differences between the graph at two revisions (``before`` may be the later one)."""
    history = before.history
    touched = history.touched(*sorted((before.revision, after.revision)))
    ends = touched.entities | {k.from_id for k in touched.relations}
    old, new = before.entities(ends), after.entities(ends)
    added = [EntityRef.of(new[i]) for i in sorted(touched.entities) if i in new and i not in old]
    removed = [EntityRef.of(old[i]) for i in sorted(touched.entities) if i in old and i not in new]
    changed = []
    for entity_id in sorted(touched.entities):
        if entity_id in old and entity_id in new:
            was, now = old[entity_id].properties, new[entity_id].properties
            for name in sorted(was.keys() | now.keys()):
                a, b = was.get(name), now.get(name)
                if type(a) is not type(b) or a != b:
                    changed.append(PropertyChange(EntityRef.of(new[entity_id]), name, a, b))
    keys = sorted(touched.relations)
    present_before = {r.key for r in before.relation_records(keys)}
    present_after = {r.key for r in after.relation_records(keys)}

    a_before, a_after = traversal.alignment(before.index), traversal.alignment(after.index)
    refs_before = before.entities(a_before.orphans + a_before.unsupported)
    refs_after = after.entities(a_after.orphans + a_after.unsupported)

    def refs(ids: set[str], records: dict[str, EntityRecord]) -> list[EntityRef]:
        return [EntityRef.of(records[i]) for i in sorted(ids) if i in records]

    orphans_before, orphans_after = set(a_before.orphans), set(a_after.orphans)
    unsupported_before, unsupported_after = set(a_before.unsupported), set(a_after.unsupported)
    # "newly supported": unsupported before and supported after (so there after, and not unsupported)
    supported_after = {i for i in unsupported_before - unsupported_after if after.index.kind_of(i) is not None}
    return GraphDiff(
        from_revision=before.revision,
        to_revision=after.revision,
        entities_added=added,
        entities_removed=removed,
        properties_changed=changed,
        relations_added=[k for k in keys if k in present_after and k not in present_before],
        relations_removed=[k for k in keys if k in present_before and k not in present_after],
        new_orphans=refs(orphans_after - orphans_before, refs_after),
        resolved_orphans=refs(orphans_before - orphans_after, refs_before),
        newly_unsupported=refs(unsupported_after - unsupported_before, refs_after),
        newly_supported=refs(supported_after, refs_before),
        aligned_budget_share_before=a_before.aligned_budget_share,
        aligned_budget_share_after=a_after.aligned_budget_share,
    )


#: the most points a trend is drawn with
MAX_POINTS = 366


def trend_times(start: dt.datetime, end: dt.datetime, points: int) -> list[dt.datetime]:
    """``points`` evenly spaced times from ``start`` to ``end``, both included."""
    if not 1 <= points <= MAX_POINTS:
        raise InvalidRequest(f"points must be between 1 and {MAX_POINTS}")
    if end < start:
        raise InvalidRequest("the trend's end is before its start")
    if points == 1:
        return [start]
    step = (end - start) / (points - 1)
    return [start + step * i for i in range(points - 1)] + [end]


def alignment_point(time: dt.datetime, graph: PastGraph) -> AlignmentPoint:
    found = traversal.alignment(graph.index)
    return AlignmentPoint(time, graph.revision, found.aligned_budget_share, len(found.orphans),
                          len(found.unsupported))
