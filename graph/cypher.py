"""Read-only Cypher on a Neo4j store, within a row cap and a time limit."""

from __future__ import annotations

from valuegraph.graph.cypher_guard import write_clauses


def query(store, text: str, parameters: dict, timeout: float, max_rows: int) -> dict:
    """Rows of a reading query as ``{"columns", "rows", "truncated"}``; ValueError for a query that writes or
    that the database refuses (NotImplementedError from a store without Cypher)."""
    # the Neo4j driver is imported only where Cypher runs: importing it costs every command half a second
    from valuegraph.graph.neo4j import CypherError

    refused = write_clauses(text)
    if refused:
        raise ValueError(f"only reading queries are allowed; this one uses {', '.join(refused)}")
    try:
        columns, rows, truncated = store.cypher(text, parameters, timeout=timeout, max_rows=max_rows)
    except CypherError as exc:
        raise ValueError(str(exc)) from exc
    return {"columns": columns, "rows": rows, "truncated": truncated}
