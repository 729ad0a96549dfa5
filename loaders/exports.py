"""Every export format by name, for the CLI and GET /api/v1/export/{format}.

It lives beside the loaders because the ArchiMate model is written by the ArchiMate loader's module."""

from __future__ import annotations

import io

from valuegraph.graph import export
from valuegraph.graph.errors import InvalidRequest
from valuegraph.graph.rdf import FORMATS as RDF_FORMATS
from valuegraph.graph.rdf import serialize as serialize_rdf
from valuegraph.loaders.archimate import export_model

MEDIA_TYPES = {
    "nquads": "application/n-quads", "trig": "application/trig", "jsonld": "application/ld+json",
    "turtle": "text/turtle", "ntriples": "application/n-triples", "archimate": "application/xml",
    "graphml": "application/xml", "nodelink": "application/json", "csv": "application/zip",
}
EXPORTS = [f for f in MEDIA_TYPES if f != "csv"]


def write_export(store, format: str, handle) -> None:
    if format in RDF_FORMATS:
        serialize_rdf(store, format, handle)
    elif format == "archimate":
        export_model(store, handle)
    elif format == "graphml":
        handle.writelines(export.graphml(store))
    elif format == "nodelink":
        handle.writelines(export.nodelink(store))
    else:
        raise InvalidRequest(f"no export format '{format}'; the formats are {', '.join(EXPORTS)}")


def stream_export(store, format: str):
    """The export as chunks of bytes (csv: a zip of the CSV folder)."""
    if format == "csv":
        yield from export.csv_zip(store)
    elif format in ("graphml", "nodelink"):
        yield from (export.graphml if format == "graphml" else export.nodelink)(store)
    else:
        buffer = io.BytesIO()
        write_export(store, format, buffer)
        yield buffer.getvalue()
