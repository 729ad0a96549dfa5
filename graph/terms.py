"""Conversion between valuegraph's ids and values and RDF terms, in one place.

Ids are arbitrary strings; they become IRIs by percent-encoding every byte
outside the unreserved set, so the mapping is exact in both directions.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from urllib.parse import quote, unquote

import pyoxigraph as ox

from valuegraph.graph.model import RelationKey, Value
from valuegraph.schema import VG, KindSpec, RelationSpec, vocabulary

BASE = "https://valuegraph.dev/"
ID_NS = BASE + "id/"
SOURCE_NS = BASE + "source/"
STATEMENT_NS = BASE + "statement/"
HISTORY_NS = BASE + "history/"  # an entity's change groups: <history/ID> <revision/N> "group" <history>
REVISION_NS = BASE + "revision/"
META = BASE + "meta#"
VG_NS = VG

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PROV = "http://www.w3.org/ns/prov#"

RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_SUBJECT = ox.NamedNode(RDF + "subject")
RDF_PREDICATE = ox.NamedNode(RDF + "predicate")
RDF_OBJECT = ox.NamedNode(RDF + "object")
RDF_STATEMENT = ox.NamedNode(RDF + "Statement")
SEQ = ox.NamedNode(META + "seq")  # the sync that last changed a source's assertion
#: on a source's graph (in the meta graph): the source's first sync. An assertion made by that sync
#: carries no ``SEQ`` of its own (a large first load writes one quad fewer per entity): its sync is this one
FIRST_SEQ = ox.NamedNode(META + "firstSeq")
#: predicates of an entity's or a statement's node that are no property: its type, what the statement
#: reifies, and the sync bookkeeping
STATEMENT_PREDICATES = frozenset(p.value for p in (RDF_TYPE, RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT, SEQ))
META_GRAPH = ox.NamedNode(BASE + "meta")
STORE_NODE = ox.NamedNode(BASE + "store")
SOURCE_NAME = ox.NamedNode(META + "sourceName")
STORE_ID = ox.NamedNode(META + "storeId")  # made once per store: tells stores apart that reuse a folder
PROV_ENTITY = ox.NamedNode(PROV + "Entity")
GENERATED_AT = ox.NamedNode(PROV + "generatedAtTime")
HISTORY_GRAPH = ox.NamedNode(BASE + "history")  # revisions and their change groups: never a source's
#: a revision's record (JSON: time, source, mode, author, counts), on the revision's node; its number is
#: in its IRI, and the entities it changed are the subjects of its change groups
REVISION_RECORD = ox.NamedNode(META + "revision")
HISTORY_START = ox.NamedNode(META + "historyStart")  # on the store's node: the revision compacted up to

_XSD_DATE = ox.NamedNode(XSD + "date")
_XSD_DATETIME = ox.NamedNode(XSD + "dateTime")


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _encode(text: str) -> str:
    # most ids are made of unreserved characters only, which percent-encoding leaves as they are
    return text if _UNRESERVED.fullmatch(text) else quote(text, safe="")


@lru_cache(maxsize=200_000)
def entity_iri(entity_id: str) -> ox.NamedNode:
    return ox.NamedNode(ID_NS + _encode(entity_id))


def entity_ref(entity_id: str) -> str:
    """An entity's IRI as N-Quads text."""
    return f"<{ID_NS}{_encode(entity_id)}>"


def entity_id(iri: str) -> str:
    return unquote(iri[len(ID_NS) :])


def is_entity_iri(iri: str) -> bool:
    return iri.startswith(ID_NS)


def source_graph(source: str) -> ox.NamedNode:
    return ox.NamedNode(SOURCE_NS + _encode(source))


def source_name(graph_iri: str) -> str | None:
    return unquote(graph_iri[len(SOURCE_NS) :]) if graph_iri.startswith(SOURCE_NS) else None


@lru_cache(maxsize=4096)
def property_iri(name: str) -> ox.NamedNode:
    return ox.NamedNode(VG + _encode(name))


def property_name(iri: str) -> str | None:
    return unquote(iri[len(VG) :]) if iri.startswith(VG) else None


@lru_cache(maxsize=64)
def kind_iri(kind: str) -> ox.NamedNode:
    return ox.NamedNode(vocabulary().kinds[kind].iri)


def kind_of_iri(iri: str) -> str | None:
    return _name_of(vocabulary().kind_by_iri.get(iri))


@lru_cache(maxsize=64)
def relation_iri(relation_type: str) -> ox.NamedNode:
    return ox.NamedNode(vocabulary().relations[relation_type].iri)


def relation_of_iri(iri: str) -> str | None:
    return _name_of(vocabulary().relation_by_iri.get(iri))


def _name_of(spec: KindSpec | RelationSpec | None) -> str | None:
    return spec.name if spec else None


def statement_iri(key: RelationKey) -> ox.NamedNode:
    """The node that carries a relation's properties (an rdf:Statement)."""
    return ox.NamedNode(f"{STATEMENT_NS}{_encode(key.from_id)}/{key.type}/{_encode(key.to_id)}")


def history_iri(entity_id: str) -> ox.NamedNode:
    """The subject of an entity's change groups (never the entity's own IRI: reading an entity's facts
    reads none of its history)."""
    return ox.NamedNode(HISTORY_NS + _encode(entity_id))


def history_ref(entity_id: str) -> str:
    return f"<{HISTORY_NS}{_encode(entity_id)}>"


def history_entity(iri: str) -> str:
    return unquote(iri[len(HISTORY_NS):])


@lru_cache(maxsize=4096)
def revision_iri(number: int) -> ox.NamedNode:
    return ox.NamedNode(f"{REVISION_NS}{number}")


def revision_number(iri: str) -> int | None:
    return int(iri[len(REVISION_NS):]) if iri.startswith(REVISION_NS) else None


def is_statement_iri(iri: str) -> bool:
    return iri.startswith(STATEMENT_NS)


def to_literal(value: Value) -> ox.Literal:
    # bool before int: True is an int in Python; datetime before date for the same reason.
    if isinstance(value, (bool, int, float, str)):
        return ox.Literal(value)
    if isinstance(value, dt.datetime):
        return ox.Literal(value.isoformat(), datatype=_XSD_DATETIME)
    if isinstance(value, dt.date):
        return ox.Literal(value.isoformat(), datatype=_XSD_DATE)
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_NT_SPECIAL = re.compile(r'[\\"\n\r]')
_XSD_TEXT = {bool: f"<{XSD}boolean>", int: f"<{XSD}integer>", float: f"<{XSD}double>",
             dt.datetime: f"<{XSD}dateTime>", dt.date: f"<{XSD}date>"}


def literal_text(value: Value) -> str:
    """A value as an N-Quads literal, equal to the one ``to_literal`` makes."""
    kind = type(value)
    if kind is str:
        # most text needs no escaping, and looking is several times faster than translating
        return '"' + (value.translate(_NT_ESCAPES) if _NT_SPECIAL.search(value) else value) + '"'
    if kind is bool:
        return f'"{"true" if value else "false"}"^^{_XSD_TEXT[bool]}'
    if kind is float:
        return f'"{value!r}"^^{_XSD_TEXT[float]}' if math.isfinite(value) else str(to_literal(value))
    if kind in _XSD_TEXT:
        return f'"{value.isoformat() if kind is not int else value}"^^{_XSD_TEXT[kind]}'
    return str(to_literal(value))  # subclasses: let pyoxigraph decide


_FROM_XSD = {
    XSD + "string": str,
    XSD + "integer": int,
    XSD + "double": float,
    XSD + "decimal": float,
    XSD + "boolean": lambda v: v == "true",
    XSD + "date": dt.date.fromisoformat,
    XSD + "dateTime": dt.datetime.fromisoformat,
}


def from_literal(term: ox.Literal) -> Value:
    convert = _FROM_XSD.get(term.datatype.value)
    return convert(term.value) if convert else term.value
