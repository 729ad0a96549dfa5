"""Durability: what one process loads, the next one sees; a load killed half-way leaves
the previous state whole and nothing of the interrupted document."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from benchmarks.generate import generate
from valuegraph.graph import ValueGraph, open_store
from tests.conftest import EXAMPLES
from tests.utils.fingerprint import fingerprint
from valuegraph.graph.questions import Questions

VALUEGRAPH = [sys.executable, "-m", "valuegraph.cli"]
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([*VALUEGRAPH, *args], capture_output=True, text=True, check=check, cwd=ROOT)


def test_data_loaded_by_one_process_is_there_for_the_next(tmp_path):
    store = f"oxigraph:{tmp_path / 'store'}"
    run("load", str(EXAMPLES / "strategy.yaml"), "--store", store)
    run("load", str(EXAMPLES / "ppm"), "--source", "ppm-tool", "--store", store)
    answer = json.loads(run("alignment", "--json", "--store", store).stdout)
    with ValueGraph(open_store(store)) as graph:
        a = Questions(graph).alignment()
        assert sorted(e["id"] for e in answer["orphans"]) == sorted(e.id for e in a.orphans)
        assert answer["alignedBudgetShare"] == pytest.approx(a.aligned_budget_share)
        assert graph.store.sources().keys() == {"ppm-tool", "strategy-office"}


@pytest.mark.slow
def test_sigkill_during_a_large_load_keeps_the_previous_state_and_none_of_the_document(tmp_path):
    docs = generate(projects=3000, seed=11)
    paths = []
    for i, doc in enumerate(docs):
        path = tmp_path / f"{i}-{doc['source']}.json"
        path.write_bytes(orjson.dumps(doc))
        paths.append(path)
    baseline = tmp_path / "baseline"
    run("load", str(paths[0]), str(paths[1]), "--store", f"oxigraph:{baseline}")
    with ValueGraph(open_store(f"oxigraph:{baseline}")) as graph:
        before = fingerprint(graph)

    # how long a whole load of the large document takes in a fresh process
    timing = tmp_path / "timing"
    shutil.copytree(baseline, timing)
    started = time.perf_counter()
    run("load", str(paths[2]), "--store", f"oxigraph:{timing}")
    duration = time.perf_counter() - started
    expected_entities = len(docs[2]["entities"])

    outcomes = []
    for fraction in (0.25, 0.35, 0.45, 0.55, 0.7, 0.9):
        target = tmp_path / f"kill-{fraction}"
        shutil.copytree(baseline, target)
        proc = subprocess.Popen([*VALUEGRAPH, "load", str(paths[2]), "--store", f"oxigraph:{target}"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with ValueGraph(open_store(f"oxigraph:{target}")) as graph:
            ppm = graph.store.source_state("ppm")
            if ppm.entities:  # the kill came after the commit: all of it is there
                assert len(ppm.entities) == expected_entities
                outcomes.append("complete")
            else:
                assert "ppm" not in graph.store.sources()
                assert fingerprint(graph) == before
                outcomes.append("none" if not finished else "finished-before-kill?")
    print("kill outcomes:", outcomes)
    # at least one kill interrupted the load: the interrupted document left no trace
    assert "none" in outcomes, outcomes
