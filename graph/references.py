"""Relation ends given by external id: ``{"from": {"externalId": {"jira": "PMO-12"}}, ...}``.

Validation (loaders/validate.py) puts a ``reference`` in the end's place: text no real id can be, as it begins
with a control character (schema/text.py). Before a sync plans anything, ``resolve_references`` replaces it by
the one entity that carries that external id in the document (its entities as given) or in the graph (the
index's crosswalk, graph/crosswalk.py). An id no entity carries, or that two carry, is an error located at the
end that gives it, and the document is refused as a whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from valuegraph.graph.crosswalk import Pair, ambiguity, label, pairs
from valuegraph.graph.errors import SyncError
from valuegraph.graph.model import Document, RelationKey

#: the key of a relation's end given by external id
END_FIELD = "externalId"
_REFERENCE = "\x00"


def reference(system: str, value: str) -> str:
    """What stands for a relation's end given by external id until the sync resolves it."""
    return f"{_REFERENCE}{system}{_REFERENCE}{value}"


def referenced(end: str) -> Pair | None:
    """The (system, id) a relation's end names by external id (None: an entity id)."""
    if not end.startswith(_REFERENCE):
        return None
    system, _, value = end[1:].partition(_REFERENCE)
    return system, value


def has_references(doc: Document) -> bool:
    return any(r.key.from_id.startswith(_REFERENCE) or r.key.to_id.startswith(_REFERENCE) for r in doc.relations)


def resolve_references(doc: Document, carriers: Callable[[str, str], Iterable[str]]) -> list[SyncError]:
    """Replace each relation end given by external id with the entity that carries it, in the document
    (its entities as given) or in the graph (``carriers``: the graph's entities carrying (system, id)).

    Returns the errors: an id no entity carries, or that two carry; an end that cannot be resolved is
    marked unresolved, so that the graph checks do not report it again."""
    if not has_references(doc):
        return []
    given: dict[Pair, set[str]] = {}
    for e in doc.entities:
        for pair in pairs(e.properties):
            given.setdefault(pair, set()).add(e.id)
    errors: list[SyncError] = []
    found: dict[Pair, str | None] = {}
    first_use: dict[Pair, str] = {}  # where an id that names no one entity was reported
    for r in doc.relations:
        ends = {"from": r.key.from_id, "to": r.key.to_id}
        for end, text in ends.items():
            pair = referenced(text)
            if pair is None:
                continue
            if pair not in found:
                found[pair] = None
                first_use[pair] = f"{r.location}.{end}.{END_FIELD}"
                candidates = sorted(given.get(pair, set()) | set(carriers(*pair)))
                if len(candidates) == 1:
                    found[pair] = candidates[0]
                elif not candidates:
                    errors.append(SyncError(f"{r.location}.{end}.{END_FIELD}",
                                            f"no entity in this document or the graph has the external id {label(pair)}"))
                else:
                    errors.append(SyncError(f"{r.location}.{end}.{END_FIELD}",
                                            ambiguity(pair, candidates, "name the entity by its id")))
            elif found[pair] is None:  # why is said once, at its first use
                errors.append(SyncError(f"{r.location}.{end}.{END_FIELD}", f"the external id {label(pair)} names "
                                                                          f"no one entity (see {first_use[pair]})"))
            resolved = found[pair]
            if resolved is None:
                doc.unresolved.add(text)
            else:
                ends[end] = resolved
        r.key = RelationKey(ends["from"], r.key.type, ends["to"])
    seen: dict[RelationKey, str] = {}
    for r in doc.relations:
        if r.key in seen and referenced(r.key.from_id) is None and referenced(r.key.to_id) is None:
            errors.append(SyncError(r.location, f"the relation {r.key} appears twice in the document "
                                                f"(also at {seen[r.key]})"))
        seen.setdefault(r.key, r.location)
    return errors
