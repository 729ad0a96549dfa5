"""The valuegraph vocabulary: kinds, properties and relation types, defined once."""

from valuegraph.schema.registry import (
    VG,
    KindSpec,
    PropertySpec,
    RelationSpec,
    ValueType,
    Vocabulary,
    neo4j_statements,
    vocabulary,
)

__all__ = ["VG", "KindSpec", "PropertySpec", "RelationSpec", "ValueType", "Vocabulary", "neo4j_statements", "vocabulary"]
