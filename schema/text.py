"""Which text valuegraph keeps: the one rule for ids, names and source names, and for text values.

Labels (entity ids, names, property names and source names) hold no control character (Unicode category Cc,
tab and newline included), no surrogate and neither of the noncharacters U+FFFE and U+FFFF: they are shown on
one line and written into XML (the ArchiMate export), CSV, N-Quads and HTTP paths. Text values (a description)
may hold tab, newline and carriage return, and nothing else that XML 1.0 forbids. A source name is a label
that is not blank and at most ``MAX_SOURCE_NAME`` characters long.
"""

from __future__ import annotations

import re

#: the longest source name (it names a graph in RDF backups and appears in every answer's sources)
MAX_SOURCE_NAME = 200

_LABEL_FAULT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_VALUE_FAULT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _fault(pattern: re.Pattern, text: str) -> str | None:
    found = pattern.search(text)
    if found is None:
        return None
    char = found.group()
    kind = "a surrogate" if "\ud800" <= char <= "\udfff" else "a noncharacter" if char in "\ufffe\uffff" \
        else "the control character"
    return f"contains {kind} U+{ord(char):04X} at position {found.start() + 1}"


def label_fault(text: str) -> str | None:
    """Why ``text`` cannot be an id, a name or a source name (None when it can)."""
    return _fault(_LABEL_FAULT, text)


def value_fault(text: str) -> str | None:
    """Why ``text`` cannot be a text value (None when it can)."""
    return _fault(_VALUE_FAULT, text)


def source_name_fault(name: object) -> str | None:
    """Why ``name`` cannot name a source (None when it can)."""
    if not isinstance(name, str):
        return "must be a string"
    if not name.strip():
        return "must not be blank"
    if len(name) > MAX_SOURCE_NAME:
        return f"must be at most {MAX_SOURCE_NAME} characters long, not {len(name)}"
    return label_fault(name)


__all__ = ["MAX_SOURCE_NAME", "label_fault", "source_name_fault", "value_fault"]
