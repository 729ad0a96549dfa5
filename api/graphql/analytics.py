"""`analytics { … }`: the graph analytics (graph/analytics.py, asked through graph/questions.py) in GraphQL."""


import strawberry

from valuegraph.api.graphql.arguments import Top
from valuegraph.api.graphql.core import Entity, Info, ask
from valuegraph.api.graphql.objects import load_entities, load_entity


@strawberry.type(description="A project and the strategy it serves.")
class StrategicReach:
    project: Entity = strawberry.field(description="The open project.")
    objectives: int = strawberry.field(description="Objectives it serves (a value path leads to them).")
    goals: int = strawberry.field(description="Goals it serves (a value path leads to them).")
    weighted_reach: float = strawberry.field(description="Sum over the objectives and goals served of the best "
                                                         "product of relation weights on a value path (missing = 1).")


@strawberry.type(description="A work item whose slip affects the most strategy.")
class CriticalDependency:
    item: Entity = strawberry.field(description="The project, programme or deliverable.")
    dependents: int = strawberry.field(description="Work items that depend on it, directly or through others.")
    affected_objectives_and_goals: int = strawberry.field(
        description="Objectives and goals that it or its dependents reach by value paths.")


@strawberry.type(description="An objective or goal that only one project delivers.")
class ConcentrationRisk:
    target: Entity = strawberry.field(description="The objective or goal.")
    project: Entity = strawberry.field(description="The only project that delivers it.")


@strawberry.type(description="The budget of the open projects delivering an objective or goal, each project once "
                             "(the same figure as its delivery.openBudget).")
class ObjectiveBudget:
    objective: Entity = strawberry.field(description="The objective or goal.")
    budget: float = strawberry.field(description="Sum of the open (neither completed nor cancelled) projects' "
                                                 "budgets, each once (missing counts as 0): the objective's "
                                                 "delivery.openBudget, not delivery.budget (which adds completed "
                                                 "projects).")
    projects: int = strawberry.field(description="Open projects that deliver it.")


@strawberry.type(description="Graph analytics; each field's description says how it is computed.")
class Analytics:
    # the revision the analytics answer at (None: the present)
    at: strawberry.Private[int | None] = None

    @strawberry.field(description="Open projects ranked by the objectives and goals they serve, weighted by "
                                  "relation weights.")
    async def strategic_reach(self, info: Info, top: Top = 10) -> list[StrategicReach]:
        found = await ask(info.context.view(self.at).questions.strategic_reach, top or 10)
        projects = await load_entities(info, [r.project for r in found], self.at)
        return [StrategicReach(project=p, objectives=r.objectives, goals=r.goals, weighted_reach=r.weighted)
                for p, r in zip(projects, found, strict=True)]

    @strawberry.field(description="Work items whose slip affects the most objectives and goals through "
                                  "DEPENDS_ON (the strategic part of their impact).")
    async def critical_dependencies(self, info: Info, top: Top = 10) -> list[CriticalDependency]:
        found = await ask(info.context.view(self.at).questions.critical_dependencies, top or 10)
        items = await load_entities(info, [c.item for c in found], self.at)
        return [CriticalDependency(item=i, dependents=c.dependents, affected_objectives_and_goals=c.affected_strategy)
                for i, c in zip(items, found, strict=True)]

    @strawberry.field(description="DEPENDS_ON cycles, each as the list of its entities.")
    async def dependency_cycles(self, info: Info) -> list[list[Entity]]:
        return [await load_entities(info, cycle, self.at) for cycle in await ask(info.context.view(self.at).questions.dependency_cycles)]

    @strawberry.field(description="Objectives and goals that become unsupported if a single project stops.")
    async def concentration(self, info: Info) -> list[ConcentrationRisk]:
        found = await ask(info.context.view(self.at).questions.concentration)
        return [ConcentrationRisk(target=await load_entity(info, c.target, self.at),
                                  project=await load_entity(info, c.project, self.at))
                for c in found]

    @strawberry.field(description="Budget of the open (neither completed nor cancelled) projects delivering each "
                                  "objective and goal, without counting a project twice for one objective: each "
                                  "one's delivery.openBudget.")
    async def budget_by_objective(self, info: Info) -> list[ObjectiveBudget]:
        found = await ask(info.context.view(self.at).questions.budget_by_objective)
        targets = await load_entities(info, [b.objective for b in found], self.at)
        return [ObjectiveBudget(objective=t, budget=b.budget, projects=b.projects)
                for t, b in zip(targets, found, strict=True)]
