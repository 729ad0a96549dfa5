"""One entity by its id or by an external id (read scope), for tools that know a project by their own key."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from valuegraph.api.answers import answer
from valuegraph.api.auth import Scope
from valuegraph.api.deps import GraphDep, require_scope
from valuegraph.api.openapi import errors
from valuegraph.graph import crosswalk
from valuegraph.graph.errors import NotFound
from valuegraph.graph.model import EntityRecord
from valuegraph.graph.questions import Questions

router = APIRouter(prefix="/api/v1", tags=["entities"])


def entity_json(record: EntityRecord) -> dict:
    """An entity as the command line's ``show --json`` gives it, with its external ids as a map."""
    return {"id": record.id, "kind": record.kind, "name": record.name, "sources": record.sources,
            "properties": crosswalk.shown(record.properties),
            "externalIds": crosswalk.external_ids(record.properties)}


def _found(questions: Questions, text: str) -> EntityRecord:
    entity_id = questions.named(text)
    if entity_id is None:
        raise NotFound(text)
    return questions.entity(entity_id)


@router.get("/entities/{entity:path}", dependencies=[Depends(require_scope(Scope.READ))],
            responses=errors(400, 403, 404))
async def entity(entity: str, graph: GraphDep) -> dict:
    """One entity by its id, or by its id in another system written `system:id` (as in `jira:PMO-12`): an
    entity whose id is exactly the text wins. 404 when none is found; 400 when two entities carry the
    external id."""
    return entity_json(await answer(_found, Questions(graph), entity))
