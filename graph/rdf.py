"""The graph as RDF in valuegraph's ontology, from any backend: one named graph per source."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

from valuegraph.graph import terms as t
from valuegraph.graph.store import Store

FORMATS = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}
#: formats that keep each source's named graph; the others merge all sources into one graph
DATASET_FORMATS = {"nquads", "trig", "jsonld"}


def quads(store: Store) -> Iterator[ox.Quad]:
    """Every source's assertions, each in the source's named graph."""
    for source in store.sources():
        g = t.source_graph(source)
        state = store.source_state(source)
        for entity_id, (kind, props) in sorted(state.entities.items()):
            s = t.entity_iri(entity_id)
            yield ox.Quad(s, t.RDF_TYPE, t.kind_iri(kind), g)
            for name, value in props.items():
                yield ox.Quad(s, t.property_iri(name), t.to_literal(value), g)
        for key, props in sorted(state.relations.items()):
            s, p, o = t.entity_iri(key.from_id), t.relation_iri(key.type), t.entity_iri(key.to_id)
            yield ox.Quad(s, p, o, g)
            if props:
                st = t.statement_iri(key)
                yield ox.Quad(st, t.RDF_TYPE, t.RDF_STATEMENT, g)
                yield ox.Quad(st, t.RDF_SUBJECT, s, g)
                yield ox.Quad(st, t.RDF_PREDICATE, p, g)
                yield ox.Quad(st, t.RDF_OBJECT, o, g)
                for name, value in props.items():
                    yield ox.Quad(st, t.property_iri(name), t.to_literal(value), g)


def serialize(store: Store, format: str, output) -> None:
    """Write the graph to a binary file-like ``output`` in one of FORMATS."""
    rdf_format = FORMATS[format]
    if format in DATASET_FORMATS:
        ox.serialize(quads(store), output, rdf_format,
                     prefixes={"vg": t.VG_NS, "id": t.ID_NS} if format == "trig" else None)
    else:
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads(store))
        ox.serialize(triples, output, rdf_format, prefixes={"vg": t.VG_NS, "id": t.ID_NS}
                     if format == "turtle" else None)
