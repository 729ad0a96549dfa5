"""Store backends, the traversal index and the traceability engine.

Importing this package (as importing any module in it does) loads only the domain objects, the errors and
the store protocol. ``ValueGraph`` and ``open_store`` bring in the traversal index (numpy)
and the backends' drivers, so they are imported on first use of those names: a loader that needs only
``valuegraph.graph.model`` starts without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from valuegraph.graph.errors import (CypherError, DocumentRejected, InvalidRequest, NotFound, NotSupported,
                                     PermissionDenied, QueryRejected, QueryTimeout, SparqlError, StoreConflict,
                                     StoreError, StoreUnavailable, SyncError, ValueGraphError)
from valuegraph.graph.model import (Document, Entity, EntityRecord, Relation, RelationKey, RelationRecord, SyncMode,
                                    SyncReport)
from valuegraph.graph.store import Capability, Direction, Store

if TYPE_CHECKING:
    from valuegraph.graph.backends import open_store
    from valuegraph.graph.service import ValueGraph

# the heavy names, imported on first use for start-up cost (see the docstring); neither module imports
# this package's names back, so there is no cycle to avoid
_LAZY = {"ValueGraph": "valuegraph.graph.service", "open_store": "valuegraph.graph.backends"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [  # the names imported above, and the two imported on first use
    "Capability", "CypherError", "Direction", "Document", "DocumentRejected", "Entity", "EntityRecord",
    "InvalidRequest", "NotFound", "NotSupported", "PermissionDenied", "QueryRejected", "QueryTimeout", "Relation",
    "RelationKey", "RelationRecord", "SparqlError", "Store", "StoreConflict", "StoreError", "StoreUnavailable",
    "SyncError", "SyncMode", "SyncReport", "ValueGraph", "ValueGraphError", "open_store",
]
