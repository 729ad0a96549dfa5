"""Persisted queries, as Apollo's automatic persisted queries protocol has them: a client sends the SHA-256
of a query's text instead of the text (``extensions.persistedQuery``); a server that does not know it says
PERSISTED_QUERY_NOT_FOUND, and the client sends the text with the hash once, which registers it.

Each caller (API key) has texts of its own: whether a hash is known tells a caller only what it registered
itself, never what another asked. The texts are kept in memory, at most ``capacity`` of them in all, each
at most ``max_bytes`` long (the least recently used go first), so however many hashes clients send, the
memory they take is bounded. A text longer than that is answered but not kept: its client keeps sending
it whole.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict

VERSION = 1
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"
_HASH = re.compile(r"[0-9a-f]{64}")


class PersistedQueryNotFound(Exception):
    """The hash is not one this server keeps: the client is to send the text with it."""


class PersistedQueryRefused(ValueError):
    """A persisted-query extension this server does not accept (another version, a malformed hash, a text
    whose SHA-256 is not the hash sent with it)."""


class PersistedQueries:
    def __init__(self, capacity: int, max_bytes: int) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._texts: OrderedDict[tuple[str, str], str] = OrderedDict()  # by (caller, hash)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._texts)

    def resolve(self, query: str | None, extensions: dict | None, caller: str) -> str | None:
        """The query text to run: ``query`` itself when no persisted query is named (registered for
        ``caller`` when one is), the text ``caller`` registered under the named hash otherwise.
        PersistedQueryNotFound, PersistedQueryRefused."""
        named = (extensions or {}).get("persistedQuery")
        if named is None:
            return query
        if not isinstance(named, dict):
            raise PersistedQueryRefused("extensions.persistedQuery must be an object: {version, sha256Hash}")
        if named.get("version") != VERSION:
            raise PersistedQueryRefused(f"unsupported persisted query version {named.get('version')!r}: "
                                        f"this server supports version {VERSION}")
        digest = named.get("sha256Hash")
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            raise PersistedQueryRefused("extensions.persistedQuery.sha256Hash must be 64 lower-case hex digits")
        if query is None:
            with self._lock:
                text = self._texts.get((caller, digest))
                if text is None:
                    raise PersistedQueryNotFound(digest)
                self._texts.move_to_end((caller, digest))
            return text
        encoded = query.encode()
        if hashlib.sha256(encoded).hexdigest() != digest:
            raise PersistedQueryRefused("provided sha does not match query")
        if len(encoded) <= self.max_bytes and self.capacity > 0:
            with self._lock:
                self._texts[(caller, digest)] = query
                self._texts.move_to_end((caller, digest))
                while len(self._texts) > self.capacity:
                    self._texts.popitem(last=False)
        return query
