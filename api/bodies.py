"""Request bodies: read with a limit on their size (a declared length over it is refused before reading,
and a body sent without one as soon as it passes the limit), of a media type the endpoint reads, and
parsed off the event loop."""

from __future__ import annotations

import orjson
from starlette.requests import Request

from valuegraph.api.errors import ApiError
from valuegraph.graph import Document
from valuegraph.graph.errors import InvalidRequest
from valuegraph.loaders import validate_mapping

#: media types of a sync body -> the format it is read as. Only types a browser cannot send across sites
#: without asking first (CORS preflight): text/plain, forms and a body without a type would let any page
#: write to a server that has no keys
SYNC_MEDIA_TYPES = {"application/json": "json"}


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


def body_format(request: Request, accepted: dict[str, str]) -> str:
    """The format of the request's body, from its Content-Type (parameters such as charset aside);
    415 UNSUPPORTED_MEDIA_TYPE for a type not in ``accepted`` or none."""
    given = request.headers.get("content-type", "")
    media_type = given.split(";")[0].strip().lower()
    if media_type not in accepted:
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                       f"a body of type {given!r} is not accepted here; send Content-Type: "
                       f"{' or '.join(accepted)}" if given else
                       f"the body has no Content-Type; send Content-Type: {' or '.join(accepted)}")
    return accepted[media_type]


def json_document(raw: bytes, origin: str, max_errors: int) -> Document:
    """An exchange document from a JSON body, validated, with at most ``max_errors`` errors listed (all
    counted). Seconds of CPU for a large body: call it on a worker thread."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"the body is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    return validate_mapping(data, origin, max_errors)
