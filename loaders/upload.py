"""Files sent as a request body (``POST /api/v1/sync/{source}?format=NAME``): read by the named format's loader
from a temporary file, removed afterwards, and written as ``valuegraph load`` writes one file: all of it or
nothing, a register a slice of rows at a time.

Errors and warnings name the body ``body`` (as in ``body:12, column Department``), never the temporary file.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from valuegraph.graph.errors import DocumentRejected, ErrorList, InvalidRequest, SyncError
from valuegraph.graph.model import SyncMode, SyncReport, join_documents
from valuegraph.graph.service import ValueGraph, resolve_source
from valuegraph.loaders.base import Loader, registry
from valuegraph.loaders.recipe import recipe_file
from valuegraph.loaders.register import RegisterLoader

#: how errors name a request's body
BODY = "body"
#: the fields of a loader's config that take a recipe (a register's) or a mapping override (an ArchiMate
#: model's), in the order they are looked for
RECIPE_FIELDS = ("recipe", "mapping")


#: a body that is a ZIP archive (an XLSX workbook is one) may unpack to at most this many times the largest
#: body accepted: a workbook compresses its sheets some ten times, a crafted archive a thousand times
UNPACKED_RATIO = 20


def unpacked_size(raw: bytes) -> int | None:
    """What a body that is a ZIP archive unpacks to, as its directory declares it (reading a member never
    gives more than it declares); None for another body, or an archive whose directory cannot be read (its
    loader says what is wrong with it)."""
    if not raw.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def body_formats() -> dict[str, type[Loader]]:
    """Every format a request body may be in, by name: the installed loaders whose input is one file, and
    registers (read through a recipe)."""
    formats = {name: cls for name, cls in registry().items() if cls.reads_bodies}
    formats.setdefault(RegisterLoader.name, RegisterLoader)
    return formats


@dataclass(frozen=True, slots=True)
class BodyFormat:
    """The loader a request names, and the recipe file it reads through (None: its own mapping)."""

    name: str
    loader: type[Loader]
    recipe: Path | None


def body_format(name: str, recipe: str | None, recipe_folder: Path | None) -> BodyFormat:
    """The format called ``name`` with the recipe called ``recipe`` (found in ``recipe_folder`` or among the
    built-in recipes: never a path); InvalidRequest naming what is wrong."""
    formats = body_formats()
    loader = formats.get(name)
    if loader is None:
        everything = registry()
        if name in everything:  # installed, but its input is a folder
            raise InvalidRequest(f"the format '{name}' reads a folder ({everything[name].description}), which a "
                                 f"request body cannot carry; the formats a body may be in are {', '.join(formats)}")
        shown = repr(name) if len(name) <= 60 else f"{name[:60]!r}…"
        raise InvalidRequest(f"unknown format {shown}; the formats a body may be in are {', '.join(formats)}")
    field = _recipe_field(loader)
    fields = loader.config_class.model_fields
    needs = [n for n, spec in fields.items() if spec.is_required() and n not in ("path", field)]
    if needs:  # a plugin's option without a default: a request has no way to give it
        raise InvalidRequest(f"the format '{name}' needs {', '.join(needs)}, which a request cannot give; load "
                             f"its files with `valuegraph load`")
    if recipe is not None:
        if field is None:
            raise InvalidRequest(f"the format '{name}' takes no recipe")
        return BodyFormat(name, loader, recipe_file(recipe, recipe_folder))
    if field is not None and fields[field].is_required():
        raise InvalidRequest(f"the format '{name}' is read through a recipe: name one with recipe=NAME")
    return BodyFormat(name, loader, None)


def _recipe_field(loader: type[Loader]) -> str | None:
    fields = loader.config_class.model_fields
    return next((f for f in RECIPE_FIELDS if f in fields), None)


def sync_body_file(graph: ValueGraph, fmt: BodyFormat, raw: bytes, suffix: str, source: str, mode: SyncMode,
                   dry_run: bool, author: str | None, max_errors: int) -> tuple[SyncReport, list[SyncError]]:
    """Read ``raw`` (a file of ``fmt``, named with ``suffix``) and sync it as ``source``: the report, and the
    loader's warnings. DocumentRejected lists at most ``max_errors`` errors (all are counted). Seconds of CPU
    for a large file: call it on a worker thread."""
    with tempfile.TemporaryDirectory(prefix="valuegraph-body-") as folder:
        path = Path(folder) / f"{BODY}{suffix}"
        path.write_bytes(raw)
        names = (str(path), folder)
        try:
            config = {"path": path}
            if fmt.recipe is not None:
                config[_recipe_field(fmt.loader)] = str(fmt.recipe)  # a path, as the command line gives it
            loader = fmt.loader(fmt.loader.config_class(**config))
            report, warnings = sync_input(graph, loader, source, mode, dry_run, author)
        except DocumentRejected as exc:
            errors = ErrorList(renamed(exc.errors, names), max_errors)
            errors.total += exc.total - len(exc.errors)  # errors the loader counted without listing them
            raise DocumentRejected(errors) from None
    report.errors = renamed(report.errors, names)
    return report, renamed(warnings, names)


def sync_input(graph: ValueGraph, loader: Loader, source: str, mode: SyncMode, dry_run: bool,
               author: str | None) -> tuple[SyncReport, list[SyncError]]:
    """One file's input synced as ``source``, as ``valuegraph load`` does it: a loader that streams, in parts
    (a merge); else its documents, each of which names ``source`` or none, as one document. The report,
    and the loader's warnings."""
    if loader.streams and mode is SyncMode.MERGE:
        return graph.sync_parts(loader.parts(), source, mode, dry_run=dry_run, author=author), []
    docs = list(loader.documents())
    problems: list[SyncError] = []
    for doc in docs:
        try:
            resolve_source(doc, source)
        except DocumentRejected as exc:
            problems += exc.errors
    if problems:
        raise DocumentRejected(problems + [e for doc in docs for e in doc.errors])
    joined = join_documents(docs, source)
    return graph.sync(joined, source, mode, dry_run=dry_run, author=author), joined.warnings


def renamed(errors: list[SyncError], names: tuple[str, ...]) -> list[SyncError]:
    """The errors with each of ``names`` (the temporary file and its folder) replaced by ``body``."""

    def plain(text: str) -> str:
        for name in names:
            text = text.replace(name, BODY)
        return text

    return [SyncError(plain(e.location), plain(e.message), e.code) for e in errors]


__all__ = ["BODY", "UNPACKED_RATIO", "BodyFormat", "body_format", "body_formats", "renamed", "sync_body_file",
           "sync_input", "unpacked_size"]
