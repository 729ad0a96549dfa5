"""Every error valuegraph raises on purpose, in one place.

A ``ValueGraphError`` is meant for whoever made the request: its message is shown as it is, so it says
what is wrong in the graph's own words and names no command-line option or HTTP detail (the CLI and the
API add their own hints and statuses; see cli/main.py and api/errors.py). Any other exception is a fault
of valuegraph itself and is never shown to a caller.

None of these subclasses ``KeyError`` or ``ValueError``: a stray ``KeyError`` or ``ValueError`` from a bug
must not pass for a user's mistake.
"""

from __future__ import annotations

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


class DocumentRejected(ValueGraphError):
    """A document with any invalid part; nothing of it was written."""

    def __init__(self, errors: list[SyncError]):
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"document rejected with {len(errors)} error(s):\n{shown}{more}")


class QueryRejected(ValueGraphError):
    """An analyst's query (SPARQL, Cypher) that is not run: it writes, does not parse, or the database refused it."""


class SparqlError(QueryRejected):
    """A SPARQL query that is refused or does not parse."""


class CypherError(QueryRejected):
    """The database refused a Cypher query (syntax, a write in a read transaction, a timeout)."""


class QueryTimeout(QueryRejected):
    """A query ran past its time limit and was cut."""


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
    "INVALID_SOURCE_NAME",
    "InvalidRequest",
    "InvalidSourceName",
    "NotFound",
    "NotSupported",
    "PermissionDenied",
    "QueryRejected",
    "QueryTimeout",
    "SparqlError",
    "StoreConflict",
    "StoreError",
    "StoreUnavailable",
    "SyncError",
    "UserError",
    "ValueGraphError",
]
