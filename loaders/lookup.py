"""Which loader reads a path: the one named, else the first that claims the path; with a recipe, the
ArchiMate or schedule loader for a file of theirs, else the register loader."""

from __future__ import annotations

from pathlib import Path

from valuegraph.graph.errors import NO_LOADER, UNKNOWN_FORMAT, DocumentRejected, SyncError
from valuegraph.loaders.archimate import ArchimateConfig, ArchimateLoader
from valuegraph.loaders.base import Loader, registry
from valuegraph.loaders.register import RegisterConfig, RegisterLoader
from valuegraph.loaders.schedule import ScheduleConfig, ScheduleLoader


def loader_for(path: Path, format: str | None = None, recipe: str | None = None) -> Loader:
    """The loader for ``path``; DocumentRejected when the format is unknown or no loader claims the path."""
    if recipe is not None:
        if format == "archimate" or (format is None and ArchimateLoader.accepts(path)):
            return ArchimateLoader(ArchimateConfig(path=path, mapping=Path(recipe)))
        if format == "schedule" or (format is None and ScheduleLoader.accepts(path)):
            return ScheduleLoader(ScheduleConfig(path=path, recipe=recipe))
        return RegisterLoader(RegisterConfig(path=path, recipe=recipe))
    loaders = registry()
    if format is not None:
        if format not in loaders:
            raise DocumentRejected([SyncError(
                str(path), f"unknown format '{format}'; the formats are {', '.join(loaders)}", UNKNOWN_FORMAT)])
        cls = loaders[format]
    else:
        if not path.exists():
            raise DocumentRejected([SyncError(str(path), "no such file or folder")])
        cls = next((c for c in loaders.values() if c.accepts(path)), None)
        if cls is None:
            raise DocumentRejected([SyncError(
                str(path), f"no loader reads this file; the formats are {', '.join(loaders)}", NO_LOADER)])
    return cls(cls.config_class(path=path))
