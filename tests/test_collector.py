"""The collector around a start. A snapshot a write replaces is freed by reference counting alone: a server
leaves what it held when it started out of the collector's walks (graph/pause.py ``freeze_started_process``),
so a snapshot that pointed back at itself would never be freed. The command's modules are imported with the
collector paused (cli/start.py), and it runs again once the command begins or the server has started."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.pause import collector_paused, freeze_started_process
from valuegraph.graph.questions import Questions
from tests.utils.factories import E, R, load


def test_a_replaced_snapshot_is_freed_without_the_collector():
    graph = ValueGraph(open_store("memory:"))
    load(graph, [E("G", "Goal"), E("O", "Objective"), E("P", "Project"), E("Q", "Project")],
         [R("O", "SUPPORTS", "G"), R("P", "CONTRIBUTES_TO", "O"), R("Q", "DEPENDS_ON", "P")])
    questions = Questions(graph)
    # every answer the snapshot keeps between requests, and its records
    assert [h.entity.id for h in questions.what_delivers("G").hits] == ["P"]
    assert questions.why_exists("P")
    assert questions.impact("P").dependents
    assert questions.path_records(questions.trace("P", "G"))
    assert questions.alignment()
    snapshot = weakref.ref(graph.index)
    del questions
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        load(graph, [E("P2", "Project")], [R("P2", "CONTRIBUTES_TO", "O")])
        assert graph.index is not snapshot()
        assert [h.entity.id for h in Questions(graph).what_delivers("G").hits] == ["P", "P2"]
        assert snapshot() is None, "the replaced snapshot is kept alive by a reference cycle"
    finally:
        if was_enabled:
            gc.enable()
    graph.close()


# counts the collections made while the command's modules were imported (from the start of the command
# line's module to its last line, which defines ``main``); says at exit whether the collector ran again
PROBE = """
import atexit, gc, sys
made = []
def importing():
    module = sys.modules.get("valuegraph.cli.main")
    return module is not None and getattr(module, "main", None) is None
gc.callbacks.append(lambda phase, info: phase == "start" and importing() and made.append(1))
atexit.register(lambda: print(len(made), gc.isenabled(), file=sys.stderr))
sys.argv = ["valuegraph", "formats"]
from valuegraph.cli.start import main
main()
"""


def test_the_command_imports_its_modules_without_collections_and_runs_with_the_collector():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "json" in done.stdout  # the command ran: it lists the formats
    importing, enabled = done.stderr.split()[-2:]
    assert importing == "0" and enabled == "True"


def test_a_started_server_lets_the_collector_run_again_unless_bulk_work_paused_it():
    was_enabled = gc.isenabled()
    try:
        gc.disable()  # as the command's start leaves it
        freeze_started_process()
        assert gc.isenabled()
        gc.disable()
        with collector_paused():  # a write under way, begun during the start, when the server has started
            freeze_started_process()
            assert not gc.isenabled()
        assert gc.isenabled()  # once the write is done
    finally:
        gc.unfreeze()
        if not was_enabled:
            gc.disable()
