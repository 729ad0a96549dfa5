"""One GraphQL object type per kind, generated from the vocabulary.

Each type implements Entity, has a typed field per known property of its kind
and relation fields named as people say them (``Project.programme``,
``Objective.keyResults``, ``Person.manages``): the table below maps each such
name to a relation type and direction.
"""

import datetime as dt

import strawberry

from valuegraph.api.graphql import rollups
from valuegraph.api.graphql.core import Entity, Info
from valuegraph.api.graphql.enums import described_enum
from valuegraph.api.graphql.objects import KIND_TYPES, load_entities
from valuegraph.graph import Direction as StoreDirection
from valuegraph.schema import ValueType, vocabulary
from valuegraph.schema.values import number_or

_VOCAB = vocabulary()

# what each status and health means (the vocabulary lists the values; a value it adds reads as itself)
_MEANING = {"proposed": "Proposed, not started.", "active": "Under way (also when no status is given).",
            "on_hold": "Paused.", "completed": "Done.", "cancelled": "Stopped: no value path passes through it.",
            "green": "On track.", "amber": "At risk.", "red": "In trouble."}

Status = described_enum("Status", {s.upper(): (s, _MEANING.get(s, s)) for s in _VOCAB.properties["status"].allowed},
                        "The status of work and objectives; a missing status means ACTIVE.")
Health = described_enum("Health", {s.upper(): (s, _MEANING.get(s, s)) for s in _VOCAB.properties["health"].allowed},
                        "The health a project or programme reports.")

OUT, IN = StoreDirection.OUT, StoreDirection.IN
ONE, MANY = False, True

# field name -> (relation type, direction from this entity, kinds at the other end (None: any), many?)
_STRATEGY = {
    "keyResults": ("MEASURES", IN, ("KeyResult",), MANY),
    "supports": ("SUPPORTS", OUT, None, MANY),
    "supportedBy": ("SUPPORTS", IN, None, MANY),
    "contributions": ("CONTRIBUTES_TO", IN, None, MANY),
    "owners": ("OWNS", IN, None, MANY),
    "sponsors": ("SPONSORS", IN, ("Person",), MANY),
}
_WORK = {  # what projects and programmes share
    "deliverables": ("DELIVERS", OUT, ("Deliverable",), MANY),
    "enables": ("ENABLES", OUT, ("Outcome",), MANY),
    "contributesTo": ("CONTRIBUTES_TO", OUT, None, MANY),
    "dependsOn": ("DEPENDS_ON", OUT, None, MANY),
    "dependents": ("DEPENDS_ON", IN, None, MANY),
    "manager": ("MANAGES", IN, ("Person",), ONE),
    "sponsors": ("SPONSORS", IN, ("Person",), MANY),
    "members": ("MEMBER_OF", IN, ("Person",), MANY),
}
_VALUE = {  # what outcomes and benefits share
    "contributesTo": ("CONTRIBUTES_TO", OUT, None, MANY),
    "contributions": ("CONTRIBUTES_TO", IN, None, MANY),
    "customerSegments": ("SERVES", OUT, ("CustomerSegment",), MANY),
    "owners": ("OWNS", IN, None, MANY),
}
NAVIGATION: dict[str, dict[str, tuple]] = {
    "Goal": {"objectives": ("SUPPORTS", IN, ("Objective",), MANY), **_STRATEGY},
    "Objective": {"subObjectives": ("SUPPORTS", IN, ("Objective",), MANY), **_STRATEGY},
    "KeyResult": {
        "measures": ("MEASURES", OUT, None, MANY),
        "contributions": ("CONTRIBUTES_TO", IN, None, MANY),
        "owners": ("OWNS", IN, None, MANY),
    },
    "Portfolio": {
        "programmes": ("PART_OF", IN, ("Programme",), MANY),
        "projects": ("PART_OF", IN, ("Project",), MANY),
        "contributesTo": ("CONTRIBUTES_TO", OUT, None, MANY),
        "manager": ("MANAGES", IN, ("Person",), ONE),
        "sponsors": ("SPONSORS", IN, ("Person",), MANY),
    },
    "Programme": {
        "portfolio": ("PART_OF", OUT, ("Portfolio",), ONE),
        "parentProgramme": ("PART_OF", OUT, ("Programme",), ONE),
        "programmes": ("PART_OF", IN, ("Programme",), MANY),
        "projects": ("PART_OF", IN, ("Project",), MANY),
        **_WORK,
    },
    "Project": {
        "programme": ("PART_OF", OUT, ("Programme",), ONE),
        "portfolio": ("PART_OF", OUT, ("Portfolio",), ONE),
        **_WORK,
    },
    "Deliverable": {
        "producedBy": ("DELIVERS", IN, None, MANY),
        "enables": ("ENABLES", OUT, ("Outcome",), MANY),
        "contributesTo": ("CONTRIBUTES_TO", OUT, None, MANY),
        "dependsOn": ("DEPENDS_ON", OUT, None, MANY),
        "dependents": ("DEPENDS_ON", IN, None, MANY),
        "owners": ("OWNS", IN, None, MANY),
    },
    "Outcome": {
        "enabledBy": ("ENABLES", IN, None, MANY),
        "benefits": ("REALISES", OUT, ("Benefit",), MANY),
        **_VALUE,
    },
    "Benefit": {
        "realisedBy": ("REALISES", IN, ("Outcome",), MANY),
        **_VALUE,
    },
    "CustomerSegment": {
        "servedBy": ("SERVES", IN, None, MANY),
    },
    "Person": {
        "manages": ("MANAGES", OUT, None, MANY),
        "sponsorOf": ("SPONSORS", OUT, None, MANY),
        "owns": ("OWNS", OUT, None, MANY),
        "memberOf": ("MEMBER_OF", OUT, None, MANY),
    },
    "Team": {
        "members": ("MEMBER_OF", IN, ("Person",), MANY),
        "owns": ("OWNS", OUT, None, MANY),
    },
}


def _property_field(name: str, value_type: ValueType):
    if name == "status":
        def resolve(root) -> Status | None:
            return Status(root.record.properties.get("status", "active"))
    elif name == "health":
        def resolve(root) -> Health | None:
            value = root.record.properties.get("health")
            return Health(value) if value is not None else None
    elif value_type is ValueType.NUMBER:
        def resolve(root) -> float | None:
            return number_or(root.record.properties.get(name), None)
    elif value_type is ValueType.DATE:
        def resolve(root) -> dt.date | None:
            value = root.record.properties.get(name)
            return value.date() if isinstance(value, dt.datetime) else value if isinstance(value, dt.date) else None
    else:
        def resolve(root) -> str | None:
            value = root.record.properties.get(name)
            return None if value is None else str(value)
    return strawberry.field(resolver=resolve, name=name, description=_VOCAB.properties[name].comment or None)


def _navigation_field(name: str, rel_type: str, direction: StoreDirection, kinds, many: bool):
    target = KIND_TYPES[kinds[0]] if kinds and len(kinds) == 1 else Entity
    wanted = None if kinds is None else frozenset(kinds)

    async def ends(root, info) -> list:
        view = info.context.view(root.at)  # the point the entity was read at
        # the value chain and DEPENDS_ON are in the snapshot's index: no store read for them
        ids = view.questions.linked(root.record.id, rel_type, direction, wanted)
        if ids is None:
            records = await view.relations_of(root.record.id, direction)
            ids = [r.key.to_id if direction is OUT else r.key.from_id for r in records if r.key.type == rel_type]
            if wanted is not None:
                ids = [i for i, kind in zip(ids, view.questions.kinds_of(ids), strict=True) if kind in wanted]
        return await load_entities(info, ids, root.at)

    if many:
        async def resolve(root, info: Info) -> list[target]:
            return await ends(root, info)
    else:
        async def resolve(root, info: Info) -> target | None:
            found = await ends(root, info)
            return found[0] if found else None
    arrow = "->" if direction is OUT else "<-"
    return strawberry.field(resolver=resolve, name=name, description=f"{arrow} {rel_type}")


def _build() -> dict[str, type]:
    classes = {k: type(k, (Entity,), {"__doc__": spec.comment, "__annotations__": {}})
               for k, spec in _VOCAB.kinds.items()}
    KIND_TYPES.update(classes)
    EXTRA_FIELDS.update(rollups.extra_fields())  # made once the classes exist: some fields return them
    for kind, spec in _VOCAB.kinds.items():
        cls = classes[kind]
        for prop in spec.properties:
            setattr(cls, f"prop_{prop}", _property_field(prop, _VOCAB.properties[prop].type))
        for name, (rel_type, direction, kinds, many) in NAVIGATION.get(kind, {}).items():
            setattr(cls, f"nav_{name}", _navigation_field(name, rel_type, direction, kinds, many))
        for name, field in EXTRA_FIELDS.get(kind, {}).items():
            setattr(cls, f"extra_{name}", field)
    for kind, cls in classes.items():
        KIND_TYPES[kind] = strawberry.type(cls, description=_VOCAB.kinds[kind].comment)
    return KIND_TYPES


EXTRA_FIELDS: dict[str, dict] = {}


def build() -> dict[str, type]:
    """Make the per-kind types (once) and register them in ``KIND_TYPES``."""
    if not KIND_TYPES:
        _build()
    return KIND_TYPES


__all__ = ["KIND_TYPES", "Health", "Status", "build"]
