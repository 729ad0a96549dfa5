"""Store backends, the traversal index and the traceability engine."""

from valuegraph.graph.model import (
    Document,
    DocumentRejected,
    Entity,
    EntityRecord,
    NotFound,
    Relation,
    RelationKey,
    RelationRecord,
    SyncError,
    SyncMode,
    SyncReport,
)
from valuegraph.graph.service import ValueGraph
from valuegraph.graph.store import Capability, Direction, Store, StoreConflict, StoreError, StoreUnavailable, open_store

__all__ = [
    "Capability",
    "Direction",
    "Document",
    "DocumentRejected",
    "Entity",
    "EntityRecord",
    "NotFound",
    "Relation",
    "RelationKey",
    "RelationRecord",
    "Store",
    "StoreConflict",
    "StoreError",
    "StoreUnavailable",
    "SyncError",
    "SyncMode",
    "SyncReport",
    "ValueGraph",
    "open_store",
]
