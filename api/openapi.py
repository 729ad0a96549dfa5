"""The OpenAPI document: the error body every REST error shares, each operation's error responses and request
body, and the Bearer scheme. The document and Swagger UI (/openapi.json, /docs) are served like the rest of the
API: with keys configured, to a caller with a key of any scope or a browser session."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from valuegraph.api.deps import get_principal
from valuegraph.api.pages import BUILD
from valuegraph.api.sessions import SESSION_COOKIE
from valuegraph.graph import crosswalk
from valuegraph.graph.references import END_FIELD
from valuegraph.loaders.upload import body_formats
from valuegraph.schema import vocabulary


class ErrorBody(BaseModel):
    """Every REST error: what is wrong, a code a program can test, and the id of the request (its log line)."""

    detail: str = Field(description="What is wrong, in a sentence meant for the caller")
    code: str = Field(description="What kind of error: BAD_REQUEST, INVALID_SOURCE_NAME, FORBIDDEN, NOT_FOUND, …")
    requestId: str = Field(description="The X-Request-ID of the request, named in its log lines")


class DocumentError(BaseModel):
    location: str = Field(description="Where: `body: entities[3].budget`")
    message: str


class RejectedBody(ErrorBody):
    """A document with any invalid part: every error, each where it is; nothing was written."""

    errors: list[DocumentError]


#: what each error status means for this API
MEANING = {
    400: "The request is wrong: a bad or unknown parameter, a body that is not JSON, a query refused (see `code`)",
    401: "No API key, or one that is not known (send `Authorization: Bearer <key>`, or sign in at /signin)",
    403: "The key lacks the scope, or may not sync as this source",
    404: "Nothing there",
    409: "Another process wrote to the store meanwhile: nothing was written, try again",
    413: "The body is larger than VALUEGRAPH_MAX_BODY_BYTES (or is an archive that unpacks to 20 times that)",
    415: "The body is not of a media type this operation reads",
    422: "The document is rejected (`errors` lists each problem) or a parameter is not of its type",
    429: "Too many failures: wait as Retry-After says",
    500: "A fault of valuegraph; the log line of `requestId` has the details",
    501: "The store cannot do this (Cypher on Oxigraph)",
    503: "The store does not answer now; try again later",
}


def errors(*statuses: int, rejected: bool = False) -> dict[int | str, dict]:
    """The ``responses`` of a route for these error statuses (a 422 of a rejected document if ``rejected``)."""
    return {status: {"model": RejectedBody if rejected and status == 422 else ErrorBody,
                     "description": MEANING[status]} for status in statuses}


#: errors any operation that needs a key may answer
COMMON = (401, 500, 503)


def _value_schema() -> dict:
    return {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]}


def exchange_document_schema() -> dict:
    """The exchange format (README) as JSON Schema, from the vocabulary: what the sync endpoint reads."""
    vocab = vocabulary()
    kinds = sorted({*vocab.kinds, *vocab.kind_by_enum})
    external_ids = {"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]},
                    "description": "Its ids in other systems by system name, as in {\"jira\": \"PMO-12\"} "
                                   "(null withdraws this source's: all of them, or one system's)"}
    entity = {"type": "object", "required": ["id", "kind", "name"],
              "properties": {"id": {"type": "string", "minLength": 1}, "kind": {"type": "string", "enum": kinds},
                             "name": {"type": "string", "minLength": 1}, crosswalk.FIELD: external_ids},
              "additionalProperties": _value_schema(),
              "description": "An entity; any other field is a property (null withdraws this source's value)"}
    end = {"anyOf": [{"type": "string", "minLength": 1},
                     {"type": "object", "required": [END_FIELD], "additionalProperties": False,
                      "properties": {END_FIELD: {"type": "object", "minProperties": 1, "maxProperties": 1,
                                                 "additionalProperties": {"type": "string"}}}}],
           "description": "An entity's id, or its id in another system: {\"externalId\": {\"jira\": \"PMO-12\"}}"}
    relation = {"type": "object", "required": ["from", "type", "to"],
                "properties": {"from": end, "type": {"type": "string", "enum": sorted(vocab.relations)}, "to": end},
                "additionalProperties": _value_schema()}
    return {"type": "object", "additionalProperties": False,
            "properties": {"source": {"type": "string", "description": "The source; if given, the path's"},
                           "entities": {"type": "array", "items": entity},
                           "relations": {"type": "array", "items": relation}}}


def sync_body() -> dict:
    """The sync body: an exchange document in JSON, or a file of the format the ``format`` parameter names, of its
    media type or application/octet-stream."""
    files: dict[str, list[str]] = {}
    for name, loader in body_formats().items():
        for media_type in loader.media_types:
            if media_type != "application/json":
                files.setdefault(media_type, []).append(name)
    files["application/octet-stream"] = [name for name in body_formats() if name != "json"]
    content = {"application/json": {"schema": exchange_document_schema()}}
    for media_type, formats in files.items():
        content[media_type] = {"schema": {"type": "string", "format": "binary",
                                          "description": f"A file of format {' or '.join(formats)} (format=NAME)"}}
    return {"requestBody": {"required": True, "content": content,
                            "description": "An exchange document in JSON (see README, Exchange format), or a file: a "
                                           "register (CSV or XLSX, with recipe=NAME), an ArchiMate model, RDF, YAML, "
                                           "or any installed loader's format, named by `format`"}}


_QUERY_TEXT = {"type": "string", "minLength": 1, "description": "A SPARQL 1.1 query (updates are refused)"}
SPARQL_GET = {"parameters": [{"name": "query", "in": "query", "required": True, "schema": _QUERY_TEXT}]}
SPARQL_POST = {"requestBody": {"required": True, "content": {
    "application/sparql-query": {"schema": _QUERY_TEXT},
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["query"],
                                                     "properties": {"query": _QUERY_TEXT}}}}}}
_GRAPHQL_REQUEST = {"type": "object", "required": ["query"], "properties": {
    "query": {"type": "string"}, "operationName": {"type": "string"}, "variables": {"type": "object"}}}
_GRAPHQL = {
    "get": {"summary": "GraphQL query (a query operation only) in the URL",
            "parameters": [{"name": "query", "in": "query", "required": True, "schema": {"type": "string"}},
                           {"name": "operationName", "in": "query", "schema": {"type": "string"}},
                           {"name": "variables", "in": "query", "schema": {"type": "string"},
                            "description": "The variables as JSON text"}]},
    "post": {"summary": "GraphQL query or mutation (see the schema at /graphql or schema/valuegraph.graphql)",
             "requestBody": {"required": True, "content": {"application/json": {"schema": _GRAPHQL_REQUEST}}}},
}
BEARER = "bearerAuth"


def _document(app: FastAPI, keys_configured: bool) -> dict:
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = document.setdefault("components", {})
    schemes = components.setdefault("securitySchemes", {})
    schemes[BEARER] = {"type": "http", "scheme": "bearer",
                       "description": "An API key (`valuegraph keys new`); without keys configured, none is needed "
                                      "(development, loopback only)"}
    schemes["session"] = {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                          "description": "A browser's session after signing in at /signin (writes also need the "
                                         "X-CSRF-Token header)"}
    common = errors(*COMMON)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if path == "/graphql":
                operation.update({k: v for k, v in _GRAPHQL.get(method, {}).items() if k not in operation})
                operation["responses"].setdefault("400", {"description": "No GraphQL query in the request"})
            for status, response in common.items():
                operation["responses"].setdefault(str(status), {
                    "description": response["description"],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
            if keys_configured:
                operation["security"] = [{BEARER: []}, {"session": []}]
    components.setdefault("schemas", {}).setdefault("ErrorBody", ErrorBody.model_json_schema())
    return document


def install_openapi(app: FastAPI, keys_configured: bool) -> None:
    """/openapi.json and /docs (Swagger UI from the bundled files in /static: nothing from a CDN), each asking
    for a key like the API does. Call after every router is included; the app is made with openapi_url=None."""
    cached: dict = {}

    def document() -> dict:
        if not cached:
            cached.update(_document(app, keys_configured))
        return cached

    app.openapi = document  # type: ignore[method-assign]  # what TestClient and tools ask for

    async def openapi_json(request: Request) -> Response:
        get_principal(request)  # 401 without a key when keys are configured
        return JSONResponse(document())

    async def docs(request: Request) -> Response:
        try:
            get_principal(request)
        except HTTPException as exc:
            if exc.status_code == 401 and "text/html" in request.headers.get("accept", ""):
                return RedirectResponse("/signin?next=/docs", status_code=303)  # a browser: sign in first
            raise
        return get_swagger_ui_html(openapi_url="/openapi.json", title="valuegraph API",
                                   swagger_js_url=BUILD.url("swagger-ui-bundle.js"),
                                   swagger_css_url=BUILD.url("swagger-ui.css"), swagger_favicon_url="data:,")

    app.add_api_route("/openapi.json", openapi_json, methods=["GET"], include_in_schema=False)
    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False, response_class=HTMLResponse)


__all__ = ["ErrorBody", "RejectedBody", "errors", "exchange_document_schema", "install_openapi", "sync_body"]
