"""The core GraphQL contract types (shared/contract/core.graphql), and their resolvers."""

import base64
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from valuegraph.api.answers import answer
from valuegraph.graph.errors import UserError
from valuegraph.api.graphql.arguments import Limit, RelationDirection, RelationTypes
from valuegraph.api.graphql.changes import Change
from valuegraph.api.graphql.context import GraphView, Info
from valuegraph.api.graphql.enums import Direction, Kind, RelationType
from valuegraph.api.graphql.objects import load_entities, load_entity
from valuegraph.api.graphql.sources import DisputedProperty, SourceValue
from valuegraph.graph import Direction as StoreDirection
from valuegraph.graph import crosswalk
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
    id: strawberry.ID = strawberry.field(description="Its id: unique across all kinds, case-sensitive; it keeps "
                                                     "its kind for ever.")
    kind: Kind = strawberry.field(description="Its kind.")
    name: str = strawberry.field(description="Its display name.")
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

    @strawberry.field(description="Every property as loaded (known and custom), keyed by its camelCase name; "
                                  "the ids in other systems as one map, `externalIds`.")
    def properties(self) -> JSON:
        return {k: (_json_value(v) if k != crosswalk.FIELD else v)
                for k, v in crosswalk.shown(self.record.properties).items()}

    @strawberry.field(description="Its ids in other systems (a GMPP reference, a Jira key), by system name: the "
                                  "answered one per system (each source keeps its own).")
    def external_ids(self) -> list["ExternalId"]:
        return [ExternalId(system=system, id=value) for system, value in crosswalk.pairs(self.record.properties)]

    @strawberry.field(description="Every source's value of one property, in precedence order: the answered value's "
                                  "source first (empty: no source gives it). Two different values mean the "
                                  "sources disagree (see `conflicts`).")
    async def property_sources(self, info: Info, name: Annotated[str, strawberry.argument(
                                   description="The property's camelCase name (name included).")]) -> list[SourceValue]:
        found = await ask(info.context.view(self.at).questions.property_sources, self.record, name)
        return [SourceValue.of(v) for v in found]

    @strawberry.field(description="Its properties that two or more sources give different values of, by name, "
                                  "each with every source's value (the answered one first).")
    async def disputes(self, info: Info) -> list[DisputedProperty]:
        found = await ask(info.context.view(self.at).questions.disputes, self.record)
        return [DisputedProperty(property=prop, values=[SourceValue.of(v) for v in values]) for prop, values in found]

    @strawberry.field(description="Its relations of the given types (all when absent) in the given direction "
                                  "(OUT by default).")
    async def relations(self, info: Info, types: RelationTypes = None,
                        direction: RelationDirection = Direction.OUT) -> list["Relation"]:
        records = await info.context.view(self.at).relations_of(self.record.id,
                                                                StoreDirection((direction or Direction.OUT).value))
        wanted = None if types is None else {t.value for t in types}
        return [Relation(record=r, at=self.at) for r in records if wanted is None or r.key.type in wanted]

    @strawberry.field(description="This entity's changes, oldest first: every source's, up to the point the "
                                  "entity was read at (asOf), at most `first` (0 to 10000).")
    async def history(self, info: Info, first: Annotated[int | None, strawberry.argument(
                          description="The most changes answered (0 to 10000).")] = 100) -> list[Change]:
        found = await ask(info.context.questions.entity_history, self.record.id, 100 if first is None else first)
        # oldest first: the changes up to the point are the first ones, so cutting after the limit is exact
        return [Change.of(c) for c in found if self.at is None or c.revision <= self.at]


@strawberry.type(description="An entity's id in another system.")
class ExternalId:
    system: str = strawberry.field(description="The system's name, as in `jira` or `gmpp`.")
    id: str = strawberry.field(description="The entity's id in that system, as in `PMO-12`.")


@strawberry.input(name="ExternalIdInput", description="An entity's id in another system, to find the entity by.")
class ExternalIdInput:
    system: str = strawberry.field(description="The system's name, as in `jira`.")
    id: str = strawberry.field(description="The entity's id in that system, as in `PMO-12`.")


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@strawberry.type(description="A relation from one entity to another, as its sources assert it.")
class Relation:
    record: strawberry.Private[RelationRecord]
    at: strawberry.Private[int | None] = None

    @strawberry.field(description="Its relation type.")
    def type(self) -> RelationType:
        return RelationType[self.record.key.type]

    @strawberry.field(name="from", description="The entity it leaves.")
    async def from_(self, info: Info) -> Entity:
        return await load_entity(info, self.record.key.from_id, self.at)

    @strawberry.field(description="The entity it points to.")
    async def to(self, info: Info) -> Entity:
        return await load_entity(info, self.record.key.to_id, self.at)

    @strawberry.field(description="Its weight in [0, 1] (null: none given; value paths count it as 1).")
    def weight(self) -> float | None:
        return number_or(self.record.properties.get("weight"), None)

    @strawberry.field(description="Names of the sources that assert this relation.")
    def sources(self) -> list[str]:
        return self.record.sources


@strawberry.type(description="A value path, from its first entity to its last.")
class Path:
    keys: strawberry.Private[list[RelationKey]]
    length: int = strawberry.field(description="How many relations it follows.")
    at: strawberry.Private[int | None] = None

    @classmethod
    def of(cls, keys: list[RelationKey], at: int | None = None) -> "Path":
        return cls(keys=keys, length=len(keys), at=at)

    @strawberry.field(description="Its entities, from the first to the last.")
    async def nodes(self, info: Info) -> list[Entity]:
        ids = [self.keys[0].from_id] + [k.to_id for k in self.keys]
        return await load_entities(info, ids, self.at)

    @strawberry.field(description="The relations it follows, in order.")
    async def relations(self, info: Info) -> list[Relation]:
        records = await info.context.view(self.at).relation.load_many(self.keys)
        return [Relation(record=r, at=self.at) for r in records if r is not None]


def item_paths(info: Info, source: str, target: str, limit: int, include_cancelled: bool,
               at: int | None) -> list[Path]:
    """The paths of one item of a page. Paths the snapshot already keeps (a page asked before) are answered
    at once, so the field costs the engine no awaitable; otherwise (an awaitable, which the engine awaits) the
    page's items are searched in one batch off the event loop."""
    view = info.context.view(at)
    known = view.questions.known_trace(source, target, limit, include_cancelled)
    if known is not None:
        return [Path.of(list(route.keys), at) for route in known]
    # an awaitable, which graphql-core awaits; the resolvers keep ``list[Path]`` as strawberry's type of the field
    return _searched_paths(view, source, target, limit, include_cancelled, at)  # type: ignore[return-value]


async def _searched_paths(view: GraphView, source: str, target: str, limit: int, include_cancelled: bool,
                          at: int | None) -> list[Path]:
    found = await view.routes.load((source, target, limit, include_cancelled))
    return [Path.of(list(route.keys), at) for route in found]


@strawberry.type(description="Where a page of a connection stands.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more answers follow this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page (null: empty page).")


@strawberry.type(description="An entity on a page, with its cursor.")
class EntityEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the answers after this one.")
    node: Entity = strawberry.field(description="The entity.")


@strawberry.type(description="A page of entities in id order.")
class EntityConnection:
    total_count: int = strawberry.field(description="Answers on all pages.")
    edges: list[EntityEdge] = strawberry.field(description="This page's entities.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")


@strawberry.type(description="Something that delivers a target (a value path leads from it to the target).")
class Delivery:
    target: strawberry.Private[str]
    include_cancelled: strawberry.Private[bool]
    item: Entity = strawberry.field(description="What delivers the target.")

    @strawberry.field(description="Shortest value paths from the item to the target, shortest first.")
    def paths(self, info: Info, limit: Limit = 1) -> list[Path]:
        return item_paths(info, self.item.record.id, self.target, check_limit(info, limit), self.include_cancelled,
                          self.item.at)


@strawberry.type(description="A delivering item on a page, with its cursor.")
class DeliveryEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the answers after this one.")
    node: Delivery = strawberry.field(description="The delivering item.")


@strawberry.type(description="A page of what delivers a target, closest first (ties in id order).")
class DeliveryConnection:
    total_count: int = strawberry.field(description="Answers on all pages.")
    edges: list[DeliveryEdge] = strawberry.field(description="This page's delivering items.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")


@strawberry.type(description="Something an item serves (reaches by a value path).")
class Contribution:
    item: strawberry.Private[str]
    target: Entity = strawberry.field(description="What the item serves.")

    @strawberry.field(description="Shortest value paths from the item to the target, shortest first.")
    def paths(self, info: Info, limit: Limit = 1) -> list[Path]:
        return item_paths(info, self.item, self.target.record.id, check_limit(info, limit), False, self.target.at)


@strawberry.type(description="How well delivery lines up with strategy.")
class AlignmentReport:
    orphans: list[Entity] = strawberry.field(description="Open projects with no value path to any objective or goal.")
    unsupported: list[Entity] = strawberry.field(
        description="Objectives and goals that no non-cancelled project or programme delivers.")
    aligned_budget_share: float | None = strawberry.field(
        description="Budget of the open projects that serve an objective or goal over the budget of all open "
                    "projects (null when that is 0).")


@strawberry.type(description="What a slip of an item touches.")
class Impact:
    dependents: list[Entity] = strawberry.field(description="What depends on the item through DEPENDS_ON paths.")
    affected: list[Entity] = strawberry.field(description="What the item or its dependents reach by value paths.")


@strawberry.type(description="One reason a document was rejected.")
class SyncError:
    location: str = strawberry.field(description="Where: file, line or entity index, field.")
    message: str = strawberry.field(description="What is wrong, in a plain sentence.")


@strawberry.type(description="What a sync did to one entity kind or relation type.")
class KindCounts:
    kind: str = strawberry.field(description="The entity kind or relation type.")
    created: int = strawberry.field(description="Facts of it the sync created.")
    updated: int = strawberry.field(description="Facts of it the sync updated.")
    retracted: int = strawberry.field(description="Facts of it the sync retracted.")
    unchanged: int = strawberry.field(description="Facts of it the document repeated unchanged.")


@strawberry.type(description="What a sync did, or why its document was rejected.")
class SyncReport:
    revision: int | None = strawberry.field(
        description="The revision the sync committed (null: it changed nothing, or the document was rejected).")
    created: int = strawberry.field(description="Entities and relations created.")
    updated: int = strawberry.field(description="Entities and relations updated.")
    retracted: int = strawberry.field(description="Entities and relations retracted.")
    unchanged: int = strawberry.field(description="Entities and relations the document repeated unchanged.")
    errors: list[SyncError] = strawberry.field(description="Why the document was rejected (empty: accepted).")
    by_kind: list[KindCounts] = strawberry.field(description="Counts per entity kind and relation type.")
    dry_run: bool = strawberry.field(description="A dry run: the counts say what the sync would change, and nothing "
                                                 "was written.")

    @classmethod
    def from_report(cls, report: GraphSyncReport) -> "SyncReport":
        return cls(
            revision=report.revision, created=report.created, updated=report.updated, retracted=report.retracted, unchanged=report.unchanged,
            errors=[SyncError(location=e.location, message=e.message) for e in report.errors],
            by_kind=[KindCounts(kind=k, created=c.created, updated=c.updated, retracted=c.retracted,
                                unchanged=c.unchanged) for k, c in report.by_kind.items()],
            dry_run=report.dry_run,
        )

    @classmethod
    def rejected(cls, errors, dry_run: bool = False) -> "SyncReport":
        return cls(revision=None, created=0, updated=0, retracted=0, unchanged=0, by_kind=[], dry_run=dry_run,
                   errors=[SyncError(location=e.location, message=e.message) for e in errors])

