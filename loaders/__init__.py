"""Input formats: each a loader plugin that turns files into validated exchange documents.

The names below are imported from their modules when first asked for: a server imports the validation of
GraphQL sync documents without the loaders of every file format (their parsers and recipes), which start-up
would pay for otherwise (benchmarks/peers.py times it)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from valuegraph.loaders.base import Loader, LoaderConfig, registry
    from valuegraph.loaders.exchange import parse_json, parse_yaml
    from valuegraph.loaders.lookup import loader_for
    from valuegraph.loaders.validate import validate_mapping

#: each public name, and the module that defines it
_MODULES = {"Loader": "base", "LoaderConfig": "base", "registry": "base", "parse_json": "exchange",
            "parse_yaml": "exchange", "loader_for": "lookup", "validate_mapping": "validate"}

__all__ = ["Loader", "LoaderConfig", "loader_for", "parse_json", "parse_yaml", "registry", "validate_mapping"]


def __getattr__(name: str) -> object:
    try:
        module = _MODULES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
