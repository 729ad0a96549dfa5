"""The store a command reads or writes, opened as the settings say; what goes wrong is said, with exit code 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from valuegraph.api.settings import Settings
from valuegraph.cli.consoles import errors
from valuegraph.graph import NotFound, StoreError, ValueGraph
from valuegraph.graph.errors import InvalidRequest
from valuegraph.graph.precedence import PrecedenceError

StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (memory:, oxigraph:PATH); default VALUEGRAPH_STORE or oxigraph:./valuegraph-data")]


@contextmanager
def opened_graph(store: str | None, lazy: bool = False) -> Iterator[ValueGraph]:
    config = Settings()
    url = store or config.store
    try:
        options = config.graph_options()
    except PrecedenceError as exc:
        errors.print(f"[red]bad configuration:[/] {exc}")
        raise typer.Exit(2) from exc
    try:
        graph = ValueGraph.open(url, lazy=lazy, **options)
    except (StoreError, NotImplementedError, OSError) as exc:
        errors.print(f"[red]cannot open the store {url}:[/] {exc}")
        raise typer.Exit(2) from exc
    try:
        yield graph
    except (NotFound, InvalidRequest) as exc:  # an unknown id, a point the history does not have, a bad cursor
        errors.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    except StoreError as exc:
        errors.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    finally:
        graph.close()
