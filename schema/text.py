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


__all__ = ["MAX_SOURCE_NAME", "csv_cell", "from_csv_cell", "label_fault", "source_name_fault", "value_fault"]
