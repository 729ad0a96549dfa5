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


#: how a cell that a spreadsheet would run as a formula begins (OWASP, "CSV Injection"); a quote begins a
#: cell escaped so, and is escaped itself so that reading the cell back is exact
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_cell(text: str) -> str:
    """Text as a CSV cell no spreadsheet runs: a formula-leading cell gets a single quote in front."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def from_csv_cell(text: str) -> str:
    """A CSV cell's text, without the quote ``csv_cell`` put in front (other cells are read as they are)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


#: the longest name of an external system (``jira``) and the longest id an entity has in one
MAX_SYSTEM_NAME = 64
MAX_EXTERNAL_ID = 500
#: a system name: letters, digits, '_', '-' and '.', beginning with a letter or digit. It is part of a
#: property's name in every store (``externalIds.jira``) and of ``system:id`` on the command line, so it
#: holds no ':' and nothing a Neo4j property name or an IRI would have to escape
_SYSTEM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


def system_name_fault(name: object) -> str | None:
    """Why ``name`` cannot name an external system (None when it can)."""
    if not isinstance(name, str):
        return "must be a string"
    if not name:
        return "must not be empty"
    if len(name) > MAX_SYSTEM_NAME:
        return f"must be at most {MAX_SYSTEM_NAME} characters long, not {len(name)}"
    if not _SYSTEM_NAME.fullmatch(name):
        return "may hold only letters, digits, '_', '-' and '.', and must begin with a letter or digit"
    return None


def external_id_fault(value: object) -> str | None:
    """Why ``value`` cannot be an entity's id in an external system (None when it can)."""
    if isinstance(value, bool) or not isinstance(value, str):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        hint = f' (write it as text: "{value}")' if number else ""
        return f"must be text, not {type(value).__name__}{hint}"
    if not value.strip():
        return "must not be blank"
    if value != value.strip():
        return "must not begin or end with white space"
    if len(value) > MAX_EXTERNAL_ID:
        return f"must be at most {MAX_EXTERNAL_ID} characters long, not {len(value)}"
    return label_fault(value)


__all__ = ["MAX_EXTERNAL_ID", "MAX_SOURCE_NAME", "MAX_SYSTEM_NAME", "csv_cell", "external_id_fault", "from_csv_cell",
           "label_fault", "source_name_fault", "system_name_fault", "value_fault"]
