"""Every error valuegraph raises on purpose, in one place.

A ``ValueGraphError`` is meant for whoever made the request: its message is shown as it is, so it says
what is wrong in the graph's own words and names no command-line option or HTTP detail (the CLI and the
API add their own hints and statuses; see cli/main.py and api/errors.py). Any other exception is a fault
of valuegraph itself and is never shown to a caller.

None of these subclasses ``KeyError`` or ``ValueError``: a stray ``KeyError`` or ``ValueError`` from a bug
must not pass for a user's mistake.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


class ValueGraphError(Exception):
    """An error whose message is meant for the caller."""


@dataclass(frozen=True, slots=True)
class SyncError:
    """One problem in a document, where it is."""

    location: str
    message: str
    #: what kind of problem, for callers that add their own advice (the CLI names its options); not shown
    code: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


#: codes of SyncError a caller may add advice to
NO_SOURCE = "no-source"
UNKNOWN_FORMAT = "unknown-format"
NO_LOADER = "no-loader"
UNKNOWN_RECIPE = "unknown-recipe"
INVALID_SOURCE_NAME = "invalid-source-name"


class InvalidRequest(ValueGraphError):
    """A request the caller can fix: a bad argument, cursor or limit."""


#: the name the API layer has used for InvalidRequest
UserError = InvalidRequest


class InvalidSourceName(InvalidRequest):
    """A source name that breaks the rule of schema/text.py (blank, too long, a control character)."""


class PermissionDenied(ValueGraphError):
    """The caller's credentials do not allow this."""


class NotFound(ValueGraphError):
    """No entity with this id."""

    def __init__(self, entity_id: str):
        self.entity_id = entity_id
        super().__init__(entity_id)

    def __str__(self) -> str:
        return f"no entity with id {self.entity_id!r}"


class ErrorList(list):
    """Errors kept up to ``cap`` (None: all of them), every one counted in ``total``. A document of a million
    bad items is rejected with its first errors and their count, without a million error objects in memory
    or in the answer."""

    cap: int | None = None  # (class defaults too: unpickling appends before it restores the attributes)
    total: int = 0

    def __init__(self, errors: Iterable[SyncError] = (), cap: int | None = None) -> None:
        super().__init__()
        self.cap = cap
        self.total = 0
        self.extend(errors)

    def append(self, error: SyncError) -> None:
        self.total += 1
        if self.cap is None or len(self) < self.cap:
            super().append(error)

    def extend(self, errors: Iterable[SyncError]) -> None:
        unlisted = error_count(errors) - len(errors) if isinstance(errors, list) else 0
        for error in errors:
            self.append(error)
        self.total += unlisted

    def __iadd__(self, errors: Iterable[SyncError]) -> ErrorList:
        self.extend(errors)
        return self

    def copy(self) -> ErrorList:
        return ErrorList(self, self.cap)


def error_count(errors: list[SyncError]) -> int:
    """How many errors there were: an ErrorList's total (it may list fewer), a plain list's length."""
    return errors.total if isinstance(errors, ErrorList) else len(errors)


class DocumentRejected(ValueGraphError):
    """A document with any invalid part; nothing of it was written. ``errors`` may list fewer than ``total``
    (an ErrorList with a cap)."""

    def __init__(self, errors: list[SyncError]):
        self.errors = errors
        self.total = error_count(errors)
        shown = "\n".join(f"  {e}" for e in errors[:20])
        more = f"\n  … and {self.total - 20} more" if self.total > 20 else ""
        super().__init__(f"document rejected with {self.total} error(s):\n{shown}{more}")

    def __reduce__(self):  # crosses processes (graph/writer.py) with its errors, not only its message
        return DocumentRejected, (self.errors,)


class QueryRejected(ValueGraphError):
    """An analyst's query (SPARQL, Cypher) that is not run: it writes, does not parse, or the database refused it."""


class SparqlError(QueryRejected):
    """A SPARQL query that is refused or does not parse."""


class CypherError(QueryRejected):
    """The database refused a Cypher query (syntax, a write in a read transaction, a timeout)."""


class QueryTimeout(QueryRejected):
    """A query ran past its time limit and was cut."""


class QueryTooComplex(QueryRejected):
    """A query larger than the server's limits (depth, fields, aliases once its fragments are expanded): it is
    refused before anything else is done with it."""


class NotSupported(ValueGraphError, NotImplementedError):
    """This store cannot do what was asked (Cypher on Oxigraph, say). Also a ``NotImplementedError``, which
    is what a backend raised before."""


class StoreError(ValueGraphError):
    """The store could not be opened or refused an operation."""


class StoreUnavailable(StoreError):
    """The store does not answer now (a server that is down or unreachable); try again later."""


class StoreConflict(StoreError):
    """The store holds what this process did not expect (another process wrote to it); nothing was written."""


__all__ = [
    "NO_LOADER",
    "NO_SOURCE",
    "UNKNOWN_FORMAT",
    "UNKNOWN_RECIPE",
    "CypherError",
    "DocumentRejected",
    "ErrorList",
    "INVALID_SOURCE_NAME",
    "error_count",
    "InvalidRequest",
    "InvalidSourceName",
    "NotFound",
    "NotSupported",
    "PermissionDenied",
    "QueryRejected",
    "QueryTimeout",
    "QueryTooComplex",
    "SparqlError",
    "StoreConflict",
    "StoreError",
    "StoreUnavailable",
    "SyncError",
    "UserError",
    "ValueGraphError",
]
