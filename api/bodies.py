"""Request bodies: read with a limit on their size (a declared length over it is refused before reading,
and a body sent without one as soon as it passes the limit), of a media type the endpoint reads, and
parsed off the event loop."""

from __future__ import annotations

from email.message import EmailMessage

import orjson
from starlette.requests import Request

from valuegraph.api.errors import ApiError
from valuegraph.graph import Document
from valuegraph.graph.errors import InvalidRequest
from valuegraph.loaders.validate import validate_mapping

#: media types of a sync body -> the format it is read as. Only types a browser cannot send across sites
#: without asking first (CORS preflight): text/plain, forms and a body without a type would let any page
#: write to a server that has no keys
SYNC_MEDIA_TYPES = {"application/json": "json"}
#: the media type of a file sent as it is: the ``format`` parameter says what it is
OCTET_STREAM = "application/octet-stream"


class BodyTooLarge(ValueError):
    """The body is larger than the limit (each endpoint says so in its own words)."""


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return bytes(body)


def media_type(request: Request) -> str:
    """The media type of the request's body (its Content-Type without parameters such as charset), or ''."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def file_name(request: Request) -> str | None:
    """The file name a request gives its body (``Content-Disposition: attachment; filename="plan.xer"``), if
    any: only its ending is ever used, to tell a loader how to read the body."""
    given = request.headers.get("content-disposition")
    if not given:
        return None
    message = EmailMessage()
    try:
        message["content-disposition"] = given
        return message.get_filename()
    except ValueError:  # a character the header parser takes for a line break (U+0085): no usable name
        return None


def file_media_type(request: Request, format: str, accepted: list[str]) -> str:
    """The media type of a file body of ``format``, which reads ``accepted`` types and application/octet-stream;
    415 UNSUPPORTED_MEDIA_TYPE naming them otherwise."""
    given = media_type(request)
    if given == OCTET_STREAM or given in accepted:
        return given
    types = " or ".join([*accepted, OCTET_STREAM])
    what = f"a body of type {request.headers.get('content-type')!r}" if given else "a body without a Content-Type"
    raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", f"format={format} reads a body of type {types}; this is {what}")


def body_format(request: Request, accepted: dict[str, str], hint: str = "") -> str:
    """The format of the request's body, from its Content-Type (parameters such as charset aside);
    415 UNSUPPORTED_MEDIA_TYPE for a type not in ``accepted`` or none."""
    given = request.headers.get("content-type", "")
    found = media_type(request)
    if found not in accepted:
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                       (f"a body of type {given!r} is not accepted here; send Content-Type: "
                        f"{' or '.join(accepted)}" if given else
                        f"the body has no Content-Type; send Content-Type: {' or '.join(accepted)}") + hint)
    return accepted[found]


def json_document(raw: bytes, origin: str, max_errors: int) -> Document:
    """An exchange document from a JSON body, validated, with at most ``max_errors`` errors listed (all
    counted). Seconds of CPU for a large body: call it on a worker thread."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"the body is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    return validate_mapping(data, origin, max_errors)
