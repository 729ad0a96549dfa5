"""The GraphQL enums the core contract and the per-kind types share."""

import enum

import strawberry

from valuegraph.schema import vocabulary

_VOCAB = vocabulary()


def described_enum(name: str, members: dict[str, tuple[str, str]], description: str):
    """A GraphQL enum each of whose values says what it means: ``members`` maps a name to (value, meaning)."""
    values = {key: strawberry.enum_value(value, description=meaning) for key, (value, meaning) in members.items()}
    return strawberry.enum(enum.Enum(name, values), description=description)


def _kinds(names) -> str:
    return ", ".join(sorted(names, key=lambda k: _VOCAB.kinds[k].order))


Kind = described_enum("Kind", {k.enum: (k.name, k.comment) for k in _VOCAB.kinds.values()},
                      "The kinds of entity.")
RelationType = described_enum(
    "RelationType",
    {r.name: (r.name, f"From {_kinds(r.from_kinds)} to {_kinds(r.to_kinds)}"
                      + ("; part of the value chain." if r.value_chain else "."))
     for r in _VOCAB.relations.values()},
    "The relation types; PART_OF … SERVES form the value chain.")


@strawberry.enum(description="Which relations of an entity: those leaving it (OUT), arriving (IN) or both.")
class Direction(enum.Enum):
    OUT = strawberry.enum_value("out", description="Relations leaving the entity.")
    IN = strawberry.enum_value("in", description="Relations arriving at the entity.")
    BOTH = strawberry.enum_value("both", description="Relations leaving and arriving.")


@strawberry.enum(description="MERGE adds or updates what a document holds; FULL also retracts what its source "
                             "asserted before and no longer does.")
class SyncMode(enum.Enum):
    MERGE = strawberry.enum_value("merge", description="Add or update what the document holds; remove nothing.")
    FULL = strawberry.enum_value("full", description="The document is everything its source now asserts: "
                                                     "retract what it asserted before and no longer does.")


@strawberry.enum(description="A derived red/amber/green status; UNKNOWN when there is nothing to judge by.")
class Rag(enum.Enum):
    GREEN = strawberry.enum_value("green", description="On track.")
    AMBER = strawberry.enum_value("amber", description="At risk.")
    RED = strawberry.enum_value("red", description="In trouble.")
    UNKNOWN = strawberry.enum_value("unknown", description="Nothing to judge by.")
