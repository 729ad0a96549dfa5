"""The exchange format as a folder of CSV files: ``<Kind>.csv`` and ``relations.csv``."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from valuegraph.graph.model import Document, DocumentRejected, SyncError
from valuegraph.loaders.base import Loader
from valuegraph.loaders.validate import RawItem, Where, validate
from valuegraph.schema import vocabulary
from valuegraph.schema.text import from_csv_cell

RELATIONS_FILE = "relations.csv"


def _rows(path: Path, origin: str, required: tuple[str, ...], errors: list[SyncError]) -> list[tuple[int, dict]]:
    """Rows with their line numbers; malformed files and missing columns become errors."""
    rows: list[tuple[int, dict]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, strict=True)
            # cells escaped against spreadsheet formulas (as the CSV export writes them) are read back exactly
            header = reader.fieldnames = [from_csv_cell(c) for c in reader.fieldnames or []]
            missing = [c for c in required if c not in header]
            if missing:
                errors.append(SyncError(f"{origin}:1", f"the header lacks the column(s) {', '.join(missing)}; it has {', '.join(header) or 'nothing'}"))
                return []
            if len(set(header)) != len(header):
                errors.append(SyncError(f"{origin}:1", "the header names a column twice"))
                return []
            line = reader.line_num
            for row in reader:
                if None in row:
                    errors.append(SyncError(f"{origin}:{line + 1}", f"the row has more cells than the header's {len(header)} columns"))
                rows.append((line + 1, {k: from_csv_cell(v) if v else v for k, v in row.items() if k is not None}))
                line = reader.line_num
    except csv.Error as exc:
        errors.append(SyncError(f"{origin}:{reader.line_num}", f"malformed CSV: {exc}"))
    except UnicodeDecodeError as exc:
        errors.append(SyncError(origin, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})"))
    except OSError as exc:
        errors.append(SyncError(origin, f"cannot read the file: {exc.strerror or exc}"))
    return rows


class CsvFolderLoader(Loader):
    """One exchange document from a folder: a CSV file per kind and one of relations."""

    name = "csv"
    description = "exchange document as a folder of <Kind>.csv files and relations.csv"
    reads_bodies = False  # a folder: a request body carries one file

    @classmethod
    def accepts(cls, path: Path) -> bool:
        return path.is_dir() and any(path.glob("*.csv"))

    def documents(self) -> Iterator[Document]:
        folder = self.config.path
        kinds = vocabulary().kinds
        errors: list[SyncError] = []
        entities: list[RawItem] = []
        relations: list[RawItem] = []
        files = sorted(folder.glob("*.csv"))
        if not files:
            raise DocumentRejected([SyncError(str(folder), "the folder holds no .csv files")])
        for path in files:
            origin = str(path)
            if path.name == RELATIONS_FILE:
                for line, row in _rows(path, origin, ("from", "type", "to"), errors):
                    relations.append(RawItem(row, Where(f"{origin}:{line}", csv=True), from_text=True))
                continue
            kind = path.stem
            if kind not in kinds:
                errors.append(SyncError(origin, f"'{path.name}' names no kind; files are <Kind>.csv for {', '.join(kinds)}, and {RELATIONS_FILE}"))
                continue
            for line, row in _rows(path, origin, ("id", "name"), errors):
                given = row.pop("kind", "") or kind
                if given != kind:
                    errors.append(SyncError(f"{origin}:{line}, column kind", f"the row says kind '{given}' in {path.name}"))
                    continue
                entities.append(RawItem({"kind": kind, **row}, Where(f"{origin}:{line}", csv=True), from_text=True))
        yield validate(None, entities, relations, str(folder), errors)
