"""The ``valuegraph`` command."""

from __future__ import annotations

import sys
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from valuegraph.api.auth import ApiKeyConfig, hash_key, new_key
from valuegraph.api.settings import Settings
from valuegraph.cli import render
from valuegraph.cli.consoles import console, errors
from valuegraph.cli.graphs import StoreOpt, opened_graph
from valuegraph.cli.serve import serve
from valuegraph.graph import DocumentRejected, NotFound, SyncMode, ValueGraph
from valuegraph.graph import cypher as cypher_queries
from valuegraph.graph import sparql as sparql_queries
from valuegraph.graph.errors import (
    NO_LOADER,
    NO_SOURCE,
    UNKNOWN_FORMAT,
    UNKNOWN_RECIPE,
    NotSupported,
    QueryRejected,
)
from valuegraph.graph.history import AsOf
from valuegraph.graph.export import csv_files
from valuegraph.graph.model import Document, join_documents
from valuegraph.graph.pause import collector_paused, resume_after_start
from valuegraph.graph.questions import DEFAULT_WHY_KINDS, DELIVERY_KINDS, Questions
from valuegraph.graph.service import resolve_source
from valuegraph.loaders import loader_for, registry
from valuegraph.loaders.exports import EXPORTS, write_export
from valuegraph.loaders.recipe import RECIPE_NAME, builtin_recipes, folder_recipes, recipe_file
from valuegraph.schema import vocabulary
from valuegraph.schema.text import source_name_fault

app = typer.Typer(help="valuegraph: strategy and delivery as one knowledge graph.", no_args_is_help=True,
                  pretty_exceptions_enable=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]
KindsOpt = Annotated[list[str] | None, typer.Option("--kind", "-k", help="Kinds to answer with (repeatable).")]
CancelledOpt = Annotated[bool, typer.Option("--include-cancelled", help="Let value paths pass through cancelled entities.")]
TargetArg = Annotated[str, typer.Argument(help="Id of an objective, goal, key result, benefit…")]
ItemArg = Annotated[str, typer.Argument(help="Id of a project, programme, deliverable…")]
SlippingArg = Annotated[str, typer.Argument(help="Id of the project, programme or deliverable that slips.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", metavar="REVISION|TIME",
                                             help="Answer as the graph stood at this revision number or ISO-8601 "
                                                  "time (as in 12 or 2026-03-01T09:00:00Z).")]
PointArg = Annotated[str, typer.Argument(metavar="FROM", help="A revision number or an ISO-8601 time.")]


def _questions(graph: ValueGraph, as_of: str | None) -> Questions:
    """The questions on the graph as it stood at ``as_of`` (now when None)."""
    return Questions(graph).at(None if as_of is None else AsOf.parse(as_of))


def _kinds(given: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not given:
        return default
    try:
        return tuple(vocabulary().kind(k).name for k in given)
    except KeyError as exc:
        raise typer.BadParameter(exc.args[0]) from exc


def _source_name(value: str | list[str] | None):
    """The rule for source names (schema/text.py) on a --source option, before anything is read."""
    for name in [value] if isinstance(value, str) else value or ():
        if fault := source_name_fault(name):
            raise typer.BadParameter(f"the source name {name!r} {fault}")
    return value


def _combine(docs: list[Document], source: str | None) -> OrderedDict[str, Document]:
    """Documents of the same source become one, so each source is written in one transaction."""
    by_source: OrderedDict[str, list[Document]] = OrderedDict()
    problems = []
    for doc in docs:
        try:
            name = resolve_source(doc, source)
        except DocumentRejected as exc:
            problems += exc.errors + doc.errors
            continue
        by_source.setdefault(name, []).append(doc)
    if problems:
        raise DocumentRejected(problems)
    return OrderedDict((name, join_documents(parts, name)) for name, parts in by_source.items())


def _show_hits(hits, title: str, json: bool) -> None:
    if json:
        render.emit_json([render.hit_json(h) for h in hits])
    else:
        console.print(render.hits_table(f"{title} ({len(hits)})", hits))


@app.command()
@collector_paused()  # one pause for reading, checking and writing every document: see graph/pause.py
def load(
    paths: Annotated[list[Path], typer.Argument(help="Exchange documents (.json, .yaml, .yml), folders of CSV files, or any format `valuegraph formats` lists (ArchiMate, RDF, schedules…).")],
    source: Annotated[str | None, typer.Option("--source", help="The system the facts come from.",
                                               callback=_source_name)] = None,
    mode: Annotated[SyncMode, typer.Option("--mode", help="merge adds and updates; full also retracts what the source no longer asserts.")] = SyncMode.MERGE,
    format: Annotated[str | None, typer.Option("--format", help="Read every path with this loader (see `valuegraph formats`).")] = None,
    recipe: Annotated[str | None, typer.Option("--recipe", help="Read spreadsheet registers (CSV) through this recipe, or override the mapping of an ArchiMate model or a schedule: a built-in name, one of VALUEGRAPH_RECIPE_FOLDER, or a file.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report, write nothing.")] = False,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Load documents into the graph; every source's documents are written all or nothing."""
    recipe = _recipe(recipe)
    docs: list[Document] = []
    problems = []
    if len(paths) == 1 and mode is SyncMode.MERGE:
        try:
            loader = loader_for(paths[0], format, recipe)
        except DocumentRejected as exc:
            _reject(f"rejected: {len(exc.errors)} error(s); nothing was written", exc.errors, json)
        if loader.streams:  # read, check and write a slice at a time: memory stays bounded
            _load_parts(loader, source, dry_run, store, json)
            return
    with _progress() as progress:
        for path in paths:
            task = progress.add_task(f"reading {path}", total=None, rows=0)
            try:
                loader = loader_for(path, format, recipe)
                loader.progress = _follow(progress, task)
                docs.extend(loader.documents())
            except DocumentRejected as exc:
                problems.extend(exc.errors)
            progress.remove_task(task)
    try:
        by_source = _combine(docs, source) if not problems else {}
    except DocumentRejected as exc:
        problems.extend(exc.errors)
    if problems:
        _reject(f"rejected: {len(problems)} error(s); nothing was written", problems, json)
    invalid = [e for doc in by_source.values() for e in doc.errors]
    if invalid and len(by_source) > 1:  # one bad document of several: write none of them
        _reject(f"rejected: {len(invalid)} error(s); nothing was written", invalid, json)
    reports: list[dict] = []
    with opened_graph(store) as graph:
        # documents may refer to each other's entities: write what can be written, then try the rest
        # again, until a round writes nothing
        pending, written = list(by_source.items()), []
        while pending:
            failed = []
            for name, doc in pending:
                try:
                    with errors.status(f"writing {len(doc.entities)} entities and {len(doc.relations)} "
                                              f"relations for '{name}'…"):
                        report = graph.sync(doc, name, mode, dry_run=dry_run)
                except DocumentRejected as exc:
                    failed.append((name, doc, exc))
                    continue
                written.append(name)
                reports.append({**report.as_dict(), "warnings": [w.message for w in doc.warnings]})
                if not json:
                    console.print(render.report_table(report, doc.origin))
                    for warning in doc.warnings:
                        console.print(f"[yellow]{warning}[/]")
            if failed and (len(failed) == len(pending) or dry_run):
                name, doc, exc = failed[0]
                done = f"; already written: {', '.join(written)}" if written and not dry_run else ""
                rest = [n for n, _, _ in failed[1:]]
                skipped = f"; not loaded: {', '.join(rest)}" if rest else ""
                _reject(f"rejected {doc.origin}: {len(exc.errors)} error(s); nothing of it was written{done}{skipped}",
                        exc.errors, json)
            pending = [(name, doc) for name, doc, _ in failed]
    if json:
        render.emit_json(reports)


def _recipe(given: str | None) -> str | None:
    """The recipe ``--recipe`` names: one of the folder VALUEGRAPH_RECIPE_FOLDER by its name, as the server finds
    it for a REST sync; else the path or built-in name as given."""
    if given is None or Path(given).exists() or not RECIPE_NAME.fullmatch(given):
        return given
    folder = Settings().recipe_folder
    return str(recipe_file(given, folder)) if given in folder_recipes(folder) else given


def _progress():
    """A progress display on stderr: a bar where the loader knows how much is left, the rows read so far."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                    TextColumn("{task.fields[rows]:,} rows"), TimeElapsedColumn(), console=errors,
                    transient=True)


def _follow(progress, task):
    def update(rows: int, done: int | None = None, total: int | None = None) -> None:
        if total:
            progress.update(task, completed=min(done or 0, total), total=total, rows=rows)
        else:
            progress.update(task, rows=rows)

    return update


def _load_parts(loader, source: str | None, dry_run: bool, store: str | None, json: bool) -> None:
    path = loader.config.path
    with opened_graph(store) as graph, _progress() as progress:
        task = progress.add_task(f"loading {path}", total=None, rows=0)
        loader.progress = _follow(progress, task)
        try:
            report = graph.sync_parts(loader.parts(), source, SyncMode.MERGE, dry_run=dry_run)
        except DocumentRejected as exc:
            progress.stop()
            _reject(f"rejected {path}: {len(exc.errors)} error(s); nothing of it was written", exc.errors, json)
    if json:
        render.emit_json([{**report.as_dict(), "warnings": []}])
    else:
        console.print(render.report_table(report, str(path)))


#: this command's advice for problems the graph and the loaders report without naming its options
HINTS = {
    NO_SOURCE: "name the source with --source NAME (or as \"source\" in the document)",
    UNKNOWN_FORMAT: "`valuegraph formats` lists the formats --format takes",
    NO_LOADER: "name the format with --format (`valuegraph formats` lists them)",
    UNKNOWN_RECIPE: "give --recipe a built-in recipe's name or a recipe file's path",
}


def _hints(problems: list) -> list[str]:
    return list(dict.fromkeys(HINTS[e.code] for e in problems if getattr(e, "code", "") in HINTS))


def _reject(title: str, problems: list, json: bool) -> None:
    render.print_errors(title, problems)
    hints = _hints(problems)
    for hint in hints:
        errors.print(f"[yellow]hint:[/] {hint}")
    if json:
        shown = {"errors": [{"location": e.location, "message": e.message} for e in problems]}
        render.emit_json(shown | ({"hints": hints} if hints else {}))
    raise typer.Exit(1)


@app.command()
def stats(store: StoreOpt = None, json: JsonOpt = False) -> None:
    """Entities per kind, relations per type and the sources."""
    with opened_graph(store) as graph:
        data = Questions(graph).stats().as_dict()
    if json:
        render.emit_json(data)
        return
    table = Table(title=f"{data['backend']} store", title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for kind, n in data["entities"].items():
        table.add_row(kind, str(n))
    for rel, n in data["relations"].items():
        table.add_row(rel, str(n))
    console.print(table)
    for name, info in data["sources"].items():
        console.print(f"source [bold]{name}[/]: last sync {info.get('lastSync', '?')}")


@app.command()
def delivers(target: TargetArg, kind: KindsOpt = None, include_cancelled: CancelledOpt = False,
             as_of: AsOfOpt = None, store: StoreOpt = None, json: JsonOpt = False) -> None:
    """What delivers TARGET: projects and programmes (or --kind) with a value path to it, closest first."""
    with opened_graph(store) as graph:
        hits = _questions(graph, as_of).what_delivers(target, _kinds(kind, DELIVERY_KINDS), include_cancelled).hits
    _show_hits(hits, f"what delivers {target}", json)


@app.command()
def why(item: ItemArg, kind: KindsOpt = None, as_of: AsOfOpt = None, store: StoreOpt = None,
        json: JsonOpt = False) -> None:
    """Why ITEM exists: the goals, objectives, key results, benefits and segments it serves."""
    with opened_graph(store) as graph:
        hits = _questions(graph, as_of).why_exists(item, _kinds(kind, DEFAULT_WHY_KINDS))
    _show_hits(hits, f"why {item} exists", json)


@app.command()
def trace(
    source: Annotated[str, typer.Argument(metavar="FROM")],
    target: Annotated[str, typer.Argument(metavar="TO")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 10,
    include_cancelled: CancelledOpt = False,
    as_of: AsOfOpt = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Value paths from FROM to TO, shortest first."""
    with opened_graph(store) as graph:
        questions = _questions(graph, as_of)
        found = questions.path_records(questions.trace(source, target, limit, include_cancelled))
    if json:
        render.emit_json([render.path_json(p) for p in found])
        return
    if not found:
        console.print(f"no value path from {source} to {target}")
    for p in found:
        console.print(f"[dim]{p.length}[/] {render.path_text(p)}")


@app.command()
def alignment(as_of: AsOfOpt = None, store: StoreOpt = None, json: JsonOpt = False) -> None:
    """Orphan projects, unsupported objectives and goals, and the aligned budget share."""
    with opened_graph(store) as graph:
        answer = _questions(graph, as_of).alignment()
    if json:
        render.emit_json(render.alignment_json(answer))
        return
    console.print(render.entities_table(f"orphans: open projects serving no objective or goal ({len(answer.orphans)})", answer.orphans, "budget"))
    console.print(render.entities_table(f"unsupported: objectives and goals nobody delivers ({len(answer.unsupported)})", answer.unsupported))
    share = answer.aligned_budget_share
    console.print(f"aligned budget share: [bold]{'n/a' if share is None else f'{share:.1%}'}[/]")


@app.command()
def conflicts(
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="Only conflicts of entities of this kind.")] = None,
    prop: Annotated[str | None, typer.Option("--property", help="Only conflicts of this property.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only conflicts this source gives a value in.")] = None,
    first: Annotated[int, typer.Option("--first", min=0, max=10_000, help="The most conflicts to show.")] = 100,
    after: Annotated[str | None, typer.Option("--after", help="Go on after the page that gave this cursor "
                                                             "(`after` of --json).")] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Properties that sources give different values of: the answered value (by VALUEGRAPH_PRECEDENCE_FILE)
    and every other source's."""
    kind_name = _kinds([kind], ())[0] if kind else None
    with opened_graph(store) as graph:
        page = Questions(graph).conflicts(kind_name, prop, source, first, after)
    if json:
        render.emit_json(render.conflicts_json(page))
        return
    console.print(render.conflicts_table(page))
    if page.has_next_page:
        console.print(f"[dim]more: go on with --after {page.conflicts[-1][0]}[/]")


@app.command()
def show(
    entity: Annotated[str, typer.Argument(metavar="ID|SYSTEM:ID", help="An entity's id, or its id in another system "
                                                                       "written system:id (as in jira:PMO-12).")],
    as_of: AsOfOpt = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """One entity, by its id or an external id (jira:PMO-12): kind, name, sources, properties, external ids.
    An entity whose id is exactly the text given wins over an external id."""
    with opened_graph(store) as graph:
        questions = _questions(graph, as_of)
        found = questions.named(entity)
        if found is None:
            also = ", nor an entity with that external id" if ":" in entity else ""
            errors.print(f"[red]{escape(str(NotFound(entity)))}{also}[/]")
            raise typer.Exit(2)
        record = questions.entity(found)
    if json:
        render.emit_json(render.entity_json(record))
        return
    console.print(render.entity_text(record))


@app.command()
def impact(item: SlippingArg, as_of: AsOfOpt = None, store: StoreOpt = None, json: JsonOpt = False) -> None:
    """What breaks if ITEM slips: its dependents and everything they and it serve."""
    with opened_graph(store) as graph:
        answer = _questions(graph, as_of).impact(item)
    if json:
        render.emit_json(render.impact_json(answer))
        return
    console.print(render.hits_table(f"dependents of {item} ({len(answer.dependents)})", answer.dependents))
    console.print(render.hits_table(f"affected ({len(answer.affected)})", answer.affected))


@app.command()
def history(
    entity: Annotated[str, typer.Argument(metavar="ID", help="Id of any entity.")],
    first: Annotated[int, typer.Option("--first", min=0, max=10_000, help="The most changes to show.")] = 100,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """The changes of one entity, oldest first: every source's, with the value before and after."""
    with opened_graph(store) as graph:
        found = Questions(graph).entity_history(entity, first)
    if json:
        render.emit_json([render.change_json(c) for c in found])
        return
    if not found:
        console.print(f"no changes of {entity}")
        return
    render.print_changes(f"history of {entity} ({len(found)} changes, oldest first)", found, entity=False)


@app.command()
def changes(
    since: Annotated[int, typer.Option("--since", min=0, help="Changes of the revisions after this one.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="The most changes to show.")] = 100,
    source: Annotated[str | None, typer.Option("--source", help="Only the revisions of this source.")] = None,
    entity: Annotated[str | None, typer.Option("--entity", help="Only the changes of this entity.")] = None,
    after: Annotated[str | None, typer.Option("--after", help="Go on exactly after the page that gave this cursor "
                                                             "(`after` of --json).")] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Changes after a revision, in revision order, with where to go on from."""
    with opened_graph(store) as graph:
        page = Questions(graph).changes(since, limit, after, source, entity)
    found = [c for _, c in page.changes]
    if json:
        render.emit_json({"changes": [render.change_json(c) for c in found], "next": page.complete_through,
                          "after": page.changes[-1][0] if page.has_next_page and page.changes else None})
        return
    if not found:
        console.print(f"no changes after revision {since}")
    else:
        render.print_changes(f"changes after revision {since} ({len(found)})", found)
    if page.has_next_page:
        since_hint = (f" (or with --since {page.complete_through}: every change up to that revision is shown)"
                      if page.complete_through > since else "")
        console.print(f"[dim]more: go on with --after {page.changes[-1][0]}{since_hint}[/]")


@app.command()
def diff(
    start: PointArg,
    end: Annotated[str | None, typer.Argument(metavar="[TO]", help="A revision number or an ISO-8601 time "
                                                                  "(default: now).")] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """What changed from FROM to TO: first what it means for strategy, then the graph's changes."""
    with opened_graph(store) as graph:
        found = Questions(graph).diff(AsOf.parse(start), None if end is None else AsOf.parse(end))
    if json:
        render.emit_json(render.diff_json(found))
        return
    render.print_diff(found)


app.command()(serve)


@app.callback()
def _resume_collector(context: typer.Context) -> None:
    # every command's modules are imported by now, with the collector paused (cli/start.py); a server lets it
    # run again once it has started (graph/pause.py freeze_started_process), every other command here
    if context.invoked_subcommand != "serve":
        resume_after_start()


keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("new")
def keys_new(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    scope: Annotated[list[str], typer.Option("--scope", help="read, sync, analyst or admin (repeatable).")],
    source: Annotated[list[str] | None, typer.Option("--source", help="Sources a sync key may write (repeatable; default any).",
                                                     callback=_source_name)] = None,
) -> None:
    """Make a new API key: prints the key (once) and the entry to configure (its hash)."""
    key = new_key()
    try:
        entry = ApiKeyConfig(name=name, hash=hash_key(key), scopes=scope, sources=source or None)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    errors.print("[bold]key[/] (shown once; give it to the client):")
    console.print(key)
    errors.print("[bold]entry[/] for VALUEGRAPH_API_KEYS or the keys file:")
    render.emit_json(entry.model_dump(mode="json", exclude_none=True))


@app.command()
def sparql(
    query: Annotated[str, typer.Argument(help="A SPARQL query (the vg:, id:, rdf:, rdfs:, xsd:, prov: prefixes are known).")],
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Run a SPARQL query on an embedded store (the union of all sources is the default graph)."""
    config = Settings()
    with opened_graph(store, lazy=True) as graph:
        try:
            answer = sparql_queries.query(graph.store, query, config.sparql_timeout_seconds, config.sparql_max_rows,
                                          frozenset(config.sparql_service_allow))
        except (QueryRejected, NotSupported) as exc:
            errors.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from exc
    if json or answer.form != "select":
        media = "application/sparql-results+json" if answer.form != "graph" else "text/turtle"
        sys.stdout.buffer.write(sparql_queries.serialize(answer, media) + b"\n")
        return
    table = Table(*answer.variables)
    for row in answer.rows:
        table.add_row(*("" if term is None else term.value for term in row))
    console.print(table)
    if answer.truncated:
        errors.print(f"[yellow]only the first {config.sparql_max_rows} rows[/]")


@app.command()
def cypher(
    query: Annotated[str, typer.Argument(help="A reading Cypher query.")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE (JSON values; repeatable).")] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Run a read-only Cypher query on a Neo4j store."""
    parameters = {}
    for item in param or []:
        name, _, raw = item.partition("=")
        try:
            parameters[name] = orjson.loads(raw)
        except orjson.JSONDecodeError:
            parameters[name] = raw
    config = Settings()
    with opened_graph(store, lazy=True) as graph:
        try:
            answer = cypher_queries.query(graph.store, query, parameters, config.cypher_timeout_seconds,
                                          config.cypher_max_rows)
        except (QueryRejected, NotSupported) as exc:
            errors.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from exc
    if json:
        render.emit_json(answer)
        return
    table = Table(*answer["columns"])
    for row in answer["rows"]:
        table.add_row(*(orjson.dumps(v).decode() if isinstance(v, (dict, list)) else str(v) for v in row))
    console.print(table)
    if answer["truncated"]:
        errors.print(f"[yellow]only the first {config.cypher_max_rows} rows[/]")


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", help="nquads, trig, jsonld (one graph per source), turtle, ntriples, archimate, graphml, nodelink or csv (a folder).")] = "nquads",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (or, for csv, folder) to write; default: standard output.")] = None,
    store: StoreOpt = None,
) -> None:
    """Write the whole graph: RDF in valuegraph's ontology, an ArchiMate model, GraphML or node-link JSON for
    networkx, or the exchange format as CSV (each can be loaded back)."""
    if format not in EXPORTS and format != "csv":
        raise typer.BadParameter(f"unknown format '{format}'; the formats are {', '.join([*EXPORTS, 'csv'])}")
    with opened_graph(store, lazy=True) as graph:
        if format == "csv":
            if out is None:
                raise typer.BadParameter("csv writes a folder: name it with --out")
            out.mkdir(parents=True, exist_ok=True)
            for name, text in csv_files(graph.store).items():
                (out / name).write_text(text, encoding="utf-8")
        elif out is None:
            write_export(graph.store, format, sys.stdout.buffer)
        else:
            with out.open("wb") as handle:
                write_export(graph.store, format, handle)
    if out is not None:
        errors.print(f"wrote {out}")


@app.command("analytics")
def analytics_command(
    which: Annotated[str, typer.Argument(help="reach, critical, cycles, concentration or budget")],
    top: Annotated[int, typer.Option("--top", min=1)] = 10,
    as_of: AsOfOpt = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Graph analytics: strategic reach, critical dependencies, dependency cycles, concentration, budget by objective."""
    compute = {
        "reach": lambda q: q.strategic_reach(top),
        "critical": lambda q: q.critical_dependencies(top),
        "cycles": lambda q: [{"cycle": c} for c in q.dependency_cycles()],
        "concentration": lambda q: q.concentration(),
        "budget": lambda q: q.budget_by_objective()[:top],
    }
    if which not in compute:
        raise typer.BadParameter(f"'{which}' is not one of {', '.join(compute)}")
    with opened_graph(store) as graph:
        rows = [r if isinstance(r, dict) else asdict(r) for r in compute[which](_questions(graph, as_of))]
    if json:
        render.emit_json(rows)
        return
    if not rows:
        console.print(f"no {which} findings")
        return
    table = Table(*rows[0].keys(), title=which, title_justify="left")
    for row in rows:
        table.add_row(*(" -> ".join(v) if isinstance(v, list) else f"{v:,.2f}" if isinstance(v, float) else str(v)
                        for v in row.values()))
    console.print(table)


@app.command()
def formats() -> None:
    """The input formats (loader plugins) installed."""
    for name, cls in registry().items():
        console.print(f"[bold]{name}[/]  {cls.description}")
    recipes = sorted({*builtin_recipes(), *folder_recipes(Settings().recipe_folder)})
    console.print(f"[bold]register[/]  a spreadsheet register (CSV) read through a recipe: --recipe "
                         f"{'|'.join(recipes)}|PATH")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
