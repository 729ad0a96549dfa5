"""Turning answers into rich tables for people and JSON for scripts."""

from __future__ import annotations

import sys
from collections.abc import Iterable

import orjson
from rich.console import Console
from rich.table import Table

from valuegraph.graph.model import EntityRecord, SyncError, SyncReport
from valuegraph.graph.questions import AlignmentAnswer, Hit, ImpactAnswer, PathAnswer

console = Console()
errors = Console(stderr=True)


def emit_json(data: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")


def entity_json(record: EntityRecord) -> dict:
    return {"id": record.id, "kind": record.kind, "name": record.name, "sources": record.sources,
            "properties": record.properties}


def hit_json(hit: Hit) -> dict:
    return {**entity_json(hit.entity), "distance": hit.distance}


def path_json(path: PathAnswer) -> dict:
    return {
        "length": path.length,
        "nodes": [{"id": n.id, "kind": n.kind, "name": n.name} for n in path.nodes],
        "relations": [{"from": r.key.from_id, "type": r.key.type, "to": r.key.to_id, "weight": r.properties.get("weight"),
                       "sources": r.sources} for r in path.relations],
    }


def alignment_json(a: AlignmentAnswer) -> dict:
    return {"orphans": [entity_json(e) for e in a.orphans], "unsupported": [entity_json(e) for e in a.unsupported],
            "alignedBudgetShare": a.aligned_budget_share}


def impact_json(i: ImpactAnswer) -> dict:
    return {"dependents": [hit_json(h) for h in i.dependents], "affected": [hit_json(h) for h in i.affected]}


def _status(record: EntityRecord) -> str:
    props = record.properties
    return str(props.get("status", "")) + (f" / {props['health']}" if "health" in props else "")


def hits_table(title: str, hits: Iterable[Hit]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("distance", "id", "kind", "name", "status"):
        table.add_column(col, justify="right" if col == "distance" else "left")
    for h in hits:
        table.add_row(str(h.distance), h.entity.id, h.entity.kind, h.entity.name, _status(h.entity))
    return table


def entities_table(title: str, records: Iterable[EntityRecord], extra: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("id", "kind", "name", "status", *([extra] if extra else [])):
        table.add_column(col)
    for r in records:
        table.add_row(r.id, r.kind, r.name, _status(r), *([str(r.properties.get(extra, ""))] if extra else []))
    return table


def path_text(path: PathAnswer) -> str:
    parts = [f"[bold]{path.nodes[0].id}[/]"]
    for rel, node in zip(path.relations, path.nodes[1:], strict=True):
        weight = rel.properties.get("weight")
        parts.append(f" -[cyan]{rel.key.type}[/]{f' ({weight:g})' if weight is not None else ''}-> [bold]{node.id}[/]")
    return "".join(parts)


def report_table(report: SyncReport, label: str) -> Table:
    verb = "would change" if report.dry_run else "changed"
    table = Table(title=f"{label}: source '{report.source}', {report.mode.value} ({verb})", title_justify="left")
    for col in ("kind / type", "created", "updated", "retracted", "unchanged"):
        table.add_column(col, justify="left" if col == "kind / type" else "right")
    for kind, c in report.by_kind.items():
        table.add_row(kind, str(c.created), str(c.updated), str(c.retracted), str(c.unchanged))
    table.add_row("[bold]total[/]", *(f"[bold]{n}[/]" for n in (report.created, report.updated, report.retracted, report.unchanged)))
    return table


def print_errors(title: str, problems: list[SyncError]) -> None:
    table = Table(title=title, title_justify="left", title_style="bold red")
    table.add_column("where", style="yellow", overflow="fold")
    table.add_column("problem", overflow="fold")
    for e in problems:
        table.add_row(e.location, e.message)
    errors.print(table)
