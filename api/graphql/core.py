"""The core GraphQL contract types (shared/contract/core.graphql), and their resolvers."""

import base64

import strawberry
from strawberry.scalars import JSON

from valuegraph.api.answers import answer
from valuegraph.graph.errors import UserError
from valuegraph.api.graphql.changes import Change
from valuegraph.api.graphql.context import Info
from valuegraph.api.graphql.enums import Direction, Kind, RelationType
from valuegraph.api.graphql.objects import load_entities, load_entity
from valuegraph.graph import Direction as StoreDirection
from valuegraph.graph import EntityRecord, RelationKey, RelationRecord
from valuegraph.graph.model import SyncReport as GraphSyncReport
from valuegraph.schema.values import number_or


async def ask(question, /, *args, **kwargs):
    """A question of graph/questions.py, answered off the event loop (see api/answers.py); a domain error it
    raises (an unknown id: NotFound) reaches the client with its code (api/errors.py)."""
    return await answer(question, *args, **kwargs)


def kind_names(kinds: list[Kind] | None) -> tuple[str, ...] | None:
    return None if kinds is None else tuple(k.value for k in kinds)


def check_first(info: Info, first: int | None, default: int = 50) -> int:
    """``first`` within the configured cap (null means the default)."""
    return _within_cap("first", first, default, info.context.limits.max_first)


def check_limit(info: Info, limit: int | None, default: int = 1) -> int:
    return _within_cap("limit", limit, default, info.context.limits.max_paths)


def _within_cap(name: str, given: int | None, default: int, cap: int) -> int:
    value = default if given is None else given
    if value < 0 or value > cap:
        raise UserError(f"{name} must be between 0 and {cap}, not {value}")
    return value


def encode_cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode("\x1f".join(map(str, parts)).encode()).decode()


def decode_cursor(cursor: str) -> list[str]:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode().split("\x1f")
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"'{cursor}' is not a cursor this server gave out") from exc


@strawberry.interface(description="Anything valuegraph knows about.")
class Entity:
    # id, kind, name and sources are plain values set by entity_object: a field without a resolver is
    # read by the GraphQL engine directly, at a fraction of a resolver's cost (pages hold hundreds)
    record: strawberry.Private[EntityRecord]
    id: strawberry.ID
    kind: Kind
    name: str
    sources: list[str] = strawberry.field(description="Names of the sources that assert this entity.")
    # the revision the entity was read at (None: the present): its nested fields answer at that point
    at: strawberry.Private[int | None] = None

    # every Entity object is made by entity_object, one class per kind named after it: its type is
    # known without the engine's generic checks (a cast lookup and isinstance against every kind)
    @classmethod
    def resolve_type(cls, obj: "Entity", info, abstract_type) -> str:
        return obj.record.kind

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, cls)

    @strawberry.field(description="Every property as loaded (known and custom), keyed by its camelCase name.")
    def properties(self) -> JSON:
        return {k: _json_value(v) for k, v in self.record.properties.items()}

    @strawberry.field
    async def relations(self, info: Info, types: list[RelationType] | None = None,
                        direction: Direction | None = Direction.OUT) -> list["Relation"]:
        records = await info.context.view(self.at).relations_of(self.record.id,
                                                                StoreDirection((direction or Direction.OUT).value))
        wanted = None if types is None else {t.value for t in types}
        return [Relation(record=r, at=self.at) for r in records if wanted is None or r.key.type in wanted]

    @strawberry.field(description="This entity's changes, oldest first: every source's, up to the point the "
                                  "entity was read at (asOf), at most `first` (0 to 10000).")
    async def history(self, info: Info, first: int | None = 100) -> list[Change]:
        found = await ask(info.context.questions.entity_history, self.record.id, 100 if first is None else first)
        # oldest first: the changes up to the point are the first ones, so cutting after the limit is exact
        return [Change.of(c) for c in found if self.at is None or c.revision <= self.at]


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@strawberry.type
class Relation:
    record: strawberry.Private[RelationRecord]
    at: strawberry.Private[int | None] = None

    @strawberry.field
    def type(self) -> RelationType:
        return RelationType[self.record.key.type]

    @strawberry.field(name="from")
    async def from_(self, info: Info) -> Entity:
        return await load_entity(info, self.record.key.from_id, self.at)

    @strawberry.field
    async def to(self, info: Info) -> Entity:
        return await load_entity(info, self.record.key.to_id, self.at)

    @strawberry.field
    def weight(self) -> float | None:
        return number_or(self.record.properties.get("weight"), None)

    @strawberry.field
    def sources(self) -> list[str]:
        return self.record.sources


@strawberry.type(description="A value path, from its first entity to its last.")
class Path:
    keys: strawberry.Private[list[RelationKey]]
    length: int
    at: strawberry.Private[int | None] = None

    @classmethod
    def of(cls, keys: list[RelationKey], at: int | None = None) -> "Path":
        return cls(keys=keys, length=len(keys), at=at)

    @strawberry.field
    async def nodes(self, info: Info) -> list[Entity]:
        ids = [self.keys[0].from_id] + [k.to_id for k in self.keys]
        return await load_entities(info, ids, self.at)

    @strawberry.field
    async def relations(self, info: Info) -> list[Relation]:
        records = await info.context.view(self.at).relation.load_many(self.keys)
        return [Relation(record=r, at=self.at) for r in records if r is not None]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class EntityEdge:
    cursor: str
    node: Entity


@strawberry.type
class EntityConnection:
    total_count: int
    edges: list[EntityEdge]
    page_info: PageInfo


@strawberry.type
class Delivery:
    target: strawberry.Private[str]
    include_cancelled: strawberry.Private[bool]
    item: Entity

    @strawberry.field(description="Shortest value paths from the item to the target, shortest first.")
    async def paths(self, info: Info, limit: int | None = 1) -> list[Path]:
        found = await info.context.view(self.item.at).routes.load((self.item.record.id, self.target,
                                                                   check_limit(info, limit), self.include_cancelled))
        return [Path.of(list(route.keys), self.item.at) for route in found]


@strawberry.type
class DeliveryEdge:
    cursor: str
    node: Delivery


@strawberry.type
class DeliveryConnection:
    total_count: int
    edges: list[DeliveryEdge]
    page_info: PageInfo


@strawberry.type
class Contribution:
    item: strawberry.Private[str]
    target: Entity

    @strawberry.field
    async def paths(self, info: Info, limit: int | None = 1) -> list[Path]:
        found = await info.context.view(self.target.at).routes.load((self.item, self.target.record.id,
                                                                     check_limit(info, limit), False))
        return [Path.of(list(route.keys), self.target.at) for route in found]


@strawberry.type
class AlignmentReport:
    orphans: list[Entity]
    unsupported: list[Entity]
    aligned_budget_share: float | None


@strawberry.type
class Impact:
    dependents: list[Entity]
    affected: list[Entity]


@strawberry.type
class SyncError:
    location: str
    message: str


@strawberry.type
class KindCounts:
    kind: str
    created: int
    updated: int
    retracted: int
    unchanged: int


@strawberry.type
class SyncReport:
    revision: int | None = strawberry.field(
        description="The revision the sync committed (null: it changed nothing, or the document was rejected).")
    created: int
    updated: int
    retracted: int
    unchanged: int
    errors: list[SyncError]
    by_kind: list[KindCounts] = strawberry.field(description="Counts per entity kind and relation type.")

    @classmethod
    def from_report(cls, report: GraphSyncReport) -> "SyncReport":
        return cls(
            revision=report.revision, created=report.created, updated=report.updated, retracted=report.retracted, unchanged=report.unchanged,
            errors=[SyncError(location=e.location, message=e.message) for e in report.errors],
            by_kind=[KindCounts(kind=k, created=c.created, updated=c.updated, retracted=c.retracted,
                                unchanged=c.unchanged) for k, c in report.by_kind.items()],
        )

    @classmethod
    def rejected(cls, errors) -> "SyncReport":
        return cls(revision=None, created=0, updated=0, retracted=0, unchanged=0, by_kind=[],
                   errors=[SyncError(location=e.location, message=e.message) for e in errors])

