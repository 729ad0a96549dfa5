"""Read-only Cypher on a Neo4j store, within a row cap and a time limit."""

from __future__ import annotations

from valuegraph.graph.cypher_guard import write_clauses
from valuegraph.graph.errors import CypherError


def query(store, text: str, parameters: dict, timeout: float, max_rows: int) -> dict:
    """Rows of a reading query as ``{"columns", "rows", "truncated"}``; CypherError for a query that writes or
    that the database refuses (NotSupported from a store without Cypher)."""
    refused = write_clauses(text)
    if refused:
        raise CypherError(f"only reading queries are allowed; this one uses {', '.join(refused)}")
    columns, rows, truncated = store.cypher(text, parameters, timeout=timeout, max_rows=max_rows)
    return {"columns": columns, "rows": rows, "truncated": truncated}
