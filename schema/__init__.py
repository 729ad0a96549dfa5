"""The valuegraph vocabulary: kinds, properties and relation types, defined once."""

from schema.registry import (
    VG,
    KindSpec,
    PropertySpec,
    RelationSpec,
    ValueType,
    Vocabulary,
    vocabulary,
)

__all__ = ["VG", "KindSpec", "PropertySpec", "RelationSpec", "ValueType", "Vocabulary", "vocabulary"]
