"""`valuegraph serve`. Run on its own (cli/start.py), it imports none of the other commands' modules: the
start to a server's first answer is one of the things valuegraph is measured by (benchmarks/peers.py)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from valuegraph.api import logs
from valuegraph.api.auth import KeyRing, OpenServer, refuse_open_server
from valuegraph.api.settings import Settings
from valuegraph.cli.consoles import errors
from valuegraph.cli.graphs import StoreOpt, opened_graph
from valuegraph.graph import StoreUnavailable
from valuegraph.graph.pause import freeze_started_process
from valuegraph.graph.precedence import PrecedenceError


def serve(
    store: StoreOpt = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default VALUEGRAPH_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default VALUEGRAPH_PORT or 8000).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=256,
                                                help="Processes to answer with (default VALUEGRAPH_WORKERS or one "
                                                     "per core; a memory: store has one).")] = None,
) -> None:
    """Serve GraphQL (with GraphiQL) on /graphql and the REST API."""
    # the web stack (FastAPI, strawberry, uvicorn) is imported only to serve: it adds a second to the
    # start of every other command, whose command line names this function
    import uvicorn

    from valuegraph.api.app import create_app
    from valuegraph.api.workers import Supervisor, load_index_meanwhile, worker_count

    overrides = {k: v for k, v in {"store": store, "host": host, "port": port, "workers": workers}.items()
                 if v is not None}
    try:
        config = Settings(**overrides)
        keys = KeyRing.load(config.api_keys_file, config.api_keys)
        config.graph_options()  # a precedence file that is not valid is refused before anything starts
        count = worker_count(config)
    except (ValueError, PrecedenceError) as exc:
        errors.print(f"[red]bad configuration:[/] {exc}")
        raise typer.Exit(2) from exc
    try:
        refuse_open_server(config.host, keys)  # create_app refuses too: said here before the store is opened
    except OpenServer as exc:
        errors.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(2) from exc
    logs.configure(config.log_level, config.log_json)
    development = "" if not keys.empty else " (development: no API keys, loopback only)"
    if count > 1:  # the workers open the store: see api/workers.py
        errors.print(f"valuegraph: store {config.store}, {count} workers, "
                     f"GraphQL on http://{config.host}:{config.port}/graphql{development}")
        try:
            code = Supervisor(config, count).run()
        except OSError as exc:  # the port is taken, say
            errors.print(f"[red]cannot serve on {config.host}:{config.port}:[/] {exc}")
            raise typer.Exit(2) from exc
        raise typer.Exit(code)
    with opened_graph(config.store, lazy=True) as graph:
        loading = load_index_meanwhile(graph)
        app = create_app(config, graph)
        try:
            loading.result()
        except StoreUnavailable as exc:
            errors.print(f"[yellow]valuegraph: {exc}; serving anyway: /readyz answers 503 and requests "
                         "get 503 until the store answers[/]")
        errors.print(f"valuegraph: {graph.store.backend} store {config.store}, "
                     f"GraphQL on http://{config.host}:{config.port}/graphql{development}")
        freeze_started_process()
        uvicorn.run(app, host=config.host, port=config.port, log_config=None)


def main(args: list[str]) -> None:
    """``valuegraph serve ARGS``, with the options, help and errors the full command line gives it."""
    command = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    command.command()(serve)
    command(args=args, prog_name="valuegraph serve")
