"""Files over REST: a register (through a named recipe), an ArchiMate model and RDF sent as the body of
POST /api/v1/sync/{source} give the graph that `valuegraph load` gives of the same file, on every store; dry
runs report what a sync would change and write nothing; unknown query parameters, wrong media types, recipes
given as paths, oversized and malformed bodies and keys without the right scope are refused, nothing written."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from valuegraph.api.auth import ApiKeyConfig, hash_key
from valuegraph.cli.main import app
from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.questions import Questions
from valuegraph.loaders import loader_for, registry
from valuegraph.loaders.exports import write_export
from tests.conftest import EXAMPLES, ROOT, TEST_DATA
from tests.utils.factories import E, load
from tests.utils.fingerprint import fingerprint
from tests.utils.server import serve_in_thread

GMPP = TEST_DATA / "gmpp-2022.csv"
MODEL = TEST_DATA / "archimate" / "aoeff_3_1_archi_5_0_2.xml"
CSV = {"content-type": "text/csv"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: what a sync's report holds that says when and how it ran rather than what it changes
RUN_FIELDS = ("dryRun", "revision", "warnings")
runner = CliRunner()


def sync_url(url: str, source: str) -> str:
    return f"{url}/api/v1/sync/{source}"


def post(url: str, source: str, body: bytes, content_type: str, headers: dict | None = None, **params):
    return httpx.post(sync_url(url, source), params=params, content=body, timeout=120,
                      headers={"content-type": content_type, **(headers or {})})


def cli_load(tmp_path: Path, *args: str) -> tuple[str, list[dict]]:
    """`valuegraph load ARGS --json` into a fresh Oxigraph store: the store's URL and the reports."""
    store = f"oxigraph:{tmp_path / 'cli-store'}"
    result = runner.invoke(app, ["load", *args, "--store", store, "--json"])
    assert result.exit_code == 0, result.output
    return store, json.loads(result.stdout)


def cli_fingerprint(store: str) -> tuple:
    with ValueGraph(open_store(store)) as graph:
        return fingerprint(graph)


def what_changed(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in RUN_FIELDS}


def state(graph: ValueGraph) -> tuple:
    """Everything a write would change: the facts and answers, the store's own latest revision (read from the
    store, not the index), the history, and the published index snapshot."""
    questions = Questions(graph)
    return (fingerprint(graph), graph.store.current_revision(), graph.index.revision,
            [(r.number, r.source, r.created) for _, r in questions.revisions(first=1000).revisions])


@pytest.fixture
def served(graph):
    """The app without keys (development) over an empty graph on each store."""
    with serve_in_thread(graph) as url:
        yield url, graph


# ------------------------------------------------------------------ the same graph as the command line's


def test_a_gmpp_register_body_gives_the_graph_the_command_line_load_gives(served, tmp_path):
    url, graph = served
    store, (cli_report,) = cli_load(tmp_path, str(GMPP), "--recipe", "gmpp", "--source", "gmpp")
    response = post(url, "gmpp", GMPP.read_bytes(), "text/csv", format="register", recipe="gmpp")
    assert response.status_code == 200, response.text
    report = response.json()
    assert what_changed(report) == what_changed(cli_report) and report["created"] > 0
    assert report["dryRun"] is False and report["revision"] == graph.current_revision() == 1
    assert fingerprint(graph) == cli_fingerprint(store)
    # the same body again changes nothing and commits no revision, as a second load does
    again = post(url, "gmpp", GMPP.read_bytes(), "text/csv", format="register", recipe="gmpp").json()
    assert again["created"] == again["updated"] == 0 and again["unchanged"] == report["created"]
    assert again["revision"] is None and graph.current_revision() == 1


def test_a_register_as_xlsx_or_octet_stream_reads_as_the_command_line_reads_the_file(tmp_path):
    """A workbook is told from a CSV file by its content when the body is sent as application/octet-stream."""
    book = Workbook()
    sheet = book.active
    with GMPP.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    workbook = tmp_path / "gmpp.xlsx"
    book.save(workbook)
    expected = {}
    for path in (workbook, GMPP):
        store, _ = cli_load(tmp_path / path.suffix, str(path), "--recipe", "gmpp", "--source", "gmpp")
        expected[path] = cli_fingerprint(store)
    for path, content_type in ((workbook, XLSX_TYPE), (workbook, "application/octet-stream"),
                               (GMPP, "application/octet-stream")):
        graph = ValueGraph(open_store("memory:"))
        with serve_in_thread(graph) as url:
            response = post(url, "gmpp", path.read_bytes(), content_type, format="register", recipe="gmpp")
        assert response.status_code == 200, (content_type, response.text)
        assert response.json()["byKind"]["Project"]["created"] == 235
        assert fingerprint(graph) == expected[path], content_type
        graph.close()


def test_an_archimate_body_gives_the_graph_the_command_line_load_gives(served, tmp_path):
    url, graph = served
    store, (cli_report,) = cli_load(tmp_path, str(MODEL), "--source", "ea")
    response = post(url, "ea", MODEL.read_bytes(), "application/xml", format="archimate")
    assert response.status_code == 200, response.text
    assert what_changed(response.json()) == what_changed(cli_report)
    # what the model holds that has no kind is reported as the command line reports it
    assert response.json()["warnings"] == cli_report["warnings"] and cli_report["warnings"]
    assert fingerprint(graph) == cli_fingerprint(store)


@pytest.mark.parametrize("rdf_format, content_type", [("turtle", "text/turtle"), ("ntriples", "application/n-triples"),
                                                      ("jsonld", "application/ld+json")])
def test_an_rdf_body_gives_the_graph_the_command_line_load_gives(served, tmp_path, rdf_format, content_type):
    url, graph = served
    suffix = {"turtle": ".ttl", "ntriples": ".nt", "jsonld": ".jsonld"}[rdf_format]
    path = exported(tmp_path, rdf_format, suffix)
    # the export names the source in a named graph where the format has them (JSON-LD): the same source here
    store, (cli_report,) = cli_load(tmp_path, str(path), "--source", "strategy-office")
    response = post(url, "strategy-office", path.read_bytes(), content_type, format="rdf")
    assert response.status_code == 200, response.text
    assert what_changed(response.json()) == what_changed(cli_report) and cli_report["created"] > 0
    assert fingerprint(graph) == cli_fingerprint(store)


def exported(tmp_path: Path, rdf_format: str, suffix: str) -> Path:
    """The sample strategy exported in an RDF format, as a file."""
    source = ValueGraph(open_store("memory:"))
    for doc in loader_for(EXAMPLES / "strategy.yaml").documents():
        source.sync(doc)
    path = tmp_path / f"strategy{suffix}"
    with path.open("wb") as handle:
        write_export(source.store, rdf_format, handle)
    source.close()
    return path


def test_an_octet_stream_is_read_as_its_file_name_says(tmp_path):
    """Content-Disposition's file name tells the RDF syntax of an application/octet-stream body; without one,
    RDF is read as Turtle."""
    nquads = exported(tmp_path, "nquads", ".nq")
    turtle = exported(tmp_path, "turtle", ".ttl")
    for body, headers in ((nquads.read_bytes(), {"content-disposition": 'attachment; filename="strategy.nq"'}),
                          (turtle.read_bytes(), {}),
                          # a name no parser reads (U+0085 is a line break to it): as if none were given
                          (turtle.read_bytes(), {"content-disposition": b'attachment; filename="\x85.nq"'})):
        graph = ValueGraph(open_store("memory:"))
        with serve_in_thread(graph) as url:
            response = post(url, "strategy-office", body, "application/octet-stream", headers, format="rdf")
        assert response.status_code == 200, response.text
        assert response.json()["created"] > 0
    # N-Quads read as Turtle is malformed: the file name is what told it apart
    with serve_in_thread(ValueGraph(open_store("memory:"))) as url:
        wrong = post(url, "strategy-office", nquads.read_bytes(), "application/octet-stream", format="rdf")
    assert wrong.status_code == 422 and "malformed RDF" in wrong.json()["errors"][0]["message"]


def test_named_graphs_of_another_source_are_refused_as_the_command_line_refuses_them(tmp_path):
    nquads = exported(tmp_path, "nquads", ".nq")  # its named graph is source strategy-office's
    graph = ValueGraph(open_store("memory:"))
    with serve_in_thread(graph) as url:
        response = post(url, "finance", nquads.read_bytes(), "application/n-quads", format="rdf")
    assert response.status_code == 422
    assert "names source 'strategy-office' but it is being loaded as 'finance'" in response.text
    assert graph.current_revision() == 0
    cli = runner.invoke(app, ["load", str(nquads), "--source", "finance", "--store", "memory:", "--json"])
    assert cli.exit_code != 0
    assert [e["message"] for e in json.loads(cli.stdout)["errors"]] == [e["message"] for e in response.json()["errors"]]


def test_a_yaml_exchange_document_and_json_named_as_such(served):
    url, graph = served
    yaml_body = (EXAMPLES / "strategy.yaml").read_bytes()
    response = post(url, "strategy-office", yaml_body, "application/yaml", format="yaml")
    assert response.status_code == 200, response.text
    expected = Questions(graph).stats().as_dict()
    body = json.dumps({"entities": [E("X1", "Project")]}).encode()
    assert post(url, "strategy-office", body, "application/octet-stream", format="json").status_code == 200
    assert Questions(graph).stats().as_dict()["entities"]["Project"] == expected["entities"].get("Project", 0) + 1


OPTION_LOADER = """

from valuegraph.loaders import LoaderConfig


class NeedsSheet(LoaderConfig):
    sheet_id: str


class OptionLoader(Loader):
    name = "with-option"
    description = "a loader that needs a sheet id"
    config_class = NeedsSheet

    def documents(self):
        yield from ()
"""


@pytest.fixture
def plugin_installed(tmp_path, monkeypatch):
    """The README's loader plugin installed as a package is: its module and its distribution's entry point."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = readme.split("#### Writing a loader plugin", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    site = tmp_path / "site"
    (site / "objective_list_plugin-0.1.dist-info").mkdir(parents=True)
    (site / "objective_list_plugin-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: objective-list-plugin\nVersion: 0.1\n", encoding="utf-8")
    # and a loader with an option a request cannot give
    (site / "objective_list_plugin.py").write_text(code + OPTION_LOADER, encoding="utf-8")
    (site / "objective_list_plugin-0.1.dist-info" / "entry_points.txt").write_text(
        "[valuegraph.loaders]\nobjective-list = objective_list_plugin:ObjectiveListLoader\n"
        "with-option = objective_list_plugin:OptionLoader\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    registry.cache_clear()
    yield
    registry.cache_clear()


def test_an_installed_plugins_format_is_synced_without_more_code(plugin_installed, mem_graph):
    """A loader another package installs (as the schedule loader is) reads its files sent over REST by name."""
    assert "objective-list" in registry()
    body = b"OBJ-9\tGrow exports\nOBJ-10\tCut emissions\n"
    with serve_in_thread(mem_graph) as url:
        response = post(url, "strategy-office", body, "application/octet-stream",
                        {"content-disposition": 'attachment; filename="objectives.tsv"'}, format="objective-list")
        refused = post(url, "strategy-office", body, "text/tab-separated-values", format="objective-list")
    assert response.status_code == 200, response.text
    assert response.json()["byKind"] == {"Objective": {"created": 2, "updated": 0, "retracted": 0, "unchanged": 0}}
    listing = Questions(mem_graph).entities(kind="Objective")
    assert {(r.id, r.name) for r in listing.records} == {("OBJ-9", "Grow exports"), ("OBJ-10", "Cut emissions")}
    # it declares no media types: only application/octet-stream is read
    assert refused.status_code == 415 and "format=objective-list reads a body of type application/octet-stream" \
        in refused.json()["detail"]
    with serve_in_thread(mem_graph) as url:
        option = post(url, "strategy-office", body, "application/octet-stream", format="with-option")
    assert option.status_code == 400
    assert option.json()["detail"].startswith("the format 'with-option' needs sheet_id, which a request cannot give")


#: the sample schedules (MPXJ's test files, tests/data/schedules/README.md)
SCHEDULES = TEST_DATA / "schedules"


@pytest.mark.parametrize("name", ["sample.xml", "sample.mpp", "percent-complete-8.4.xer"])
def test_a_schedule_body_gives_the_graph_the_command_line_load_gives(tmp_path, name):
    """Nothing of the schedule loader is named here but its format: it is found as any installed loader is."""
    if "schedule" not in registry():  # `make test` installs valuegraph[schedules]
        if os.environ.get("VALUEGRAPH_STRICT_TESTS"):
            pytest.fail("the schedule loader is not installed: `make test` installs valuegraph[schedules]")
        pytest.skip("the schedule loader (valuegraph[schedules]) is not installed")
    path = SCHEDULES / name
    store, (cli_report,) = cli_load(tmp_path, str(path), "--format", "schedule", "--source", "plan")
    graph = ValueGraph(open_store("memory:"))
    with serve_in_thread(graph) as url:
        headers = {"content-disposition": f'attachment; filename="{name}"'}
        dry = post(url, "plan", path.read_bytes(), "application/octet-stream", headers, format="schedule",
                   dryRun="true")
        assert dry.status_code == 200, dry.text
        assert graph.current_revision() == 0
        response = post(url, "plan", path.read_bytes(), "application/octet-stream", headers, format="schedule")
    assert response.status_code == 200, response.text
    assert what_changed(response.json()) == what_changed(dry.json()) == what_changed(cli_report)
    assert fingerprint(graph) == cli_fingerprint(store)
    graph.close()


# ------------------------------------------------------------------ dry runs


def test_a_dry_run_reports_what_the_sync_then_does_and_writes_nothing(served):
    url, graph = served
    load(graph, [E("DfT_0001_2122-Q1", "Project", budget=1), E("OTHER", "Project")], source="gmpp")
    before = state(graph)
    published = graph.index
    dry = post(url, "gmpp", GMPP.read_bytes(), "text/csv", format="register", recipe="gmpp", dryRun="true")
    assert dry.status_code == 200, dry.text
    assert dry.json()["dryRun"] is True and dry.json()["revision"] is None
    assert state(graph) == before and graph.index is published
    real = post(url, "gmpp", GMPP.read_bytes(), "text/csv", format="register", recipe="gmpp")
    assert what_changed(dry.json()) == what_changed(real.json())
    assert real.json()["created"] > 0 and real.json()["updated"] >= 0
    assert graph.store.current_revision() == before[1] + 1

    # a full sync's dry run counts what it would retract, and retracts nothing
    before = state(graph)
    body = json.dumps({"entities": [E("OTHER", "Project", budget=5)]}).encode()
    full = httpx.post(sync_url(url, "gmpp"), params={"mode": "full", "dryRun": "true"}, content=body,
                      headers={"content-type": "application/json"}, timeout=60).json()
    assert full["dryRun"] is True and full["retracted"] > 0 and full["updated"] == 1
    assert state(graph) == before
    done = httpx.post(sync_url(url, "gmpp"), params={"mode": "full"}, content=body,
                      headers={"content-type": "application/json"}, timeout=60).json()
    assert what_changed(done) == what_changed(full)
    assert set(graph.store.source_state("gmpp").entities) == {"OTHER"}


def test_the_sync_mutation_takes_dry_run(served):
    url, graph = served
    load(graph, [E("OBJ", "Objective")], source="ppm")
    before = state(graph)
    mutation = """mutation($doc: JSON!, $dry: Boolean!) { sync(source: "ppm", document: $doc, dryRun: $dry) {
        dryRun revision created updated unchanged errors { location message } byKind { kind created } } }"""
    doc = {"entities": [E("P", "Project"), E("OBJ", "Objective", period="2027")],
           "relations": [{"from": "P", "type": "CONTRIBUTES_TO", "to": "OBJ"}]}
    dry = httpx.post(f"{url}/graphql", json={"query": mutation, "variables": {"doc": doc, "dry": True}}).json()
    assert dry["data"]["sync"]["dryRun"] is True and dry["data"]["sync"]["revision"] is None
    assert (dry["data"]["sync"]["created"], dry["data"]["sync"]["updated"]) == (2, 1)
    assert state(graph) == before
    real = httpx.post(f"{url}/graphql", json={"query": mutation, "variables": {"doc": doc, "dry": False}}).json()
    assert {k: v for k, v in real["data"]["sync"].items() if k not in ("dryRun", "revision")} == \
        {k: v for k, v in dry["data"]["sync"].items() if k not in ("dryRun", "revision")}
    assert real["data"]["sync"]["revision"] == graph.current_revision() == before[1] + 1
    # a rejected dry run says so, with its errors
    bad = {"entities": [E("Q", "Project")], "relations": [{"from": "Q", "type": "CONTRIBUTES_TO", "to": "NOWHERE"}]}
    rejected = httpx.post(f"{url}/graphql", json={"query": mutation, "variables": {"doc": bad, "dry": True}}).json()
    assert rejected["data"]["sync"]["dryRun"] is True and "NOWHERE" in rejected["data"]["sync"]["errors"][0]["message"]


# ------------------------------------------------------------------ abuse, over a server with keys

KEYS = {
    "writer": ("writer-key-0123456789", ["sync"], ["gmpp", "ea"]),
    "jira": ("jira-key-0123456789", ["sync"], ["jira"]),
    "reader": ("read-key-0123456789", ["read"], None),
}


def auth(name: str) -> dict:
    return {"Authorization": f"Bearer {KEYS[name][0]}"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recipes")
    # a deployment's own recipe, by name: the GMPP columns under another id scheme
    (folder / "gmpp-short.yaml").write_text(
        "name: gmpp-short\nentities:\n  - {kind: Project, id: 'short/{GMPP ID Number}', name: '{Project Name}'}\n",
        encoding="utf-8")
    graph = ValueGraph(open_store("memory:"))
    load(graph, [E("KEEP", "Project")], source="gmpp")
    keys = [ApiKeyConfig(name=n, hash=hash_key(k), scopes=s, sources=src) for n, (k, s, src) in KEYS.items()]
    with serve_in_thread(graph, api_keys=keys, recipe_folder=folder, max_body_bytes=len(GMPP.read_bytes()) + 100,
                         max_sync_errors=5) as url:
        yield url, graph
    graph.close()


@pytest.fixture
def unchanged(guarded):
    """The guarded server, checked to hold after the test what it held before."""
    url, graph = guarded
    before = state(graph)
    yield url
    assert state(graph) == before


def test_a_recipe_from_the_configured_folder_by_name(guarded):
    url, graph = guarded
    response = post(url, "gmpp", GMPP.read_bytes(), "text/csv", auth("writer"), format="register",
                    recipe="gmpp-short", dryRun="true")
    assert response.status_code == 200, response.text
    assert response.json()["byKind"]["Project"]["created"] == 235 and set(response.json()["byKind"]) == {"Project"}


def test_the_command_line_finds_a_recipe_of_the_configured_folder_as_the_server_does(tmp_path, monkeypatch):
    folder = tmp_path / "recipes"
    folder.mkdir()
    (folder / "gmpp.yaml").write_text(  # one named like the built-in recipe is used instead of it
        "name: gmpp\nentities:\n  - {kind: Project, id: 'mine/{GMPP ID Number}', name: '{Project Name}'}\n",
        encoding="utf-8")
    monkeypatch.setenv("VALUEGRAPH_RECIPE_FOLDER", str(folder))
    store, (cli_report,) = cli_load(tmp_path, str(GMPP), "--recipe", "gmpp", "--source", "gmpp")
    assert set(cli_report["byKind"]) == {"Project"}
    graph = ValueGraph(open_store("memory:"))
    with serve_in_thread(graph, recipe_folder=folder) as url:
        response = post(url, "gmpp", GMPP.read_bytes(), "text/csv", format="register", recipe="gmpp")
    assert what_changed(response.json()) == what_changed(cli_report)
    assert fingerprint(graph) == cli_fingerprint(store)
    assert all(e.startswith("mine/") for e in graph.store.source_state("gmpp").entities)


@pytest.mark.parametrize("recipe", ["../x", "../../etc/passwd", "/etc/passwd", "gmpp.yaml", "..", "a/b", "gmpp\x00",
                                    "recipes/gmpp", "C:\\gmpp", "~/gmpp", "", "x" * 65])
def test_a_recipe_is_a_name_never_a_path(unchanged, recipe):
    response = post(unchanged, "gmpp", GMPP.read_bytes(), "text/csv", auth("writer"), format="register", recipe=recipe)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "BAD_REQUEST"
    assert "not a recipe's name" in response.json()["detail"] and "never a path" in response.json()["detail"]


def test_an_unknown_recipe_lists_the_recipes(unchanged):
    response = post(unchanged, "gmpp", GMPP.read_bytes(), "text/csv", auth("writer"), format="register", recipe="nope")
    assert response.status_code == 400
    assert response.json()["detail"] == "no recipe 'nope'; the recipes are gmpp, gmpp-short"


@pytest.mark.parametrize("params, says", [
    ({"format": "spreadsheet"}, "unknown format 'spreadsheet'; the formats a body may be in are"),
    ({"format": "csv"}, "the format 'csv' reads a folder"),
    ({"format": "register"}, "the format 'register' is read through a recipe: name one with recipe=NAME"),
    ({"format": "rdf", "recipe": "gmpp"}, "the format 'rdf' takes no recipe"),
    ({"recipe": "gmpp"}, "a recipe reads a file of another format: name it with format=NAME"),
])
def test_a_format_that_cannot_be_read_is_a_400(unchanged, params, says):
    response = post(unchanged, "gmpp", GMPP.read_bytes(), "text/csv", auth("writer"), **params)
    assert response.status_code == 400, response.text
    assert says in response.json()["detail"]


@pytest.mark.parametrize("content_type, params, says", [
    ("text/csv", {}, "send Content-Type: application/json; a text/csv body is a file: name its format with "
                     "format=register"),
    ("text/turtle", {"format": "register", "recipe": "gmpp"}, "format=register reads a body of type text/csv or "
                                                              f"{XLSX_TYPE} or application/octet-stream"),
    ("application/json", {"format": "archimate"}, "format=archimate reads a body of type application/xml"),
    # the types a page of another site may send without asking first are refused with any format
    ("text/plain", {"format": "register", "recipe": "gmpp"}, "this is a body of type 'text/plain'"),
    ("multipart/form-data; boundary=x", {"format": "rdf"}, "this is a body of type 'multipart/form-data"),
    (None, {"format": "rdf"}, "this is a body without a Content-Type"),
])
def test_a_media_type_the_format_does_not_read_is_a_415(unchanged, content_type, params, says):
    headers = {**auth("writer"), **({"content-type": content_type} if content_type else {})}
    request = httpx.Request("POST", sync_url(unchanged, "gmpp"), params=params, content=GMPP.read_bytes(),
                            headers=headers)
    with httpx.Client(timeout=60) as client:
        response = client.send(request)
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE" and says in response.json()["detail"]


def test_an_oversized_file_is_a_413(unchanged):
    big = GMPP.read_bytes() + b"\n" * 200
    response = post(unchanged, "gmpp", big, "text/csv", auth("writer"), format="register", recipe="gmpp")
    assert response.status_code == 413 and "bytes this server accepts" in response.json()["detail"]
    # without a declared length: cut off as it passes the limit
    chunked = httpx.post(sync_url(unchanged, "gmpp"), params={"format": "register", "recipe": "gmpp"},
                         content=iter([big[:300_000], big[300_000:]]), headers={**CSV, **auth("writer")}, timeout=60)
    assert chunked.status_code == 413


def test_an_archive_that_unpacks_past_the_limit_is_a_413(unchanged):
    """A workbook is a ZIP archive: one that would unpack to more than 20 times the body limit is not read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (25 * len(GMPP.read_bytes())))
    bomb = buffer.getvalue()
    assert len(bomb) < len(GMPP.read_bytes())  # within the body limit itself
    response = post(unchanged, "gmpp", bomb, XLSX_TYPE, auth("writer"), format="register", recipe="gmpp")
    assert response.status_code == 413, response.text
    assert "the body is an archive that unpacks to" in response.json()["detail"]


def small_workbook() -> bytes:
    book = Workbook()
    book.active.append(["GMPP ID Number", "Project Name", "Department"])
    book.active.append(["X", "Project X", "DfT"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def truncated_workbook() -> bytes:
    return small_workbook()[:-200]


def damaged_workbook(part: str) -> bytes:
    """A workbook whose ``part`` holds malformed XML."""
    whole = zipfile.ZipFile(io.BytesIO(small_workbook()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in whole.namelist():
            archive.writestr(name, b"<<not xml" if name == part else whole.read(name))
    return buffer.getvalue()


@pytest.mark.parametrize("body, content_type, params, says", [
    (b"", "text/csv", {"format": "register", "recipe": "gmpp"}, "the file is empty: a header row is needed"),
    ("GMPP ID Number,Project Name,Department\nX,Caf\xe9,DfT\n".encode("latin-1"), "text/csv",
     {"format": "register", "recipe": "gmpp"}, "the file is not utf-8-sig text"),
    (truncated_workbook(), XLSX_TYPE, {"format": "register", "recipe": "gmpp"}, "not a readable XLSX workbook"),
    (damaged_workbook("xl/worksheets/sheet1.xml"), XLSX_TYPE, {"format": "register", "recipe": "gmpp"},
     "not a readable XLSX workbook: not well-formed"),
    (damaged_workbook("[Content_Types].xml"), XLSX_TYPE, {"format": "register", "recipe": "gmpp"},
     "not a readable XLSX workbook"),
    (b"PK\x03\x04 not really a zip", "application/octet-stream", {"format": "register", "recipe": "gmpp"},
     "not a readable XLSX workbook"),
    (b"<vg:P> a <oops", "text/turtle", {"format": "rdf"}, "malformed RDF"),
    (b"<model xmlns='http://www.opengroup.org/xsd/archimate/3.0/'><elements>", "application/xml",
     {"format": "archimate"}, "malformed XML"),
    (b"entities: [unclosed", "application/yaml", {"format": "yaml"}, "malformed YAML"),
    (b"{\"entities\": [", "application/json", {}, "the body is not JSON"),
])
def test_a_malformed_file_is_rejected_naming_the_body(unchanged, body, content_type, params, says):
    response = post(unchanged, "gmpp", body, content_type, auth("writer"), **params)
    assert response.status_code in (400, 422), response.text
    assert says in response.text
    text = response.text
    assert tempfile.gettempdir() not in text and "valuegraph-body" not in text  # the body, never the temporary file


def test_a_rejected_register_locates_its_errors_in_the_body_and_caps_the_list(unchanged):
    rows = ["GMPP ID Number,Project Name,Department,TOTAL Baseline Whole Life Costs"]
    rows += [f"P{i},Project {i},DfT,not money" for i in range(1, 9)]
    response = post(unchanged, "gmpp", "\n".join(rows).encode(), "text/csv", auth("writer"), format="register",
                    recipe="gmpp")
    assert response.status_code == 422
    rejected = response.json()
    assert rejected["errorCount"] == 8 and len(rejected["errors"]) == 5 and rejected["errorsTruncated"] is True
    first = rejected["errors"][0]
    assert first["location"] == "body:2, column TOTAL Baseline Whole Life Costs"
    assert first["message"] == "'not money' is not a number"


def test_the_temporary_file_is_removed(guarded, tmp_path, monkeypatch):
    url, _ = guarded
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ok = post(url, "gmpp", GMPP.read_bytes(), "text/csv", auth("writer"), format="register", recipe="gmpp",
              dryRun="true")
    bad = post(url, "gmpp", b"<oops", "text/turtle", auth("writer"), format="rdf")
    assert (ok.status_code, bad.status_code) == (200, 422)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("key, source, dry_run", [
    ("reader", "gmpp", "false"), ("reader", "gmpp", "true"),  # a dry run is a sync's rehearsal: the sync scope
    ("jira", "gmpp", "false"), ("jira", "gmpp", "true"),  # a key for another source
    ("writer", "jira", "true"),
])
def test_a_key_that_may_not_sync_as_the_source_is_a_403(unchanged, key, source, dry_run):
    response = post(unchanged, source, GMPP.read_bytes(), "text/csv", auth(key), format="register", recipe="gmpp",
                    dryRun=dry_run)
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"
    assert f"may not sync as source '{source}'" in response.json()["detail"]


def test_a_dry_run_mutation_with_a_read_only_key_is_refused(unchanged):
    mutation = 'mutation { sync(source: "gmpp", document: {entities: []}, dryRun: true) { dryRun } }'
    answer = httpx.post(f"{unchanged}/graphql", json={"query": mutation}, headers=auth("reader")).json()
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ------------------------------------------------------------------ unknown query parameters


@pytest.mark.parametrize("method, path, params", [
    ("POST", "/api/v1/sync/gmpp", {"dry_run": "true"}),
    ("POST", "/api/v1/sync/gmpp", {"dryrun": "true", "format": "register", "recipe": "gmpp"}),
    ("POST", "/api/v1/sync/gmpp", {"mode": "full", "force": "1"}),
    ("GET", "/api/v1/changes", {"sinse": "3"}),
    ("GET", "/api/v1/export/graphml", {"compress": "yes"}),
])
def test_an_unknown_query_parameter_is_a_400_naming_it(unchanged, method, path, params):
    declared = {"mode", "format", "recipe", "dryRun", "since", "limit", "after", "source", "entity"}
    unknown = [name for name in params if name not in declared]
    headers = {**auth("writer" if method == "POST" else "reader"), **CSV}
    response = httpx.request(method, unchanged + path, params=params, content=GMPP.read_bytes() if method == "POST"
                             else None, headers=headers, timeout=60)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "UNKNOWN_PARAMETER" and set(body) == {"detail", "code", "requestId"}
    assert body["detail"].startswith(f"unknown query parameter {unknown[0]!r}")


def test_the_refusal_names_every_unknown_parameter_and_what_the_endpoint_takes(unchanged):
    response = httpx.post(sync_url(unchanged, "gmpp"), params={"dry_run": "1", "Mode": "full"}, json={},
                          headers=auth("writer"))
    assert response.json()["detail"] == ("unknown query parameters 'dry_run', 'Mode'; it takes dryRun, format, mode, "
                                         "recipe")


def test_a_key_is_asked_for_before_the_parameters_are_looked_at(guarded):
    url, _ = guarded
    response = httpx.post(sync_url(url, "gmpp"), params={"dry_run": "true"}, json={})
    assert response.status_code == 401
