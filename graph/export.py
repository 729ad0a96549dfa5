"""The graph for analysts' tools: networkx (GraphML, node-link JSON) and the exchange format as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

import orjson

from valuegraph.graph.model import Value
from valuegraph.graph.store import Store
from valuegraph.schema import vocabulary
from valuegraph.schema.text import csv_cell

if TYPE_CHECKING:
    import networkx as nx


def _plain(value: Value) -> object:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _merged(store: Store):
    """Every entity and relation with its answered properties and sources (all sources merged)."""
    ids: set[str] = set()
    for source in store.sources():
        ids |= set(store.source_state(source).entities)
    records = store.entity_records(sorted(ids))
    relations = {r.key: r for r in store.relation_records(touching=sorted(ids))}
    return records, relations


def to_networkx(store: Store) -> nx.MultiDiGraph:
    """A MultiDiGraph: nodes are entity ids with ``kind``, ``name``, ``sources`` and every property; edges
    carry ``type`` (also the edge key), ``sources`` and their properties."""
    import networkx as nx  # noqa: PLC0415 - imported on first use: it would add to every server's start

    records, relations = _merged(store)
    graph = nx.MultiDiGraph()
    for entity_id, record in records.items():
        graph.add_node(entity_id, kind=record.kind, sources=";".join(record.sources),
                       **{k: _plain(v) for k, v in record.properties.items()})
    for key, record in sorted(relations.items()):
        graph.add_edge(key.from_id, key.to_id, key=key.type, type=key.type, sources=";".join(record.sources),
                       **{k: _plain(v) for k, v in record.properties.items()})
    return graph


def graphml(store: Store) -> Iterator[bytes]:
    import networkx as nx  # noqa: PLC0415 - imported on first use: it would add to every server's start

    yield from (line.encode() + b"\n" for line in nx.generate_graphml(to_networkx(store)))


def nodelink(store: Store) -> Iterator[bytes]:
    import networkx as nx  # noqa: PLC0415 - imported on first use: it would add to every server's start

    yield orjson.dumps(nx.node_link_data(to_networkx(store), edges="links"))


def csv_files(store: Store) -> dict[str, str]:
    """The exchange format as CSV: one file per kind and relations.csv (loadable with `valuegraph load`)."""
    records, relations = _merged(store)
    files = {}
    for kind in vocabulary().kinds:
        rows = [r for r in records.values() if r.kind == kind]
        if not rows:
            continue
        columns = ["id", "name"] + sorted({k for r in rows for k in r.properties} - {"name"})
        files[f"{kind}.csv"] = _table(columns, ({"id": r.id, **r.properties} for r in rows))
    if relations:
        columns = ["from", "type", "to"] + sorted({k for r in relations.values() for k in r.properties})
        files["relations.csv"] = _table(columns, ({"from": k.from_id, "type": k.type, "to": k.to_id, **r.properties}
                                                  for k, r in sorted(relations.items())))
    return files


def _table(columns: list[str], rows) -> str:
    """A CSV file in which no cell is a formula for a spreadsheet (text cells escaped: see schema/text.py)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; a cell with either character is quoted
    writer.writerow([csv_cell(c) for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Value | None) -> object:
    if value is None:
        return ""
    value = _plain(value)
    return csv_cell(value) if isinstance(value, str) else value


def csv_zip(store: Store) -> Iterator[bytes]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in csv_files(store).items():
            archive.writestr(name, text)
    yield buffer.getvalue()


__all__ = ["csv_files", "csv_zip", "graphml", "nodelink", "to_networkx"]
