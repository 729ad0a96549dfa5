"""Spreadsheet registers (CSV) read through a recipe: ``valuegraph load FILE --recipe NAME|PATH``."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from valuegraph.graph import crosswalk
from valuegraph.graph.model import Document, DocumentRejected, SyncError, join_documents
from valuegraph.loaders.base import Loader, LoaderConfig
from valuegraph.loaders.recipe import ColumnRule, Columns, Recipe, load_recipe, parse_date, parse_number, render, template_columns
from valuegraph.loaders.validate import RawItem, Where, validate
from valuegraph.schema import vocabulary
from valuegraph.schema.text import system_name_fault


class RegisterConfig(LoaderConfig):
    recipe: str = Field(description="a built-in recipe's name or a recipe file")


class _Plan:
    """The recipe resolved against one file's header."""

    def __init__(self, recipe: Recipe, columns: Columns, origin: str) -> None:
        self.recipe = recipe
        self.origin = origin
        self.columns = columns
        self.index: dict[str, int] = {}  # recipe column name -> position
        self.errors: list[SyncError] = []
        self.disabled: set[int] = set()  # entity rules whose `requires` column the file lacks
        vocab = vocabulary()
        where = f"recipe {recipe.name}"
        for n, rule in enumerate(recipe.entities):
            if rule.kind not in vocab.kinds:
                self.errors.append(SyncError(f"{where}: entities[{n}].kind",
                                             f"unknown kind '{rule.kind}'; the kinds are {', '.join(vocab.kinds)}"))
            if rule.requires is not None and not self._resolve(rule.requires, optional=True):
                self.disabled.add(n)
                continue
            for name in template_columns(rule.id) + template_columns(rule.name):
                self._resolve(name, optional=False)
            self._resolve_properties(rule.properties)
            self._resolve_properties(rule.external_id_rules())
            for system in rule.external_ids:
                if fault := system_name_fault(system):
                    self.errors.append(SyncError(f"{where}: entities[{n}].externalIds",
                                                 f"the system name {system!r} {fault}"))
        for n, rule in enumerate(recipe.relations):
            if rule.type not in vocab.relations:
                self.errors.append(SyncError(f"{where}: relations[{n}].type", f"unknown relation type '{rule.type}'"))
            for name in template_columns(rule.from_) + template_columns(rule.to):
                self._resolve(name, optional=False)
            self._resolve_properties(rule.properties)

    def _resolve_properties(self, rules: dict[str, ColumnRule]) -> None:
        for prop in rules.values():
            if prop.column is not None:
                self._resolve(prop.column, optional=prop.optional)

    def _resolve(self, name: str, optional: bool) -> bool:
        if name in self.index:
            return True
        found = self.columns.find(name)
        if isinstance(found, int):
            self.index[name] = found
            return True
        if isinstance(found, list):
            self.errors.append(SyncError(f"{self.origin}:1", f"the recipe's column '{name}' matches several columns: "
                                                           + "; ".join(found)))
        elif not optional:
            short = [h.splitlines()[0].strip() for h in self.columns.header]
            self.errors.append(SyncError(f"{self.origin}:1", f"the recipe's column '{name}' is not in the file; "
                                                           f"its columns are: {'; '.join(short)}"))
        return False


class RegisterLoader(Loader):
    """A spreadsheet register, read through a recipe that maps its columns, a slice of rows at a time."""

    name = "register"
    description = "a spreadsheet register (CSV) read through a recipe (a built-in one by name, or a file)"
    config_class = RegisterConfig  # no suffixes: a register is read only through a recipe, never guessed
    streams = True
    media_types = {"text/csv": ".csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}

    @classmethod
    def body_suffix(cls, head: bytes, media_type: str, file_name: str | None) -> str:
        if media_type not in cls.media_types and head.startswith(b"PK\x03\x04"):
            return ".xlsx"  # a workbook is a ZIP archive; a CSV file never starts like one
        return super().body_suffix(head, media_type, file_name)

    def _measure(self) -> tuple[int | None, int | None]:
        """(work done, all the work) for the progress bar, in bytes or rows; None where unknown."""
        return None, None

    def _measured(self, done: int, total: int | None) -> None:
        self._measure = lambda: (done, total)

    def documents(self) -> Iterator[Document]:
        yield join_documents(list(self.parts()))

    def parts(self, rows_per_part: int = 10_000) -> Iterator[Document]:
        """The register as one document in parts of ``rows_per_part`` rows, read as they are needed."""
        recipe = load_recipe(self.config.recipe)
        path = self.config.path
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            yield from self._read(recipe, _xlsx_rows(path, recipe.sheet, self._measured), str(path), rows_per_part)
            return
        origin = str(path)
        try:
            handle = path.open(newline="", encoding=recipe.encoding)
        except LookupError as exc:
            raise DocumentRejected([SyncError(f"recipe {recipe.name}: encoding", f"unknown encoding '{recipe.encoding}'")]) from exc
        except OSError as exc:
            raise DocumentRejected([SyncError(origin, f"cannot read the file: {exc.strerror or exc}")]) from exc
        size = path.stat().st_size
        self._measure = lambda: (handle.buffer.tell(), size)  # bytes read (buffered ahead a little) of all
        with handle:
            try:
                yield from self._read(recipe, _csv_rows(handle, recipe.delimiter), origin, rows_per_part)
            except UnicodeDecodeError as exc:
                raise DocumentRejected([SyncError(origin, f"the file is not {recipe.encoding} text "
                                                          f"({exc.reason} at byte {exc.start}); set the recipe's encoding")]) from exc
            except csv.Error as exc:
                raise DocumentRejected([SyncError(origin, f"malformed CSV: {exc}")]) from exc

    def _read(self, recipe: Recipe, rows: Iterator[tuple[int, list[str]]], origin: str,
              rows_per_part: int) -> Iterator[Document]:
        _, header = next(rows, (0, None))
        if not header:
            raise DocumentRejected([SyncError(origin, "the file is empty: a header row is needed")])
        plan = _Plan(recipe, Columns(header, origin), origin)
        if plan.errors:
            raise DocumentRejected(plan.errors)
        made: set[str] = set()  # every entity id made so far: a later row naming it again adds nothing
        seen_relations: set[tuple] = set()
        entities: list[RawItem] = []
        relations: list[RawItem] = []
        held: list[RawItem] = []  # relations of `external` rules
        errors: list[SyncError] = []
        count = 0
        for count, (line, row) in enumerate(rows, start=1):
            if self.progress is not None and count % 2000 == 0:
                self.progress(count, *self._measure())
            if not any(cell.strip() for cell in row):
                continue
            self._row(plan, row, f"{origin}:{line}", header, made, entities, relations, held, seen_relations, errors)
            if count % rows_per_part == 0:
                yield validate(None, entities, relations, origin, errors)
                entities, relations, errors = [], [], []
        if self.progress is not None:
            self.progress(count, *self._measure())
        yield validate(None, entities, relations + held, origin, errors)

    def _cell(self, plan: _Plan, row: list[str], name: str) -> tuple[str | None, str]:
        """(value or None when missing, raw text) of a recipe column in a row."""
        position = plan.index.get(name)
        raw = row[position].strip() if position is not None and position < len(row) else ""
        recipe = plan.recipe
        if raw in recipe.missing or any(raw.startswith(p) for p in recipe.missing_prefixes):
            return None, raw
        return raw, raw

    def _value(self, plan: _Plan, rule: ColumnRule, row, where: str, header, errors) -> tuple[object | None, str | None]:
        """(typed value or None, raw text to keep or None)."""
        if rule.column is None:
            return rule.value, None
        if rule.column not in plan.index:
            return None, None  # an optional column the file lacks
        value, raw = self._cell(plan, row, rule.column)
        column = header[plan.index[rule.column]].splitlines()[0].strip()
        if value is None:
            if rule.required:
                errors.append(SyncError(f"{where}, column {column}", "a value is required here"))
            return None, raw or None
        if rule.map is not None:
            mapped = rule.map.get(value)
            if mapped is None:
                folded = {k.lower(): v for k, v in rule.map.items()}
                mapped = folded.get(value.lower())
            return (mapped, None) if mapped is not None else (None, raw)
        try:
            if rule.type == "number":
                number = parse_number(value, rule.decimal) * rule.scale
                return (int(number) if float(number).is_integer() else number), None
            if rule.type == "date":
                return parse_date(value, rule.date_format), None
            if rule.type == "boolean":
                return value.lower() in ("true", "yes", "y", "1"), None
        except ValueError:
            errors.append(SyncError(f"{where}, column {column}", f"'{value[:60]}' is not a {rule.type}"))
            return None, None
        return value, None

    def _properties(self, plan: _Plan, rules: dict[str, ColumnRule], row, where: str, header, errors) -> dict:
        """The properties the rules give for a row; a raw text kept where a rule says ``raw_as``."""
        properties = {}
        for prop, column_rule in rules.items():
            value, raw = self._value(plan, column_rule, row, where, header, errors)
            if value is not None:
                properties[prop] = value
            elif raw and column_rule.raw_as:
                properties[column_rule.raw_as] = raw
        return properties

    def _row(self, plan, row, where, header, made, entities, relations, held, seen_relations, errors) -> None:
        in_row: set[str] = set()
        values = {name: self._cell(plan, row, name)[0] for name in plan.index}
        for n, rule in enumerate(plan.recipe.entities):
            if n in plan.disabled or (rule.requires is not None and values.get(rule.requires) is None):
                continue
            entity_id, name = render(rule.id, values), render(rule.name, values)
            if entity_id is None or name is None:
                errors.append(SyncError(where, f"the row gives no {'id' if entity_id is None else 'name'} "
                                               f"for its {rule.kind} ({rule.id if entity_id is None else rule.name})"))
                continue
            in_row.add(entity_id)
            if entity_id in made:
                continue  # e.g. a department named on many rows: the first row makes it
            made.add(entity_id)
            data = {"id": entity_id, "kind": rule.kind, "name": name,
                    **self._properties(plan, rule.properties, row, where, header, errors)}
            if rule.external_ids:  # checked as any document's (loaders/validate.py)
                found = self._properties(plan, rule.external_id_rules(), row, where, header, errors)
                if found:
                    data[crosswalk.FIELD] = {system: str(value) for system, value in found.items()}
            entities.append(RawItem(data, Where(where, csv=True)))
        for rule in plan.recipe.relations:
            froms, tos = render(rule.from_, values), render(rule.to, values)
            if froms is None or tos is None:
                continue
            for a in _split(froms, rule.split):
                for b in _split(tos, rule.split):
                    if not rule.external and (a not in in_row or b not in in_row):
                        continue
                    key = (a, rule.type, b)
                    if key in seen_relations:
                        continue
                    seen_relations.add(key)
                    data = {"from": a, "type": rule.type, "to": b,
                            **self._properties(plan, rule.properties, row, where, header, errors)}
                    # a relation to any entity may point at a later row: held back to the last part
                    (held if rule.external else relations).append(RawItem(data, Where(where, csv=True)))


def _csv_rows(handle, delimiter: str | None) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, cells) of a CSV file; rows may span lines."""
    if delimiter is None:
        sample = handle.read(65536)
        handle.seek(0)
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(handle, delimiter=delimiter, strict=True)
    line = 0
    for row in reader:
        yield line + 1, row
        line = reader.line_num


def _xlsx_rows(path: Path, sheet: str | None, measured) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of a worksheet, read in streaming mode."""
    # openpyxl is imported on first use, for start-up cost: most loads never read a workbook
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except _UNREADABLE as exc:
        raise DocumentRejected([SyncError(str(path), f"not a readable XLSX workbook: {exc}")]) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise DocumentRejected([SyncError(str(path), f"no sheet '{sheet}'; the sheets are {', '.join(book.sheetnames)}")])
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        total = worksheet.max_row  # from the sheet's declared dimensions; None when it declares none
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            measured(number, total)
            yield number, [_cell_text(v, dt) for v in values]
    except _UNREADABLE as exc:  # a sheet is read as its rows are: a damaged one fails on the way
        raise DocumentRejected([SyncError(str(path), f"not a readable XLSX workbook: {exc}")]) from exc
    finally:
        book.close()


#: what openpyxl raises for a file that is not a workbook or a damaged one (its XML parts malformed: a
#: SyntaxError, from ElementTree or lxml)
_UNREADABLE = (zipfile.BadZipFile, OSError, KeyError, ValueError, SyntaxError, IndexError)


def _cell_text(value, dt) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _split(text: str, separator: str | None) -> list[str]:
    if separator is None:
        return [text]
    return [part.strip() for part in text.split(separator) if part.strip()]
