"""Figures executives expect on strategy entities: who delivers, in what health, at what cost and progress,
their RAG, the benefits that serve them and who is accountable."""

from functools import cache

import strawberry

from valuegraph.api.graphql.arguments import After, First, IncludeCancelled, Kinds
from valuegraph.api.graphql.core import DeliveryConnection, Info, ask
from valuegraph.api.graphql.enums import Kind, Rag
from valuegraph.api.graphql.objects import KIND_TYPES, entity_object
from valuegraph.api.graphql.queries import delivery_connection
from valuegraph.graph.questions import RAG_AMBER_BELOW, RAG_RED_BELOW, key_result_progress

RAG_RULE = (f"RED when any open delivering project is red or key-result progress is below {RAG_RED_BELOW}; "
            f"otherwise AMBER when any is amber or key-result progress is below {RAG_AMBER_BELOW}; otherwise "
            "GREEN when at least one open delivering project has a health or key-result progress is known; "
            "UNKNOWN when neither is.")


@strawberry.type(description="Projects counted by health.")
class HealthCounts:
    green: int = strawberry.field(description="Projects whose health is green.")
    amber: int = strawberry.field(description="Projects whose health is amber.")
    red: int = strawberry.field(description="Projects whose health is red.")
    unknown: int = strawberry.field(description="Projects with no health given.")


@strawberry.type(description="The benefits of one unit that serve an objective or goal, their values summed.")
class BenefitTotal:
    unit: str | None = strawberry.field(description="The benefits' unit (null: benefits that give none).")
    expected: float = strawberry.field(description="Sum of their expectedValue (missing counts as 0).")
    realised: float = strawberry.field(description="Sum of their realisedValue (missing counts as 0).")
    benefits: int = strawberry.field(description="How many benefits of this unit serve it.")


@strawberry.type(description="How figures are meant to be shown.")
class DisplaySettings:
    currency: str = strawberry.field(description="Currency of every budget and cost (VALUEGRAPH_CURRENCY, "
                                                 "default EUR), e.g. EUR, GBP, USD.")


@cache
def delivery_summary_type() -> type:
    """The DeliverySummary type, made once the per-kind types exist (``accountable`` lists Person objects)."""
    person = KIND_TYPES["Person"]

    @strawberry.type(description="The open and completed (not cancelled) projects and programmes that deliver "
                                 "an objective or goal, rolled up as a steering pack reads them.")
    class DeliverySummary:
        projects: int = strawberry.field(description="Delivering projects, open and completed (not cancelled).")
        programmes: int = strawberry.field(description="Delivering programmes, open and completed (not cancelled).")
        by_health: HealthCounts = strawberry.field(description="The delivering projects counted by health.")
        budget: float = strawberry.field(
            description="Total budget of ALL delivering projects, open and completed (not cancelled); missing "
                        "counts as 0. See openBudget for the open ones only.")
        open_budget: float = strawberry.field(
            description="Budget of the open (neither completed nor cancelled) delivering projects, each once; "
                        "missing counts as 0. The same figure as analytics.budgetByObjective.")
        actual_cost: float = strawberry.field(
            description="Total actualCost of the delivering projects, open and completed (missing counts as 0).")
        progress: float | None = strawberry.field(
            description="Budget-weighted mean progress (0..1) of the delivering projects that have a progress "
                        "(the plain mean when their budgets sum to 0); null when none has one.")
        key_results: int = strawberry.field(description="Key results that measure it directly.")
        key_result_progress: float | None = strawberry.field(
            description="Mean progress (current - baseline) / (target - baseline) of those key results that have "
                        "one.")
        rag: Rag | None = strawberry.field(description=f"Derived RAG: {RAG_RULE}")
        rag_reason: str | None = strawberry.field(description="One sentence saying why rag is what it is.")
        benefits: list[BenefitTotal] = strawberry.field(
            description="The non-cancelled benefits that serve it (a value path leads from them to it, e.g. "
                        "CONTRIBUTES_TO a key result that MEASURES it), grouped per unit in unit order, the "
                        "group without a unit last.")
        accountable: list[person] = strawberry.field(
            description="The people who OWN or SPONSOR it directly, in id order (teams that own it are not "
                        "listed).")

    return DeliverySummary


async def _summary(root, info: Info):
    rollup = await ask(info.context.view(root.at).questions.delivery_rollup, root.record.id)
    health = rollup.by_health
    return delivery_summary_type()(
        projects=rollup.projects,
        programmes=rollup.programmes,
        by_health=HealthCounts(green=health.green, amber=health.amber, red=health.red, unknown=health.unknown),
        budget=rollup.budget,
        open_budget=rollup.open_budget,
        actual_cost=rollup.actual_cost,
        progress=rollup.progress,
        key_results=rollup.key_results,
        key_result_progress=rollup.key_result_progress,
        rag=Rag(rollup.rag.status),
        rag_reason=rollup.rag.reason,
        benefits=[BenefitTotal(unit=b.unit, expected=b.expected, realised=b.realised, benefits=b.benefits)
                  for b in rollup.benefits],
        accountable=[entity_object(r, root.at) for r in rollup.accountable],
    )


async def _delivered_by(root, info: Info, kinds: Kinds = [Kind.PROJECT, Kind.PROGRAMME],  # noqa: B006
                        include_cancelled: IncludeCancelled = False, first: First = 50,
                        after: After = None) -> DeliveryConnection:
    return await delivery_connection(info, root.record.id, list(kinds) if kinds is not None else None,
                                     include_cancelled, first, after, root.at)


def _progress(root) -> float | None:
    return key_result_progress(root.record.properties)


def extra_fields() -> dict[str, dict]:
    """Fields the per-kind types add to their vocabulary fields; asked once the per-kind classes exist."""
    summary_type = delivery_summary_type()

    async def summary(root, info: Info) -> summary_type:
        return await _summary(root, info)

    delivered_by = lambda: strawberry.field(
        resolver=_delivered_by, name="deliveredBy",
        description="What delivers this: the same answer as Query.whatDelivers.")
    delivery = lambda: strawberry.field(
        resolver=summary, name="delivery",
        description="Its delivery rolled up: counts, health, budgets, progress, RAG, benefits, accountable people.")
    return {
        "Goal": {"deliveredBy": delivered_by(), "delivery": delivery()},
        "Objective": {"deliveredBy": delivered_by(), "delivery": delivery()},
        "KeyResult": {"deliveredBy": delivered_by(),
                      "progress": strawberry.field(resolver=_progress, name="progress",
                                                   description="(current - baseline) / (target - baseline)")},
        "Benefit": {"deliveredBy": delivered_by()},
        "Outcome": {"deliveredBy": delivered_by()},
        "CustomerSegment": {"deliveredBy": delivered_by()},
    }
