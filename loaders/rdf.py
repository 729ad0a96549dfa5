"""RDF written in valuegraph's ontology: Turtle, N-Triples, N-Quads, TriG, JSON-LD.

Named graphs ``https://valuegraph.dev/source/<name>`` are that source's
assertions (one document each); triples in the default graph, or in other
named graphs, belong to the source named with ``--source``. Entities are the
subjects typed with a kind (``vg:Project``, …); entities outside
valuegraph's id space keep their full IRI as id. Triples whose predicate is not
in the ontology are left out (they are not valuegraph facts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pyoxigraph as ox

from valuegraph.graph import terms as t
from valuegraph.graph.model import Document, DocumentRejected, SyncError
from valuegraph.loaders.base import Loader
from valuegraph.loaders.validate import RawItem, Where, validate

SUFFIXES = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS,
            ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD}


def _id(term) -> str:
    return t.entity_id(term.value) if t.is_entity_iri(term.value) else term.value


def _documents(quads, origin: str) -> list[Document]:
    graphs: dict[str | None, list] = defaultdict(list)
    for q in quads:
        graph = getattr(q, "graph_name", None)
        name = t.source_name(graph.value) if isinstance(graph, ox.NamedNode) else None
        graphs[name].append(q)
    docs = []
    for source, triples in graphs.items():
        by_subject: dict = defaultdict(list)
        for q in triples:
            by_subject[q.subject].append(q)
        entities, relations = [], []
        for subject, found in by_subject.items():
            kinds = [t.kind_of_iri(q.object.value) for q in found if q.predicate == t.RDF_TYPE]
            kinds = [k for k in kinds if k]
            if kinds and isinstance(subject, ox.NamedNode):
                data = {"id": _id(subject), "kind": kinds[0]}
                for q in found:
                    p = q.predicate.value
                    if p in t.STATEMENT_PREDICATES:
                        continue
                    if t.relation_of_iri(p) and isinstance(q.object, ox.NamedNode):
                        relations.append(RawItem({"from": data["id"], "type": t.relation_of_iri(p),
                                                  "to": _id(q.object)}, Where(f"{origin}: <{q.subject.value}> {p}")))
                    elif isinstance(q.object, ox.Literal) and t.property_name(p):
                        data[t.property_name(p)] = t.from_literal(q.object)
                entities.append(RawItem(data, Where(f"{origin}: <{subject.value}>")))
        statements = {s: qs for s, qs in by_subject.items()
                      if any(q.predicate == t.RDF_TYPE and q.object == t.RDF_STATEMENT for q in qs)}
        for found in statements.values():
            parts = {q.predicate.value: q.object for q in found}
            if not {t.RDF_SUBJECT.value, t.RDF_PREDICATE.value, t.RDF_OBJECT.value} <= parts.keys():
                continue
            key = (_id(parts[t.RDF_SUBJECT.value]), t.relation_of_iri(parts[t.RDF_PREDICATE.value].value),
                   _id(parts[t.RDF_OBJECT.value]))
            props = {t.property_name(q.predicate.value): t.from_literal(q.object) for q in found
                     if q.predicate.value not in t.STATEMENT_PREDICATES and isinstance(q.object, ox.Literal)
                     and t.property_name(q.predicate.value)}
            for item in relations:
                if (item.data["from"], item.data["type"], item.data["to"]) == key:
                    item.data.update(props)
        docs.append(validate(source, entities, relations, origin))
    return docs


class RdfLoader(Loader):
    """RDF in the valuegraph ontology, each named graph one source's document."""

    name = "rdf"
    description = "RDF in the valuegraph ontology (.ttl, .nt, .nq, .trig, .jsonld); named graphs are sources"
    suffixes = frozenset(SUFFIXES)
    # Turtle first: an application/octet-stream body without a file name is read as Turtle
    media_types = {"text/turtle": ".ttl", "application/n-triples": ".nt", "application/n-quads": ".nq",
                   "application/trig": ".trig", "application/ld+json": ".jsonld"}

    def documents(self) -> Iterator[Document]:
        path = self.config.path
        rdf_format = SUFFIXES.get(path.suffix.lower())
        if rdf_format is None:
            raise DocumentRejected([SyncError(str(path), f"not an RDF file name; use one of {', '.join(SUFFIXES)}")])
        try:
            quads = list(ox.parse(path=str(path), format=rdf_format))
        except SyntaxError as exc:
            raise DocumentRejected([SyncError(str(path), f"malformed RDF: {exc}")]) from exc
        except OSError as exc:
            raise DocumentRejected([SyncError(str(path), f"cannot read the file: {exc}")]) from exc
        yield from _documents(quads, str(path))
