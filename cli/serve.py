"""`valuegraph serve` as a command of the command line, and on its own with its options' help and errors
(cli/start.py). What it does is cli/serving.py's; run with plain options, cli/start.py calls that directly."""

from __future__ import annotations

from typing import Annotated

import typer

from valuegraph.cli.consoles import say_refusal
from valuegraph.cli.graphs import StoreOpt
from valuegraph.cli.serve_options import WORKER_COUNTS


def serve(
    store: StoreOpt = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default VALUEGRAPH_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default VALUEGRAPH_PORT or 8000).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=WORKER_COUNTS.start, max=WORKER_COUNTS.stop - 1,
                                                help="Processes to answer with (default VALUEGRAPH_WORKERS or one "
                                                     "per core; a memory: store has one).")] = None,
) -> None:
    """Serve GraphQL (with GraphiQL) on /graphql and the REST API."""
    # the web stack (FastAPI, strawberry, uvicorn) is imported only to serve: it adds a second to the
    # start of every other command, whose command line names this function
    from valuegraph.cli.serving import ServeRefused, serve_until_stopped

    try:
        code = serve_until_stopped(store, host, port, workers)
    except ServeRefused as exc:
        say_refusal(exc.title, exc.detail)
        raise typer.Exit(2) from exc
    raise typer.Exit(code)


def main(args: list[str]) -> None:
    """``valuegraph serve ARGS``, with the options, help and errors the full command line gives it."""
    command = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    command.command()(serve)
    command(args=args, prog_name="valuegraph serve")
