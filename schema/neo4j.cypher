// Constraints and indexes valuegraph creates when it opens a Neo4j database (idempotent).
// Every entity is (:Entity:<Kind> {id, kind, name, ...}); ids are unique across kinds.
CREATE CONSTRAINT valuegraph_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT valuegraph_source_name IF NOT EXISTS FOR (s:ValuegraphSource) REQUIRE s.name IS UNIQUE;
CREATE CONSTRAINT valuegraph_meta_id IF NOT EXISTS FOR (m:ValuegraphMeta) REQUIRE m.id IS UNIQUE;
CREATE TEXT INDEX valuegraph_entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name);
CREATE INDEX valuegraph_entity_kind IF NOT EXISTS FOR (n:Entity) ON (n.kind);
// History: one (:ValuegraphRevision) per revision, one (:ValuegraphChange) per entity a revision changed.
CREATE CONSTRAINT valuegraph_revision_number IF NOT EXISTS FOR (r:ValuegraphRevision) REQUIRE r.number IS UNIQUE;
CREATE INDEX valuegraph_change_entity IF NOT EXISTS FOR (c:ValuegraphChange) ON (c.entity, c.revision);
