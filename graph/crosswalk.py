"""External ids (a crosswalk): the ids one entity has in other systems (``{"gmpp": "DfT_0012", "jira": "PMO-12"}``).

A document gives them as the map ``externalIds``; every store keeps one property per system, named
``externalIds.<system>`` with the id as its text value (``externalIds.jira = "PMO-12"``). So each source keeps
its own id per system with provenance, precedence picks the answered one per system, history records each as
a property, and no store needs a value type beyond those it has. Answers show the map again (``shown``).

The traversal index keeps a ``Crosswalk`` from (system, id) to the entities whose answered properties carry
it, built and changed with the index itself, so that a look-up and the rest of an answer read one snapshot.

How a relation's end given by external id is resolved: graph/references.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from valuegraph.schema.text import external_id_fault, system_name_fault

#: the map of a document, and the prefix of the per-system properties it is kept as
FIELD = "externalIds"
PREFIX = FIELD + "."

Pair = tuple[str, str]  # (system, id)


def property_name(system: str) -> str:
    """The property that keeps an entity's id in ``system``."""
    return PREFIX + system


def system_of(prop: str) -> str | None:
    """The system a property keeps the id in (None: not an external id's property)."""
    return prop[len(PREFIX):] if prop.startswith(PREFIX) else None


def pairs(properties: Mapping[str, object]) -> tuple[Pair, ...]:
    """The (system, id) an entity's properties carry, by system."""
    for key in properties:  # most entities carry none: a plain loop, left at the first, is the cheapest look
        if key.startswith(PREFIX):
            return tuple(sorted((k[len(PREFIX):], v) for k, v in properties.items()
                                if k.startswith(PREFIX) and isinstance(v, str)))
    return ()


def external_ids(properties: Mapping[str, object]) -> dict[str, str]:
    """The external ids of an entity's properties as the map a document gives, by system."""
    return dict(pairs(properties))


def shown(properties: Mapping[str, object]) -> dict[str, object]:
    """The properties as a document gives them: the per-system properties folded into one ``externalIds`` map."""
    if not any(k.startswith(PREFIX) for k in properties):
        return dict(properties)
    out = {k: v for k, v in properties.items() if not k.startswith(PREFIX)}
    out[FIELD] = external_ids(properties)
    return out


def withdraw_all(properties: dict[str, object]) -> None:
    """Take every external id out of a source's properties (``"externalIds": null`` in a merge)."""
    for key in [k for k in properties if k.startswith(PREFIX)]:
        del properties[key]


def fault(system: object, value: object) -> str | None:
    """Why (system, value) cannot be an external id, as a sentence's end (None: it can)."""
    if why := system_name_fault(system):
        return f"the system name {system!r} {why}"
    if why := external_id_fault(value):
        return f"the {system} id {why}"
    return None


def parse_lookup(text: str) -> Pair | None:
    """``system:id`` as (system, id), split at the first ':'; None when it is not one."""
    system, colon, value = text.partition(":")
    if not colon or fault(system, value):
        return None
    return system, value


def label(pair: Pair) -> str:
    return f"{pair[0]}:{pair[1]}"


def ambiguity(pair: Pair, carriers: Sequence[str], remedy: str) -> str:
    """Why an external id that several entities carry names none of them (the first five are named)."""
    shown = ", ".join(f"'{i}'" for i in carriers[:5]) + (" …" if len(carriers) > 5 else "")
    return f"the external id {label(pair)} is ambiguous: {len(carriers)} entities have it ({shown}); {remedy}"


# ------------------------------------------------------------ the index's crosswalk
class Crosswalk:
    """(system, id) to the entities carrying it, and each entity's pairs. An index changes its own crosswalk
    only before it is published (``copy`` first when it shares its predecessor's)."""

    __slots__ = ("carriers_of", "pairs_of")

    def __init__(self) -> None:
        self.carriers_of: dict[Pair, tuple[str, ...]] = {}
        self.pairs_of: dict[str, tuple[Pair, ...]] = {}

    def copy(self) -> Crosswalk:
        other = Crosswalk()
        other.carriers_of, other.pairs_of = dict(self.carriers_of), dict(self.pairs_of)
        return other

    def __len__(self) -> int:
        return len(self.pairs_of)

    def carriers(self, system: str, value: str) -> tuple[str, ...]:
        """The entities carrying (system, id), in id order."""
        return self.carriers_of.get((system, value), ())

    def differs(self, entity_id: str, given: tuple[Pair, ...]) -> bool:
        return self.pairs_of.get(entity_id, ()) != given

    def set(self, entity_id: str, given: tuple[Pair, ...]) -> None:
        """Make ``given`` the pairs ``entity_id`` carries (none: it carries none, or is gone)."""
        old = self.pairs_of.get(entity_id, ())
        if old == given:
            return
        for pair in old:
            left = tuple(i for i in self.carriers_of.get(pair, ()) if i != entity_id)
            if left:
                self.carriers_of[pair] = left
            else:
                self.carriers_of.pop(pair, None)
        for pair in given:
            self.carriers_of[pair] = tuple(sorted({*self.carriers_of.get(pair, ()), entity_id}))
        if given:
            self.pairs_of[entity_id] = given
        else:
            self.pairs_of.pop(entity_id, None)

    def rows(self) -> list[list[str]]:
        """Every (entity id, system, id), for saving with the index."""
        return [[entity_id, system, value] for entity_id, found in self.pairs_of.items() for system, value in found]

    @classmethod
    def of_rows(cls, rows: Iterable[Iterable[str]]) -> Crosswalk:
        walk = cls()
        grouped: dict[str, list[Pair]] = {}
        for entity_id, system, value in rows:
            grouped.setdefault(entity_id, []).append((system, value))
        for entity_id, found in grouped.items():
            walk.set(entity_id, tuple(sorted(found)))
        return walk
