"""Where a hot path spends its time: py-spy samples a child process running it, and the frames are
summarised (share of the samples inside each function, and in the function itself).

    python -m benchmarks.profile ingest|graphql|cold-start [--projects 10000] [--top 30]

Needs the ``bench`` extras (py-spy) and permission to sample a child process (ptrace).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

WORKLOADS = ("ingest", "graphql", "cold-start")


def ingest(projects: int) -> None:
    """What ``ingest_vs_bulk_load`` times on our side: validation and sync of every document."""
    from benchmarks.__main__ import ingest as load
    from benchmarks.generate import generate

    docs = generate(projects)
    with tempfile.TemporaryDirectory() as folder:
        load(docs, folder)[0].close()


def graphql(projects: int, requests: int = 400) -> None:
    import httpx

    from benchmarks.__main__ import ingest as load
    from benchmarks.generate import generate
    from benchmarks.serving import delivery_query, hammer, serve_graph

    with tempfile.TemporaryDirectory() as folder:
        graph = load(generate(projects), folder)[0]
        query = delivery_query(graph)
        ports: list[int] = []
        serve_graph(graph, ports)
        url = f"http://127.0.0.1:{ports[0]}/graphql"
        httpx.post(url, json=query).raise_for_status()
        asyncio.run(hammer(url, query, requests, 8))


def cold_start(projects: int, opens: int = 20) -> None:
    from benchmarks.__main__ import ingest as load
    from benchmarks.generate import generate
    from valuegraph.graph import ValueGraph, open_store

    with tempfile.TemporaryDirectory() as folder:
        load(generate(projects), folder)[0].close()
        for _ in range(opens):
            ValueGraph(open_store(f"oxigraph:{folder}/ours")).close()


PACKAGES = {"(graphql/": "graphql-core", "(strawberry/": "strawberry", "(starlette/": "HTTP stack",
            "(fastapi/": "HTTP stack", "(uvicorn/": "HTTP stack", "(h11/": "HTTP stack", "(httptools/": "HTTP stack",
            "(asyncio/": "asyncio", "(graph/": "valuegraph graph/", "(api/": "valuegraph api/",
            "(loaders/": "valuegraph loaders/", "(pyoxigraph": "pyoxigraph"}


def _package(frame: str) -> str:
    return next((name for marker, name in PACKAGES.items() if marker in frame), "other")


def summarise(raw: Path, top: int, within: str | None = None) -> str:
    """The functions holding the most samples (inclusive and self), and self samples by package, from
    py-spy's raw output."""
    inclusive, own, packages, total = Counter(), Counter(), Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if within and not any(within in f for f in frames):
            continue
        n = int(count)
        total += n
        own[frames[-1]] += n
        packages[_package(frames[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n
    lines = [f"{total} samples", "", "inclusive:"]
    lines += [f"{c / total:6.1%}  {f}" for f, c in inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"{c / total:6.1%}  {f}" for f, c in own.most_common(top)]
    lines += ["", "self, by package:"]
    lines += [f"{c / total:6.1%}  {p}" for p, c in packages.most_common()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)  # the child: run the workload
    args = parser.parse_args()
    if args.run:
        {"ingest": ingest, "graphql": graphql, "cold-start": cold_start}[args.workload](args.projects)
        return
    spy = Path(sys.executable).with_name("py-spy")
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "profile.txt"
        subprocess.run([str(spy), "record", "--format", "raw", "--rate", "200", "--output", str(raw), "--",
                        sys.executable, "-m", "benchmarks.profile", args.workload, "--projects", str(args.projects),
                        "--run"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        within = {"ingest": "ingest (benchmarks/profile.py", "graphql": "uvicorn", "cold-start": "ValueGraph.__init__"}[args.workload]
        print(f"{args.workload} at {args.projects:,} projects (samples inside {within})")
        print(summarise(raw, args.top, within))


if __name__ == "__main__":
    main()
