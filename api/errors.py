"""How errors reach API callers: one table from error class to HTTP status and code, used by REST (FastAPI
exception handlers) and GraphQL (an extension that formats every error).

A ``ValueGraphError`` (graph/errors.py) is meant for the caller: its message is shown, with its status
and code. Any other exception is a fault of valuegraph: REST answers 500 with the request id and no text
of the error (see middleware.py), GraphQL answers "Unexpected error." with code INTERNAL_SERVER_ERROR and
the request id; the log line of the request has the details.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.exceptions import HTTPException as StarletteHTTPException
from strawberry.extensions import SchemaExtension

from valuegraph.api import logs

from valuegraph.graph import errors
from valuegraph.graph.errors import DocumentRejected, ValueGraphError

#: error class -> (HTTP status, code); an error takes the entry of its nearest class in this table
STATUS: dict[type[ValueGraphError], tuple[int, str]] = {
    errors.ValueGraphError: (400, "BAD_REQUEST"),
    errors.InvalidRequest: (400, "BAD_REQUEST"),
    errors.InvalidSourceName: (400, "INVALID_SOURCE_NAME"),
    errors.QueryRejected: (400, "QUERY_REJECTED"),
    errors.QueryTimeout: (400, "QUERY_TIMEOUT"),
    errors.QueryTooComplex: (400, "QUERY_TOO_COMPLEX"),
    errors.PermissionDenied: (403, "FORBIDDEN"),
    errors.NotFound: (404, "NOT_FOUND"),
    errors.StoreConflict: (409, "STORE_CONFLICT"),
    errors.DocumentRejected: (422, "DOCUMENT_REJECTED"),
    errors.StoreError: (500, "STORE_ERROR"),
    errors.NotSupported: (501, "NOT_SUPPORTED"),
    errors.StoreUnavailable: (503, "STORE_UNAVAILABLE"),
}
INTERNAL = (500, "INTERNAL_SERVER_ERROR")
#: what a caller is told of an error that is not a ValueGraphError
INTERNAL_MESSAGE = "Unexpected error."
#: codes of GraphQL errors that no resolver raised: the query itself is wrong
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
graphql_log = logging.getLogger("valuegraph.graphql")


def status_of(exc: BaseException) -> tuple[int, str]:
    """(HTTP status, code) of an error: its nearest class in STATUS, or INTERNAL."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return INTERNAL


def error_body(exc: ValueGraphError) -> dict:
    """The JSON body of a REST error response."""
    _, code = status_of(exc)
    if isinstance(exc, DocumentRejected):
        listed = (f"; the first {len(exc.errors)} are listed" if exc.total > len(exc.errors) else "")
        return {"detail": f"document rejected with {exc.total} error(s){listed}; nothing was written", "code": code,
                "errors": [{"location": e.location, "message": e.message} for e in exc.errors],
                "errorCount": exc.total, "errorsTruncated": exc.total > len(exc.errors),
                "requestId": logs.request_id.get()}
    return {"detail": str(exc), "code": code, "requestId": logs.request_id.get()}


class ApiError(HTTPException):
    """An error of the HTTP surface itself rather than of the graph (a CSRF token missing, a WebSocket from a
    foreign origin): its status, with a code in the body every REST error has."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, detail, headers)
        self.code = code


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse({"detail": exc.detail, "code": exc.code, "requestId": logs.request_id.get()},
                        status_code=exc.status_code, headers=exc.headers)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    status, _ = status_of(exc)
    return JSONResponse(error_body(exc), status_code=status)  # type: ignore[arg-type]


#: the code of an HTTP error raised without one (a key missing, a route not found)
HTTP_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
              406: "NOT_ACCEPTABLE", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 429: "TOO_MANY_REQUESTS"}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (204, 304):  # no body
        return Response(status_code=exc.status_code, headers=exc.headers)
    code = HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
    return JSONResponse({"detail": exc.detail, "code": code, "requestId": logs.request_id.get()},
                        status_code=exc.status_code, headers=exc.headers)


def install_handlers(app: FastAPI) -> None:
    """Every ValueGraphError a route raises becomes its status and message; every HTTP error has the same body
    (detail, code, requestId: api/openapi.py ErrorBody). Other exceptions reach RequestIdMiddleware, which logs
    them and answers 500 with the request id only."""
    app.add_exception_handler(ValueGraphError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ApiError, _api_error)


def format_graphql_error(error: GraphQLError) -> None:
    """Give an error of a GraphQL response its ``extensions.code``; mask one that no ValueGraphError caused.
    In place: strawberry formats the very error objects it collected (parse and validation errors too)."""
    original = error.original_error
    # the query does not parse or validate, or a variable's value is not of its type (a scalar's parser
    # raised a GraphQLError, as DateTime's does for a malformed time): shown as it is
    if error.path is None and (original is None or isinstance(original, GraphQLError)):
        code = GRAPHQL_PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else GRAPHQL_VALIDATION_FAILED
        error.extensions = {**(error.extensions or {}), "code": code}
    elif isinstance(original, ValueGraphError):
        extensions = {"code": status_of(original)[1]}
        if isinstance(original, DocumentRejected):
            extensions["errors"] = [{"location": e.location, "message": e.message} for e in original.errors]
            extensions["errorCount"] = original.total
        error.extensions = extensions
    elif error.extensions is None or "code" not in error.extensions:  # not already formatted: masked
        error.message = INTERNAL_MESSAGE
        error.original_error = None
        error.extensions = {"code": INTERNAL[1], "requestId": logs.request_id.get()}


def log_graphql_error(error: GraphQLError, operation: str | None = None) -> None:
    """One log line per error of a GraphQL response, without the query's text (a client's own mistakes can
    come by the thousand, and a query may hold what its sender would not see logged): the caller's mistakes
    (a query that does not parse or validate, a bad argument, an entity not found, a permission) at WARNING,
    faults of valuegraph or its store at ERROR with the traceback."""
    original = error.original_error
    code = (error.extensions or {}).get("code")
    if isinstance(original, ValueGraphError):
        status, code = status_of(original)
        internal = status >= 500
    else:
        # masked already (its code says so), or an exception no ValueGraphError caused, or the query is wrong
        internal = code == INTERNAL[1] or (original is not None and not isinstance(original, GraphQLError))
        code = code or (INTERNAL[1] if internal else GRAPHQL_VALIDATION_FAILED)
    extra = {"code": code, "operation": operation, "path": ".".join(map(str, error.path or ())) or None}
    if internal:
        graphql_log.error("GraphQL error: %s", error.message, exc_info=original, extra=extra)
    else:
        graphql_log.warning("GraphQL error: %s", error.message, extra=extra)


class GraphQLErrors(SchemaExtension):
    """Every error of a response through ``format_graphql_error``: a code for each, internal ones masked."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:  # raised through the operation (ParserCache parses on entering its hook)
            format_graphql_error(error)
            raise
        except ValueGraphError as exc:  # raised by another extension's hook (the read-scope check), not a resolver
            error = GraphQLError(str(exc), original_error=exc)
            format_graphql_error(error)
            raise error from exc
        # anything else passes as it is: strawberry answers its own exceptions (a query missing, a mutation
        # sent with GET) with an HTTP status
        context = self.execution_context
        found = [*(context.pre_execution_errors or ()), *(getattr(context.result, "errors", None) or ())]
        for error in {id(e): e for e in found}.values():
            format_graphql_error(error)


__all__ = [
    "ApiError",
    "INTERNAL",
    "STATUS",
    "GraphQLErrors",
    "error_body",
    "format_graphql_error",
    "install_handlers",
    "log_graphql_error",
    "status_of",
]
