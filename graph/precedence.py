"""Source precedence: which source's value the graph answers when sources give different values.

Every source keeps its own assertion of a fact (graph/model.py ``Assertion``); the answered properties are
resolved from them here and nowhere else. Without rules the most recent sync wins. A precedence file
(``VALUEGRAPH_PRECEDENCE_FILE``) names, for a kind (``Objective``) or a kind's property (``Project.budget``),
sources highest first; the more specific key wins. An answered value comes from the highest-listed source
that gives one; sources not listed rank below the listed ones; among equals the most recent sync wins.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

import orjson
from pydantic import AfterValidator, RootModel, StrictStr, ValidationError

from valuegraph.graph import crosswalk
from valuegraph.graph.errors import ValueGraphError
from valuegraph.schema import vocabulary
from valuegraph.schema.text import source_name_fault


class PrecedenceError(ValueGraphError):
    """A precedence file that cannot be read or names what the vocabulary does not have."""


class Asserting(Protocol):
    """What one source says of one fact (graph/model.py ``Assertion``)."""

    seq: int
    properties: Mapping[str, Any]


def _source_name(name: str) -> str:
    if fault := source_name_fault(name):
        raise ValueError(f"the source name {name!r} {fault}")
    return name


SourceName = Annotated[StrictStr, AfterValidator(_source_name)]


class _PrecedenceFile(RootModel[dict[StrictStr, list[SourceName]]]):
    """The file as written: a mapping of keys (``Kind`` or ``Kind.property``) to sources, highest first."""


def _unique(sources: list[str]) -> list[str]:
    seen: set[str] = set()
    for name in sources:
        if name in seen:
            raise ValueError(f"{name!r} is listed twice")
        seen.add(name)
    return sources


@dataclass(frozen=True)
class Precedence:
    """The precedence rules: each key (``Kind`` or ``Kind.property``) with its sources, highest first."""

    rules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: where the rules come from (the file), for messages
    origin: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_kinds", frozenset(key.partition(".")[0] for key in self.rules))

    # ------------------------------------------------------------ reading the file
    @classmethod
    def load(cls, path: str | Path | None) -> Precedence:
        """The rules of a precedence file (none without one); a file that is not valid is refused
        with an error naming it and the key at fault."""
        if path is None or str(path) == "":
            return NO_PRECEDENCE
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PrecedenceError(f"the precedence file {path} cannot be read: {exc}") from None
        import yaml  # only with a precedence file: serve's start does without PyYAML otherwise

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise PrecedenceError(f"the precedence file {path} is not valid YAML: {exc}") from None
        return cls.parse(data, str(path))

    @classmethod
    def parse(cls, data: object, origin: str) -> Precedence:
        """The rules of a precedence file's content (as YAML reads it)."""
        if data is None:
            return cls({}, origin)
        try:
            parsed = _PrecedenceFile.model_validate(data).root
        except ValidationError as exc:
            problems = "; ".join(_problem(error) for error in exc.errors())
            raise PrecedenceError(f"the precedence file {origin}: {problems}") from None
        vocab = vocabulary()
        rules: dict[str, tuple[str, ...]] = {}
        for key, sources in parsed.items():
            kind, dot, prop = key.partition(".")
            if kind not in vocab.kinds:
                raise PrecedenceError(f"the precedence file {origin}: key {key!r}: {kind!r} is not a kind "
                                      f"(kinds: {', '.join(sorted(vocab.kinds))})")
            if dot and not _external(prop) and (not prop or prop in {"id", "kind"} or "." in prop
                                                or (prop != "name" and prop not in vocab.properties)):
                raise PrecedenceError(f"the precedence file {origin}: key {key!r}: {prop!r} is not a property "
                                      "of the vocabulary (name a kind, or a kind and one of its properties, "
                                      "as in Project.budget, or Project.externalIds[.system])")
            if not sources:
                raise PrecedenceError(f"the precedence file {origin}: key {key!r}: name at least one source")
            try:
                rules[key] = tuple(_unique(sources))
            except ValueError as exc:
                raise PrecedenceError(f"the precedence file {origin}: key {key!r}: {exc}") from None
        return cls(rules, origin)

    # ------------------------------------------------------------ the rule
    @property
    def digest(self) -> str:
        """A short fingerprint of the rules: a store that keeps resolved values records the one it used."""
        canonical = orjson.dumps({k: list(v) for k, v in sorted(self.rules.items())})
        return hashlib.sha256(canonical).hexdigest()[:16]

    def governs(self, kind: str) -> bool:
        """Whether any rule names this kind (else the most recent sync wins for all its properties)."""
        return kind in self._kinds  # type: ignore[attr-defined]

    def order(self, kind: str, prop: str) -> tuple[str, ...]:
        """The sources ranked for a kind's property, highest first (the more specific key wins: an external id's
        system, ``Project.externalIds.jira``, before every system's, ``Project.externalIds``)."""
        found = self.rules.get(f"{kind}.{prop}")
        if found is None and prop.startswith(crosswalk.PREFIX):
            found = self.rules.get(f"{kind}.{crosswalk.FIELD}")
        return found if found is not None else self.rules.get(kind, ())

    def ranked(self, kind: str, prop: str, assertions: Mapping[str, Asserting]) -> list[tuple[str, Asserting]]:
        """The sources that give ``prop``, with their assertions, the answered one first."""
        order = self.order(kind, prop)
        giving = [(s, a) for s, a in assertions.items() if prop in a.properties]
        return sorted(giving, key=lambda item: _rank(order, item[0], item[1].seq))

    def resolve(self, kind: str, assertions: Mapping[str, Asserting]) -> dict[str, Any]:
        """The answered properties of a fact of ``kind`` from every source's assertion of it."""
        out: dict[str, Any] = {}
        for assertion in sorted(assertions.values(), key=lambda a: a.seq):
            out.update(assertion.properties)  # the most recent sync wins ...
        if len(assertions) < 2 or not self.governs(kind):
            return out
        for prop in out:  # ... unless a rule ranks another source higher
            order = self.order(kind, prop)
            if order:
                best = min(((s, a) for s, a in assertions.items() if prop in a.properties),
                           key=lambda item: _rank(order, item[0], item[1].seq))
                out[prop] = best[1].properties[prop]
        return out


def _external(prop: str) -> bool:
    """Whether a precedence key's property names external ids: every system's, or one valid system's."""
    system = crosswalk.system_of(prop)
    return prop == crosswalk.FIELD or (system is not None and crosswalk.fault(system, "-") is None)


def _rank(order: tuple[str, ...], source: str, seq: int) -> tuple[int, int, str]:
    """Smaller ranks higher: listed before unlisted, then the most recent sync, then the name (stable)."""
    try:
        tier = order.index(source)
    except ValueError:
        tier = len(order)
    return tier, -seq, source


def _problem(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if not error["loc"]:
        return "expected a mapping of kinds (or Kind.property) to lists of sources, as in 'Objective: [strategy-office]'"
    key = str(error["loc"][0])
    if error["type"] in {"list_type"}:
        return f"key {key!r}: expected a list of sources, as in '{key}: [finance, ppm-tool]'"
    if len(error["loc"]) >= 2 and error["type"] == "string_type" and ":" not in where:
        return f"key {key!r}: a source name must be text"
    message = error["msg"].removeprefix("Value error, ")
    return f"key {key!r}: {message}" if len(error["loc"]) >= 1 else message


#: no rules: the most recent sync wins everywhere
NO_PRECEDENCE = Precedence({}, "")
