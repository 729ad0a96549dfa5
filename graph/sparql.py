"""Read-only SPARQL over the embedded store: refuse updates, cap rows and time, serialise results.

The default graph is the union of the source graphs (each source's graph is
also available by name, in GRAPH clauses); valuegraph's own bookkeeping graph
is not visible.
"""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass, field

import orjson
import pyoxigraph as ox

from valuegraph.graph import terms as t
from valuegraph.graph.errors import QueryTimeout, SparqlError  # raised here; kept importable from here

PREFIXES = {
    "vg": t.VG_NS, "id": t.ID_NS, "source": t.SOURCE_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#", "prov": "http://www.w3.org/ns/prov#",
}
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
_NOISE = re.compile(r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|<[^>\s]*>|#[^\n]*')
_WORD = re.compile(r"(?<![?$:\w])([A-Za-z]+)(?![:\w])")


def update_operations(query: str) -> list[str]:
    """The SPARQL Update operations a text uses (string literals, IRIs and comments ignored)."""
    text = _NOISE.sub(" ", query)
    return list(dict.fromkeys(w.upper() for w in _WORD.findall(text) if w.upper() in UPDATE_KEYWORDS))


@dataclass
class Answer:
    form: str  # "select", "ask" or "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)  # SELECT: terms or None; graph: triples
    boolean: bool | None = None
    truncated: bool = False


def service_endpoints(text: str) -> list[str | None]:
    """The endpoints named by the query's SERVICE clauses, wherever they are nested (None for an endpoint
    given by a variable). Read with rdflib's SPARQL parser: the store's own parser does not tell what
    a query holds without running it, and running it is what calls the endpoints."""
    from rdflib.plugins.sparql.algebra import translatePrologue  # noqa: PLC0415 - imported on first use: it would add to every server's start
    from rdflib.plugins.sparql.parser import parseQuery  # noqa: PLC0415 - imported on first use: it would add to every server's start
    from rdflib.plugins.sparql.parserutils import CompValue  # noqa: PLC0415 - imported on first use: it would add to every server's start
    from rdflib.term import URIRef  # noqa: PLC0415 - imported on first use: it would add to every server's start
    from pyparsing import ParseException, ParseResults  # noqa: PLC0415 - rdflib's parser's own; first use too

    try:
        parsed = parseQuery(text)
    except ParseException as exc:
        raise SparqlError(f"the query does not parse: {exc}") from exc
    except RecursionError as exc:  # the parser recurses once per nested group
        raise SparqlError("the query nests its groups too deeply to be read") from exc
    prologue = translatePrologue(parsed[0], None, initNs=PREFIXES)
    found: list[str | None] = []
    stack: list[object] = list(parsed[1:])
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                try:  # a prefixed name or an IRI relative to BASE, as the store would resolve it
                    endpoint = prologue.absolutize(node["term"])
                except Exception as exc:  # noqa: BLE001 - rdflib raises a bare Exception for an unknown prefix
                    raise SparqlError(f"the query does not parse: {exc}") from exc
                found.append(str(endpoint) if isinstance(endpoint, URIRef) else None)
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, ParseResults)):
            stack.extend(node)
    return found


def refuse_services(text: str, allowed: frozenset[str]) -> None:
    """SparqlError if the query calls an endpoint that is not in ``allowed``: a SERVICE clause makes the
    server send a request wherever it names, from inside its own network."""
    for endpoint in service_endpoints(text):
        if endpoint is None:
            raise SparqlError("SERVICE with a variable endpoint is refused: the endpoints a query may call "
                              "are named in advance")
        if endpoint not in allowed:
            raise SparqlError(f"SERVICE <{endpoint}> is refused: this server queries no other endpoint "
                              f"unless it is allowed to" + (f" (allowed: {', '.join(sorted(allowed))})"
                                                             if allowed else ""))


def query(store, text: str, timeout: float, max_rows: int, services: frozenset[str] = frozenset()) -> Answer:
    """Run a SPARQL query on ``store`` within the limits; SparqlError for an update, a query that does not
    parse or one calling an endpoint not in ``services`` (NotSupported from a store without SPARQL,
    QueryTimeout past ``timeout``)."""
    refused = update_operations(text)
    if refused:
        raise SparqlError(f"only queries are allowed; this is an update ({', '.join(refused)})")
    refuse_services(text, services)
    return run(store.sparql(text), timeout, max_rows)


def run(result, timeout: float, max_rows: int) -> Answer:
    """Consume a pyoxigraph query result within ``timeout`` seconds and ``max_rows`` rows."""
    if isinstance(result, (bool, ox.QueryBoolean)):
        return Answer("ask", boolean=bool(result))
    if isinstance(result, ox.QuerySolutions):
        answer = Answer("select", variables=[v.value for v in result.variables])
        answer.rows, answer.truncated = _take(([s[v] for v in answer.variables] for s in result), timeout, max_rows)
        return answer
    answer = Answer("graph")
    answer.rows, answer.truncated = _take(result, timeout, max_rows)
    return answer


def _take(items, timeout: float, max_rows: int) -> tuple[list, bool]:
    """At most ``max_rows`` items, and whether there were more; QueryTimeout past the deadline."""
    deadline = time.monotonic() + timeout
    taken = []
    for item in items:
        if time.monotonic() > deadline:
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was cut")
        if len(taken) == max_rows:
            return taken, True
        taken.append(item)
    return taken, False


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != t.XSD + "string":
        out["datatype"] = term.datatype.value
    return out


SELECT_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json", "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
               "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML}


def negotiate(answer: Answer, accept: str) -> str:
    """The media type to answer with, from an Accept header (first acceptable wins, q-values ignored)."""
    offered = GRAPH_TYPES if answer.form == "graph" else SELECT_TYPES
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in offered:
            return media
    return "text/turtle" if answer.form == "graph" else "application/sparql-results+json"


def serialize(answer: Answer, media_type: str) -> bytes:
    if answer.form == "graph":
        return ox.serialize(answer.rows, format=GRAPH_TYPES[media_type], prefixes=PREFIXES
                            if media_type == "text/turtle" else None)
    style = SELECT_TYPES[media_type]
    if style == "json":
        if answer.form == "ask":
            return orjson.dumps({"head": {}, "boolean": answer.boolean})
        bindings = [{v: _json_term(term) for v, term in zip(answer.variables, row, strict=True) if term is not None}
                    for row in answer.rows]
        return orjson.dumps({"head": {"vars": answer.variables}, "results": {"bindings": bindings}})
    out = io.StringIO()
    if answer.form == "ask":
        out.write("_askResult\r\n" + ("true" if answer.boolean else "false") + "\r\n")
        return out.getvalue().encode()
    if style == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(answer.variables)
        for row in answer.rows:
            writer.writerow(["" if term is None else (f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value)
                             for term in row])
    else:
        out.write("\t".join(f"?{v}" for v in answer.variables) + "\n")
        for row in answer.rows:
            out.write("\t".join("" if term is None else str(term) for term in row) + "\n")
    return out.getvalue().encode()
