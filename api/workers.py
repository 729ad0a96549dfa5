"""`valuegraph serve --workers N`: one listening socket, N processes answering on it, and a supervisor.

The supervisor (the process `valuegraph serve` starts as) binds the socket, then forks the workers, which
inherit it: the kernel hands each new connection to one of them. The supervisor opens no store and starts
no thread before it forks (a store's background threads would not be in the children). Each worker opens
the store and answers on its own, kept current with the others by the store's revisions (every worker
brings its index up to the latest revision before it answers: graph/service.py ``refresh``).

- Neo4j: every worker reads and writes; a write planned on a revision another worker has moved past is
  planned again (graph/service.py ``sync``).
- An embedded Oxigraph store takes one writing process. Worker 0 opens it read-write and serves the writes
  of the others (graph/writer.py); workers 1… open it read-only, open it again when worker 0 marks a new
  revision, and forward each write (REST sync, GraphQL mutation) to worker 0 with its author.

Worker 0 starts first and answers as soon as it is ready; the others start once it answers (a start beside
it would slow its first answers), and load the index it kept (an embedded store's writer also recovers an
interrupted bulk write before anyone reads).

Every response names the worker that made it (``X-Valuegraph-Worker``: its number). A worker that dies is
replaced; workers that keep dying (``RESTARTS`` in ``RESTART_WINDOW`` seconds), or one that cannot start,
end the server with the reason. Workers die with the supervisor (Linux: the parent-death signal), and the
supervisor stops them all on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path

import uvicorn
from pydantic import SecretStr

from valuegraph.api.app import create_app, graphql_schema
from valuegraph.api.settings import Settings
from valuegraph.graph import StoreError, StoreUnavailable, ValueGraph
from valuegraph.graph.pause import freeze_started_process
from valuegraph.graph.questions import Questions
from valuegraph.graph.writer import WriteForwarder, WriteServer, socket_folder

log = logging.getLogger("valuegraph.workers")

#: a worker replaced this many times within RESTART_WINDOW seconds ends the server
RESTARTS = 5
RESTART_WINDOW = 60.0
#: how long a worker may take to stop after SIGTERM before it is killed
STOP_SECONDS = 15.0
#: how long worker 0 may take to get ready (its index loaded or built, its app started) before the others
#: start anyway
FIRST_READY_SECONDS = 600.0
#: worker 0 lets the others start once it has answered a request, or this long after it started: started
#: beside its first answer, they would take the cores it needs
SETTLE_SECONDS = 1.0

WORKER_HEADER = b"x-valuegraph-worker"
_PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    """One worker per core this process may run on."""
    count = getattr(os, "process_cpu_count", None)  # Python 3.13
    if count is not None:
        return max(1, count() or 1)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def worker_count(settings: Settings) -> int:
    """How many workers serve ``settings.store``: ``settings.workers``, or one per core; an in-memory store is
    one process's, so it is served by one (asking for more is an error)."""
    embedded_memory = settings.store.partition(":")[0] == "memory"
    if settings.workers is None:
        return 1 if embedded_memory else default_workers()
    if embedded_memory and settings.workers > 1:
        raise ValueError("a memory: store lives in one process: serve it with one worker (--workers 1)")
    return settings.workers


class WorkerTagged:
    """Every HTTP response names the worker that made it (for tests and operators), as plain ASGI; and
    ``on_settled`` is called once the app has answered its first request, or ``settle_seconds`` after its
    lifespan's startup completed, whichever comes first."""

    def __init__(self, app, number: int, on_settled: Callable[[], None],
                 settle_seconds: float = SETTLE_SECONDS) -> None:
        self.app = app
        self.tag = (WORKER_HEADER, str(number).encode())
        self._on_settled = on_settled
        self.settle_seconds = settle_seconds
        self._settled = False
        self._timer: asyncio.TimerHandle | None = None

    def _settle(self) -> None:
        if not self._settled:
            self._settled = True
            self._on_settled()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            async def watched(message) -> None:
                await send(message)
                if message["type"] == "lifespan.startup.complete":
                    self._timer = asyncio.get_running_loop().call_later(self.settle_seconds, self._settle)
                elif message["type"].startswith("lifespan.shutdown") and self._timer is not None:
                    self._timer.cancel()  # a worker stopping is not one that has settled

            await self.app(scope, receive, watched)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), self.tag]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self._settle()

        await self.app(scope, receive, tagged)


@dataclass(frozen=True)
class _Plan:
    settings: Settings
    count: int
    supervisor: int  # the supervisor's pid
    write_address: str | None  # the embedded store's writer socket (None: every worker writes)
    authkey: bytes


def _die_with_parent(parent: int) -> None:
    """Ask Linux to stop this worker when the supervisor dies, however it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the supervisor still stops its workers when it can
        pass
    if os.getppid() != parent:  # it died before the request was made
        os._exit(0)


def _worker(plan: _Plan, number: int, sock: socket.socket, ready) -> None:
    """One worker's life: open the graph, serve until told to stop, close the graph."""
    _die_with_parent(plan.supervisor)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    settings = plan.settings
    reader = plan.write_address is not None and number > 0
    forwarder = WriteForwarder(plan.write_address, plan.authkey) if reader else None
    try:
        graph = ValueGraph.open(settings.store, lazy=True, writer=forwarder, read_only=reader,
                                **settings.graph_options())
    except (StoreError, OSError) as exc:
        print(f"valuegraph: worker {number} cannot open the store {settings.store}: {exc}", file=sys.stderr)
        os._exit(2)
    write_server = None
    try:
        loading = load_index_meanwhile(graph)
        # the others start once this one has answered, or has been up a while (WorkerTagged)
        app = WorkerTagged(create_app(settings, graph), number, ready.set)
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None,
                                timeout_graceful_shutdown=STOP_SECONDS - 2)
        config.load()  # uvicorn's protocols, while the index loads
        try:
            loading.result()
        except StoreUnavailable as exc:
            log.warning("worker %d: %s; serving anyway: requests get 503 until the store answers", number, exc)
        if plan.write_address is not None and number == 0:
            write_server = WriteServer(graph, plan.write_address, plan.authkey)
        freeze_started_process()
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        if write_server is not None:
            write_server.close()
        if forwarder is not None:
            forwarder.close()
        graph.close()


def load_index_meanwhile(graph: ValueGraph) -> Future[None]:
    """The graph's traversal index loaded (or built) in a thread of its own, while the server is made: its
    reads of the store overlap making the app and loading uvicorn's protocols (about 20 ms of the 0.2–0.3 s from
    a worker's fork to its first answer). ``result()`` says how it went (StoreUnavailable: the store does not
    answer); a request that comes before it is done waits for it (graph/service.py)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="valuegraph-index")
    try:
        return pool.submit(Questions(graph).ready)
    finally:
        pool.shutdown(wait=False)  # its thread ends with this one task


def _bind(settings: Settings) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Supervisor:
    """Starts the workers, replaces those that die, and stops them all."""

    def __init__(self, settings: Settings, count: int) -> None:
        if settings.session_secret is None:
            # one browser session for every worker (the default secret is per process): it still ends
            # when the server restarts
            settings = settings.model_copy(update={"session_secret": SecretStr(secrets.token_urlsafe(32))})
        embedded = settings.store.partition(":")[0] == "oxigraph"
        self._folder = socket_folder() if embedded and count > 1 else None
        self.plan = _Plan(settings, count, os.getpid(),
                          str(Path(self._folder) / "writes.sock") if self._folder else None, secrets.token_bytes(32))
        self._context = multiprocessing.get_context("fork")
        self._workers: dict[int, multiprocessing.Process] = {}
        self._restarts: list[float] = []
        self._stopping = threading.Event()

    def _start(self, number: int, sock: socket.socket):
        ready = self._context.Event()
        process = self._context.Process(target=_worker, args=(self.plan, number, sock, ready),
                                        name=f"valuegraph-worker-{number}", daemon=False)
        process.start()
        self._workers[number] = process
        return ready

    def _wait_ready(self, number: int, ready, seconds: float) -> bool:
        """Whether worker ``number`` got ready (False: it died first)."""
        deadline = time.monotonic() + seconds
        process = self._workers[number]
        while time.monotonic() < deadline and not self._stopping.is_set():
            if ready.wait(0.1):
                return True
            if not process.is_alive():
                return False
        return True

    def run(self) -> int:
        """Serve until stopped; the exit code."""
        sock = _bind(self.plan.settings)
        previous = {s: signal.signal(s, lambda *_: self._stopping.set()) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            # worker 0 first: it answers as soon as it has its index, and it keeps the index for the others
            # to load (rather than every worker reading the graph out of the store at once); on an embedded
            # store it is also the writer, which finishes an interrupted bulk write before anyone reads
            graphql_schema(self.plan.settings)  # made once, here: every worker forked has it
            first = self._start(0, sock)
            if not self._wait_ready(0, first, FIRST_READY_SECONDS):
                return self._failed(0, "could not start")
            for number in range(1, self.plan.count):
                self._start(number, sock)
            freeze_started_process()  # the supervisor lives as long as its workers, and watches them only
            return self._watch(sock)
        finally:
            self._stop_all()
            for s, handler in previous.items():
                signal.signal(s, handler)
            sock.close()
            if self._folder is not None:
                for path in Path(self._folder).glob("*"):
                    path.unlink(missing_ok=True)
                os.rmdir(self._folder)

    def _watch(self, sock: socket.socket) -> int:
        while not self._stopping.is_set():
            by_sentinel = {p.sentinel: n for n, p in self._workers.items()}
            for sentinel in wait(list(by_sentinel), timeout=0.5):
                if self._stopping.is_set():
                    break
                number = by_sentinel[sentinel]
                process = self._workers[number]
                process.join()
                if process.exitcode == 2:  # it could not open the store: another won't either
                    return self._failed(number, "could not open the store")
                now = time.monotonic()
                self._restarts = [t for t in self._restarts if now - t < RESTART_WINDOW] + [now]
                if len(self._restarts) > RESTARTS:
                    return self._failed(number, f"died {len(self._restarts)} times in {RESTART_WINDOW:.0f} s")
                log.error("worker %d (pid %d) exited with code %s: starting another", number, process.pid,
                          process.exitcode)
                self._start(number, sock)
        return 0

    def _failed(self, number: int, why: str) -> int:
        message = f"valuegraph: worker {number} {why}; the server stops"
        log.error(message)
        print(message, file=sys.stderr)
        return 1

    def _stop_all(self) -> None:
        for process in self._workers.values():
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in self._workers.values():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
