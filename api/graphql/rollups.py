"""Figures executives expect on strategy entities: who delivers, in what health, at what cost."""


import strawberry

from valuegraph.api.graphql.core import DeliveryConnection, Info, ask
from valuegraph.api.graphql.enums import Kind
from valuegraph.api.graphql.queries import delivery_connection
from valuegraph.graph.questions import key_result_progress


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
    rollup = await ask(info.context.view(root.at).questions.delivery_rollup, root.record.id)
    health = rollup.by_health
    return DeliverySummary(
        projects=rollup.projects,
        programmes=rollup.programmes,
        by_health=HealthCounts(green=health.green, amber=health.amber, red=health.red, unknown=health.unknown),
        budget=rollup.budget,
        actual_cost=rollup.actual_cost,
        key_results=rollup.key_results,
        key_result_progress=rollup.key_result_progress,
    )


async def _delivered_by(root, info: Info, kinds: list[Kind] | None = [Kind.PROJECT, Kind.PROGRAMME],  # noqa: B006
                        include_cancelled: bool | None = False, first: int | None = 50,
                        after: str | None = None) -> DeliveryConnection:
    return await delivery_connection(info, root.record.id, list(kinds) if kinds is not None else None,
                                     include_cancelled, first, after, root.at)


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
