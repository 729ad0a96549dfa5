"""Turning answers into rich tables for people and JSON for scripts."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from itertools import groupby

import orjson
from rich.table import Table

from valuegraph.cli.consoles import console, errors
from valuegraph.graph import crosswalk
from valuegraph.graph.changes import Change
from valuegraph.graph.conflicts import ConflictPage, SourceValue
from valuegraph.graph.diffs import EntityRef, GraphDiff
from valuegraph.graph.model import EntityRecord, SyncError, SyncReport
from valuegraph.graph.questions import AlignmentAnswer, Hit, ImpactAnswer, PathAnswer


def emit_json(data: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")


def entity_json(record: EntityRecord) -> dict:
    return {"id": record.id, "kind": record.kind, "name": record.name, "sources": record.sources,
            "properties": crosswalk.shown(record.properties)}


def entity_text(record: EntityRecord) -> Table:
    """One entity: its kind, name, sources, properties and external ids."""
    table = Table(title=f"{record.kind} {record.id}: {record.name}", title_justify="left")
    table.add_column("property")
    table.add_column("value")
    table.add_row("sources", ", ".join(record.sources))
    for name, value in sorted(record.properties.items()):
        if crosswalk.system_of(name) is None and name != "name":
            table.add_row(name, _value(value))
    for system, value in crosswalk.pairs(record.properties):
        table.add_row(f"{crosswalk.FIELD}.{system}", value)
    return table


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


def change_json(change: Change) -> dict:
    """A change with the fields of GraphQL's Change and of GET /api/v1/changes."""
    return {"revision": change.revision, "committedAt": change.committed_at.isoformat(), "source": change.source,
            "kind": change.kind.value, "entityId": change.entity_id, "entityKind": change.entity_kind,
            "property": change.property, "before": change.before, "after": change.after,
            "relationType": change.relation_type, "to": change.to}


def _ref_json(ref: EntityRef) -> dict:
    return {"id": ref.id, "kind": ref.kind, "name": ref.name}


def diff_json(d: GraphDiff) -> dict:
    refs = lambda found: [_ref_json(r) for r in found]
    return {
        "fromRevision": d.from_revision, "toRevision": d.to_revision,
        "newOrphans": refs(d.new_orphans), "resolvedOrphans": refs(d.resolved_orphans),
        "newlyUnsupported": refs(d.newly_unsupported), "newlySupported": refs(d.newly_supported),
        "alignedBudgetShareBefore": d.aligned_budget_share_before,
        "alignedBudgetShareAfter": d.aligned_budget_share_after,
        "entitiesAdded": refs(d.entities_added), "entitiesRemoved": refs(d.entities_removed),
        "propertiesChanged": [{"entity": _ref_json(p.entity), "property": p.property, "before": p.before,
                               "after": p.after} for p in d.properties_changed],
        "relationsAdded": [{"from": k.from_id, "type": k.type, "to": k.to_id} for k in d.relations_added],
        "relationsRemoved": [{"from": k.from_id, "type": k.type, "to": k.to_id} for k in d.relations_removed],
    }


def _value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_value(v)}" for k, v in value.items()) or "{}"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def print_changes(title: str, found: list[Change], entity: bool = True) -> None:
    """Changes under a title, one table per revision (its number, source and time as the table's title)."""
    console.print(f"[bold]{title}[/]")
    for revision, changes in groupby(found, key=lambda c: c.revision):
        changes = list(changes)
        first = changes[0]
        table = Table(title=f"revision {revision}, {first.source}, {first.committed_at:%Y-%m-%d %H:%M:%S} UTC",
                      title_justify="left")
        for col in ("change", *(["entity"] if entity else []), "what", "before", "after"):
            table.add_column(col, overflow="fold")
        for c in changes:
            what = c.property or (f"{c.relation_type} -> {c.to}" if c.relation_type else "")
            table.add_row(c.kind.value, *([c.entity_id] if entity else []), what, _value(c.before), _value(c.after))
        console.print(table)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _refs_table(title: str, found: list[EntityRef]) -> Table:
    table = Table(title=f"{title} ({len(found)})", title_justify="left")
    for col in ("id", "kind", "name"):
        table.add_column(col)
    for r in found:
        table.add_row(r.id, r.kind, r.name)
    return table


def print_diff(d: GraphDiff) -> None:
    """What changed between two points: what it means for strategy first, then the graph's changes."""
    console.print(f"[bold]from revision {d.from_revision} to revision {d.to_revision}[/]")
    console.print(f"aligned budget share: [bold]{_share(d.aligned_budget_share_before)} -> "
                  f"{_share(d.aligned_budget_share_after)}[/]")
    for title, found in (("new orphans: open projects now serving no objective or goal", d.new_orphans),
                         ("newly unsupported objectives and goals", d.newly_unsupported),
                         ("resolved orphans", d.resolved_orphans),
                         ("newly supported objectives and goals", d.newly_supported)):
        if found:
            console.print(_refs_table(title, found))
        else:
            console.print(f"{title}: none")
    console.print(f"[bold]graph changes[/]: {len(d.entities_added)} entities added, {len(d.entities_removed)} removed, "
                  f"{len(d.properties_changed)} property values changed, {len(d.relations_added)} relations added, "
                  f"{len(d.relations_removed)} removed")
    if d.entities_added:
        console.print(_refs_table("entities added", d.entities_added))
    if d.entities_removed:
        console.print(_refs_table("entities removed", d.entities_removed))
    if d.properties_changed:
        table = Table(title=f"property values changed ({len(d.properties_changed)})", title_justify="left")
        for col in ("id", "property", "before", "after"):
            table.add_column(col, overflow="fold")
        for p in d.properties_changed:
            table.add_row(p.entity.id, p.property, _value(p.before), _value(p.after))
        console.print(table)
    for title, keys in (("relations added", d.relations_added), ("relations removed", d.relations_removed)):
        if keys:
            table = Table(title=f"{title} ({len(keys)})", title_justify="left")
            for col in ("from", "type", "to"):
                table.add_column(col)
            for k in keys:
                table.add_row(k.from_id, k.type, k.to_id)
            console.print(table)


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
    committed = f", revision {report.revision}" if report.revision is not None else ""
    table = Table(title=f"{label}: source '{report.source}', {report.mode.value} ({verb}{committed})",
                  title_justify="left")
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


def source_value_json(found: SourceValue) -> dict:
    """A source's value with the fields of GraphQL's SourceValue."""
    return {"source": found.source, "value": _plain(found.value),
            "syncedAt": found.synced_at.isoformat() if found.synced_at else None}


def conflicts_json(page: ConflictPage) -> dict:
    """A page of conflicts with the fields of GraphQL's ConflictConnection (``after``: where to go on)."""
    return {"totalCount": page.total,
            "conflicts": [{"entity": {"id": c.entity.id, "kind": c.entity.kind, "name": c.entity.name},
                           "property": c.property, "answered": _plain(c.answered),
                           "values": [source_value_json(v) for v in c.values]} for _, c in page.conflicts],
            "after": page.conflicts[-1][0] if page.has_next_page and page.conflicts else None}


def conflicts_table(page: ConflictPage) -> Table:
    """Conflicts, one row each: the answered value first, then the other sources' values."""
    table = Table(title=f"{page.total} conflict{'' if page.total == 1 else 's'} between sources", title_justify="left")
    for col in ("id", "kind", "property", "answered", "by", "other values"):
        table.add_column(col, overflow="fold")
    for _, c in page.conflicts:
        first, others = c.values[0], c.values[1:]
        table.add_row(c.entity.id, c.entity.kind, c.property, _value(c.answered), first.source,
                      "\n".join(f"{_value(v.value)} ({v.source})" for v in others))
    return table


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
