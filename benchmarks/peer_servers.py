"""The two servers of the peers' comparison as processes on free loopback ports: valuegraph serve and the
Neo4j GraphQL Library (benchmarks/peer/), each timed from its process's start to its first answer."""

from __future__ import annotations

import compileall
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks import stack_floor
from benchmarks.peer_questions import AnswersDiffer, PeersUnavailable, Targets, questions

PEER_DIR = Path(__file__).resolve().parent / "peer"


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str  # its GraphQL endpoint
    log: Path  # its standard error
    first_answer_s: float = 0.0  # from the process's start to its first answer of q1

    def rss(self) -> int:
        return rss_bytes(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its descendants (a server may fork workers), from /proc."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass  # it ended meanwhile
        else:
            total += next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def _start(name: str, argv: list[str], env: dict, url: str, probe: dict, folder: Path, timeout: float) -> Server:
    """Start a server and wait for its first answer to ``probe`` (a 200 with data and no errors)."""
    log = folder / f"{name}.log"
    with log.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=err,
                                   start_new_session=True)
    server = Server(name, process, url, log)
    try:
        with httpx.Client(timeout=30) as client:
            while True:
                if process.poll() is not None:
                    raise PeersUnavailable(f"{name} stopped while starting (exit {process.returncode}):\n"
                                           f"{log_tail(log)}")
                try:
                    response = client.post(url, json=probe)
                    if response.status_code == 200:
                        body = response.json()
                        if body.get("data") and not body.get("errors"):
                            server.first_answer_s = time.perf_counter() - started
                            return server
                        raise AnswersDiffer(f"{name} answers q1 with errors: {body.get('errors')}")
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > timeout:
                    raise PeersUnavailable(f"{name} gave no answer within {timeout:.0f} s:\n{log_tail(log)}")
                time.sleep(0.02)
    except BaseException:
        server.stop()  # in a session of its own, it would outlive this process otherwise
        raise


def start_peer(url: str, user: str, password: str, probe: dict, folder: Path, timeout: float = 120) -> Server:
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), "NODE_ENV": "production",
           "PEER_NEO4J_URL": url, "PEER_NEO4J_USER": user, "PEER_NEO4J_PASSWORD": password, "PEER_PORT": str(port)}
    return _start("peer", [shutil.which("node") or "node", str(PEER_DIR / "server.mjs")], env,
                  f"http://127.0.0.1:{port}/", probe, folder, timeout)


#: valuegraph's packages, whose bytecode an install has compiled
PACKAGES = ("valuegraph.api", "valuegraph.cli", "valuegraph.graph", "valuegraph.loaders", "valuegraph.schema")


def compile_bytecode() -> None:
    """valuegraph's bytecode compiled, as ``pip install`` leaves it: run from a checkout with
    PYTHONDONTWRITEBYTECODE set, every start would compile its hundred modules again (0.3–0.45 s)."""
    for package in PACKAGES:
        compileall.compile_dir(Path(importlib.import_module(package).__file__).parent, quiet=1)


def start_valuegraph(url: str, user: str, password: str, probe: dict, folder: Path, timeout: float = 300) -> Server:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VALUEGRAPH_")}
    env.update(VALUEGRAPH_STORE=url, VALUEGRAPH_NEO4J_USER=user, VALUEGRAPH_NEO4J_PASSWORD=password,
               VALUEGRAPH_HOST="127.0.0.1", VALUEGRAPH_PORT=str(port), VALUEGRAPH_LOG_LEVEL="WARNING")
    return _start("valuegraph", [sys.executable, "-m", "valuegraph.cli", "serve"], env,
                  f"http://127.0.0.1:{port}/graphql", probe, folder, timeout)


def start_floor(url: str, user: str, password: str, target: str, folder: Path, timeout: float = 120) -> Server:
    """The stack's floor (benchmarks/stack_floor.py), asked for q1's target."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VALUEGRAPH_")}
    env.update(VALUEGRAPH_STORE=url, VALUEGRAPH_NEO4J_USER=user, VALUEGRAPH_NEO4J_PASSWORD=password,
               VALUEGRAPH_PORT=str(port))
    probe = {"query": stack_floor.PROBE, "variables": {"target": target}}
    return _start("floor", [sys.executable, stack_floor.__file__], env, f"http://127.0.0.1:{port}/graphql", probe,
                  folder, timeout)


def check_peer_installed() -> None:
    if shutil.which("node") is None:
        raise PeersUnavailable("node is not on PATH (the peer runs on Node.js 20 or newer)")
    if not (PEER_DIR / "node_modules" / "@neo4j" / "graphql").is_dir():
        raise PeersUnavailable(f"the peer's packages are not installed: npm ci --prefix {PEER_DIR}")


@dataclass
class Started:
    """Both servers, running until ``stop``."""

    ours: Server
    peer: Server
    folder: tempfile.TemporaryDirectory

    def stop(self) -> None:
        self.ours.stop()
        self.peer.stop()
        self.folder.cleanup()


def time_startups(url: str, user: str, password: str, targets: Targets, rounds: int) -> list[dict[str, float]]:
    """Each server — and the stack's floor (benchmarks/stack_floor.py) — started, answering q1, and stopped
    again ``rounds`` times, the first of the two servers to start alternating by round: the seconds from each
    process's start to its first answer, per round (one start of any swings by a third on a shared machine)."""
    check_peer_installed()
    compile_bytecode()
    q1 = questions(targets)[0]
    starters = {"peer": lambda folder: start_peer(url, user, password, q1.peer[0], folder),
                "valuegraph": lambda folder: start_valuegraph(url, user, password, q1.ours[0], folder),
                "floor": lambda folder: start_floor(url, user, password, targets.goal, folder)}
    times = []
    with tempfile.TemporaryDirectory(prefix="valuegraph-startups-") as folder:
        for n in range(rounds):
            times.append({})
            # the two compared alternate which starts first; the floor, which has no target, starts last
            for name in (["peer", "valuegraph"] if n % 2 == 0 else ["valuegraph", "peer"]) + ["floor"]:
                server = starters[name](Path(folder))
                server.stop()
                times[-1][name] = server.first_answer_s
    return times


def start_both(url: str, user: str, password: str, targets: Targets) -> Started:
    """The peer, then valuegraph serve, each timed from its process's start to its first answer of q1."""
    check_peer_installed()
    compile_bytecode()
    q1 = questions(targets)[0]
    folder = tempfile.TemporaryDirectory(prefix="valuegraph-peers-")
    peer = ours = None
    try:
        peer = start_peer(url, user, password, q1.peer[0], Path(folder.name))
        ours = start_valuegraph(url, user, password, q1.ours[0], Path(folder.name))
    except BaseException:
        for server in (peer, ours):
            if server is not None:
                server.stop()
        folder.cleanup()
        raise
    return Started(ours, peer, folder)
