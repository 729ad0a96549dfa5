"""The valuegraph command on the sample portfolio."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from valuegraph.cli.main import app
from valuegraph.cli.serve_options import plain_serve_options
from tests.conftest import EXAMPLES

runner = CliRunner()


@pytest.fixture
def store(tmp_path, sample_store_path) -> str:
    path = tmp_path / "store"
    shutil.copytree(sample_store_path, path)
    return f"oxigraph:{path}"


def vg(*args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def test_load_prints_a_report_and_is_idempotent(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    first = json.loads(vg("load", str(EXAMPLES / "strategy.yaml"), "--store", store, "--json").stdout)
    assert first[0]["source"] == "strategy-office" and first[0]["created"] > 0
    assert first[0]["byKind"]["Goal"]["created"] == 4
    again = json.loads(vg("load", str(EXAMPLES / "strategy.yaml"), "--store", store, "--json").stdout)
    assert again[0]["created"] == 0 and again[0]["unchanged"] == first[0]["created"]
    table = vg("load", str(EXAMPLES / "ppm"), "--source", "ppm-tool", "--store", store).stdout
    assert "source 'ppm-tool'" in table and "Project" in table and "total" in table


def test_load_dry_run_writes_nothing(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    report = json.loads(vg("load", str(EXAMPLES / "strategy.yaml"), "--store", store, "--dry-run", "--json").stdout)
    assert report[0]["dryRun"] is True and report[0]["created"] > 0
    stats = json.loads(vg("stats", "--store", store, "--json").stdout)
    assert sum(stats["entities"].values()) == 0


def test_load_full_mode_retracts(tmp_path, store):
    doc = tmp_path / "ppm.json"
    doc.write_text(json.dumps({"entities": [{"id": "PRJ-01", "kind": "Project", "name": "Smart meter procurement"}]}))
    report = json.loads(vg("load", str(doc), "--source", "ppm-tool", "--mode", "full", "--store", store, "--json").stdout)
    assert report[0]["retracted"] > 100
    delivers = json.loads(vg("delivers", "OBJ-2", "--store", store, "--json").stdout)
    assert delivers == []


def test_rejected_load_exits_1_and_names_each_error(tmp_path, store):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"source": "x", "entities": [{"id": "A", "kind": "Widget", "name": "a"},
                                                         {"id": "B", "kind": "Project"}]}))
    result = vg("load", str(bad), "--store", store, "--json", code=1)
    errors = json.loads(result.stdout)["errors"]
    assert {e["location"] for e in errors} == {f"{bad}: entities[0].kind", f"{bad}: entities[1].name"}


def test_two_files_of_one_source_are_one_transaction(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(json.dumps({"entities": [{"id": "O", "kind": "Objective", "name": "o"}]}))
    b.write_text(json.dumps({"entities": [{"id": "P", "kind": "Project", "name": "p"}],
                             "relations": [{"from": "P", "type": "CONTRIBUTES_TO", "to": "O"}]}))
    vg("load", str(a), str(b), "--source", "s", "--mode", "full", "--store", store)
    assert [h["id"] for h in json.loads(vg("delivers", "O", "--store", store, "--json").stdout)] == ["P"]


def test_stats(store):
    stats = json.loads(vg("stats", "--store", store, "--json").stdout)
    assert stats["entities"]["Project"] == 35
    assert set(stats["sources"]) == {"ppm-tool", "strategy-office"}
    assert stats["relations"]["DEPENDS_ON"] == 16
    assert "Project" in vg("stats", "--store", store).stdout


def test_delivers(store):
    hits = json.loads(vg("delivers", "OBJ-1", "--store", store, "--json").stdout)
    assert hits[0]["id"] == "PG-CX" and hits[0]["distance"] == 1
    assert all(h["kind"] in ("Project", "Programme") for h in hits)
    assert "PRJ-13" not in {h["id"] for h in hits}  # cancelled
    with_cancelled = json.loads(vg("delivers", "OBJ-1", "--include-cancelled", "--store", store, "--json").stdout)
    assert "PRJ-13" in {h["id"] for h in with_cancelled}
    deliverables = json.loads(vg("delivers", "OBJ-1", "-k", "Deliverable", "--store", store, "--json").stdout)
    assert deliverables and all(h["kind"] == "Deliverable" for h in deliverables)
    assert "what delivers OBJ-1" in vg("delivers", "OBJ-1", "--store", store).stdout


def test_why(store):
    hits = json.loads(vg("why", "PRJ-05", "--store", store, "--json").stdout)
    assert [h["id"] for h in hits] == ["KR-6", "OBJ-2", "G-1", "G-2"]


def test_trace(store):
    paths = json.loads(vg("trace", "PRJ-05", "G-1", "--store", store, "--json").stdout)
    assert [p["length"] for p in paths] == [3, 3]
    assert paths[0]["relations"][0] == {"from": "PRJ-05", "type": "CONTRIBUTES_TO", "to": "KR-6", "weight": 0.7,
                                        "sources": ["ppm-tool"]}
    assert "-CONTRIBUTES_TO" in vg("trace", "PRJ-05", "G-1", "--store", store).stdout
    assert "no value path" in vg("trace", "G-1", "PRJ-05", "--store", store).stdout


def test_alignment(store):
    answer = json.loads(vg("alignment", "--store", store, "--json").stdout)
    assert [e["id"] for e in answer["orphans"]] == ["PRJ-31", "PRJ-32", "PRJ-33", "PRJ-35"]
    assert [e["id"] for e in answer["unsupported"]] == ["OBJ-7", "OBJ-9"]
    assert 0 < answer["alignedBudgetShare"] < 1
    assert "aligned budget share" in vg("alignment", "--store", store).stdout


def test_impact(store):
    answer = json.loads(vg("impact", "PRJ-35", "--store", store, "--json").stdout)
    assert [d["id"] for d in answer["dependents"]] == ["PRJ-03", "PRJ-26", "PRJ-33", "PRJ-05", "PRJ-25"]
    assert {"OBJ-2", "OBJ-6", "SEG-SME"} <= {a["id"] for a in answer["affected"]}


def test_unknown_id_and_bad_store(store):
    assert "no entity with id 'NOPE'" in vg("delivers", "NOPE", "--store", store, code=2).output
    assert "unknown store URL" in vg("stats", "--store", "ftp://x", code=2).output
    assert "unknown kind" in vg("delivers", "OBJ-1", "-k", "Widget", "--store", store, code=2).output


def test_formats():
    out = vg("formats").stdout
    assert "json" in out and "yaml" in out and "csv" in out


def test_installed_console_script(tmp_path):
    script = Path(sys.executable).parent / "valuegraph"
    assert script.exists(), "pip install . provides the valuegraph command"
    store = f"oxigraph:{tmp_path / 's'}"
    done = subprocess.run([str(script), "load", str(EXAMPLES / "strategy.yaml"), "--store", store],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(script), "why", "KR-1", "--json", "--store", store], capture_output=True, text=True,
                          check=False)
    assert [h["id"] for h in json.loads(done.stdout)] == ["OBJ-1", "G-1"]


def test_store_from_the_environment(tmp_path, monkeypatch):
    store = f"oxigraph:{tmp_path / 'env-store'}"
    monkeypatch.setenv("VALUEGRAPH_STORE", store)
    vg("load", str(EXAMPLES / "strategy.yaml"))
    assert (tmp_path / "env-store").is_dir()
    stats = json.loads(vg("stats", "--json").stdout)
    assert stats["entities"]["Goal"] == 4


def test_a_bad_document_among_several_writes_none(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"source": "other", "entities": [{"id": "X", "kind": "Widget", "name": "x"}]}))
    result = vg("load", str(EXAMPLES / "strategy.yaml"), str(bad), "--store", store, code=1)
    assert "nothing was written" in result.output
    assert sum(json.loads(vg("stats", "--store", store, "--json").stdout)["entities"].values()) == 0


def test_a_document_rejected_by_the_graph_after_another_was_written(tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    later = tmp_path / "later.json"
    later.write_text(json.dumps({"source": "later", "entities": [{"id": "G-1", "kind": "Project", "name": "x"}]}))
    result = vg("load", str(EXAMPLES / "strategy.yaml"), str(later), "--store", store, code=1)
    assert "already written: strategy-office" in result.output
    assert "'G-1' is a Goal already" in result.output
    assert json.loads(vg("stats", "--store", store, "--json").stdout)["entities"]["Goal"] == 4


# what `valuegraph serve` imported, said at exit (the command is refused before it opens anything)
SERVE_PROBE = """
import atexit, sys
WATCHED = ("valuegraph.cli.main", "rich.progress", "valuegraph.api.app", "typer")
atexit.register(lambda: print(sorted(m for m in WATCHED if m in sys.modules), file=sys.stderr))
sys.argv = ["valuegraph", "serve", *sys.argv[1:]]
from valuegraph.cli.start import main
main()
"""


def serve_probe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SERVE_PROBE, *args], capture_output=True, text=True, timeout=120)


def test_serve_imports_the_web_stack_and_none_of_the_other_commands():
    done = serve_probe("--store", "memory:", "--host", "0.0.0.0")
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0" in done.stderr
    # plain options are read without the command line's parser
    assert done.stderr.strip().splitlines()[-1] == "['valuegraph.api.app']"


def test_serve_given_what_its_parser_must_read_says_the_same_through_it():
    plain = serve_probe("--store", "memory:", "--host", "0.0.0.0")
    parsed = serve_probe("--store", "memory:", "--host", "0.0.0.0", "--host", "0.0.0.0")  # repeated: the parser's
    assert parsed.returncode == plain.returncode == 2
    assert parsed.stderr.strip().splitlines()[-1] == "['typer', 'valuegraph.api.app']"
    assert parsed.stderr.splitlines()[:-1] == plain.stderr.splitlines()[:-1]
    malformed = serve_probe("--store", "memory:", "--port", "eighty")
    assert malformed.returncode == 2
    assert "Invalid value for '--port'" in malformed.stderr
    assert malformed.stderr.strip().splitlines()[-1] == "['typer']"


def test_serve_with_a_bad_setting_says_so_the_same_way_on_both_paths(tmp_path):
    missing = tmp_path / "keys.yaml"
    env = {**os.environ, "VALUEGRAPH_API_KEYS_FILE": str(missing)}
    plain = subprocess.run([sys.executable, "-c", SERVE_PROBE, "--store", "memory:"], capture_output=True,
                           text=True, timeout=120, env=env)
    parsed = subprocess.run([sys.executable, "-c", SERVE_PROBE, "--store", "memory:", "--store", "memory:"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert plain.returncode == parsed.returncode == 2
    assert f"bad configuration: cannot read API keys from {missing}" in " ".join(plain.stderr.split())
    assert plain.stderr.splitlines()[:-1] == parsed.stderr.splitlines()[:-1]


def test_serve_interrupted_while_starting_stops_without_a_traceback():
    # a "Neo4j" that takes the connection and never answers: the server is interrupted while it opens the store,
    # before uvicorn has its own signal handlers
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        env = {**os.environ, "VALUEGRAPH_LOG_LEVEL": "WARNING", "VALUEGRAPH_NEO4J_PASSWORD": "unused"}
        server = subprocess.Popen([sys.executable, "-m", "valuegraph.cli", "serve", "--workers", "1", "--store",
                                   f"bolt://127.0.0.1:{silent.getsockname()[1]}"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  # as from a terminal: a shell's background job (make test run with &) ignores
                                  # SIGINT, and the server would inherit that
                                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        silent.settimeout(60)
        connection, _ = silent.accept()
        with connection:
            server.send_signal(signal.SIGINT)
            _, said = server.communicate(timeout=60)
    assert server.returncode == 130, said
    assert "Traceback" not in said and "KeyboardInterrupt" not in said


@pytest.mark.parametrize("args, expected", [
    ([], {}),
    (["--store", "memory:", "--port=8001", "--workers", "3"], {"store": "memory:", "port": 8001, "workers": 3}),
    (["--store=oxigraph:/data/a=b", "--host", "::1"], {"store": "oxigraph:/data/a=b", "host": "::1"}),
    (["--help"], None), (["--workers", "0"], None), (["--workers", "257"], None), (["--port", "-1"], None),
    (["--port", "٣"], None), (["--port", "1", "--port", "2"], None), (["--store"], None), (["memory:"], None),
    (["--", "--store", "memory:"], None), (["--stor", "memory:"], None),
])
def test_which_serve_options_are_read_without_the_parser(args, expected):
    assert plain_serve_options(args) == expected


def test_serve_on_its_own_has_the_options_and_errors_of_the_full_command_line():
    script = Path(sys.executable).parent / "valuegraph"
    alone = subprocess.run([str(script), "serve", "--help"], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "COLUMNS": "200"})
    full = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert alone.returncode == full.exit_code == 0
    for option in ("--store", "--host", "--port", "--workers"):
        assert option in alone.stdout and option in full.output
    assert "Usage: valuegraph serve [OPTIONS]" in alone.stdout
    refused = subprocess.run([str(script), "serve", "--workers", "0"], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--workers" in refused.stderr
