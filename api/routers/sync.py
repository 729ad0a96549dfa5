"""Sync for PMO tools: POST an exchange document as one source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from valuegraph.api.bodies import SYNC_MEDIA_TYPES, BodyTooLarge, body_format, json_document, read_body
from valuegraph.api.deps import GraphDep, PrincipalDep, SettingsDep
from valuegraph.api.openapi import errors, sync_body
from valuegraph.graph import SyncMode
from valuegraph.graph.errors import PermissionDenied

router = APIRouter(prefix="/api/v1", tags=["sync"])


@router.post("/sync/{source}", responses=errors(400, 403, 409, 413, 415, 422, rejected=True),
             openapi_extra=sync_body())
async def sync(source: str, request: Request, graph: GraphDep, principal: PrincipalDep, settings: SettingsDep,
               mode: Annotated[SyncMode, Query(description="merge adds and updates; full also retracts")] = SyncMode.MERGE):
    """Sync one exchange document (JSON) as `source`: all of it is written, or nothing."""
    if not principal.may_sync(source):
        raise PermissionDenied(f"this API key may not sync as source '{source}'")
    body_format(request, SYNC_MEDIA_TYPES)
    try:
        raw = await read_body(request, settings.max_body_bytes)
    except BodyTooLarge:
        raise HTTPException(413, f"the body is larger than the {settings.max_body_bytes} bytes this server accepts") from None
    # parsed and validated on a worker thread: seconds for a large body, which the event loop does not wait
    # for; a rejected document (DocumentRejected) is a 422 listing its first errors: see api/errors.py
    doc = await run_in_threadpool(json_document, raw, "body", settings.max_sync_errors)
    # the revision's author is the API key's name
    report = await run_in_threadpool(graph.sync, doc, source, mode, author=principal.name)
    return report.as_dict()
