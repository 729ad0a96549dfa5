"""Figures executives expect on strategy entities: who delivers, in what health, at what cost."""


import strawberry

from valuegraph.api.graphql.core import DeliveryConnection, Info, Kind
from valuegraph.api.graphql.queries import delivery_connection
from valuegraph.graph import Direction, traversal
from valuegraph.schema.values import number_or


def key_result_progress(properties: dict) -> float | None:
    """(current - baseline) / (target - baseline), or None when a figure is missing or target = baseline."""
    current, baseline, target = (number_or(properties.get(k), None) for k in ("current", "baseline", "target"))
    if current is None or baseline is None or target is None:
        return None
    return None if target == baseline else (current - baseline) / (target - baseline)


@strawberry.type
class HealthCounts:
    green: int
    amber: int
    red: int
    unknown: int


@strawberry.type(description="The open and completed (not cancelled) projects that deliver an objective or goal.")
class DeliverySummary:
    projects: int
    programmes: int
    by_health: HealthCounts
    budget: float = strawberry.field(description="Total budget of the delivering projects (missing counts as 0).")
    actual_cost: float
    key_results: int = strawberry.field(description="Key results that measure it directly.")
    key_result_progress: float | None = strawberry.field(
        description="Mean progress (current - baseline) / (target - baseline) of those key results that have one.")


async def _summary(root, info: Info) -> DeliverySummary:
    graph = info.context.graph
    target = root.record.id
    delivering = traversal.what_delivers(graph.index, target, traversal.DELIVERY_KINDS).ids
    records = [r for r in await info.context.entities.load_many(delivering) if r is not None]
    projects = [r for r in records if r.kind == "Project"]
    health = {"green": 0, "amber": 0, "red": 0, "unknown": 0}
    budget = cost = 0.0
    for r in projects:
        props = r.properties
        health[props.get("health", "unknown")] += 1
        budget += number_or(props.get("budget"), 0.0)
        cost += number_or(props.get("actualCost"), 0.0)
    measures = [rel.key.from_id for rel in await info.context.relations_of(target, Direction.IN)
                if rel.key.type == "MEASURES"]
    krs = [r for r in await info.context.entities.load_many(measures) if r is not None]
    progress = [p for p in (key_result_progress(r.properties) for r in krs) if p is not None]
    return DeliverySummary(
        projects=len(projects),
        programmes=len(records) - len(projects),
        by_health=HealthCounts(**health),
        budget=budget,
        actual_cost=cost,
        key_results=len(krs),
        key_result_progress=sum(progress) / len(progress) if progress else None,
    )


async def _delivered_by(root, info: Info, kinds: list[Kind] | None = [Kind.PROJECT, Kind.PROGRAMME],  # noqa: B006
                        include_cancelled: bool | None = False, first: int | None = 50,
                        after: str | None = None) -> DeliveryConnection:
    return await delivery_connection(info, root.record.id, list(kinds) if kinds is not None else None,
                                     include_cancelled, first, after)


def _progress(root) -> float | None:
    return key_result_progress(root.record.properties)


def extra_fields() -> dict[str, dict]:
    delivered_by = lambda: strawberry.field(
        resolver=_delivered_by, name="deliveredBy",
        description="What delivers this: the same answer as Query.whatDelivers.")
    summary = lambda: strawberry.field(resolver=_summary, name="delivery")
    return {
        "Goal": {"deliveredBy": delivered_by(), "delivery": summary()},
        "Objective": {"deliveredBy": delivered_by(), "delivery": summary()},
        "KeyResult": {"deliveredBy": delivered_by(),
                      "progress": strawberry.field(resolver=_progress, name="progress",
                                                   description="(current - baseline) / (target - baseline)")},
        "Benefit": {"deliveredBy": delivered_by()},
        "Outcome": {"deliveredBy": delivered_by()},
        "CustomerSegment": {"deliveredBy": delivered_by()},
    }
