"""The loader plugin interface and registry.

A loader is a small class: a pydantic config, ``accepts`` to claim a path and
``documents`` yielding validated exchange documents (its work units). Loaders
are found through the ``valuegraph.loaders`` entry-point group, so other
packages can add formats.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from valuegraph.graph.model import Document, DocumentRejected, SyncError

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

    @classmethod
    @abc.abstractmethod
    def accepts(cls, path: Path) -> bool:
        """Whether this loader reads ``path`` when no format is named."""

    @abc.abstractmethod
    def documents(self) -> Iterator[Document]:
        """The documents the input holds, each carrying its validation errors;
        DocumentRejected when the input cannot be read at all."""

    def parts(self) -> Iterator[Document]:
        """The input as one document in parts, read as they are needed (loaders that ``stream``)."""
        raise NotImplementedError(f"the {self.name} loader does not read its input in parts")


@cache
def registry() -> dict[str, type[Loader]]:
    """Every installed loader by name (built-ins first, then plugins)."""
    from valuegraph.loaders.archimate import ArchimateLoader
    from valuegraph.loaders.csvfolder import CsvFolderLoader
    from valuegraph.loaders.exchange import JsonLoader, YamlLoader
    from valuegraph.loaders.rdf import RdfLoader

    found: dict[str, type[Loader]] = {
        cls.name: cls for cls in (JsonLoader, YamlLoader, CsvFolderLoader, RdfLoader, ArchimateLoader)}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in found:
            found[ep.name] = ep.load()
    return found


def loader_for(path: Path, format: str | None = None, recipe: str | None = None) -> Loader:
    if recipe is not None:
        from valuegraph.loaders.archimate import ArchimateConfig, ArchimateLoader

        if format == "archimate" or (format is None and ArchimateLoader.accepts(path)):
            return ArchimateLoader(ArchimateConfig(path=path, mapping=Path(recipe)))
        from valuegraph.loaders.register import RegisterConfig, RegisterLoader

        return RegisterLoader(RegisterConfig(path=path, recipe=recipe))
    loaders = registry()
    if format is not None:
        if format not in loaders:
            raise DocumentRejected([SyncError(str(path), f"unknown format '{format}'; the formats are {', '.join(loaders)}")])
        cls = loaders[format]
    else:
        if not path.exists():
            raise DocumentRejected([SyncError(str(path), "no such file or folder")])
        cls = next((c for c in loaders.values() if c.accepts(path)), None)
        if cls is None:
            raise DocumentRejected([SyncError(
                str(path), f"no loader reads this file; the formats are {', '.join(loaders)} (name one with --format)"
            )])
    return cls(cls.config_class(path=path))
