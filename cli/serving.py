"""What `valuegraph serve` does once its options are read: the configuration checked, then the server run in
one process or as a supervisor's workers until it is stopped.

It imports neither the command line's parser (typer) nor its consoles (rich): `valuegraph serve` given plain
options (cli/start.py) starts without them, some 50 ms of a server's start to its first answer, which is
measured against its peers' (benchmarks/peers.py). What it refuses, it raises as ``ServeRefused``; its
callers say it on their consoles."""

from __future__ import annotations

import sys

import uvicorn

from valuegraph.api import logs
from valuegraph.api.app import create_app
from valuegraph.api.auth import KeyRing, OpenServer, refuse_open_server
from valuegraph.api.settings import Settings
from valuegraph.api.workers import Supervisor, load_index_meanwhile, worker_count
from valuegraph.graph import NotFound, StoreError, StoreUnavailable, ValueGraph
from valuegraph.graph.errors import InvalidRequest
from valuegraph.graph.pause import freeze_started_process
from valuegraph.graph.precedence import PrecedenceError


class ServeRefused(Exception):
    """The server cannot start: ``title`` (said in red) and ``detail``; the command exits with code 2."""

    def __init__(self, title: str, detail: str = "") -> None:
        super().__init__(f"{title} {detail}".strip())
        self.title = title
        self.detail = detail


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def serve_until_stopped(store: str | None = None, host: str | None = None, port: int | None = None,
                        workers: int | None = None) -> int:
    """Serve with these options (None: from the settings) until stopped; the exit code."""
    overrides = {k: v for k, v in {"store": store, "host": host, "port": port, "workers": workers}.items()
                 if v is not None}
    try:
        config = Settings(**overrides)
        keys = KeyRing.load(config.api_keys_file, config.api_keys)
        options = config.graph_options()  # a precedence file that is not valid is refused before anything starts
        count = worker_count(config)
    except (ValueError, PrecedenceError) as exc:
        raise ServeRefused("bad configuration:", str(exc)) from exc
    try:
        refuse_open_server(config.host, keys)  # create_app refuses too: said here before the store is opened
    except OpenServer as exc:
        raise ServeRefused(str(exc)) from exc
    logs.configure(config.log_level, config.log_json)
    development = "" if not keys.empty else " (development: no API keys, loopback only)"
    if count > 1:  # the workers open the store: see api/workers.py
        say(f"valuegraph: store {config.store}, {count} workers, "
            f"GraphQL on http://{config.host}:{config.port}/graphql{development}")
        try:
            return Supervisor(config, count).run()
        except OSError as exc:  # the port is taken, say
            raise ServeRefused(f"cannot serve on {config.host}:{config.port}:", str(exc)) from exc
    try:
        graph = ValueGraph.open(config.store, lazy=True, **options)
    except (StoreError, NotImplementedError, OSError) as exc:
        raise ServeRefused(f"cannot open the store {config.store}:", str(exc)) from exc
    try:
        loading = load_index_meanwhile(graph)
        app = create_app(config, graph)
        try:
            loading.result()
        except StoreUnavailable as exc:
            say(f"valuegraph: {exc}; serving anyway: /readyz answers 503 and requests get 503 until the store "
                "answers")
        say(f"valuegraph: {graph.store.backend} store {config.store}, "
            f"GraphQL on http://{config.host}:{config.port}/graphql{development}")
        freeze_started_process()
        uvicorn.run(app, host=config.host, port=config.port, log_config=None)
    except (StoreError, NotFound, InvalidRequest) as exc:  # reading the index, say: a store that answers wrongly
        raise ServeRefused(str(exc)) from exc
    finally:
        graph.close()
    return 0
