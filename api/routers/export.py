"""Exports for analysts' tools (scope analyst)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from valuegraph.api.auth import Scope
from valuegraph.api.deps import GraphDep, known_query_params, require_scope
from valuegraph.api.openapi import errors
from valuegraph.loaders.exports import MEDIA_TYPES, stream_export

router = APIRouter(prefix="/api/v1", tags=["analysts"], dependencies=[Depends(known_query_params)],
                   responses=errors(400))


@router.get("/export/{format}", dependencies=[Depends(require_scope(Scope.ANALYST))], responses=errors(403, 404))
async def export(format: str, graph: GraphDep) -> StreamingResponse:
    """The whole graph as GraphML, node-link JSON, CSV (zip), RDF or ArchiMate."""
    if format not in MEDIA_TYPES:
        raise HTTPException(404, f"no export format '{format}'; the formats are {', '.join(MEDIA_TYPES)}")
    suffix = {"csv": "zip", "nodelink": "json", "archimate": "xml", "nquads": "nq", "turtle": "ttl",
              "ntriples": "nt"}.get(format, format)
    return StreamingResponse(iterate_in_threadpool(stream_export(graph.store, format)), media_type=MEDIA_TYPES[format],
                             headers={"Content-Disposition": f'attachment; filename="valuegraph.{suffix}"'})
