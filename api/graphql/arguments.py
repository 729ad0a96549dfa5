"""The arguments several fields share, each with its description."""

from typing import Annotated

import strawberry

from valuegraph.api.graphql.enums import Direction, Kind, RelationType

First = Annotated[int | None, strawberry.argument(
    description="How many answers the page holds (at most the server's cap, VALUEGRAPH_MAX_FIRST).")]
After = Annotated[str | None, strawberry.argument(
    description="The cursor (an edge's `cursor`) after which the page starts; absent: the first page.")]
Kinds = Annotated[list[Kind] | None, strawberry.argument(description="The kinds of entity answered.")]
IncludeCancelled = Annotated[bool | None, strawberry.argument(
    description="Whether value paths may pass through, and answers be, cancelled entities.")]
Limit = Annotated[int | None, strawberry.argument(
    description="The most paths answered (at most the server's cap, VALUEGRAPH_MAX_PATHS).")]
Top = Annotated[int | None, strawberry.argument(description="How many of the ranking's first answers to give.")]
RelationTypes = Annotated[list[RelationType] | None, strawberry.argument(
    description="Only relations of these types (absent: every type).")]
RelationDirection = Annotated[Direction | None, strawberry.argument(
    description="Relations leaving the entity (OUT), arriving at it (IN) or both.")]
Source = Annotated[str | None, strawberry.argument(description="Only those of this source.")]
EntityId = Annotated[strawberry.ID, strawberry.argument(description="The entity's id.")]
