"""Read-only Cypher for analysts (Neo4j stores)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from valuegraph.api.answers import answer
from valuegraph.api.auth import Scope
from valuegraph.api.deps import GraphDep, SettingsDep, known_query_params, require_scope
from valuegraph.api.openapi import errors
from valuegraph.graph import cypher as cypher_queries

router = APIRouter(prefix="/api/v1", tags=["analysts"], dependencies=[Depends(known_query_params)],
                   responses=errors(400))


class CypherQuery(BaseModel):
    query: str = Field(min_length=1)
    parameters: dict = Field(default_factory=dict)


@router.post("/cypher", dependencies=[Depends(require_scope(Scope.ANALYST))], responses=errors(400, 403, 422, 501))
async def cypher(body: CypherQuery, graph: GraphDep, settings: SettingsDep) -> dict:
    """Run a read-only Cypher query: rows as JSON, at most `VALUEGRAPH_CYPHER_MAX_ROWS` of them. A refused
    query is a 400 (CypherError), a store without Cypher a 501 (NotSupported): see api/errors.py."""
    return await answer(cypher_queries.query, graph.store, body.query, body.parameters,
                        settings.cypher_timeout_seconds, settings.cypher_max_rows)
