"""Read-only Cypher for analysts (Neo4j stores)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from valuegraph.api.auth import Scope
from valuegraph.api.deps import GraphDep, SettingsDep, require_scope
from valuegraph.graph.cypher_guard import write_clauses
from valuegraph.graph.errors import CypherError

router = APIRouter(prefix="/api/v1", tags=["analysts"])


class CypherQuery(BaseModel):
    query: str = Field(min_length=1)
    parameters: dict = Field(default_factory=dict)


def run_cypher(graph, query: str, parameters: dict, timeout: float, max_rows: int) -> dict:
    """Shared by the endpoint and `valuegraph cypher`: refuse writes, run in a READ transaction."""
    refused = write_clauses(query)
    if refused:
        raise CypherError(f"only reading queries are allowed; this one uses {', '.join(refused)}")
    columns, rows, truncated = graph.store.cypher(query, parameters, timeout=timeout, max_rows=max_rows)
    return {"columns": columns, "rows": rows, "truncated": truncated}


@router.post("/cypher", dependencies=[Depends(require_scope(Scope.ANALYST))])
async def cypher(body: CypherQuery, graph: GraphDep, settings: SettingsDep) -> dict:
    """Run a read-only Cypher query: rows as JSON, at most `VALUEGRAPH_CYPHER_MAX_ROWS` of them. A refused
    query is a 400 (CypherError), a store without Cypher a 501 (NotSupported): see api/errors.py."""
    return await run_in_threadpool(run_cypher, graph, body.query, body.parameters,
                                   settings.cypher_timeout_seconds, settings.cypher_max_rows)
