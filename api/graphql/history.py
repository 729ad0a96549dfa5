"""History in GraphQL: revisions, changes, diffs and trends (shared/contract/history.graphql), and the
subscription that pushes each new revision to its subscribers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from valuegraph.api.answers import answer
from valuegraph.api.graphql.arguments import After, First, Source
from valuegraph.api.graphql.changes import KIND_ENUMS, AsOf, Change, Revision, json_value, point_of
from valuegraph.api.graphql.core import PageInfo, ask
from valuegraph.api.graphql.context import Info
from valuegraph.api.graphql.enums import Kind, RelationType
from valuegraph.graph import diffs
from valuegraph.graph.changes import Revision as RevisionRecord
from valuegraph.graph.model import RelationKey
from valuegraph.graph.questions import Questions


@strawberry.type(description="A revision on a page, with its cursor.")
class RevisionEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the revisions after this one.")
    node: Revision = strawberry.field(description="The revision.")


@strawberry.type(description="A page of revisions, newest first.")
class RevisionConnection:
    edges: list[RevisionEdge] = strawberry.field(description="This page's revisions.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")


@strawberry.type(description="A change on a page, with its cursor.")
class ChangeEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the changes after this one.")
    node: Change = strawberry.field(description="The change.")


@strawberry.type(description="A page of changes in revision order.")
class ChangeConnection:
    edges: list[ChangeEdge] = strawberry.field(description="This page's changes.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    complete_through: int = strawberry.field(
        description="The latest revision every change of which is on this page or an earlier one: asking again "
                    "with sinceRevision set to it never repeats a change.")


@strawberry.type(description="An entity as the diff's points answer it.")
class EntityRef:
    id: strawberry.ID = strawberry.field(description="The entity's id.")
    kind: Kind = strawberry.field(description="The entity's kind.")
    name: str = strawberry.field(description="The entity's name at the point that has it (the later one when both do).")

    @classmethod
    def of(cls, ref: diffs.EntityRef) -> EntityRef:
        return cls(id=strawberry.ID(ref.id), kind=KIND_ENUMS[ref.kind], name=ref.name)


@strawberry.type(description="A relation, by its ends and type.")
class RelationRef:
    from_: strawberry.ID = strawberry.field(name="from", description="The id of the entity it leaves.")
    type: RelationType = strawberry.field(description="The relation's type.")
    to: strawberry.ID = strawberry.field(description="The id of the entity it points to.")

    @classmethod
    def of(cls, key: RelationKey) -> RelationRef:
        return cls(from_=strawberry.ID(key.from_id), type=RelationType[key.type], to=strawberry.ID(key.to_id))


@strawberry.type(description="An answered (effective) property value that differs between the two points.")
class PropertyChange:
    entity: EntityRef = strawberry.field(description="The entity whose property changed.")
    property: str = strawberry.field(description="The property's camelCase name.")
    before: JSON | None = strawberry.field(description="The answered value at `from` (null: none).")
    after: JSON | None = strawberry.field(description="The answered value at `to` (null: none).")


def _refs(found: list[diffs.EntityRef]) -> list[EntityRef]:
    return [EntityRef.of(r) for r in found]


@strawberry.type(description="What changed between two points, in answers: the graph and what it means for strategy.")
class GraphDiff:
    from_revision: int = strawberry.field(description="The revision the diff starts at.")
    to_revision: int = strawberry.field(description="The revision the diff ends at.")
    entities_added: list[EntityRef] = strawberry.field(description="Entities at `to` that were not at `from`.")
    entities_removed: list[EntityRef] = strawberry.field(description="Entities at `from` that are not at `to`.")
    properties_changed: list[PropertyChange] = strawberry.field(
        description="Answered property values that differ between the two points.")
    relations_added: list[RelationRef] = strawberry.field(description="Relations at `to` that were not at `from`.")
    relations_removed: list[RelationRef] = strawberry.field(description="Relations at `from` that are not at `to`.")
    new_orphans: list[EntityRef] = strawberry.field(
        description="Orphans at `to` that were not orphans at `from`.")
    resolved_orphans: list[EntityRef] = strawberry.field(
        description="Orphans at `from` that are not orphans at `to` (aligned, closed or gone).")
    newly_unsupported: list[EntityRef] = strawberry.field(
        description="Objectives and goals unsupported at `to` that were supported (or absent) at `from`.")
    newly_supported: list[EntityRef] = strawberry.field(
        description="Objectives and goals unsupported at `from` that are supported at `to`.")
    aligned_budget_share_before: float | None = strawberry.field(
        description="The aligned budget share at `from` (null: no open budget).")
    aligned_budget_share_after: float | None = strawberry.field(
        description="The aligned budget share at `to` (null: no open budget).")

    @classmethod
    def of(cls, d: diffs.GraphDiff) -> GraphDiff:
        return cls(
            from_revision=d.from_revision, to_revision=d.to_revision,
            entities_added=_refs(d.entities_added), entities_removed=_refs(d.entities_removed),
            properties_changed=[PropertyChange(entity=EntityRef.of(p.entity), property=p.property,
                                               before=json_value(p.before), after=json_value(p.after))
                                for p in d.properties_changed],
            relations_added=[RelationRef.of(k) for k in d.relations_added],
            relations_removed=[RelationRef.of(k) for k in d.relations_removed],
            new_orphans=_refs(d.new_orphans), resolved_orphans=_refs(d.resolved_orphans),
            newly_unsupported=_refs(d.newly_unsupported), newly_supported=_refs(d.newly_supported),
            aligned_budget_share_before=d.aligned_budget_share_before,
            aligned_budget_share_after=d.aligned_budget_share_after,
        )


@strawberry.type(description="The alignment figures at one time.")
class AlignmentPoint:
    time: dt.datetime = strawberry.field(description="The time these figures stand at.")
    revision: int = strawberry.field(description="The latest revision committed at or before `time` (0 when none).")
    aligned_budget_share: float | None = strawberry.field(
        description="The aligned budget share then (null: no open budget).")
    orphans: int = strawberry.field(description="Open projects then serving no objective or goal.")
    unsupported: int = strawberry.field(description="Objectives and goals then delivered by nothing.")


@strawberry.type
class HistoryQuery:
    """The history queries; Query (schema.py) is made of these and the core questions."""

    @strawberry.field(description="The latest revision's number (0 for an empty graph).")
    async def current_revision(self, info: Info) -> int:
        return await ask(info.context.questions.current_revision)

    @strawberry.field(description="Revisions, newest first.")
    async def revisions(self, info: Info, first: First = 50, after: After = None,
                        source: Source = None) -> RevisionConnection:
        page = await ask(info.context.questions.revisions, 50 if first is None else first, after, source)
        edges = [RevisionEdge(cursor=cursor, node=Revision.of(r)) for cursor, r in page.revisions]
        return RevisionConnection(edges=edges, page_info=PageInfo(has_next_page=page.has_next_page,
                                                                  end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="Changes after revision `sinceRevision`, in revision order, then in a stable "
                                  "order within a revision: each change exactly once across pages.")
    async def changes(self, info: Info, since_revision: Annotated[int | None, strawberry.argument(
                          description="Only changes of revisions after this one (0: every change).")] = 0,
                      first: First = 100, after: After = None, source: Source = None,
                      entity: Annotated[strawberry.ID | None, strawberry.argument(
                          description="Only changes about this entity.")] = None) -> ChangeConnection:
        page = await ask(info.context.questions.changes, since_revision or 0, 100 if first is None else first,
                         after, source, entity)
        edges = [ChangeEdge(cursor=cursor, node=Change.of(c)) for cursor, c in page.changes]
        return ChangeConnection(edges=edges, complete_through=page.complete_through,
                                page_info=PageInfo(has_next_page=page.has_next_page,
                                                   end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="What changed between two points (`to` absent: now).")
    async def diff(self, info: Info,
                   from_: Annotated[AsOf, strawberry.argument(name="from", description="The earlier point.")],
                   to: Annotated[AsOf | None, strawberry.argument(
                       description="The later point (absent: now).")] = None) -> GraphDiff:
        return GraphDiff.of(await ask(info.context.questions.diff, point_of(from_), point_of(to)))

    @strawberry.field(description="`points` evenly spaced times from `from` to `to`, both included (1 to 366; "
                                  "a time without a zone is UTC).")
    async def alignment_trend(self, info: Info,
                              from_: Annotated[dt.datetime, strawberry.argument(name="from",
                                                                                description="The first time.")],
                              to: Annotated[dt.datetime, strawberry.argument(description="The last time.")],
                              points: Annotated[int | None, strawberry.argument(
                                  description="How many times, evenly spaced (1 to 366).")] = 12,
                              ) -> list[AlignmentPoint]:
        found = await ask(info.context.questions.alignment_trend, _utc(from_), _utc(to), 12 if points is None else points)
        return [AlignmentPoint(time=p.time, revision=p.revision, aligned_budget_share=p.aligned_budget_share,
                               orphans=p.orphans, unsupported=p.unsupported) for p in found]


def _utc(time: dt.datetime) -> dt.datetime:
    """A time without a zone is UTC (as asOf takes it): times with and without one compare."""
    return time.replace(tzinfo=dt.UTC) if time.tzinfo is None else time


def revisions_after(questions: Questions, seen: int) -> list[RevisionRecord]:
    """The revisions after ``seen``, oldest first."""
    found: list[RevisionRecord] = []
    after = None
    while True:
        page = questions.revisions(100, after)
        for cursor, revision in page.revisions:
            if revision.number <= seen:
                return found[::-1]
            found.append(revision)
            after = cursor
        if not page.has_next_page:
            return found[::-1]


@strawberry.type(description="What a client can follow as it happens.")
class Subscription:
    @strawberry.subscription(description="Each revision as it commits, oldest first: those after `afterRevision` "
                                         "(absent: after the latest when the subscription starts).")
    async def revision_committed(self, info: Info, after_revision: Annotated[int | None, strawberry.argument(
            description="Start after this revision (absent: the latest when the subscription starts).")] = None,
                                 ) -> AsyncGenerator[Revision, None]:
        # the present as it moves on: not the request's pinned snapshot
        questions = Questions(info.context.graph)
        seen = await answer(questions.current_revision) if after_revision is None else after_revision
        while True:
            # store reads (a shared store's latest revision) are made on worker threads: the event loop
            # only waits
            if await answer(questions.current_revision) > seen:
                for revision in await answer(revisions_after, questions, seen):
                    yield Revision.of(revision)
                    seen = revision.number
            await asyncio.sleep(info.context.poll_seconds)
