"""The GraphQL enums the core contract and the per-kind types share."""

import enum

import strawberry

from valuegraph.schema import vocabulary

_VOCAB = vocabulary()

Kind = strawberry.enum(enum.Enum("Kind", {k.enum: k.name for k in _VOCAB.kinds.values()}),
                       description="The kinds of entity.")
RelationType = strawberry.enum(enum.Enum("RelationType", {r: r for r in _VOCAB.relations}),
                               description="The relation types; PART_OF … SERVES form the value chain.")


@strawberry.enum(description="Which relations of an entity: those leaving it (OUT), arriving (IN) or both.")
class Direction(enum.Enum):
    OUT = "out"
    IN = "in"
    BOTH = "both"


@strawberry.enum(description="MERGE adds or updates what a document holds; FULL also retracts what its source "
                             "asserted before and no longer does.")
class SyncMode(enum.Enum):
    MERGE = "merge"
    FULL = "full"


@strawberry.enum(description="A derived red/amber/green status; UNKNOWN when there is nothing to judge by.")
class Rag(enum.Enum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    UNKNOWN = "unknown"
