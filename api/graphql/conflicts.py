"""Conflicts between sources in GraphQL: properties that two or more sources give different values of,
the answered value (by the source precedence rules) and every source's value."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from valuegraph.api.graphql.arguments import After, First
from valuegraph.api.graphql.changes import json_value
from valuegraph.api.graphql.context import Info
from valuegraph.api.graphql.core import Entity, PageInfo, ask, check_first
from valuegraph.api.graphql.enums import Kind
from valuegraph.api.graphql.objects import entity_object
from valuegraph.api.graphql.sources import SourceValue
from valuegraph.graph.conflicts import Conflict as ConflictRecord


@strawberry.type(description="A property that two or more sources give different values of.")
class Conflict:
    entity: Entity = strawberry.field(description="The entity whose property it is.")
    property: str = strawberry.field(description="The property's camelCase name (name included).")
    answered: JSON | None = strawberry.field(
        description="The value the graph answers: the highest-ranked source's (VALUEGRAPH_PRECEDENCE_FILE), "
                    "among equals the most recent sync's.")
    values: list[SourceValue] = strawberry.field(
        description="Every source's value, in precedence order: the answered one first.")

    @classmethod
    def of(cls, found: ConflictRecord) -> Conflict:
        return cls(entity=entity_object(found.entity), property=found.property, answered=json_value(found.answered),
                   values=[SourceValue.of(v) for v in found.values])


@strawberry.type(description="A conflict on a page, with its cursor.")
class ConflictEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the conflicts after this one.")
    node: Conflict = strawberry.field(description="The conflict.")


@strawberry.type(description="A page of conflicts, in entity id then property order.")
class ConflictConnection:
    total_count: int = strawberry.field(description="Conflicts on all pages.")
    edges: list[ConflictEdge] = strawberry.field(description="This page's conflicts.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")


@strawberry.type
class ConflictsQuery:
    @strawberry.field(description="Properties that two or more sources give different values of, now, in entity id "
                                  "then property order.")
    async def conflicts(self, info: Info,
                        kind: Annotated[Kind | None, strawberry.argument(
                            description="Only conflicts of entities of this kind.")] = None,
                        property: Annotated[str | None, strawberry.argument(
                            description="Only conflicts of this property (its camelCase name).")] = None,
                        source: Annotated[str | None, strawberry.argument(
                            description="Only conflicts this source gives a value in.")] = None,
                        first: First = 50, after: After = None) -> ConflictConnection:
        page = await ask(info.context.questions.conflicts, None if kind is None else kind.value, property, source,
                         check_first(info, first), after)
        edges = [ConflictEdge(cursor=cursor, node=Conflict.of(found)) for cursor, found in page.conflicts]
        return ConflictConnection(total_count=page.total, edges=edges,
                                  page_info=PageInfo(has_next_page=page.has_next_page,
                                                     end_cursor=edges[-1].cursor if edges else None))
