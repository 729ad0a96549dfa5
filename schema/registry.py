"""The vocabulary as Python objects, derived from vocabulary.ttl and shapes.ttl.

Nothing else in valuegraph lists kinds, properties or relation types: every
other layer (validation, stores, traversal, GraphQL) asks this registry.
"""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import pyoxigraph as ox

VG = "https://valuegraph.dev/ns#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"
PROV = "http://www.w3.org/ns/prov#"


class ValueType(enum.Enum):
    """How a known property is validated and stored."""

    TEXT = "text"  # kept as given: not validated beyond being a scalar
    NUMBER = "number"
    DATE = "date"


_RANGE_TYPES = {XSD + "string": ValueType.TEXT, XSD + "decimal": ValueType.NUMBER, XSD + "date": ValueType.DATE}


@dataclass(frozen=True)
class KindSpec:
    name: str  # as in documents: "KeyResult"
    enum: str  # as in GraphQL: "KEY_RESULT"
    iri: str
    order: int
    comment: str
    properties: tuple[str, ...] = ()  # the typical (typed) properties of the kind


@dataclass(frozen=True)
class PropertySpec:
    name: str
    iri: str
    type: ValueType
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class RelationSpec:
    name: str  # "CONTRIBUTES_TO"
    iri: str
    value_chain: bool
    from_kinds: frozenset[str]
    to_kinds: frozenset[str]
    order: int

    @property
    def local_name(self) -> str:
        return self.iri[len(VG) :]


@dataclass(frozen=True)
class Vocabulary:
    kinds: dict[str, KindSpec]
    properties: dict[str, PropertySpec]
    relations: dict[str, RelationSpec]
    kind_by_enum: dict[str, KindSpec] = field(default_factory=dict)
    kind_by_iri: dict[str, KindSpec] = field(default_factory=dict)
    relation_by_iri: dict[str, RelationSpec] = field(default_factory=dict)
    property_by_iri: dict[str, PropertySpec] = field(default_factory=dict)

    @property
    def value_chain_relations(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.relations.values() if r.value_chain)

    def kind(self, name: str) -> KindSpec:
        """A kind by its document name ("KeyResult") or enum name ("KEY_RESULT")."""
        spec = self.kinds.get(name) or self.kind_by_enum.get(name)
        if spec is None:
            raise KeyError(f"unknown kind {name!r}; known kinds: {', '.join(self.kinds)}")
        return spec


def _enum_name(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).upper()


class _Triples:
    """A tiny read-only index over the parsed Turtle: subject -> predicate -> objects."""

    def __init__(self, *files: str) -> None:
        self.spo: dict[object, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
        for name in files:
            text = resources.files(__package__).joinpath(name).read_bytes()
            for t in ox.parse(text, format=ox.RdfFormat.TURTLE):
                self.spo[t.subject][t.predicate.value].append(t.object)

    def objects(self, subject: object, predicate: str) -> list[object]:
        return self.spo.get(subject, {}).get(predicate, [])

    def one(self, subject: object, predicate: str) -> object | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def subjects(self, predicate: str, obj: str) -> list[object]:
        return [s for s, po in self.spo.items() if any(getattr(o, "value", None) == obj for o in po.get(predicate, []))]

    def rdf_list(self, node: object) -> list[object]:
        items = []
        while node is not None and getattr(node, "value", None) != RDF + "nil":
            items.append(self.one(node, RDF + "first"))
            node = self.one(node, RDF + "rest")
        return items

    def classes(self, node: object) -> list[str]:
        """A class or an owl:unionOf of classes, as IRIs."""
        union = self.one(node, OWL + "unionOf")
        members = self.rdf_list(union) if union is not None else [node]
        return [m.value for m in members]


def _literal(term: object | None) -> str | None:
    return None if term is None else term.value


@cache
def vocabulary() -> Vocabulary:
    """Parse the ontology and shapes once per process."""
    g = _Triples("vocabulary.ttl", "shapes.ttl")

    kinds: dict[str, KindSpec] = {}
    typical: dict[str, list[str]] = defaultdict(list)
    for cls in g.subjects(RDFS + "subClassOf", VG + "Entity"):
        name = cls.value[len(VG) :]
        kinds[name] = KindSpec(
            name=name,
            enum=_enum_name(name),
            iri=cls.value,
            order=int(_literal(g.one(cls, VG + "kindOrder"))),
            comment=_literal(g.one(cls, RDFS + "comment")) or "",
        )

    constraints = _shape_constraints(g)
    properties: dict[str, PropertySpec] = {}
    for prop in g.subjects(RDF + "type", OWL + "DatatypeProperty"):
        name = prop.value[len(VG) :]
        rng = g.one(prop, RDFS + "range").value
        c = constraints.get(prop.value, {})
        properties[name] = PropertySpec(
            name=name,
            iri=prop.value,
            type=_RANGE_TYPES[rng],
            comment=_literal(g.one(prop, RDFS + "comment")) or "",
            **c,
        )
        domain = g.one(prop, RDFS + "domain")
        for cls in g.classes(domain) if domain is not None else []:
            if cls != VG + "Entity":
                typical[cls[len(VG) :]].append(name)

    relations: dict[str, RelationSpec] = {}
    for prop in g.subjects(RDF + "type", OWL + "ObjectProperty"):
        name = _literal(g.one(prop, VG + "relationType"))
        relations[name] = RelationSpec(
            name=name,
            iri=prop.value,
            value_chain=_literal(g.one(prop, VG + "valueChain")) == "true",
            from_kinds=frozenset(c[len(VG) :] for c in g.classes(g.one(prop, RDFS + "domain"))),
            to_kinds=frozenset(c[len(VG) :] for c in g.classes(g.one(prop, RDFS + "range"))),
            order=int(_literal(g.one(prop, VG + "kindOrder"))),
        )

    kinds = {
        k.name: KindSpec(k.name, k.enum, k.iri, k.order, k.comment, tuple(typical.get(k.name, ())))
        for k in sorted(kinds.values(), key=lambda k: k.order)
    }
    relations = dict(sorted(relations.items(), key=lambda kv: kv[1].order))
    return Vocabulary(
        kinds=kinds,
        properties=properties,
        relations=relations,
        kind_by_enum={k.enum: k for k in kinds.values()},
        kind_by_iri={k.iri: k for k in kinds.values()},
        relation_by_iri={r.iri: r for r in relations.values()},
        property_by_iri={p.iri: p for p in properties.values()},
    )


def _shape_constraints(g: _Triples) -> dict[str, dict]:
    """Allowed values, numeric bounds and defaults per property path, from the SHACL shapes."""
    out: dict[str, dict] = {}
    for shape in g.subjects(RDF + "type", SH + "NodeShape"):
        for prop_shape in g.objects(shape, SH + "property"):
            path = g.one(prop_shape, SH + "path").value
            c: dict = {}
            if (allowed := g.one(prop_shape, SH + "in")) is not None:
                c["allowed"] = tuple(t.value for t in g.rdf_list(allowed))
            if (lo := g.one(prop_shape, SH + "minInclusive")) is not None:
                c["minimum"] = float(lo.value)
            if (hi := g.one(prop_shape, SH + "maxInclusive")) is not None:
                c["maximum"] = float(hi.value)
            if (default := g.one(prop_shape, SH + "defaultValue")) is not None:
                c["default"] = default.value
            out[path] = c
    return out


def neo4j_statements() -> dict[str, str]:
    """The Neo4j constraints and indexes (schema/neo4j.cypher), one statement each, by the name it creates
    (an index backing a constraint has the constraint's name, so one ``SHOW INDEXES`` lists them all: the
    constraints here are uniqueness constraints, which have one)."""
    text = resources.files(__package__).joinpath("neo4j.cypher").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    statements = [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
    named = {}
    for statement in statements:
        found = re.search(r"\b(?:CONSTRAINT|INDEX) (\w+) IF NOT EXISTS", statement)
        if found is None:  # opening could not tell whether the database has it
            raise ValueError(f"neo4j.cypher: a statement must name what it creates: {statement}")
        named[found.group(1)] = statement
    return named
