"""The load test: concurrent readers asking every question while writers sync, over HTTP, on loopback.

    python -m benchmarks.load [--seconds 60] [--readers 8] [--writers 2] [--size S|M|L]
                              [--store memory:|oxigraph:PATH|bolt://127.0.0.1:7687] [--json OUT]

It starts ``valuegraph serve`` on 127.0.0.1 (a free port, a process of its own: client and server do not share
an interpreter) over the store, syncs the generated portfolio of that size (benchmarks/generate.py) into it,
and then, for ``--seconds``, runs ``--readers`` clients asking the service's questions in turn over GraphQL
and ``--writers`` clients each syncing two sources of its own in turn (POST /api/v1/sync/{source}?mode=full).
Every answer is checked (benchmarks/load_workload.py): an answer showing part of a write is *torn*, one showing
a state that cannot be current any more (or yet) is *stale*. It reports reads and writes per second, p50 and
p99 latency per question, errors (non-2xx, GraphQL errors, timeouts), torn and stale answers; the exit code is
1 when there is any of those. The store is written to: give it one of its own (``memory:`` by default). Only a
store on this machine is accepted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from benchmarks import command
from benchmarks.generate import SCALES, generate
from benchmarks.load_workload import (
    Problem,
    canonical,
    changes_question,
    check,
    check_changes,
    document,
    questions,
    source_of,
    source_tags,
)

#: a request taking longer than this is counted as an error (a timeout)
REQUEST_TIMEOUT_S = 30.0
#: the longest a server may take to answer /readyz after it starts
START_TIMEOUT_S = 180.0
LOOPBACK_NAMES = {"localhost"}
#: settings the served process must not take from this one's environment: the test talks to a server
#: without keys (development mode, loopback only)
CLEARED = ("VALUEGRAPH_API_KEYS", "VALUEGRAPH_API_KEYS_FILE", "VALUEGRAPH_STORE", "VALUEGRAPH_HOST",
           "VALUEGRAPH_PORT")


class NotLoopback(ValueError):
    """The store named is not on this machine."""


def local_store(store: str) -> str:
    """``store`` as the served process must be given it (a path made absolute); refuses a remote store."""
    if store == "memory:":
        return store
    if store.startswith("oxigraph:"):
        return "oxigraph:" + str(Path(store.removeprefix("oxigraph:")).resolve())
    parts = urlsplit(store)
    if parts.scheme in ("bolt", "neo4j", "bolt+s", "bolt+ssc", "neo4j+s", "neo4j+ssc"):
        host = parts.hostname or ""
        if host in LOOPBACK_NAMES or _loopback_address(host):
            return store
        raise NotLoopback(f"{store}: the load test only runs against a store on this machine (127.0.0.1, ::1 "
                          f"or localhost), not {host or 'a URL without a host'}")
    raise NotLoopback(f"{store}: expected memory:, oxigraph:PATH or bolt://127.0.0.1:PORT")


def _loopback_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``valuegraph serve`` over ``store`` on 127.0.0.1, in a process of its own; its output goes to a
    temporary file, shown when it fails."""

    def __init__(self, store: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env.update(VALUEGRAPH_LOG_LEVEL="WARNING", VALUEGRAPH_LOG_JSON="false")
        # run from an empty folder: no .env of the caller's is read
        self.folder = tempfile.TemporaryDirectory()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "valuegraph.cli", "serve", "--store", store, "--host", "127.0.0.1",
             "--port", str(self.port)], env=env, cwd=self.folder.name, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped (exit {self.process.returncode}):\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /readyz in {START_TIMEOUT_S:.0f} s:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        self.folder.cleanup()


class LoadError(RuntimeError):
    """A step before the timed run failed (the server's answer is in the message)."""


def sync(client: httpx.Client, source: str, doc: dict) -> dict:
    response = client.post(f"/api/v1/sync/{source}", params={"mode": "full"}, content=orjson.dumps(doc),
                           headers={"Content-Type": "application/json"})
    if response.status_code != 200:
        raise LoadError(f"sync of {source}: HTTP {response.status_code}: {response.text[:2000]}")
    return response.json()


def ask(client: httpx.Client, query: str) -> dict:
    response = client.post("/graphql", json={"query": query})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise LoadError(f"HTTP {response.status_code}: {response.text[:2000]}\nquery: {query}")
    return body["data"]


@dataclass
class Sources:
    """Each load source's writes: the generation last started and last completed, and the revision
    each completed one made."""

    tags: list[str]
    started: dict[str, int] = field(default_factory=dict)
    completed: dict[str, int] = field(default_factory=dict)
    revisions: dict[str, dict[int, int]] = field(default_factory=dict)

    def done(self, tag: str, gen: int, revision: int) -> None:
        self.completed[tag] = gen
        self.revisions.setdefault(tag, {})[gen] = revision


def expected_answers(client: httpx.Client, sources: Sources, asked: dict[str, str]) -> dict[str, dict]:
    """Every question's answer at every combination of the sources' generation parities (question ->
    parities -> canonical answer), asked with nothing else in flight; the sources are left at the last."""
    tags = sources.tags
    for tag in tags:
        write(client, sources, tag)
    expected: dict[str, dict] = {name: {} for name in asked}
    # a Gray code: each step syncs one source, so 2^sources states take as many syncs
    for step in range(2 ** len(tags)):
        if step:
            write(client, sources, tags[(step & -step).bit_length() - 1])
        parities = tuple(sources.completed[t] % 2 for t in tags)
        for name, query in asked.items():
            seen: dict[str, set[int]] = {}
            expected[name][parities] = canonical(ask(client, query), seen)
            for tag, gens in seen.items():
                if gens != {sources.completed[tag]}:
                    raise LoadError(f"{name}: with nothing in flight, {source_of(tag)} shows generations "
                                    f"{sorted(gens)}, not {sources.completed[tag]}")
    return expected


def write(client: httpx.Client, sources: Sources, tag: str) -> None:
    gen = sources.started.get(tag, -1) + 1
    sources.started[tag] = gen
    sources.done(tag, gen, sync(client, source_of(tag), document(tag, gen))["revision"])


@dataclass
class Tally:
    """What one kind of request gave: latencies (seconds) and the count of each failure."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    torn: int = 0
    stale: int = 0

    def summary(self, seconds: float) -> dict:
        ordered = sorted(self.latencies)
        return {"count": len(ordered), "per_s": len(ordered) / seconds,
                "p50_ms": _percentile(ordered, 0.50) * 1000, "p99_ms": _percentile(ordered, 0.99) * 1000,
                "errors": self.errors, "torn": self.torn, "stale": self.stale}


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Run:
    """The timed run's shared state."""

    client: httpx.AsyncClient
    sources: Sources
    asked: dict[str, str]
    expected: dict[str, dict]
    deadline: float
    tallies: dict[str, Tally] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def tally(self, name: str) -> Tally:
        return self.tallies.setdefault(name, Tally())

    def note(self, name: str, message: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(f"{name}: {message}")

    async def post(self, name: str, url: str, **kwargs) -> httpx.Response | None:
        """The response, timed; None (an error, counted) when there is none or it is not a 200."""
        tally = self.tally(name)
        started = time.perf_counter()
        try:
            response = await self.client.post(url, **kwargs)
        except httpx.HTTPError as exc:
            tally.errors += 1
            self.note(name, f"{type(exc).__name__}: {exc}")
            return None
        tally.latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            tally.errors += 1
            self.note(name, f"HTTP {response.status_code}: {response.text[:300]}")
            return None
        return response

    async def graphql(self, name: str, query: str) -> dict | None:
        response = await self.post(name, "/graphql", json={"query": query})
        if response is None:
            return None
        body = response.json()
        if body.get("errors"):
            self.tally(name).errors += 1
            self.note(name, f"GraphQL errors: {orjson.dumps(body['errors'])[:300].decode()}")
            return None
        return body["data"]

    def judge(self, name: str, problem: Problem | None) -> None:
        if problem is not None:
            tally = self.tally(name)
            setattr(tally, problem.kind, getattr(tally, problem.kind) + 1)
            self.note(name, f"{problem.kind}: {problem.message}")


async def reader(run: Run, offset: int) -> None:
    names = list(run.asked) + ["changes"]
    tags = run.sources.tags
    for turn in itertools.count(offset):
        if time.monotonic() >= run.deadline:
            return
        name = names[turn % len(names)]
        low = dict(run.sources.completed)
        if name == "changes":
            tag = tags[turn % len(tags)]
            gen = low[tag]
            revisions = dict(run.sources.revisions[tag])
            data = await run.graphql(name, changes_question(tag, revisions[gen]))
            if data is not None:
                revisions.update(run.sources.revisions[tag])  # the writes that completed meanwhile
                run.judge(name, check_changes(data, tag, gen, revisions))
            continue
        data = await run.graphql(name, run.asked[name])
        high = dict(run.sources.started)
        if data is not None:
            windows = {t: (low[t], high[t]) for t in tags}
            run.judge(name, check(data, tags, windows, run.expected[name]))


async def writer(run: Run, tags: list[str]) -> None:
    for tag in itertools.cycle(tags):
        if time.monotonic() >= run.deadline:
            return
        sources = run.sources
        gen = sources.started[tag] + 1
        sources.started[tag] = gen
        response = await run.post("sync", f"/api/v1/sync/{source_of(tag)}", params={"mode": "full"},
                                  content=orjson.dumps(document(tag, gen)),
                                  headers={"Content-Type": "application/json"})
        if response is not None:
            sources.done(tag, gen, response.json()["revision"])


async def timed_run(url: str, sources: Sources, writers: list[list[str]], readers: int, asked: dict[str, str],
                    expected: dict[str, dict], seconds: float) -> tuple[Run, float]:
    limits = httpx.Limits(max_connections=readers + len(writers) + 2)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        run = Run(client, sources, asked, expected, time.monotonic() + seconds)
        started = time.perf_counter()
        await asyncio.gather(*(reader(run, i * 3) for i in range(readers)),
                             *(writer(run, tags) for tags in writers))
        return run, time.perf_counter() - started


def load_test(seconds: float, readers: int, writers: int, size: str, store: str) -> dict:
    """The whole test: serve, load the portfolio, ask at every state, then the timed run; its figures."""
    store = local_store(store)
    writer_tags = source_tags(writers)
    sources = Sources([tag for tags in writer_tags for tag in tags])
    asked = questions(sources.tags)
    server = Server(store)
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=600) as client:
            started = time.perf_counter()
            for doc in generate(SCALES[size]):
                sync(client, doc["source"], doc)
            load_s = time.perf_counter() - started
            started = time.perf_counter()
            expected = expected_answers(client, sources, asked)
            expected_s = time.perf_counter() - started
        run, elapsed = asyncio.run(timed_run(server.url, sources, writer_tags, readers, asked, expected, seconds))
        if server.process.poll() is not None:
            run.note("server", f"the server stopped during the run:\n{server.output()}")
    finally:
        server.stop()
    reads = Tally()
    for name, tally in run.tallies.items():
        if name != "sync":
            reads.latencies += tally.latencies
            reads.errors, reads.torn, reads.stale = (reads.errors + tally.errors, reads.torn + tally.torn,
                                                     reads.stale + tally.stale)
    return {
        "size": size, "projects": SCALES[size], "store": store, "seconds": elapsed, "readers": readers,
        "writers": writers, "sources": [source_of(t) for t in sources.tags],
        "machine": {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()},  # at the end of the run: what else the cores were doing
        "load_s": load_s, "expected_answers_s": expected_s, "states": 2 ** len(sources.tags),
        "reads": reads.summary(elapsed), "writes": run.tally("sync").summary(elapsed),
        "questions": {name: run.tally(name).summary(elapsed) for name in [*asked, "changes"]},
        "problems": run.problems,
    }


def failures(result: dict) -> int:
    reads, writes = result["reads"], result["writes"]
    return reads["errors"] + reads["torn"] + reads["stale"] + writes["errors"]


def report(result: dict, console: Console) -> None:
    console.print(f"load test: {result['readers']} readers, {result['writers']} writers, {result['seconds']:.1f} s, "
                  f"size {result['size']} ({result['projects']:,} projects), store {result['store']}; "
                  f"portfolio synced in {result['load_s']:.1f} s, expected answers at {result['states']} states "
                  f"in {result['expected_answers_s']:.1f} s; load average {result['machine']['load_average'][0]:.1f} "
                  f"on {result['machine']['cpus']} cores")
    table = Table("requests", "count", "per s", "p50 ms", "p99 ms", "errors", "torn", "stale")
    table.columns[0].no_wrap = True
    rows = [(f"[bold]{k}[/]", result[k]) for k in ("reads", "writes")] + list(result["questions"].items())
    for name, row in rows:
        table.add_row(name, f"{row['count']:,}", f"{row['per_s']:.1f}", f"{row['p50_ms']:.0f}",
                      f"{row['p99_ms']:.0f}", str(row["errors"]), str(row["torn"]), str(row["stale"]))
    console.print(table)
    for problem in result["problems"]:
        console.print(Text(problem, style="red"))
    failed = failures(result)
    console.print("[green]no errors, no torn or stale answers[/]" if not failed else
                  f"[red]{failed} errors, torn or stale answers[/]")


def main() -> None:
    parser = command.parser(__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the timed run")
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--size", choices=SCALES, default="M", help="the generated portfolio: S, M or L projects")
    parser.add_argument("--store", default="memory:", help="memory:, oxigraph:PATH or bolt://127.0.0.1:PORT "
                                                           "(it is written to)")
    args = parser.parse_args()
    if args.seconds <= 0 or args.readers < 1 or args.writers < 1:
        parser.error("--seconds must be above 0, --readers and --writers at least 1")
    try:
        result = load_test(args.seconds, args.readers, args.writers, args.size, args.store)
    except NotLoopback as exc:
        parser.error(str(exc))
    except LoadError as exc:
        print(f"load test: {exc}", file=sys.stderr)
        sys.exit(2)
    console = Console(stderr=args.json is not None and args.json.name == "<stdout>")
    if not console.is_terminal:  # a log: wide enough for the table
        console.width = 120
    report(result, console)
    command.write_json(args, result)
    sys.exit(1 if failures(result) else 0)


if __name__ == "__main__":
    main()
