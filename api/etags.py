"""Entity tags of answers: a client that sends back the tag of an answer it holds (``If-None-Match``) gets
304 Not Modified, with no body, while the graph is at the revision that answer was read at.

A tag is a digest of everything an answer depends on: the graph's revision the request answered at, what
was asked (the query, its variables and operation; a REST route's path and parameters), who asked (the
key's name, scopes and sources: two callers never share a tag, so one caller's tag tells another nothing)
and this server's settings that shape answers (source precedence, currency, limits). Only answers
without errors, to callers that may read, are tagged; a caller that may not read gets no tag and never
a 304.
"""

from __future__ import annotations

import hashlib

import orjson

from valuegraph.api.auth import Principal, Scope

#: every tagged answer is revalidated before it is reused (it may change with the next revision), and a
#: shared cache keys it by the caller's credentials
CACHE_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}


def settings_salt(*parts: object) -> bytes:
    """What of the server's configuration shapes its answers, as bytes a tag is made with."""
    return orjson.dumps([str(p) for p in parts])


def entity_tag(salt: bytes, revision: int, principal: Principal, *asked: object) -> str:
    """The weak entity tag of an answer at ``revision`` to ``asked`` by ``principal``."""
    who = [principal.name, sorted(s.value for s in principal.scopes),
           None if principal.sources is None else sorted(principal.sources)]
    payload = orjson.dumps([revision, who, list(asked)], option=orjson.OPT_SORT_KEYS, default=str)
    return 'W/"' + hashlib.sha256(salt + b"\x00" + payload).hexdigest()[:32] + '"'


def may_tag(principal: Principal) -> bool:
    """Only answers to callers that may read are tagged (and only they may get a 304)."""
    return principal.has(Scope.READ)


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names ``tag`` (weak comparison, as RFC 9110 has it for GET)."""
    if not if_none_match:
        return False
    wanted = tag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == wanted for candidate in if_none_match.split(","))
