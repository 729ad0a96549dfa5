"""The store backends by URL scheme: the one module that knows every backend.

``store.py`` defines the protocol and imports no backend; each backend imports ``store.py``; this module
imports the backends. So the imports point one way, with no backend imported inside a function.
"""

from __future__ import annotations

from valuegraph.graph.errors import StoreError
from valuegraph.graph.neo4j import Neo4jStore
from valuegraph.graph.oxigraph import OxigraphStore
from valuegraph.graph.precedence import NO_PRECEDENCE, Precedence
from valuegraph.graph.store import Store

NEO4J_SCHEMES = frozenset({"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"})


def open_store(url: str, *, user: str | None = None, password: str | None = None,
               precedence: Precedence | None = None, index_cache: str | None = None,
               read_only: bool = False) -> Store:
    """A store from its URL: ``memory:``, ``oxigraph:PATH``, ``neo4j://HOST[:PORT]`` or ``bolt://…``
    (user and password from the URL, else from the arguments), resolving properties by ``precedence``
    (None: none for a store that resolves as it reads; for Neo4j, the rules its nodes were resolved by).
    ``index_cache``: where traversal indexes are kept (``index_cache_folder``). ``read_only``: an embedded
    store opened as a reader beside another process that writes to it (a server's other workers)."""
    scheme, _, rest = url.partition(":")
    if scheme == "memory":
        return OxigraphStore(None, precedence=precedence or NO_PRECEDENCE)
    if scheme == "oxigraph":
        if not rest:
            raise StoreError("oxigraph: needs a folder, as in oxigraph:./valuegraph-data")
        return OxigraphStore(rest, precedence=precedence or NO_PRECEDENCE, index_cache=index_cache,
                             read_only=read_only)
    if scheme in NEO4J_SCHEMES:
        return Neo4jStore(url, user, password, precedence=precedence, index_cache=index_cache)
    raise StoreError(f"unknown store URL {url!r}: use memory:, oxigraph:PATH, neo4j://HOST or bolt://HOST")
