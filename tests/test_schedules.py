"""Schedules (Microsoft Project, Primavera P6) read through MPXJ into projects, deliverables and people.

The sample plans are MPXJ's own test files (tests/data/schedules/README.md). ``sample.xml`` (MSPDI) and
``sample.mpp`` are the same plan except that the .mpp has three more tasks under the summary task
"Task Relationships" (uid 19): "Resource Assignments" with "Assigned Task 1" and "Assigned Task 2", which
run to 14 January 2003 and cost 645.00. So the deliverable "Task Relationships" is due on 9 January in
the .xml and 14 January in the .mpp, and the project's cost (its budget: neither file has a baseline cost)
is 3,526.25 in the .xml and 4,171.25 in the .mpp; nothing else may differ.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from valuegraph.cli.main import app
from valuegraph.graph import DocumentRejected, ValueGraph, open_store
from valuegraph.graph.questions import Questions
from valuegraph.loaders import loader_for, parse_yaml
from valuegraph.loaders.schedule import ScheduleLoader, load_schedule_recipe
from valuegraph.loaders.schedule_jvm import ScheduleReaderMissing, start_jvm

from tests.conftest import ROOT, TEST_DATA
from tests.utils.server import serve_in_thread

SCHEDULES = TEST_DATA / "schedules"
PLAN_XML = SCHEDULES / "sample.xml"
PLAN_MPP = SCHEDULES / "sample.mpp"
P6 = SCHEDULES / "percent-complete-8.4.xer"
ARCHIMATE = TEST_DATA / "archimate" / "aoeff_3_1_archi_5_0_2.xml"
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def java():
    """MPXJ on a running JVM; skipped without the extra or Java only outside `make test`."""
    try:
        start_jvm(PLAN_XML)
    except ScheduleReaderMissing as exc:
        if os.environ.get("VALUEGRAPH_STRICT_TESTS"):
            pytest.fail(f"`make test` installs valuegraph[schedules] and needs Java: {exc.errors[0].message}")
        pytest.skip(exc.errors[0].message)


def document(path: Path, recipe: str | None = None):
    (doc,) = loader_for(path, recipe=recipe).documents()
    assert doc.errors == []
    return doc


def facts(doc) -> tuple[dict, set]:
    """(entity id -> (kind, properties), relation keys) of a document."""
    return ({e.id: (e.kind, dict(e.properties)) for e in doc.entities},
            {(r.key.from_id, r.key.type, r.key.to_id) for r in doc.relations})


def differences(a: dict, b: dict) -> set[tuple[str, str]]:
    """(entity id, property) whose values differ between two documents' entities (same ids)."""
    assert a.keys() == b.keys()
    return {(i, p) for i in a for p in a[i][1].keys() | b[i][1].keys() if a[i][1].get(p) != b[i][1].get(p)}


def write_plan(target: Path, change=None) -> Path:
    """sample.xml read by MPXJ, changed by ``change(project)`` and written by MPXJ's MSPDI or MPX writer."""
    start_jvm(target)
    from org.mpxj.mpx import MPXWriter
    from org.mpxj.mspdi import MSPDIWriter
    from org.mpxj.reader import UniversalProjectReader

    project = UniversalProjectReader().read(str(PLAN_XML))
    if change is not None:
        change(project)
    (MPXWriter() if target.suffix == ".mpx" else MSPDIWriter()).write(project, str(target))
    return target


def task(project, uid: int):
    return next(t for t in project.getTasks() if t.getUniqueID() == uid)


def load(path: Path, store: str, *options: str):
    result = runner.invoke(app, ["load", str(path), "--source", "plans", "--store", store, "--json", *options])
    return result, json.loads(result.stdout) if result.stdout.strip() else None


def nothing_written(store: str) -> bool:
    shown = json.loads(runner.invoke(app, ["stats", "--store", store, "--json"]).stdout)
    return not any(shown["entities"].values()) and not any(shown["relations"].values()) and not shown["sources"]


# ---------------------------------------------------------------- acceptance 1


def test_the_plan_as_xml_and_mpp_gives_the_same_graph_but_for_the_one_task_the_mpp_adds_to():
    xml_entities, xml_relations = facts(document(PLAN_XML))
    mpp_entities, mpp_relations = facts(document(PLAN_MPP))
    assert xml_relations == mpp_relations
    assert {i: (k, p["name"]) for i, (k, p) in xml_entities.items()} == \
        {i: (k, p["name"]) for i, (k, p) in mpp_entities.items()}
    # what may differ, and nothing else (see the module's docstring)
    assert differences(xml_entities, mpp_entities) == {("sample/task-19", "dueDate"), ("sample", "budget")}
    assert xml_entities["sample/task-19"][1]["dueDate"] == dt.date(2003, 1, 9)
    assert mpp_entities["sample/task-19"][1]["dueDate"] == dt.date(2003, 1, 14)
    assert (xml_entities["sample"][1]["budget"], mpp_entities["sample"][1]["budget"]) == (3526.25, 4171.25)
    # the mapping: milestones and top-level summary tasks, work resources with a name
    deliverables = sorted(p["name"] for k, p in xml_entities.values() if k == "Deliverable")
    assert deliverables == ["First Task", "Recurring Task", "Task Relationships", "Third task"]
    persons = sorted(p["name"] for k, p in xml_entities.values() if k == "Person")
    assert persons == ["First Resource", "Second Resource"]
    assert {t for _, t, _ in xml_relations} == {"DELIVERS", "MEMBER_OF"}
    assert xml_entities["sample"] == ("Project", {
        "name": "sample", "startDate": dt.date(2003, 1, 7), "endDate": dt.date(2003, 3, 18), "progress": 0.0,
        "budget": 3526.25, "status": "active"})  # no actual cost: nothing spent


def test_the_plan_as_xml_and_as_mpx_gives_the_same_graph(tmp_path):
    mpx = write_plan(tmp_path / "sample.mpx")
    assert mpx.read_bytes().startswith(b"MPX")
    xml_entities, xml_relations = facts(document(PLAN_XML))
    mpx_entities, mpx_relations = facts(document(mpx))
    assert xml_relations == mpx_relations
    assert differences(xml_entities, mpx_entities) == set()


def test_loading_the_mpp_after_the_xml_updates_only_what_differs(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    result, (first,) = load(PLAN_XML, store)
    assert result.exit_code == 0, result.output
    assert first["created"] == 7 + 6  # the project, 4 deliverables, 2 persons; 4 DELIVERS, 2 MEMBER_OF
    result, (second,) = load(PLAN_MPP, store)
    assert result.exit_code == 0, result.output
    assert (second["created"], second["updated"], second["retracted"]) == (0, 2, 0)
    assert {k: v["updated"] for k, v in second["byKind"].items() if v["updated"]} == {"Project": 1, "Deliverable": 1}


def test_the_p6_file_gives_its_project_with_progress(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    result, _ = load(P6, store)
    assert result.exit_code == 0, result.output
    with ValueGraph(open_store(store)) as graph:
        project = graph.entity("EC00640")
    assert project.kind == "Project" and project.properties["name"] == "Percent Complete Test"
    # twelve activities of equal planned duration at 0, 25, 75 and 100 % by duration, physical and units
    # percent complete: the project is half done
    assert project.properties["progress"] == 0.5
    assert project.properties["endDate"] == project.properties["baselineEndDate"] == dt.date(2015, 7, 13)
    assert project.properties["health"] == "green"


@pytest.mark.parametrize("path", [PLAN_XML, PLAN_MPP, P6], ids=["xml", "mpp", "xer"])
def test_reloading_an_unchanged_schedule_changes_nothing(tmp_path, path):
    store = f"oxigraph:{tmp_path / 's'}"
    result, (first,) = load(path, store)
    assert result.exit_code == 0 and first["created"] > 0 and first["revision"] == 1
    result, (again,) = load(path, store)
    assert result.exit_code == 0, result.output
    assert (again["created"], again["updated"], again["retracted"]) == (0, 0, 0)
    assert again["unchanged"] == first["created"] and again["revision"] is None


def truncated(tmp_path: Path, source: Path, name: str) -> Path:
    data = source.read_bytes()
    target = tmp_path / name
    target.write_bytes(data[: len(data) // 2])
    return target


@pytest.mark.parametrize(("make", "said"), [
    (lambda d: truncated(d, PLAN_XML, "cut.xml"),
     "looks like Microsoft Project XML (MSPDI) but cannot be read; it may be truncated or damaged"),
    (lambda d: truncated(d, PLAN_MPP, "cut.mpp"),
     "looks like Microsoft Project (.mpp) but cannot be read; it may be truncated or damaged"),
    (lambda d: truncated(d, P6, "cut.xer"), "this Primavera P6 XER file is cut short: its closing %E line is missing"),
], ids=["xml", "mpp", "xer"])
def test_a_truncated_schedule_is_rejected_with_a_sentence_and_nothing_written(tmp_path, make, said):
    store = f"oxigraph:{tmp_path / 's'}"
    path = make(tmp_path)
    result, shown = load(path, store)
    assert result.exit_code == 1
    (error,) = shown["errors"]
    assert error["location"] == str(path) and said in error["message"]
    assert nothing_written(store)


def test_an_unsupported_file_is_rejected_with_a_sentence_and_nothing_written(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    text = tmp_path / "notes.txt"
    text.write_text("Project plan: see the wiki\n", encoding="utf-8")
    result, shown = load(text, store, "--format", "schedule")
    assert result.exit_code == 1
    (error,) = shown["errors"]
    assert error["message"].startswith("this file is not a schedule valuegraph can read; it reads Microsoft Project")
    # an ArchiMate model is XML too, but no schedule
    result, shown = load(ARCHIMATE, store, "--format", "schedule")
    assert result.exit_code == 1 and "is not a schedule valuegraph can read" in shown["errors"][0]["message"]
    # a file no loader claims: the schedule loader does not claim what it cannot read
    result, shown = load(text, store)
    assert result.exit_code == 1 and "no loader reads this file" in shown["errors"][0]["message"]
    assert nothing_written(store)


def test_a_schedule_with_a_doctype_or_in_an_archive_is_refused_and_reads_nothing_else(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("NOT-FOR-THE-GRAPH", encoding="utf-8")
    text = PLAN_XML.read_text(encoding="utf-8")
    hostile = tmp_path / "entity.xml"
    hostile.write_text(text.replace('<?xml version="1.0"?>', '<?xml version="1.0"?>\n<!DOCTYPE Project '
                                    f'[<!ENTITY leak SYSTEM "{secret.as_uri()}">]>', 1)
                       .replace("<Name>First Task</Name>", "<Name>&leak;</Name>", 1), encoding="utf-8")
    store = f"oxigraph:{tmp_path / 's'}"
    result, shown = load(hostile, store)
    assert result.exit_code == 1 and "DOCTYPE is disallowed" in shown["errors"][0]["message"]
    assert "NOT-FOR-THE-GRAPH" not in result.output
    archive = tmp_path / "plans.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(PLAN_XML, "sample.xml")
    result, shown = load(archive, store, "--format", "schedule")
    assert result.exit_code == 1
    assert shown["errors"][0]["message"].startswith("this file is an archive (zip, gzip, 7z or rar)")
    assert nothing_written(store)


def test_a_schedule_is_recognised_by_its_content_whatever_its_name(tmp_path):
    for source, name in [(PLAN_XML, "plan.dat"), (PLAN_MPP, "plan.bin"), (P6, "export.txt"), (PLAN_XML, "plan.XML")]:
        copy = tmp_path / name
        shutil.copyfile(source, copy)
        assert isinstance(loader_for(copy), ScheduleLoader), name
        assert facts(document(copy)) == facts(document(source))
    assert loader_for(ARCHIMATE).name == "archimate"
    mpx = write_plan(tmp_path / "plan.text")  # an MSPDI file under another name
    assert isinstance(loader_for(mpx), ScheduleLoader)
    assert not ScheduleLoader.accepts(ROOT / "examples" / "strategy.yaml")


def test_no_extra_or_no_java_is_a_sentence_naming_both(tmp_path):
    code = ("import sys; sys.modules['jpype'] = None\n"
            "from pathlib import Path\n"
            "from valuegraph.loaders import loader_for\n"
            "from valuegraph.graph import DocumentRejected\n"
            f"try: list(loader_for(Path({str(PLAN_XML)!r})).documents())\n"
            "except DocumentRejected as exc: print(exc.errors[0].message)\n")
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "needs the extra valuegraph[schedules]" in said and "Java 8 or later" in said
    assert "pip install 'valuegraph[schedules]'" in said
    unshare, mount = shutil.which("unshare"), shutil.which("mount")
    if os.geteuid() != 0 or unshare is None or mount is None or not Path("/usr/lib/jvm").is_dir():
        return  # hiding Java needs a private mount namespace (root, as in `make test` on CI)
    # no Java on the machine: its usual place is hidden behind an empty folder, PATH holds no java
    code = code.replace("sys.modules['jpype'] = None", "pass")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    env.pop("JAVA_HOME", None)
    script = f"{mount} -t tmpfs none /usr/lib/jvm && exec {sys.executable} -c \"$0\""
    hidden = subprocess.run([unshare, "-m", "/bin/sh", "-c", script, code], capture_output=True, text=True, env=env,
                            check=False)
    if hidden.returncode != 0 and hidden.stderr.startswith(("unshare:", "mount:")):
        return  # a container that allows no mount namespace: Java cannot be hidden here
    assert hidden.returncode == 0, hidden.stderr
    assert "reading schedules needs Java 8 or later and none was found" in hidden.stdout
    assert "the extra valuegraph[schedules] is installed" in hidden.stdout


def two_projects(target: Path) -> Path:
    """The P6 export with a second project (EC00650: copies of A1000 and A1010 as B1000 and B1010) whose
    B1000 follows A1030 of the first, as P6 writes a link between projects (TASKPRED with both proj_ids)."""
    out, table, fields = [], None, []

    def add(row: dict) -> None:
        out.append("%R\t" + "\t".join(row.get(f, "") for f in fields))

    for line in P6.read_text(encoding="latin-1").splitlines():
        if line == "%E":
            out += ["%T\tTASKPRED",
                    "%F\ttask_pred_id\ttask_id\tpred_task_id\tproj_id\tpred_proj_id\tpred_type\tlag_hr_cnt",
                    "%R\t9001\t201717\t101720\t4600\t4507\tPR_FS\t0", "%E"]
            continue
        out.append(line)
        cells = line.split("\t")
        if cells[0] == "%T":
            table = cells[1]
        elif cells[0] == "%F":
            fields = cells[1:]
        elif cells[0] == "%R":
            row = dict(zip(fields, cells[1:]))
            if table == "PROJECT":
                add({**row, "proj_id": "4600", "proj_short_name": "EC00650", "guid": ""})
            elif table == "PROJWBS":
                add({**row, "wbs_id": "26020", "proj_id": "4600", "wbs_short_name": "EC00650",
                     "wbs_name": "Second project", "guid": ""})
            elif table == "TASK" and row["task_code"] in ("A1000", "A1010"):
                add({**row, "task_id": str(int(row["task_id"]) + 100000), "proj_id": "4600", "wbs_id": "26020",
                     "task_code": row["task_code"].replace("A", "B"), "task_name": "Second " + row["task_name"],
                     "guid": ""})
    target.write_text("\n".join(out) + "\n", encoding="latin-1")
    return target


def test_a_link_between_projects_of_one_file_is_a_dependency_between_their_deliverables(tmp_path):
    entities, relations = facts(document(two_projects(tmp_path / "two.xer")))
    assert {i for i, (k, _) in entities.items() if k == "Project"} == {"EC00640", "EC00650"}
    assert entities["EC00650"][1]["name"] == "Second project"
    # B1000 sits under the WBS node EC00650 and A1030 under EC00640: the deliverables that hold them
    assert {r for r in relations if r[1] == "DEPENDS_ON"} == {("EC00650/EC00650", "DEPENDS_ON", "EC00640/EC00640")}
    store = f"oxigraph:{tmp_path / 's'}"
    result, _ = load(tmp_path / "two.xer", store)
    assert result.exit_code == 0, result.output
    with ValueGraph(open_store(store)) as graph:
        dependents = {hit.entity.id for hit in Questions(graph).impact("EC00640/EC00640").dependents}
    assert "EC00650/EC00650" in dependents


def test_other_commands_start_no_jvm():
    code = ("import sys\n"
            "from pathlib import Path\n"
            "from valuegraph.cli.main import app\n"
            "from valuegraph.loaders import loader_for, registry\n"
            f"registry(); loader_for(Path({str(PLAN_XML)!r}))\n"
            "print(sorted(m for m in ('jpype', 'mpxj') if m in sys.modules))\n")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "[]"


def test_a_plan_without_a_title_is_named_after_its_file_without_the_ending(tmp_path):
    def untitled(project):
        project.getProjectProperties().setProjectTitle(None)

    plan = write_plan(tmp_path / "untitled.xml", untitled)
    entities = facts(document(plan))[0]
    # MSPDI keeps the file's name ("sample.xml", from when MPXJ's test file was saved) as the project's name
    assert entities["sample"][1]["name"] == "sample"


def test_the_manager_manages_and_only_work_resources_are_members(tmp_path):
    from org.mpxj import ResourceType

    def staffed(project):
        project.getProjectProperties().setManager("Ada Lovelace")
        first = next(r for r in project.getResources() if str(r.getName()) == "First Resource")
        first.setEmailAddress("first@example.org")
        concrete = project.addResource()
        concrete.setName("Concrete")
        concrete.setType(ResourceType.MATERIAL)

    entities, relations = facts(document(write_plan(tmp_path / "staffed.xml", staffed)))
    persons = {i: p for i, (k, p) in entities.items() if k == "Person"}
    assert persons == {"person/Ada Lovelace": {"name": "Ada Lovelace"},
                       "person/First Resource": {"name": "First Resource", "email": "first@example.org"},
                       "person/Second Resource": {"name": "Second Resource"}}
    assert {r for r in relations if r[1] in ("MANAGES", "MEMBER_OF")} == {
        ("person/Ada Lovelace", "MANAGES", "sample"), ("person/First Resource", "MEMBER_OF", "sample"),
        ("person/Second Resource", "MEMBER_OF", "sample")}


def test_a_task_done_is_a_completed_deliverable_and_a_project_done_a_completed_project(tmp_path):
    from java.lang import Double

    def done(project):
        task(project, 3).setPercentageComplete(Double(100.0))  # the milestone "Third task"
        task(project, 0).setPercentageComplete(Double(100.0))  # the project's summary task

    entities = facts(document(write_plan(tmp_path / "done.xml", done)))[0]
    assert entities["sample/task-3"][1]["status"] == "completed"
    assert entities["sample/task-1"][1]["status"] == "active"
    assert (entities["sample"][1]["status"], entities["sample"][1]["progress"]) == ("completed", 1.0)


def test_the_readme_example_load_reports_what_the_load_does(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("$ valuegraph load tests/data/schedules/sample.mpp --source plans\n", 1)[1].split("```")[0]
    rows = {cells[0]: int(cells[1]) for line in shown.splitlines() if line.startswith("│")
            for cells in [[c.strip() for c in line.strip("│").split("│")]] if cells[0] != "total"}
    result, (report,) = load(PLAN_MPP, f"oxigraph:{tmp_path / 's'}")
    assert result.exit_code == 0
    assert rows == {kind: counts["created"] for kind, counts in report["byKind"].items()}
    recipe = readme.split("name: pmo-schedules\n", 1)[1].split("```")[0]
    written = tmp_path / "pmo-schedules.yaml"
    written.write_text("name: pmo-schedules\n" + recipe, encoding="utf-8")
    read = load_schedule_recipe(str(written))
    assert (read.objective_field, read.objective_system) == ("Strategic objective", "jira")


# ---------------------------------------------------------------- recipes


def objective_plan(tmp_path: Path) -> Path:
    """sample.xml with a custom field "Strategic objective" (Text1): OBJ-SCHED on a task under the summary
    task "Task Relationships", OBJ-OTHER on the project's summary task."""
    from org.mpxj import TaskField

    def change(project):
        project.getCustomFields().getOrCreate(TaskField.TEXT1).setAlias("Strategic objective")
        task(project, 11).set(TaskField.TEXT1, "OBJ-SCHED")  # Related Task 2a, under Task Relationships
        task(project, 0).set(TaskField.TEXT1, "OBJ-OTHER")

    return write_plan(tmp_path / "objectives.xml", change)


STRATEGY = """
source: strategy
entities:
  - {id: OBJ-SCHED, kind: Objective, name: Ship the sample plan}
  - {id: OBJ-OTHER, kind: Objective, name: Keep the portfolio tidy}
"""


def plan_with_objectives(tmp_path: Path, strategy: str, recipe_text: str) -> ValueGraph:
    """A graph holding ``strategy``'s objectives and the objective plan read through ``recipe_text``."""
    recipe = tmp_path / "pmo.yaml"
    recipe.write_text(recipe_text, encoding="utf-8")
    graph = ValueGraph(open_store("memory:"))
    graph.sync(parse_yaml(strategy, "strategy.yaml"))
    (doc,) = loader_for(objective_plan(tmp_path), recipe=str(recipe)).documents()
    graph.sync(doc, "plans")
    return graph


def test_a_recipe_links_the_schedule_to_an_objective_through_its_deliverables(tmp_path):
    graph = plan_with_objectives(tmp_path, STRATEGY, "name: pmo\nobjective_field: Strategic objective\n")
    questions = Questions(graph)
    (hit,) = questions.what_delivers("OBJ-SCHED").hits
    assert hit.entity.id == "sample"
    (path,) = questions.path_records(questions.trace("sample", "OBJ-SCHED"))
    assert [(n.id, n.kind) for n in path.nodes] == [
        ("sample", "Project"), ("sample/task-19", "Deliverable"), ("OBJ-SCHED", "Objective")]
    assert [r.key.type for r in path.relations] == ["DELIVERS", "CONTRIBUTES_TO"]
    (direct,) = questions.trace("sample", "OBJ-OTHER")
    assert direct.length == 1  # the project's own value: the project contributes
    # GraphQL answers the same
    query = """query($t: ID!) { whatDelivers(target: $t) { edges { node { item { id }
               paths { nodes { id } relations { type } } } } } }"""
    with serve_in_thread(graph) as url:
        answer = httpx.post(f"{url}/graphql", json={"query": query, "variables": {"t": "OBJ-SCHED"}}).json()
    (edge,) = answer["data"]["whatDelivers"]["edges"]
    assert edge["node"]["item"]["id"] == "sample"
    assert [n["id"] for n in edge["node"]["paths"][0]["nodes"]] == ["sample", "sample/task-19", "OBJ-SCHED"]
    graph.close()


STRATEGY_KNOWN_IN_JIRA = """
source: strategy
entities:
  - {id: OBJ-SCHED, kind: Objective, name: Ship the sample plan, externalIds: {jira: X-1}}
  - {id: OBJ-ELSE, kind: Objective, name: Ship it in Jira's words, externalIds: {jira: OBJ-SCHED}}
  - {id: OBJ-TIDY, kind: Objective, name: Keep the portfolio tidy, externalIds: {jira: OBJ-OTHER}}
"""


def test_a_recipe_field_may_hold_the_objectives_external_id(tmp_path):
    """With objective_system the field's values (OBJ-SCHED on a task, OBJ-OTHER on the project) are Jira keys:
    the relations land on the objectives carrying them, not on the entity whose id is the same text."""
    graph = plan_with_objectives(tmp_path, STRATEGY_KNOWN_IN_JIRA,
                                 "name: pmo\nobjective_field: Strategic objective\nobjective_system: jira\n")
    questions = Questions(graph)
    assert [hit.entity.id for hit in questions.what_delivers("OBJ-ELSE").hits] == ["sample"]
    assert [n.id for n in questions.path_records(questions.trace("sample", "OBJ-ELSE"))[0].nodes] == [
        "sample", "sample/task-19", "OBJ-ELSE"]
    assert [hit.entity.id for hit in questions.what_delivers("OBJ-TIDY").hits] == ["sample"]
    assert questions.what_delivers("OBJ-SCHED").hits == []
    graph.close()


def refused_objective_plan(tmp_path: Path, recipe_text: str) -> list[dict]:
    """The errors `valuegraph load` shows for the objective plan read through ``recipe_text``, once it is
    checked that the load failed and wrote nothing."""
    recipe = tmp_path / "pmo.yaml"
    recipe.write_text(recipe_text, encoding="utf-8")
    store = f"oxigraph:{tmp_path / 's'}"
    result, shown = load(objective_plan(tmp_path), store, "--recipe", str(recipe))
    assert result.exit_code == 1
    assert nothing_written(store)
    return shown["errors"]


def test_a_recipe_field_naming_an_unknown_external_id_is_a_located_error(tmp_path):
    errors = refused_objective_plan(tmp_path,
                                    "name: pmo\nobjective_field: Strategic objective\nobjective_system: gmpp\n")
    assert any("OBJ-SCHED" in e["message"] for e in errors), errors


def test_a_recipe_refuses_a_system_name_that_cannot_be_one(tmp_path):
    recipe = tmp_path / "pmo.yaml"
    recipe.write_text("name: pmo\nobjective_field: F\nobjective_system: 'ji ra'\n", encoding="utf-8")
    with pytest.raises(DocumentRejected) as caught:
        load_schedule_recipe(str(recipe))
    (error,) = caught.value.errors
    assert "objective_system" in error.message and "ji ra" not in error.location, error


def test_a_p6_activity_code_names_the_objective(tmp_path):
    """P6 keeps "which objective" as an activity code: its value's code (short name) is the objective's id."""
    from java.lang import Integer
    from org.mpxj import ActivityCode, ActivityCodeScope, ActivityCodeValue
    from org.mpxj.primavera import PrimaveraXERFileWriter
    from org.mpxj.reader import UniversalProjectReader

    project = UniversalProjectReader().read(str(P6))
    code = ActivityCode.Builder(project).uniqueID(Integer(9100)).name("Strategic objective") \
        .scope(ActivityCodeScope.GLOBAL).build()
    project.getActivityCodes().add(code)
    value = ActivityCodeValue.Builder(project).activityCode(code).uniqueID(Integer(9101)).name("OBJ-SCHED") \
        .description("Ship the sample plan").build()
    code.addValue(value)
    next(t for t in project.getTasks() if str(t.getActivityID()) == "A1020").addActivityCodeValue(value)
    coded = tmp_path / "coded.xer"
    PrimaveraXERFileWriter().write(project, str(coded))
    recipe = tmp_path / "p6.yaml"
    recipe.write_text("name: p6\nobjective_field: Strategic objective\n", encoding="utf-8")
    relations = facts(document(coded, str(recipe)))[1]
    # A1020 sits under the WBS node EC00640, the deliverable that holds it
    assert {r for r in relations if r[1] == "CONTRIBUTES_TO"} == {("EC00640/EC00640", "CONTRIBUTES_TO", "OBJ-SCHED")}


def test_a_field_may_list_several_objectives(tmp_path):
    from org.mpxj import TaskField

    def change(project):
        project.getCustomFields().getOrCreate(TaskField.TEXT1).setAlias("Objectives")
        task(project, 3).set(TaskField.TEXT1, "OBJ-SCHED; OBJ-OTHER")  # the milestone "Third task"

    plan = write_plan(tmp_path / "several.xml", change)
    recipe = tmp_path / "pmo.yaml"
    recipe.write_text("name: pmo\nobjective_field: Objectives\nobjective_split: ';'\n", encoding="utf-8")
    relations = facts(document(plan, str(recipe)))[1]
    assert {r for r in relations if r[1] == "CONTRIBUTES_TO"} == {
        ("sample/task-3", "CONTRIBUTES_TO", "OBJ-SCHED"), ("sample/task-3", "CONTRIBUTES_TO", "OBJ-OTHER")}


def test_a_recipe_field_naming_an_unknown_objective_is_a_located_error(tmp_path):
    errors = refused_objective_plan(tmp_path, "name: pmo\nobjective_field: Strategic objective\n")
    located = {e["location"] for e in errors}
    assert any("task 11 (Related Task 2a), field Strategic objective" in where for where in located), located


def test_a_recipe_sets_the_id_prefix_the_project_id_and_the_health_thresholds(tmp_path):
    from java.time import LocalDateTime

    def late(project):  # the baseline finish 10 days before the forecast finish (18 March 2003)
        task(project, 0).setBaselineFinish(LocalDateTime.of(2003, 3, 8, 17, 0))

    plan = write_plan(tmp_path / "late.xml", late)
    default = facts(document(plan))[0]["sample"][1]
    assert default["health"] == "amber" and default["baselineEndDate"] == dt.date(2003, 3, 8)
    for thresholds, health in [("{amber_after_days: 10}", "green"),
                               ("{amber_after_days: 2, red_after_days: 9}", "red")]:
        recipe = tmp_path / "r.yaml"
        recipe.write_text(f"name: r\nid_prefix: 'pmo:'\nhealth: {thresholds}\n", encoding="utf-8")
        entities, relations = facts(document(plan, str(recipe)))
        assert entities["pmo:sample"][1]["health"] == health
        assert set(entities) == {"pmo:" + i for i in facts(document(PLAN_XML))[0]}
        assert ("pmo:person/First Resource", "MEMBER_OF", "pmo:sample") in relations
    recipe.write_text("name: r\nproject_id: guid\n", encoding="utf-8")
    # the .mpp carries the project's GUID (the .xml of 2003 does not): ids then follow it
    assert "000e003e-0002-1e00-1115-1a100f7b035a" in facts(document(PLAN_MPP, str(recipe)))[0]


def test_bad_schedule_recipes_are_located_errors(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("name: bad\nproject_id: title\nhealth: {amber_after_days: 9, red_after_days: 3}\ncolour: red\n",
                      encoding="utf-8")
    with pytest.raises(DocumentRejected) as caught:
        list(loader_for(PLAN_XML, recipe=str(recipe)).documents())
    where = {e.location for e in caught.value.errors}
    assert where == {f"{recipe}: project_id", f"{recipe}: health", f"{recipe}: colour"}
