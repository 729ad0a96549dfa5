"""Real HTTP servers for tests: uvicorn in a thread (in-process graph) or `valuegraph serve` as a process."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from valuegraph.api.app import create_app
from valuegraph.api.settings import Settings
from valuegraph.graph import ValueGraph

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout: float = 90.0, headers: dict | None = None) -> None:
    # generous: a server starts in about two seconds, but much later on a machine running other work, and a
    # test that gives up early says nothing about the server
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/healthz", headers=headers, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not come up in {timeout} s")


@contextmanager
def serve_in_thread(graph: ValueGraph, **settings):
    """The app on a real socket, with the given graph (so a test can look inside it)."""
    port = free_port()
    app = create_app(Settings(store="memory:", log_json=False, **settings), graph)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def served_process(store: str, *args: str, env: dict | None = None, up_timeout: float = 90.0, output=None):
    """(url, process) of `valuegraph serve` with ``args`` as a separate process on a free port, up within
    ``up_timeout`` seconds; its output goes to ``output`` (a file), else nowhere (a pipe nobody reads would
    stall a server that writes much)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "valuegraph.cli", "serve", "--store", store, "--port", str(port), *args],
        cwd=ROOT, stdout=output or subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, up_timeout)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)  # a supervisor stops its workers first
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serve_process(store: str, env: dict | None = None, up_timeout: float = 90.0):
    """`valuegraph serve` as a separate process on a free port (up within ``up_timeout`` seconds)."""
    with served_process(store, env=env, up_timeout=up_timeout) as (url, _):
        yield url
