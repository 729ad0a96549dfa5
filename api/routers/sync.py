"""Sync for PMO tools: POST an exchange document, or a file of another format, as one source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from valuegraph.api.bodies import (
    OCTET_STREAM,
    SYNC_MEDIA_TYPES,
    BodyTooLarge,
    body_format,
    file_media_type,
    file_name,
    json_document,
    media_type,
    read_body,
)
from valuegraph.api.deps import GraphDep, PrincipalDep, SettingsDep, known_query_params
from valuegraph.api.openapi import errors, sync_body
from valuegraph.graph import SyncMode
from valuegraph.graph.errors import InvalidRequest, PermissionDenied
from valuegraph.loaders import upload

router = APIRouter(prefix="/api/v1", tags=["sync"], dependencies=[Depends(known_query_params)],
                   responses=errors(400))

#: the format of an exchange document: read as JSON sync always read its body
EXCHANGE_JSON = "json"


@router.post("/sync/{source}", responses=errors(400, 403, 409, 413, 415, 422, rejected=True),
             openapi_extra=sync_body())
async def sync(source: str, request: Request, graph: GraphDep, principal: PrincipalDep, settings: SettingsDep,
               mode: Annotated[SyncMode, Query(description="merge adds and updates; full also retracts")] = SyncMode.MERGE,
               format: Annotated[str | None, Query(
                   description="What the body is: absent (or json) an exchange document in JSON; register (CSV or "
                               "XLSX, with a recipe), archimate, rdf, yaml, or another installed loader's name"
               )] = None,
               recipe: Annotated[str | None, Query(
                   description="The recipe a register (or the mapping an ArchiMate model) is read through: the name "
                               "of a built-in recipe or of one in the configured recipe folder, never a path")] = None,
               dry_run: Annotated[bool, Query(alias="dryRun", description="Validate and report what would change; "
                                                                          "write nothing")] = False):
    """Sync one document as `source`: all of it is written, or nothing. With `dryRun=true`, the same report of what
    would change, and nothing written."""
    if not principal.may_sync(source):
        raise PermissionDenied(f"this API key may not sync as source '{source}'")
    if format in (None, EXCHANGE_JSON):
        if recipe is not None:
            raise InvalidRequest("a recipe reads a file of another format: name it with format=NAME (a register: "
                                 "format=register)")
        accepted = SYNC_MEDIA_TYPES if format is None else {**SYNC_MEDIA_TYPES, OCTET_STREAM: EXCHANGE_JSON}
        body_format(request, accepted, _hint(media_type(request)))
        raw = await _body(request, settings.max_body_bytes)
        # parsed and validated on a worker thread: seconds for a large body, which the event loop does not wait
        # for; a rejected document (DocumentRejected) is a 422 listing its first errors: see api/errors.py
        doc = await run_in_threadpool(json_document, raw, "body", settings.max_sync_errors)
        # the revision's author is the API key's name
        report = await run_in_threadpool(graph.sync, doc, source, mode, dry_run=dry_run, author=principal.name)
        return {**report.as_dict(), "warnings": [w.message for w in doc.warnings]}
    fmt = upload.body_format(format, recipe, settings.recipe_folder)
    given = file_media_type(request, format, list(fmt.loader.media_types))
    raw = await _body(request, settings.max_body_bytes)
    most = settings.max_body_bytes * upload.UNPACKED_RATIO
    if (unpacked := upload.unpacked_size(raw)) is not None and unpacked > most:
        raise HTTPException(413, f"the body is an archive that unpacks to {unpacked} bytes, more than the {most} "
                                 f"bytes this server unpacks")
    suffix = fmt.loader.body_suffix(raw[:8], given, file_name(request))
    # read (from a temporary file, removed afterwards), checked and written on a worker thread, as the command
    # line loads a file
    report, warnings = await run_in_threadpool(upload.sync_body_file, graph, fmt, raw, suffix, source, mode, dry_run,
                                               principal.name, settings.max_sync_errors)
    # the warnings as the command line's --json gives them
    return {**report.as_dict(), "warnings": [w.message for w in warnings]}


async def _body(request: Request, limit: int) -> bytes:
    try:
        return await read_body(request, limit)
    except BodyTooLarge:
        raise HTTPException(413, f"the body is larger than the {limit} bytes this server accepts") from None


def _hint(given: str) -> str:
    """What to add to a JSON sync's 415 when the body is of a type a file format reads."""
    readers = [name for name, cls in upload.body_formats().items()
               if given in cls.media_types and name != EXCHANGE_JSON]
    return f"; a {given} body is a file: name its format with format={' or format='.join(readers)}" if readers else ""
