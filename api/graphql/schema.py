"""The GraphQL schema: the core contract plus typed objects per kind, with guardrails."""

import functools
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension, ValidationCache
from strawberry.scalars import JSON

from valuegraph.api.auth import Scope
from graphql import GraphQLError

from valuegraph.api.errors import GraphQLErrors, format_graphql_error, log_graphql_error
from valuegraph.graph.errors import InvalidRequest, PermissionDenied, QueryTooComplex, ValueGraphError
from valuegraph.api.graphql import cost, kinds
from valuegraph.api.graphql.analytics import Analytics
from valuegraph.api.graphql.arguments import After, First, IncludeCancelled, Kinds, Limit
from valuegraph.api.graphql.changes import AsOf, point_of
from valuegraph.api.graphql.core import (
    AlignmentReport,
    Contribution,
    DeliveryConnection,
    Entity,
    EntityConnection,
    ExternalIdInput,
    Impact,
    Info,
    Path,
    SyncReport,
    ask,
    check_limit,
    kind_names,
)
from valuegraph.api.graphql.conflicts import ConflictsQuery
from valuegraph.api.graphql.enums import Kind, SyncMode
from valuegraph.api.graphql.history import HistoryQuery, Subscription
from valuegraph.api.graphql.objects import entity_object, load_entity
from valuegraph.api.graphql.queries import delivery_connection, entity_connection
from valuegraph.api.graphql.rollups import DisplaySettings
from valuegraph.graph import DocumentRejected, StoreUnavailable
from valuegraph.graph import SyncMode as GraphSyncMode
from valuegraph.loaders.validate import validate_mapping

kinds.build()
Status, Health = kinds.Status, kinds.Health


AS_OF = strawberry.argument(description="The graph as it stood at this point (absent: now); nested fields "
                                         "answer at the same point.")
AsOfArg = Annotated[AsOf | None, AS_OF]


@strawberry.type(description="Questions about strategy, delivery and value; each takes `asOf` to answer as the "
                             "graph stood at a past point.")
class Query(HistoryQuery, ConflictsQuery):
    @strawberry.field(description="One entity, by its id or by its id in another system (give exactly one); "
                                  "null when the graph holds none. Two entities with the external id are an error.")
    async def entity(self, info: Info,
                     id: Annotated[strawberry.ID | None, strawberry.argument(description="The entity's id.")] = None,
                     external_id: Annotated[ExternalIdInput | None, strawberry.argument(
                         description='The entity\'s id in another system, as in {system: "jira", id: "PMO-12"}.')] = None,
                     as_of: AsOfArg = None) -> Entity | None:
        if (id is None) == (external_id is None):
            raise InvalidRequest("give exactly one of id and externalId")
        view = await info.context.point(point_of(as_of))
        if external_id is not None:
            id = await ask(view.questions.with_external_id, external_id.system, external_id.id)
            if id is None:
                return None
        if view.questions.kind_of(id) is None:
            return None
        return await load_entity(info, id, view.at)

    @strawberry.field(description="Entities, optionally of one kind and matching a text search on name, ordered by id.")
    async def entities(self, info: Info,
                       kind: Annotated[Kind | None, strawberry.argument(
                           description="Only entities of this kind.")] = None,
                       search: Annotated[str | None, strawberry.argument(
                           description="Only entities with this text in their name (case-insensitive).")] = None,
                       first: First = 50, after: After = None,
                       status: Annotated[list[Status] | None, strawberry.argument(
                           description="Only entities of these statuses.")] = None,
                       health: Annotated[list[Health] | None, strawberry.argument(
                           description="Only entities of these healths.")] = None,
                       as_of: AsOfArg = None) -> EntityConnection:
        view = await info.context.point(point_of(as_of))
        return await entity_connection(info, kind, search, first, after, status, health, view.at)

    @strawberry.field(description="Projects and programmes (or the given kinds) that deliver the target, closest first.")
    async def what_delivers(self, info: Info,
                            target: Annotated[strawberry.ID, strawberry.argument(
                                description="The id of what is delivered (an objective, a benefit, …).")],
                            kinds: Kinds = [Kind.PROJECT, Kind.PROGRAMME],  # noqa: B006
                            include_cancelled: IncludeCancelled = False, first: First = 50,
                            after: After = None, as_of: AsOfArg = None) -> DeliveryConnection:
        view = await info.context.point(point_of(as_of))
        return await delivery_connection(info, target, kinds, include_cancelled, first, after, view.at)

    @strawberry.field(description="What the item serves: every entity of the given kinds that it reaches by a value path.")
    async def why_exists(self, info: Info,
                         item: Annotated[strawberry.ID, strawberry.argument(description="The id of the item.")],
                         kinds: Kinds = [Kind.GOAL, Kind.OBJECTIVE, Kind.KEY_RESULT,  # noqa: B006
                                         Kind.BENEFIT, Kind.CUSTOMER_SEGMENT],
                         as_of: AsOfArg = None) -> list[Contribution]:
        view = await info.context.point(point_of(as_of))
        found = await ask(view.questions.why_exists, item, kind_names(kinds))  # no kinds: every kind
        return [Contribution(item=item, target=entity_object(hit.entity, view.at)) for hit in found]

    @strawberry.field(description="Value paths from one entity to another, shortest first.")
    async def trace(self, info: Info,
                    from_: Annotated[strawberry.ID, strawberry.argument(name="from",
                                                                        description="The id the paths start at.")],
                    to: Annotated[strawberry.ID, strawberry.argument(description="The id the paths end at.")],
                    limit: Limit = 10, as_of: AsOfArg = None) -> list[Path]:
        view = await info.context.point(point_of(as_of))
        found = await ask(view.questions.trace, from_, to, check_limit(info, limit, default=10))
        return [Path.of(list(route.keys), view.at) for route in found]

    @strawberry.field(description="Open projects serving no objective or goal, objectives and goals nothing "
                                  "delivers, and the aligned share of open projects' budget.")
    async def alignment(self, info: Info, as_of: AsOfArg = None) -> AlignmentReport:
        view = await info.context.point(point_of(as_of))
        a = await ask(view.questions.alignment)
        return AlignmentReport(orphans=[entity_object(r, view.at) for r in a.orphans],
                               unsupported=[entity_object(r, view.at) for r in a.unsupported],
                               aligned_budget_share=a.aligned_budget_share)

    @strawberry.field(description="Graph analytics: strategic reach, critical dependencies, dependency cycles, "
                                  "concentration risk, budget by objective.")
    async def analytics(self, info: Info, as_of: AsOfArg = None) -> Analytics:
        return Analytics(at=(await info.context.point(point_of(as_of))).at)

    @strawberry.field(description="What depends on the item (through DEPENDS_ON), and what it or they reach by "
                                  "value paths.")
    async def impact(self, info: Info,
                     item: Annotated[strawberry.ID, strawberry.argument(description="The id of the work item.")],
                     as_of: AsOfArg = None) -> Impact:
        view = await info.context.point(point_of(as_of))
        found = await ask(view.questions.impact, item)
        return Impact(dependents=[entity_object(h.entity, view.at) for h in found.dependents],
                      affected=[entity_object(h.entity, view.at) for h in found.affected])

    @strawberry.field(description="How figures are meant to be shown: the currency of budgets and costs.")
    def display(self, info: Info) -> DisplaySettings:
        return DisplaySettings(currency=info.context.currency)


@strawberry.type(description="Writes: a sync of one source's exchange document.")
class Mutation:
    @strawberry.mutation(description="Same semantics as POST /api/v1/sync/{source}; a rejected document writes "
                                     "nothing and returns its errors.")
    async def sync(self, info: Info,
                   source: Annotated[str, strawberry.argument(description="The source the facts come from.")],
                   document: Annotated[JSON, strawberry.argument(
                       description="An exchange document: {source?, entities, relations}.")],
                   mode: Annotated[SyncMode | None, strawberry.argument(
                       description="MERGE (the default) or FULL.")] = SyncMode.MERGE,
                   dry_run: Annotated[bool, strawberry.argument(
                       description="Validate and report what the sync would change, and write nothing (no "
                                   "revision).")] = False) -> SyncReport:
        if not info.context.principal.may_sync(source):
            raise PermissionDenied(f"this API key may not sync as source '{source}'")
        # on a worker thread, like the sync itself: a large document takes seconds to validate
        doc = await run_in_threadpool(validate_mapping, document, "document", info.context.limits.max_sync_errors)
        try:
            # the revision's author is the API key's name
            report = await run_in_threadpool(info.context.graph.sync, doc, source,
                                             GraphSyncMode((mode or SyncMode.MERGE).value), dry_run=dry_run,
                                             author=info.context.principal.name)
        except DocumentRejected as exc:
            return SyncReport.rejected(exc.errors, dry_run)
        return SyncReport.from_report(report)


def _refused(exc: ValueGraphError | GraphQLError) -> GraphQLError:
    """An error formatted where it is made: a subscription's errors do not pass GraphQLErrors' formatting
    of a result."""
    error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
    format_graphql_error(error)
    return error


def _refuse(context, exc: ValueGraphError | GraphQLError) -> None:
    """Refuse the operation before validation: its errors are the response's, and the later checks and
    the validation rules are skipped (see CachedValidation)."""
    context.pre_execution_errors = [_refused(exc)]


class RequireReadScope(SchemaExtension):
    """Every query and subscription needs the read scope; no resolver can skip the check, and it comes
    before validation, so a key that may not read costs the server nothing more than a parse.
    (Mutations check their own, narrower, scopes.)"""

    def on_validate(self):
        context = self.execution_context
        operation = context.operation_type
        principal = context.context.principal
        if operation is not None and operation.value in ("query", "subscription") and not principal.has(Scope.READ):
            _refuse(context, PermissionDenied("this API key lacks the read scope"))
        yield


class LimitQueryCost(SchemaExtension):
    """The document's depth, fields and aliases checked before it is validated (api/graphql/cost.py): the
    validation rules' work grows with the expanded document, this check's only with its text."""

    def __init__(self, limits: cost.Limits) -> None:
        self.limits = limits

    def on_parse(self):
        # a document over the field limit whatever its fields are is refused before it is parsed (the parse
        # is most of the time such a refusal takes); a key that may not read is told so first
        context = self.execution_context
        found = cost.definitions(context.query) if context.query else None
        least = cost.fields_at_least(found) if found is not None else None
        if least is not None and least > self.limits.max_fields:
            kind = cost.operation_kind(found, context.operation_name)
            if kind in ("query", "subscription") and not context.context.principal.has(Scope.READ):
                raise _refused(PermissionDenied("this API key lacks the read scope"))
            raise _refused(cost.too_many_fields(least, self.limits))
        yield

    def on_validate(self):
        context = self.execution_context
        if not context.pre_execution_errors:
            try:
                cost.check(context.graphql_document, self.limits)
            except QueryTooComplex as exc:
                _refuse(context, exc)
            except cost.FragmentCycle as exc:  # what the spec's NoFragmentCyclesRule would say, had it run
                _refuse(context, GraphQLError(f"Cannot spread fragment '{exc.names[0]}' within itself "
                                              f"({' -> '.join(exc.names)})."))
        yield


class CachedValidation(ValidationCache):
    """The spec's validation rules, each text validated once; not run on an operation already refused."""

    def on_validate(self):
        if self.execution_context.pre_execution_errors:
            yield
        else:
            yield from super().on_validate()


class StoreAvailability(SchemaExtension):
    """A store that does not answer makes the whole response a 503, with the store's message."""

    def on_execute(self):
        yield
        result = self.execution_context.result
        response = self.execution_context.context.response  # None for a subscription (a WebSocket)
        if (result is not None and response is not None
                and any(isinstance(e.original_error, StoreUnavailable) for e in result.errors or ())):
            response.status_code = 503


class Schema(strawberry.Schema):
    """strawberry's schema, logging each error of a response by what caused it (api/errors.py) rather than
    every one at ERROR with the query it came in."""

    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        operation = getattr(execution_context, "operation_name", None)
        for error in errors:
            log_graphql_error(error, operation)


@functools.lru_cache(maxsize=8)
def create_schema(max_depth: int = 12, max_aliases: int = 30, max_tokens: int = 5000,
                  max_cost: int = 2000) -> strawberry.Schema:
    """The schema with these limits, made once per process (a tenth of a second): a server makes it before it
    forks its workers, which then have it made."""
    limits = cost.Limits(max_depth=max_depth, max_aliases=max_aliases, max_fields=max_cost)
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(kinds.KIND_TYPES.values()),
        extensions=[
            # in this order on validation: the key's scope, then the document's size, then the spec's rules
            RequireReadScope,
            lambda: LimitQueryCost(limits),
            # dashboards send the same few queries again and again: parse and validate each text once
            lambda: ParserCache(maxsize=256),
            lambda: CachedValidation(maxsize=256),
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            StoreAvailability,
            GraphQLErrors,  # a code for every error; internal ones masked (api/errors.py)
        ],
    )


__all__ = ["create_schema", "entity_object"]
