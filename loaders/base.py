"""The loader plugin interface and registry.

A loader is a small class: a pydantic config, ``accepts`` to claim a path and
``documents`` yielding validated exchange documents (its work units). Loaders
are found through the ``valuegraph.loaders`` entry-point group only (valuegraph's own
loaders too), so other packages can add formats and this module imports no loader;
``loaders/lookup.py`` picks the loader for a path.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from valuegraph.graph.model import Document

ENTRY_POINT_GROUP = "valuegraph.loaders"


class LoaderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path


class Loader(abc.ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    config_class: ClassVar[type[LoaderConfig]] = LoaderConfig
    #: set by callers that show progress: called with the rows (or items) read so far, and where known
    #: the work done and all the work (bytes of the file, or rows of a sheet)
    progress = None
    #: whether ``parts`` reads the input a slice at a time (``valuegraph load`` then writes it as it reads)
    streams: ClassVar[bool] = False

    def __init__(self, config: LoaderConfig) -> None:
        self.config = config

    #: the file name endings this loader reads when no format is named (see ``accepts``)
    suffixes: ClassVar[frozenset[str]] = frozenset()
    #: whether its input can be sent as a request body (POST /api/v1/sync/{source}?format=NAME): one file,
    #: not a folder. A body is read from a temporary file, named as ``body_suffix`` says
    reads_bodies: ClassVar[bool] = True
    #: media types of a request body this loader reads, each with the file name ending the body is read
    #: under; application/octet-stream is read too (see ``body_suffix``)
    media_types: ClassVar[dict[str, str]] = {}

    @classmethod
    def body_suffix(cls, head: bytes, media_type: str, file_name: str | None) -> str:
        """The file name ending a request body is read under: its media type's, else (application/octet-stream)
        that of the file name the request gives when this loader reads it, else the first media type's
        (none when it declares none: a loader that reads any name, by content). ``head``: the body's first
        bytes, for a loader that tells its files apart by content."""
        if media_type in cls.media_types:
            return cls.media_types[media_type]
        if file_name:
            given = Path(file_name).suffix.lower()
            if given in cls.suffixes or given in cls.media_types.values():
                return given
        return next(iter(cls.media_types.values()), "")

    @classmethod
    def accepts(cls, path: Path) -> bool:
        """Whether this loader reads ``path`` when no format is named: a file with one of its ``suffixes``
        (a loader that must look further, or at folders, says so itself)."""
        return path.is_file() and path.suffix.lower() in cls.suffixes

    @abc.abstractmethod
    def documents(self) -> Iterator[Document]:
        """The documents the input holds, each carrying its validation errors;
        DocumentRejected when the input cannot be read at all."""

    def parts(self) -> Iterator[Document]:
        """The input as one document in parts, read as they are needed (loaders that ``stream``)."""
        raise NotImplementedError(f"the {self.name} loader does not read its input in parts")


@cache
def registry() -> dict[str, type[Loader]]:
    """Every installed loader by name, from the ``valuegraph.loaders`` entry points: valuegraph's own first
    (in the installed metadata's order), then other packages'. The built-in loaders claim disjoint kinds
    of path, so the order in which ``loader_for`` asks them does not change which one reads a path."""
    # valuegraph's own are told by their module, not by ``ep.dist.name``: that parses the package's metadata
    # file for each entry point, a few milliseconds each at every start
    points = sorted(entry_points(group=ENTRY_POINT_GROUP),
                    key=lambda ep: not ep.module.startswith("valuegraph.loaders."))  # stable: keeps the order
    found: dict[str, type[Loader]] = {}
    for ep in points:
        if ep.name not in found:
            found[ep.name] = ep.load()
    return found
