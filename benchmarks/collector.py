"""Do readers of a serving process stall while a sync pauses the garbage collector?

``collector_paused`` (graph/pause.py) turns the cyclic collector off for the whole process while a write
validates and writes a document; readers in other threads run with it off too. This measures what readers
see: one reader thread asks ``whatDelivers`` (traversal and entity records, as a request does) every
millisecond while the writer adds a few thousand projects through the batch writer and retracts them again,
with the pause as shipped and with the pause made a no-op. It reports the readers' latencies during the
writes and the longest single collection (``gc.callbacks``) in each case.

    python -m benchmarks.collector --projects 10000 --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import tempfile
import threading
import time

import orjson

from benchmarks.__main__ import ingest
from benchmarks.generate import generate
from benchmarks.traversal import pick_targets
from valuegraph.graph import SyncMode, ValueGraph, service, traversal
from valuegraph.graph.pause import collector_paused
from valuegraph.loaders import validate_mapping


def extra_work(n: int, objectives: list[str]) -> dict:
    entities = [{"id": f"EXTRA-{i}", "kind": "Project", "name": f"extra {i}", "budget": 1.0} for i in range(n)]
    relations = [{"from": f"EXTRA-{i}", "type": "CONTRIBUTES_TO", "to": objectives[i % len(objectives)]}
                 for i in range(n)]
    return {"source": "extra", "entities": entities, "relations": relations}


class Collections:
    """Durations of the collector's runs, while installed."""

    def __init__(self) -> None:
        self.durations: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.durations.append(time.perf_counter() - self._started)


def measure(graph: ValueGraph, target: str, doc, retract, paused: bool, rounds: int) -> dict:
    latencies: list[float] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.wait(0.001):
            started = time.perf_counter()
            index = graph.index
            found = traversal.what_delivers(index, target)
            graph.entities(found.ids[:100])
            latencies.append(time.perf_counter() - started)

    collections = Collections()
    original = service.collector_paused
    service.collector_paused = collector_paused if paused else contextlib.nullcontext
    gc.callbacks.append(collections)
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    writes = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            graph.sync(doc)
            graph.sync(retract, mode=SyncMode.FULL)
            writes.append(time.perf_counter() - started)
        time.sleep(0.5)  # collections that follow the writes count too
    finally:
        stop.set()
        thread.join()
        gc.callbacks.remove(collections)
        service.collector_paused = original
    latencies.sort()
    return {
        "paused": paused, "write_s": statistics.median(writes), "reads": len(latencies),
        "read_p50_ms": 1e3 * latencies[len(latencies) // 2], "read_p99_ms": 1e3 * latencies[int(len(latencies) * 0.99)],
        "read_max_ms": 1e3 * latencies[-1], "collections": len(collections.durations),
        "longest_collection_ms": 1e3 * max(collections.durations, default=0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--extra", type=int, default=6_000, help="projects each write adds (and retracts)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        graph, _ = ingest(generate(args.projects), folder)
        index = graph.index
        objectives = [i for i in index.ids[: index.size] if index.kind_of(i) == "Objective"]
        target = pick_targets(graph)["goal"]
        doc = validate_mapping(extra_work(args.extra, objectives), "extra.json")
        retract = validate_mapping({"source": "extra", "entities": [], "relations": []}, "retract.json")
        results = []
        for paused in (True, False, True, False):  # alternated, so drift in the machine shows
            results.append(measure(graph, target, doc, retract, paused, args.rounds))
            print(orjson.dumps(results[-1]).decode())
        graph.close()


if __name__ == "__main__":
    main()
