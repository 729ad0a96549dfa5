"""Changes for tools that sync from valuegraph: every change after a revision, each exactly once (read scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from valuegraph.api.answers import answer
from valuegraph.api.auth import Principal, Scope
from valuegraph.api.deps import GraphDep, known_query_params, require_scope
from valuegraph.api.etags import CACHE_HEADERS, entity_tag, matches
from valuegraph.api.openapi import errors
from valuegraph.graph.changes import Change
from valuegraph.graph.questions import Questions

router = APIRouter(prefix="/api/v1", tags=["history"], dependencies=[Depends(known_query_params)],
                   responses=errors(400))

#: the most changes one response holds
MAX_LIMIT = 1000


def change_json(change: Change) -> dict:
    """A change record with the GraphQL Change type's fields."""
    return {
        "revision": change.revision,
        "committedAt": change.committed_at.isoformat(),
        "source": change.source,
        "kind": change.kind.value,
        "entityId": change.entity_id,
        "entityKind": change.entity_kind,
        "property": change.property,
        # dates and times become ISO-8601 text in the response (FastAPI's encoder)
        "before": change.before,
        "after": change.after,
        "relationType": change.relation_type,
        "to": change.to,
    }


@router.get("/changes", responses=errors(400, 403, 422))
async def changes(
    graph: GraphDep,
    request: Request,
    principal: Annotated[Principal, Depends(require_scope(Scope.READ))],
    since: Annotated[int, Query(ge=0, description="Changes of the revisions after this one")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="The most changes to return")] = 100,
    after: Annotated[str | None, Query(description="The `after` of the previous response: go on exactly there")] = None,
    source: Annotated[str | None, Query(description="Only the revisions of this source")] = None,
    entity: Annotated[str | None, Query(description="Only the changes of this entity")] = None,
) -> dict:
    """Changes in revision order. ``next``: the revision up to which every change has been returned (asking
    with ``since=next`` never repeats one); ``after``: the cursor to go on from exactly, null when there is
    nothing more."""
    # one snapshot: its revision tags the answer (If-None-Match with a tag still current: 304, no body)
    questions = Questions(graph, pinned=True)
    revision = await answer(questions.pin)
    tag = entity_tag(request.app.state.etag_salt, revision, principal, request.url.path,
                     [since, limit, after, source, entity])
    headers = {"ETag": tag, **CACHE_HEADERS}
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    page = await answer(questions.changes, since, limit, after, source, entity)
    return JSONResponse(jsonable_encoder({
        "changes": [change_json(c) for _, c in page.changes],
        "next": page.complete_through,
        "after": page.changes[-1][0] if page.has_next_page and page.changes else None,
    }), headers=headers)
