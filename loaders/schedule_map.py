"""A read schedule mapped to an exchange document (see README, "Schedules").

- each project → a Project: ``name``, ``startDate``, ``endDate``, ``progress`` (percent complete / 100),
  ``budget`` (baseline cost, else cost), ``actualCost``, ``status`` (completed at 100 %, else active),
  ``baselineEndDate`` and ``health`` from the forecast finish against the baseline finish;
- milestones and top-level summary tasks → Deliverables the project DELIVERS (``dueDate`` from the finish,
  ``status`` completed at 100 %, else active);
- work resources → Persons MEMBER_OF the project; the file's manager → Person MANAGES the project;
- links from a task to a task of another project in the same file → DEPENDS_ON between the deliverables
  holding them (or their projects);
- the custom field or activity code the recipe names → CONTRIBUTES_TO the objective whose id (or, with
  ``objective_system``, external id) it holds, from the deliverable holding the task, or from the project for
  a project-level value.

Ids are made from what stays the same when a plan is saved again, in any format: the project's P6 id (its
short name) or else its title or name; a task's P6 activity id or else its unique id (kept by Microsoft
Project across saves and formats); a person's name. The recipe's ``id_prefix`` goes before each of them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from valuegraph.graph.errors import SyncError
from valuegraph.graph.model import Document
from valuegraph.loaders.schedule_read import Plan, PlanProject, PlanTask
from valuegraph.loaders.validate import RawItem, Where, validate
from valuegraph.schema.text import system_name_fault


class HealthThresholds(BaseModel):
    """Health from how many calendar days the forecast finish lies after the baseline finish."""

    model_config = ConfigDict(extra="forbid")

    amber_after_days: int = Field(5, ge=0, description="later than this: amber (up to it: green)")
    red_after_days: int = Field(30, ge=0, description="later than this: red")

    @model_validator(mode="after")
    def _ordered(self) -> HealthThresholds:
        if self.red_after_days < self.amber_after_days:
            raise ValueError("red_after_days must not be smaller than amber_after_days")
        return self

    def health(self, finish: dt.date | None, baseline: dt.date | None) -> str | None:
        if finish is None or baseline is None:
            return None
        late = (finish - baseline).days
        return "green" if late <= self.amber_after_days else "amber" if late <= self.red_after_days else "red"


class ScheduleRecipe(BaseModel):
    """What a schedule recipe may change in the mapping (``valuegraph load PLAN --recipe FILE``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "schedule"
    description: str = ""
    id_prefix: str = Field("", description="put before every id this schedule makes")
    project_id: Literal["code", "guid", "name"] = Field(
        "code", description="code: P6's project id, else the title or name; guid: the project's GUID, else as "
                            "code; name: the title or name")
    objective_field: str | None = Field(None, description="a custom field, document property or activity code "
                                                          "whose value is an objective's id")
    objective_system: str | None = Field(None, description="the field holds the objective's external id in this "
                                                           "system (e.g. jira) instead of its id")
    objective_split: str | None = Field(None, description="a value listing several ids, separated by this")
    health: HealthThresholds = HealthThresholds()

    @model_validator(mode="after")
    def _known_system(self) -> ScheduleRecipe:
        if self.objective_system is not None and (fault := system_name_fault(self.objective_system)):
            raise ValueError(f"objective_system: {fault}")
        return self


#: Microsoft Project names a project after its file: the name is taken without the file's ending, so that
#: the same plan saved as .xml and .mpp has one name
FILE_ENDINGS = (".xml", ".mpp", ".mpt", ".mpx")


def _project_name(project: PlanProject, fallback: str) -> str:
    if project.title:
        return project.title
    name = project.name or fallback
    return name[: -len(ending)] if (ending := Path(name).suffix.lower()) in FILE_ENDINGS else name


def _project_key(project: PlanProject, recipe: ScheduleRecipe, fallback: str) -> str:
    named = _project_name(project, fallback)
    if recipe.project_id == "name":
        return named
    if recipe.project_id == "guid" and project.guid:
        return project.guid
    return project.code or named


def _task_key(task: PlanTask) -> str:
    return task.activity_id or f"task-{task.uid}"


def _status(percent: float | None) -> str:
    return "completed" if percent is not None and percent >= 100 else "active"


def _progress(project: PlanProject) -> float | None:
    """The project summary task's percent complete where the file has one (Microsoft Project), else the
    leaf tasks' percent complete weighted by their planned durations (equally when none has a duration)."""
    summary = next((t for t in project.tasks if t.outline_level == 0), None)
    if summary is not None and summary.percent is not None:
        return round(summary.percent / 100, 4)
    leaves = [t for t in project.tasks if not t.summary and t.percent is not None]
    if not leaves:
        return None
    weight = sum(t.hours for t in leaves)
    mean = (sum(t.percent * t.hours for t in leaves) / weight if weight
            else sum(t.percent for t in leaves) / len(leaves))
    return round(mean / 100, 4)


def _costs(project: PlanProject) -> tuple[float | None, float | None]:
    """(budget, actual cost): the summary task's where the file has one, else the leaf tasks' sums."""
    summary = next((t for t in project.tasks if t.outline_level == 0), None)
    items = [summary] if summary is not None else [t for t in project.tasks if not t.summary]

    def total(values: list[float | None]) -> float | None:
        given = [v for v in values if v is not None]
        return round(sum(given), 2) if given else None

    # a zero is taken for "not given": formats differ in whether they write one (MPX leaves it out)
    baseline = total([t.baseline_cost for t in items])
    budget = baseline or total([t.cost for t in items])
    return budget or None, total([t.actual_cost for t in items]) or None


def _deliverable_tasks(project: PlanProject) -> list[PlanTask]:
    """Milestones and top-level summary tasks (level 1: level 0 is Microsoft Project's project summary)."""
    top = min((t.outline_level for t in project.tasks if t.outline_level > 0), default=1)
    return [t for t in project.tasks
            if t.name and t.outline_level > 0 and (t.milestone or (t.summary and t.outline_level == top))]


def _split(value: str, separator: str | None) -> list[str]:
    parts = value.split(separator) if separator else [value]
    return [p.strip() for p in parts if p.strip()]


def plan_document(plan: Plan, recipe: ScheduleRecipe, origin: str, fallback_name: str) -> Document:
    """The exchange document for ``plan``; ``fallback_name`` names a project that has neither title nor name."""
    entities: list[RawItem] = []
    relations: list[RawItem] = []
    warnings: list[SyncError] = []
    made: set[str] = set()
    related: set[tuple[str, str, str]] = set()
    prefix = recipe.id_prefix

    def entity(data: dict, where: str) -> None:
        if data["id"] not in made:
            made.add(data["id"])
            entities.append(RawItem({k: v for k, v in data.items() if v is not None}, Where(f"{origin}: {where}")))

    def relation(a: str, kind: str, b: str, where: str, system: str | None = None) -> None:
        # with a system, b is the end's external id in it, resolved when the document is synced
        if a != b and (a, kind, b, system) not in related:
            related.add((a, kind, b, system))
            end = {"externalId": {system: b}} if system else b
            relations.append(RawItem({"from": a, "type": kind, "to": end}, Where(f"{origin}: {where}")))

    project_ids = [f"{prefix}{_project_key(p, recipe, fallback_name)}" for p in plan.projects]
    # the deliverable (or else the project) that stands for each task: itself, or its nearest deliverable
    # ancestor, so that links and objectives on any task land on something in the graph
    stands_for: list[dict[int, str]] = []
    for project, project_id in zip(plan.projects, project_ids):
        deliverables = {t.uid: f"{project_id}/{_task_key(t)}" for t in _deliverable_tasks(project)}
        by_uid = {t.uid: t for t in project.tasks}
        standing: dict[int, str] = {}
        for task in project.tasks:
            node, seen = task, set()
            while node is not None and node.uid not in deliverables and node.uid not in seen:
                seen.add(node.uid)
                node = by_uid.get(node.parent_uid) if node.parent_uid is not None else None
            standing[task.uid] = deliverables[node.uid] if node is not None and node.uid in deliverables else project_id
        stands_for.append(standing)

    for n, (project, project_id) in enumerate(zip(plan.projects, project_ids)):
        where = f"project {project_id}"
        progress = _progress(project)
        budget, actual = _costs(project)
        entity({"id": project_id, "kind": "Project", "name": _project_name(project, fallback_name),
                "startDate": project.start, "endDate": project.finish, "progress": progress,
                "budget": budget, "actualCost": actual,
                "status": _status(progress * 100 if progress is not None else None),
                "baselineEndDate": project.baseline_finish,
                "health": recipe.health.health(project.finish, project.baseline_finish)}, where)
        for task in _deliverable_tasks(project):
            deliverable_id = stands_for[n][task.uid]
            entity({"id": deliverable_id, "kind": "Deliverable", "name": task.name, "dueDate": task.finish,
                    "status": _status(task.percent), "baselineDueDate": task.baseline_finish},
                   f"task {task.uid} ({task.name})")
            relation(project_id, "DELIVERS", deliverable_id, f"task {task.uid}")
        for resource in project.resources:
            if resource.work and resource.name:
                person_id = f"{prefix}person/{resource.name}"
                entity({"id": person_id, "kind": "Person", "name": resource.name, "email": resource.email},
                       f"resource {resource.uid} ({resource.name})")
                relation(person_id, "MEMBER_OF", project_id, f"resource {resource.uid}")
        if project.manager:
            manager_id = f"{prefix}person/{project.manager}"
            entity({"id": manager_id, "kind": "Person", "name": project.manager}, f"{where} manager")
            relation(manager_id, "MANAGES", project_id, f"{where} manager")
        external = 0
        for task in project.tasks:
            external += task.external_predecessors
            for other_project, other_uid in task.cross_project_predecessors:
                prerequisite = stands_for[other_project].get(other_uid, project_ids[other_project])
                relation(stands_for[n][task.uid], "DEPENDS_ON", prerequisite,
                         f"task {task.uid} predecessor {other_uid}")
        if external:
            warnings.append(SyncError(origin, f"left out {external} links of {project_id} to tasks in other files "
                                              "(external tasks): load the other file and link them in its own source"))
        if recipe.objective_field:
            field = recipe.objective_field
            for objective in _split(project.fields.get(field, ""), recipe.objective_split):
                relation(project_id, "CONTRIBUTES_TO", objective, f"{where}, field {field}", recipe.objective_system)
            for task in project.tasks:
                if task.outline_level == 0:
                    continue  # the project's own value, taken above
                for objective in _split(task.fields.get(field, ""), recipe.objective_split):
                    relation(stands_for[n][task.uid], "CONTRIBUTES_TO", objective,
                             f"task {task.uid} ({task.name}), field {field}", recipe.objective_system)
    doc = validate(None, entities, relations, origin)
    doc.warnings = warnings
    return doc
