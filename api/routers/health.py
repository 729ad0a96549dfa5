"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from valuegraph.api.deps import GraphDep, PrincipalDep

# no check of query parameters here (see api/deps.py known_query_params): probes and monitors add their own,
# and nothing here changes anything a misspelt one could misdirect
router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(_: PrincipalDep) -> dict:
    """The process is up."""
    return {"status": "ok"}


NOT_READY = {"description": "The store does not answer", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"status": {"type": "string"}, "detail": {"type": "string"}}}}}}


@router.get("/readyz", responses={503: NOT_READY})
async def readyz(graph: GraphDep, _: PrincipalDep):
    """The store answers."""
    try:
        sources = await run_in_threadpool(graph.store.sources)
    except Exception as exc:  # noqa: BLE001 - any store failure means not ready
        return JSONResponse({"status": "unavailable", "detail": f"the {graph.store.backend} store does not answer: {exc}"},
                            status_code=503)
    return {"status": "ready", "backend": graph.store.backend, "sources": len(sources)}
