"""Refuse Cypher that writes before it reaches the database.

The query still runs in a READ transaction, so the database refuses any write
this check misses; the check is there to say plainly why a query is refused.
"""

from __future__ import annotations

import re

WRITE_CLAUSES = frozenset({
    "CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "DROP", "FOREACH", "LOAD", "ALTER", "RENAME",
    "GRANT", "DENY", "REVOKE", "START", "STOP", "TERMINATE", "ENABLE", "DEALLOCATE", "REALLOCATE",
})
# string literals, comments and `quoted names` carry no clauses
_NOISE = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL)
_WORD = re.compile(r"(?<![.:$\w])([A-Za-z_]\w*)")


def write_clauses(query: str) -> list[str]:
    """The write clauses a query uses (property keys, labels and parameters are not clauses)."""
    text = _NOISE.sub(" ", query)
    found = [w.upper() for w in _WORD.findall(text) if w.upper() in WRITE_CLAUSES]
    if re.search(r"\bIN\s+TRANSACTIONS\b", text, re.IGNORECASE):
        found.append("CALL … IN TRANSACTIONS")
    return list(dict.fromkeys(found))
