"""The SPARQL 1.1 Protocol endpoint (query only) for analysts."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from valuegraph.api.answers import answer
from valuegraph.api.auth import Scope
from valuegraph.api.deps import GraphDep, SettingsDep, require_scope
from valuegraph.api.openapi import SPARQL_GET, SPARQL_POST, errors
from valuegraph.graph import sparql
from valuegraph.graph.errors import QueryTimeout, SparqlError

router = APIRouter(prefix="/api/v1", tags=["analysts"])
#: the media types of the answers, chosen by Accept
RESULTS = {"description": "The answer", "content": {media_type: {} for media_type in (*sparql.SELECT_TYPES,
                                                                                   *sparql.GRAPH_TYPES)}}


async def _query_of(request: Request) -> str:
    if request.method == "GET":
        if "update" in request.query_params:
            raise SparqlError("only queries are allowed; updates are refused")
        query = request.query_params.get("query")
    else:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = (await request.body()).decode("utf-8", errors="replace")
        if content_type == "application/sparql-update":
            raise SparqlError("only queries are allowed; updates are refused")
        if content_type == "application/sparql-query":
            query = body
        else:
            form = parse_qs(body)
            if "update" in form:
                raise SparqlError("only queries are allowed; updates are refused")
            query = (form.get("query") or [None])[0] or request.query_params.get("query")
    if not query:
        raise SparqlError("no query: send it as the 'query' parameter or an application/sparql-query body")
    return query


@router.get("/sparql", dependencies=[Depends(require_scope(Scope.ANALYST))], openapi_extra=SPARQL_GET,
            responses={200: RESULTS, **errors(400, 403, 501)}, operation_id="sparql_get")
@router.post("/sparql", dependencies=[Depends(require_scope(Scope.ANALYST))], openapi_extra=SPARQL_POST,
             responses={200: RESULTS, **errors(400, 403, 413, 415, 501)}, operation_id="sparql_post")
async def sparql_endpoint(request: Request, graph: GraphDep, settings: SettingsDep) -> Response:
    """SPARQL 1.1 query over the union of all sources (each source also a named graph). Results as SPARQL JSON,
    CSV or TSV (SELECT, ASK) or Turtle, N-Triples, JSON-LD (CONSTRUCT, DESCRIBE), chosen by Accept. A refused
    query is a 400 (SparqlError, QueryTimeout), a store without SPARQL a 501 (NotSupported): see api/errors.py.
    SERVICE may call only the endpoints of VALUEGRAPH_SPARQL_SERVICE_ALLOW."""
    query = await _query_of(request)
    timeout = settings.sparql_timeout_seconds
    try:
        found = await asyncio.wait_for(
            answer(sparql.query, graph.store, query, timeout, settings.sparql_max_rows,
                   frozenset(settings.sparql_service_allow)), timeout + 1)
    except TimeoutError as exc:  # the thread did not even give the first rows in time
        raise QueryTimeout(f"the query ran longer than {timeout:g} s and was cut") from exc
    media_type = sparql.negotiate(found, request.headers.get("accept", ""))
    headers = {"X-Valuegraph-Truncated": "true"} if found.truncated else {}
    return Response(sparql.serialize(found, media_type), media_type=media_type, headers=headers)
