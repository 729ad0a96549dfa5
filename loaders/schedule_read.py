"""A schedule file read through MPXJ's universal reader into plain Python values.

Everything Java stays in this module: the mapping to valuegraph's vocabulary (``schedule_map.py``) works on
the dataclasses below, which hold what the mapping needs and nothing of MPXJ's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from valuegraph.graph.errors import DocumentRejected, SyncError
from valuegraph.loaders.schedule_formats import sniff
from valuegraph.loaders.schedule_jvm import start_jvm

READS = ("Microsoft Project (.mpp, .mpx, MSPDI XML), Primavera P6 (XER, PMXML), GNOME Planner, GanttProject, "
         "Asta Powerproject, ProjectLibre and the other formats MPXJ's universal reader detects")


@dataclass(slots=True)
class PlanTask:
    uid: int
    activity_id: str | None  # P6's activity id (the planner's own code); None in Microsoft Project files
    name: str | None
    outline_level: int
    parent_uid: int | None
    summary: bool
    milestone: bool
    start: dt.date | None
    finish: dt.date | None
    baseline_finish: dt.date | None
    percent: float | None  # 0-100, by the task's percent complete type (duration, physical or units)
    hours: float  # planned duration in hours: the weight of the task's percent complete in the project's
    cost: float | None
    baseline_cost: float | None
    actual_cost: float | None
    #: the tasks this task follows that belong to another project of the same file: (project index, uid)
    cross_project_predecessors: list[tuple[int, int]] = field(default_factory=list)
    #: predecessors in other files (Microsoft Project's external tasks), which this file cannot name
    external_predecessors: int = 0
    #: values of the custom fields and activity codes asked for, by their name
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class PlanResource:
    uid: int
    name: str | None
    work: bool  # a work resource (a person or a team), not a material or a cost
    email: str | None


@dataclass(slots=True)
class PlanProject:
    code: str | None  # P6's project id (its short name)
    guid: str | None
    title: str | None
    name: str | None
    manager: str | None
    start: dt.date | None
    finish: dt.date | None
    baseline_finish: dt.date | None
    tasks: list[PlanTask]
    resources: list[PlanResource]
    #: the project's own values of the fields asked for (document properties, project codes)
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Plan:
    format: str  # in words, as in "Primavera P6 (XER)"
    projects: list[PlanProject]


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(value) -> dt.date | None:
    # LocalDateTime prints as 2003-01-07T08:00; its date is what valuegraph keeps
    return dt.date.fromisoformat(str(value)[:10]) if value is not None else None


def _number(value) -> float | None:
    if value is None:
        return None
    return float(value.doubleValue()) if hasattr(value, "doubleValue") else float(value)


def _cause(exc) -> str:
    """The innermost message of a Java exception chain (where the parser says what is wrong)."""
    message = None
    while exc is not None:
        message = _text(exc.getMessage()) or message
        exc = exc.getCause()
    return message or "no detail given"


def _percent(task) -> float | None:
    kind = _text(task.getPercentCompleteType())
    if kind == "PHYSICAL":
        return _number(task.getPhysicalPercentComplete())
    if kind == "UNITS":
        return _number(task.getPercentageWorkComplete())
    return _number(task.getPercentageComplete())


def _hours(task, properties, hours_unit) -> float:
    duration = task.getPlannedDuration() or task.getDuration()
    if duration is None:
        return 0.0
    return max(float(duration.convertUnits(hours_unit, properties).getDuration()), 0.0)


def _field_values(task, names: tuple[str, ...]) -> dict[str, str]:
    values = {}
    codes = {}
    assigned = task.getActivityCodeValues()  # a map: activity code -> the task's value of it
    for value in assigned.values() if assigned is not None else ():
        codes[_text(value.getParentCode().getName())] = _text(value.getName())
    for name in names:
        value = _text(task.getFieldByAlias(name)) or codes.get(name)
        if value is not None:
            values[name] = value
    return values


def read_plan(path: Path, fields: tuple[str, ...] = ()) -> Plan:
    """Every project ``path`` holds, with the values of the custom fields or activity codes named in
    ``fields``; DocumentRejected with a plain sentence when the file is no schedule or cannot be read."""
    origin = str(path)
    kind = sniff(path)
    if kind == "Primavera P6 (XER)" and not _xer_complete(path):
        raise DocumentRejected([SyncError(origin, "this Primavera P6 XER file is cut short: its closing %E line "
                                                  "is missing, so it may be truncated; export it again")])
    if kind is None and _archive(path):
        # MPXJ's universal reader would unpack it into a temporary folder, however large it unpacks
        raise DocumentRejected([SyncError(origin, "this file is an archive (zip, gzip, 7z or rar): valuegraph does "
                                                  "not unpack archives; give it the schedule file itself")])
    jpype = start_jvm(path)
    # Java's classes can be imported once the JVM runs, so only here
    from org.mpxj import MPXJException, TimeUnit
    from org.mpxj.reader import UniversalProjectReader

    try:
        files = _read_all(UniversalProjectReader(), origin)
    except MPXJException as exc:
        what = kind or "a schedule"
        raise DocumentRejected([SyncError(origin, f"this file looks like {what} but cannot be read; it may be "
                                                  f"truncated or damaged ({_cause(exc)})")]) from exc
    except jpype.JException as exc:
        raise DocumentRejected([SyncError(origin, f"the schedule cannot be read: {_cause(exc)}")]) from exc
    if files is None or files.isEmpty():
        if kind is not None:
            raise DocumentRejected([SyncError(origin, f"this file looks like {kind} but cannot be read; it may be "
                                                      "truncated or damaged")])
        raise DocumentRejected([SyncError(origin, "this file is not a schedule valuegraph can read; "
                                                  f"it reads {READS}")])
    index = {files.get(i): i for i in range(files.size())}
    projects = [_project(f, index, fields, TimeUnit.HOURS) for f in files]
    if not any(p.tasks for p in projects):
        raise DocumentRejected([SyncError(origin, "the schedule holds no tasks; it may be truncated or empty")])
    return Plan(kind or _text(files.get(0).getProjectProperties().getFileType()) or "a schedule", projects)


def _read_all(universal, origin: str):
    """Every project of the file (a P6 export may hold several), tasks linked across them; None when no
    reader knows the format."""
    proxy = universal.getProjectReaderProxy(origin)
    if proxy is None:
        return None
    try:
        reader = proxy.getProjectReader()
        # P6 readers leave links between projects of one file out unless asked (XER and PMXML)
        if hasattr(reader, "setLinkCrossProjectRelations"):
            reader.setLinkCrossProjectRelations(True)
        return proxy.readAll()
    finally:
        proxy.close()


#: the first bytes of archive formats
ARCHIVES = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!")


def _archive(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(8).startswith(ARCHIVES)


def _xer_complete(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(max(path.stat().st_size - 256, 0))
        tail = handle.read().rstrip()
    return tail.endswith(b"%E")


def _project(file, index, fields: tuple[str, ...], hours_unit) -> PlanProject:
    properties = file.getProjectProperties()
    summary = None
    tasks = []
    for task in file.getTasks():
        if task.getUniqueID() is None:
            continue
        level = task.getOutlineLevel()
        parent = task.getParentTask()
        item = PlanTask(
            uid=int(task.getUniqueID().intValue()), activity_id=_text(task.getActivityID()), name=_text(task.getName()),
            outline_level=int(level.intValue()) if level is not None else 1,
            parent_uid=int(parent.getUniqueID().intValue()) if parent is not None else None,
            summary=bool(task.getSummary()), milestone=bool(task.getMilestone()),
            start=_date(task.getStart()), finish=_date(task.getFinish()),
            baseline_finish=_date(task.getBaselineFinish()), percent=_percent(task),
            hours=_hours(task, properties, hours_unit), cost=_number(task.getCost()),
            baseline_cost=_number(task.getBaselineCost()), actual_cost=_number(task.getActualCost()),
            fields=_field_values(task, fields))
        if task.getExternalTask():
            continue  # a placeholder for a task of another file: counted on the tasks that follow it
        for relation in task.getPredecessors() or ():
            other = relation.getPredecessorTask()
            if other is None:
                continue
            if other.getExternalTask():
                item.external_predecessors += 1
            elif (where := index.get(other.getParentFile())) is not None and other.getParentFile() != file:
                item.cross_project_predecessors.append((where, int(other.getUniqueID().intValue())))
        tasks.append(item)
        if item.outline_level == 0:
            summary = item
    resources = [PlanResource(uid=int(r.getUniqueID().intValue()), name=_text(r.getName()),
                              work=_text(r.getType()) in (None, "WORK"), email=_text(r.getEmailAddress()))
                 for r in file.getResources() if r.getUniqueID() is not None]
    custom = {(_text(k) or ""): _text(v) for k, v in (properties.getCustomProperties() or {}).items()}
    project_fields = {name: custom[name] for name in fields if custom.get(name)}
    if summary is not None:  # Microsoft Project keeps a project's own field values on its summary task
        project_fields = {**summary.fields, **project_fields}
    return PlanProject(
        code=_text(properties.getProjectID()), guid=_text(properties.getGUID()),
        title=_text(properties.getProjectTitle()), name=_text(properties.getName()),
        manager=_text(properties.getManager()), start=_date(properties.getStartDate()),
        finish=_date(properties.getFinishDate()),
        baseline_finish=_date(properties.getBaselineFinish()) or (summary.baseline_finish if summary else None),
        tasks=tasks, resources=resources, fields=project_fields)
