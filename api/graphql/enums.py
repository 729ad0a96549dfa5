"""The GraphQL enums the core contract and the per-kind types share."""

import enum

import strawberry

from valuegraph.schema import vocabulary

_VOCAB = vocabulary()

Kind = strawberry.enum(enum.Enum("Kind", {k.enum: k.name for k in _VOCAB.kinds.values()}),
                       description="The kinds of entity.")
RelationType = strawberry.enum(enum.Enum("RelationType", {r: r for r in _VOCAB.relations}),
                               description="The relation types; PART_OF … SERVES form the value chain.")


@strawberry.enum
class Direction(enum.Enum):
    OUT = "out"
    IN = "in"
    BOTH = "both"


@strawberry.enum
class SyncMode(enum.Enum):
    MERGE = "merge"
    FULL = "full"
