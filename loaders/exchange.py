"""The exchange format as JSON or YAML files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import yaml

from valuegraph.graph.model import Document, DocumentRejected, SyncError
from valuegraph.loaders.base import Loader
from valuegraph.loaders.validate import validate_mapping


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DocumentRejected([SyncError(str(path), f"cannot read the file: {exc.strerror or exc}")]) from exc


def parse_json(raw: bytes, origin: str) -> Document:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DocumentRejected([SyncError(f"{origin}:{exc.lineno}:{exc.colno}", f"malformed JSON: {exc.msg}")]) from exc
    return validate_mapping(data, origin)


def parse_yaml(raw: bytes, origin: str) -> Document:
    try:
        data = yaml.safe_load(raw)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
        raise DocumentRejected([SyncError(where, f"malformed YAML: {exc.problem or exc.context}")]) from exc
    except yaml.YAMLError as exc:
        raise DocumentRejected([SyncError(origin, f"malformed YAML: {exc}")]) from exc
    return validate_mapping(data, origin)


class JsonLoader(Loader):
    name = "json"
    description = "exchange document in JSON (.json)"
    suffixes = frozenset({".json"})
    media_types = {"application/json": ".json"}

    def documents(self) -> Iterator[Document]:
        yield parse_json(_read(self.config.path), str(self.config.path))


class YamlLoader(Loader):
    name = "yaml"
    description = "exchange document in YAML (.yaml, .yml)"
    suffixes = frozenset({".yaml", ".yml"})
    media_types = {"application/yaml": ".yaml", "application/x-yaml": ".yaml", "text/yaml": ".yaml"}

    def documents(self) -> Iterator[Document]:
        yield parse_yaml(_read(self.config.path), str(self.config.path))
