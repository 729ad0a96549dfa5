"""Conversion between valuegraph's assertions and what Neo4j stores, in one place.

Each node and relationship carries its answered properties as ordinary Neo4j
properties (so Cypher reads naturally), ``sources`` (the sources asserting it)
and ``_assertions``: every source's own values and sync number as JSON, with
dates tagged so that they come back as dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

import orjson

from valuegraph.graph.model import Assertion, Value

ASSERTIONS = "_assertions"
_DATE, _DATETIME = "$date", "$datetime"


def _encode(value: Value) -> object:
    if isinstance(value, dt.datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return {_DATE: value.isoformat()}
    return value


def _decode(value: object) -> Value:
    if isinstance(value, dict):
        if _DATETIME in value:
            return dt.datetime.fromisoformat(value[_DATETIME])
        if _DATE in value:
            return dt.date.fromisoformat(value[_DATE])
    return value


def dump_assertions(assertions: dict[str, Assertion]) -> str:
    return orjson.dumps(
        {s: {"seq": a.seq, "p": {k: _encode(v) for k, v in a.properties.items()}} for s, a in assertions.items()}
    ).decode()


def load_assertions(text: str | None) -> dict[str, Assertion]:
    if not text:
        return {}
    return {s: Assertion(a["seq"], {k: _decode(v) for k, v in a["p"].items()}) for s, a in orjson.loads(text).items()}


def from_neo4j(value: object) -> Value:
    """A property read back from Neo4j as a Python value (Neo4j's own date types become datetime's)."""
    to_native = getattr(value, "to_native", None)
    return to_native() if to_native is not None else value


class StoredAssertions(Mapping):
    """Every source's assertion of a fact as the store keeps them (JSON), decoded on first use: a relation
    read for its ends (a GraphQL navigation, a path) never needs its provenance, and decoding it is most of
    the cost of reading it back."""

    __slots__ = ("_text", "_decoded")

    def __init__(self, text: str | None) -> None:
        self._text = text
        self._decoded: dict[str, Assertion] | None = None

    def _found(self) -> dict[str, Assertion]:
        decoded = self._decoded
        if decoded is None:
            decoded = self._decoded = load_assertions(self._text)
        return decoded

    def __getitem__(self, source: str) -> Assertion:
        return self._found()[source]

    def __iter__(self) -> Iterator[str]:
        return iter(self._found())

    def __len__(self) -> int:
        return len(self._found())

    def __repr__(self) -> str:
        return repr(self._found())
